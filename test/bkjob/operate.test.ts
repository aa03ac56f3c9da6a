/**
 * V3JobOperator (operate_step_instance, operate_job_instance) against the fixtures: the exact
 * POST for each way of reaching JOB (JSON body with the scope, the ids, the code and, through
 * the ESB, the user), JOB's answer parsed, and every refusal of bkjob-source-facts C1 passed on
 * with its code.
 */
import nock from 'nock';
import { BK_ERROR_CODES, bkErrorHint } from '../../src/bkjob/errors';
import type { JobRef } from '../../src/bkjob/model';
import { JOB_OPERATION, STEP_OPERATION, V3JobOperator, operateEndpoint } from '../../src/bkjob/operate';
import type { BkAuthMode } from '../../src/bkjob/transport';
import { APP_CODE, APP_SECRET, BK_TOKEN, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, authHeader, expectNoSecrets, failure, sameJson, transport, useNock } from '../helpers/bk';
import { fixtureText } from '../helpers/jobs';

/** The waiting-confirm fixture's job and its confirmation step. */
const REF: JobRef = { bizId: 3, jobInstanceId: 2001904417 };
const CONFIRM_STEP = 2003790102;
const SCOPE = { bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: 3 } as const;
const STEP_BODY = { ...SCOPE, job_instance_id: 2001904417, step_instance_id: CONFIRM_STEP, operation_code: 6 } as const;
const JOB_BODY = { ...SCOPE, job_instance_id: 2001904417, operation_code: 1 } as const;

function operator(via: BkAuthMode): V3JobOperator {
  return new V3JobOperator(transport({ baseUrl: via === 'esb' ? ESB : GATEWAY, auth: via }), { via });
}

const success = (data: unknown) => JSON.stringify({ code: 0, result: true, job_request_id: 'req-1', ...(data === undefined ? {} : { data }) });

useNock();

describe('operateEndpoint', () => {
  it('POSTs everywhere: the ESB component, the gateway resource and its system twin', () => {
    expect(operateEndpoint('esb', 'operate_step_instance')).toEqual({ method: 'POST', path: '/api/c/compapi/v2/jobv3/operate_step_instance/' });
    expect(operateEndpoint('gateway', 'operate_step_instance')).toEqual({ method: 'POST', path: '/api/v3/operate_step_instance' });
    expect(operateEndpoint('gateway-system', 'operate_step_instance')).toEqual({ method: 'POST', path: '/api/v3/system/operate_step_instance' });
    expect(operateEndpoint('esb', 'operate_job_instance')).toEqual({ method: 'POST', path: '/api/c/compapi/v2/jobv3/operate_job_instance/' });
    expect(operateEndpoint('gateway', 'operate_job_instance')).toEqual({ method: 'POST', path: '/api/v3/operate_job_instance' });
    expect(operateEndpoint('gateway-system', 'operate_job_instance')).toEqual({ method: 'POST', path: '/api/v3/system/operate_job_instance' });
  });

  it('uses JOB’s StepOperationEnum and TaskOperationEnum codes', () => {
    expect(STEP_OPERATION).toEqual({ RETRY_FAILED: 2, IGNORE_ERROR: 3, CONFIRM_CONTINUE: 6, RETRY_ALL: 8, CONFIRM_TERMINATE: 9, CONFIRM_RESTART: 10, NEXT_STEP: 11, SKIP: 12, ROLLING_CONTINUE: 13 });
    expect(JOB_OPERATION).toEqual({ TERMINATE: 1 });
  });
});

