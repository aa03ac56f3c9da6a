import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WatchService } from '../../../watch/service';
import type { ListenerDeps } from '../../context';
import { publishHome } from '../../home';
import type { SubscriptionCommands } from '../../subscriptionCommands';

export interface EventDeps extends ListenerDeps {
  readonly watchService: WatchService;
  readonly subscriptions: SubscriptionCommands;
}

export type AppHomeOpenedArgs = Pick<SlackEventMiddlewareArgs<'app_home_opened'>, 'event'> & Pick<AllMiddlewareArgs, 'client'>;

/** The Home tab opened: publish the user's watches (the Messages tab needs nothing). */
export async function appHomeOpened({ event, client }: AppHomeOpenedArgs, deps: EventDeps): Promise<void> {
  if (event.tab !== 'home') return;
  try {
    await publishHome(client, event.user, deps);
  } catch (err) {
    // Nothing to answer an event with: log it; the next open of the tab tries again.
    deps.logger.error({ err, user: event.user }, 'could not publish App Home');
  }
}
