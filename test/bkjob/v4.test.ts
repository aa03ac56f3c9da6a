/**
 * v4 get_job_instance_status: the parser (hosts and containers, path-named bad shapes), JOB's v4
 * envelope (no `result`, semantic error codes with their HTTP status, permission in `error.data`),
 * and the v3 source's fallback to v4 when v3 answers 1240002 (a job with container steps).
 */
import nock from 'nock';
import type { JobRef } from '../../src/bkjob/model';
import { formatHostAddress } from '../../src/bkjob/model';
import { V3JobLogSource, V3_ENDPOINTS } from '../../src/bkjob/v3';
import { V4_STATUS_ENDPOINTS, parseV4JobInstanceStatus } from '../../src/bkjob/v4';
import { APP_CODE, APP_SECRET, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, actorParams, authHeader, expectNoSecrets, failure, sameJson, transport, useNock } from '../helpers/bk';
import { fixtureJson, fixtureText } from '../helpers/jobs';

const JOB: JobRef = { bizId: 3, jobInstanceId: 2001894300 };
const FIXTURE = 'v4-get_job_instance_status-container.json';

type Json = Record<string, unknown>;
interface StatusData {
  job_instance: Json;
  step_instance_list: (Json & { step_execute_object_result_list: (Json & { execute_object: Json & { host?: Json; container?: Json } })[] })[];
}
/** Mutable deep copy of the fixture's `data`, for variations. */
function statusData(): StatusData {
  return (fixtureJson(FIXTURE) as { data: StatusData }).data;
}

/** JOB's v3 answer for a job with container steps (an NPE in JOB, HTTP 200). */
const V3_INTERNAL_ERROR = { code: 1240002, result: false, job_request_id: 'aa11bb22cc33dd44ee55ff6677889900', message: 'Internal Server Error' };

