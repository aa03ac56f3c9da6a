/**
 * Scripted BlueKing JOB jobs for the end-to-end tests and the offline demo. Every factory returns
 * a fresh, deterministic `FakeJobDef` (fixed timestamps, no randomness), so tests can mutate it.
 * The succeeded, failed and running jobs are the jobs of the hand-built fixtures in
 * `test/fixtures/bkjob/`, so the fakes can be checked against them.
 */
import { type FakeHostDef, type FakeJobDef, type FakeLog, type FakeStepDef, readLog, shanghaiMs } from './fakeJobs';

export const SCENARIO_BIZ_ID = 3;

/** Job instance ids of the scenarios, for tests that type `/joblog <id>`. */
export const SCENARIO_JOB_IDS = {
  succeeded: 2001892988,
  failed: 2001893471,
  running: 2001893530,
  failingOnThreeOf200: 2001894000,
  waitingForUser: 2001894100,
  mentions: 2001894200,
  container: 2001894300,
  huge: 2001899999,
} as const;

export interface ScenarioOverrides {
  readonly bizId?: number;
  readonly jobInstanceId?: number;
  readonly name?: string;
}

function applyOverrides(def: FakeJobDef, overrides: ScenarioOverrides): FakeJobDef {
  return { ...def, bizId: overrides.bizId ?? def.bizId, jobInstanceId: overrides.jobInstanceId ?? def.jobInstanceId, name: overrides.name ?? def.name };
}

interface HostSpec {
  readonly id: number;
  readonly ip: string;
  readonly cloud?: number;
}

function finishedHost(spec: HostSpec, start: number, end: number, log: FakeLog, result: { ipStatus?: number; exitCode?: number; errorCode?: number; tag?: string } = {}): FakeHostDef {
  return {
    bkHostId: spec.id,
    bkCloudId: spec.cloud ?? 0,
    ip: spec.ip,
    ipStatus: result.ipStatus ?? 9,
    tag: result.tag ?? '',
    exitCode: result.exitCode ?? 0,
    errorCode: result.errorCode ?? 0,
    startTime: start,
    endTime: end,
    log,
  };
}

function runningHost(spec: HostSpec, start: number, log: FakeLog): FakeHostDef {
  return { bkHostId: spec.id, bkCloudId: spec.cloud ?? 0, ip: spec.ip, ipStatus: 7, tag: '', exitCode: null, errorCode: 115, startTime: start, endTime: null, log };
}

