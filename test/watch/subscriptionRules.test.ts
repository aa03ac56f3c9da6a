/**
 * Subscription noise rules (src/watch/subscriptionRules.ts), pure: what a run's result does to
 * the subscription's state and what the channel is told; the fail thread; run results and run
 * numbers; the muted-period line and the daily digest figures.
 */
import type { JobState } from '../../src/summary/types';
import { resultMark, type DigestRun, FAIL_THREAD_WAIT_MS, type RunOutcome, decideRun, digestOf, isMuted, mutedPeriodOf, runNumberOf, runResultOf, withFailThread } from '../../src/watch/subscriptionRules';
import { type RunResult, type SubscriptionState, initialSubscriptionState } from '../../src/watch/subscriptionTypes';
import type { NotifyOn } from '../../src/watch/types';

/** 2024-06-11 03:00 UTC: the subscription's creation. */
const T0 = Date.UTC(2024, 5, 11, 3, 0);
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const THREAD_TS = '1718074800.000100';
const BROADCAST_EVERY = 5;

function stateOf(overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return { ...initialSubscriptionState(T0), ...overrides };
}

function sub(state: SubscriptionState, notifyOn: NotifyOn = 'failure') {
  return { notifyOn, state };
}

/** The run of day `day` (created at T0 + day days), job instance 1000 + day. */
function run(day: number, result: RunResult): RunOutcome {
  return { runCreatedAt: T0 + day * DAY, jobInstanceId: 1000 + day, result };
}

/** "now" shortly after run `day` finished. */
const after = (day: number) => T0 + day * DAY + 10 * 60_000;

/** The state after `failures` failed runs (days 1…failures), the first announced in THREAD_TS. */
function failing(failures: number, thread: string | null = THREAD_TS): SubscriptionState {
  return stateOf({ failStreak: failures, failThreadTs: thread, lastRunId: 1000 + failures, lastRunAt: T0 + failures * DAY, lastResult: 'failed', resultSince: T0 + DAY });
}

