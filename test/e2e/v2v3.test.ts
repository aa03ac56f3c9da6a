/**
 * The same jobs through v2 (ESB), v3 (ESB) and v3 (API gateway), wired exactly as production wires
 * them (`createJobSource(loadConfig(env))`) against the FakeBkJob: the summaries must tell the
 * same story once what only v3 knows (job name, step type, bk_host_id) is set aside, and the
 * host logs must be the same text with the same step and host result.
 */
import type { BkActor, HostLog, HostLogRef, JobInstance } from '../../src/bkjob/model';
import type { JobLogSource } from '../../src/bkjob/source';
import { createJobSource } from '../../src/app';
import { loadConfig } from '../../src/config';
import { FakeBkJob } from '../../dev/fakeEsb';
import type { FakeJobDef } from '../../dev/fakeJobs';
import { failedJob, failingOnThreeOf200, waitingForUserJob } from '../../dev/scenarios';
import { JobService } from '../../src/jobService';
import { buildJobSummary } from '../../src/summary/build';
import type { JobSummary } from '../../src/summary/types';
import { sourceEnv } from '../helpers/fakes';
import { blockKitErrors } from '../helpers/blockKit';
import { startHarness } from '../../dev/harness';
import type { KnownBlock, SectionBlock } from '@slack/types';

type Flavour = 'v2' | 'v3-esb' | 'v3-gateway';
const FLAVOURS: readonly Flavour[] = ['v2', 'v3-esb', 'v3-gateway'];
const ACTOR: BkActor = { kind: 'username', username: 'alice' };

const SCENARIOS: readonly (readonly [string, () => FakeJobDef])[] = [
  ['failedJob', failedJob],
  ['failingOnThreeOf200', failingOnThreeOf200],
  ['waitingForUserJob', waitingForUserJob],
];

const esb = new FakeBkJob({ jobs: SCENARIOS.map(([, make]) => make()) });
const sources = {} as Record<Flavour, JobLogSource>;

function envFor(flavour: Flavour): Record<string, string> {
  const env = sourceEnv(esb);
  if (flavour === 'v2') env.BK_JOB_API_VERSION = 'v2';
  if (flavour === 'v3-esb') env.BK_JOB_API_VERSION = 'v3';
  if (flavour === 'v3-gateway') Object.assign(env, { BK_JOB_API_VERSION: 'v3', BK_V3_TRANSPORT: 'gateway', BK_API_BASE_URL: esb.gatewayUrl });
  return env;
}

beforeAll(async () => {
  await esb.start();
  for (const flavour of FLAVOURS) sources[flavour] = createJobSource(loadConfig(envFor(flavour)));
});

afterAll(() => esb.stop());

/**
 * The summary without what only v3 returns: the job's name, step types, bk_host_id, and the times
 * of steps without hosts (v2 has no step times at all; it derives them from host times, so a
 * manual confirmation step, which has no hosts, has none).
 */
function withoutV3Extras(summary: JobSummary): JobSummary {
  return {
    ...summary,
    name: null,
    steps: summary.steps.map((s) => ({
      ...s,
      type: null,
      ...(s.hostCount === 0 ? { startTime: null, endTime: null, durationMs: null } : {}),
      failingGroups: s.failingGroups.map((g) => ({ ...g, hosts: g.hosts.map((h) => ({ bkCloudId: h.bkCloudId, ip: h.ip })) })),
    })),
  };
}

/**
 * The v2 summary without its error lines: v2 keeps failing hosts' log tails as the response
 * streams past, v3 fetches logs only through JobService (checked in the test after these).
 */
function withoutErrorLines(summary: JobSummary): JobSummary {
  return { ...summary, steps: summary.steps.map(({ errorRows: _rows, ...s }) => s) };
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000) * 1000);

/**
 * A JobInstance without what differs by API design: v3's name, status, step types, bk_host_id and
 * hostless-step times; v2's host order (grouped by status) and second-precision times; and the
 * end time of an unfinished job (v2 derives it from the steps that ended, v3 says none yet).
 */
function instanceWithoutApiDifferences(instance: JobInstance): JobInstance {
  const finished = buildJobSummary(instance).finished;
  return {
    ...instance,
    name: null,
    status: null,
    endTime: finished ? instance.endTime : null,
    steps: instance.steps.map((s) => ({
      ...s,
      type: null,
      ...(s.hosts.length === 0 ? { startTime: null, endTime: null, totalTimeMs: null } : {}),
      hosts: s.hosts
        .map(({ bkHostId: _id, logTail: _tail, ...h }) => ({ ...h, startTime: seconds(h.startTime), endTime: seconds(h.endTime) }))
        .sort((a, b) => a.bkCloudId - b.bkCloudId || a.ip.localeCompare(b.ip)),
    })),
  };
}

