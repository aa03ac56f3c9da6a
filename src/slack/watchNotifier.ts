/**
 * `WatchNotifier` over the Slack Web API: renders the watch domain's summaries and events with
 * `blocks/` and sends them, exactly once where Slack lets us check:
 *
 * - Every message it posts for a watch carries message metadata (`joblog_event`, with the outbox
 *   key and the watch), so it can be recognised later.
 * - Its Web API client neither waits out 429s nor retries (see app.ts): a channel that is rate
 *   limited or failing is remembered in the `DeliveryGate` and refused at once, as
 *   `ChatUnavailableError`, so one channel never holds the poll that serves every other one.
 * - A call whose outcome is unknown (a timeout, a server error, a crash before it was recorded) is
 *   "maybe posted": before posting that entry again the target thread or channel is read since the
 *   attempt began (`conversations.replies` / `conversations.history` with `include_all_metadata`),
 *   and a message with its mark is taken as the delivery. Without the history scopes
 *   (`missing_scope`) delivery stays at least once, said once in the log.
 */
import type { WebClient } from '@slack/web-api';
import { type RenderSettings, type SlackMessage, renderOptionsFor } from '../blocks/jobSummary';
import { renderRunMessage, renderRunSummary, renderSubscriptionNote } from '../blocks/subscription';
import { renderLostAccess, renderWatchEvent, renderWatchStatus } from '../blocks/watch';
import type { AppLogger } from '../logger';
import type { JobSummary } from '../summary/types';
import { isRecord } from '../util/json';
import { ChannelAccessError, ChatUnavailableError, type DeliveryMark, type EventDelivery, MessageGoneError, RejectedMessageError, type WatchNotifier } from '../watch/ports';
import type { KeyedEvent } from '../watch/rules';
import { type RunMessage, type RunNotifier, announcementIsBroadcastMessage, isRunWatch } from '../watch/subscriptionRuns';
import type { SubscriptionNote, SubscriptionNotifier } from '../watch/subscriptionScanner';
import type { Subscription } from '../watch/subscriptionTypes';
import type { RunOf, Watch } from '../watch/types';
import { CHANNEL_ACCESS_ERRORS, openDm, slackErrorCode } from './context';
import { DeliveryGate } from './deliveryGate';

const GONE_ERRORS: ReadonlySet<string> = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
/** The message itself is unacceptable; retrying the same message would fail forever. */
const REJECTED_ERRORS: ReadonlySet<string> = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text', 'invalid_arguments', 'too_many_attachments', 'invalid_attachments', 'markdown_text_conflict', 'invalid_metadata_format', 'invalid_metadata_schema', 'metadata_too_large', 'metadata_must_be_sent_from_app']);
/** Slack says it may have done part of the work before failing: the message may be there. */
const MAYBE_DONE_ERRORS: ReadonlySet<string> = new Set(['fatal_error', 'internal_error', 'request_timeout', 'service_unavailable']);
/** History cannot be read here: delivery falls back to at least once. */
const NO_HISTORY_ERRORS: ReadonlySet<string> = new Set(['missing_scope', 'not_in_channel', 'channel_not_found', 'not_allowed_token_type']);

/** The metadata `event_type` of every message the bot posts for a watch. */
export const MARK_EVENT_TYPE = 'joblog_event';
/** The mark key of a watch's status message. */
export const STATUS_MARK_KEY = 'status';
/** History pages read when looking for a maybe-posted message (each up to 200 messages). */
const LOOKUP_PAGES = 5;
/** Replicas' and Slack's clocks may differ: the search starts this much earlier. */
const CLOCK_MARGIN_MS = 2 * 60_000;

type Mark = { readonly key: string; readonly watchId: string; readonly unresolvedSince: number | null };

function metadataOf(mark: Mark): { event_type: string; event_payload: { key: string; watch: string } } {
  return { event_type: MARK_EVENT_TYPE, event_payload: { key: mark.key, watch: mark.watchId } };
}

function hasMark(message: unknown, mark: Mark): message is { ts: string } {
  if (!isRecord(message) || typeof message['ts'] !== 'string' || !isRecord(message['metadata'])) return false;
  const { event_type: type, event_payload: payload } = message['metadata'];
  return type === MARK_EVENT_TYPE && isRecord(payload) && payload['key'] === mark.key && payload['watch'] === mark.watchId;
}