describe('operateStep', () => {
  it('ESB: POSTs a JSON body with the credentials, the user, the scope, the ids and the code; reads JOB’s ids', async () => {
    const scope = nock(ESB, { badheaders: ['x-bkapi-authorization', 'x-bk-username'] })
      .matchHeader('content-type', /^application\/json/)
      .post('/api/c/compapi/v2/jobv3/operate_step_instance/', { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice', ...STEP_BODY })
      .reply(200, fixtureText('v3-operate_step_instance-confirm-continue-success.json'), JSON_HEADERS);
    const answer = await operator('esb').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.CONFIRM_CONTINUE);
    scope.done();
    expect(answer).toStrictEqual({ jobInstanceId: 2001904417, stepInstanceId: CONFIRM_STEP });
  });

  it('ESB: acts with a login token as bk_token', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv3/operate_step_instance/', { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_token: BK_TOKEN, ...SCOPE, job_instance_id: 2001904417, step_instance_id: 2003790101, operation_code: 2 })
      .reply(200, success({ job_instance_id: 2001904417, job_instance_name: null, step_instance_id: 2003790101 }), JSON_HEADERS);
    await expect(operator('esb').operateStep(TOKEN, REF, 2003790101, STEP_OPERATION.RETRY_FAILED)).resolves.toStrictEqual({ jobInstanceId: 2001904417, stepInstanceId: 2003790101 });
    scope.done();
  });

  it('gateway: POSTs the body alone (no query, no credentials in it), the user in X-Bkapi-Authorization', async () => {
    const scope = nock(GATEWAY, { badheaders: ['x-bk-username'] })
      .matchHeader('content-type', /^application\/json/)
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice' }))
      .post('/api/v3/operate_step_instance', { ...STEP_BODY, operation_code: 9 })
      .reply(200, fixtureText('v3-operate_step_instance-confirm-continue-success.json'), JSON_HEADERS);
    const answer = await operator('gateway').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.CONFIRM_TERMINATE);
    scope.done();
    expect(answer).toStrictEqual({ jobInstanceId: 2001904417, stepInstanceId: CONFIRM_STEP });
  });

  it('gateway-system: POSTs to /api/v3/system/…, the user in X-Bk-Username, the app alone in X-Bkapi-Authorization', async () => {
    let headers: Record<string, unknown> | undefined;
    const scope = nock(GATEWAY)
      .post('/api/v3/system/operate_step_instance', { ...STEP_BODY, operation_code: 8 })
      .reply(function reply() {
        headers = { ...this.req.headers };
        return [200, success({ job_instance_id: 2001904417, job_instance_name: null, step_instance_id: CONFIRM_STEP }), JSON_HEADERS];
      });
    await operator('gateway-system').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.RETRY_ALL);
    scope.done();
    expect(headers?.['x-bk-username']).toBe('alice');
    expect(authHeader(headers?.['x-bkapi-authorization'] as string)).toStrictEqual({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET });
  });

  it('gateway-system refuses a login token before calling JOB', async () => {
    const err = await failure(operator('gateway-system').operateStep(TOKEN, REF, CONFIRM_STEP, STEP_OPERATION.SKIP));
    expect(err.kind).toBe('unsupported');
  });

  it('sends a business set as its scope alone', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv3/operate_step_instance/', { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice', bk_scope_type: 'biz_set', bk_scope_id: '9991001', job_instance_id: 7, step_instance_id: 70, operation_code: 13 })
      .reply(200, success({ job_instance_id: 7, job_instance_name: null, step_instance_id: 70 }), JSON_HEADERS);
    await operator('esb').operateStep(USER, { bizId: 9991001, scopeType: 'biz_set', jobInstanceId: 7 }, 70, STEP_OPERATION.ROLLING_CONTINUE);
    scope.done();
  });

  it.each([
    ['1241003 (zh)', 'v3-operate_step_instance-error-unsupported-operation.json', BK_ERROR_CODES.UNSUPPORTED_OPERATION, '不支持的操作', 'unsupportedOperation'],
    ['1241003 (en)', 'v3-operate_step_instance-error-unsupported-operation-en.json', BK_ERROR_CODES.UNSUPPORTED_OPERATION, 'Unsupported operation', 'unsupportedOperation'],
    ['1244016', 'v3-operate_step_instance-error-not-confirmer.json', BK_ERROR_CODES.NOT_CONFIRMER, '只有步骤的确认人可以操作', 'notConfirmer'],
    ['1241002', 'v3-operate_step_instance-error-invalid-operation-code.json', BK_ERROR_CODES.INVALID_PARAMETER, '请求参数不合法', 'invalidParameter'],
  ] as const)('passes JOB’s refusal %s on as an api error with its code', async (_name, file, code, bkMessage, hint) => {
    for (const via of ['esb', 'gateway', 'gateway-system'] as const) {
      const path = operateEndpoint(via, 'operate_step_instance').path;
      nock(via === 'esb' ? ESB : GATEWAY)
        .post(path)
        .reply(200, fixtureText(file), JSON_HEADERS);
      const err = await failure(operator(via).operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.CONFIRM_CONTINUE));
      expect(err).toMatchObject({ kind: 'api', code, bkMessage, message: `BlueKing JOB error ${code}: ${bkMessage}` });
      expect(err.requestId).toMatch(/^[0-9a-f]{32}$/);
      expect(bkErrorHint(err)).toBe(hint);
      expectNoSecrets(err);
    }
  });

  it.each([
    [BK_ERROR_CODES.JOB_INSTANCE_NOT_FOUND, '作业实例不存在', 'jobNotFound'],
    [BK_ERROR_CODES.STEP_INSTANCE_NOT_FOUND, '作业步骤实例不存在', 'stepNotFound'],
    [BK_ERROR_CODES.PERMISSION_DENIED, '用户(alice)权限不足', undefined],
  ] as const)('passes %s on', async (code, bkMessage, hint) => {
    nock(ESB)
      .post('/api/c/compapi/v2/jobv3/operate_step_instance/')
      .reply(200, JSON.stringify({ code, result: false, job_request_id: 'req-9', message: bkMessage }), JSON_HEADERS);
    const err = await failure(operator('esb').operateStep(USER, REF, 1, STEP_OPERATION.IGNORE_ERROR));
    expect(err).toMatchObject({ kind: 'api', code, bkMessage, requestId: 'req-9' });
    expect(bkErrorHint(err)).toBe(hint);
  });

  it('takes a success without data (or without ids) as the ids asked about: JOB has acted', async () => {
    nock(ESB).post('/api/c/compapi/v2/jobv3/operate_step_instance/').reply(200, success(undefined), JSON_HEADERS);
    await expect(operator('esb').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.NEXT_STEP)).resolves.toStrictEqual({ jobInstanceId: 2001904417, stepInstanceId: CONFIRM_STEP });
    nock(ESB).post('/api/c/compapi/v2/jobv3/operate_step_instance/').reply(200, success({ job_instance_name: null }), JSON_HEADERS);
    await expect(operator('esb').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.CONFIRM_RESTART)).resolves.toStrictEqual({ jobInstanceId: 2001904417, stepInstanceId: CONFIRM_STEP });
  });

  it('fails as bad_response on ids of the wrong type, naming where', async () => {
    nock(ESB)
      .post('/api/c/compapi/v2/jobv3/operate_step_instance/')
      .reply(200, success({ job_instance_id: '2001904417x', step_instance_id: CONFIRM_STEP }), JSON_HEADERS);
    const err = await failure(operator('esb').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.CONFIRM_CONTINUE));
    expect(err.kind).toBe('bad_response');
    expect(err.message).toBe('BlueKing JOB returned an unexpected response: data.job_instance_id should be an integer');
    nock(ESB).post('/api/c/compapi/v2/jobv3/operate_step_instance/').reply(200, success([1]), JSON_HEADERS);
    await expect(failure(operator('esb').operateStep(USER, REF, CONFIRM_STEP, STEP_OPERATION.CONFIRM_CONTINUE))).resolves.toMatchObject({ kind: 'bad_response' });
  });
});

