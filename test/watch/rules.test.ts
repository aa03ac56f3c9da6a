/**
 * Watch notification rules over real summaries (built by `buildJobSummary` from hand-made job
 * instances): every transition, the exact event keys the outbox de-duplicates on, and the
 * guarantee that an unchanged job never notifies twice.
 */
import type { HostResult, JobInstance, StepInstance } from '../../src/bkjob/model';
import { STEP_STATUS } from '../../src/bkjob/status';
import { buildJobSummary } from '../../src/summary/build';
import type { JobSummary } from '../../src/summary/types';
import { type KeyedEvent, type WatchEvent, evaluate, fingerprint, isUrgent, snapshotOf } from '../../src/watch/rules';
import type { NotifyOn, WatchSnapshot } from '../../src/watch/types';

// ---------------------------------------------------------------------------------------------
// Local builders
// ---------------------------------------------------------------------------------------------

const T0 = Date.UTC(2024, 5, 11, 2, 0, 0);
const REF = { bizId: 2, jobInstanceId: 20_003_771_002 };

function host(ip: string, ipStatus: number, exitCode: number | null = null, bkCloudId = 0): HostResult {
  return { bkCloudId, ip, ipStatus, tag: '', exitCode, errorCode: null, startTime: null, endTime: null, totalTimeMs: null, retryCount: 0 };
}

function hosts(prefix: string, count: number, ipStatus: number, exitCode: number | null = null): HostResult[] {
  return Array.from({ length: count }, (_, i) => host(`${prefix}.${i + 1}`, ipStatus, exitCode));
}

function step(stepInstanceId: number, name: string, status: number, stepHosts: readonly HostResult[], extra: Partial<StepInstance> = {}): StepInstance {
  return { stepInstanceId, name, status, type: 1, startTime: null, endTime: null, totalTimeMs: null, executeCount: 0, hosts: stepHosts, ...extra };
}

/** A job instance; `status` null means a v2 job whose state is derived from its steps. */
function job(status: number | null, steps: readonly StepInstance[], endTime: number | null = null): JobSummary {
  const instance: JobInstance = { ref: REF, name: 'deploy-web', status, startTime: T0, endTime, steps };
  return buildJobSummary(instance);
}

const S = STEP_STATUS;
const ALL_MODES: readonly NotifyOn[] = ['failure', 'finish', 'all'];

/** Evaluates `next` after `prev` (a summary, a snapshot, or null for the first poll). */
function events(prev: JobSummary | WatchSnapshot | null, next: JobSummary, notifyOn: NotifyOn): KeyedEvent[] {
  const snapshot = prev === null ? null : 'ref' in prev ? snapshotOf(prev) : prev;
  return [...evaluate(snapshot, next, notifyOn).events];
}

const keys = (list: readonly KeyedEvent[]) => list.map((e) => e.key);

// ---------------------------------------------------------------------------------------------
// A three-step deploy: prepare (101) → deploy on 6 hosts (102) → cleanup (103)
// ---------------------------------------------------------------------------------------------

const PREPARE_DONE = step(101, 'prepare', S.SUCCESS, hosts('10.0.1', 2, 9, 0));
const CLEANUP_BLANK = step(103, 'cleanup', S.BLANK, []);

const deployRunning = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, hosts('10.0.0', 6, 7)), CLEANUP_BLANK]);

/** 3 hosts exit 1 with "non-zero exit code" (104), one agent-abnormal host in cloud area 2, two succeeded. */
const FAILED_HOSTS: HostResult[] = [
  host('10.0.0.1', 104, 1),
  host('10.0.0.2', 104, 1),
  host('10.0.0.9', 1, null, 2),
  host('10.0.0.3', 104, 1),
  host('10.0.0.4', 9, 0),
  host('10.0.0.5', 9, 0),
];
const deployStepFailed = step(102, 'deploy', S.FAIL, FAILED_HOSTS);
/** The step has failed; the job (v3 status) has not been marked failed yet. */
const deployFailedJobRunning = job(S.RUNNING, [PREPARE_DONE, deployStepFailed, CLEANUP_BLANK]);
const deployFailedJobFailed = job(S.FAIL, [PREPARE_DONE, deployStepFailed, CLEANUP_BLANK], T0 + 125_000);