describe('decideRun: failures', () => {
  it('announces the first failure as a new message, streak 1, with no thread yet (its message pending from now)', () => {
    const decision = decideRun(sub(stateOf()), run(1, 'failed'), after(1), BROADCAST_EVERY);
    expect(decision).toEqual({
      announcement: { kind: 'failure', streak: 1 },
      muted: false,
      state: { ...stateOf(), failStreak: 1, failThreadTs: null, failThreadPendingSince: after(1), failStreakRunId: 1001, lastRunId: 1001, lastRunAt: T0 + DAY, lastResult: 'failed', resultSince: T0 + DAY },
    });
    expect(decision.defer).toBeUndefined();
  });

  it("replies to a second failure in the first one's thread, not broadcast, keeping when failing began", () => {
    const decision = decideRun(sub(failing(1)), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'still_failing', streak: 2, threadTs: THREAD_TS, broadcast: false });
    expect(decision.muted).toBe(false);
    expect(decision.state).toEqual({ ...failing(1), failStreak: 2, failThreadTs: THREAD_TS, lastRunId: 1002, lastRunAt: T0 + 2 * DAY, lastResult: 'failed', resultSince: T0 + DAY });
  });

  it.each([
    [4, 5, true],
    [3, 4, false],
    [5, 6, false],
    [9, 10, true],
  ])('broadcasts a repeated failure every 5th time (streak %i → %i: %s)', (before, streak, broadcast) => {
    const decision = decideRun(sub(failing(before)), run(before + 1, 'failed'), after(before + 1), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'still_failing', streak, threadTs: THREAD_TS, broadcast });
  });

  it.each([1, 4, 9])('never broadcasts with SUBSCRIPTION_REPEAT_BROADCAST 0 (streak %i → next)', (before) => {
    const decision = decideRun(sub(failing(before)), run(before + 1, 'failed'), after(before + 1), 0);
    expect(decision.announcement).toEqual({ kind: 'still_failing', streak: before + 1, threadTs: THREAD_TS, broadcast: false });
  });

  it('announces a new failure message when the streak has no thread (the first message was never posted)', () => {
    const decision = decideRun(sub(failing(2, null)), run(3, 'failed'), after(3), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'failure', streak: 3 });
    expect(decision.defer).toBeUndefined();
    expect(decision.state).toMatchObject({ failStreak: 3, failThreadTs: null, failThreadPendingSince: after(3), lastRunId: 1003, resultSince: T0 + DAY });
  });

  it("defers a second failure while the first one's message is being posted: nothing changes", () => {
    const before = { ...failing(1, null), failThreadPendingSince: after(2) - 60_000 };
    const decision = decideRun(sub(before), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision).toEqual({ defer: true, state: before, announcement: null, muted: false });
  });

  it(`stops waiting for the first failure's message after ${FAIL_THREAD_WAIT_MS / 60_000} minutes: a message of its own`, () => {
    expect(FAIL_THREAD_WAIT_MS).toBe(5 * 60_000);
    const justBefore = { ...failing(1, null), failThreadPendingSince: after(2) - FAIL_THREAD_WAIT_MS + 1 };
    expect(decideRun(sub(justBefore), run(2, 'failed'), after(2), BROADCAST_EVERY).defer).toBe(true);
    const expired = { ...failing(1, null), failThreadPendingSince: after(2) - FAIL_THREAD_WAIT_MS };
    const decision = decideRun(sub(expired), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision.defer).toBeUndefined();
    expect(decision.announcement).toEqual({ kind: 'failure', streak: 2 });
    expect(decision.state).toMatchObject({ failStreak: 2, failThreadTs: null, failThreadPendingSince: after(2) });
  });

  it('does not defer a first failure, even with a stale pending time', () => {
    const decision = decideRun(sub(stateOf({ failThreadPendingSince: after(1) - 1000 })), run(1, 'failed'), after(1), BROADCAST_EVERY);
    expect(decision.defer).toBeUndefined();
    expect(decision.announcement).toEqual({ kind: 'failure', streak: 1 });
  });

  it('replies in the thread once it is known, whatever is pending', () => {
    const before = { ...failing(1), failThreadPendingSince: after(2) - 1000 };
    expect(decideRun(sub(before), run(2, 'failed'), after(2), BROADCAST_EVERY).announcement).toEqual({ kind: 'still_failing', streak: 2, threadTs: THREAD_TS, broadcast: false });
  });

  it('starts resultSince again when a failure follows a success', () => {
    const before = stateOf({ lastRunId: 1001, lastRunAt: T0 + DAY, lastResult: 'succeeded', resultSince: T0 });
    const decision = decideRun(sub(before), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision.state).toMatchObject({ lastResult: 'failed', resultSince: T0 + 2 * DAY, failStreak: 1 });
  });
});

