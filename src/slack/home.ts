/**
 * App Home: a user's watches across channels, with Stop buttons. Published when the tab opens
 * (events/) and again after a Stop (actions/).
 */
import { renderHome } from '../blocks/home';
import type { WatchService } from '../watch/service';
import type { ListenerDeps, WebClient } from './context';

export async function publishHome(client: WebClient, userId: string, deps: ListenerDeps & { readonly watchService: WatchService }): Promise<void> {
  const watches = await deps.watchService.listSubscriber(userId);
  await client.views.publish({ user_id: userId, view: renderHome(watches, deps.now(), deps.lang) });
}