/** Fixture `v2-get_job_instance_log-success.json`: 3 steps (script, file, script) on 5 hosts, two tags in step 1. */
export function succeededJob(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-10 ${clock}`);
  const hosts: HostSpec[] = [21, 22, 23, 24, 25].map((n, i) => ({ id: 2001 + i, ip: `10.0.2.${n}` }));
  const disk = [
    { used: '20G', avail: '30G', pct: '41%', end: '09:00:06', tag: 'disk_ok' },
    { used: '18G', avail: '32G', pct: '37%', end: '09:00:06', tag: 'disk_ok' },
    { used: '26G', avail: '24G', pct: '52%', end: '09:00:07', tag: 'disk_ok' },
    { used: '41G', avail: '9G', pct: '83%', end: '09:00:06', tag: 'disk_warn' },
    { used: '44G', avail: '6G', pct: '88%', end: '09:00:07', tag: 'disk_warn' },
  ];
  const fileLog =
    '[2024-06-10 09:00:07] FileName: /data/release/app-1.8.3.tar.gz FileSize: 18.6 MB State: dest agent success download file Speed: 4096 KB/s Progress: 100% StatusDesc: dest agent success download file Detail: success';
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.succeeded,
      name: 'release-app-1.8.3',
      createTime: t('09:00:03'),
      steps: [
        {
          stepInstanceId: 2003770501,
          name: 'Check disk usage',
          status: 3,
          type: 1,
          executeCount: 0,
          hosts: hosts.map((h, i) => {
            const d = disk[i] ?? disk[0]!;
            const pid = 5100 + i;
            const log = `[2024-06-10 09:00:04][PID:${pid}] job_start\nFilesystem      Size  Used Avail Use% Mounted on\n/dev/vda1        50G   ${d.used}   ${d.avail}  ${d.pct} /\n[2024-06-10 ${d.end}][PID:${pid}] job_success:[${d.tag}]\n`;
            return finishedHost(h, t('09:00:04'), t(d.end), log, { tag: d.tag });
          }),
        },
        {
          stepInstanceId: 2003770502,
          name: 'Push release package',
          status: 3,
          type: 2,
          executeCount: 0,
          fileSource: { bkHostId: 2000, bkCloudId: 0, ip: '10.0.2.10', srcPath: '/data/release/app-1.8.3.tar.gz', destPath: '/data/release/' },
          hosts: hosts.map((h) => finishedHost(h, t('09:00:07'), t('09:00:12'), fileLog)),
        },
        {
          stepInstanceId: 2003770503,
          name: 'Restart app service',
          status: 3,
          type: 1,
          executeCount: 0,
          hosts: hosts.map((h, i) =>
            finishedHost(h, t('09:00:12'), t('09:00:15'), `[2024-06-10 09:00:12][PID:${6200 + i}] job_start\nStopping app ... OK\nStarting app ... OK\napp is running, pid ${9100 + i}\n`),
          ),
        },
      ],
    },
    overrides,
  );
}

/**
 * Fixtures `v2-get_job_instance_log-failed.json` / `v3-get_job_instance_status-failed.json`: job
 * 2001893471 "deploy-nginx-config" in biz 3, 8 hosts. Step 2 fails on 10.0.1.14 (104, exit 1,
 * `nginx -t 2>&1 failed`), 2:172.16.8.21 (104, exit 2) and 10.0.1.17 (13, task timeout).
 * Step 3 never ran.
 */
export function failedJob(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-11 ${clock}`);
  const hosts: HostSpec[] = [
    ...[11, 12, 13, 14, 15, 16, 17].map((n, i) => ({ id: 1001 + i, ip: `10.0.1.${n}` })),
    { id: 1008, ip: '172.16.8.21', cloud: 2 },
  ];
  const fileLog =
    '[2024-06-11 10:15:03] FileName: /etc/nginx/nginx.conf FileSize: 2.4 KB State: dest agent success download file Speed: 12 KB/s Progress: 100% StatusDesc: dest agent success download file Detail: success';
  const okReload = (pid: number) =>
    `[2024-06-11 10:15:09][PID:${pid}] job_start\nnginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\nreload nginx ... done\n`;
  const reload: Record<string, { end: string; log: string; ipStatus?: number; exitCode?: number; errorCode?: number }> = {
    '10.0.1.11': { end: '10:15:12', log: okReload(41001) },
    '10.0.1.12': { end: '10:15:12', log: okReload(41002) },
    '10.0.1.13': { end: '10:15:13', log: okReload(41003) },
    '10.0.1.14': {
      end: '10:15:12',
      ipStatus: 104,
      exitCode: 1,
      log: '[2024-06-11 10:15:09][PID:41004] job_start\nnginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/api.conf:14\nnginx: configuration file /etc/nginx/nginx.conf test failed\nnginx -t 2>&1 failed, abort reload\n',
    },
    '10.0.1.15': { end: '10:15:12', log: okReload(41005) },
    '10.0.1.16': { end: '10:15:13', log: okReload(41006) },
    '10.0.1.17': {
      end: '10:25:09',
      ipStatus: 13,
      exitCode: 0,
      errorCode: -1,
      log: '[2024-06-11 10:15:09][PID:41007] job_start\nwaiting for upstream health endpoint http://127.0.0.1:8080/healthz ...\n',
    },
    '172.16.8.21': { end: '10:15:14', ipStatus: 104, exitCode: 2, log: '[2024-06-11 10:15:09][PID:41008] job_start\nsystemctl reload nginx\nnginx.service is not active, cannot reload.\n' },
  };
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.failed,
      name: 'deploy-nginx-config',
      createTime: t('10:15:02'),
      steps: [
        { stepInstanceId: 2003771001, name: 'Distribute nginx.conf', status: 3, type: 2, executeCount: 0, hosts: hosts.map((h) => finishedHost(h, t('10:15:03'), t('10:15:09'), fileLog)) },
        {
          stepInstanceId: 2003771002,
          name: 'Reload nginx',
          status: 4,
          type: 1,
          executeCount: 0,
          hosts: hosts.map((h) => {
            const r = reload[h.ip];
            if (!r) throw new Error(`failedJob: no reload result for ${h.ip}`);
            return finishedHost(h, t('10:15:09'), t(r.end), r.log, r);
          }),
        },
        { stepInstanceId: 2003771003, name: 'Health check', status: 1, type: 1, executeCount: 0, hosts: [] },
      ],
    },
    overrides,
  );
}