const DEPLOY_FAILED_BRIEF = { stepInstanceId: 102, position: 2, name: 'deploy', status: S.FAIL, type: 1, executeCount: 0, failedHostCount: 4, hostCount: 6 };
const DEPLOY_FAILED_GROUPS = [
  { ipStatus: 104, exitCode: 1, count: 3, hosts: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] },
  { ipStatus: 1, exitCode: null, count: 1, hosts: ['2:10.0.0.9'] },
];

describe('snapshotOf', () => {
  it('keeps the job name, the job state and, per step, status, execute count and failed host count', () => {
    expect(snapshotOf(deployFailedJobRunning)).toEqual({
      jobName: 'deploy-web',
      state: 'running',
      steps: [
        { stepInstanceId: 101, status: S.SUCCESS, executeCount: 0, failedHostCount: 0 },
        { stepInstanceId: 102, status: S.FAIL, executeCount: 0, failedHostCount: 4 },
        { stepInstanceId: 103, status: S.BLANK, executeCount: 0, failedHostCount: 0 },
      ],
    });
  });

  it('is what evaluate returns as the new snapshot', () => {
    for (const mode of ALL_MODES) expect(evaluate(snapshotOf(deployRunning), deployFailedJobFailed, mode).snapshot).toEqual(snapshotOf(deployFailedJobFailed));
    expect(evaluate(null, deployRunning, 'failure').snapshot).toEqual(snapshotOf(deployRunning));
  });
});