describe('decideRun: successes', () => {
  it('says "recovered" after failures, in the failure thread, with how many and since when; the streak resets', () => {
    const before = { ...failing(3), failThreadPendingSince: after(3) };
    const decision = decideRun(sub(before), run(4, 'succeeded'), after(4), BROADCAST_EVERY);
    expect(decision).toEqual({
      announcement: { kind: 'recovered', failures: 3, failingSince: T0 + DAY, threadTs: THREAD_TS },
      muted: false,
      state: { ...failing(3), failStreak: 0, failThreadTs: null, failThreadPendingSince: null, lastRunId: 1004, lastRunAt: T0 + 4 * DAY, lastResult: 'succeeded', resultSince: T0 + 4 * DAY },
    });
  });

  it('recovers with no thread when the failure message was never posted', () => {
    const decision = decideRun(sub(failing(1, null)), run(2, 'succeeded'), after(2), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'recovered', failures: 1, failingSince: T0 + DAY, threadTs: null });
  });

  it('recovers with failingSince null when the last result was not a failure', () => {
    const before = stateOf({ failStreak: 1, failThreadTs: THREAD_TS, lastResult: null, resultSince: null });
    const decision = decideRun(sub(before), run(2, 'succeeded'), after(2), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'recovered', failures: 1, failingSince: null, threadTs: THREAD_TS });
  });

  it('recovers with --on finish and all as well (not a plain "succeeded")', () => {
    for (const notifyOn of ['finish', 'all'] as const) {
      expect(decideRun(sub(failing(2), notifyOn), run(3, 'succeeded'), after(3), BROADCAST_EVERY).announcement).toEqual({ kind: 'recovered', failures: 2, failingSince: T0 + DAY, threadTs: THREAD_TS });
    }
  });

  it('says nothing about a success without failures for --on failure, but records it', () => {
    const decision = decideRun(sub(stateOf(), 'failure'), run(1, 'succeeded'), after(1), BROADCAST_EVERY);
    expect(decision).toEqual({
      announcement: null,
      muted: false,
      state: { ...stateOf(), lastRunId: 1001, lastRunAt: T0 + DAY, lastResult: 'succeeded', resultSince: T0 + DAY },
    });
  });

  it.each<NotifyOn>(['finish', 'all'])('says "succeeded" for a success without failures with --on %s', (notifyOn) => {
    const decision = decideRun(sub(stateOf(), notifyOn), run(1, 'succeeded'), after(1), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'succeeded' });
    expect(decision.muted).toBe(false);
  });

  it('carries resultSince while the result repeats', () => {
    const before = stateOf({ lastRunId: 1001, lastRunAt: T0 + DAY, lastResult: 'succeeded', resultSince: T0 + DAY });
    const decision = decideRun(sub(before), run(5, 'succeeded'), after(5), BROADCAST_EVERY);
    expect(decision.state).toMatchObject({ lastRunId: 1005, lastRunAt: T0 + 5 * DAY, lastResult: 'succeeded', resultSince: T0 + DAY });
  });

  it('starts resultSince at the run when the same result has no start recorded', () => {
    const before = stateOf({ lastResult: 'succeeded', resultSince: null });
    expect(decideRun(sub(before), run(2, 'succeeded'), after(2), BROADCAST_EVERY).state.resultSince).toBe(T0 + 2 * DAY);
  });
});

describe('decideRun: waiting', () => {
  it('announces a wait; the streak, the thread, the last result and its start stand', () => {
    const before = failing(2);
    const decision = decideRun(sub(before), run(3, 'waiting'), after(3), BROADCAST_EVERY);
    expect(decision).toEqual({
      announcement: { kind: 'waiting' },
      muted: false,
      state: { ...before, lastRunId: 1003, lastRunAt: T0 + 3 * DAY },
    });
    expect(decision.state).toMatchObject({ failStreak: 2, failThreadTs: THREAD_TS, lastResult: 'failed', resultSince: T0 + DAY });
  });

  it('announces a wait for --on failure with no failures too, leaving lastResult null', () => {
    const decision = decideRun(sub(stateOf()), run(1, 'waiting'), after(1), BROADCAST_EVERY);
    expect(decision.announcement).toEqual({ kind: 'waiting' });
    expect(decision.state).toEqual({ ...stateOf(), lastRunId: 1001, lastRunAt: T0 + DAY });
  });
});