/** Fixture `v2-get_job_instance_log-running.json`: step 1 running (2 hosts done, 3 running), step 2 pending. */
export function runningJob(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-11 ${clock}`);
  const hosts: HostSpec[] = [31, 32, 33, 34, 35].map((n, i) => ({ id: 3001 + i, ip: `10.0.3.${n}` }));
  const start = t('11:02:30');
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.running,
      name: 'backup-data-dir',
      createTime: t('11:02:29'),
      steps: [
        {
          stepInstanceId: 2003772201,
          name: 'Backup data dir',
          status: 2,
          type: 1,
          executeCount: 0,
          hosts: hosts.map((h, i) => {
            const head = `[2024-06-11 11:02:30][PID:${7300 + i}] job_start\nrsync -a /data/backup/ backup01:/archive/ ...\n`;
            return i < 2 ? finishedHost(h, start, t('11:04:02'), `${head}sent 1.21G bytes  received 3.4K bytes\nbackup finished\n`) : runningHost(h, start, `${head}sent 512.00M bytes so far\n`);
          }),
        },
        { stepInstanceId: 2003772202, name: 'Rotate old backups', status: 1, type: 1, executeCount: 0, hosts: [] },
      ],
    },
    overrides,
  );
}

/** 200 hosts; step 2 fails on 3 of them with different exit codes (1, 127, 137; one in cloud area 2). */
export function failingOnThreeOf200(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-12 ${clock}`);
  const hosts: HostSpec[] = Array.from({ length: 200 }, (_, i) => ({ id: 20001 + i, ip: `10.20.${Math.floor(i / 100)}.${(i % 100) + 1}`, cloud: i === 150 ? 2 : 0 }));
  const failures = new Map<number, { exitCode: number; log: string }>([
    [17, { exitCode: 1, log: 'curl: (7) Failed to connect to 127.0.0.1 port 8080: Connection refused\nhealth check failed after restart\n' }],
    [88, { exitCode: 127, log: '/tmp/bk_job/restart_api.sh: line 12: supervisorctl: command not found\n' }],
    [150, { exitCode: 137, log: 'api-server[5512]: starting 16 workers\nKilled (out of memory: RSS 3.9G > limit 3.5G)\n' }],
  ]);
  const restartStart = t('14:00:20');
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.failingOnThreeOf200,
      name: 'rolling-restart-api',
      createTime: t('14:00:00'),
      steps: [
        {
          stepInstanceId: 2003774001,
          name: 'Drain traffic',
          status: 3,
          type: 1,
          executeCount: 0,
          hosts: hosts.map((h, i) => finishedHost(h, t('14:00:01'), t('14:00:01') + 2000 + (i % 7) * 1000, `[2024-06-12 14:00:01][PID:${8000 + i}] job_start\nremoved ${h.ip} from upstream pool\n`)),
        },
        {
          stepInstanceId: 2003774002,
          name: 'Restart api-server',
          status: 4,
          type: 1,
          executeCount: 1,
          hosts: hosts.map((h, i) => {
            const head = `[2024-06-12 14:00:20][PID:${9000 + i}] job_start\nsystemctl restart api-server\n`;
            const failure = failures.get(i);
            if (failure) return finishedHost(h, restartStart, restartStart + 15_000, head + failure.log, { ipStatus: 104, exitCode: failure.exitCode });
            return finishedHost(h, restartStart, restartStart + 4000 + (i % 11) * 500, `${head}api-server is running\n`);
          }),
        },
        { stepInstanceId: 2003774003, name: 'Restore traffic', status: 1, type: 1, executeCount: 0, hosts: [] },
      ],
    },
    overrides,
  );
}

