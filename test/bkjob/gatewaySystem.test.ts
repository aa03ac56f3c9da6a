/**
 * `BK_V3_TRANSPORT=gateway-system`: JOB's non-public `/api/v3/system/…` resources, where the app
 * authenticates in X-Bkapi-Authorization (code and secret only) and names the acting user in
 * X-Bk-Username (bkjob-source-facts C5). The secret must go nowhere else.
 */
import nock from 'nock';
import { bkErrorHint } from '../../src/bkjob/errors';
import type { TransportOptions } from '../../src/bkjob/transport';
import { V3JobLogSource, V3_ENDPOINTS } from '../../src/bkjob/v3';
import { V4_STATUS_ENDPOINTS } from '../../src/bkjob/v4';
import { APP_CODE, APP_SECRET, BK_TOKEN, GATEWAY, JSON_HEADERS, TOKEN, USER, authHeader, expectNoSecrets, failure, transport, useNock } from '../helpers/bk';
import { fixtureText } from '../helpers/jobs';

const PATH = '/api/v3/system/get_job_instance_status';
const PARAMS = { bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: 2001893471, return_ip_result: true } as const;
const OK = JSON.stringify({ result: true, code: 0, data: { ok: 1 }, job_request_id: 'req-1' });
const JOB = { bizId: 3, jobInstanceId: 2001893471 } as const;

const system = (overrides: Partial<TransportOptions> = {}) => transport({ baseUrl: GATEWAY, auth: 'gateway-system', ...overrides });

interface Seen {
  readonly headers: Record<string, unknown>;
  readonly path: string;
  readonly body: unknown;
}

/** Records what one request carried, for checks nock's matchers cannot express ("nowhere else"). */
function capture(scope: nock.Interceptor, reply: string, status = 200): { seen: () => Seen } {
  let seen: Seen | undefined;
  scope.reply(function record(_uri, body) {
    seen = { headers: { ...this.req.headers }, path: this.req.path, body };
    return [status, reply, JSON_HEADERS];
  });
  return {
    seen: () => {
      if (!seen) throw new Error('no request was made');
      return seen;
    },
  };
}

function expectSecretOnlyInAuthHeader(seen: Seen): void {
  expect(authHeader(seen.headers['x-bkapi-authorization'] as string)).toStrictEqual({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET });
  const elsewhere = JSON.stringify({ ...seen.headers, 'x-bkapi-authorization': undefined, path: seen.path, body: seen.body });
  expect(elsewhere).not.toContain(APP_SECRET);
}

useNock();

describe('BkTransport auth gateway-system', () => {
  it('GET: the app alone in X-Bkapi-Authorization, the user in X-Bk-Username, the params alone in the query', async () => {
    const request = capture(
      nock(GATEWAY, { reqheaders: { 'x-bk-username': 'alice' } })
        .get(PATH)
        .query({ bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: '2001893471', return_ip_result: 'true' }),
      OK,
    );
    const result = await system().call({ method: 'GET', path: PATH, actor: USER, params: PARAMS });
    expect(result).toEqual({ data: { ok: 1 }, requestId: 'req-1' });
    const seen = request.seen();
    expect(seen.headers['x-bk-username']).toBe('alice');
    expectSecretOnlyInAuthHeader(seen);
    expect(seen.path).not.toContain('bk_username');
  });

  it('POST: only the params in the body', async () => {
    const request = capture(nock(GATEWAY).post('/api/v3/system/operate_job_instance', { job_instance_id: 2001893471, operation_code: 1 }), OK);
    await system().call({ method: 'POST', path: '/api/v3/system/operate_job_instance', actor: USER, params: { job_instance_id: 2001893471, operation_code: 1 } });
    const seen = request.seen();
    expect(seen.headers['x-bk-username']).toBe('alice');
    expectSecretOnlyInAuthHeader(seen);
  });

  it('refuses a bk_token actor without calling (a login token has no place on system resources)', async () => {
    const err = await failure(system().call({ method: 'GET', path: PATH, actor: TOKEN, params: PARAMS }));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toContain('gateway-system');
    expectNoSecrets(err, [APP_SECRET, BK_TOKEN]);
  });

  it('refuses a username that cannot travel in a header', async () => {
    const err = await failure(system().call({ method: 'GET', path: PATH, actor: { kind: 'username', username: 'alice\r\nX-Evil: 1' }, params: PARAMS }));
    expect(err.kind).toBe('unsupported');
  });

  it('reads JOB’s HTTP 401 1247002 (no user) as the noUser hint, secret-free', async () => {
    nock(GATEWAY)
      .get(PATH)
      .query(true)
      .reply(401, JSON.stringify({ code: 1247002, result: false, message: `缺少有效的用户信息 ${APP_SECRET}`, job_request_id: 'req-2' }), JSON_HEADERS);
    const err = await failure(system().call({ method: 'GET', path: PATH, actor: USER, params: PARAMS }));
    expect(err).toMatchObject({ kind: 'http', code: 401, bkCode: 1247002 });
    expect(bkErrorHint(err)).toBe('noUser');
    expect(err.message).not.toContain(APP_SECRET);
  });
});

describe('V3JobLogSource via gateway-system', () => {
  it('reads status from /api/v3/system/get_job_instance_status', async () => {
    expect(V3_ENDPOINTS['gateway-system']).toEqual({
      status: { method: 'GET', path: '/api/v3/system/get_job_instance_status' },
      ipLog: { method: 'GET', path: '/api/v3/system/get_job_instance_ip_log' },
    });
    const scope = nock(GATEWAY, { reqheaders: { 'x-bk-username': 'alice' } })
      .get('/api/v3/system/get_job_instance_status')
      .query({ bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: '3', job_instance_id: '2001893471', return_ip_result: 'true' })
      .reply(200, fixtureText('v3-get_job_instance_status-failed.json'), JSON_HEADERS);
    const source = new V3JobLogSource(system(), { via: 'gateway-system' });
    const job = await source.getJobInstance(USER, JOB);
    scope.done();
    expect(job.name).toBe('deploy-nginx-config');
  });

  it('reads v4 status from /api/v4/system/get_job_instance_status', async () => {
    expect(V4_STATUS_ENDPOINTS['gateway-system']).toEqual({ method: 'GET', path: '/api/v4/system/get_job_instance_status' });
    const scope = nock(GATEWAY, { reqheaders: { 'x-bk-username': 'alice' } })
      .get('/api/v4/system/get_job_instance_status')
      .query({ bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: '3', job_instance_id: '2001894300', return_execute_object_result: 'true' })
      .reply(200, fixtureText('v4-get_job_instance_status-container.json'), JSON_HEADERS);
    const source = new V3JobLogSource(system(), { via: 'gateway-system', statusApi: 'v4' });
    const job = await source.getJobInstance(USER, { bizId: 3, jobInstanceId: 2001894300 });
    scope.done();
    expect(job.steps.length).toBeGreaterThan(0);
  });
});
