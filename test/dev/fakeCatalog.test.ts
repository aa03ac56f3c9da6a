/**
 * FakeBkJob's catalog over HTTP: get_job_instance_list, crons and plans follow JOB's own rules
 * (bkjob-source-facts C2, C3), the list/detail shapes match the fixtures, and the non-public
 * `/api/v3/system/…` twins take the user from X-Bk-Username.
 */
import fs from 'node:fs';
import path from 'node:path';
import { V3JobCatalog } from '../../src/bkjob/catalog';
import { BkTransport, type BkAuthMode } from '../../src/bkjob/transport';
import type { FakeCronDef, FakePlanDef } from '../../dev/fakeCatalog';
import { FakeBkJob } from '../../dev/fakeEsb';
import type { FakeJobDef } from '../../dev/fakeJobs';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'bkjob');
const NOW = 1718590469000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2024-06-17 10:10:00 +08:00. */
const T0 = 1718590200000;

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

function withoutRequestId(value: unknown): Record<string, unknown> {
  const copy = { ...(value as Record<string, unknown>) };
  expect(typeof copy.job_request_id).toBe('string');
  delete copy.job_request_id;
  return copy;
}

/** A one-step job created at `createTime`, succeeded (or running) on one host. */
function job(jobInstanceId: number, createTime: number, extra: Partial<FakeJobDef> = {}, running = false): FakeJobDef {
  return {
    bizId: 3,
    jobInstanceId,
    name: `job-${jobInstanceId}`,
    createTime,
    steps: [
      {
        stepInstanceId: jobInstanceId * 10,
        name: 'run',
        status: running ? 2 : 3,
        type: 1,
        executeCount: 0,
        hosts: [
          {
            bkHostId: 1001,
            bkCloudId: 0,
            ip: '10.0.0.1',
            ipStatus: running ? 7 : 9,
            tag: '',
            exitCode: running ? null : 0,
            errorCode: running ? 115 : 0,
            startTime: createTime + 1000,
            endTime: running ? null : createTime + 4000,
            log: '',
          },
        ],
      },
    ],
    ...extra,
  };
}

const NIGHTLY: FakeCronDef = { bizId: 3, id: 1000031, name: 'nightly-log-rotate', jobPlanId: 1000193, enabled: true, expression: '0 9 * * *', creator: 'alice', createTime: 1716190200000, lastModifyTime: 1717988400000, variables: [{ id: 1000412, name: 'retain_days', value: '7', type: 1 }] };
const WEEKLY: FakeCronDef = { bizId: 3, id: 1000044, name: 'weekly-cert-check', jobPlanId: 1000205, enabled: false, expression: '30 8 * * 1', creator: 'bob', createTime: 1716190200000, lastModifyTime: 1717988400000 };
const RELEASE_PLAN: FakePlanDef = { bizId: 3, id: 1000205, name: 'release-gate-payments', jobTemplateId: 1000090, creator: 'bob', createTime: 1716190200000, lastModifyTime: 1717988400000 };
const NIGHTLY_PLAN: FakePlanDef = { bizId: 3, id: 1000193, name: 'nightly-log-rotate', jobTemplateId: 1000087, creator: 'alice', createTime: 1716190200000, lastModifyTime: 1717988400000, needUpdate: true };

const JOBS: FakeJobDef[] = [
  job(2001904388, T0 - 4200_000, { name: 'nightly-log-rotate', launchMode: 3, cronId: 1000031, jobPlanId: 1000193, jobTemplateId: 1000087, operator: 'alice' }, true),
  job(2001903120, T0 - DAY, { name: 'nightly-log-rotate', launchMode: 3, cronId: 1000031, jobPlanId: 1000193, jobTemplateId: 1000087, operator: 'alice', status: 4 }),
  job(2001904417, T0, { name: 'release-gate-payments', jobPlanId: 1000205, jobTemplateId: 1000090, operator: 'bob' }),
  job(2001904390, T0 - 2 * HOUR, { name: '快速执行脚本_20240617090312117', launchMode: 2, operator: 'ci-bot' }),
  job(2001900001, T0 - 40 * DAY, { name: 'old-run', launchMode: 3, cronId: 1000031, jobPlanId: 1000193 }),
  { ...job(2001900002, T0, { name: 'other-biz' }), bizId: 4 },
];

