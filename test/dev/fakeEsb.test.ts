import fs from 'node:fs';
import path from 'node:path';
import { BkJobError } from '../../src/bkjob/errors';
import { V2JobLogSource } from '../../src/bkjob/source';
import { BkTransport } from '../../src/bkjob/transport';
import { parseV2JobInstanceLog } from '../../src/bkjob/v2';
import { ESB_V2_JOB_INSTANCE_LOG, ESB_V3_JOB_INSTANCE_IP_LOG, ESB_V3_JOB_INSTANCE_STATUS, FakeBkJob, type FakeFailureKind } from '../../dev/fakeEsb';
import { allScenarioJobs, failedJob, failStep, hugeJob, runningJob, SCENARIO_BIZ_ID, SCENARIO_JOB_IDS } from '../../dev/scenarios';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'bkjob');
const FAILED = { bizId: SCENARIO_BIZ_ID, jobInstanceId: SCENARIO_JOB_IDS.failed };

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

function withoutRequestId(value: unknown): Record<string, unknown> {
  const copy = { ...(value as Record<string, unknown>) };
  expect(typeof copy.job_request_id).toBe('string');
  delete copy.job_request_id;
  return copy;
}

describe('FakeBkJob', () => {
  const fake = new FakeBkJob({ jobs: allScenarioJobs(), tokens: { 'tok-alice': 'alice' } });
  const creds = () => ({ bk_app_code: fake.appCode, bk_app_secret: fake.appSecret });

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  async function esbGet(apiPath: string, params: Record<string, string | number | boolean>, headers: Record<string, string> = {}) {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    const response = await fetch(`${fake.url}${apiPath}?${query.toString()}`, { headers });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
  }

  async function esbPost(apiPath: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const response = await fetch(`${fake.url}${apiPath}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  function transport(options: { auth?: 'esb' | 'gateway'; timeoutMs?: number } = {}) {
    const auth = options.auth ?? 'esb';
    return new BkTransport({
      baseUrl: auth === 'gateway' ? fake.gatewayUrl : fake.url,
      credentials: { appCode: fake.appCode, appSecret: fake.appSecret },
      timeoutMs: options.timeoutMs ?? 5000,
      maxResponseBytes: 50 * 1024 * 1024,
      auth,
    });
  }

  describe('v2 get_job_instance_log', () => {
    it.each([
      ['failed', failedJob, 'v2-get_job_instance_log-failed.json', 'documented'],
      ['running', runningJob, 'v2-get_job_instance_log-running.json', 'current'],
    ] as const)('serves the %s job exactly as the fixture (apart from job_request_id)', async (_name, factory, file, style) => {
      fake.setV2Style(style);
      const def = factory();
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: def.bizId, job_instance_id: def.jobInstanceId });
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture(file)));
    });

    it('serves the succeeded job exactly as the success fixture', async () => {
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: SCENARIO_JOB_IDS.succeeded });
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture('v2-get_job_instance_log-success.json')));
    });

    it('has the failed fixture’s key sets and HTML-escapes log_content', async () => {
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      const want = fixture('v2-get_job_instance_log-failed.json');
      expect(Object.keys(json).sort()).toEqual(Object.keys(want).sort());
      const data = json.data as { step_results: { ip_logs: Record<string, unknown>[] }[] }[];
      const wantData = want.data as typeof data;
      expect(Object.keys(data[1]!).sort()).toEqual(Object.keys(wantData[1]!).sort());
      expect(Object.keys(data[1]!.step_results[1]!.ip_logs[0]!).sort()).toEqual(Object.keys(wantData[1]!.step_results[1]!.ip_logs[0]!).sort());
      const failing = data[1]!.step_results[1]!.ip_logs[0]!;
      expect(failing.ip).toBe('10.0.1.14');
      expect(failing.log_content).toContain('nginx -t 2&gt;&amp;1 failed');
      expect(failing.log_content).not.toContain('2>&1');
    });

    it('parses with the bot’s own v2 parser to the same JobInstance as the fixture', async () => {
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      const options = { defaultOffsetMinutes: 480 };
      const fromFake = parseV2JobInstanceLog(json.data, FAILED, options);
      expect(fromFake).toEqual(parseV2JobInstanceLog(fixture('v2-get_job_instance_log-failed.json').data, FAILED, options));
      const reload = fromFake.steps[1]!;
      expect(reload.hosts.filter((h) => h.ipStatus !== 9).map((h) => `${h.bkCloudId}:${h.ip}:${h.exitCode}`)).toEqual(['0:10.0.1.14:1', '2:172.16.8.21:2', '0:10.0.1.17:0']);
    });

    it('works end to end through BkTransport and V2JobLogSource, including the decoded host log', async () => {
      const source = new V2JobLogSource(transport(), { defaultOffsetMinutes: 480 });
      const actor = { kind: 'username', username: 'admin' } as const;
      const job = await source.getJobInstance(actor, FAILED);
      expect(job.steps.map((s) => s.status)).toEqual([3, 4, 1]);
      const log = await source.getHostLog(actor, { job: FAILED, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14' });
      expect(log.content).toContain('nginx -t 2>&1 failed');
    });

    it('streams a big job that still parses', async () => {
      fake.setJob(hugeJob({ hosts: 300, steps: 4, logBytes: 1024, jobInstanceId: 42 }));
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: 42 });
      const job = parseV2JobInstanceLog(json.data, { bizId: 3, jobInstanceId: 42 }, { defaultOffsetMinutes: 480 });
      expect(job.steps).toHaveLength(4);
      expect(job.steps.every((s) => s.hosts.length === 300)).toBe(true);
      expect(job.steps[3]!.hosts.filter((h) => h.ipStatus === 104)).toHaveLength(3);
    });

    it('accepts bk_token for a known token', async () => {
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_token: 'tok-alice', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      expect(json.result).toBe(true);
    });
  });

  describe('v3 through ESB', () => {
    it('get_job_instance_status equals the v3 fixture for the same job (POST, JSON body)', async () => {
      const { json } = await esbPost(ESB_V3_JOB_INSTANCE_STATUS, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId, return_ip_result: true });
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture('v3-get_job_instance_status-failed.json')));
    });

    it('also answers GET with query parameters, and omits host results unless asked', async () => {
      const { json } = await esbGet(ESB_V3_JOB_INSTANCE_STATUS, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId });
      const steps = (json.data as { step_instance_list: Record<string, unknown>[] }).step_instance_list;
      expect(steps).toHaveLength(3);
      expect(steps.every((s) => !('step_ip_result_list' in s))).toBe(true);
    });

    it('get_job_instance_ip_log by bk_cloud_id + ip equals the v3 fixture, raw (not escaped)', async () => {
      const { json } = await esbPost(ESB_V3_JOB_INSTANCE_IP_LOG, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId, step_instance_id: 2003771002, bk_cloud_id: 0, ip: '10.0.1.14' });
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture('v3-get_job_instance_ip_log-script.json')));
    });

    it('get_job_instance_ip_log by bk_host_id echoes no cloud/ip, and file steps answer file_logs', async () => {
      const byHost = await esbPost(ESB_V3_JOB_INSTANCE_IP_LOG, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId, step_instance_id: 2003771002, bk_host_id: 1008 });
      expect(byHost.json.data).toMatchObject({ log_type: 1, bk_host_id: 1008, bk_cloud_id: null, ip: null, file_logs: null });
      expect((byHost.json.data as { log_content: string }).log_content).toContain('nginx.service is not active');
      const file = await esbPost(ESB_V3_JOB_INSTANCE_IP_LOG, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId, step_instance_id: 2003771001, bk_host_id: 1001 });
      expect(file.json.data).toMatchObject({ log_type: 2, log_content: null, file_logs: [{ mode: 1, status: 4, dest_ip: { ip: '10.0.1.11' } }, { mode: 0 }] });
    });

    it('answers JOB parameter errors', async () => {
      const base = { ...creds(), bk_username: 'admin', job_instance_id: FAILED.jobInstanceId };
      expect((await esbPost(ESB_V3_JOB_INSTANCE_STATUS, base)).json).toMatchObject({ result: false, code: 1241004 });
      expect((await esbPost(ESB_V3_JOB_INSTANCE_STATUS, { ...base, bk_scope_type: 'tenant', bk_scope_id: '3' })).json).toMatchObject({ result: false, code: 1241005 });
      const noHost = await esbPost(ESB_V3_JOB_INSTANCE_IP_LOG, { ...base, bk_scope_type: 'biz', bk_scope_id: '3', step_instance_id: 2003771002 });
      expect(noHost.json).toMatchObject({ result: false, code: 1241007, message: 'Missing or invalid request parameter [host_id/(bk_cloud_id+ip)]' });
      const wrongStep = await esbPost(ESB_V3_JOB_INSTANCE_IP_LOG, { ...base, bk_scope_type: 'biz', bk_scope_id: '3', step_instance_id: 1, bk_host_id: 1001 });
      expect(wrongStep.json).toMatchObject({ result: false, code: 1244006 });
      const badJson = await fetch(`${fake.url}${ESB_V3_JOB_INSTANCE_STATUS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"bk_app_code":' });
      expect(await badJson.json()).toMatchObject({ result: false, code: 1240003 });
    });
  });

  describe('every scenario', () => {
    it.each(allScenarioJobs().map((def) => [def.name, def] as const))('%s: v2 (both styles) and v3 tell the same story', async (_name, def) => {
      type V3Host = { bk_cloud_id: number; ip: string; status: number; exit_code: number | null };
      const v3Key = (h: V3Host) => `${h.bk_cloud_id}:${h.ip}:${h.status}:${String(h.exit_code)}`;
      const v2Key = (h: { bkCloudId: number; ip: string; ipStatus: number; exitCode: number | null }) => `${h.bkCloudId}:${h.ip}:${h.ipStatus}:${String(h.exitCode)}`;
      const v3 = await esbPost(ESB_V3_JOB_INSTANCE_STATUS, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: String(def.bizId), job_instance_id: def.jobInstanceId, return_ip_result: true });
      const v3Steps = (v3.json.data as { step_instance_list: { status: number; step_ip_result_list: V3Host[] }[] }).step_instance_list;
      for (const style of ['documented', 'current'] as const) {
        fake.setV2Style(style);
        const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: def.bizId, job_instance_id: def.jobInstanceId });
        const job = parseV2JobInstanceLog(json.data, { bizId: def.bizId, jobInstanceId: def.jobInstanceId }, { defaultOffsetMinutes: 480 });
        expect(job.steps.map((s) => s.status)).toEqual(v3Steps.map((s) => s.status));
        job.steps.forEach((step, i) => {
          expect(step.hosts.map(v2Key).sort()).toEqual(v3Steps[i]!.step_ip_result_list.map(v3Key).sort());
        });
      }
    });
  });

  describe('errors', () => {
    it('rejects a wrong app secret the way ESB does (HTTP 200, result false)', async () => {
      const { status, json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { bk_app_code: fake.appCode, bk_app_secret: 'nope', bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      expect(status).toBe(200);
      expect(json).toMatchObject({ result: false, code: 1640001, message: 'app code or app secret is incorrect' });
    });

    it('rejects calls without a user identity, or with an unknown bk_token', async () => {
      const noUser = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      expect(noUser.json).toMatchObject({ result: false, code: 1640001 });
      const badToken = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_token: 'forged', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      expect(badToken.json).toMatchObject({ result: false, code: 1640001 });
    });

    it('answers 1244006 for an unknown job, and for a job in another business', async () => {
      const unknown = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: 999 });
      expect(unknown.json).toMatchObject({ result: false, code: 1244006, message: 'Task instance does not exist' });
      expect(unknown.json).not.toHaveProperty('data');
      const otherBiz = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 4, job_instance_id: FAILED.jobInstanceId });
      expect(otherBiz.json).toMatchObject({ code: 1244006 });
      const zh = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: 999 }, { 'Blueking-Language': 'zh-cn' });
      expect(zh.json.message).toBe('作业实例不存在');
    });

    it('denies business access with the v2 permission envelope of the fixture', async () => {
      fake.denyUser('alice');
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'alice', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId }, { 'Blueking-Language': 'zh-cn' });
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture('v2-error-no-permission.json')));
    });

    it('denies history view with the v3 permission envelope of the fixture', async () => {
      fake.denyUser('alice', 'view_history');
      const { json } = await esbPost(
        ESB_V3_JOB_INSTANCE_STATUS,
        { ...creds(), bk_username: 'alice', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId },
        { 'Blueking-Language': 'zh-cn' },
      );
      expect(withoutRequestId(json)).toEqual(withoutRequestId(fixture('v3-error-no-permission.json')));
    });

    it('surfaces the permission error through BkTransport with the missing action', async () => {
      fake.denyUser('alice');
      const source = new V2JobLogSource(transport(), { defaultOffsetMinutes: 480 });
      const error = await source.getJobInstance({ kind: 'username', username: 'alice' }, FAILED).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BkJobError);
      expect(error).toMatchObject({ kind: 'api', code: 9900403, missingPermissions: ['access_business (Business access)'] });
    });

    it('answers 404 for unknown ESB paths', async () => {
      const response = await fetch(`${fake.url}/api/c/compapi/v2/job/get_job_instance_log`);
      expect(response.status).toBe(404);
      await response.text();
    });
  });

  describe('v3 through the API gateway', () => {
    const statusPath = '/api/v3/get_job_instance_status';
    const params = { bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: String(FAILED.jobInstanceId), return_ip_result: 'true' };

    it('authenticates with X-Bkapi-Authorization only', async () => {
      const header = JSON.stringify({ ...creds(), bk_username: 'admin' });
      const response = await fetch(`${fake.gatewayUrl}${statusPath}?${new URLSearchParams(params).toString()}`, { headers: { 'X-Bkapi-Authorization': header } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-bkapi-request-id')).toMatch(/^[0-9a-f]{32}$/);
      expect(withoutRequestId(await response.json())).toEqual(withoutRequestId(fixture('v3-get_job_instance_status-failed.json')));
    });

    it('ignores credentials in the query: 400 INVALID_ARGS without the header', async () => {
      const query = new URLSearchParams({ ...params, ...creds(), bk_username: 'admin' });
      const response = await fetch(`${fake.gatewayUrl}${statusPath}?${query.toString()}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('x-bkapi-error-code')).toBe('1640001');
      expect(await response.json()).toEqual({ code: 1640001, code_name: 'INVALID_ARGS', message: 'Parameters error [reason="app code cannot be empty"]', data: null, result: false });
    });

    it('rejects a wrong secret in the header, and POST on a GET resource', async () => {
      const bad = await fetch(`${fake.gatewayUrl}${statusPath}?${new URLSearchParams(params).toString()}`, { headers: { 'X-Bkapi-Authorization': JSON.stringify({ bk_app_code: fake.appCode, bk_app_secret: 'x', bk_username: 'admin' }) } });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 1640001, message: expect.stringContaining('bk_app_code or bk_app_secret is incorrect') });
      const post = await fetch(`${fake.gatewayUrl}${statusPath}`, { method: 'POST', headers: { 'X-Bkapi-Authorization': JSON.stringify({ ...creds(), bk_username: 'admin' }) } });
      expect(post.status).toBe(404);
      expect(await post.json()).toMatchObject({ code: 1640401, code_name: 'API_NOT_FOUND' });
    });

    it('is reachable through BkTransport in gateway mode, which sends no secret in the query', async () => {
      const result = await transport({ auth: 'gateway' }).call({ method: 'GET', path: '/api/v3/get_job_instance_ip_log', actor: { kind: 'username', username: 'admin' }, params: { bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId, step_instance_id: 2003771002, bk_host_id: 1004 } });
      expect(result.data).toMatchObject({ bk_host_id: 1004, log_content: expect.stringContaining('2>&1') });
      const [request] = fake.requests();
      expect(request!.query).not.toHaveProperty('bk_app_secret');
      expect(JSON.parse(request!.headers['x-bkapi-authorization']!)).toEqual({ ...creds(), bk_username: 'admin' });
    });
  });

  describe('control', () => {
    it('records requests with their secrets so tests can assert what was sent', async () => {
      await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      await esbPost(ESB_V3_JOB_INSTANCE_STATUS, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId });
      const [v2, v3] = fake.requests();
      expect(v2).toMatchObject({ method: 'GET', path: ESB_V2_JOB_INSTANCE_LOG, query: { bk_app_secret: fake.appSecret, bk_biz_id: '3' } });
      expect(v3).toMatchObject({ method: 'POST', path: ESB_V3_JOB_INSTANCE_STATUS, body: { bk_app_secret: fake.appSecret, job_instance_id: FAILED.jobInstanceId } });
      expect(fake.requestCount()).toBe(2);
      expect(fake.requestCount('jobv3')).toBe(1);
    });

    it('updateJob + failStep moves a running job to failed between polls', async () => {
      const source = new V2JobLogSource(transport(), { defaultOffsetMinutes: 480 });
      const actor = { kind: 'username', username: 'admin' } as const;
      const ref = { bizId: 3, jobInstanceId: SCENARIO_JOB_IDS.running };
      expect((await source.getJobInstance(actor, ref)).steps[0]!.status).toBe(2);
      fake.updateJob(3, SCENARIO_JOB_IDS.running, (def) => failStep(def, 0, [3], 2));
      const after = await source.getJobInstance(actor, ref);
      expect(after.steps[0]!.status).toBe(4);
      // v2 groups hosts by result, so the failed host comes last.
      expect(after.steps[0]!.hosts.map((h) => `${h.ip}:${h.ipStatus}:${h.exitCode}`)).toEqual(['10.0.3.31:9:0', '10.0.3.32:9:0', '10.0.3.33:9:0', '10.0.3.35:9:0', '10.0.3.34:104:2']);
      expect(after.endTime).not.toBeNull();
      const v3 = await esbPost(ESB_V3_JOB_INSTANCE_STATUS, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: SCENARIO_JOB_IDS.running });
      expect(v3.json.data).toMatchObject({ finished: true, job_instance: { status: 4 } });
    });

    it('applies latency', async () => {
      fake.setLatency(150);
      const started = Date.now();
      await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('with a capacity, works on that many requests at once and answers the rest in arrival order, each after the latency', async () => {
      fake.setLatency(150);
      fake.setCapacity(2);
      const started = Date.now();
      const finished: number[] = [];
      const requests = [0, 1, 2, 3].map((i) =>
        esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId }).then(() => finished.push(i)),
      );
      await new Promise((resolve) => setTimeout(resolve, 75));
      expect(fake.waitingForCapacity()).toBe(2);
      await Promise.all(requests);
      // Two rounds of 150 ms: the last two waited for the first two.
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(finished.slice(2).sort()).toEqual([2, 3]);
      expect(fake.waitingForCapacity()).toBe(0);
      fake.setCapacity(null);
    });

    it('lets waiting requests in at once when the capacity is lifted', async () => {
      fake.setLatency(100);
      fake.setCapacity(1);
      const started = Date.now();
      const requests = [0, 1, 2].map(() => esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fake.waitingForCapacity()).toBe(2);
      fake.setCapacity(null);
      await Promise.all(requests);
      // One at a time would take 300 ms.
      expect(Date.now() - started).toBeLessThan(280);
      expect(() => fake.setCapacity(0)).toThrow('capacity must be a positive integer or null, got 0');
    });

    it.each<[FakeFailureKind, string, number | undefined]>([
      ['http500', 'http', 500],
      ['timeout', 'timeout', undefined],
      ['malformed', 'bad_response', undefined],
      ['result_false', 'api', 1240002],
      ['reset', 'network', undefined],
    ])('failNext(%s) reaches the bot as a %s error, then the fake recovers', async (kind, errorKind, code) => {
      fake.failNext(1, kind);
      const source = new V2JobLogSource(transport({ timeoutMs: 300 }), { defaultOffsetMinutes: 480 });
      const actor = { kind: 'username', username: 'admin' } as const;
      const error = await source.getJobInstance(actor, FAILED).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BkJobError);
      expect(error).toMatchObject({ kind: errorKind, ...(code === undefined ? {} : { code }) });
      await expect(source.getJobInstance(actor, FAILED)).resolves.toMatchObject({ ref: FAILED });
      expect(fake.requestCount()).toBe(2);
    });

    it('failNext can target a path and count several requests', async () => {
      fake.failNext(2, 'http500', { path: 'get_job_instance_ip_log' });
      const status = await esbPost(ESB_V3_JOB_INSTANCE_STATUS, { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId });
      expect(status.status).toBe(200);
      const ipLog = { ...creds(), bk_username: 'admin', bk_scope_type: 'biz', bk_scope_id: '3', job_instance_id: FAILED.jobInstanceId, step_instance_id: 2003771002, bk_host_id: 1004 };
      for (const expected of [500, 500, 200]) {
        const response = await fetch(`${fake.url}${ESB_V3_JOB_INSTANCE_IP_LOG}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ipLog) });
        await response.text();
        expect(response.status).toBe(expected);
      }
    });

    it('releases a held (timeout) request when stopped', async () => {
      const local = new FakeBkJob({ jobs: [failedJob()] });
      await local.start();
      local.failNext(1, 'timeout');
      const pending = fetch(`${local.url}${ESB_V2_JOB_INSTANCE_LOG}`).then(
        () => 'answered',
        () => 'cut off',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(local.requestCount()).toBe(1);
      await local.stop();
      await expect(pending).resolves.toBe('cut off');
    });

    it('reset() restores the constructor state', async () => {
      fake.removeJob(3, FAILED.jobInstanceId);
      fake.denyUser('admin');
      fake.failNext(3, 'reset');
      fake.reset();
      expect(fake.job(3, FAILED.jobInstanceId)).toBeDefined();
      const { json } = await esbGet(ESB_V2_JOB_INSTANCE_LOG, { ...creds(), bk_username: 'admin', bk_biz_id: 3, job_instance_id: FAILED.jobInstanceId });
      expect(json.result).toBe(true);
    });
  });
});