describe('evaluate: a step fails', () => {
  it('running → failed gives step_failed with grouped failing hosts, keyed by step and execute count', () => {
    expect(events(deployRunning, deployFailedJobRunning, 'failure')).toEqual([
      { key: 'step_failed:102:0', event: { type: 'step_failed', step: DEPLOY_FAILED_BRIEF, groups: DEPLOY_FAILED_GROUPS } },
    ]);
  });

  it('then gives job_finished:failed with the duration once the job itself ends', () => {
    expect(events(deployFailedJobRunning, deployFailedJobFailed, 'failure')).toEqual([
      { key: 'job_finished:failed', event: { type: 'job_finished', state: 'failed', durationMs: 125_000 } },
    ]);
  });

  it('gives both events, step first, when the step and the job fail between two polls', () => {
    expect(events(deployRunning, deployFailedJobFailed, 'failure')).toEqual([
      { key: 'step_failed:102:0', event: { type: 'step_failed', step: DEPLOY_FAILED_BRIEF, groups: DEPLOY_FAILED_GROUPS } },
      { key: 'job_finished:failed', event: { type: 'job_finished', state: 'failed', durationMs: 125_000 } },
    ]);
  });

  it('derives the failed job state for v2 jobs (no job status)', () => {
    const v2Running = job(null, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, hosts('10.0.0', 6, 7)), CLEANUP_BLANK]);
    const v2Failed = job(null, [PREPARE_DONE, deployStepFailed, CLEANUP_BLANK], T0 + 60_000);
    expect(v2Running.state).toBe('running');
    expect(v2Failed.state).toBe('failed');
    expect(keys(events(v2Running, v2Failed, 'failure'))).toEqual(['step_failed:102:0', 'job_finished:failed']);
    expect(events(v2Running, v2Failed, 'failure')[1]).toEqual({ key: 'job_finished:failed', event: { type: 'job_finished', state: 'failed', durationMs: 60_000 } });
  });

  it('"all" reports the same failure events', () => {
    expect(events(deployRunning, deployFailedJobFailed, 'all')).toEqual(events(deployRunning, deployFailedJobFailed, 'failure'));
  });

  it('"finish" reports only the final result', () => {
    expect(events(deployRunning, deployFailedJobRunning, 'finish')).toEqual([]);
    expect(events(deployFailedJobRunning, deployFailedJobFailed, 'finish')).toEqual([
      { key: 'job_finished:failed', event: { type: 'job_finished', state: 'failed', durationMs: 125_000 } },
    ]);
  });

  it('caps an event at 5 groups of 5 sample hosts, with the full count per group', () => {
    const many = [
      ...hosts('10.9.0', 7, 104, 1),
      host('10.9.1.2', 104, 2),
      host('10.9.1.3', 104, 3),
      host('10.9.1.4', 104, 4),
      host('10.9.1.5', 104, 5),
      host('10.9.1.6', 104, 6),
      host('10.9.1.7', 104, 7),
    ];
    const failed = job(S.RUNNING, [step(301, 'fanout', S.FAIL, many)]);
    const running = job(S.RUNNING, [step(301, 'fanout', S.RUNNING, hosts('10.9.0', 13, 7))]);
    expect(events(running, failed, 'failure')).toEqual([
      {
        key: 'step_failed:301:0',
        event: {
          type: 'step_failed',
          step: { stepInstanceId: 301, position: 1, name: 'fanout', status: S.FAIL, type: 1, executeCount: 0, failedHostCount: 13, hostCount: 13 },
          groups: [
            { ipStatus: 104, exitCode: 1, count: 7, hosts: ['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5'] },
            { ipStatus: 104, exitCode: 2, count: 1, hosts: ['10.9.1.2'] },
            { ipStatus: 104, exitCode: 3, count: 1, hosts: ['10.9.1.3'] },
            { ipStatus: 104, exitCode: 4, count: 1, hosts: ['10.9.1.4'] },
            { ipStatus: 104, exitCode: 5, count: 1, hosts: ['10.9.1.5'] },
          ],
        },
      },
    ]);
  });

  it('gives no second step_failed when more hosts of the already-failed step fail', () => {
    const worse = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.FAIL, FAILED_HOSTS.map((h) => (h.ipStatus === 9 ? { ...h, ipStatus: 104, exitCode: 1 } : h))), CLEANUP_BLANK]);
    expect(worse.steps[1]!.failedHostCount).toBe(6);
    expect(events(deployFailedJobRunning, worse, 'all')).toEqual([]);
  });

  it('treats "stop failed" (12) as a failed step', () => {
    const stopFailed = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.STOP_FAILED, FAILED_HOSTS), CLEANUP_BLANK]);
    expect(events(deployRunning, stopFailed, 'failure')).toEqual([
      { key: 'step_failed:102:0', event: { type: 'step_failed', step: { ...DEPLOY_FAILED_BRIEF, status: S.STOP_FAILED }, groups: DEPLOY_FAILED_GROUPS } },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// build (201) → manual confirmation (202) → release (203)
// ---------------------------------------------------------------------------------------------

const buildRunning = step(201, 'build', S.RUNNING, hosts('10.1.0', 2, 7));
const buildDone = step(201, 'build', S.SUCCESS, hosts('10.1.0', 2, 9, 0));
const confirm = (status: number) => step(202, 'approve', status, [], { type: 3 });
const release = (status: number, stepHosts: readonly HostResult[] = []) => step(203, 'release', status, stepHosts);

const pipelineBuilding = job(S.RUNNING, [buildRunning, confirm(S.BLANK), release(S.BLANK)]);
const pipelineWaiting = job(S.WAITING_USER, [buildDone, confirm(S.WAITING_USER), release(S.BLANK)]);
const pipelineReleasing = job(S.RUNNING, [buildDone, confirm(S.SUCCESS), release(S.RUNNING, hosts('10.2.0', 3, 7))]);
const pipelineSucceeded = job(S.SUCCESS, [buildDone, confirm(S.SUCCESS), release(S.SUCCESS, hosts('10.2.0', 3, 9, 0))], T0 + 3_723_000);

const CONFIRM_BRIEF = { stepInstanceId: 202, position: 2, name: 'approve', type: 3, executeCount: 0, failedHostCount: 0, hostCount: 0 };
const BUILD_DONE_BRIEF = { stepInstanceId: 201, position: 1, name: 'build', status: S.SUCCESS, type: 1, executeCount: 0, failedHostCount: 0, hostCount: 2 };
const RELEASE_DONE_BRIEF = { stepInstanceId: 203, position: 3, name: 'release', status: S.SUCCESS, type: 1, executeCount: 0, failedHostCount: 0, hostCount: 3 };

describe('evaluate: waiting for confirmation and success', () => {
  it('running → waiting gives step_waiting in "failure" mode (and nothing for the finished build)', () => {
    expect(pipelineWaiting.state).toBe('waiting');
    expect(events(pipelineBuilding, pipelineWaiting, 'failure')).toEqual([
      { key: 'step_waiting:202:0', event: { type: 'step_waiting', step: { ...CONFIRM_BRIEF, status: S.WAITING_USER } } },
    ]);
  });

  it('running → waiting in "all" mode also reports the finished build step, in step order', () => {
    expect(events(pipelineBuilding, pipelineWaiting, 'all')).toEqual([
      { key: 'step_finished:201:0', event: { type: 'step_finished', step: BUILD_DONE_BRIEF } },
      { key: 'step_waiting:202:0', event: { type: 'step_waiting', step: { ...CONFIRM_BRIEF, status: S.WAITING_USER } } },
    ]);
  });

  it('rolling waiting (15) is automatic: the job runs on, nobody is pinged', () => {
    const rolling = job(S.RUNNING, [buildDone, step(202, 'roll out', S.ROLLING_WAITING, []), release(S.BLANK)]);
    expect(events(pipelineBuilding, rolling, 'failure')).toEqual([]);
    expect(rolling.state).toBe('running');
  });

  it('a manual rolling pause (7 on a script step) is a waiting step too, told apart by its type', () => {
    const paused = job(S.WAITING_USER, [buildDone, step(202, 'roll out', S.WAITING_USER, []), release(S.BLANK)]);
    expect(events(pipelineBuilding, paused, 'failure')).toEqual([
      { key: 'step_waiting:202:0', event: { type: 'step_waiting', step: { ...CONFIRM_BRIEF, name: 'roll out', status: S.WAITING_USER, type: 1 } } },
    ]);
  });

  it('waiting → running gives nothing in "failure" mode', () => {
    expect(events(pipelineWaiting, pipelineReleasing, 'failure')).toEqual([]);
  });

  it('waiting → running in "all" mode reports the confirmation step finishing', () => {
    expect(events(pipelineWaiting, pipelineReleasing, 'all')).toEqual([
      { key: 'step_finished:202:0', event: { type: 'step_finished', step: { ...CONFIRM_BRIEF, status: S.SUCCESS } } },
    ]);
  });

  it('running → success gives job_finished:succeeded with the duration', () => {
    expect(events(pipelineReleasing, pipelineSucceeded, 'failure')).toEqual([
      { key: 'job_finished:succeeded', event: { type: 'job_finished', state: 'succeeded', durationMs: 3_723_000 } },
    ]);
    expect(events(pipelineReleasing, pipelineSucceeded, 'finish')).toEqual([
      { key: 'job_finished:succeeded', event: { type: 'job_finished', state: 'succeeded', durationMs: 3_723_000 } },
    ]);
  });

  it('running → success in "all" mode reports the last step, then the job', () => {
    expect(events(pipelineReleasing, pipelineSucceeded, 'all')).toEqual([
      { key: 'step_finished:203:0', event: { type: 'step_finished', step: RELEASE_DONE_BRIEF } },
      { key: 'job_finished:succeeded', event: { type: 'job_finished', state: 'succeeded', durationMs: 3_723_000 } },
    ]);
  });

  it('"finish" hears nothing but the final result over the whole run', () => {
    const run = [pipelineBuilding, pipelineWaiting, pipelineReleasing, pipelineSucceeded];
    const heard: KeyedEvent[] = [];
    let snapshot: WatchSnapshot | null = null;
    for (const summary of run) {
      const result = evaluate(snapshot, summary, 'finish');
      heard.push(...result.events);
      snapshot = result.snapshot;
    }
    expect(heard).toEqual([{ key: 'job_finished:succeeded', event: { type: 'job_finished', state: 'succeeded', durationMs: 3_723_000 } }]);
  });

  it('reports a skipped step (5) as finished in "all" mode only', () => {
    const skipped = job(S.RUNNING, [buildDone, confirm(S.SKIPPED), release(S.RUNNING)]);
    expect(events(pipelineWaiting, skipped, 'failure')).toEqual([]);
    expect(events(pipelineWaiting, skipped, 'all')).toEqual([{ key: 'step_finished:202:0', event: { type: 'step_finished', step: { ...CONFIRM_BRIEF, status: S.SKIPPED } } }]);
  });

  it('a step that only starts running (blank → running) says nothing, whatever the mode', () => {
    const started = job(S.RUNNING, [buildDone, confirm(S.SUCCESS), release(S.RUNNING, hosts('10.2.0', 3, 5))]);
    const before = job(S.RUNNING, [buildDone, confirm(S.SUCCESS), release(S.BLANK)]);
    for (const mode of ALL_MODES) expect(events(before, started, mode)).toEqual([]);
  });
});

describe('evaluate: ignored errors, stops and abnormal jobs', () => {
  const ignoreHosts = [host('10.3.0.1', 104, 2), host('10.3.0.2', 9, 0)];
  const before = job(S.RUNNING, [step(401, 'check', S.RUNNING, hosts('10.3.0', 2, 7)), step(402, 'next', S.BLANK, [])]);
  const ignored = job(S.RUNNING, [step(401, 'check', S.IGNORE_ERROR, ignoreHosts), step(402, 'next', S.RUNNING, [])]);

  it('a step failing with "ignore error" (6) is not a failure', () => {
    expect(events(before, ignored, 'failure')).toEqual([]);
    expect(events(before, ignored, 'finish')).toEqual([]);
  });

  it('"all" reports the ignored-error step as finished, with its failed host count', () => {
    expect(events(before, ignored, 'all')).toEqual([
      { key: 'step_finished:401:0', event: { type: 'step_finished', step: { stepInstanceId: 401, position: 1, name: 'check', status: S.IGNORE_ERROR, type: 1, executeCount: 0, failedHostCount: 1, hostCount: 2 } } },
    ]);
  });

  it('a job stopped by hand (8) gives job_finished:stopped and no step event', () => {
    const stopped = job(S.TERMINATED, [PREPARE_DONE, step(102, 'deploy', S.TERMINATED, hosts('10.0.0', 6, 403)), CLEANUP_BLANK], T0 + 30_000);
    expect(stopped.state).toBe('stopped');
    for (const mode of ALL_MODES) {
      expect(events(deployRunning, stopped, mode)).toEqual([{ key: 'job_finished:stopped', event: { type: 'job_finished', state: 'stopped', durationMs: 30_000 } }]);
    }
  });

  it('an abnormal job (9) gives job_abnormal naming the abnormal step, and no job_finished', () => {
    const abnormal = job(S.ABNORMAL_STATE, [PREPARE_DONE, step(102, 'deploy', S.ABNORMAL_STATE, hosts('10.0.0', 6, 7)), CLEANUP_BLANK], T0 + 10_000);
    expect(abnormal.state).toBe('abnormal');
    const expected = [
      {
        key: 'job_abnormal',
        event: { type: 'job_abnormal', step: { stepInstanceId: 102, position: 2, name: 'deploy', status: S.ABNORMAL_STATE, type: 1, executeCount: 0, failedHostCount: 0, hostCount: 6 } },
      },
    ];
    for (const mode of ALL_MODES) expect(events(deployRunning, abnormal, mode)).toEqual(expected);
    expect(events(abnormal, abnormal, 'all')).toEqual([]);
  });

  it('an abnormal job without an abnormal step gives job_abnormal with step null', () => {
    const abnormal = job(S.ABNORMAL_STATE, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, hosts('10.0.0', 6, 7)), CLEANUP_BLANK]);
    expect(events(deployRunning, abnormal, 'failure')).toEqual([{ key: 'job_abnormal', event: { type: 'job_abnormal', step: null } }]);
  });
});