/** The Web API client's own error classes, read by their `code` (see @slack/web-api ErrorCode). */
function rateLimitSeconds(err: unknown): number | null {
  return isRecord(err) && err['code'] === 'slack_webapi_rate_limited_error' && typeof err['retryAfter'] === 'number' ? err['retryAfter'] : null;
}

/** An HTTP error (5xx), a timeout or a dropped connection: Slack may have acted on the call. */
function outcomeUnknown(err: unknown): boolean {
  return isRecord(err) && (err['code'] === 'slack_webapi_http_error' || err['code'] === 'slack_webapi_request_error');
}

export interface SlackWatchNotifierOptions {
  /** Per-channel waits after rate limits and failures; one per process (default: one on `now`). */
  readonly gate?: DeliveryGate;
  readonly logger?: AppLogger;
  /** Wall-clock time, to turn "how long ago the attempt began" into a Slack `oldest`. */
  readonly wallClock?: () => number;
}

export class SlackWatchNotifier implements WatchNotifier, RunNotifier, SubscriptionNotifier {
  private readonly gate: DeliveryGate;
  private readonly wallClock: () => number;
  private warnedNoHistory = false;

  constructor(
    private readonly client: WebClient,
    private readonly settings: RenderSettings,
    private readonly now: () => number,
    /** Counts Slack errors (metrics). */
    private readonly onError?: (method: string, code: string) => void,
    private readonly options: SlackWatchNotifierOptions = {},
  ) {
    this.gate = options.gate ?? new DeliveryGate(now);
    this.wallClock = options.wallClock ?? Date.now;
  }

  readyInMs(channelId: string): number {
    return this.gate.waitMs(channelId);
  }

  postStatus(watch: Watch, summary: JobSummary, options?: { readonly lookFirst: boolean }): Promise<string> {
    // The search covers the watch's whole life: its status message is its first message.
    const mark: Mark = { key: STATUS_MARK_KEY, watchId: watch.id, unresolvedSince: options?.lookFirst ? watch.createdAt : null };
    return this.post(watch.channelId, this.status(watch, summary), null, false, mark);
  }

  async updateStatus(watch: Watch, ts: string, summary: JobSummary): Promise<void> {
    const message = this.status(watch, summary);
    const wait = this.gate.waitMs(watch.channelId, 'chat.update');
    if (wait > 0) throw new ChatUnavailableError(wait, false, 'the channel must wait', 'wait');
    try {
      // No metadata: the message keeps the mark it was posted with.
      await this.client.chat.update({ channel: watch.channelId, ts, text: message.text, blocks: message.blocks });
      this.gate.succeeded(watch.channelId);
    } catch (err) {
      this.fail(err, watch.channelId, 'chat.update', 'update');
    }
  }

  postEvent(watch: Watch, event: KeyedEvent, delivery: EventDelivery, mark: DeliveryMark): Promise<string> {
    return this.post(watch.channelId, renderWatchEvent(event, watch, this.settings.lang, delivery.urgent), watch.threadTs ?? watch.statusMessageTs, delivery.broadcast, { ...mark, watchId: watch.id });
  }

  /**
   * A subscription run's message: failures and waits as the run's summary (in the channel, or in
   * the failure thread for a repeat), one-liners in the run's thread when it has one.
   */
  announceRun(watch: Watch & { readonly run: RunOf }, message: RunMessage, summary: JobSummary | null, mark: DeliveryMark): Promise<string> {
    const { watching: _watching, ...options } = renderOptionsFor(this.settings, watch.ref, this.now(), null);
    const rendered = renderRunMessage(watch, message, summary, options);
    const thread = message.kind === 'still_failing' ? message.threadTs : message.kind === 'recovered' ? (message.threadTs ?? watch.threadTs) : message.kind === 'failure' ? null : watch.threadTs;
    return this.post(watch.channelId, rendered, thread, announcementIsBroadcastMessage(message), { ...mark, watchId: watch.id });
  }

