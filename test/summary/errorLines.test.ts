/**
 * "Why it failed, at a glance": error lines in the summary. v2 from the failed fixture's real-looking
 * logs, read by the streaming reader (which keeps only failing hosts' tails); v3 through JobService,
 * one log per failing group within BK_DIAGNOSIS_BUDGET_MS, late and failed fetches left out.
 * Results only: fake timers stand in for the clock, nothing is timed.
 */
import { BkJobError } from '../../src/bkjob/errors';
import { type BkActor, type HostLog, type HostLogRef, type JobInstance, type JobRef, LOG_TAIL_BYTES, logTailOf } from '../../src/bkjob/model';
import type { JobLogSource } from '../../src/bkjob/source';
import { V2JobLogScanner } from '../../src/bkjob/v2stream';
import { JobService, logPicks } from '../../src/jobService';
import { buildJobSummary } from '../../src/summary/build';
import { pickErrorLine } from '../../src/summary/errorLine';
import type { JobSummary } from '../../src/summary/types';
import { FAILED_REF, fixtureText, host, job, step } from '../helpers/jobs';

const ACTOR: BkActor = { kind: 'username', username: 'admin' };

function scanFixture(name: string, chunkSize: number): JobInstance {
  const body = Buffer.from(fixtureText(name));
  const scanner = new V2JobLogScanner(FAILED_REF, { defaultOffsetMinutes: 480 });
  for (let i = 0; i < body.length; i += chunkSize) scanner.push(body.subarray(i, i + chunkSize));
  return scanner.finish();
}

describe('v2: error lines from the failed fixture, as the streaming reader sees it', () => {
  it.each([1, 7, 64, 65_536])('keeps tails for failing hosts only and picks each group’s line (chunks of %i)', (size) => {
    const instance = scanFixture('v2-get_job_instance_log-failed.json', size);
    const withTails = instance.steps.flatMap((s) => s.hosts.filter((h) => h.logTail !== undefined).map((h) => `${s.stepInstanceId}/${h.ip}/${h.ipStatus}`));
    // Only step 2's failing hosts (exit 1, exit 2, the timeout): never the successful ones.
    expect(withTails.sort()).toEqual(['2003771002/10.0.1.14/104', '2003771002/10.0.1.17/13', '2003771002/172.16.8.21/104']);

    const summary = buildJobSummary(instance);
    const failing = summary.steps[1]!;
    expect(failing.errorRows?.rows.map((r) => [r.exitCode, r.hosts.map((h) => h.ip), r.errorLine, r.othersDiffer])).toEqual([
      [0, ['10.0.1.17'], 'waiting for upstream health endpoint http://127.0.0.1:8080/healthz ...', false],
      [1, ['10.0.1.14'], 'nginx -t 2>&1 failed, abort reload', false],
      [2, ['172.16.8.21'], 'nginx.service is not active, cannot reload.', false],
    ]);
    // The summary holds lines, never logs, and stays plain JSON.
    expect(JSON.stringify(summary)).not.toContain('job_start');
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(summary.steps[0]!.errorRows).toBeUndefined();
  });

  it('a log far over the tail keeps its last 8 KiB of whole lines, HTML entities undone', () => {
    const filler = Array.from({ length: 4000 }, (_, i) => `copying chunk ${i} ok`).join('\\n');
    const log = `${filler}\\nError: disk &quot;/data&quot; full &amp; read-only\\nexit 1\\n`;
    const body = `{"result":true,"code":0,"message":"","data":[{"step_instance_id":1,"name":"s","status":4,"step_results":[{"ip_status":104,"tag":"","ip_logs":[{"ip":"10.0.0.1","bk_cloud_id":0,"exit_code":1,"log_content":"${log}"}]},{"ip_status":9,"tag":"","ip_logs":[{"ip":"10.0.0.2","bk_cloud_id":0,"exit_code":0,"log_content":"${log}"}]}]}]}`;
    for (const size of [3, 1000, 1 << 20]) {
      const scanner = new V2JobLogScanner(FAILED_REF, { defaultOffsetMinutes: 480 });
      const bytes = Buffer.from(body);
      for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
      const [failed, ok] = scanner.finish().steps[0]!.hosts;
      expect(ok!.logTail).toBeUndefined();
      const tail = failed!.logTail!;
      expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(LOG_TAIL_BYTES);
      expect(tail).toMatch(/^copying chunk \d+ ok\n/);
      expect(tail.endsWith('\nError: disk "/data" full & read-only\nexit 1\n')).toBe(true);
      expect(buildJobSummary(scanner.finish()).steps[0]!.errorRows!.rows[0]!.errorLine).toBe('Error: disk "/data" full & read-only');
    }
  });
});

