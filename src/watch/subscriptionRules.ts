/**
 * Subscription noise rules, pure: (subscription state, a run's new result) → the next state and
 * what the channel is told. A failing cron pings once, then replies in the first failure's
 * thread (broadcast every Nth time); the first success after failures says "recovered" there;
 * a muted subscription records everything and posts nothing.
 */
import { stateOfStatus } from '../summary/state';
import type { JobState } from '../summary/types';
import type { RunResult, Subscription, SubscriptionState } from './subscriptionTypes';

/** What the channel is told about one run's result. Plain JSON: stored with the run and in the outbox. */
export type RunAnnouncement =
  /** The first failure of a streak: a new channel message with the run's summary, mentioning the subscriber. */
  | { readonly kind: 'failure'; readonly streak: number }
  /** A further failure: a reply with the run's summary in the first failure's thread, broadcast every Nth time. */
  | { readonly kind: 'still_failing'; readonly streak: number; readonly threadTs: string; readonly broadcast: boolean }
  /** A run waiting for someone (confirmation, manual rolling): a new channel message, mentioning the subscriber. */
  | { readonly kind: 'waiting' }
  /** The first success after failures: a line in the failure thread (in the channel when there is none), broadcast. */
  | { readonly kind: 'recovered'; readonly failures: number; readonly failingSince: number | null; readonly threadTs: string | null }
  /** `--on finish|all`: one line for a run that succeeded. */
  | { readonly kind: 'succeeded' };

export interface RunOutcome {
  /** The run's create time in JOB. */
  readonly runCreatedAt: number;
  readonly jobInstanceId: number;
  readonly result: RunResult;
}

/** How long a failure waits for the first failure's message before starting a thread of its own. */
export const FAIL_THREAD_WAIT_MS = 5 * 60_000;

export interface RunDecision {
  /**
   * The first failure of the streak is still being posted: decide again once its ts is known
   * (nothing was changed). Two failing runs reported at once thus share one thread.
   */
  readonly defer?: true;
  readonly state: SubscriptionState;
  /** Null: nothing to post (muted, or a success nobody asked to hear about). */
  readonly announcement: RunAnnouncement | null;
  readonly muted: boolean;
}

const FAILED_STATES: ReadonlySet<JobState> = new Set(['failed', 'stopped', 'abnormal']);

/** What a run's state means to a subscription; null while it is still going. */
export function runResultOf(state: JobState): RunResult | null {
  if (state === 'succeeded') return 'succeeded';
  if (FAILED_STATES.has(state)) return 'failed';
  if (state === 'waiting') return 'waiting';
  return null;
}

/**
 * Which result of the instance this is, as a key: the run (retries raise the sum of the steps'
 * execute counts), the result, and for a failure or a wait the step it is at. Ignoring an error,
 * confirming or going on to the next step keeps the run number, so a later failure or wait in the
 * same run is a new result only by its step.
 */
export function resultMark(state: JobState, steps: readonly { readonly stepInstanceId: number; readonly status: number; readonly executeCount: number }[]): string | null {
  const result = runResultOf(state);
  if (result === null) return null;
  // The last step in that state: after "next step" the stopped one stays stopped, and a later failure is the news.
  const at = result === 'succeeded' ? undefined : [...steps].reverse().find((step) => {
    const stepState = stateOfStatus(step.status);
    return result === 'waiting' ? stepState === 'waiting' : FAILED_STATES.has(stepState);
  });
  return `${runNumberOf({ steps })}:${result}${at ? `:${at.stepInstanceId}.${at.executeCount}` : ''}`;
}

/** Which run of the instance a summary shows: retries raise the sum of the steps' execute counts. */
export function runNumberOf(summary: { readonly steps: readonly { readonly executeCount: number }[] }): number {
  return summary.steps.reduce((sum, step) => sum + step.executeCount, 0);
}

export function isMuted(state: SubscriptionState, now: number): boolean {
  return state.mutedUntil !== null && now < state.mutedUntil;
}

/**
 * The subscription after one run's result, and what to say.
 * @param repeatBroadcast SUBSCRIPTION_REPEAT_BROADCAST: a repeated failure is broadcast to the channel every Nth time.
 */