function hostLogWithoutV3Extras(log: HostLog): HostLog {
  const { bkHostId: _refId, ...ref } = log.ref;
  const { bkHostId: _hostId, ...host } = log.host;
  return { ...log, ref, host };
}

async function fetchAll(def: FakeJobDef): Promise<Record<Flavour, JobInstance>> {
  const ref = { bizId: def.bizId, jobInstanceId: def.jobInstanceId };
  const [v2, v3esb, v3gw] = await Promise.all(FLAVOURS.map((f) => sources[f].getJobInstance(ACTOR, ref)));
  return { v2: v2!, 'v3-esb': v3esb!, 'v3-gateway': v3gw! };
}

it('the configs select the intended API versions and transports', () => {
  const v2 = loadConfig(envFor('v2')).bk;
  const v3 = loadConfig(envFor('v3-esb')).bk;
  const gw = loadConfig(envFor('v3-gateway')).bk;
  expect([v2.apiVersion, v2.apiBaseUrl, v3.apiVersion, v3.v3Transport, v3.apiBaseUrl, gw.apiVersion, gw.v3Transport, gw.apiBaseUrl]).toStrictEqual(['v2', esb.url, 'v3', 'esb', esb.url, 'v3', 'gateway', esb.gatewayUrl]);
});

describe.each(SCENARIOS)('%s through v2, v3 (ESB) and v3 (gateway)', (_name, make) => {
  const def = make();

  it('builds identical summaries apart from what only v3 knows', async () => {
    const jobs = await fetchAll(def);
    const summaries = { v2: withoutErrorLines(buildJobSummary(jobs.v2)), 'v3-esb': buildJobSummary(jobs['v3-esb']), 'v3-gateway': buildJobSummary(jobs['v3-gateway']) };
    // Both v3 transports return the very same data.
    expect(summaries['v3-gateway']).toStrictEqual(summaries['v3-esb']);
    // v2 has none of the v3 extras, so normalising it changes nothing.
    expect(withoutV3Extras(summaries.v2)).toStrictEqual(summaries.v2);
    expect(withoutV3Extras(summaries['v3-esb'])).toStrictEqual(summaries.v2);

    // The extras are really there in v3 (the normaliser is not hiding a broken v3 parse).
    const v3 = summaries['v3-esb'];
    expect(v3.name).toBe(def.name);
    expect(v3.steps.map((s) => s.type)).toStrictEqual(def.steps.map((s) => s.type));
    const v3Hosts = v3.steps.flatMap((s) => s.failingGroups.flatMap((g) => g.hosts));
    for (const h of v3Hosts) expect(h.bkHostId).toBe(def.steps.flatMap((s) => s.hosts).find((d) => d.ip === h.ip && d.bkCloudId === h.bkCloudId)?.bkHostId);
    expect(summaries.v2.name).toBeNull();
    expect(summaries.v2.steps.every((s) => s.type === null)).toBe(true);
  });

  it('returns the same job instances apart from what differs by API design', async () => {
    const jobs = await fetchAll(def);
    expect(jobs['v3-gateway']).toStrictEqual(jobs['v3-esb']);
    expect(instanceWithoutApiDifferences(jobs['v3-esb'])).toStrictEqual(instanceWithoutApiDifferences(jobs.v2));
  });

  it('tells why it failed alike: v2 from the logs it streams, v3 from the few logs it reads per failing group', async () => {
    const ref = { bizId: def.bizId, jobInstanceId: def.jobInstanceId };
    const lines = async (flavour: Flavour) => {
      const summary = await new JobService(sources[flavour], Date.now, { diagnosisBudgetMs: 5000 }).summarize(ACTOR, ref);
      // The scenarios' groups fail alike on every host, so v2 (every failing host's line) does not split them.
      return summary.steps.map((s) => (s.errorRows?.rows ?? []).map((r) => [r.ipStatus, r.exitCode, r.hosts.length, r.errorLine]));
    };
    const [v2, v3] = [await lines('v2'), await lines('v3-esb')];
    expect(v3).toStrictEqual(v2);
    if (_name !== 'waitingForUserJob') expect(v2.flat().length).toBeGreaterThan(0);
  });

  it('returns the same host logs (content, step, host result)', async () => {
    const jobs = await fetchAll(def);
    // Every failing host, plus the first host of every step that has hosts.
    const picks = jobs['v3-esb'].steps.flatMap((s) => {
      const chosen = s.hosts.filter((h, i) => i === 0 || (h.ipStatus !== 9 && h.ipStatus !== 3));
      return chosen.map((h) => ({ stepInstanceId: s.stepInstanceId, type: s.type, bkCloudId: h.bkCloudId, ip: h.ip, bkHostId: h.bkHostId }));
    });
    expect(picks.length).toBeGreaterThan(0);
    for (const pick of picks) {
      const job = { bizId: def.bizId, jobInstanceId: def.jobInstanceId };
      const v2Ref: HostLogRef = { job, stepInstanceId: pick.stepInstanceId, bkCloudId: pick.bkCloudId, ip: pick.ip };
      const v3Ref: HostLogRef = { ...v2Ref, bkHostId: pick.bkHostId! };
      const [v2, v3esb, v3gw, v3ByIp] = await Promise.all([
        sources.v2.getHostLog(ACTOR, v2Ref),
        sources['v3-esb'].getHostLog(ACTOR, v3Ref),
        sources['v3-gateway'].getHostLog(ACTOR, v3Ref),
        // A ref from a v2-shaped address (no bk_host_id) falls back to cloud area + IP.
        sources['v3-esb'].getHostLog(ACTOR, v2Ref),
      ]);
      const label = `step ${pick.stepInstanceId} host ${pick.bkCloudId}:${pick.ip}`;
      expect({ label, log: v3gw }).toStrictEqual({ label, log: v3esb });
      // The log's ref is the ref asked for; everything else is the same whichever way the host was named.
      expect(v3ByIp.ref).toStrictEqual(v2Ref);
      expect({ label, log: { ...v3ByIp, ref: v3Ref } }).toStrictEqual({ label, log: v3esb });
      expect(v3esb.host.bkHostId).toBe(pick.bkHostId);
      expect({ label, step: v2.step }).toStrictEqual({ label, step: v3esb.step });
      expect({ label, status: [v2.host.ipStatus, v2.host.exitCode, v2.host.errorCode] }).toStrictEqual({ label, status: [v3esb.host.ipStatus, v3esb.host.exitCode, v3esb.host.errorCode] });
      const v3 = hostLogWithoutV3Extras(v3esb);
      const v3Host = { ...v3.host, startTime: seconds(v3.host.startTime), endTime: seconds(v3.host.endTime) };
      if (pick.type === 2) {
        // File steps: v3 has structured file_logs, shown one transfer per line around the same text.
        expect({ label, contained: v3.content.includes(v2.content) && v2.content.length > 0 }).toStrictEqual({ label, contained: true });
        expect({ label, log: { ...v3, content: v2.content, host: v3Host } }).toStrictEqual({ label, log: v2 });
      } else {
        expect({ label, content: v2.content }).toStrictEqual({ label, content: v3esb.content });
        expect({ label, log: { ...v3, host: v3Host } }).toStrictEqual({ label, log: v2 });
      }
    }
  });
});