/** A log that never comes. */
const NEVER = { never: true } as const;

/** A v3-like source: the job from `instance`, each host's log as `logs` says (text, a failure, or never). */
function fakeSource(instance: JobInstance, logs: Record<string, string | Error | typeof NEVER | { after: number; text: string }>): JobLogSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    getJobInstance: () => Promise.resolve(instance),
    getHostLog: (_actor: BkActor, ref: HostLogRef): Promise<HostLog> => {
      asked.push(ref.ip);
      const answer = logs[ref.ip];
      const stepOf = instance.steps.find((s) => s.stepInstanceId === ref.stepInstanceId)!;
      const hostOf = stepOf.hosts.find((h) => h.ip === ref.ip)!;
      const log = (content: string): HostLog => ({ ref, content, step: { name: stepOf.name, status: stepOf.status, executeCount: 0 }, host: hostOf });
      if (answer === undefined || (typeof answer === 'object' && 'never' in answer)) return new Promise<HostLog>(() => undefined);
      if (answer instanceof Error) return Promise.reject(answer);
      if (typeof answer === 'string') return Promise.resolve(log(answer));
      return new Promise<HostLog>((resolve) => setTimeout(() => resolve(log(answer.text)), answer.after));
    },
  };
}

const V3_REF: JobRef = { bizId: 3, jobInstanceId: 77 };

/** Step 2 fails on four groups: exit 1 (3 hosts), exit 2, exit 3, exit 4 (one host each). */
function v3Job(): JobInstance {
  const failing = [
    host({ ip: '10.0.0.1', ipStatus: 104, exitCode: 1 }),
    host({ ip: '10.0.0.2', ipStatus: 104, exitCode: 1 }),
    host({ ip: '10.0.0.3', ipStatus: 104, exitCode: 1 }),
    host({ ip: '10.0.0.4', ipStatus: 104, exitCode: 2 }),
    host({ ip: '10.0.0.5', ipStatus: 104, exitCode: 3 }),
    host({ ip: '10.0.0.6', ipStatus: 104, exitCode: 4 }),
  ];
  return job([step(1, 'prepare', 3, [host({ ip: '10.0.0.1', ipStatus: 9 })]), step(2, 'deploy', 4, failing)], V3_REF);
}

describe('v2 as the app reads it: each failing host keeps only its error line (reduceLogTail)', () => {
  it('gives the same summary as keeping the whole tails, with ≤ 150 characters a failing host', () => {
    const body = Buffer.from(fixtureText('v2-get_job_instance_log-failed.json'));
    const scanner = new V2JobLogScanner(FAILED_REF, { defaultOffsetMinutes: 480, reduceLogTail: pickErrorLine });
    scanner.push(body);
    const reduced = scanner.finish();
    const kept = reduced.steps.flatMap((s) => s.hosts.flatMap((h) => (h.logTail === undefined ? [] : [h.logTail])));
    expect(kept.sort()).toEqual(['nginx -t 2>&1 failed, abort reload', 'nginx.service is not active, cannot reload.', 'waiting for upstream health endpoint http://127.0.0.1:8080/healthz ...']);
    expect(buildJobSummary(reduced)).toStrictEqual(buildJobSummary(scanFixture('v2-get_job_instance_log-failed.json', 65_536)));
  });
});

