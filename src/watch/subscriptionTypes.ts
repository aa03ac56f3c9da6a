/**
 * Subscription domain types: a Slack channel following every run of one JOB cron or job plan.
 * Runs are found by the scanner (one list call per business), recorded once per subscription,
 * and each is followed by a watch of its own (`Watch.run`) that says nothing until there is
 * something to say.
 */
import type { JobRef } from '../bkjob/model';
import type { NotifyOn } from './types';

export type SubscriptionKind = 'cron' | 'plan';
export const SUBSCRIPTION_KINDS: readonly SubscriptionKind[] = ['cron', 'plan'];

/** A business or business set: where the cron or plan lives. */
export type SubscriptionScope = Pick<JobRef, 'bizId' | 'scopeType'>;

/** What the subscription follows, as JOB described it when last read (at subscribe time, then hourly). */
export interface SubscriptionTarget {
  readonly kind: SubscriptionKind;
  /** The cron id or the job plan id. */
  readonly id: number;
  readonly name: string;
  /** The plan the runs come from: the cron's plan, or the plan itself. */
  readonly planId: number;
  /** Crons: the crontab expression (null for a one-off cron) and its time zone (IANA). */
  readonly expression: string | null;
  readonly timeZone: string | null;
  /** Plans: the template the plan belongs to. */
  readonly templateId: number | null;
}

/** How a run ended up, as far as the channel is concerned. */
export type RunResult = 'succeeded' | 'failed' | 'waiting';

/**
 * The noise state: what the channel has been told so far. Changed only through
 * `SubscriptionStore.recordRunResult`/`updateSubscription` with the version it was read at, so
 * two replicas reporting two runs of one subscription never lose each other's update.
 */
export interface SubscriptionState {
  /** Failed runs in a row (0 after a success). */
  readonly failStreak: number;
  /** ts of the channel message announcing the first failure of the current streak: later failures reply under it. */
  readonly failThreadTs: string | null;
  /**
   * When the first failure's message was decided but its ts is not known yet (being posted, maybe
   * by another replica): a second failure waits for it rather than start a second thread.
   */
  readonly failThreadPendingSince: number | null;
  /** The run whose failure started the streak: only its message may become the thread. */
  readonly failStreakRunId: number | null;
  readonly lastRunId: number | null;
  /** Creation time of the last run with a result. */
  readonly lastRunAt: number | null;
  readonly lastResult: RunResult | null;
  /** Since when the last result has been the same (the first run of the streak). */
  readonly resultSince: number | null;
  /** Muted until this time: runs are recorded, nothing is posted. */
  readonly mutedUntil: number | null;
  readonly mutedAt: number | null;
  readonly mutedBy: string | null;
  /** When the last daily digest was posted (its scheduled time). */
  readonly lastDigestAt: number | null;
  /** When the cron or plan was last read from JOB. */
  readonly targetCheckedAt: number;
}

export type SubscriptionStatus = 'active' | 'ended';

export interface Subscription {
  readonly id: string;
  readonly channelId: string;
  readonly scope: SubscriptionScope;
  readonly target: SubscriptionTarget;
  /** Slack user who subscribed: mentioned on failures. */
  readonly subscriberId: string;
  /** The subscriber's BlueKing user: runs are listed and polled as it (see `Watch.bkUsername`). */
  readonly bkUsername: string | null;
  readonly notifyOn: NotifyOn;
  /** Daily digest time `HH:MM` in the cron's time zone (else UTC); null: no digest. */
  readonly digestAt: string | null;
  readonly status: SubscriptionStatus;
  /** Why it ended: mrkdwn, already escaped where it quotes BlueKing. */
  readonly statusReason: string | null;
  readonly createdAt: number;
  /** Bumped by every write: the optimistic lock of `updateSubscription` and `recordRunResult`. */
  readonly version: number;
  readonly state: SubscriptionState;
}

export interface NewSubscription {
  readonly channelId: string;
  readonly scope: SubscriptionScope;
  readonly target: SubscriptionTarget;
  readonly subscriberId: string;
  readonly bkUsername: string | null;
  readonly notifyOn: NotifyOn;
  readonly digestAt: string | null;
  readonly createdAt: number;
}

export type SubscriptionPatch = Partial<Pick<Subscription, 'status' | 'statusReason' | 'target' | 'notifyOn' | 'digestAt'>> & {
  readonly state?: SubscriptionState;
};

export type CreateSubscriptionResult = { readonly created: true; readonly subscription: Subscription } | { readonly created: false; readonly existing: Subscription };

/** One run of a subscription's cron or plan, recorded when the scanner first matched it. */
export interface SubscriptionRun {
  readonly subscriptionId: string;
  readonly jobInstanceId: number;
  /** The run's create time in JOB (epoch ms). */
  readonly createdAt: number;
  readonly watchId: string;
  readonly result: RunResult | null;
  readonly durationMs: number | null;
  /** When the result was recorded. */
  readonly finishedAt: number | null;
  /** Nothing was posted for it: the subscription was muted. */
  readonly muted: boolean;
  /** What the domain decided for the result (JSON it wrote, read back untrusted). */
  readonly outcome: unknown;
}

export interface RunResultRecord {
  readonly result: RunResult;
  readonly durationMs: number | null;
  readonly finishedAt: number;
  readonly muted: boolean;
  /** JSON-serialisable decision, stored with the result (see `SubscriptionRun.outcome`). */
  readonly outcome: unknown;
}

export function initialSubscriptionState(now: number): SubscriptionState {
  return { failStreak: 0, failThreadTs: null, failThreadPendingSince: null, failStreakRunId: null, lastRunId: null, lastRunAt: null, lastResult: null, resultSince: null, mutedUntil: null, mutedAt: null, mutedBy: null, lastDigestAt: null, targetCheckedAt: now };
}

/** The same cron or plan in the same business (one open subscription per channel and target). */
export function subscriptionTargetKey(scope: SubscriptionScope, target: Pick<SubscriptionTarget, 'kind' | 'id'>): string {
  return `${scope.scopeType ?? 'biz'}:${scope.bizId}:${target.kind}:${target.id}`;
}