  postNote(subscription: Subscription, note: SubscriptionNote): Promise<string> {
    // In the channel: the end of a mute and the digest are news of their own, not replies.
    return this.post(subscription.channelId, renderSubscriptionNote(subscription, note, this.settings.lang, this.settings.offsetMinutes), null, false, null);
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

  /**
   * A message in the channel, or a reply in `threadTs`'s thread (shown in the channel too when
   * `broadcast`), marked when it delivers a watch's entry. A mark with an unresolved earlier
   * attempt is looked for first; found, it is the delivery and nothing is posted.
   */
  private async post(channelId: string, message: SlackMessage, threadTs: string | null, broadcast: boolean, mark: Mark | null): Promise<string> {
    const unresolved = mark !== null && mark.unresolvedSince !== null;
    const wait = this.gate.waitMs(channelId);
    if (wait > 0) throw new ChatUnavailableError(wait, unresolved, 'the channel must wait', 'wait');
    if (mark !== null && mark.unresolvedSince !== null) {
      const found = await this.findMarked(channelId, threadTs, mark, mark.unresolvedSince);
      if (found !== null) return found;
    }
    try {
      const thread = threadTs ? { thread_ts: threadTs, reply_broadcast: broadcast } : {};
      const result = await this.client.chat.postMessage({
        channel: channelId,
        ...thread,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(mark === null ? {} : { metadata: metadataOf(mark) }),
      });
      this.gate.succeeded(channelId);
      return result.ts ?? '';
    } catch (err) {
      return this.fail(err, channelId, 'chat.postMessage', 'post');
    }
  }

  /**
   * The ts of a message with this mark in the thread (or the channel) since `since` (the domain's
   * clock), or null when there is none, or when history cannot be read here (at least once).
   * Fails with ChatUnavailableError (maybe posted) when Slack cannot answer now.
   */
  private async findMarked(channelId: string, threadTs: string | null, mark: Mark, since: number): Promise<string | null> {
    const method = threadTs ? 'conversations.replies' : 'conversations.history';
    // How long ago the attempt began, by the domain's clock, counted back from Slack's wall clock.
    const oldestMs = this.wallClock() - Math.max(0, this.now() - since) - CLOCK_MARGIN_MS;
    const oldest = (Math.max(0, oldestMs) / 1000).toFixed(6);
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const wait = this.gate.waitMs(channelId, method);
      if (wait > 0) throw new ChatUnavailableError(wait, true, `${method} must wait`, 'wait');
      let result: { messages?: unknown[]; response_metadata?: { next_cursor?: string } };
      try {
        const args = { channel: channelId, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
        result = threadTs ? await this.client.conversations.replies({ ...args, ts: threadTs }) : await this.client.conversations.history(args);
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === 'thread_not_found') return null;
        if (code !== undefined && NO_HISTORY_ERRORS.has(code)) {
          this.onError?.(method, code);
          if (!this.warnedNoHistory) {
            this.warnedNoHistory = true;
            this.options.logger?.warn({ slackError: code, method }, 'cannot read channel history (grant channels:history and groups:history): a message whose post timed out may be posted twice (delivery is at least once)');
          }
          return null;
        }
        return this.fail(err, channelId, method, 'lookup');
      }
      const found = (result.messages ?? []).find((m) => hasMark(m, mark));
      if (found !== undefined && hasMark(found, mark)) return found.ts;
      cursor = result.response_metadata?.next_cursor || undefined;
      if (cursor === undefined) return null;
    }
    return null;
  }

  /**
   * Turns a failed call into the port's errors. `call` says what an unknown outcome means: a
   * `post` may have posted; a `lookup` leaves the earlier attempt it searched for unresolved
   * (maybe posted, whatever the error); an `update` posts nothing new.
   */
  private fail(err: unknown, channelId: string, method: string, call: 'post' | 'lookup' | 'update'): never {
    const retryAfter = rateLimitSeconds(err);
    if (retryAfter !== null) {
      this.onError?.(method, 'ratelimited');
      this.gate.rateLimited(channelId, method, retryAfter * 1000);
      // A 429 is a refusal before any work: this call posted nothing.
      throw new ChatUnavailableError(retryAfter * 1000, call === 'lookup', 'rate limited', 'wait');
    }
    if (outcomeUnknown(err)) {
      this.onError?.(method, 'request_failed');
      throw new ChatUnavailableError(this.gate.failed(channelId), call !== 'update', 'no answer');
    }
    const code = slackErrorCode(err);
    this.onError?.(method, code ?? 'request_failed');
    if (code && CHANNEL_ACCESS_ERRORS.has(code)) throw new ChannelAccessError(code);
    if (code && GONE_ERRORS.has(code)) throw new MessageGoneError(code);
    if (code && REJECTED_ERRORS.has(code)) throw new RejectedMessageError(code);
    if (code) throw new ChatUnavailableError(this.gate.failed(channelId), call === 'lookup' || (call === 'post' && MAYBE_DONE_ERRORS.has(code)), code);
    throw err;
  }
}
