/**
 * V3JobCatalog (job instance list, crons, plans) against the fixtures: exact parsed values, the
 * exact request for each way of reaching JOB, seconds turned into ms, and "unknown" as null only
 * where JOB's answer says so.
 */
import nock from 'nock';
import { type CronInfo, type JobInstanceListItem, type JobPlanInfo, V3JobCatalog, catalogEndpoint, epochMsOf } from '../../src/bkjob/catalog';
import type { BkActor, BkScope } from '../../src/bkjob/model';
import type { BkAuthMode } from '../../src/bkjob/transport';
import { APP_CODE, APP_SECRET, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, actorParams, authHeader, expectNoSecrets, failure, sameJson, transport, useNock } from '../helpers/bk';
import { fixtureJson, fixtureText } from '../helpers/jobs';

const BIZ: BkScope = { bizId: 3 };
const SCOPE_BODY = { bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: 3 } as const;
const SCOPE_QUERY = { bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: '3' } as const;
/** 2024-06-16 00:00 → 2024-06-17 12:00 +08:00. */
const WINDOW = { createTimeStart: 1718467200000, createTimeEnd: 1718596800000 } as const;

function catalog(via: BkAuthMode): V3JobCatalog {
  return new V3JobCatalog(transport({ baseUrl: via === 'esb' ? ESB : GATEWAY, auth: via }), { via });
}

