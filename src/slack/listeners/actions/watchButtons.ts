/**
 * Watch buttons: "Watch this job" / "Stop watching" on a summary, "Open in JOB" (a link button
 * that still sends an action), and Stop on App Home. Each acks first, validates the button's
 * value (untrusted input), then calls the same domain code as the slash command.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { JobRef } from '../../../bkjob/model';
import { decodeJobRef } from '../../../blocks/actions';
import type { WatchService } from '../../../watch/service';
import type { ListenerDeps } from '../../context';
import { publishHome } from '../../home';
import type { SubscriptionCommands } from '../../subscriptionCommands';
import type { WatchCommands } from '../../watchCommands';

export interface WatchButtonDeps extends ListenerDeps {
  readonly watches: WatchCommands;
  readonly watchService: WatchService;
  /** App Home lists subscriptions too. */
  readonly subscriptions: SubscriptionCommands;
}

/** What the callbacks use of Bolt's arguments (tests pass fakes of just these). */
export type ButtonArgs = Pick<SlackActionMiddlewareArgs<BlockAction<ButtonAction>>, 'ack' | 'body' | 'action' | 'respond'> & Pick<AllMiddlewareArgs, 'client' | 'context'>;

/** Link buttons still send an action; ack it so Slack shows no error. */
export async function openInJobButton({ ack }: Pick<ButtonArgs, 'ack'>): Promise<void> {
  await ack();
}

export function watchButton(args: ButtonArgs, deps: WatchButtonDeps): Promise<void> {
  // Watching reads the job from BlueKing first: a person waiting in line hears so (WatchCommands.watch).
  return onJobButton(args, deps, 'watch', async (ref, channelId) => {
    return deps.watches.watch({ ref, notifyOn: 'failure', channelId, userId: args.body.user.id, respond: args.respond, client: args.client, fromSummaryMessage: true, requestId: args.context.requestId });
  });
}

export function unwatchButton(args: ButtonArgs, deps: WatchButtonDeps): Promise<void> {
  return onJobButton(args, deps, 'unwatch', (ref, channelId) => deps.watches.unwatch({ ref, channelId, userId: args.body.user.id, respond: args.respond, client: args.client, requestId: args.context.requestId }));
}

/** Acks, reads the job the button is about and the channel it sits in, and runs `act`; junk values are logged and dropped. */
async function onJobButton({ ack, body, action }: ButtonArgs, deps: ListenerDeps, what: string, act: (ref: JobRef, channelId: string) => Promise<void>): Promise<void> {
  await ack();
  const ref = decodeJobRef(action.value);
  const channelId = body.channel?.id;
  if (!ref || !channelId) {
    deps.logger.warn({ actionId: action.action_id, button: what }, 'ignoring a watch button with an invalid value');
    return;
  }
  await act(ref, channelId);
}

const WATCH_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Stop on App Home: ends one of the clicking user's own watches, then re-publishes the tab. */
export async function stopWatchFromHome({ ack, body, action, client }: Omit<ButtonArgs, 'respond' | 'context'>, deps: WatchButtonDeps): Promise<void> {
  await ack();
  const watchId = action.value;
  if (typeof watchId !== 'string' || !WATCH_ID_PATTERN.test(watchId)) {
    deps.logger.warn({ actionId: action.action_id }, 'ignoring a Stop button with an invalid watch id');
    return;
  }
  try {
    const result = await deps.watchService.unsubscribeById(watchId, body.user.id);
    if (result.kind === 'stopped') deps.logger.info({ watchId, user: body.user.id }, 'watch stopped from App Home');
    await publishHome(client, body.user.id, deps);
  } catch (err) {
    // App Home has no reply channel: the tab keeps showing the watch, and the log says why.
    deps.logger.error({ err, watchId, user: body.user.id }, 'could not stop a watch from App Home');
  }
}
