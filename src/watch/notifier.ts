/**
 * The watch domain's port to Slack. The Slack adapter (`slack/notifier.ts`) implements it with
 * the Web API; the domain never imports Bolt or the Web API client.
 */
import type { SlackMessage } from '../blocks/jobSummary';

/** The bot may no longer post in the channel (removed, archived, private and never invited). */
export class ChannelAccessError extends Error {
  constructor(readonly slackError: string) {
    super(`cannot post in the channel: ${slackError}`);
    this.name = 'ChannelAccessError';
  }
}

/** The message to update is gone (deleted by someone): post a new one instead. */
export class MessageGoneError extends Error {
  constructor(readonly slackError: string) {
    super(`status message is gone: ${slackError}`);
    this.name = 'MessageGoneError';
  }
}

/** Slack refused the message itself (invalid blocks, too long): sending it again cannot help. */
export class RejectedMessageError extends Error {
  constructor(readonly slackError: string) {
    super(`Slack rejected the message: ${slackError}`);
    this.name = 'RejectedMessageError';
  }
}

export interface WatchNotifier {
  /** Posts a message in the channel; returns its ts. */
  post(channelId: string, message: SlackMessage): Promise<string>;
  /** Replaces a message in place (chat.update). */
  update(channelId: string, ts: string, message: SlackMessage): Promise<void>;
  /** Replies in a thread, optionally also showing the reply in the channel; returns its ts. */
  reply(channelId: string, threadTs: string, message: SlackMessage, broadcast: boolean): Promise<string>;
  /** Direct message to a user, for news that cannot go to the channel. */
  tellUser(userId: string, message: SlackMessage): Promise<void>;
}
