/**
 * BkTransport on its own: where credentials go for the ESB and the gateway, how the BlueKing
 * envelope is read (request ids, string codes, permissions), how HTTP-level failures read, and
 * which errors are worth retrying. Secrets must never reach an error, whatever the failure.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { BkJobError, type BkJobErrorKind, isBkJobError } from '../../src/bkjob/errors';
import type { TransportOptions } from '../../src/bkjob/transport';
import { APP_CODE, APP_SECRET, BK_TOKEN, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, authHeader, expectNoSecrets, failure, sameJson, transport, useNock } from '../helpers/bk';

const ESB_PATH = '/api/c/compapi/v2/jobv3/get_job_instance_status/';
const GW_PATH = '/api/v3/get_job_instance_status';
const PARAMS = { bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: 2001893471, return_ip_result: true } as const;
const OK = JSON.stringify({ result: true, code: 0, data: { ok: 1 }, job_request_id: 'req-1' });

const gateway = (overrides: Partial<TransportOptions> = {}) => transport({ baseUrl: GATEWAY, auth: 'gateway', ...overrides });

useNock();

describe('ESB requests: credentials as parameters', () => {
  it('GET puts credentials, actor and params in the query, with no auth header', async () => {
    const scope = nock(ESB, { badheaders: ['x-bkapi-authorization'] })
      .get(ESB_PATH)
      .query({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: '2001893471', return_ip_result: 'true' })
      .reply(200, OK, JSON_HEADERS);
    const result = await transport().call({ method: 'GET', path: ESB_PATH, actor: USER, params: PARAMS });
    scope.done();
    expect(result).toEqual({ data: { ok: 1 }, requestId: 'req-1' });
  });

  it('POST puts them in the JSON body, keeping JSON types, with no query string', async () => {
    const scope = nock(ESB, { reqheaders: { 'content-type': /application\/json/ }, badheaders: ['x-bkapi-authorization'] })
      .post(ESB_PATH, { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_token: BK_TOKEN, ...PARAMS })
      .reply(200, OK, JSON_HEADERS);
    await transport().call({ method: 'POST', path: ESB_PATH, actor: TOKEN, params: PARAMS });
    scope.done();
  });
});

describe('gateway requests: credentials in X-Bkapi-Authorization only', () => {
  it('GET sends the auth header and a query with the params alone', async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice' }))
      // Exactly the params (nock's object form is an exact match): no credentials in the URL,
      // which proxies and access logs record and the gateway ignores (allow_auth_from_params off).
      .query({ bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: '2001893471', return_ip_result: 'true' })
      .reply(200, OK, JSON_HEADERS);
    await gateway().call({ method: 'GET', path: GW_PATH, actor: USER, params: PARAMS });
    scope.done();
  });

  it('puts a token actor in the header as bk_token', async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_token: BK_TOKEN }))
      .reply(200, OK, JSON_HEADERS);
    await gateway().call({ method: 'GET', path: GW_PATH, actor: TOKEN, params: PARAMS });
    scope.done();
  });

  it('POST sends only the params in the body', async () => {
    const scope = nock(GATEWAY)
      .post('/api/v3/batch_get_job_instance_ip_log', { job_instance_id: 2001893471, step_instance_id: 2003771002 })
      .matchHeader('x-bkapi-authorization', (value) => (authHeader(value) as { bk_app_secret?: string } | undefined)?.bk_app_secret === APP_SECRET)
      .reply(200, OK, JSON_HEADERS);
    await gateway().call({ method: 'POST', path: '/api/v3/batch_get_job_instance_ip_log', actor: USER, params: { job_instance_id: 2001893471, step_instance_id: 2003771002 } });
    scope.done();
  });

  it('reads a gateway 403 JSON error body and its request id header', async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .reply(403, JSON.stringify({ code: 1640301, code_name: 'APP_NO_PERMISSION', message: 'App has no permission to the resource', data: null, result: false }), {
        ...JSON_HEADERS,
        'X-Bkapi-Error-Code': '1640301',
        'X-Bkapi-Error-Message': 'App has no permission to the resource',
        'X-Bkapi-Request-Id': 'gw-req-403',
      });
    const err = await failure(gateway().call({ method: 'GET', path: GW_PATH, actor: TOKEN, params: PARAMS }));
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 403: App has no permission to the resource (code 1640301)');
    expect(err).toMatchObject({ kind: 'http', code: 403, bkMessage: 'App has no permission to the resource', requestId: 'gw-req-403' });
    expect(err.transient).toBe(false);
    expectNoSecrets(err);
  });

  it('falls back to X-Bkapi-Error-Message when the error body is not JSON', async () => {
    const scope = nock(GATEWAY).get(GW_PATH).query(true).reply(429, 'Too Many Requests', { 'X-Bkapi-Error-Message': 'API rate limit exceeded by stage strategy' });
    const err = await failure(gateway().call({ method: 'GET', path: GW_PATH, actor: USER, params: PARAMS }));
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 429: API rate limit exceeded by stage strategy');
    expect([err.kind, err.code, err.transient]).toEqual(['http', 429, true]);
    expectNoSecrets(err);
  });
});

describe('envelope parsing', () => {
  const call = () => transport().call({ method: 'POST', path: ESB_PATH, actor: TOKEN, params: PARAMS });
  const serve = (status: number, body: string, headers: Record<string, string> = JSON_HEADERS) => nock(ESB).post(ESB_PATH).reply(status, body, headers);

  it('accepts a success without `message` (EsbResp omits nulls) and takes ESB request_id', async () => {
    serve(200, JSON.stringify({ result: true, code: 0, data: [1, 2], request_id: 'esb-req' }));
    await expect(call()).resolves.toMatchObject({ data: [1, 2], requestId: 'esb-req' });
  });

  it('prefers job_request_id, then request_id, then the X-Bkapi-Request-Id header', async () => {
    serve(200, JSON.stringify({ result: true, code: 0, data: null, job_request_id: 'job-req', request_id: 'esb-req' }));
    await expect(call()).resolves.toMatchObject({ requestId: 'job-req' });
    serve(200, JSON.stringify({ result: true, code: 0, data: null }), { ...JSON_HEADERS, 'X-Bkapi-Request-Id': 'gw-req' });
    await expect(call()).resolves.toMatchObject({ requestId: 'gw-req' });
  });

  it('reads a string error code and a missing message', async () => {
    serve(200, JSON.stringify({ result: false, code: '1244006' }));
    const err = await failure(call());
    expect(err.message).toBe('BlueKing JOB error 1244006: no message');
    expect(err).toMatchObject({ kind: 'api', code: 1244006, missingPermissions: [] });
  });

  it('gives an api error without a code when BlueKing sends none', async () => {
    serve(200, JSON.stringify({ result: false, message: '作业实例不存在' }));
    const err = await failure(call());
    expect(err.message).toBe('BlueKing JOB error: 作业实例不存在');
    expect(err.code).toBeUndefined();
  });

  it('lists every missing IAM action, with or without a display name', async () => {
    serve(
      200,
      JSON.stringify({
        result: false,
        code: 9900403,
        message: 'User (alice) permission not allowed, please confirm and apply permission in IAM and try again',
        permission: { system_id: 'bk_job', actions: [{ id: 'access_business', name: '业务访问' }, { id: 'view_history' }, { name: 'no id' }, 'junk'] },
      }),
    );
    const err = await failure(call());
    expect(err.missingPermissions).toEqual(['access_business (业务访问)', 'view_history']);
    expectNoSecrets(err);
  });

  it.each([
    ['a JSON string', '"ok"'],
    ['a JSON list', '[]'],
    ['result as a string', JSON.stringify({ result: 'true', code: 0, data: [] })],
    ['null', 'null'],
  ])('rejects %s as an envelope', async (_label, body) => {
    serve(200, body);
    const err = await failure(call());
    expect(err.message).toBe('BlueKing JOB answered JSON without the expected `result` field');
    expect(err.kind).toBe('bad_response');
  });

  it('rejects an empty 200 body as not JSON', async () => {
    serve(200, '', {});
    const err = await failure(call());
    expect(err.message).toBe('BlueKing JOB answered with something that is not JSON');
  });

  it('reports a 404 without leaking the path or the query', async () => {
    nock(ESB).get(ESB_PATH).query(true).reply(404, '<html>Not Found</html>', { 'Content-Type': 'text/html' });
    const err = await failure(transport().call({ method: 'GET', path: ESB_PATH, actor: TOKEN, params: PARAMS }));
    expect(err.message).toBe('BlueKing JOB answered HTTP 404');
    expect(err.message).not.toContain('compapi');
    expect([err.kind, err.code, err.transient]).toEqual(['http', 404, false]);
    expectNoSecrets(err);
  });

  it('maps a dropped connection (reset) to a network error without echoing the request', async () => {
    // A real local server that accepts and then drops the connection: a genuine ECONNRESET.
    const server = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    nock.enableNetConnect('127.0.0.1');
    try {
      const err = await failure(transport({ baseUrl: `http://127.0.0.1:${port}` }).call({ method: 'POST', path: ESB_PATH, actor: TOKEN, params: PARAMS }));
      expect(err.message).toBe('Could not reach BlueKing JOB (ECONNRESET)');
      expect([err.kind, err.transient]).toEqual(['network', true]);
      expectNoSecrets(err);
    } finally {
      nock.disableNetConnect();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('times out a slow gateway with the configured timeout in the message', async () => {
    nock(GATEWAY).get(GW_PATH).query(true).delay(3000).reply(200, OK, JSON_HEADERS);
    const err = await failure(gateway({ timeoutMs: 250 }).call({ method: 'GET', path: GW_PATH, actor: TOKEN, params: PARAMS }));
    expect(err.message).toBe('BlueKing JOB did not answer within 0.3 s');
    expect(err.kind).toBe('timeout');
    expectNoSecrets(err);
  });
});

describe('BkJobError.transient', () => {
  const cases: readonly [BkJobErrorKind, number | undefined, boolean][] = [
    ['api', 9900403, false],
    ['api', 1240002, false],
    ['http', 500, true],
    ['http', 502, true],
    ['http', 503, true],
    ['http', 504, true],
    ['http', 429, true],
    ['http', 400, false],
    ['http', 403, false],
    ['http', 404, false],
    ['http', 302, false],
    ['http', undefined, false],
    ['timeout', undefined, true],
    ['network', undefined, true],
    ['bad_response', undefined, false],
    ['too_large', undefined, false],
    ['not_found', undefined, false],
    ['busy', undefined, true],
  ];

  it.each(cases)('%s %p → transient %p', (kind, code, transient) => {
    const err = new BkJobError('x', code === undefined ? { kind } : { kind, code });
    expect(err.transient).toBe(transient);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BkJobError');
    expect(isBkJobError(err)).toBe(true);
  });

  it('isBkJobError rejects other errors', () => {
    expect(isBkJobError(new Error('x'))).toBe(false);
    expect(isBkJobError({ kind: 'api' })).toBe(false);
  });
});

describe('BlueKing echoing credentials back', () => {
  it('never lets the app secret or bk_token through in an error message', async () => {
    const echo = `bad request: bk_app_secret=${APP_SECRET} token ${BK_TOKEN}`;
    nock(ESB).get(ESB_PATH).query(true).reply(200, JSON.stringify({ result: false, code: 1240003, message: echo }), { 'content-type': 'application/json' });
    const err = await transport()
      .call({ method: 'GET', path: ESB_PATH, actor: { kind: 'token', token: BK_TOKEN }, params: PARAMS })
      .then(() => null, (e: unknown) => e as BkJobError);
    expect(err).toBeInstanceOf(BkJobError);
    expect(err!.message).toBe('BlueKing JOB error 1240003: bad request: bk_app_secret=[REDACTED] token [REDACTED]');
    expect(err!.bkMessage).toBe('bad request: bk_app_secret=[REDACTED] token [REDACTED]');
  });
});
