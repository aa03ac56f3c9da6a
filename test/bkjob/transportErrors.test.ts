/**
 * What the transport keeps from a failure so the bot can explain it: JOB's code behind an HTTP
 * 401 (1247002, no user from the gateway), and the parameter an HTTP 400 or a 1241007 names,
 * read from the body's message or the X-Bkapi-Error-Message header.
 */
import { inspect } from 'node:util';
import nock from 'nock';
import { type BkJobError, bkErrorHint, parameterInMessage } from '../../src/bkjob/errors';
import { APP_SECRET, BK_TOKEN, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, failure, transport, useNock } from '../helpers/bk';

const ESB_PATH = '/api/c/compapi/v2/jobv3/get_job_instance_status/';
const GW_PATH = '/api/v3/get_job_instance_status';
const PARAMS = { bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: 2001893471, return_ip_result: true } as const;

const gateway = () => transport({ baseUrl: GATEWAY, auth: 'gateway' });
const viaGateway = () => gateway().call({ method: 'GET', path: GW_PATH, actor: TOKEN, params: PARAMS });
const viaEsb = () => transport().call({ method: 'POST', path: ESB_PATH, actor: USER, params: PARAMS });

/** No secret in any view of the error (the extra fields included). */
function expectClean(err: BkJobError): void {
  for (const view of [String(err), JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })]) {
    expect(view).not.toContain(APP_SECRET);
    expect(view).not.toContain(BK_TOKEN);
  }
}

useNock();

describe('HTTP 401 with JOB code 1247002 (the gateway passed no user)', () => {
  it("keeps JOB's code apart from the HTTP status", async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .reply(401, JSON.stringify({ code: 1247002, result: false, message: '缺少有效的用户信息' }), { ...JSON_HEADERS, 'X-Bkapi-Request-Id': 'gw-401' });
    const err = await failure(viaGateway());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 401: 缺少有效的用户信息 (code 1247002)');
    expect(err).toMatchObject({ kind: 'http', code: 401, bkCode: 1247002, bkMessage: '缺少有效的用户信息', requestId: 'gw-401' });
    expect(err.parameter).toBeUndefined();
    expect(err.transient).toBe(false);
    expect(bkErrorHint(err)).toBe('noUser');
    expectClean(err);
  });

  it("leaves the API gateway's own codes (bodies with code_name) in the message only", async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .reply(401, JSON.stringify({ code: 1640101, code_name: 'UNAUTHENTICATED', message: 'App authentication failed', data: null, result: false }), JSON_HEADERS);
    const err = await failure(viaGateway());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 401: App authentication failed (code 1640101)');
    expect(Object.keys(err)).not.toContain('bkCode');
    expect(bkErrorHint(err)).toBeUndefined();
  });
});

describe('HTTP 400 (JOB MissingParameterException) naming the parameter', () => {
  it("reads it from the body's message", async () => {
    const scope = nock(ESB)
      .post(ESB_PATH)
      .reply(400, JSON.stringify({ code: 1240003, result: false, job_request_id: 'job-400', message: '请求参数[job_instance_id]缺失' }), JSON_HEADERS);
    const err = await failure(viaEsb());
    scope.done();
    expect(err).toMatchObject({ kind: 'http', code: 400, bkMessage: '请求参数[job_instance_id]缺失', parameter: 'job_instance_id' });
    expect(bkErrorHint(err)).toBe('missingParameter');
    expectClean(err);
  });

  it('reads it from X-Bkapi-Error-Message when the body is not JSON, decoding it', async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .reply(400, 'Bad Request', { 'X-Bkapi-Error-Message': encodeURIComponent('Missing request parameter [bk_scope_id]') });
    const err = await failure(viaGateway());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 400: Missing request parameter [bk_scope_id]');
    expect(err).toMatchObject({ kind: 'http', code: 400, bkMessage: 'Missing request parameter [bk_scope_id]', parameter: 'bk_scope_id' });
    expect(bkErrorHint(err)).toBe('missingParameter');
  });

  it("names nothing for the gateway's own INVALID_ARGS", async () => {
    const message = 'Parameters error [reason="app code cannot be empty"]';
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .reply(400, JSON.stringify({ code: 1640001, code_name: 'INVALID_ARGS', message, data: null, result: false }), {
        ...JSON_HEADERS,
        'X-Bkapi-Error-Code': '1640001',
        'X-Bkapi-Error-Message': encodeURIComponent(message),
      });
    const err = await failure(viaGateway());
    scope.done();
    expect(err.bkMessage).toBe(message);
    expect(Object.keys(err).sort()).toEqual(['bkMessage', 'code', 'kind', 'missingPermissions', 'name', 'requestId']);
    expect(bkErrorHint(err)).toBeUndefined();
  });
});

describe('result:false answers naming a parameter', () => {
  it.each([
    ['请求参数[job_instance_id]缺失或不合法', 'job_instance_id'],
    ['Missing or invalid request parameter [host_id/(bk_cloud_id+ip)]', 'host_id/(bk_cloud_id+ip)'],
  ])('1241007 "%s" names %s', async (message, parameter) => {
    const scope = nock(ESB).post(ESB_PATH).reply(200, JSON.stringify({ code: 1241007, result: false, message }), JSON_HEADERS);
    const err = await failure(viaEsb());
    scope.done();
    expect(err).toMatchObject({ kind: 'api', code: 1241007, bkMessage: message, parameter });
    expect(bkErrorHint(err)).toBe('invalidParameter');
  });

  it('1241002 names none', async () => {
    const scope = nock(ESB).post(ESB_PATH).reply(200, JSON.stringify({ code: 1241002, result: false, message: '请求参数不合法' }), JSON_HEADERS);
    const err = await failure(viaEsb());
    scope.done();
    expect(err.parameter).toBeUndefined();
    expect(bkErrorHint(err)).toBe('invalidParameter');
  });
});

describe('parameterInMessage', () => {
  it.each<[string, string | undefined]>([
    ['请求参数[create_time_start]缺失或不合法', 'create_time_start'],
    ['Missing request parameter [bk_scope_type]', 'bk_scope_type'],
    ["Required request parameter 'job_instance_id' for method parameter type Long is not present", 'job_instance_id'],
    ['Parameters error [reason="bk_app_code or bk_app_secret is incorrect"]', undefined],
    ['Task instance does not exist [42]', undefined],
    ['请求参数不合法', undefined],
  ])('%p → %p', (message, parameter) => {
    expect(parameterInMessage(message)).toBe(parameter);
  });
});
