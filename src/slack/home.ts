/**
 * App Home: a user's watches across channels, with Stop buttons. Published when the tab opens
 * (events/) and again after a Stop (actions/).
 */
import { renderHome } from '../blocks/home';
import type { WatchService } from '../watch/service';
import type { ListenerDeps, WebClient } from './context';
import type { SubscriptionCommands } from './subscriptionCommands';

export async function publishHome(client: WebClient, userId: string, deps: ListenerDeps & { readonly watchService: WatchService; readonly subscriptions: SubscriptionCommands }): Promise<void> {
  const [watches, subscriptions] = await Promise.all([deps.watchService.listSubscriber(userId), deps.subscriptions.service.listUser(userId)]);
  await client.views.publish({ user_id: userId, view: renderHome(watches, deps.now(), deps.lang, { subscriptions, offsetMinutes: deps.offsetMinutes }) });
}
