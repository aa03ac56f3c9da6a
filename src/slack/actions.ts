/**
 * Button listeners. Each acks first, validates the button's value (it is untrusted input), then
 * calls the same domain code as the slash command.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION, decodeJobRef } from '../blocks/actions';
import type { ListenerDeps } from './context';
import type { WatchCommands } from './watchCommands';

export interface ActionDeps extends ListenerDeps {
  readonly watches: WatchCommands;
}

export function registerActions(app: App, deps: ActionDeps): void {
  // Link buttons still send an action; ack it so Slack shows no error.
  app.action(ACTION.openInJob, async ({ ack }) => {
    await ack();
  });

  app.action<BlockAction<ButtonAction>>(ACTION.watch, async ({ ack, body, action, respond, client }) => {
    await ack();
    const ref = decodeJobRef(action.value);
    const channelId = body.channel?.id;
    if (!ref || !channelId) {
      deps.logger.warn({ actionId: action.action_id }, 'ignoring a watch button with an invalid value');
      return;
    }
    await deps.watches.watch({ ref, notifyOn: 'failure', channelId, userId: body.user.id, respond, client, fromSummaryMessage: true });
  });

  app.action<BlockAction<ButtonAction>>(ACTION.unwatch, async ({ ack, body, action, respond, client }) => {
    await ack();
    const ref = decodeJobRef(action.value);
    const channelId = body.channel?.id;
    if (!ref || !channelId) {
      deps.logger.warn({ actionId: action.action_id }, 'ignoring an unwatch button with an invalid value');
      return;
    }
    await deps.watches.unwatch({ ref, channelId, userId: body.user.id, respond, client });
  });
}
