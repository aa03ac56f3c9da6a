/**
 * The subscribe modal: opened by `/joblog subscribe` with no arguments. Entering the business
 * adds the cron/plan menu (its options come from subscribeTargetOptions); submitting subscribes
 * the channel the command came from, exactly as the slash command would.
 */
import type { AllMiddlewareArgs, BlockAction, PlainTextInputAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { SUBSCRIBE_BLOCKS, decodeModalMetadata, decodeTargetValue, parseModalScope, renderSubscribeModal, SUBSCRIBE_ACTIONS, targetBlockScope } from '../../../blocks/subscribeModal';
import { ACTION } from '../../../blocks/actions';
import { subscriptionMessages } from '../../../i18n/subscriptionMessages';
import { NOTIFY_ON_VALUES, type NotifyOn } from '../../../watch/types';
import { type ListenerDeps, type WebClient, openDm } from '../../context';
import type { Reply, SubscriptionCommands } from '../../subscriptionCommands';

export interface SubscribeModalDeps extends ListenerDeps {
  readonly subscriptions: SubscriptionCommands;
}

/** Opens the modal for the channel the command was typed in. */
export async function openSubscribeModal(client: WebClient, triggerId: string, channelId: string, deps: ListenerDeps): Promise<void> {
  await client.views.open({ trigger_id: triggerId, view: renderSubscribeModal(deps.lang, channelId, null) });
}

export type BizEnteredArgs = Pick<SlackActionMiddlewareArgs<BlockAction<PlainTextInputAction>>, 'ack' | 'body' | 'action'> & Pick<AllMiddlewareArgs, 'client'>;

/** The business was entered: show the menu of its crons and plans (or say what is wrong with it). */
export async function subscribeBizEntered({ ack, body, action, client }: BizEnteredArgs, deps: ListenerDeps): Promise<void> {
  await ack();
  const view = body.view;
  const channelId = decodeModalMetadata(view?.private_metadata);
  if (!view || !channelId) return;
  const scope = parseModalScope(action.value);
  const problem = scope === null && typeof action.value === 'string' && action.value.trim() !== '' ? subscriptionMessages(deps.lang).modalBadBusiness : null;
  try {
    await client.views.update({ view_id: view.id, hash: view.hash, view: renderSubscribeModal(deps.lang, channelId, scope, problem) });
  } catch (err) {
    // A newer keystroke already updated the view (hash_conflict): that update wins.
    deps.logger.debug({ err }, 'subscribe modal not updated');
  }
}

export type SubscribeSubmitArgs = Pick<SlackViewMiddlewareArgs<ViewSubmitAction>, 'ack' | 'body' | 'view'> & Pick<AllMiddlewareArgs, 'client'>;

/** Submitted: check the choice (errors shown in the modal), close it, and subscribe. */
export async function subscribeSubmitted({ ack, body, view, client }: SubscribeSubmitArgs, deps: SubscribeModalDeps): Promise<void> {
  const s = subscriptionMessages(deps.lang);
  const channelId = decodeModalMetadata(view.private_metadata);
  const values = view.state.values;
  const targetBlock = Object.keys(values).find((id) => id.startsWith(SUBSCRIBE_BLOCKS.targetPrefix));
  const typed = parseModalScope(values[SUBSCRIBE_BLOCKS.biz]?.[SUBSCRIBE_ACTIONS.biz]?.value);
  // The menu's block names the business its crons and plans were listed from: that is the one chosen.
  const scope = targetBlock ? targetBlockScope(targetBlock) : null;
  const target = targetBlock ? decodeTargetValue(values[targetBlock]?.[ACTION.subscribeTarget]?.selected_option?.value) : null;
  const sameBusiness = typed !== null && scope !== null && typed.bizId === scope.bizId && typed.scopeType === scope.scopeType;
  if (!channelId || !typed || (scope !== null && !sameBusiness)) return void (await ack({ response_action: 'errors', errors: { [SUBSCRIBE_BLOCKS.biz]: s.modalBadBusiness } }));
  if (!target || !targetBlock || !scope) return void (await ack({ response_action: 'errors', errors: { [targetBlock ?? SUBSCRIBE_BLOCKS.biz]: s.modalPickTarget } }));
  const chosen = values[SUBSCRIBE_BLOCKS.notifyOn]?.[SUBSCRIBE_ACTIONS.notifyOn]?.selected_option?.value;
  const notifyOn: NotifyOn = (NOTIFY_ON_VALUES as readonly string[]).includes(chosen ?? '') ? (chosen as NotifyOn) : 'failure';
  const time = values[SUBSCRIBE_BLOCKS.digest]?.[SUBSCRIBE_ACTIONS.digest]?.selected_time;
  const digestAt = typeof time === 'string' && /^\d{2}:\d{2}$/.test(time) ? time : null;
  await ack();
  const userId = body.user.id;
  await deps.subscriptions.subscribe({ scope, kind: target.kind, targetId: target.id, notifyOn, digestAt, channelId, userId, reply: privateReply(client, channelId, userId, deps), client });
}

/** A modal has no response URL: private replies go as an ephemeral message in the channel, else as a DM. */
function privateReply(client: WebClient, channelId: string, userId: string, deps: ListenerDeps): Reply {
  return async (message) => {
    const text = message.text ?? '';
    const blocks = message.blocks;
    try {
      await client.chat.postEphemeral({ channel: channelId, user: userId, text, blocks });
    } catch (err) {
      deps.logger.info({ err, channel: channelId }, 'could not answer in the channel; answering in a DM');
      await client.chat.postMessage({ channel: await openDm(client, userId), text, blocks });
    }
  };
}