describe('v3: one log per failing group, within the budget', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fetches the first host of each group (and, with a spare fetch, a second host) in parallel; a late log and a failed fetch are left out', async () => {
    const misses: Array<[string, string]> = [];
    const source = fakeSource(v3Job(), {
      '10.0.0.1': 'starting\nrsync: connection refused (111)\nexit 1',
      '10.0.0.2': 'starting\nrsync: connection refused (111)\nexit 1',
      '10.0.0.4': { after: 200, text: 'FATAL: config <b>missing</b> `x`' },
      '10.0.0.5': NEVER,
      '10.0.0.6': new BkJobError('no permission', { kind: 'api' }),
    });
    const service = new JobService(source, () => 0, { diagnosisBudgetMs: 1500, onDiagnosisMiss: (ref, reason) => misses.push([ref.ip, reason]) });
    const pending = service.summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(1500);
    const summary = await pending;

    // Four groups: their first hosts, then the one spare fetch of the step on the biggest group's second host.
    expect(source.asked).toEqual(['10.0.0.1', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.2']);
    expect(summary.steps[1]!.errorRows!.rows.map((r) => [r.exitCode, r.hosts.length, r.errorLine])).toEqual([
      [1, 3, 'rsync: connection refused (111)'],
      [2, 1, 'FATAL: config <b>missing</b> `x`'],
      [3, 1, null],
      [4, 1, null],
    ]);
    expect(misses.sort()).toEqual([
      ['10.0.0.5', 'late'],
      ['10.0.0.6', 'failed'],
    ]);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('a poll of the same run reuses the lines found before; a retried step is asked again', async () => {
    const source = fakeSource(v3Job(), { '10.0.0.1': 'Error: one', '10.0.0.2': 'Error: one', '10.0.0.4': 'Error: four', '10.0.0.5': 'Error: five', '10.0.0.6': 'Error: six' });
    const service = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 });
    const first = await service.summarize(ACTOR, V3_REF);
    expect(source.asked).toHaveLength(5);
    const again = await service.summarize(ACTOR, V3_REF);
    expect(source.asked).toHaveLength(5);
    expect(again).toStrictEqual(first);

    const retried = v3Job();
    const rerun = { ...retried, steps: retried.steps.map((s) => (s.stepInstanceId === 2 ? { ...s, executeCount: 1 } : s)) };
    const retriedSource = Object.assign(source, { getJobInstance: () => Promise.resolve(rerun) });
    await service.summarize(ACTOR, V3_REF);
    expect(retriedSource.asked).toHaveLength(10);
  });

  it('never waits past the budget: a source that never answers gives the summary without lines', async () => {
    const source = fakeSource(v3Job(), {});
    const service = new JobService(source, () => 0, { diagnosisBudgetMs: 300 });
    const pending = service.summarize(ACTOR, V3_REF);
    let done = false;
    void pending.then(() => (done = true));
    await jest.advanceTimersByTimeAsync(299);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const summary = await pending;
    expect(summary.steps[1]!.errorRows).toBeUndefined();
    expect(summary.steps[1]!.failingGroups).toHaveLength(4);
  });

  it('asks for at most 5 groups a step, and nothing with a budget of 0 or a source that keeps tails', async () => {
    const many = job([step(2, 'deploy', 4, Array.from({ length: 8 }, (_, i) => host({ ipStatus: 104, exitCode: i + 1 }, i)))], V3_REF);
    const source = fakeSource(many, Object.fromEntries(many.steps[0]!.hosts.map((h) => [h.ip, `error ${h.exitCode}`])));
    const pending = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 }).summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(0);
    const summary = await pending;
    expect(source.asked).toHaveLength(5);
    expect(summary.steps[0]!.errorRows!.rows).toHaveLength(5);
    expect(summary.steps[0]!.errorRows!.moreHosts).toBe(3);

    const off = fakeSource(many, {});
    await new JobService(off, () => 0, { diagnosisBudgetMs: 0 }).summarize(ACTOR, V3_REF);
    const v2Like = Object.assign(fakeSource(many, {}), { keepsLogTails: true });
    await new JobService(v2Like, () => 0, { diagnosisBudgetMs: 1500 }).summarize(ACTOR, V3_REF);
    expect([off.asked, v2Like.asked]).toEqual([[], []]);
  });
});

/** Step 2 "deploy" fails with exit 1 on 40 hosts, 10.0.0.1 … 10.0.0.40. */
function fortyHostJob(): JobInstance {
  return job([step(1, 'prepare', 3, [host({ ip: '10.0.0.1', ipStatus: 9 })]), step(2, 'deploy', 4, Array.from({ length: 40 }, (_, i) => host({ ipStatus: 104, exitCode: 1 }, i + 1)))], V3_REF);
}

const REFUSED = 'rsync: failed to connect to 10.1.0.9 (111): Connection refused';
const DISK_FULL = 'cp: error writing /data/app.tar: No space left on device';