/**
 * One exit code, two reasons: 12 hosts fail with exit 1, the logs of hosts 3 and 5 say the disk is
 * full, every other host's that the connection was refused. v2 sees every log; v3 reads five (the
 * first host, then the step's spare fetches on the group's next hosts) and says the rest were not read.
 */
function twoReasonsJob(): FakeJobDef {
  const start = Date.UTC(2024, 5, 13, 2, 0, 0);
  const refused = (n: number) => `[2024-06-13 10:00:00][PID:${500 + n}] job_start\nrsync -a /srv/app/ 10.9.0.1::app\nrsync: failed to connect to 10.9.0.1 (111): Connection refused\n`;
  const diskFull = `[2024-06-13 10:00:00][PID:9] job_start\ntar -xzf /tmp/app.tar.gz -C /data\ntar: /data/app/lib.so: Cannot write: No space left on device\n`;
  return {
    bizId: 3,
    jobInstanceId: 2001894400,
    name: 'sync-app',
    createTime: start,
    steps: [
      {
        stepInstanceId: 2003775001,
        name: 'Sync app',
        status: 4,
        type: 1,
        executeCount: 0,
        hosts: Array.from({ length: 12 }, (_, i) => ({
          bkHostId: 50001 + i,
          bkCloudId: 0,
          ip: `10.0.5.${i + 1}`,
          ipStatus: 104,
          tag: '',
          exitCode: 1,
          errorCode: 0,
          startTime: start + 1000,
          endTime: start + 9000,
          log: i === 2 || i === 4 ? diskFull : refused(i + 1),
        })),
      },
    ],
  };
}