const esbBody = (actor: BkActor, params: Record<string, unknown>) => ({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, ...actorParams(actor), ...SCOPE_BODY, ...params });
const gatewayAuth = { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice' };

type Json = Record<string, unknown>;
function fixtureData(name: string): Json & { data: Json[] } {
  return (fixtureJson(name) as { data: Json & { data: Json[] } }).data;
}
const success = (data: unknown) => JSON.stringify({ code: 0, result: true, job_request_id: 'req-1', data });

useNock();

describe('catalogEndpoint', () => {
  it('POSTs to the ESB component, GETs the gateway resource or its system twin', () => {
    expect(catalogEndpoint('esb', 'get_job_instance_list')).toEqual({ method: 'POST', path: '/api/c/compapi/v2/jobv3/get_job_instance_list/' });
    expect(catalogEndpoint('gateway', 'get_cron_list')).toEqual({ method: 'GET', path: '/api/v3/get_cron_list' });
    expect(catalogEndpoint('gateway-system', 'get_job_plan_list')).toEqual({ method: 'GET', path: '/api/v3/system/get_job_plan_list' });
  });
});

describe('listJobInstances', () => {
  const NEWEST: JobInstanceListItem = {
    jobInstanceId: 2001904388,
    name: 'nightly-log-rotate',
    jobPlanId: 1000193,
    jobTemplateId: 1000087,
    launchMode: 3,
    status: 2,
    operator: 'alice',
    type: 0,
    createTime: 1718586000000,
    startTime: 1718586000000,
    endTime: null,
    totalTimeMs: 192000,
  };

  it('POSTs the scope, the ms window, paging and the cron id through the ESB, and reads the cron page', async () => {
    const scope = nock(ESB, { badheaders: ['x-bkapi-authorization'] })
      .post('/api/c/compapi/v2/jobv3/get_job_instance_list/', esbBody(USER, { create_time_start: 1718467200000, create_time_end: 1718596800000, start: 0, length: 3, job_cron_id: 1000031 }))
      .reply(200, fixtureText('v3-get_job_instance_list-cron-page.json'), JSON_HEADERS);
    const page = await catalog('esb').listJobInstances(USER, BIZ, { ...WINDOW, start: 0, length: 3, cronId: 1000031 });
    scope.done();
    expect(page.total).toBe(41);
    expect([page.start, page.length]).toEqual([0, 3]);
    expect(page.items[0]).toStrictEqual(NEWEST);
    expect(page.items.map((i) => [i.jobInstanceId, i.status, i.endTime, i.totalTimeMs])).toEqual([
      [2001904388, 2, null, 192000],
      [2001903120, 4, 1718499940000, 340000],
      [2001901876, 3, 1718413375000, 175000],
    ]);
  });

  it('GETs the gateway with the params alone in the query (launch_mode too), and reads -1 plan ids as null', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_instance_list')
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), gatewayAuth))
      .query({ ...SCOPE_QUERY, create_time_start: '1718467200000', create_time_end: '1718596800000', start: '20', length: '2', launch_mode: '2' })
      .reply(200, fixtureText('v3-get_job_instance_list-mixed-page.json'), JSON_HEADERS);
    const page = await catalog('gateway').listJobInstances(USER, BIZ, { ...WINDOW, start: 20, length: 2, launchMode: 2 });
    scope.done();
    expect(page).toStrictEqual({
      total: 22,
      start: 20,
      length: 2,
      items: [
        {
          jobInstanceId: 2001904417,
          name: 'release-gate-payments',
          jobPlanId: 1000205,
          jobTemplateId: 1000090,
          launchMode: 1,
          status: 7,
          operator: 'bob',
          type: 0,
          createTime: 1718590200000,
          startTime: 1718590201000,
          endTime: null,
          totalTimeMs: 269000,
        },
        {
          jobInstanceId: 2001904390,
          name: '快速执行脚本_20240617090312117',
          jobPlanId: null,
          jobTemplateId: null,
          launchMode: 2,
          status: 3,
          operator: 'ci-bot',
          type: 1,
          createTime: 1718586192000,
          startTime: 1718586192000,
          endTime: 1718586195000,
          totalTimeMs: 3000,
        },
      ],
    });
  });

  it('sends a business set as its scope alone, and a legacy biz-set id as bk_biz_id alone', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_instance_list')
      .query({ bk_scope_type: 'biz_set', bk_scope_id: '5', create_time_start: '1718467200000', create_time_end: '1718596800000', start: '0', length: '20' })
      .reply(200, success({ start: 0, length: 20, total: 0, data: [] }), JSON_HEADERS)
      .get('/api/v3/get_job_instance_list')
      .query({ bk_biz_id: '8000001', create_time_start: '1718467200000', create_time_end: '1718596800000', start: '0', length: '20' })
      .reply(200, success({ start: 0, length: 20, total: 0, data: null }), JSON_HEADERS);
    const gw = catalog('gateway');
    expect(await gw.listJobInstances(USER, { bizId: 5, scopeType: 'biz_set' }, { ...WINDOW, start: 0, length: 20 })).toStrictEqual({ items: [], total: 0, start: 0, length: 20 });
    expect((await gw.listJobInstances(USER, { bizId: 8_000_001 }, { ...WINDOW, start: 0, length: 20 })).items).toEqual([]);
    scope.done();
  });

  it('takes start and length from the query when JOB leaves them out, and a missing total as null', async () => {
    const data = fixtureData('v3-get_job_instance_list-cron-page.json');
    delete data.start;
    delete data.length;
    delete data.total;
    nock(ESB).post('/api/c/compapi/v2/jobv3/get_job_instance_list/').reply(200, success(data), JSON_HEADERS);
    const page = await catalog('esb').listJobInstances(USER, BIZ, { ...WINDOW, start: 40, length: 3 });
    expect([page.start, page.length, page.total, page.items.length]).toEqual([40, 3, null, 3]);
  });

  it.each<[string, (data: Json & { data: Json[] }) => unknown, string]>([
    ['data not an object', () => [], 'data should be an object'],
    ['list not a list', (d) => ({ ...d, data: {} }), 'data.data should be a list'],
    [
      'an item without job_instance_id',
      (d) => {
        delete d.data[1]!.job_instance_id;
        return d;
      },
      'data.data[1].job_instance_id should be an integer',
    ],
    [
      'a string status',
      (d) => {
        d.data[2]!.status = 'RUNNING';
        return d;
      },
      'data.data[2].status should be an integer',
    ],
  ])('fails the whole page as bad_response on %s, naming where', async (_name, mutate, where) => {
    nock(ESB).post('/api/c/compapi/v2/jobv3/get_job_instance_list/').reply(200, success(mutate(fixtureData('v3-get_job_instance_list-cron-page.json'))), JSON_HEADERS);
    const err = await failure(catalog('esb').listJobInstances(USER, BIZ, { ...WINDOW, start: 0, length: 3 }));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toBe(`BlueKing JOB returned an unexpected response: ${where}`);
  });

  it('passes JOB errors through, secret-free', async () => {
    nock(ESB)
      .post('/api/c/compapi/v2/jobv3/get_job_instance_list/')
      .reply(200, JSON.stringify({ code: 1241002, result: false, job_request_id: 'req-2', message: `请求参数不合法 ${APP_SECRET}` }), JSON_HEADERS);
    const err = await failure(catalog('esb').listJobInstances(TOKEN, BIZ, { createTimeStart: 1, createTimeEnd: 1 + 31 * 86_400_000, start: 0, length: 20 }));
    expect(err).toMatchObject({ kind: 'api', code: 1241002 });
    expectNoSecrets(err);
  });
});

