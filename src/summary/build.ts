/**
 * Pure: a normalised `JobInstance` → `JobSummary`. No Slack, no HTTP, no clock.
 */
import { type HostAddress, type JobInstance, type StepInstance, addressOf, hostKey } from '../bkjob/model';
import { STEP_STATUS, isHostFailure } from '../bkjob/status';
import { ERROR_ROWS_PER_STEP, groupByErrorLine } from './errorGroups';
import { pickErrorLine } from './errorLine';
import { isResumableStatus, stateOfStatus } from './state';
import type { FailingGroup, HostStatusCount, JobState, JobSummary, StepSummary } from './types';
import { TERMINAL_STATES } from './types';

export interface BuildOptions {
  /**
   * Failing hosts' `logTail`s are a sample (v3/v4: JobService reads a few logs a group): a failing
   * host without one was not read, so its line is unknown rather than absent, and rows say so (see
   * `groupByErrorLine`). Default false: v2 sees every failing host's log as it streams past.
   */
  readonly sampledLogs?: boolean;
}

function summariseStep(step: StepInstance, index: number, options: BuildOptions): StepSummary {
  const counts = new Map<number, number>();
  const groups = new Map<string, { ipStatus: number; exitCode: number | null; hosts: HostAddress[] }>();
  // Each failing host's error line from its log tail, when the source saw one (the tail itself is dropped here).
  const errorLines = new Map<string, string | null>();
  let failed = 0;
  // Hosts come in runs of one status (v2 groups them by it): count a run at once, not each host.
  let runStatus = 0;
  let runLength = 0;
  let runFails = false;
  for (const host of step.hosts) {
    if (runLength === 0 || host.ipStatus !== runStatus) {
      if (runLength > 0) counts.set(runStatus, (counts.get(runStatus) ?? 0) + runLength);
      runStatus = host.ipStatus;
      runLength = 0;
      runFails = isHostFailure(runStatus);
    }
    runLength++;
    if (!runFails) continue;
    failed++;
    const key = `${host.ipStatus}/${host.exitCode ?? ''}`;
    let group = groups.get(key);
    if (!group) {
      group = { ipStatus: host.ipStatus, exitCode: host.exitCode, hosts: [] };
      groups.set(key, group);
    }
    group.hosts.push(addressOf(host));
    const identity = hostKey(host);
    if (host.logTail !== undefined && identity !== null) errorLines.set(identity, pickErrorLine(host.logTail));
  }
  if (runLength > 0) counts.set(runStatus, (counts.get(runStatus) ?? 0) + runLength);
  const hostCounts: HostStatusCount[] = [...counts].map(([ipStatus, count]) => ({ ipStatus, count })).sort((a, b) => b.count - a.count || a.ipStatus - b.ipStatus);
  const failingGroups: FailingGroup[] = [...groups.values()].sort((a, b) => b.hosts.length - a.hosts.length || a.ipStatus - b.ipStatus || (a.exitCode ?? -1) - (b.exitCode ?? -1));
  const errorRows = [...errorLines.values()].some((line) => line !== null) ? groupByErrorLine(failingGroups, errorLines, ERROR_ROWS_PER_STEP, { sampled: options.sampledLogs ?? false }) : undefined;
  const durationMs = step.totalTimeMs ?? (step.startTime !== null && step.endTime !== null ? step.endTime - step.startTime : null);
  return {
    position: index + 1,
    stepInstanceId: step.stepInstanceId,
    name: step.name,
    status: step.status,
    type: step.type,
    startTime: step.startTime,
    endTime: step.endTime,
    durationMs,
    executeCount: step.executeCount,
    hostCount: step.hosts.length,
    hostCounts,
    failingGroups,
    failedHostCount: failed,
    ...(errorRows ? { errorRows } : {}),
  };
}

/**
 * v2 returns no job status: derive it from the steps. The job is where its last started step is;
 * a successful step followed by steps not yet started means the job is between steps (running).
 */
function deriveState(steps: readonly StepSummary[]): JobState {
  let lastStarted = -1;
  steps.forEach((step, i) => {
    if (step.status !== STEP_STATUS.BLANK) lastStarted = i;
  });
  if (lastStarted === -1) return 'pending';
  const state = stateOfStatus(steps[lastStarted]!.status);
  if (state === 'succeeded' && lastStarted < steps.length - 1) return 'running';
  return state;
}

function isFailingStep(step: StepSummary): boolean {
  const state = stateOfStatus(step.status);
  return state === 'failed' || state === 'abnormal';
}

/**
 * How many different hosts the steps name, by `hostKey`'s identity. The two common kinds (a CMDB
 * host id; a cloud area and IP) are counted without making a key string per host entry: a
 * 10,000-host job has 200,000 entries, and their strings cost more than the rest of the summary.
 * Hosts JOB named neither by id nor by address cannot be told apart: a step's unnamed hosts are
 * likely the same ones in every step, so the job has as many as its step with the most.
 */
function countHosts(steps: readonly StepInstance[]): number {
  const hostIds = new Set<number>();
  const ipsByCloud = new Map<number, Set<string>>();
  const otherKeys = new Set<string>();
  let unnamed = 0;
  for (const step of steps) {
    let unnamedInStep = 0;
    for (const host of step.hosts) {
      if (host.container === undefined && host.bkHostId !== undefined) hostIds.add(host.bkHostId);
      else if (host.container === undefined && host.ip !== '') {
        let ips = ipsByCloud.get(host.bkCloudId);
        if (!ips) ipsByCloud.set(host.bkCloudId, (ips = new Set<string>()));
        ips.add(host.ip);
      } else {
        const key = hostKey(host);
        if (key === null) unnamedInStep++;
        else otherKeys.add(key);
      }
    }
    unnamed = Math.max(unnamed, unnamedInStep);
  }
  let count = hostIds.size + otherKeys.size + unnamed;
  for (const ips of ipsByCloud.values()) count += ips.size;
  return count;
}

export function buildJobSummary(job: JobInstance, options: BuildOptions = {}): JobSummary {
  const steps = job.steps.map((step, index) => summariseStep(step, index, options));
  const state = job.status !== null ? stateOfStatus(job.status) : deriveState(steps);
  const firstFailing = steps.findIndex(isFailingStep);
  const current = steps.findIndex((s) => {
    const stepState = stateOfStatus(s.status);
    return stepState === 'running' || stepState === 'waiting';
  });
  const finished = TERMINAL_STATES.has(state);
  // v2 has no job status: a failing step's own status says whether JOB would let it go on.
  const resumable = finished && (job.status !== null ? isResumableStatus(job.status) : steps.some((s) => isResumableStatus(s.status)));
  const endTime = finished ? job.endTime : null;
  return {
    ref: job.ref,
    name: job.name,
    state,
    finished,
    resumable,
    startTime: job.startTime,
    endTime,
    durationMs: job.startTime !== null && endTime !== null ? endTime - job.startTime : null,
    steps,
    firstFailingStep: firstFailing === -1 ? null : firstFailing,
    currentStep: current === -1 ? null : current,
    hostCount: countHosts(job.steps),
  };
}
