/**
 * Mute 24 h and Stop on a subscription's messages, and Stop on App Home. Each acks first,
 * validates the button's value (untrusted input), then does what `/joblog mute|unsubscribe` does.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decodeSubscriptionId } from '../../../blocks/actions';
import type { ListenerDeps } from '../../context';
import { publishHome } from '../../home';
import { type SubscriptionCommands, replyVia } from '../../subscriptionCommands';
import type { WatchService } from '../../../watch/service';

export interface SubscriptionButtonDeps extends ListenerDeps {
  readonly subscriptions: SubscriptionCommands;
  readonly watchService: WatchService;
}

export type SubscriptionButtonArgs = Pick<SlackActionMiddlewareArgs<BlockAction<ButtonAction>>, 'ack' | 'body' | 'action' | 'respond'> & Pick<AllMiddlewareArgs, 'client'>;

const MUTE_MS = 24 * 60 * 60_000;

export async function muteSubscriptionButton({ ack, body, action, respond, client }: SubscriptionButtonArgs, deps: SubscriptionButtonDeps): Promise<void> {
  await ack();
  const subscriptionId = decodeSubscriptionId(action.value);
  const channelId = body.channel?.id;
  if (!subscriptionId || !channelId) return void deps.logger.warn({ actionId: action.action_id }, 'ignoring a Mute button with an invalid value');
  await deps.subscriptions.mute({ subscriptionId, forMs: MUTE_MS, channelId, userId: body.user.id, reply: replyVia(respond), client });
}

export async function stopSubscriptionButton({ ack, body, action, respond, client }: SubscriptionButtonArgs, deps: SubscriptionButtonDeps): Promise<void> {
  await ack();
  const subscriptionId = decodeSubscriptionId(action.value);
  if (!subscriptionId) return void deps.logger.warn({ actionId: action.action_id }, 'ignoring a Stop button with an invalid value');
  const userId = body.user.id;
  // On App Home the button has no channel: it stops one of the user's own subscriptions, wherever it is.
  const onHome = body.view?.type === 'home';
  const sub = onHome ? await deps.subscriptions.service.get(subscriptionId) : null;
  const channelId = onHome ? (sub?.subscriberId === userId ? sub.channelId : undefined) : body.channel?.id;
  if (!channelId) return void deps.logger.warn({ subscriptionId, user: userId }, 'ignoring a Stop button for a subscription that is not the user\'s');
  await deps.subscriptions.unsubscribe({ subscriptionId, channelId, userId, reply: onHome ? () => Promise.resolve() : replyVia(respond), client });
  if (onHome) await publishHome(client, userId, deps);
}
