/**
 * Secret scrubbing gaps (issue 17): BlueKing echoing the app secret or bk_token in the request ids
 * or the permission actions, and a secret with special characters echoed in the encodings the
 * transport produced. Every field of the error must come out clean.
 */
import { inspect } from 'node:util';
import nock from 'nock';
import type { BkJobError } from '../../src/bkjob/errors';
import type { BkActor } from '../../src/bkjob/model';
import { decodeHeaderText } from '../../src/bkjob/transport';
import { renderBkError } from '../../src/blocks/replies';
import { createRedactor } from '../../src/redact';
import { APP_SECRET, BK_TOKEN, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, failure, transport, useNock } from '../helpers/bk';

const SPECIAL = 'Sp3c!al p@ss:w,rd+x/y&z=1%~[]$';
const ESB_PATH = '/api/c/compapi/v2/job/get_job_instance_log/';
const GW_PATH = '/api/v3/get_job_instance_status';

useNock();

/** Every way the error could be shown or logged, the Slack reply included. */
function views(err: BkJobError): string[] {
  const reply = JSON.stringify(renderBkError(err, { bizId: 3, jobInstanceId: 7 }, 'en'));
  return [String(err), err.message, JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), reply];
}

/** Every encoding of `secret` the transport may have sent (see src/redact.ts). */
function encodings(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  return [secret, uri, new URLSearchParams({ s: secret }).toString().slice(2), uri.replace(/%20/g, '+'), JSON.stringify(secret).slice(1, -1)];
}

function expectClean(err: BkJobError, secrets: readonly string[]): void {
  for (const view of views(err)) for (const secret of secrets) for (const form of encodings(secret)) expect(view).not.toContain(form);
}

describe('secrets echoed in fields other than the message', () => {
  it('job_request_id and the permission action ids and names', async () => {
    const scope = nock(ESB)
      .get(ESB_PATH)
      .query(true)
      .reply(
        200,
        JSON.stringify({
          result: false,
          code: 9900403,
          message: 'no permission',
          job_request_id: `req-${APP_SECRET}`,
          permission: { actions: [{ id: `access_business_${BK_TOKEN}`, name: `Access ${APP_SECRET}` }] },
        }),
        JSON_HEADERS,
      );
    const err = await failure(transport().call({ method: 'GET', path: ESB_PATH, actor: TOKEN, params: { bk_biz_id: 3, job_instance_id: 7 } }));
    scope.done();
    expect(err.requestId).toBe('req-[REDACTED]');
    expect(err.missingPermissions).toEqual(['access_business_[REDACTED] (Access [REDACTED])']);
    expectClean(err, [APP_SECRET, BK_TOKEN]);
  });

  it('X-Bkapi-Request-Id on a gateway error', async () => {
    const scope = nock(GATEWAY)
      .get(GW_PATH)
      .query(true)
      .reply(502, 'bad gateway', { 'X-Bkapi-Request-Id': `gw-${BK_TOKEN}`, 'X-Bkapi-Error-Message': encodeURIComponent(`upstream said ${APP_SECRET}`) });
    const err = await failure(transport({ baseUrl: GATEWAY, auth: 'gateway' }).call({ method: 'GET', path: GW_PATH, actor: TOKEN, params: { bk_scope_type: 'biz', bk_scope_id: '3' } }));
    scope.done();
    expect(err.requestId).toBe('gw-[REDACTED]');
    expect(err.bkMessage).toBe('upstream said [REDACTED]');
    expectClean(err, [APP_SECRET, BK_TOKEN]);
  });
});

describe('a secret with special characters', () => {
  const actor: BkActor = USER;

  it('is not leaked in its URL-encoded form through v2 (query echoed back)', async () => {
    const t = transport({ credentials: { appCode: 'joblog-bot', appSecret: SPECIAL } });
    let echoed = '';
    const scope = nock(ESB)
      .get(ESB_PATH)
      .query(true)
      .reply(function reply(uri) {
        // What the server saw on the wire, echoed as some ESB versions do.
        echoed = uri.slice(uri.indexOf('?') + 1);
        return [200, JSON.stringify({ result: false, code: 1306000, message: `bad request: ${echoed}`, job_request_id: echoed }), JSON_HEADERS];
      });
    const err = await failure(t.call({ method: 'GET', path: ESB_PATH, actor, params: { bk_biz_id: 3, job_instance_id: 7 } }));
    scope.done();
    expect(echoed).toContain('bk_app_secret=');
    expect(echoed).not.toContain(SPECIAL);
    expectClean(err, [SPECIAL]);
  });

  it('is not leaked JSON-escaped or split at its comma', async () => {
    const t = transport({ credentials: { appCode: 'joblog-bot', appSecret: SPECIAL } });
    const [first, second] = SPECIAL.split(',');
    const scope = nock(ESB)
      .get(ESB_PATH)
      .query(true)
      .reply(200, JSON.stringify({ result: false, code: 1306000, message: `values ${JSON.stringify(SPECIAL)}; list: ${first}, ${second}` }), JSON_HEADERS);
    const err = await failure(t.call({ method: 'GET', path: ESB_PATH, actor, params: { bk_biz_id: 3, job_instance_id: 7 } }));
    scope.done();
    for (const view of views(err)) {
      expect(view).not.toContain(first);
      expect(view).not.toContain(second);
    }
  });
});

describe('createRedactor knows every encoding the transport produces', () => {
  const redact = createRedactor([SPECIAL]);
  it.each(encodings(SPECIAL).map((form) => [form]))('%s', (form) => {
    expect(redact(`x ${form} y`)).toBe('x [REDACTED] y');
  });

  it('axios query encoding (":", "$", ",", "[", "]" kept, "+" for spaces)', () => {
    const axiosForm = encodeURIComponent(SPECIAL).replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
    expect(redact(`q=${axiosForm}&`)).toBe('q=[REDACTED]&');
  });

  it('lower-case percent-encoding', () => {
    expect(redact(encodeURIComponent(SPECIAL).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()))).toBe('[REDACTED]');
  });
});

describe('decodeHeaderText', () => {
  it.each<[string, string]>([
    ['%E4%BD%9C%E4%B8%9A%E4%B8%8D%E5%AD%98%E5%9C%A8', '作业不存在'],
    ['100% sure: %E4%BD%9C%E4%B8%9A missing', '100% sure: 作业 missing'],
    ['broken %E4%BD then %E4%BD%9C', 'broken %E4%BD then 作'],
    ['plain text', 'plain text'],
  ])('%s → %s', (input, output) => {
    expect(decodeHeaderText(input)).toBe(output);
  });
});
