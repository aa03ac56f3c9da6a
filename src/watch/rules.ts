/**
 * Notification rules, pure: (previous snapshot, new summary, preference) → events + new snapshot.
 * Each event has a stable key (step, execute count, final state) so the outbox can refuse
 * to enqueue the same event twice, whatever happens between polls.
 */
import { createHash } from 'node:crypto';
import { formatHostAddress } from '../bkjob/model';
import { STEP_STATUS } from '../bkjob/status';
import { stateOfStatus } from '../summary/state';
import type { FailingGroup, JobState, JobSummary, StepSummary } from '../summary/types';
import type { NotifyOn, StepSnapshot, WatchSnapshot } from './types';

export interface FailingGroupBrief {
  readonly ipStatus: number;
  readonly exitCode: number | null;
  readonly count: number;
  /** The first few hosts, formatted (cloud:ip when not in cloud area 0). */
  readonly hosts: readonly string[];
  /** The line of the group's first host that says why it failed (plain BlueKing text); absent when unknown or stored before. */
  readonly errorLine?: string;
  /** The group's known lines differ ("other hosts differ"). */
  readonly othersDiffer?: boolean;
  /** v3/v4: how many of the row's hosts had their logs not read (the row has no line). */
  readonly unread?: number;
}

export interface StepBrief {
  readonly stepInstanceId: number;
  readonly position: number;
  readonly name: string;
  readonly status: number;
  /** Step type (3: confirmation): what a waiting step waits for. Null in v2, and in events stored before it was kept. */
  readonly type?: number | null;
  readonly executeCount: number;
  readonly failedHostCount: number;
  readonly hostCount: number;
}

/** What a watch tells its channel. Plain JSON: stored in the outbox, rendered at delivery. */
export type WatchEvent =
  | { readonly type: 'step_failed'; readonly step: StepBrief; readonly groups: readonly FailingGroupBrief[] }
  | { readonly type: 'step_waiting'; readonly step: StepBrief }
  | { readonly type: 'step_finished'; readonly step: StepBrief }
  | { readonly type: 'job_finished'; readonly state: Extract<JobState, 'succeeded' | 'failed' | 'stopped'>; readonly durationMs: number | null }
  | { readonly type: 'job_abnormal'; readonly step: StepBrief | null }
  /** The first success after a failure (a retry on the same instance, or ignoring the error). */
  | { readonly type: 'job_recovered'; readonly durationMs: number | null }
  | { readonly type: 'watch_paused'; readonly reason: string }
  | { readonly type: 'watch_expired'; readonly ageMs: number }
  /** The channel policy no longer allows the watch in its channel (`reason` in the watch's language). */
  | { readonly type: 'watch_stopped'; readonly reason: string };

export interface KeyedEvent {
  readonly key: string;
  readonly event: WatchEvent;
}

export interface Evaluation {
  readonly events: readonly KeyedEvent[];
  readonly snapshot: WatchSnapshot;
}

const GROUP_SAMPLE = 5;
const GROUPS_IN_EVENT = 5;

const FAILURE_STATES: ReadonlySet<JobState> = new Set(['failed', 'stopped', 'abnormal']);

/** When the watch follows a finished job for retries: how long, and what time it is. */
export interface ResumeWindow {
  readonly now: number;
  /** WATCH_RESUME_WINDOW; 0 turns following retries off. */
  readonly windowMs: number;
}

/**
 * What the rules remember of a summary. `previous` carries over whether the job ever failed
 * and, while it stays in the same resumable end state, when following it for retries ends.
 */
export function snapshotOf(summary: JobSummary, previous: WatchSnapshot | null = null, resume?: ResumeWindow): WatchSnapshot {
  const hadFailure = previous?.hadFailure === true || FAILURE_STATES.has(summary.state);
  let followingRetriesUntil: number | undefined;
  if (resume && resume.windowMs > 0 && summary.finished && summary.resumable) {
    // The same end of the same run keeps its window; a retry that ended again opens a new one.
    const sameEnd = previous !== null && previous.state === summary.state && runOfSteps(previous.steps) === runOfSteps(summary.steps) && previous.followingRetriesUntil !== undefined;
    followingRetriesUntil = sameEnd ? previous.followingRetriesUntil : resume.now + resume.windowMs;
  }
  return {
    ...(summary.name === null ? {} : { jobName: summary.name }),
    state: summary.state,
    steps: summary.steps.map((s) => ({ stepInstanceId: s.stepInstanceId, status: s.status, executeCount: s.executeCount, failedHostCount: s.failedHostCount })),
    ...(hadFailure ? { hadFailure } : {}),
    ...(followingRetriesUntil !== undefined ? { followingRetriesUntil } : {}),
  };
}

/**
 * Which run of the job this is: 0 for the first, then the sum of its steps' execute counts.
 * JOB counts retries per step, and every retry of any step raises the sum, so two runs never
 * share it (the highest count would: retrying step 1 and later step 2 both give 1). Job-level
 * events carry it in their key, so each run's result is announced once.
 */
function runOfSteps(steps: readonly { readonly executeCount: number }[]): number {
  return steps.reduce((sum, step) => sum + step.executeCount, 0);
}

function brief(step: StepSummary): StepBrief {
  return { stepInstanceId: step.stepInstanceId, position: step.position, name: step.name, status: step.status, type: step.type, executeCount: step.executeCount, failedHostCount: step.failedHostCount, hostCount: step.hostCount };
}