describe('evaluate: retried steps', () => {
  const retryRunning = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, hosts('10.0.0', 6, 7), { executeCount: 1 }), CLEANUP_BLANK]);
  const retryFailed = job(S.FAIL, [PREPARE_DONE, step(102, 'deploy', S.FAIL, FAILED_HOSTS, { executeCount: 1 }), CLEANUP_BLANK], T0 + 300_000);

  it('a retry that starts running says nothing', () => {
    expect(events(deployFailedJobFailed, retryRunning, 'failure')).toEqual([]);
  });

  it('a retried step failing again gets a new key (execute count 1)', () => {
    const result = events(retryRunning, retryFailed, 'failure');
    expect(result).toEqual([
      { key: 'step_failed:102:1', event: { type: 'step_failed', step: { ...DEPLOY_FAILED_BRIEF, executeCount: 1 }, groups: DEPLOY_FAILED_GROUPS } },
      // The retry's result has a key of its own: the first run's job_finished:failed was already sent.
      { key: 'job_finished:failed:1', event: { type: 'job_finished', state: 'failed', durationMs: 300_000 } },
    ]);
    expect(result[0]!.key).not.toBe(events(deployRunning, deployFailedJobRunning, 'failure')[0]!.key);
  });

  it('a retry that failed again between two polls (same status, higher execute count) is still new', () => {
    // The job's result for the new run too: failed → failed across a retry is a new result.
    expect(keys(events(deployFailedJobFailed, retryFailed, 'failure'))).toEqual(['step_failed:102:1', 'job_finished:failed:1']);
    expect(keys(events(deployFailedJobFailed, retryFailed, 'finish'))).toEqual(['job_finished:failed:1']);
  });

  it('runs are counted by the sum of the steps\' execute counts: retrying step 1, then step 2, gives two results', () => {
    const stepOneRetried = job(S.FAIL, [step(101, 'prepare', S.SUCCESS, hosts('10.0.1', 2, 9, 0), { executeCount: 1 }), deployStepFailed, CLEANUP_BLANK], T0 + 200_000);
    const stepTwoRetried = job(S.FAIL, [step(101, 'prepare', S.SUCCESS, hosts('10.0.1', 2, 9, 0), { executeCount: 1 }), step(102, 'deploy', S.FAIL, FAILED_HOSTS, { executeCount: 1 }), CLEANUP_BLANK], T0 + 300_000);
    expect(keys(events(deployFailedJobFailed, stepOneRetried, 'finish'))).toEqual(['job_finished:failed:1']);
    expect(keys(events(stepOneRetried, stepTwoRetried, 'finish'))).toEqual(['job_finished:failed:2']);
  });

  it('a retry that ends the same way opens a new resume window; the same end keeps its window', () => {
    const resume = { now: T0 + 1000, windowMs: 60_000 };
    const first = snapshotOf(deployFailedJobFailed, null, resume);
    expect(first.followingRetriesUntil).toBe(T0 + 61_000);
    expect(snapshotOf(deployFailedJobFailed, first, { now: T0 + 50_000, windowMs: 60_000 }).followingRetriesUntil).toBe(T0 + 61_000);
    expect(snapshotOf(retryFailed, first, { now: T0 + 50_000, windowMs: 60_000 }).followingRetriesUntil).toBe(T0 + 110_000);
  });
});