describe('crons', () => {
  const NIGHTLY: CronInfo = {
    id: 1000031,
    name: 'nightly-log-rotate',
    jobPlanId: 1000193,
    enabled: true,
    expression: '0 9 * * *',
    timeZone: 'Asia/Shanghai',
    creator: 'alice',
    createTime: 1716190200000,
    lastModifyUser: 'alice',
    lastModifyTime: 1717988400000,
  };

  it('getCron reads the detail, turning JOB’s seconds into ms', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_cron_detail')
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), gatewayAuth))
      .query({ ...SCOPE_QUERY, id: '1000031' })
      .reply(200, fixtureText('v3-get_cron_detail.json'), JSON_HEADERS);
    expect(await catalog('gateway').getCron(USER, BIZ, 1000031)).toStrictEqual(NIGHTLY);
    scope.done();
  });

  it('getCron is null for JOB’s success without data (unknown id) and for 1245001; other errors pass', async () => {
    nock(ESB)
      .post('/api/c/compapi/v2/jobv3/get_cron_detail/', esbBody(USER, { id: 42 }))
      .reply(200, JSON.stringify({ code: 0, result: true, job_request_id: 'req-3' }), JSON_HEADERS)
      .post('/api/c/compapi/v2/jobv3/get_cron_detail/')
      .reply(200, JSON.stringify({ code: 1245001, result: false, job_request_id: 'req-4', message: 'Cron job does not exist' }), JSON_HEADERS)
      .post('/api/c/compapi/v2/jobv3/get_cron_detail/')
      .reply(200, fixtureText('v2-error-no-permission.json'), JSON_HEADERS);
    const esb = catalog('esb');
    expect(await esb.getCron(USER, BIZ, 42)).toBeNull();
    expect(await esb.getCron(USER, BIZ, 43)).toBeNull();
    expect(await failure(esb.getCron(USER, BIZ, 44))).toMatchObject({ kind: 'api', code: 9900403, missingPermissions: ['access_business (业务访问)'] });
  });

  it('listCrons sends the name filter and paging, and reads status 0 as disabled', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv3/get_cron_list/', esbBody(USER, { name: 'rotate', start: 0, length: 20 }))
      .reply(200, fixtureText('v3-get_cron_list-page.json'), JSON_HEADERS);
    const page = await catalog('esb').listCrons(USER, BIZ, { name: 'rotate', start: 0, length: 20 });
    scope.done();
    expect(page.total).toBe(2);
    expect(page.items[0]).toStrictEqual(NIGHTLY);
    expect(page.items[1]).toStrictEqual({
      id: 1000044,
      name: 'weekly-cert-check',
      jobPlanId: 1000205,
      enabled: false,
      expression: '30 8 * * 1',
      timeZone: 'Asia/Shanghai',
      creator: 'bob',
      createTime: 1716190200000,
      lastModifyUser: 'bob',
      lastModifyTime: 1717988400000,
    });
  });

  it('listCrons leaves an empty name out; a one-off cron has no expression; the docs’ status 2 is disabled', async () => {
    const data = fixtureData('v3-get_cron_list-page.json');
    Object.assign(data.data[0]!, { expression: null, execute_time_zone: null, last_modify_time: null });
    data.data[1]!.status = 2;
    const scope = nock(GATEWAY).get('/api/v3/get_cron_list').query({ ...SCOPE_QUERY, start: '20', length: '10' }).reply(200, success(data), JSON_HEADERS);
    const page = await catalog('gateway').listCrons(USER, BIZ, { name: '', start: 20, length: 10 });
    scope.done();
    expect(page.items[0]).toMatchObject({ expression: null, timeZone: null, lastModifyTime: null, enabled: true });
    expect(page.items[1]!.enabled).toBe(false);
  });

  it('a cron without job_plan_id fails the page, naming it', async () => {
    const data = fixtureData('v3-get_cron_list-page.json');
    delete data.data[1]!.job_plan_id;
    nock(GATEWAY).get('/api/v3/get_cron_list').query(true).reply(200, success(data), JSON_HEADERS);
    const err = await failure(catalog('gateway').listCrons(USER, BIZ, { start: 0, length: 20 }));
    expect(err.message).toBe('BlueKing JOB returned an unexpected response: data.data[1].job_plan_id should be an integer');
  });
});