describe('decideRun: muted', () => {
  const mutedUntil = after(2) + HOUR;

  it('posts nothing for a failure while muted, but records it (streak and state move on; nothing pending)', () => {
    const before = { ...failing(1), mutedUntil, mutedAt: T0 + DAY, mutedBy: 'U0ALICE01' };
    const decision = decideRun(sub(before), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision).toEqual({ announcement: null, muted: true, state: { ...before, failStreak: 2, lastRunId: 1002, lastRunAt: T0 + 2 * DAY } });
  });

  it('posts nothing for a first failure while muted', () => {
    const before = stateOf({ mutedUntil });
    const decision = decideRun(sub(before), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision.announcement).toBeNull();
    expect(decision.muted).toBe(true);
    expect(decision.state).toMatchObject({ failStreak: 1, failThreadTs: null, failThreadPendingSince: null, lastResult: 'failed', mutedUntil });
  });

  it('posts no recovery while muted, and the streak resets', () => {
    const before = { ...failing(3), mutedUntil: after(4) + HOUR };
    const decision = decideRun(sub(before, 'all'), run(4, 'succeeded'), after(4), BROADCAST_EVERY);
    expect(decision.announcement).toBeNull();
    expect(decision.muted).toBe(true);
    expect(decision.state).toMatchObject({ failStreak: 0, failThreadTs: null, lastResult: 'succeeded', mutedUntil: after(4) + HOUR });
  });

  it('posts no wait while muted', () => {
    const decision = decideRun(sub(stateOf({ mutedUntil })), run(2, 'waiting'), after(2), BROADCAST_EVERY);
    expect(decision).toEqual({ announcement: null, muted: true, state: stateOf({ mutedUntil, lastRunId: 1002, lastRunAt: T0 + 2 * DAY }) });
  });

  it('speaks again once the mute has ended (now equal to mutedUntil counts as ended)', () => {
    const before = stateOf({ mutedUntil: after(2) });
    const decision = decideRun(sub(before), run(2, 'failed'), after(2), BROADCAST_EVERY);
    expect(decision.muted).toBe(false);
    expect(decision.announcement).toEqual({ kind: 'failure', streak: 1 });
    expect(decideRun(sub(before), run(2, 'failed'), after(2) + 1, BROADCAST_EVERY).muted).toBe(false);
    expect(decideRun(sub(before), run(2, 'failed'), after(2) - 1, BROADCAST_EVERY).muted).toBe(true);
  });

  it('isMuted: only strictly before mutedUntil', () => {
    expect(isMuted(stateOf(), T0)).toBe(false);
    expect(isMuted(stateOf({ mutedUntil: T0 + 1 }), T0)).toBe(true);
    expect(isMuted(stateOf({ mutedUntil: T0 }), T0)).toBe(false);
  });
});

describe('decideRun: a run older than the last one with a result', () => {
  it('fails into the current streak\'s thread without changing the streak', () => {
    const before = failing(3);
    const decision = decideRun(sub(before), run(2, 'failed'), after(4), BROADCAST_EVERY);
    expect(decision).toEqual({ state: before, announcement: { kind: 'still_failing', streak: before.failStreak, threadTs: THREAD_TS, broadcast: false }, muted: false });
  });

  it('after newer runs succeeded, its failure is news of its own and the state stays', () => {
    const before = stateOf({ lastRunId: 1003, lastRunAt: T0 + 3 * DAY, lastResult: 'succeeded', resultSince: T0 + 3 * DAY });
    const decision = decideRun(sub(before), run(2, 'failed'), after(4), BROADCAST_EVERY);
    expect(decision).toEqual({ state: before, announcement: { kind: 'failure', streak: 1 }, muted: false });
  });

  it('its success changes nothing and, with --on failure, says nothing', () => {
    const before = failing(3);
    expect(decideRun(sub(before), run(2, 'succeeded'), after(4), BROADCAST_EVERY)).toEqual({ state: before, announcement: null, muted: false });
  });
});

describe('resultMark', () => {
  it('a failure after "next step" past a stopped step is a new result (the last failing step marks it)', () => {
    expect(resultMark('stopped', [{ stepInstanceId: 1, status: 11, executeCount: 0 }, { stepInstanceId: 2, status: 1, executeCount: 0 }])).toBe('0:failed:1.0');
    expect(resultMark('failed', [{ stepInstanceId: 1, status: 11, executeCount: 0 }, { stepInstanceId: 2, status: 4, executeCount: 0 }])).toBe('0:failed:2.0');
    expect(resultMark('succeeded', [{ stepInstanceId: 1, status: 3, executeCount: 1 }])).toBe('1:succeeded');
    expect(resultMark('running', [{ stepInstanceId: 1, status: 2, executeCount: 0 }])).toBeNull();
  });
});

