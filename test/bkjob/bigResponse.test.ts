/**
 * BK_MAX_RESPONSE_MB (a runaway guard since v2 responses are read as they stream in: the download
 * is cut off once it passes the limit): a v2 `get_job_instance_log` response over the limit is refused as
 * `too_large` with a message that names the setting and carries no secret, the process (and the
 * in-process fake BlueKing) carries on, and responses up to the limit pass. Checked against nock
 * (a generated 3 MB response, exact byte boundaries) and against the FakeBkJob streaming a big job
 * over real HTTP, wired from config as in production.
 */
import nock from 'nock';
import { BkJobError } from '../../src/bkjob/errors';
import type { BkActor, JobRef } from '../../src/bkjob/model';
import { type JobLogSource, V2JobLogSource } from '../../src/bkjob/source';
import { V2_JOB_INSTANCE_LOG_PATH } from '../../src/bkjob/v2';
import { createJobSource } from '../../src/app';
import { loadConfig } from '../../src/config';
import { ESB_V2_JOB_INSTANCE_LOG, FakeBkJob } from '../../dev/fakeEsb';
import { GENERATED_FIRST_STEP_INSTANCE_ID, generateV2Response, generatedHostIp } from '../../dev/generate';
import { SCENARIO_BIZ_ID, SCENARIO_JOB_IDS, failedJob, hugeJob } from '../../dev/scenarios';
import { buildJobSummary } from '../../src/summary/build';
import { APP_SECRET, BK_TOKEN, ESB, JSON_UTF8_HEADERS, TOKEN, USER, expectNoSecrets, failure, transport, useNock, v2Query } from '../helpers/bk';
import { sourceEnv } from '../helpers/fakes';

const MB = 1024 * 1024;
const REF: JobRef = { bizId: 3, jobInstanceId: 2001893471 };
const TOO_LARGE_1MB = "BlueKing JOB's response is larger than the 1 MB limit (BK_MAX_RESPONSE_MB)";

function expectTooLarge(err: BkJobError, secrets: readonly string[]): void {
  expect(err).toBeInstanceOf(BkJobError);
  expect(err.message).toBe(TOO_LARGE_1MB);
  expect([err.kind, err.transient, err.code, err.bkMessage, err.requestId]).toStrictEqual(['too_large', false, undefined, undefined, undefined]);
  expectNoSecrets(err, secrets);
}

/** Crashes of the test process itself while a test runs (a dangling stream error, a rejected promise). */
const crashes: unknown[] = [];
const onCrash = (e: unknown) => crashes.push(e);
beforeAll(() => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
});
afterAll(() => {
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
});

describe('v2 response size limit (nock, generated responses)', () => {
  function v2Source(maxResponseBytes = MB): V2JobLogSource {
    return new V2JobLogSource(transport({ timeoutMs: 10_000, maxResponseBytes }), { defaultOffsetMinutes: 480 });
  }

  function serve(body: string, actor: BkActor = USER): nock.Scope {
    return nock(ESB).get(V2_JOB_INSTANCE_LOG_PATH).query(v2Query(REF, actor)).reply(200, body, JSON_UTF8_HEADERS);
  }

  const big = generateV2Response({ hosts: 105, steps: 3, logBytes: 10_000, failingHosts: 3 });
  const small = generateV2Response({ hosts: 30, steps: 3, logBytes: 10_000, failingHosts: 3 });

  useNock();

  it('the generated responses are the sizes this test is about', () => {
    expect(Buffer.byteLength(big)).toBeGreaterThan(3 * MB);
    expect(Buffer.byteLength(big)).toBeLessThan(3.5 * MB);
    expect(Buffer.byteLength(small)).toBeGreaterThan(0.85 * MB);
    expect(Buffer.byteLength(small)).toBeLessThan(0.95 * MB);
  });

  it.each([
    ['bk_username', USER],
    ['bk_token', TOKEN],
  ])('a 3 MB response is refused as too_large (%s), with no secret in the error', async (_name, actor) => {
    const scope = serve(big, actor);
    const err = await failure(v2Source().getJobInstance(actor, REF));
    scope.done();
    expectTooLarge(err, [APP_SECRET, BK_TOKEN]);
  });

  it('getHostLog over the limit is refused the same way', async () => {
    const scope = serve(big);
    const err = await failure(v2Source().getHostLog(USER, { job: REF, stepInstanceId: GENERATED_FIRST_STEP_INSTANCE_ID, bkCloudId: 0, ip: generatedHostIp(0) }));
    scope.done();
    expectTooLarge(err, [APP_SECRET]);
  });

  it('a 0.9 MB response passes', async () => {
    const scope = serve(small);
    const job = await v2Source().getJobInstance(USER, REF);
    scope.done();
    expect(job.steps).toHaveLength(3);
    expect(job.steps.map((s) => s.hosts.length)).toStrictEqual([30, 30, 30]);
    const summary = buildJobSummary(job);
    expect(summary.state).toBe('failed');
    expect(summary.steps[2]!.failedHostCount).toBe(3);
  });

  it('exactly the limit passes; one byte more is refused', async () => {
    // JSON allows trailing whitespace: pad the small response to an exact size.
    const exact = small.padEnd(MB, ' ');
    expect(Buffer.byteLength(exact)).toBe(MB);
    let scope = serve(exact);
    await expect(v2Source().getJobInstance(USER, REF)).resolves.toMatchObject({ ref: REF });
    scope.done();
    scope = serve(`${exact} `);
    expectTooLarge(await failure(v2Source().getJobInstance(USER, REF)), [APP_SECRET]);
    scope.done();
  });

  it('the limit counts bytes, not characters (multi-byte text)', async () => {
    // 600,000 CJK characters are 1.8 MB of UTF-8: refused under a 1 MB limit.
    const body = JSON.stringify({ result: true, code: 0, data: [{ step_instance_id: 1, name: '中'.repeat(600_000), status: 3, step_results: [] }] });
    expect(body.length).toBeLessThan(MB);
    const scope = serve(body);
    expectTooLarge(await failure(v2Source().getJobInstance(USER, REF)), [APP_SECRET]);
    scope.done();
  });

  it('the process survives: the same source answers the next call, and nothing crashed', async () => {
    const source = v2Source();
    for (let i = 0; i < 3; i++) {
      const scope = serve(big);
      expectTooLarge(await failure(source.getJobInstance(USER, REF)), [APP_SECRET]);
      scope.done();
    }
    const scope = serve(small);
    await expect(source.getJobInstance(USER, REF)).resolves.toMatchObject({ ref: REF });
    scope.done();
    await new Promise((resolve) => setImmediate(resolve));
    expect(crashes).toStrictEqual([]);
  });

  it('a larger limit lets the 3 MB response through', async () => {
    const scope = serve(big);
    const job = await v2Source(4 * MB).getJobInstance(USER, REF);
    scope.done();
    expect(job.steps.map((s) => s.hosts.length)).toStrictEqual([105, 105, 105]);
  });
});