export function decideRun(sub: Pick<Subscription, 'notifyOn' | 'state'>, outcome: RunOutcome, now: number, repeatBroadcast: number): RunDecision {
  const before = sub.state;
  const muted = isMuted(before, now);
  // A run older than the last one with a result (runs overlapping, a backlog): its news is its
  // own, but the streak and "last run" describe the newer runs and stay as they are.
  if (before.lastRunAt !== null && outcome.runCreatedAt < before.lastRunAt && outcome.jobInstanceId !== before.lastRunId) {
    if (muted) return { state: before, announcement: null, muted };
    if (outcome.result === 'failed' && before.failStreak > 0) {
      // Failing along with the newer runs: it belongs in their thread (once that has a message).
      if (before.failThreadTs !== null) return { state: before, announcement: { kind: 'still_failing', streak: before.failStreak, threadTs: before.failThreadTs, broadcast: false }, muted };
      const pending = before.failThreadPendingSince;
      if (pending !== null && now - pending < FAIL_THREAD_WAIT_MS) return { defer: true, state: before, announcement: null, muted };
    }
    if (outcome.result === 'failed') return { state: before, announcement: { kind: 'failure', streak: 1 }, muted };
    if (outcome.result === 'waiting') return { state: before, announcement: { kind: 'waiting' }, muted };
    return { state: before, announcement: sub.notifyOn === 'failure' ? null : { kind: 'succeeded' }, muted };
  }
  const seen = {
    lastRunId: outcome.jobInstanceId,
    lastRunAt: outcome.runCreatedAt,
    lastResult: outcome.result,
    resultSince: before.lastResult === outcome.result && before.resultSince !== null ? before.resultSince : outcome.runCreatedAt,
  };
  if (outcome.result === 'failed') {
    const streak = before.failStreak + 1;
    const state: SubscriptionState = { ...before, ...seen, failStreak: streak };
    if (muted) return { state, announcement: null, muted };
    if (before.failStreak > 0 && before.failThreadTs !== null) {
      return { state, announcement: { kind: 'still_failing', streak, threadTs: before.failThreadTs, broadcast: repeatBroadcast > 0 && streak % repeatBroadcast === 0 }, muted };
    }
    const pending = before.failThreadPendingSince;
    if (before.failStreak > 0 && pending !== null && now - pending < FAIL_THREAD_WAIT_MS) return { defer: true, state: before, announcement: null, muted };
    // The thread's ts is known once the message is posted (see `withFailThread`).
    return { state: { ...state, failThreadTs: null, failThreadPendingSince: now, failStreakRunId: outcome.jobInstanceId }, announcement: { kind: 'failure', streak }, muted };
  }
  if (outcome.result === 'waiting') {
    // Waiting is neither a failure nor a success: the streak stands.
    const state: SubscriptionState = { ...before, lastRunId: outcome.jobInstanceId, lastRunAt: outcome.runCreatedAt };
    return { state, announcement: muted ? null : { kind: 'waiting' }, muted };
  }
  const state: SubscriptionState = { ...before, ...seen, failStreak: 0, failThreadTs: null, failThreadPendingSince: null, failStreakRunId: null };
  if (muted) return { state, announcement: null, muted };
  if (before.failStreak > 0) {
    const failingSince = before.lastResult === 'failed' ? before.resultSince : null;
    return { state, announcement: { kind: 'recovered', failures: before.failStreak, failingSince, threadTs: before.failThreadTs }, muted };
  }
  return { state, announcement: sub.notifyOn === 'failure' ? null : { kind: 'succeeded' }, muted };
}

/**
 * The state once the first failure's message is posted: later failures reply under `ts` while the
 * streak lasts. Only the run that started the current streak sets it: a message posted late, after
 * a success ended its streak and another began, does not become the new streak's thread.
 */
export function withFailThread(state: SubscriptionState, runId: number, ts: string): SubscriptionState | null {
  if (state.failStreakRunId !== runId || state.failThreadTs !== null || state.failStreak === 0) return null;
  return { ...state, failThreadTs: ts, failThreadPendingSince: null };
}

/** Broadcast the thread reply to the channel? Failures and waits are their own channel messages. */
export function announcementIsBroadcast(announcement: RunAnnouncement): boolean {
  return announcement.kind === 'recovered' || (announcement.kind === 'still_failing' && announcement.broadcast);
}

/** Summary of the runs while muted, for the one line posted when the mute ends. */
export interface MutedPeriod {
  readonly runs: number;
  readonly failed: number;
  readonly lastResult: RunResult | null;
}

export function mutedPeriodOf(runs: readonly { readonly result: RunResult | null }[]): MutedPeriod {
  const finished = runs.filter((r) => r.result !== null);
  return { runs: runs.length, failed: finished.filter((r) => r.result === 'failed').length, lastResult: finished.at(-1)?.result ?? null };
}

export interface DigestRun {
  readonly jobInstanceId: number;
  readonly createdAt: number;
  readonly result: RunResult | null;
  readonly durationMs: number | null;
}

export interface Digest {
  readonly runs: number;
  readonly failed: number;
  readonly succeeded: number;
  /** Percent of finished runs that succeeded, rounded; null when none finished. */
  readonly successRate: number | null;
  readonly slowest: DigestRun | null;
}

export function digestOf(runs: readonly DigestRun[]): Digest {
  const succeeded = runs.filter((r) => r.result === 'succeeded').length;
  const failed = runs.filter((r) => r.result === 'failed').length;
  const finished = succeeded + failed;
  let slowest: DigestRun | null = null;
  for (const run of runs) if (run.durationMs !== null && (slowest === null || run.durationMs > (slowest.durationMs ?? 0))) slowest = run;
  return { runs: runs.length, failed, succeeded, successRate: finished === 0 ? null : Math.round((succeeded / finished) * 100), slowest };
}
