/**
 * The watch domain's ports: what it needs from storage and from the chat it reports to. The
 * adapters live elsewhere (`store/` for `WatchStore`, `slack/watchNotifier.ts` for
 * `WatchNotifier`) and depend on this file; the domain depends on neither.
 */
import type { JobRef } from '../bkjob/model';
import type { JobSummary } from '../summary/types';
import type { KeyedEvent } from './rules';
import type { CreateSubscriptionResult, NewSubscription, RunResultRecord, Subscription, SubscriptionPatch, SubscriptionRun, SubscriptionScope } from './subscriptionTypes';
import type { NewOutboxEntry, NewWatch, OutboxEntry, Watch, WatchPatch } from './types';

/**
 * `WatchStore`: persistence for watches and their notification outbox.
 * Two adapters (SQLite for one process, PostgreSQL for several replicas) pass one contract suite.
 * All times are epoch milliseconds passed in by the caller: the store never reads a clock.
 */
export type CreateWatchResult =
  | { readonly created: true; readonly watch: Watch }
  | { readonly created: false; readonly existing: Watch }
  /** The channel already has `max` active watches people started (see `create`'s limit). */
  | { readonly created: false; readonly existing: null; readonly max: number };

export interface WatchStore {
  /** Creates or upgrades the schema; safe to call on every start and from several replicas at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Adds a watch unless the channel already has an active or paused watch on the same job, in
   * which case that one is returned (atomically: two concurrent requests create one watch). With
   * `limit`, a channel that already has that many active watches people started gets none, checked
   * in the same transaction as the insert (concurrent requests never exceed it).
   */
  create(watch: NewWatch, limit?: { readonly maxActiveInChannel: number }): Promise<CreateWatchResult>;
  get(id: string): Promise<Watch | null>;
  /** The channel's active or paused watch on this job started by someone (not a subscription run), if any. */
  findOpen(channelId: string, ref: JobRef): Promise<Watch | null>;
  /** The channel's open watch that follows this job for a subscription (a run watch), if any. */
  findOpenRun(channelId: string, ref: JobRef): Promise<Watch | null>;
  /** The channel's active and paused watches started by someone, oldest first (subscription runs are listed with their subscription). */
  listOpenByChannel(channelId: string): Promise<Watch[]>;
  /** Active and paused watches the user started, oldest first (App Home). */
  listOpenBySubscriber(subscriberId: string): Promise<Watch[]>;
  /** Active watches people started in the channel (the per-channel limit; subscription runs do not count). */
  countActiveInChannel(channelId: string): Promise<number>;
  countActive(): Promise<number>;
  /**
   * The summary the watch's status message last showed (saved with `lastSummary` in a patch or at
   * create), so an ended, expired or unwatched watch is re-rendered without asking BlueKing again.
   */
  lastSummary(id: string): Promise<JobSummary | null>;
  /** Applies a patch regardless of leases (commands such as unwatch); null when the id is unknown. */
  update(id: string, patch: WatchPatch): Promise<Watch | null>;

  /**
   * Claims up to `limit` active watches with `nextPollAt <= now` whose lease is free or expired,
   * leasing them to `owner` until `now + leaseMs`. Concurrent callers (other replicas) never get
   * the same watch while a lease holds (PostgreSQL: FOR UPDATE SKIP LOCKED).
   */
  claimDue(now: number, limit: number, owner: string, leaseMs: number): Promise<Watch[]>;
  /**
   * In one transaction, if `owner` still holds the lease and the watch is still active (not
   * unwatched meanwhile): applies the patch and enqueues the
   * outbox entries (entries whose key already exists for the watch are ignored). Returns false
   * (and changes nothing) when the lease was lost. Here and in `release`, a status in the patch
   * applies only while the watch is active: an unwatch during the poll stays in force.
   */
  saveWithLease(id: string, owner: string, patch: WatchPatch, entries: readonly NewOutboxEntry[]): Promise<boolean>;
  /**
   * Frees every lease held by an owner whose name starts with `ownerPrefix` other than `currentOwner`:
   * a restarted replica (same stable name) takes back at once what its previous process held,
   * instead of waiting for those leases to expire. Returns how many were freed.
   */
  releaseLeasesOf(ownerPrefix: string, currentOwner: string): Promise<number>;
  /** Drops the lease if `owner` holds it, applying a final patch; false when the lease was lost. */
  release(id: string, owner: string, patch: WatchPatch): Promise<boolean>;

  /** Unsent outbox entries of a watch, oldest first. */
  pendingOutbox(watchId: string): Promise<OutboxEntry[]>;
  /**
   * Counts a delivery attempt, before calling Slack, and records when it started unless an
   * earlier unresolved attempt is recorded (`OutboxEntry.attemptStartedAt` keeps the oldest).
   */
  markOutboxAttempt(watchId: string, key: string, startedAt: number): Promise<void>;
  /**
   * After an attempt that did not deliver: `resolved` (nothing is in Slack from any attempt:
   * Slack refused it, or it was never sent) forgets the recorded start; `counted` false takes the
   * attempt back (Slack asked to wait: not a failure).
   */
  endOutboxAttempt(watchId: string, key: string, outcome: { readonly counted: boolean; readonly resolved: boolean }): Promise<void>;
  markOutboxSent(watchId: string, key: string, sentAt: number, slackTs: string | null): Promise<void>;
  /** All outbox entries of a watch, oldest first (diagnostics and tests). */
  listOutbox(watchId: string): Promise<OutboxEntry[]>;
}

