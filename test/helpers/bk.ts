/**
 * Test helpers for the BlueKing clients against nock: the made-up ESB and gateway, credentials
 * and actors, a BkTransport factory, the nock lifecycle, and the checks on errors (a rejection
 * that must be a BkJobError, and no secret in any view of it).
 */
import { inspect } from 'node:util';
import nock from 'nock';
import { type BkJobError, isBkJobError } from '../../src/bkjob/errors';
import type { BkActor, JobRef } from '../../src/bkjob/model';
import { BkTransport, type TransportOptions } from '../../src/bkjob/transport';

export const ESB = 'https://paas.example.com';
export const GATEWAY = 'https://bkapi.example.com/api/bk-job/prod';
export const APP_CODE = 'joblog-bot';
export const APP_SECRET = 's3cr3t-APP-SECRET-value';
export const BK_TOKEN = 'bkT0ken-L0GIN-cookie-value';
export const USER: BkActor = { kind: 'username', username: 'alice' };
export const TOKEN: BkActor = { kind: 'token', token: BK_TOKEN };
export const JSON_HEADERS = { 'Content-Type': 'application/json' };
export const JSON_UTF8_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };

/** A transport to the ESB with the test app's credentials, 5 s timeout and 1 MB limit, unless overridden. */
export function transport(overrides: Partial<TransportOptions> = {}): BkTransport {
  return new BkTransport({ baseUrl: ESB, credentials: { appCode: APP_CODE, appSecret: APP_SECRET }, timeoutMs: 5000, maxResponseBytes: 1024 * 1024, auth: 'esb', ...overrides });
}

/** The actor as BlueKing receives it: bk_username or bk_token. */
export function actorParams(actor: BkActor): Record<string, string> {
  return actor.kind === 'username' ? { bk_username: actor.username } : { bk_token: actor.token };
}

/** The exact query a v2 get_job_instance_log must carry: credentials, actor, and nothing else but the job. */
export function v2Query(ref: JobRef, actor: BkActor): Record<string, string> {
  return { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, ...actorParams(actor), bk_biz_id: String(ref.bizId), job_instance_id: String(ref.jobInstanceId) };
}

/** Parses the gateway auth header, failing the match (not throwing) when it is absent or bad. */
export function authHeader(value: string | undefined): unknown {
  try {
    return value === undefined ? undefined : (JSON.parse(value) as unknown);
  } catch {
    return undefined;
  }
}

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Awaits a rejection that must be a BkJobError and returns it. */
export async function failure(promise: Promise<unknown>): Promise<BkJobError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBkJobError(err)) throw new Error(`expected a BkJobError, got ${String(err)}`);
  return err;
}

/** Every view of an error a logger, Slack or a crash report might use must be free of secrets. */
export function expectNoSecrets(err: BkJobError, secrets: readonly string[] = [APP_SECRET, BK_TOKEN]): void {
  const views = [String(err), err.message, err.stack ?? '', JSON.stringify(err), inspect(err, { depth: 10 }), inspect(err, { depth: 10, showHidden: true })];
  for (const view of views) for (const secret of secrets) expect(view).not.toContain(secret);
  // Only BkJobError's own fields: no axios config, request, response or cause riding along (its
  // optional details appear only when set).
  const optional = new Set(['bkCode', 'parameter', 'username', 'ownLine']);
  expect(Object.keys(err).filter((key) => !optional.has(key)).sort()).toEqual(['bkMessage', 'code', 'kind', 'missingPermissions', 'name', 'requestId']);
}

/** No real network for the enclosing block; interceptors cleared after each test; nock unhooked at the end. */
export function useNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    nock.abortPendingRequests();
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
    // Unhook nock from http so the next test file (and Jest's teardown) starts clean.
    nock.restore();
  });
}