describe('evaluate: never notify twice', () => {
  const ALL_SUMMARIES: readonly [string, JobSummary][] = [
    ['deployRunning', deployRunning],
    ['deployFailedJobRunning', deployFailedJobRunning],
    ['deployFailedJobFailed', deployFailedJobFailed],
    ['pipelineBuilding', pipelineBuilding],
    ['pipelineWaiting', pipelineWaiting],
    ['pipelineReleasing', pipelineReleasing],
    ['pipelineSucceeded', pipelineSucceeded],
  ];

  it.each(ALL_SUMMARIES)('evaluating %s again after itself gives no events in any mode', (_name, summary) => {
    for (const mode of ALL_MODES) {
      const first = evaluate(null, summary, mode);
      expect(evaluate(first.snapshot, summary, mode).events).toEqual([]);
      // The snapshot is stored as JSON between polls.
      expect(evaluate(JSON.parse(JSON.stringify(first.snapshot)) as WatchSnapshot, summary, mode).events).toEqual([]);
    }
  });

  it('the second evaluation of a failure gives nothing', () => {
    const first = evaluate(snapshotOf(deployRunning), deployFailedJobFailed, 'all');
    expect(keys(first.events)).toEqual(['step_failed:102:0', 'job_finished:failed']);
    expect(evaluate(first.snapshot, deployFailedJobFailed, 'all').events).toEqual([]);
    expect(evaluate(first.snapshot, job(S.FAIL, [PREPARE_DONE, deployStepFailed, CLEANUP_BLANK], T0 + 125_000), 'all').events).toEqual([]);
  });

  it('the first poll of a running job with nothing failed says nothing in "failure" mode', () => {
    expect(events(null, deployRunning, 'failure')).toEqual([]);
  });

  it('the first poll of an already-failed job reports the failure', () => {
    expect(keys(events(null, deployFailedJobFailed, 'failure'))).toEqual(['step_failed:102:0', 'job_finished:failed']);
  });
});