describe('BK_MAX_RESPONSE_MB=1 end to end (FakeBkJob streaming over HTTP)', () => {
  const huge = hugeJob({ hosts: 300, steps: 5, logBytes: 2048, failingHosts: 3 });
  const HUGE: JobRef = { bizId: SCENARIO_BIZ_ID, jobInstanceId: SCENARIO_JOB_IDS.huge };
  const FAILED: JobRef = { bizId: SCENARIO_BIZ_ID, jobInstanceId: SCENARIO_JOB_IDS.failed };
  const esb = new FakeBkJob({ jobs: [huge, failedJob()] });
  let v2: JobLogSource;
  let v3: JobLogSource;

  beforeAll(async () => {
    await esb.start();
    const env = { ...sourceEnv(esb), BK_MAX_RESPONSE_MB: '1' };
    const config = loadConfig({ ...env, BK_JOB_API_VERSION: 'v2' });
    expect(config.bk.maxResponseBytes).toBe(MB);
    v2 = createJobSource(config);
    v3 = createJobSource(loadConfig({ ...env, BK_JOB_API_VERSION: 'v3' }));
  });

  afterAll(() => esb.stop());

  it('the fake really serves more than 3 MB for this job over v2', async () => {
    const query = new URLSearchParams({ bk_app_code: esb.appCode, bk_app_secret: esb.appSecret, bk_username: 'alice', bk_biz_id: String(HUGE.bizId), job_instance_id: String(HUGE.jobInstanceId) });
    const response = await fetch(`${esb.url}${ESB_V2_JOB_INSTANCE_LOG}?${query.toString()}`);
    const bytes = Buffer.byteLength(await response.text());
    expect(bytes).toBeGreaterThan(3 * MB);
  });

  it('v2 refuses it as too_large, with no secret; the fake and the source carry on', async () => {
    expectTooLarge(await failure(v2.getJobInstance({ kind: 'username', username: 'alice' }, HUGE)), [esb.appSecret]);
    expectTooLarge(await failure(v2.getHostLog({ kind: 'username', username: 'alice' }, { job: HUGE, stepInstanceId: huge.steps[4]!.stepInstanceId, bkCloudId: 0, ip: huge.steps[4]!.hosts[0]!.ip })), [esb.appSecret]);
    // The same source, the same server: a normal job still works.
    const job = await v2.getJobInstance({ kind: 'username', username: 'alice' }, FAILED);
    expect(buildJobSummary(job).state).toBe('failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(crashes).toStrictEqual([]);
  });

  it('v3 fetches the same job under the same limit (no logs in the status response)', async () => {
    const actor: BkActor = { kind: 'username', username: 'alice' };
    const summary = buildJobSummary(await v3.getJobInstance(actor, HUGE));
    expect(summary.hostCount).toBe(300);
    expect(summary.state).toBe('failed');
    const failing = summary.steps[4]!.failingGroups[0]!.hosts[0]!;
    const log = await v3.getHostLog(actor, { job: HUGE, stepInstanceId: summary.steps[4]!.stepInstanceId, ...failing });
    expect(log.content.endsWith('batch failed: exit 1\n')).toBe(true);
    expect(log.host.exitCode).toBe(1);
  });
});