/** Step 2 is a manual confirmation (type 3) waiting for a user (status 7); step 3 (SQL) not started. */
export function waitingForUserJob(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-12 ${clock}`);
  const hosts: HostSpec[] = [{ id: 4001, ip: '10.0.4.11' }, { id: 4002, ip: '10.0.4.12' }];
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.waitingForUser,
      name: 'db-migration-with-approval',
      createTime: t('16:30:00'),
      steps: [
        {
          stepInstanceId: 2003775001,
          name: 'Backup database',
          status: 3,
          type: 1,
          executeCount: 0,
          hosts: hosts.map((h, i) => finishedHost(h, t('16:30:01'), t('16:31:10'), `[2024-06-12 16:30:01][PID:${6600 + i}] job_start\nmysqldump --single-transaction orders > /data/backup/orders.sql\nbackup size 1.8G\n`)),
        },
        // Manual confirmation has no hosts; it started when JOB reached it and waits for a person.
        { stepInstanceId: 2003775002, name: 'Confirm migration window', status: 7, type: 3, executeCount: 0, startTime: t('16:31:10'), endTime: null, hosts: [] },
        { stepInstanceId: 2003775003, name: 'Run migration', status: 1, type: 4, executeCount: 0, hosts: [] },
      ],
    },
    overrides,
  );
}

/**
 * A job with a container step (JOB feature `containerExecution`): step 1 runs a script on two
 * hosts; step 2 runs in three containers on those hosts and fails in `api-2` (exit 137). JOB's
 * v2 log and v3 status fail on it with 1240002; only v4 describes it. Not in `allScenarioJobs`.
 */
export function containerJob(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-13 ${clock}`);
  const nodes: HostSpec[] = [{ id: 5001, ip: '10.0.5.11' }, { id: 5002, ip: '10.0.5.12' }];
  const containers = [
    { id: 7001, name: 'api-0', containerId: 'containerd://3f1c0a9e51b2', node: nodes[0]! },
    { id: 7002, name: 'api-1', containerId: 'containerd://8d2e4b7c06a1', node: nodes[1]! },
    { id: 7003, name: 'api-2', containerId: 'containerd://c47a90d1e3f5', node: nodes[1]! },
  ];
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.container,
      name: 'rollout-api-containers',
      createTime: t('14:00:00'),
      steps: [
        {
          stepInstanceId: 2003776001,
          name: 'Pull image on nodes',
          status: 3,
          type: 1,
          executeCount: 0,
          hosts: nodes.map((h, i) => finishedHost(h, t('14:00:01'), t('14:00:20'), `[2024-06-13 14:00:01][PID:${7700 + i}] job_start\nimage pulled: registry.example.com/api:2.4.0\n`)),
        },
        {
          stepInstanceId: 2003776002,
          name: 'Reload api in containers',
          status: 4,
          type: 1,
          executeCount: 0,
          hosts: containers.map((c, i) => ({
            ...finishedHost(c.node, t('14:00:21'), t(i === 2 ? '14:00:40' : '14:00:25'), i === 2 ? 'reloading api\nKilled\n' : 'reloading api\nok\n', i === 2 ? { ipStatus: 104, exitCode: 137 } : {}),
            container: { id: c.id, name: c.name, containerId: c.containerId },
          })),
        },
      ],
    },
    overrides,
  );
}

/** Log text that Slack would misread if not escaped: broadcasts, a user mention, links, &, < and >. */
export function logWithMentions(): string {
  return [
    '[2024-06-12 18:00:01][PID:4242] job_start',
    'notify <!channel> and <!here>: deploy started by <@U123>',
    'see <https://evil.example/phish|the dashboard> or <#C0123|ops>',
    'R&D check: grep "a<b>c" /etc/hosts 2>&1 | tee -a /tmp/out && exit 3',
    '*bold* _italic_ ~strike~ `code` ```fence``` &amp; &lt;already-escaped&gt;',
    '',
  ].join('\n');
}