describe('withFailThread', () => {
  it('remembers the thread of the first failure while its streak lasts; nothing is pending any more', () => {
    const state = { ...failing(1, null), failThreadPendingSince: after(1), failStreakRunId: 1001 };
    expect(withFailThread(state, 1001, THREAD_TS)).toEqual({ ...state, failThreadTs: THREAD_TS, failThreadPendingSince: null });
  });

  it('remembers it when later failures of the streak came first', () => {
    const state = { ...failing(3, null), failThreadPendingSince: after(1), failStreakRunId: 1001 };
    expect(withFailThread(state, 1001, THREAD_TS)).toEqual({ ...state, failThreadTs: THREAD_TS, failThreadPendingSince: null });
  });

  it('does nothing when the message comes from a run of an earlier streak (a success and a new failure came between)', () => {
    const state = { ...failing(1, null), failThreadPendingSince: after(3), failStreakRunId: 1003 };
    expect(withFailThread(state, 1001, THREAD_TS)).toBeNull();
  });

  it('does nothing when a success ended the streak first', () => {
    expect(withFailThread(stateOf({ lastResult: 'succeeded' }), 1, THREAD_TS)).toBeNull();
  });

  it('does nothing when the streak already has a thread', () => {
    expect(withFailThread(failing(2, '1718000000.000001'), 1, THREAD_TS)).toBeNull();
  });
});

describe('runResultOf', () => {
  it.each<[JobState, RunResult | null]>([
    ['pending', null],
    ['running', null],
    ['waiting', 'waiting'],
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
    ['stopped', 'failed'],
    ['abnormal', 'failed'],
  ])('%s → %s', (state, result) => {
    expect(runResultOf(state)).toBe(result);
  });
});

describe('runNumberOf', () => {
  it('sums the execute counts of the steps', () => {
    expect(runNumberOf({ steps: [] })).toBe(0);
    expect(runNumberOf({ steps: [{ executeCount: 0 }, { executeCount: 0 }] })).toBe(0);
    expect(runNumberOf({ steps: [{ executeCount: 1 }, { executeCount: 2 }, { executeCount: 0 }] })).toBe(3);
  });
});

describe('mutedPeriodOf', () => {
  it('counts runs and failures; the last result is the last finished run', () => {
    expect(mutedPeriodOf([{ result: 'failed' }, { result: 'failed' }, { result: 'succeeded' }, { result: null }])).toEqual({ runs: 4, failed: 2, lastResult: 'succeeded' });
    expect(mutedPeriodOf([{ result: 'succeeded' }, { result: 'waiting' }])).toEqual({ runs: 2, failed: 0, lastResult: 'waiting' });
  });

  it('has no last result when nothing finished (or nothing ran)', () => {
    expect(mutedPeriodOf([{ result: null }])).toEqual({ runs: 1, failed: 0, lastResult: null });
    expect(mutedPeriodOf([])).toEqual({ runs: 0, failed: 0, lastResult: null });
  });
});

describe('digestOf', () => {
  const digestRun = (id: number, result: RunResult | null, durationMs: number | null): DigestRun => ({ jobInstanceId: id, createdAt: T0 + id * HOUR, result, durationMs });

  it('rounds the success rate of finished runs and finds the slowest run', () => {
    const runs = [digestRun(1, 'succeeded', 60_000), digestRun(2, 'failed', 300_000), digestRun(3, 'succeeded', 90_000), digestRun(4, null, null)];
    expect(digestOf(runs)).toEqual({ runs: 4, failed: 1, succeeded: 2, successRate: 67, slowest: runs[1] });
  });

  it('rounds down as well (1 of 3 → 33) and counts waiting runs as runs only', () => {
    const runs = [digestRun(1, 'succeeded', 1000), digestRun(2, 'failed', 1000), digestRun(3, 'failed', 2000), digestRun(4, 'waiting', null)];
    expect(digestOf(runs)).toEqual({ runs: 4, failed: 2, succeeded: 1, successRate: 33, slowest: runs[2] });
  });

  it('keeps the first of equally slow runs', () => {
    const runs = [digestRun(1, 'succeeded', 5000), digestRun(2, 'succeeded', 5000)];
    expect(digestOf(runs).slowest).toBe(runs[0]);
    expect(digestOf(runs).successRate).toBe(100);
  });

  it('has no rate when no run finished, and no slowest without durations', () => {
    expect(digestOf([digestRun(1, null, null), digestRun(2, 'waiting', null)])).toEqual({ runs: 2, failed: 0, succeeded: 0, successRate: null, slowest: null });
    expect(digestOf([])).toEqual({ runs: 0, failed: 0, succeeded: 0, successRate: null, slowest: null });
  });
});