/** Each row as [exit code, hosts (last octet), line, othersDiffer, unread]. */
function rowsOf(summary: JobSummary, stepIndex = 1): unknown[] {
  return summary.steps[stepIndex]!.errorRows!.rows.map((r) => [r.exitCode, r.hosts.map((h) => Number(h.ip.split('.')[3])), r.errorLine, r.othersDiffer, r.unread ?? 0]);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('v3: spare fetches read more hosts of a group, so a group whose hosts fail differently is split', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a group of 40 whose read hosts say two things: a row per line with the hosts read, and a row of the hosts not read', async () => {
    const source = fakeSource(fortyHostJob(), { '10.0.0.1': REFUSED, '10.0.0.2': REFUSED, '10.0.0.3': DISK_FULL, '10.0.0.4': REFUSED, '10.0.0.5': `starting\n${DISK_FULL}\nexit 1` });
    const pending = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 }).summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(0);
    const summary = await pending;
    // One group: its first host, then the step's 4 spare fetches on its 2nd … 5th hosts.
    expect(source.asked).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    expect(rowsOf(summary)).toEqual([
      [1, [1, 2, 4], REFUSED, false, 0],
      [1, [3, 5], DISK_FULL, false, 0],
      [1, range(6, 40), null, false, 35],
    ]);
    expect(summary.steps[1]!.errorRows!.rows.every((r) => r.splitByLine)).toBe(true);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('a group of 40 whose read hosts agree: one row with the line, nothing "differs", nothing marked unread', async () => {
    const source = fakeSource(fortyHostJob(), Object.fromEntries(range(1, 40).map((n) => [`10.0.0.${n}`, `Error: disk /dev/sd${n} full`])));
    const pending = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 }).summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(0);
    const summary = await pending;
    expect(source.asked).toHaveLength(5);
    // Lines equal but for digits are one reason: the first host's own line.
    expect(rowsOf(summary)).toEqual([[1, range(1, 40), 'Error: disk /dev/sd1 full', false, 0]]);
    expect(summary.steps[1]!.errorRows!.rows[0]!.splitByLine).toBe(false);
    expect(summary.steps[1]!.errorRows!.rows[0]).not.toHaveProperty('unread');
  });

  it('at most 5 logs a step: first hosts of every group before any second host, then round-robin, biggest group first', async () => {
    // Step 2: groups of 10 (exit 1), 3 (exit 2) and 1 (exit 3) host. Step 3: five groups of two hosts.
    const stepTwo = [...range(1, 10).map((n) => host({ ipStatus: 104, exitCode: 1 }, n)), ...range(11, 13).map((n) => host({ ipStatus: 104, exitCode: 2 }, n)), host({ ipStatus: 104, exitCode: 3 }, 14)];
    const stepThree = range(21, 30).map((n) => host({ ipStatus: 104, exitCode: Math.ceil((n - 20) / 2) }, n));
    const instance = job([step(2, 'deploy', 4, stepTwo), step(3, 'verify', 4, stepThree)], V3_REF);
    const source = fakeSource(instance, Object.fromEntries([...stepTwo, ...stepThree].map((h) => [h.ip, `Error: exit ${h.exitCode}`])));
    const pending = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 }).summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(0);
    await pending;
    const last = (ip: string) => Number(ip.split('.')[3]);
    expect(source.asked.map(last)).toEqual([
      // First hosts of step 2's groups, then of step 3's five groups (no spare fetch left there) …
      1, 11, 14, 21, 23, 25, 27, 29,
      // … then step 2's two spare fetches: the second host of its biggest group, then of the next.
      2, 12,
    ]);
  });

  it('logPicks: round-robin over the groups with more than one host until 5, never past a group’s hosts', () => {
    const picks = (sizes: readonly number[]) => {
      let n = 0;
      const hostsOf = sizes.flatMap((size, g) => Array.from({ length: size }, () => host({ ipStatus: 104, exitCode: g + 1 }, ++n)));
      return logPicks(buildJobSummary(job([step(2, 'deploy', 4, hostsOf)], V3_REF))).map((r) => Number(r.ip.split('.')[3]));
    };
    expect(picks([6, 6])).toEqual([1, 7, 2, 8, 3]);
    expect(picks([3, 2, 1])).toEqual([1, 4, 6, 2, 5]);
    expect(picks([2, 1])).toEqual([1, 3, 2]);
    expect(picks([1, 1, 1, 1, 1, 1, 1])).toEqual([1, 2, 3, 4, 5]);
    expect(picks([40])).toEqual([1, 2, 3, 4, 5]);
  });

  it('one slow log is left out within the budget: its host counts as not read, the rest are split', async () => {
    const misses: Array<[string, string]> = [];
    const source = fakeSource(fortyHostJob(), { '10.0.0.1': REFUSED, '10.0.0.2': REFUSED, '10.0.0.3': { after: 5000, text: DISK_FULL }, '10.0.0.4': REFUSED, '10.0.0.5': DISK_FULL });
    const service = new JobService(source, () => 0, { diagnosisBudgetMs: 1500, onDiagnosisMiss: (ref, reason) => misses.push([ref.ip, reason]) });
    const pending = service.summarize(ACTOR, V3_REF);
    let done = false;
    void pending.then(() => (done = true));
    await jest.advanceTimersByTimeAsync(1499);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const summary = await pending;
    expect(misses).toEqual([['10.0.0.3', 'late']]);
    expect(rowsOf(summary)).toEqual([
      [1, [1, 2, 4], REFUSED, false, 0],
      [1, [5], DISK_FULL, false, 0],
      [1, [3, ...range(6, 40)], null, false, 36],
    ]);
    await jest.advanceTimersByTimeAsync(5000);
  });

  it('a second summary of the same run reuses every line read (extra hosts too) and asks only for what was missing', async () => {
    const logs: Record<string, string | typeof NEVER> = { '10.0.0.1': REFUSED, '10.0.0.2': NEVER, '10.0.0.3': DISK_FULL, '10.0.0.4': REFUSED, '10.0.0.5': DISK_FULL };
    const source = fakeSource(fortyHostJob(), logs);
    const service = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 });
    const first = service.summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(1500);
    expect(rowsOf(await first)).toEqual([
      [1, [1, 4], REFUSED, false, 0],
      [1, [3, 5], DISK_FULL, false, 0],
      [1, [2, ...range(6, 40)], null, false, 36],
    ]);
    expect(source.asked).toHaveLength(5);

    // The late host answers now: only it is asked again; the four lines read before are reused.
    logs['10.0.0.2'] = REFUSED;
    const second = service.summarize(ACTOR, V3_REF);
    await jest.advanceTimersByTimeAsync(0);
    const summary = await second;
    expect(source.asked).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.2']);
    expect(rowsOf(summary)).toEqual([
      [1, [1, 2, 4], REFUSED, false, 0],
      [1, [3, 5], DISK_FULL, false, 0],
      [1, range(6, 40), null, false, 35],
    ]);

    // Everything known: a third summary (a watch's next poll) asks for nothing and says the same.
    const third = await service.summarize(ACTOR, V3_REF);
    expect(source.asked).toHaveLength(6);
    expect(third).toStrictEqual(summary);
  });

  it('a log read with no line in it is remembered too (not asked again)', async () => {
    const source = fakeSource(fortyHostJob(), { '10.0.0.1': REFUSED, '10.0.0.2': '', '10.0.0.3': DISK_FULL, '10.0.0.4': REFUSED, '10.0.0.5': '[2024-06-11 10:15:09][PID:1] job_start\n' });
    const service = new JobService(source, () => 0, { diagnosisBudgetMs: 1500 });
    const first = await service.summarize(ACTOR, V3_REF);
    // Hosts 2 and 5 were read and have no line: of the 37 hosts without one, 35 were not read.
    expect(rowsOf(first)).toEqual([
      [1, [1, 4], REFUSED, false, 0],
      [1, [3], DISK_FULL, false, 0],
      [1, [2, 5, ...range(6, 40)], null, false, 35],
    ]);
    expect(await service.summarize(ACTOR, V3_REF)).toStrictEqual(first);
    expect(source.asked).toHaveLength(5);
  });
});

describe('logTailOf', () => {
  it('keeps short text whole and cuts long text at a line start', () => {
    expect(logTailOf('a\nb')).toBe('a\nb');
    expect(logTailOf('first line\nsecond\nthird', 12)).toBe('third');
    expect(logTailOf('x'.repeat(20), 5)).toBe('xxxxx');
  });
});
