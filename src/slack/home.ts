/**
 * App Home: a user's watches across channels, with Stop buttons. Published when the tab opens
 * and again after a Stop.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION } from '../blocks/actions';
import { renderHome } from '../blocks/home';
import type { WatchService } from '../watch/service';
import type { ListenerDeps, WebClient } from './context';

const WATCH_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function registerHome(app: App, deps: ListenerDeps & { readonly watchService: WatchService }): void {
  const publish = async (client: WebClient, userId: string) => {
    const watches = await deps.watchService.listSubscriber(userId);
    await client.views.publish({ user_id: userId, view: renderHome(watches, deps.now(), deps.lang) });
  };

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publish(client, event.user);
  });

  app.action<BlockAction<ButtonAction>>(ACTION.stopWatchHome, async ({ ack, body, action, client }) => {
    await ack();
    const watchId = action.value;
    if (typeof watchId !== 'string' || !WATCH_ID_PATTERN.test(watchId)) {
      deps.logger.warn({ actionId: action.action_id }, 'ignoring a Stop button with an invalid watch id');
      return;
    }
    const result = await deps.watchService.unsubscribeById(watchId, body.user.id, deps.actorFor(body.user.id));
    if (result.kind === 'stopped') deps.logger.info({ watchId, user: body.user.id }, 'watch stopped from App Home');
    await publish(client, body.user.id);
  });
}