interface InfoLine {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function source(via: 'esb' | 'gateway', statusApi?: 'v3' | 'v4', logged: InfoLine[] = []): V3JobLogSource {
  const logger = { info: (fields: Record<string, unknown>, message: string) => void logged.push({ fields, message }) };
  return new V3JobLogSource(transport({ baseUrl: via === 'esb' ? ESB : GATEWAY, auth: via }), { via, logger, ...(statusApi ? { statusApi } : {}) });
}

useNock();

describe('parseV4JobInstanceStatus', () => {
  it('reads hosts and containers from the fixture', () => {
    const job = parseV4JobInstanceStatus(statusData(), JOB);
    expect([job.name, job.status, job.startTime, job.endTime]).toEqual(['rollout-api-containers', 4, 1718258401000, 1718258440000]);
    expect(job.steps.map((s) => [s.stepInstanceId, s.name, s.status, s.type, s.executeCount, s.hosts.length])).toEqual([
      [2003776001, 'Pull image on nodes', 3, 1, 0, 2],
      [2003776002, 'Reload api in containers', 4, 1, 0, 3],
    ]);
    expect(job.steps[0]!.hosts[1]).toStrictEqual({
      ip: '10.0.5.12',
      bkCloudId: 0,
      bkHostId: 5002,
      ipv6: 'fd00:5::12',
      ipStatus: 9,
      tag: '',
      exitCode: 0,
      // v4 has no per-object error_code: dropped, so null.
      errorCode: null,
      startTime: 1718258401000,
      endTime: 1718258420000,
      totalTimeMs: 19000,
      retryCount: 0,
    });
    const failing = job.steps[1]!.hosts[2]!;
    expect(failing).toStrictEqual({
      ip: '',
      bkCloudId: 0,
      container: { id: 7003, name: 'api-2', containerId: 'containerd://c47a90d1e3f5', nodeHostId: 5002 },
      ipStatus: 104,
      tag: '',
      exitCode: 137,
      errorCode: null,
      startTime: 1718258421000,
      endTime: 1718258440000,
      totalTimeMs: 19000,
      retryCount: 0,
    });
    expect(formatHostAddress(failing)).toBe('container api-2');
  });

  it('takes the ids from resource_id when the object leaves them out, and accepts a step without results', () => {
    const data = statusData();
    const [hostStep, containerStep] = data.step_instance_list;
    delete hostStep!.step_execute_object_result_list[0]!.execute_object.host!.bk_host_id;
    delete containerStep!.step_execute_object_result_list[0]!.execute_object.container!.id;
    // Nulls are dropped in v4: a step with no results may have no list at all.
    (data.step_instance_list as unknown[]).push({ step_instance_id: 2003776003, name: 'Confirm', status: 1, type: 3 });
    const job = parseV4JobInstanceStatus(data, JOB);
    expect(job.steps[0]!.hosts[0]!.bkHostId).toBe(5001);
    expect(job.steps[1]!.hosts[0]!.container!.id).toBe(7001);
    expect(job.steps[2]!.hosts).toEqual([]);
  });

  it.each<[string, (data: StatusData) => void, string]>([
    ['no job_instance', (d) => delete (d as Partial<StatusData>).job_instance, 'data.job_instance should be an object'],
    ['a string status', (d) => (d.step_instance_list[1]!.status = 'failed'), 'data.step_instance_list[1].status should be'],
    ['an unknown execute object type', (d) => (d.step_instance_list[1]!.step_execute_object_result_list[0]!.execute_object.type = 3), 'data.step_instance_list[1].step_execute_object_result_list[0].execute_object.type should be 1 (host) or 2 (container)'],
    ['a host object without host', (d) => delete d.step_instance_list[0]!.step_execute_object_result_list[1]!.execute_object.host, 'data.step_instance_list[0].step_execute_object_result_list[1].execute_object.host should be an object'],
    [
      'a container without any id',
      (d) => {
        const object = d.step_instance_list[1]!.step_execute_object_result_list[2]!.execute_object;
        delete object.container!.id;
        delete object.resource_id;
      },
      'data.step_instance_list[1].step_execute_object_result_list[2].execute_object.container.id should be',
    ],
    ['a numeric exit code as text', (d) => (d.step_instance_list[1]!.step_execute_object_result_list[2]!.exit_code = 'killed'), 'data.step_instance_list[1].step_execute_object_result_list[2].exit_code should be'],
  ])('rejects %s, naming the path', (_label, mutate, expected) => {
    const data = statusData();
    mutate(data);
    expect(() => parseV4JobInstanceStatus(data, JOB)).toThrow(expected);
  });

  it('rejects a job without steps as a bad response', () => {
    const data = statusData();
    data.step_instance_list = [];
    expect(() => parseV4JobInstanceStatus(data, JOB)).toThrow('BlueKing JOB returned no steps for job 2001894300');
  });
});

describe('the v4 envelope', () => {
  const v4Query = { bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: '3', job_instance_id: '2001894300', return_execute_object_result: 'true' };
  const expectedAuth = { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice' };

  it('GETs /api/v4/get_job_instance_status through the gateway and reads `data` without a `result` key', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v4/get_job_instance_status')
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), expectedAuth))
      .query(v4Query)
      .reply(200, fixtureText(FIXTURE), JSON_HEADERS);
    const job = await source('gateway', 'v4').getJobInstance(USER, JOB);
    scope.done();
    expect(job.steps[1]!.hosts.map(formatHostAddress)).toEqual(['container api-0', 'container api-1', 'container api-2']);
  });

  it('POSTs the ESB jobv4 component with credentials in the body', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv4/get_job_instance_status/', { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, ...actorParams(TOKEN), bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: 3, job_instance_id: 2001894300, return_execute_object_result: true })
      .reply(200, fixtureText(FIXTURE), JSON_HEADERS);
    await source('esb', 'v4').getJobInstance(TOKEN, JOB);
    scope.done();
    expect(V4_STATUS_ENDPOINTS.esb).toEqual({ method: 'POST', path: '/api/c/compapi/v2/jobv4/get_job_instance_status/' });
  });

  it('maps NOT_FOUND (HTTP 404) to the v3 code for an unknown job, keeping the job_request_id', async () => {
    nock(GATEWAY).get('/api/v4/get_job_instance_status').query(true).reply(404, { error: { code: 'NOT_FOUND', message: 'Task instance does not exist' }, job_request_id: 'f00dfeed' }, JSON_HEADERS);
    const err = await failure(source('gateway', 'v4').getJobInstance(USER, JOB));
    expect(err.message).toBe('BlueKing JOB error NOT_FOUND: Task instance does not exist');
    expect(err).toMatchObject({ kind: 'api', code: 1244006, bkMessage: 'Task instance does not exist', requestId: 'f00dfeed', missingPermissions: [] });
  });

  it('maps NO_PERMISSION (HTTP 403) to 9900403 with the permission object from error.data, free of secrets', async () => {
    const permission = { system_id: 'bk_job', system_name: 'Job', actions: [{ id: 'view_history', name: 'View history', related_resource_types: [] }] };
    nock(GATEWAY)
      .get('/api/v4/get_job_instance_status')
      .query(true)
      .reply(403, { error: { code: 'NO_PERMISSION', message: `User (alice) permission not allowed ${APP_SECRET}`, data: permission }, job_request_id: 'abc123' }, JSON_HEADERS);
    const err = await failure(source('gateway', 'v4').getJobInstance(USER, JOB));
    expect(err).toMatchObject({ kind: 'api', code: 9900403, requestId: 'abc123', missingPermissions: ['view_history (View history)'] });
    expectNoSecrets(err);
  });

  it('keeps an unknown code name in the message, and treats gateway errors without `error` as HTTP errors', async () => {
    nock(GATEWAY).get('/api/v4/get_job_instance_status').query(true).reply(400, { error: { code: 'INVALID_ARGUMENT', message: 'bad scope' } }, JSON_HEADERS);
    const invalid = await failure(source('gateway', 'v4').getJobInstance(USER, JOB));
    expect(invalid).toMatchObject({ kind: 'api', code: undefined, message: 'BlueKing JOB error INVALID_ARGUMENT: bad scope' });
    nock(GATEWAY).get('/api/v4/get_job_instance_status').query(true).reply(404, { code: 1640401, code_name: 'API_NOT_FOUND', message: 'API not found', data: null, result: false }, JSON_HEADERS);
    const missing = await failure(source('gateway', 'v4').getJobInstance(USER, JOB));
    expect(missing).toMatchObject({ kind: 'http', code: 404 });
  });

  it('rejects a 200 answer with neither `data` nor `error`', async () => {
    nock(GATEWAY).get('/api/v4/get_job_instance_status').query(true).reply(200, { job_request_id: 'x' }, JSON_HEADERS);
    const err = await failure(source('gateway', 'v4').getJobInstance(USER, JOB));
    expect(err).toMatchObject({ kind: 'bad_response', message: 'BlueKing JOB answered JSON without the expected `data` or `error` field' });
  });
});

