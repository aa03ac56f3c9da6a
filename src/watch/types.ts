/**
 * Watch domain types: a Slack channel subscribed to one BlueKing JOB job instance.
 * Shared by the store adapters, the notification rules and the poller.
 */
import type { JobRef } from '../bkjob/model';
import type { JobState, JobSummary } from '../summary/types';

/** failure: failures and waiting-for-user; finish: the final result only; all: everything. */
export type NotifyOn = 'failure' | 'finish' | 'all';
export const NOTIFY_ON_VALUES: readonly NotifyOn[] = ['failure', 'finish', 'all'];

/** active: polled; paused: stopped after errors or lost channel access; ended: job finished or unwatched; expired: WATCH_MAX_AGE passed. */
export type WatchStatus = 'active' | 'paused' | 'ended' | 'expired';

/** What the rules remember about the job from the last poll, to tell what changed. */
export interface WatchSnapshot {
  readonly state: JobState;
  readonly steps: readonly StepSnapshot[];
  /** The job's name when the API gives one (v3), for lists; absent otherwise. */
  readonly jobName?: string;
  /** The job failed, stopped or turned abnormal at some point while watched (a later success is a recovery). */
  readonly hadFailure?: boolean;
  /**
   * Set while the job sits failed, stopped or abnormal in a state JOB lets go on: the watch
   * follows it for a retry on the same instance until this time (WATCH_RESUME_WINDOW).
   */
  readonly followingRetriesUntil?: number;
}

export interface StepSnapshot {
  readonly stepInstanceId: number;
  readonly status: number;
  readonly executeCount: number;
  readonly failedHostCount: number;
}

export interface Watch {
  readonly id: string;
  readonly channelId: string;
  readonly ref: JobRef;
  /** Slack user who subscribed: mentioned on failures. */
  readonly subscriberId: string;
  /**
   * The subscriber's BlueKing user when the watch was created: the poller acts as it, with no
   * look-up per poll. Null: the configured user (BK_USER_MAPPING=fixed) or a watch from before
   * per-user identity, which polls as whatever the subscriber resolves to.
   */
  readonly bkUsername: string | null;
  readonly notifyOn: NotifyOn;
  readonly status: WatchStatus;
  /** Why the watch is paused/ended/expired, for `/joblog list`: mrkdwn, already escaped where it quotes BlueKing. */
  readonly statusReason: string | null;
  /** ts of the channel message that shows the job's latest summary; events thread under it. */
  readonly statusMessageTs: string | null;
  readonly snapshot: WatchSnapshot | null;
  /** Fingerprint of the last rendered summary: unchanged → no chat.update. */
  readonly fingerprint: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastPolledAt: number | null;
  /** Last time the job was seen to change; quiet jobs are polled less often. */
  readonly lastChangedAt: number;
  readonly nextPollAt: number;
  readonly consecutiveErrors: number;
  readonly lastError: string | null;
  /** Set when the watch follows one run of a subscription's cron or plan; null for a watch someone started. */
  readonly run: RunOf | null;
  /**
   * The thread the watch's events go to when it is not under the status message: a subscription
   * run announced as a reply in the subscription's failure thread. Null: the status message's thread.
   */
  readonly threadTs: string | null;
}

/** What a run watch knows of its subscription, to render and place its messages without a look-up. */
export interface RunOf {
  readonly subscriptionId: string;
  readonly kind: 'cron' | 'plan';
  readonly targetId: number;
  readonly targetName: string;
  /** Failed runs in a row, this one included, when it was announced as a failure; 0 otherwise. */
  readonly streak: number;
}

export interface NewWatch {
  readonly channelId: string;
  readonly ref: JobRef;
  readonly subscriberId: string;
  /** See `Watch.bkUsername`; absent means null. */
  readonly bkUsername?: string | null;
  readonly notifyOn: NotifyOn;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly statusMessageTs: string | null;
  readonly snapshot: WatchSnapshot | null;
  readonly fingerprint: string | null;
  readonly nextPollAt: number;
  /** The summary the status message shows (see `WatchStore.lastSummary`). */
  readonly lastSummary?: JobSummary | null;
  /** See `Watch.run`; absent means null. */
  readonly run?: RunOf | null;
  /** Created already leased to this owner until then (a watch reserved while its status message is posted). */
  readonly lease?: { readonly owner: string; readonly until: number };
}

/** Fields the poller and commands change; omitted fields stay as they are. */
export type WatchPatch = Partial<
  Pick<Watch, 'status' | 'statusReason' | 'statusMessageTs' | 'snapshot' | 'fingerprint' | 'lastPolledAt' | 'lastChangedAt' | 'nextPollAt' | 'consecutiveErrors' | 'lastError' | 'expiresAt' | 'run' | 'threadTs'>
> & {
  /** Written only: read back with `WatchStore.lastSummary`, never with the watch (it can be large). */
  readonly lastSummary?: JobSummary;
};

/**
 * A notification in the outbox. Rules enqueue events in the same transaction that saves the new
 * snapshot, then the poller delivers and marks them sent: a crash in between leaves them pending
 * for the next poll (never lost), and the (watchId, key) uniqueness means an event is enqueued once.
 */
export interface OutboxEntry {
  readonly watchId: string;
  /** Stable identity of the event, e.g. `step_failed:2003771002:0`. */
  readonly key: string;
  /** JSON-serialisable event description, rendered at delivery time. */
  readonly payload: unknown;
  readonly createdAt: number;
  readonly attempts: number;
  /**
   * When the oldest delivery attempt whose outcome is unknown started (the process died during it,
   * or Slack timed out): the message may be in Slack already, so it is looked for before posting.
   * Null when no attempt is unresolved.
   */
  readonly attemptStartedAt: number | null;
  readonly sentAt: number | null;
  readonly slackTs: string | null;
}

export interface NewOutboxEntry {
  readonly key: string;
  readonly payload: unknown;
}