/** One script step failing on one host whose log is `logWithMentions()`. */
export function mentionsJob(overrides: ScenarioOverrides = {}): FakeJobDef {
  const t = (clock: string) => shanghaiMs(`2024-06-12 ${clock}`);
  return applyOverrides(
    {
      bizId: SCENARIO_BIZ_ID,
      jobInstanceId: SCENARIO_JOB_IDS.mentions,
      name: 'notify <!channel> & <@U123>',
      createTime: t('18:00:00'),
      steps: [
        {
          stepInstanceId: 2003776001,
          name: 'Announce <!here> & deploy',
          status: 4,
          type: 1,
          executeCount: 0,
          hosts: [finishedHost({ id: 5001, ip: '10.0.5.11' }, t('18:00:01'), t('18:00:03'), logWithMentions(), { ipStatus: 104, exitCode: 3 })],
        },
      ],
    },
    overrides,
  );
}

export interface HugeJobOptions extends ScenarioOverrides {
  readonly hosts?: number;
  readonly steps?: number;
  /** Length of each host's log; logs are produced on demand, not stored. */
  readonly logBytes?: number;
  /** Hosts (the first N) failing in the last step with exit code 1. Default 3. */
  readonly failingHosts?: number;
}

/**
 * A big finished job, 10,000 hosts × 20 steps × 2 KB logs by default (≈ 400 MB of v2 JSON).
 * Host objects are real, logs are lazy: they are built from one shared filler when serialised.
 */
export function hugeJob(options: HugeJobOptions = {}): FakeJobDef {
  const hostCount = options.hosts ?? 10_000;
  const stepCount = options.steps ?? 20;
  const logBytes = options.logBytes ?? 2048;
  const failing = Math.min(options.failingHosts ?? 3, hostCount);
  if (stepCount < 1) throw new Error('hugeJob needs at least one step');
  const base = shanghaiMs('2024-06-13 02:00:00');
  const line = 'processing batch item ... ok (latency 12 ms, retries 0, queue depth 3)\n';
  const filler = line.repeat(Math.ceil(logBytes / line.length) + 1);
  const specs: HostSpec[] = Array.from({ length: hostCount }, (_, i) => ({ id: 100_001 + i, ip: `10.${100 + Math.floor(i / 65_000)}.${Math.floor(i / 250) % 256}.${(i % 250) + 1}` }));
  const steps: FakeStepDef[] = [];
  for (let s = 0; s < stepCount; s++) {
    const last = s === stepCount - 1;
    const stepStart = base + s * 60_000;
    steps.push({
      stepInstanceId: 2003790001 + s,
      name: `Batch step ${s + 1}`,
      status: last && failing > 0 ? 4 : 3,
      type: 1,
      executeCount: 0,
      hosts: specs.map((h, i) => {
        const fails = last && i < failing;
        const end = stepStart + 1000 + (i % 17) * 1000;
        const log = () => {
          const head = `[step ${s + 1}] job_start on ${h.ip}\n`;
          const tail = fails ? 'batch failed: exit 1\n' : 'batch done\n';
          return head + filler.slice(0, Math.max(0, logBytes - head.length - tail.length)) + tail;
        };
        return finishedHost(h, stepStart, end, log, fails ? { ipStatus: 104, exitCode: 1 } : {});
      }),
    });
  }
  return applyOverrides({ bizId: SCENARIO_BIZ_ID, jobInstanceId: SCENARIO_JOB_IDS.huge, name: `huge-batch-${hostCount}x${stepCount}`, createTime: base - 1000, steps }, options);
}

/**
 * Moves a running job to failed, as JOB would: in step `stepIndex` the given hosts end with
 * ip_status 104 and `exitCode`, every other unfinished host of that step succeeds, the step
 * fails, and later steps stay unstarted. Returns a new def (use with `FakeBkJob.updateJob`).
 */