describe('v3 status falls back to v4 on 1240002', () => {
  it('reads a container job through v4 once and says so at info', async () => {
    const logged: InfoLine[] = [];
    const scope = nock(ESB)
      .post(V3_ENDPOINTS.esb.status.path)
      .once()
      .reply(200, V3_INTERNAL_ERROR, JSON_HEADERS)
      .post(V4_STATUS_ENDPOINTS.esb.path, (body: Json) => body.return_execute_object_result === true && body.job_instance_id === 2001894300)
      .once()
      .reply(200, fixtureText(FIXTURE), JSON_HEADERS);
    const v3Source = source('esb', undefined, logged);
    const job = await v3Source.getJobInstance(USER, JOB);
    scope.done();
    expect(job.steps[1]!.hosts[2]!.container?.name).toBe('api-2');
    expect(logged).toEqual([{ fields: { bizId: 3, jobInstanceId: 2001894300 }, message: expect.stringContaining('read the job through v4') }]);

    // The next read of the same job (a poll) goes to v4 directly, without a doomed v3 call.
    const again = nock(ESB).post(V4_STATUS_ENDPOINTS.esb.path).once().reply(200, fixtureText(FIXTURE), JSON_HEADERS);
    await v3Source.getJobInstance(USER, JOB);
    again.done();
    expect(logged).toHaveLength(1);
  });

  it('keeps code 1240002 and says the job may run in containers when v4 fails too', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_instance_status')
      .query(true)
      .reply(200, V3_INTERNAL_ERROR, JSON_HEADERS)
      .get('/api/v4/get_job_instance_status')
      .query(true)
      .reply(500, { error: { code: 'INTERNAL', message: 'Internal Server Error' }, job_request_id: 'v4req' }, JSON_HEADERS);
    const err = await failure(source('gateway').getJobInstance(USER, JOB));
    scope.done();
    expect(err).toMatchObject({ kind: 'api', code: 1240002, bkMessage: 'Internal Server Error', requestId: 'aa11bb22cc33dd44ee55ff6677889900' });
    expect(err.message).toContain('may run in containers');
    expect(err.message).toContain('v4 failed too: BlueKing JOB error INTERNAL: Internal Server Error');
    expectNoSecrets(err);
  });

  it('does not call v4 for other v3 errors', async () => {
    const scope = nock(ESB).post(V3_ENDPOINTS.esb.status.path).reply(200, { code: 1244006, result: false, message: 'Task instance does not exist' }, JSON_HEADERS);
    const err = await failure(source('esb').getJobInstance(USER, JOB));
    scope.done();
    expect(err.code).toBe(1244006);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