describe('a job whose hosts fail with one exit code for two reasons, posted by the real bot', () => {
  const failingSection = async (version: 'v2' | 'v3'): Promise<string[]> => {
    const bot = await startHarness({ esb, env: { BK_JOB_API_VERSION: version } });
    try {
      // Only this test's requests are recorded (reset also restores the scenarios' jobs).
      esb.reset();
      esb.setJob(twoReasonsJob());
      await bot.slash('3 2001894400');
      const [post] = await bot.slack.waitFor('chat.postMessage');
      const blocks = post!.args.blocks as KnownBlock[];
      expect(blockKitErrors(blocks)).toEqual([]);
      if (version === 'v3') {
        // The status, then five logs: the group's first host and the step's four spare fetches.
        const ipLogs = esb.requests().filter((r) => r.path.includes('get_job_instance_ip_log'));
        expect(ipLogs.map((r) => (r.body as { bk_host_id?: number }).bk_host_id).sort()).toEqual([50001, 50002, 50003, 50004, 50005]);
      }
      return blocks
        .filter((b): b is SectionBlock => b.type === 'section')
        .map((b) => b.text?.text ?? '')
        .find((t) => t.startsWith('*Failing hosts'))!
        .split('\n');
    } finally {
      await bot.stop();
      esb.removeJob(3, 2001894400);
    }
  };

  it('v3 splits the group by the two lines it read and says the other hosts were not read', async () => {
    expect(await failingSection('v3')).toEqual([
      '*Failing hosts in step 1 · Sync app*',
      '• *exit 1* · Non-zero Exit Code (104) · 3 hosts: `10.0.5.1`, `10.0.5.2`, `10.0.5.4`',
      '    ↳ `rsync: failed to connect to 10.9.0.1 (111): Connection refused`',
      '• *exit 1* · Non-zero Exit Code (104) · 2 hosts: `10.0.5.3`, `10.0.5.5`',
      '    ↳ `tar: /data/app/lib.so: Cannot write: No space left on device`',
      '• *exit 1* · Non-zero Exit Code (104) · 7 hosts: `10.0.5.6`, `10.0.5.7`, `10.0.5.8`, `10.0.5.9`, `10.0.5.10` and 2 more',
      '    ↳ _logs not read_',
    ]);
  });

  it('v2, which sees every log, splits the whole group by line', async () => {
    expect(await failingSection('v2')).toEqual([
      '*Failing hosts in step 1 · Sync app*',
      '• *exit 1* · Non-zero Exit Code (104) · 10 hosts: `10.0.5.1`, `10.0.5.2`, `10.0.5.4`, `10.0.5.6`, `10.0.5.7` and 5 more',
      '    ↳ `rsync: failed to connect to 10.9.0.1 (111): Connection refused`',
      '• *exit 1* · Non-zero Exit Code (104) · 2 hosts: `10.0.5.3`, `10.0.5.5`',
      '    ↳ `tar: /data/app/lib.so: Cannot write: No space left on device`',
    ]);
  });
});

describe('what went over the wire', () => {
  it('v2 and v3-ESB carry credentials as parameters, the gateway only in its header', async () => {
    esb.reset();
    const def = failedJob();
    await Promise.all(FLAVOURS.map((f) => sources[f].getJobInstance(ACTOR, { bizId: def.bizId, jobInstanceId: def.jobInstanceId })));
    const requests = esb.requests();
    expect(requests.map((r) => `${r.method} ${r.path}`).sort()).toStrictEqual(
      ['GET /api/c/compapi/v2/job/get_job_instance_log/', 'POST /api/c/compapi/v2/jobv3/get_job_instance_status/', 'GET /api/bk-job/prod/api/v3/get_job_instance_status'].sort(),
    );
    const v2 = requests.find((r) => r.path.includes('/v2/job/'))!;
    expect(v2.query).toMatchObject({ bk_app_code: esb.appCode, bk_app_secret: esb.appSecret, bk_username: 'alice', bk_biz_id: '3', job_instance_id: String(def.jobInstanceId) });
    const v3 = requests.find((r) => r.path.includes('/jobv3/'))!;
    expect(v3.body).toMatchObject({ bk_app_code: esb.appCode, bk_app_secret: esb.appSecret, bk_username: 'alice', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: def.jobInstanceId });
    const gateway = requests.find((r) => r.path.startsWith('/api/bk-job/'))!;
    expect(JSON.stringify(gateway.query)).not.toContain(esb.appSecret);
    expect(JSON.parse(gateway.headers['x-bkapi-authorization']!)).toStrictEqual({ bk_app_code: esb.appCode, bk_app_secret: esb.appSecret, bk_username: 'alice' });
  });
});