describe('operateJob', () => {
  it.each([
    ['esb', ESB, '/api/c/compapi/v2/jobv3/operate_job_instance/', { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice', ...JOB_BODY }],
    ['gateway', GATEWAY, '/api/v3/operate_job_instance', JOB_BODY],
    ['gateway-system', GATEWAY, '/api/v3/system/operate_job_instance', JOB_BODY],
  ] as const)('%s: POSTs terminate (code 1) with the scope and the job, and reads the job id', async (via, base, path, body) => {
    let headers: Record<string, unknown> | undefined;
    const scope = nock(base)
      .post(path, body)
      .reply(function reply() {
        headers = { ...this.req.headers };
        return [200, fixtureText('v3-operate_job_instance-terminate-success.json'), JSON_HEADERS];
      });
    const answer = await operator(via).operateJob(USER, REF, JOB_OPERATION.TERMINATE);
    scope.done();
    expect(answer).toStrictEqual({ jobInstanceId: 2001904417 });
    expect(String(headers?.['content-type'])).toMatch(/^application\/json/);
    if (via === 'gateway-system') expect(headers?.['x-bk-username']).toBe('alice');
    if (via === 'gateway') expect(authHeader(headers?.['x-bkapi-authorization'] as string)).toStrictEqual({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice' });
    if (via === 'esb') expect(headers?.['x-bkapi-authorization']).toBeUndefined();
  });

  it('passes 1241003 (the job is neither running nor waiting) on', async () => {
    nock(GATEWAY).post('/api/v3/operate_job_instance').reply(200, fixtureText('v3-operate_step_instance-error-unsupported-operation-en.json'), JSON_HEADERS);
    const err = await failure(operator('gateway').operateJob(USER, REF, JOB_OPERATION.TERMINATE));
    expect(err).toMatchObject({ kind: 'api', code: 1241003, bkMessage: 'Unsupported operation' });
  });

  it('a success without data is the job asked about', async () => {
    nock(ESB).post('/api/c/compapi/v2/jobv3/operate_job_instance/').reply(200, success(undefined), JSON_HEADERS);
    await expect(operator('esb').operateJob(USER, REF, JOB_OPERATION.TERMINATE)).resolves.toStrictEqual({ jobInstanceId: 2001904417 });
  });
});