/**
 * `SubscriptionStore`: subscriptions, the runs found for them, and the scanner's per-business
 * cursors. Implemented by the same adapters as `WatchStore` (a run's watch is created with its run).
 */
export interface SubscriptionStore {
  /**
   * Adds a subscription unless the channel already has an active one on the same cron or plan,
   * in which case that one is returned (atomically, as for watches).
   */
  createSubscription(subscription: NewSubscription): Promise<CreateSubscriptionResult>;
  getSubscription(id: string): Promise<Subscription | null>;
  /** The channel's active subscriptions, oldest first. */
  listSubscriptionsByChannel(channelId: string): Promise<Subscription[]>;
  /** Active subscriptions the user made, oldest first (App Home). */
  listSubscriptionsBySubscriber(subscriberId: string): Promise<Subscription[]>;
  countSubscriptionsInChannel(channelId: string): Promise<number>;
  /** Every active subscription, oldest first: the scanner groups them by business. */
  listActiveSubscriptions(): Promise<Subscription[]>;
  /**
   * Applies the patch and bumps the version, if the stored version is still `version` (null:
   * whatever it is, for commands such as unsubscribe). Returns the new subscription, or null
   * when the id is unknown or the version moved on (read again and retry).
   */
  updateSubscription(id: string, version: number | null, patch: SubscriptionPatch): Promise<Subscription | null>;

  /** The newest run create time the scanner has seen in this business (null: never scanned). */
  scanCursor(scope: SubscriptionScope): Promise<number | null>;
  /** Moves the business's cursor forward to `createTime` (never back). */
  advanceScanCursor(scope: SubscriptionScope, createTime: number): Promise<void>;

  /**
   * Records a run of a subscription and creates the watch that follows it, in one transaction.
   * False, and nothing created, when the subscription already has that run (another replica, an
   * overlapping scan window, a restart): a run is announced once.
   */
  addRun(run: Pick<SubscriptionRun, 'subscriptionId' | 'jobInstanceId' | 'createdAt'>, watch: NewWatch): Promise<boolean>;
  getRun(subscriptionId: string, jobInstanceId: number): Promise<SubscriptionRun | null>;
  /**
   * Stores the run's result and applies the subscription patch in one transaction, if the
   * subscription is still at `version`; false (nothing changed) when it is not.
   */
  recordRunResult(subscriptionId: string, version: number, jobInstanceId: number, result: RunResultRecord, patch: SubscriptionPatch): Promise<boolean>;
  /** The subscription's runs created in [from, to), oldest first. */
  listRuns(subscriptionId: string, from: number, to: number): Promise<SubscriptionRun[]>;
}

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

/** The chat refused the message itself (invalid blocks, too long): sending it again cannot help. */
export class RejectedMessageError extends Error {
  constructor(readonly slackError: string) {
    super(`Slack rejected the message: ${slackError}`);
    this.name = 'RejectedMessageError';
  }
}

/**
 * The chat cannot take the message now: rate limited, failing, or (per channel) told to wait.
 * `retryAfterMs`: when to try again. `maybePosted`: the message may be in the chat already (a call
 * that timed out or died with a server error, or an earlier such attempt the chat could not be
 * searched for): the next attempt must look for it before posting again.
 */
export class ChatUnavailableError extends Error {
  constructor(
    readonly retryAfterMs: number,
    readonly maybePosted: boolean,
    readonly why: string,
    /** `wait`: told to wait (rate limit, pace), not a failed attempt; `error`: the call failed. */
    readonly kind: 'wait' | 'error' = 'error',
  ) {
    super(`the chat cannot take the message now (${why}); try again in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'ChatUnavailableError';
  }
}

/**
 * Identifies a message as one outbox entry's delivery (Slack message metadata), so that after a
 * crash or a timeout it can be found instead of posted twice.
 */
export interface DeliveryMark {
  /** The outbox key (or `status` for a watch's status message). */
  readonly key: string;
  /**
   * When an earlier attempt whose outcome is unknown started (`OutboxEntry.attemptStartedAt`, the
   * domain's clock): the chat is searched from then on for a message with this mark before
   * anything is posted. Null: no such attempt, post at once.
   */
  readonly unresolvedSince: number | null;
}

/** How loudly an event is delivered: `urgent` pings the subscriber, `broadcast` shows the thread reply in the channel. */
export interface EventDelivery {
  readonly urgent: boolean;
  readonly broadcast: boolean;
}

/**
 * Where a watch reports: the channel's status message (the job's latest summary, updated in
 * place) and the events in its thread. The adapter decides how they look; the domain hands over
 * domain values only. Failures are reported with the errors above.
 */
export interface WatchNotifier {
  /**
   * Posts the watch's status message showing `summary`; returns its ts. `lookFirst`: an earlier
   * post may have reached the channel unseen (a crash or a timeout): the channel is searched for
   * the watch's status message since the watch was created, and one found is used (and updated).
   */
  postStatus(watch: Watch, summary: JobSummary, options?: { readonly lookFirst: boolean }): Promise<string>;
  /** Shows `summary` in the existing status message `ts`. */
  updateStatus(watch: Watch, ts: string, summary: JobSummary): Promise<void>;
  /** Posts one event in the status message's thread (in the channel when there is none); returns its ts. */
  postEvent(watch: Watch, event: KeyedEvent, delivery: EventDelivery, mark: DeliveryMark): Promise<string>;
  /** Milliseconds until the chat may be asked to post in this channel again (0: now); see ChatUnavailableError. */
  readyInMs(channelId: string): number;
  /** Tells the subscriber directly that the bot can no longer post in the watch's channel. */
  tellLostAccess(watch: Watch): Promise<void>;
}