describe('fingerprint', () => {
  it('is equal for equal summaries built separately', () => {
    const again = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, hosts('10.0.0', 6, 7)), CLEANUP_BLANK]);
    expect(again).not.toBe(deployRunning);
    expect(fingerprint(again)).toBe(fingerprint(deployRunning));
    expect(fingerprint(deployRunning)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('changes when a host status count changes, even though no step status did', () => {
    const oneDone = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, [...hosts('10.0.0', 5, 7), host('10.0.0.6', 9, 0)]), CLEANUP_BLANK]);
    expect(oneDone.steps[1]!.status).toBe(deployRunning.steps[1]!.status);
    expect(fingerprint(oneDone)).not.toBe(fingerprint(deployRunning));
    // ...but the rules see no event in it.
    for (const mode of ALL_MODES) expect(events(deployRunning, oneDone, mode)).toEqual([]);
  });

  it('changes when a failing host exit code changes', () => {
    const otherExit = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.FAIL, FAILED_HOSTS.map((h) => (h.exitCode === 1 ? { ...h, exitCode: 2 } : h))), CLEANUP_BLANK]);
    expect(fingerprint(otherExit)).not.toBe(fingerprint(deployFailedJobRunning));
  });

  it('changes with the job state and the execute count', () => {
    expect(fingerprint(deployFailedJobFailed)).not.toBe(fingerprint(deployFailedJobRunning));
    const retried = job(S.RUNNING, [PREPARE_DONE, step(102, 'deploy', S.RUNNING, hosts('10.0.0', 6, 7), { executeCount: 1 }), CLEANUP_BLANK]);
    expect(fingerprint(retried)).not.toBe(fingerprint(deployRunning));
  });
});

describe('isUrgent', () => {
  const brief = { stepInstanceId: 1, position: 1, name: 's', status: 4, type: 1, executeCount: 0, failedHostCount: 1, hostCount: 1 };
  it.each<[WatchEvent, boolean]>([
    [{ type: 'step_failed', step: brief, groups: [] }, true],
    [{ type: 'step_waiting', step: brief }, true],
    [{ type: 'job_abnormal', step: null }, true],
    [{ type: 'watch_paused', reason: 'channel_not_found' }, true],
    [{ type: 'watch_stopped', reason: 'the channel policy no longer allows business 3 in this channel' }, true],
    [{ type: 'step_finished', step: brief }, false],
    [{ type: 'job_finished', state: 'failed', durationMs: 1 }, false],
    [{ type: 'job_finished', state: 'succeeded', durationMs: null }, false],
    [{ type: 'job_finished', state: 'stopped', durationMs: 5 }, false],
    [{ type: 'watch_expired', ageMs: 604_800_000 }, false],
  ])('%p → %p', (event, urgent) => {
    expect(isUrgent(event)).toBe(urgent);
  });
});