describe('FakeBkJob catalog', () => {
  const fake = new FakeBkJob({ jobs: JOBS, crons: [NIGHTLY, WEEKLY], plans: [RELEASE_PLAN, NIGHTLY_PLAN], now: () => NOW, deniedUsers: { mallory: 'access_business', victor: 'view_history' } });
  const creds = () => ({ bk_app_code: fake.appCode, bk_app_secret: fake.appSecret });
  const SCOPE = { bk_scope_type: 'biz', bk_scope_id: '3' } as const;
  const WINDOW = { create_time_start: T0 - 7 * DAY, create_time_end: T0 } as const;

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  async function esb(api: string, body: Record<string, unknown>, user = 'admin') {
    const response = await fetch(`${fake.url}/api/c/compapi/v2/jobv3/${api}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...creds(), bk_username: user, ...body }) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  async function gateway(resource: string, query: Record<string, string | number>, headers: Record<string, string>) {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const response = await fetch(`${fake.gatewayUrl}${resource}?${qs.toString()}`, { headers });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  const publicAuth = (user = 'admin') => ({ 'X-Bkapi-Authorization': JSON.stringify({ ...creds(), bk_username: user }) });
  const systemAuth = (user?: string) => ({ 'X-Bkapi-Authorization': JSON.stringify(creds()), ...(user !== undefined ? { 'X-Bk-Username': user } : {}) });

  type Page = { start: number; length: number; total: number; data: Record<string, unknown>[] };
  const pageOf = (json: Record<string, unknown>): Page => {
    expect(json).toMatchObject({ result: true, code: 0 });
    return json.data as Page;
  };
  const ids = (json: Record<string, unknown>): unknown[] => pageOf(json).data.map((item) => item.job_instance_id ?? item.id);

  describe('get_job_instance_list', () => {
    it('lists the scope’s jobs in the window newest first, shaped like the fixture items, never with the cron id', async () => {
      const { json } = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW });
      const page = pageOf(json);
      expect([page.start, page.length, page.total]).toEqual([0, 20, 4]);
      expect(ids(json)).toEqual([2001904417, 2001904388, 2001904390, 2001903120]);
      const fixtureItem = (fixture('v3-get_job_instance_list-cron-page.json').data as Page).data[0]!;
      for (const item of page.data) expect(Object.keys(item).sort()).toEqual(Object.keys(fixtureItem).sort());
      expect(page.data[1]).toEqual({
        bk_biz_id: 3,
        bk_scope_type: 'biz',
        bk_scope_id: '3',
        job_instance_id: 2001904388,
        job_plan_id: 1000193,
        job_template_id: 1000087,
        name: 'nightly-log-rotate',
        operator: 'alice',
        launch_mode: 3,
        status: 2,
        start_time: T0 - 4200_000 + 1000,
        end_time: null,
        // Running: now − start.
        total_time: NOW - (T0 - 4200_000 + 1000),
        create_time: T0 - 4200_000,
        type: 0,
      });
      // A fast job: -1 ids, type 1, launched by API; a web-launched plan job by default.
      expect(page.data[2]).toMatchObject({ job_plan_id: -1, job_template_id: -1, type: 1, launch_mode: 2, operator: 'ci-bot', status: 3, total_time: 3000 });
      expect(page.data[0]).toMatchObject({ launch_mode: 1, type: 0, operator: 'bob' });
      expect(page.data[3]).toMatchObject({ status: 4 });
    });

    it('includes both bounds of the window', async () => {
      const { json } = await esb('get_job_instance_list', { ...SCOPE, create_time_start: T0 - DAY, create_time_end: T0 });
      expect(ids(json)).toEqual([2001904417, 2001904388, 2001904390, 2001903120]);
      const narrower = await esb('get_job_instance_list', { ...SCOPE, create_time_start: T0 - DAY + 1, create_time_end: T0 - 1 });
      expect(ids(narrower.json)).toEqual([2001904388, 2001904390]);
    });

    it('filters by job_cron_id exactly; a job_plan_id parameter filters nothing (there is no such filter)', async () => {
      const byCron = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, job_cron_id: 1000031 });
      expect(ids(byCron.json)).toEqual([2001904388, 2001903120]);
      const otherCron = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, job_cron_id: 1000044 });
      expect(ids(otherCron.json)).toEqual([]);
      const byPlan = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, job_plan_id: 1000205 });
      expect(pageOf(byPlan.json).total).toBe(4);
    });

    it.each<[string, Record<string, unknown>, number[]]>([
      ['launch_mode', { launch_mode: 3 }, [2001904388, 2001903120]],
      ['type', { type: 1 }, [2001904390]],
      ['status', { status: 4 }, [2001903120]],
      ['operator (exact)', { operator: 'ali' }, []],
      ['operator', { operator: 'alice' }, [2001904388, 2001903120]],
      ['name LIKE', { name: 'gate' }, [2001904417]],
      ['ip', { ip: '10.0.0.1' }, [2001904417, 2001904388, 2001904390, 2001903120]],
    ])('filters by %s', async (_name, filter, want) => {
      const { json } = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, ...filter });
      expect(ids(json)).toEqual(want);
    });

    it('job_instance_id ignores every other filter, the window included, but not the scope', async () => {
      const { json } = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, job_instance_id: 2001900001, job_cron_id: 1000044, status: 3, name: 'nothing' });
      expect(ids(json)).toEqual([2001900001]);
      const otherBiz = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, job_instance_id: 2001900002 });
      expect(ids(otherBiz.json)).toEqual([]);
    });

    it.each<[string, Record<string, unknown>, number, string]>([
      ['an unknown launch_mode', { launch_mode: 4 }, 1240002, 'Internal Server Error'],
      ['an unknown status', { status: 12 }, 1240002, 'Internal Server Error'],
      ['an unknown type', { type: 3 }, 1241002, 'Invalid request parameter'],
      ['a missing create_time_start (POST)', { create_time_start: undefined }, 1241007, 'Missing or invalid request parameter [create_time_start]'],
      ['create_time_end 0', { create_time_end: 0 }, 1241007, 'Missing or invalid request parameter [create_time_end]'],
      ['end = start', { create_time_end: T0 - 7 * DAY }, 1241007, 'Missing or invalid request parameter [create_time_end]'],
      ['end before start', { create_time_end: T0 - 8 * DAY }, 1241007, 'Missing or invalid request parameter [create_time_end]'],
      ['a window over 30 days', { create_time_start: T0 - 30 * DAY - 1 }, 1241002, 'Invalid request parameter'],
      ['length 0', { length: 0 }, 1240003, "The param 'length' must be in range: [1,1000]"],
      ['length 1001', { length: 1001 }, 1240003, "The param 'length' must be in range: [1,1000]"],
    ])('refuses %s', async (_name, change, code, message) => {
      const { status, json } = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, ...change });
      expect(status).toBe(200);
      expect(json).toEqual({ code, result: false, job_request_id: expect.any(String), message });
    });

    it('accepts a window of exactly 30 days and length 1000', async () => {
      const { json } = await esb('get_job_instance_list', { ...SCOPE, create_time_start: T0 - 30 * DAY, create_time_end: T0, length: 1000 });
      expect(pageOf(json)).toMatchObject({ start: 0, length: 1000, total: 4 });
    });

    it('pages with start (default 0) and length (default 20)', async () => {
      for (let i = 0; i < 25; i++) fake.setJob(job(2001800000 + i, T0 - 3 * DAY - i * HOUR));
      const first = pageOf((await esb('get_job_instance_list', { ...SCOPE, ...WINDOW })).json);
      expect([first.start, first.length, first.total, first.data.length]).toEqual([0, 20, 29, 20]);
      const last = pageOf((await esb('get_job_instance_list', { ...SCOPE, ...WINDOW, start: 20, length: 20 })).json);
      expect([last.start, last.total, last.data.length]).toEqual([20, 29, 9]);
      expect(last.data.at(-1)?.job_instance_id).toBe(2001800024);
    });

    it('through the gateway (GET): a missing create_time_start is a bad request (1240003)', async () => {
      const ok = await gateway('/api/v3/get_job_instance_list', { ...SCOPE, ...WINDOW, job_cron_id: 1000031 }, publicAuth());
      expect(ids(ok.json)).toEqual([2001904388, 2001903120]);
      const missing = await gateway('/api/v3/get_job_instance_list', { ...SCOPE, create_time_end: T0 }, publicAuth());
      expect(missing.json).toEqual({ code: 1240003, result: false, job_request_id: expect.any(String), message: 'Bad Request' });
    });

    it('answers 9900403 access_business to a denied user; view_history is not checked on lists', async () => {
      const denied = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW }, 'mallory');
      expect(denied.json).toMatchObject({ code: 9900403, result: false, permission: { actions: [{ id: 'access_business', related_resource_types: [{ type: 'biz', instances: [[{ id: '3' }]] }] }] } });
      const historyDenied = await esb('get_job_instance_list', { ...SCOPE, ...WINDOW }, 'victor');
      expect(pageOf(historyDenied.json).total).toBe(4);
    });
  });

  describe('crons', () => {
    it('get_cron_list and get_cron_detail answer exactly the fixtures (status 1/0, times in seconds)', async () => {
      const list = await esb('get_cron_list', { ...SCOPE });
      expect(withoutRequestId(list.json)).toEqual(withoutRequestId(fixture('v3-get_cron_list-page.json')));
      const detail = await esb('get_cron_detail', { ...SCOPE, id: 1000031 });
      expect(withoutRequestId(detail.json)).toEqual(withoutRequestId(fixture('v3-get_cron_detail.json')));
    });

    it('get_cron_detail of an unknown id is success without a data key', async () => {
      const { json } = await esb('get_cron_detail', { ...SCOPE, id: 999 });
      expect(json).toEqual({ result: true, code: 0, job_request_id: expect.any(String) });
      expect('data' in json).toBe(false);
    });

    it('get_cron_list?id=<unknown> fails with 1240002; a known id ignores the other filters', async () => {
      const unknown = await esb('get_cron_list', { ...SCOPE, id: 999 });
      expect(unknown.json).toMatchObject({ code: 1240002, result: false });
      const known = await esb('get_cron_list', { ...SCOPE, id: 1000044, name: 'nightly', status: 1 });
      expect(ids(known.json)).toEqual([1000044]);
    });

    it.each<[string, number[]]>([
      ['1', [1000031]],
      ['0', [1000044]],
      ['2', [1000031, 1000044]],
      ['9', [1000031, 1000044]],
    ])('status=%s filters only for 1 and 0', async (status, want) => {
      const { json } = await gateway('/api/v3/get_cron_list', { ...SCOPE, status }, publicAuth());
      expect(ids(json)).toEqual(want);
    });

    it('filters by name (LIKE) and creator, and pages', async () => {
      expect(ids((await esb('get_cron_list', { ...SCOPE, name: 'cert' })).json)).toEqual([1000044]);
      expect(ids((await esb('get_cron_list', { ...SCOPE, creator: 'alice' })).json)).toEqual([1000031]);
      const second = pageOf((await esb('get_cron_list', { ...SCOPE, start: 1, length: 1 })).json);
      expect([second.start, second.length, second.total, second.data.map((c) => c.id)]).toEqual([1, 1, 2, [1000044]]);
    });

    it('setCron and removeCron change what JOB answers; crons are per scope', async () => {
      fake.setCron({ ...WEEKLY, id: 1000050, name: 'hourly', enabled: true, expression: null });
      fake.removeCron(3, 1000031);
      fake.setCron({ ...NIGHTLY, bizId: 4 });
      expect(ids((await esb('get_cron_list', { ...SCOPE })).json)).toEqual([1000044, 1000050]);
      const hourly = await esb('get_cron_detail', { ...SCOPE, id: 1000050 });
      expect(hourly.json.data).toMatchObject({ id: 1000050, status: 1, expression: null, global_var_list: [] });
      fake.reset();
      expect(ids((await esb('get_cron_list', { ...SCOPE })).json)).toEqual([1000031, 1000044]);
    });

    it('refuses a denied user with 9900403', async () => {
      const { json } = await esb('get_cron_detail', { ...SCOPE, id: 1000031 }, 'mallory');
      expect(json).toMatchObject({ code: 9900403, permission: { actions: [{ id: 'access_business' }] } });
    });
  });

  describe('plans', () => {
    it('get_job_plan_list answers exactly the fixture', async () => {
      const { json } = await gateway('/api/v3/get_job_plan_list', { ...SCOPE }, publicAuth());
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture('v3-get_job_plan_list-page.json')));
    });

    it('get_job_plan_list filters by name and template and validates nothing', async () => {
      expect(ids((await esb('get_job_plan_list', { ...SCOPE, name: 'nightly' })).json)).toEqual([1000193]);
      expect(ids((await esb('get_job_plan_list', { ...SCOPE, job_template_id: 1000090 })).json)).toEqual([1000205]);
      expect(pageOf((await esb('get_job_plan_list', { ...SCOPE, length: 5000 })).json).total).toBe(2);
    });

    it('get_job_plan_detail answers the plan, or 1243009 for an unknown one; setPlan adds one', async () => {
      const known = await esb('get_job_plan_detail', { ...SCOPE, job_plan_id: 1000205 });
      expect(known.json.data).toMatchObject({ id: 1000205, name: 'release-gate-payments', job_template_id: 1000090, creator: 'bob', create_time: 1716190200, last_modify_time: 1717988400 });
      const unknown = await esb('get_job_plan_detail', { ...SCOPE, job_plan_id: 1000300 });
      expect(unknown.json).toMatchObject({ code: 1243009, result: false });
      fake.setPlan({ ...RELEASE_PLAN, id: 1000300, name: 'new-plan' });
      expect((await esb('get_job_plan_detail', { ...SCOPE, job_plan_id: 1000300 })).json.data).toMatchObject({ id: 1000300, name: 'new-plan' });
    });
  });

  describe('system resources (/api/v3/system/…)', () => {
    it('take the user from X-Bk-Username', async () => {
      const ok = await gateway('/api/v3/system/get_job_instance_list', { ...SCOPE, ...WINDOW, job_cron_id: 1000031 }, systemAuth('alice'));
      expect(ids(ok.json)).toEqual([2001904388, 2001903120]);
      const denied = await gateway('/api/v3/system/get_cron_list', { ...SCOPE }, systemAuth('mallory'));
      expect(denied.json).toMatchObject({ code: 9900403, message: 'User (mallory) permission not allowed, please confirm and apply permission in IAM and try again' });
      // A bk_username in the auth header does not name the user here.
      const headerUser = await gateway('/api/v3/system/get_cron_list', { ...SCOPE }, { 'X-Bkapi-Authorization': JSON.stringify({ ...creds(), bk_username: 'mallory' }), 'X-Bk-Username': 'alice' });
      expect(pageOf(headerUser.json).total).toBe(2);
    });

    it('refuse a call without X-Bk-Username with HTTP 401 and 1247002', async () => {
      const { status, json } = await gateway('/api/v3/system/get_cron_list', { ...SCOPE }, systemAuth());
      expect(status).toBe(401);
      expect(json).toEqual({ code: 1247002, result: false, job_request_id: expect.any(String), message: 'Missing valid user info' });
    });

    it('refuse a wrong app secret as the gateway does (400, 1640001)', async () => {
      const { status, json } = await gateway('/api/v3/system/get_cron_list', { ...SCOPE }, { 'X-Bkapi-Authorization': JSON.stringify({ bk_app_code: fake.appCode, bk_app_secret: 'wrong' }), 'X-Bk-Username': 'alice' });
      expect(status).toBe(400);
      expect(json).toMatchObject({ code: 1640001, code_name: 'INVALID_ARGS' });
    });

    it('serve the status APIs too, v4 included', async () => {
      const v3 = await gateway('/api/v3/system/get_job_instance_status', { ...SCOPE, job_instance_id: 2001904417, return_ip_result: 'true' }, systemAuth('alice'));
      expect(v3.json).toMatchObject({ result: true, data: { job_instance: { job_instance_id: 2001904417 } } });
      const v4 = await gateway('/api/v4/system/get_job_instance_status', { ...SCOPE, job_instance_id: 2001904417 }, systemAuth('alice'));
      expect(v4.status).toBe(200);
      expect(v4.json).toMatchObject({ data: { job_instance: { job_instance_id: 2001904417 } } });
      expect('result' in v4.json).toBe(false);
    });
  });

  it('requestsTo counts one API whichever way it was reached', async () => {
    await esb('get_cron_list', { ...SCOPE });
    await gateway('/api/v3/get_cron_list', { ...SCOPE }, publicAuth());
    await gateway('/api/v3/system/get_cron_list', { ...SCOPE }, systemAuth('alice'));
    await esb('get_cron_detail', { ...SCOPE, id: 1000031 });
    expect(fake.requestsTo('get_cron_list')).toBe(3);
    expect(fake.requestsTo('get_cron_detail')).toBe(1);
    expect(fake.requestsTo('get_job_instance_list')).toBe(0);
  });

  it.each<BkAuthMode>(['esb', 'gateway', 'gateway-system'])('V3JobCatalog reads the fake through %s', async (via) => {
    const catalog = new V3JobCatalog(
      new BkTransport({ baseUrl: via === 'esb' ? fake.url : fake.gatewayUrl, credentials: { appCode: fake.appCode, appSecret: fake.appSecret }, timeoutMs: 5000, maxResponseBytes: 1024 * 1024, auth: via }),
      { via },
    );
    const actor = { kind: 'username', username: 'alice' } as const;
    const runs = await catalog.listJobInstances(actor, { bizId: 3 }, { createTimeStart: T0 - 7 * DAY, createTimeEnd: T0, start: 0, length: 10, cronId: 1000031 });
    expect(runs.items.map((i) => [i.jobInstanceId, i.jobPlanId, i.launchMode])).toEqual([
      [2001904388, 1000193, 3],
      [2001903120, 1000193, 3],
    ]);
    expect(await catalog.getCron(actor, { bizId: 3 }, 1000031)).toMatchObject({ name: 'nightly-log-rotate', enabled: true, lastModifyTime: 1717988400000 });
    expect(await catalog.getCron(actor, { bizId: 3 }, 999)).toBeNull();
    expect(await catalog.getJobPlan(actor, { bizId: 3 }, 999)).toBeNull();
    expect((await catalog.listJobPlans(actor, { bizId: 3 }, { start: 0, length: 20 })).items.map((p) => p.id)).toEqual([1000205, 1000193]);
    expect(fake.requestsTo('get_job_instance_list')).toBe(1);
  });
});
