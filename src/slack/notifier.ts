/**
 * `WatchNotifier` over the Slack Web API. Rate limits are retried by the WebClient itself
 * (it waits for Retry-After), so a 429 neither loses nor repeats a notification here.
 */
import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../blocks/jobSummary';
import { ChannelAccessError, MessageGoneError, RejectedMessageError, type WatchNotifier } from '../watch/notifier';
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

export class SlackWatchNotifier implements WatchNotifier {
  constructor(
    private readonly client: WebClient,
    /** Counts Slack errors (metrics). */
    private readonly onError?: (method: string, code: string) => void,
  ) {}

  async post(channelId: string, message: SlackMessage): Promise<string> {
    try {
      const result = await this.client.chat.postMessage({ channel: channelId, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      return result.ts ?? '';
    } catch (err) {
      return classify(err, 'chat.postMessage', this.onError);
    }
  }

  async update(channelId: string, ts: string, message: SlackMessage): Promise<void> {
    try {
      await this.client.chat.update({ channel: channelId, ts, text: message.text, blocks: message.blocks });
    } catch (err) {
      classify(err, 'chat.update', this.onError);
    }
  }

  async reply(channelId: string, threadTs: string, message: SlackMessage, broadcast: boolean): Promise<string> {
    try {
      const result = await this.client.chat.postMessage({ channel: channelId, thread_ts: threadTs, reply_broadcast: broadcast, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      return result.ts ?? '';
    } catch (err) {
      return classify(err, 'chat.postMessage', this.onError);
    }
  }

  async tellUser(userId: string, message: SlackMessage): Promise<void> {
    const channel = await openDm(this.client, userId);
    await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
  }
}