export function failStep(def: FakeJobDef, stepIndex: number, hostIndexes: readonly number[], exitCode: number): FakeJobDef {
  const step = def.steps[stepIndex];
  if (!step) throw new Error(`failStep: job ${def.jobInstanceId} has no step ${stepIndex}`);
  for (const i of hostIndexes) if (!step.hosts[i]) throw new Error(`failStep: step ${step.stepInstanceId} has no host ${i}`);
  const stepStart = step.startTime ?? step.hosts.find((h) => h.startTime !== null)?.startTime ?? def.createTime;
  const failing = new Set(hostIndexes);
  const hosts = step.hosts.map((host, i): FakeHostDef => {
    const start = host.startTime ?? stepStart;
    const end = host.endTime ?? start + 5000;
    if (failing.has(i)) {
      const log: FakeLog = () => `${readLog(host)}command exited with code ${exitCode}\n`;
      return { ...host, ipStatus: 104, exitCode, errorCode: 0, startTime: start, endTime: end, log };
    }
    if (host.ipStatus === 7 || host.ipStatus === 5) return { ...host, ipStatus: 9, exitCode: 0, errorCode: 0, startTime: start, endTime: end };
    return host;
  });
  const failedStep: FakeStepDef = { ...step, status: 4, hosts };
  delete failedStep.endTime;
  const next: FakeJobDef = { ...def, steps: def.steps.map((s, i) => (i === stepIndex ? failedStep : s)) };
  // Let the job's status and end time follow from the steps again.
  delete next.status;
  delete next.endTime;
  return next;
}

/** Every scenario except the huge one, with distinct job ids: what the offline demo serves. */
export function allScenarioJobs(): FakeJobDef[] {
  return [succeededJob(), failedJob(), runningJob(), failingOnThreeOf200(), waitingForUserJob(), mentionsJob()];
}

/**
 * The same job instance after someone retried step `stepIndex` (JOB's "retry all hosts": the
 * step's execute count goes up by one and the job runs again), at one moment of that retry:
 * `running` (its hosts running again), `succeeded` (its hosts and every later step succeed) or
 * `failed` (the same hosts fail again).
 */
export function retriedStep(def: FakeJobDef, stepIndex: number, moment: 'running' | 'succeeded' | 'failed', at: number): FakeJobDef {
  const target = def.steps[stepIndex];
  if (!target) throw new Error(`retriedStep: the job has no step ${stepIndex}`);
  const steps = def.steps.map((step, i): FakeStepDef => {
    if (i < stepIndex) return step;
    if (i === stepIndex) {
      const executeCount = target.executeCount + 1;
      if (moment === 'failed') return { ...step, status: 4, executeCount, startTime: at, endTime: at + 5000, hosts: step.hosts.map((h) => ({ ...h, startTime: at, endTime: h.ipStatus === 9 ? at + 3000 : at + 5000 })) };
      if (moment === 'running') return { ...step, status: 2, executeCount, startTime: at, endTime: null, hosts: step.hosts.map((h) => ({ ...h, ipStatus: 7, exitCode: null, errorCode: 115, startTime: at, endTime: null })) };
      return { ...step, status: 3, executeCount, startTime: at, endTime: at + 5000, hosts: step.hosts.map((h) => ({ ...h, ipStatus: 9, exitCode: 0, errorCode: 0, startTime: at, endTime: at + 5000 })) };
    }
    // Later steps: not started while the retry runs or fails; run and succeed after it.
    if (moment !== 'succeeded') return { ...step, status: 1, hosts: [] };
    const hosts = target.hosts.map((h) => ({ ...h, ipStatus: 9, exitCode: 0, errorCode: 0, startTime: at + 5000, endTime: at + 8000, log: 'ok\n' }));
    return { ...step, status: 3, startTime: at + 5000, endTime: at + 8000, hosts };
  });
  return { ...def, status: undefined, endTime: undefined, steps };
}

/** A scenario job moved in time: every time shifted so it was created at `createTime` (subscription runs of today). */
export function shiftedTo(def: FakeJobDef, createTime: number): FakeJobDef {
  const shift = createTime - def.createTime;
  const move = (t: number | null | undefined) => (t === null || t === undefined ? t : t + shift);
  return {
    ...def,
    createTime,
    ...(def.startTime !== undefined ? { startTime: move(def.startTime) } : {}),
    ...(def.endTime !== undefined ? { endTime: move(def.endTime) } : {}),
    steps: def.steps.map((step) => ({
      ...step,
      ...(step.createTime !== undefined ? { createTime: step.createTime + shift } : {}),
      ...(step.startTime !== undefined ? { startTime: move(step.startTime) } : {}),
      ...(step.endTime !== undefined ? { endTime: move(step.endTime) } : {}),
      hosts: step.hosts.map((h) => ({ ...h, startTime: move(h.startTime) ?? null, endTime: move(h.endTime) ?? null })),
    })),
  };
}