describe('job plans', () => {
  const RELEASE: JobPlanInfo = {
    id: 1000205,
    name: 'release-gate-payments',
    jobTemplateId: 1000090,
    creator: 'bob',
    createTime: 1716190200000,
    lastModifyUser: 'bob',
    lastModifyTime: 1717988400000,
  };

  it('listJobPlans reads the page (seconds → ms)', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv3/get_job_plan_list/', esbBody(TOKEN, { start: 0, length: 20 }))
      .reply(200, fixtureText('v3-get_job_plan_list-page.json'), JSON_HEADERS);
    const page = await catalog('esb').listJobPlans(TOKEN, BIZ, { start: 0, length: 20 });
    scope.done();
    expect(page.total).toBe(2);
    expect(page.items[0]).toStrictEqual(RELEASE);
    expect(page.items[1]).toMatchObject({ id: 1000193, name: 'nightly-log-rotate', jobTemplateId: 1000087, creator: 'alice' });
  });

  it('keeps plan times already in ms (the doc example’s unit) as they are', async () => {
    const data = fixtureData('v3-get_job_plan_list-page.json');
    Object.assign(data.data[0]!, { create_time: 1716190200000, last_modify_time: 1717988400123 });
    nock(GATEWAY).get('/api/v3/get_job_plan_list').query(true).reply(200, success(data), JSON_HEADERS);
    const page = await catalog('gateway').listJobPlans(USER, BIZ, { name: 'release', start: 0, length: 20 });
    expect(page.items[0]).toMatchObject({ createTime: 1716190200000, lastModifyTime: 1717988400123 });
  });

  it('getJobPlan sends job_plan_id and reads the plan; 1243009 and a missing data are null; 9900403 passes', async () => {
    const detail = { ...fixtureData('v3-get_job_plan_list-page.json').data[0], step_list: [], global_var_list: [] };
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_plan_detail')
      .query({ ...SCOPE_QUERY, job_plan_id: '1000205' })
      .reply(200, success(detail), JSON_HEADERS)
      .get('/api/v3/get_job_plan_detail')
      .query(true)
      .reply(200, JSON.stringify({ code: 1243009, result: false, job_request_id: 'req-5', message: 'Plan does not exist' }), JSON_HEADERS)
      .get('/api/v3/get_job_plan_detail')
      .query(true)
      .reply(200, JSON.stringify({ code: 0, result: true, job_request_id: 'req-6' }), JSON_HEADERS)
      .get('/api/v3/get_job_plan_detail')
      .query(true)
      .reply(200, fixtureText('v3-error-no-permission.json'), JSON_HEADERS);
    const gw = catalog('gateway');
    expect(await gw.getJobPlan(USER, BIZ, 1000205)).toStrictEqual(RELEASE);
    expect(await gw.getJobPlan(USER, BIZ, 1)).toBeNull();
    expect(await gw.getJobPlan(USER, BIZ, 2)).toBeNull();
    expect(await failure(gw.getJobPlan(USER, BIZ, 3))).toMatchObject({ kind: 'api', code: 9900403 });
    scope.done();
  });

  it('reads a plan’s -1 template id as null', async () => {
    const data = fixtureData('v3-get_job_plan_list-page.json');
    data.data[0]!.job_template_id = -1;
    nock(ESB).post('/api/c/compapi/v2/jobv3/get_job_plan_list/').reply(200, success(data), JSON_HEADERS);
    expect((await catalog('esb').listJobPlans(USER, BIZ, { start: 0, length: 20 })).items[0]!.jobTemplateId).toBeNull();
  });
});

describe('gateway-system', () => {
  it('calls /api/v3/system/… with X-Bk-Username, the app alone in X-Bkapi-Authorization, and the secret nowhere else', async () => {
    let seen: { headers: Record<string, unknown>; path: string } | undefined;
    const scope = nock(GATEWAY)
      .get('/api/v3/system/get_job_instance_list')
      .query({ ...SCOPE_QUERY, create_time_start: '1718467200000', create_time_end: '1718596800000', start: '0', length: '3', job_cron_id: '1000031' })
      .reply(function reply() {
        seen = { headers: { ...this.req.headers }, path: this.req.path };
        return [200, fixtureText('v3-get_job_instance_list-cron-page.json'), JSON_HEADERS];
      });
    const page = await catalog('gateway-system').listJobInstances(USER, BIZ, { ...WINDOW, start: 0, length: 3, cronId: 1000031 });
    scope.done();
    expect(page.items).toHaveLength(3);
    expect(seen?.headers['x-bk-username']).toBe('alice');
    expect(authHeader(seen?.headers['x-bkapi-authorization'] as string)).toStrictEqual({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET });
    const elsewhere = { ...seen?.headers, 'x-bkapi-authorization': undefined, path: seen?.path };
    expect(JSON.stringify(elsewhere)).not.toContain(APP_SECRET);
  });
});

describe('epochMsOf', () => {
  it('reads values below 1e11 as seconds and the rest as ms', () => {
    expect(epochMsOf(1717988400)).toBe(1717988400000);
    expect(epochMsOf(1717988400000)).toBe(1717988400000);
    expect(epochMsOf(99_999_999_999)).toBe(99_999_999_999_000);
    expect(epochMsOf(100_000_000_000)).toBe(100_000_000_000);
    expect(epochMsOf(null)).toBeNull();
  });
});
