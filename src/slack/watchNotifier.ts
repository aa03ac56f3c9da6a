/**
 * `WatchNotifier` over the Slack Web API: renders the watch domain's summaries and events with
 * `blocks/` and sends them. Rate limits are retried by the WebClient itself (it waits for
 * Retry-After), so a 429 neither loses nor repeats a notification here.
 */
import type { WebClient } from '@slack/web-api';
import { type RenderSettings, type SlackMessage, renderOptionsFor } from '../blocks/jobSummary';
import { renderRunMessage, renderRunSummary, renderSubscriptionNote } from '../blocks/subscription';
import { renderLostAccess, renderWatchEvent, renderWatchStatus } from '../blocks/watch';
import type { JobSummary } from '../summary/types';
import { ChannelAccessError, type EventDelivery, MessageGoneError, RejectedMessageError, type WatchNotifier } from '../watch/ports';
import type { KeyedEvent } from '../watch/rules';
import { type RunMessage, type RunNotifier, announcementIsBroadcastMessage, isRunWatch } from '../watch/subscriptionRuns';
import type { SubscriptionNote, SubscriptionNotifier } from '../watch/subscriptionScanner';
import type { Subscription } from '../watch/subscriptionTypes';
import type { RunOf, Watch } from '../watch/types';
import { CHANNEL_ACCESS_ERRORS, openDm, slackErrorCode } from './context';

const GONE_ERRORS: ReadonlySet<string> = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
/** The message itself is unacceptable; retrying the same message would fail forever. */
const REJECTED_ERRORS: ReadonlySet<string> = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text', 'invalid_arguments', 'too_many_attachments', 'invalid_attachments', 'markdown_text_conflict']);

function classify(err: unknown, method: string, onError?: (method: string, code: string) => void): never {
  const code = slackErrorCode(err);
  onError?.(method, code ?? 'request_failed');
  if (code && CHANNEL_ACCESS_ERRORS.has(code)) throw new ChannelAccessError(code);
  if (code && GONE_ERRORS.has(code)) throw new MessageGoneError(code);
  if (code && REJECTED_ERRORS.has(code)) throw new RejectedMessageError(code);
  throw err;
}

export class SlackWatchNotifier implements WatchNotifier, RunNotifier, SubscriptionNotifier {
  constructor(
    private readonly client: WebClient,
    private readonly settings: RenderSettings,
    private readonly now: () => number,
    /** Counts Slack errors (metrics). */
    private readonly onError?: (method: string, code: string) => void,
  ) {}

  postStatus(watch: Watch, summary: JobSummary): Promise<string> {
    return this.post(watch.channelId, this.status(watch, summary), null, false);
  }

  async updateStatus(watch: Watch, ts: string, summary: JobSummary): Promise<void> {
    const message = this.status(watch, summary);
    try {
      await this.client.chat.update({ channel: watch.channelId, ts, text: message.text, blocks: message.blocks });
    } catch (err) {
      classify(err, 'chat.update', this.onError);
    }
  }

  postEvent(watch: Watch, event: KeyedEvent, delivery: EventDelivery): Promise<string> {
    return this.post(watch.channelId, renderWatchEvent(event, watch, this.settings.lang, delivery.urgent), watch.threadTs ?? watch.statusMessageTs, delivery.broadcast);
  }

  /**
   * A subscription run's message: failures and waits as the run's summary (in the channel, or in
   * the failure thread for a repeat), one-liners in the run's thread when it has one.
   */
  announceRun(watch: Watch & { readonly run: RunOf }, message: RunMessage, summary: JobSummary | null): Promise<string> {
    const { watching: _watching, ...options } = renderOptionsFor(this.settings, watch.ref, this.now(), null);
    const rendered = renderRunMessage(watch, message, summary, options);
    const thread = message.kind === 'still_failing' ? message.threadTs : message.kind === 'recovered' ? (message.threadTs ?? watch.threadTs) : message.kind === 'failure' ? null : watch.threadTs;
    return this.post(watch.channelId, rendered, thread, announcementIsBroadcastMessage(message));
  }

  postNote(subscription: Subscription, note: SubscriptionNote): Promise<string> {
    // In the channel: the end of a mute and the digest are news of their own, not replies.
    return this.post(subscription.channelId, renderSubscriptionNote(subscription, note, this.settings.lang, this.settings.offsetMinutes), null, false);
  }

  async tellLostAccess(watch: Watch): Promise<void> {
    const channel = await openDm(this.client, watch.subscriberId);
    const message = renderLostAccess(watch, this.settings.lang);
    await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
  }

  private status(watch: Watch, summary: JobSummary): SlackMessage {
    const { watching: _watching, ...options } = renderOptionsFor(this.settings, watch.ref, this.now(), null);
    if (isRunWatch(watch)) return renderRunSummary(watch, null, summary, options);
    return renderWatchStatus(summary, watch, options);
  }

  /** A message in the channel, or a reply in `threadTs`'s thread (shown in the channel too when `broadcast`). */
  private async post(channelId: string, message: SlackMessage, threadTs: string | null, broadcast: boolean): Promise<string> {
    try {
      const thread = threadTs ? { thread_ts: threadTs, reply_broadcast: broadcast } : {};
      const result = await this.client.chat.postMessage({ channel: channelId, ...thread, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      return result.ts ?? '';
    } catch (err) {
      return classify(err, 'chat.postMessage', this.onError);
    }
  }
}