/** The step's rows as the summary shows them: split by error line when lines are known. */
function groupsOf(step: StepSummary): FailingGroupBrief[] {
  const rows: ReadonlyArray<FailingGroup & { readonly errorLine?: string | null; readonly othersDiffer?: boolean; readonly unread?: number }> = step.errorRows?.rows ?? step.failingGroups;
  return rows.slice(0, GROUPS_IN_EVENT).map((g) => ({
    ipStatus: g.ipStatus,
    exitCode: g.exitCode,
    count: g.hosts.length,
    hosts: g.hosts.slice(0, GROUP_SAMPLE).map(formatHostAddress),
    ...(g.errorLine ? { errorLine: g.errorLine } : {}),
    ...(g.othersDiffer ? { othersDiffer: true } : {}),
    ...(g.unread ? { unread: g.unread } : {}),
  }));
}

/** The same step in the same run is "unchanged": a retried step (higher execute count) is new. */
function sameRun(prev: StepSnapshot | undefined, step: StepSummary): prev is StepSnapshot {
  return prev !== undefined && prev.executeCount === step.executeCount;
}

const wantsFailures = (notifyOn: NotifyOn) => notifyOn === 'failure' || notifyOn === 'all';

export function evaluate(previous: WatchSnapshot | null, summary: JobSummary, notifyOn: NotifyOn, resume?: ResumeWindow): Evaluation {
  const snapshot = snapshotOf(summary, previous, resume);
  const events: KeyedEvent[] = [];
  const before = new Map((previous?.steps ?? []).map((s) => [s.stepInstanceId, s]));

  for (const step of summary.steps) {
    const prev = before.get(step.stepInstanceId);
    const changed = !sameRun(prev, step) || prev.status !== step.status;
    if (!changed) continue;
    const stepState = stateOfStatus(step.status);
    const run = `${step.stepInstanceId}:${step.executeCount}`;
    if (stepState === 'failed' && wantsFailures(notifyOn)) {
      events.push({ key: `step_failed:${run}`, event: { type: 'step_failed', step: brief(step), groups: groupsOf(step) } });
    } else if (stepState === 'waiting' && wantsFailures(notifyOn)) {
      events.push({ key: `step_waiting:${run}`, event: { type: 'step_waiting', step: brief(step) } });
    } else if (notifyOn === 'all' && (step.status === STEP_STATUS.SUCCESS || step.status === STEP_STATUS.IGNORE_ERROR || step.status === STEP_STATUS.SKIPPED)) {
      // Ignored errors are not failures (the job goes on), but "all" wants to hear about them.
      events.push({ key: `step_finished:${run}`, event: { type: 'step_finished', step: brief(step) } });
    }
  }

  const run = runOfSteps(summary.steps);
  // A retry that ran and ended the same way between two polls is a new result too.
  const stateChanged = previous === null || previous.state !== summary.state || runOfSteps(previous.steps) !== run;
  // The first run keeps the keys it always had; a retried run's results get keys of their own.
  const suffix = run > 0 ? `:${run}` : '';
  if (stateChanged && summary.state === 'abnormal') {
    const step = summary.steps.find((s) => stateOfStatus(s.status) === 'abnormal');
    events.push({ key: `job_abnormal${suffix}`, event: { type: 'job_abnormal', step: step ? brief(step) : null } });
  } else if (stateChanged && summary.state === 'succeeded' && previous !== null && (previous.hadFailure === true || FAILURE_STATES.has(previous.state))) {
    events.push({ key: `job_recovered${suffix}`, event: { type: 'job_recovered', durationMs: summary.durationMs } });
  } else if (stateChanged && (summary.state === 'succeeded' || summary.state === 'failed' || summary.state === 'stopped')) {
    events.push({ key: `job_finished:${summary.state}${suffix}`, event: { type: 'job_finished', state: summary.state, durationMs: summary.durationMs } });
  }
  return { events, snapshot };
}

/** Changes whenever anything the status message shows changes; equal fingerprints skip chat.update. */
export function fingerprint(summary: JobSummary): string {
  const hash = createHash('sha256');
  hash.update(`${summary.state}|${summary.startTime}|${summary.endTime}|${summary.name ?? ''}\n`);
  for (const step of summary.steps) {
    hash.update(`${step.stepInstanceId}:${step.status}:${step.executeCount}:${step.durationMs}:${step.hostCounts.map((c) => `${c.ipStatus}=${c.count}`).join(',')}:`);
    for (const group of step.failingGroups) hash.update(`${group.ipStatus}/${group.exitCode}=${group.hosts.length};`);
    // Error lines may come a poll later (a v3 log late for its budget): the message then changes.
    for (const row of step.errorRows?.rows ?? []) hash.update(`${row.hosts.length}:${row.othersDiffer ? 1 : 0}:${row.errorLine ?? ''};`);
    hash.update('\n');
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Events the channel sees beside the thread: urgent ones, and a recovery (the channel saw the
 * failure; it should see it fixed), and the result when that is all the subscriber asked for.
 */
export function isBroadcast(event: WatchEvent, notifyOn: NotifyOn): boolean {
  return isUrgent(event) || event.type === 'job_recovered' || (event.type === 'job_finished' && notifyOn === 'finish');
}

/** Events that ping: mention the subscriber and broadcast the thread reply to the channel. */
export function isUrgent(event: WatchEvent): boolean {
  return event.type === 'step_failed' || event.type === 'step_waiting' || event.type === 'job_abnormal' || event.type === 'watch_paused' || event.type === 'watch_stopped';
}
