/**
 * v2 ESB client end to end (BkTransport + V2JobLogSource + v2 parser) against nock-served fixtures:
 * the exact request, the normalised JobInstance, and every way a call can fail, with the check
 * that no failure carries the app secret or the user's bk_token anywhere a log or Slack could see.
 */
import { type AddressInfo, createServer } from 'node:net';
import nock from 'nock';
import type { BkActor, HostLogRef, JobRef } from '../../src/bkjob/model';
import { V2JobLogSource } from '../../src/bkjob/source';
import type { TransportOptions } from '../../src/bkjob/transport';
import { V2_JOB_INSTANCE_LOG_PATH, decodeHtmlEntities, extractV2HostLog, parseV2JobInstanceLog } from '../../src/bkjob/v2';
import { ESB, JSON_UTF8_HEADERS, TOKEN, USER, expectNoSecrets, failure, transport, useNock, v2Query } from '../helpers/bk';
import { fixtureJson, fixtureText } from '../helpers/jobs';

const SHANGHAI = 480;

const FAILED_JOB: JobRef = { bizId: 3, jobInstanceId: 2001893471 };
const SUCCESS_JOB: JobRef = { bizId: 3, jobInstanceId: 2001770500 };
const RUNNING_JOB: JobRef = { bizId: 3, jobInstanceId: 2001772200 };

/** A deep, mutable copy of a v2 fixture, for variations. */
const v2Fixture = (name: string) => fixtureJson(name) as { data: Record<string, unknown>[] } & Record<string, unknown>;

/** "2024-06-11 10:15:03" in Asia/Shanghai → epoch ms. */
const cst = (time: string): number => Date.parse(`${time.replace(' ', 'T')}+08:00`);

function source(overrides: Partial<TransportOptions> = {}): V2JobLogSource {
  return new V2JobLogSource(transport(overrides), { defaultOffsetMinutes: SHANGHAI });
}

/** Intercepts the documented ESB GET, with exactly the query it must carry. */
function esb(ref: JobRef, actor: BkActor = USER, base = ESB): nock.Interceptor {
  return nock(base).get(V2_JOB_INSTANCE_LOG_PATH).query(v2Query(ref, actor));
}

useNock();

describe('V2JobLogSource.getJobInstance success', () => {
  it('sends the documented ESB GET and normalises the successful job', async () => {
    const scope = esb(SUCCESS_JOB).reply(200, fixtureText('v2-get_job_instance_log-success.json'), JSON_UTF8_HEADERS);
    const job = await source().getJobInstance(USER, SUCCESS_JOB);
    scope.done();

    expect(job.ref).toEqual(SUCCESS_JOB);
    expect(job.name).toBeNull();
    expect(job.status).toBeNull();
    expect(job.startTime).toBe(cst('2024-06-10 09:00:04'));
    expect(job.endTime).toBe(cst('2024-06-10 09:00:15'));
    expect(job.steps.map((s) => [s.stepInstanceId, s.name, s.status, s.type, s.hosts.length, s.executeCount])).toEqual([
      [2003770501, 'Check disk usage', 3, null, 5, 0],
      [2003770502, 'Push release package', 3, null, 5, 0],
      [2003770503, 'Restart app service', 3, null, 5, 0],
    ]);

    // Two step_results groups with the same ip_status but different tags are flattened, tags kept.
    const check = job.steps[0]!;
    expect(check.hosts.map((h) => [h.ip, h.ipStatus, h.tag])).toEqual([
      ['10.0.2.21', 9, 'disk_ok'],
      ['10.0.2.22', 9, 'disk_ok'],
      ['10.0.2.23', 9, 'disk_ok'],
      ['10.0.2.24', 9, 'disk_warn'],
      ['10.0.2.25', 9, 'disk_warn'],
    ]);
    expect(check.hosts[0]).toStrictEqual({
      ip: '10.0.2.21',
      bkCloudId: 0,
      ipStatus: 9,
      tag: 'disk_ok',
      exitCode: 0,
      errorCode: 0,
      startTime: cst('2024-06-10 09:00:04'),
      endTime: cst('2024-06-10 09:00:06'),
      totalTimeMs: 2000,
      retryCount: 0,
    });
    // v2 has no step times: the step spans its hosts (earliest start, latest end).
    expect([check.startTime, check.endTime, check.totalTimeMs]).toEqual([cst('2024-06-10 09:00:04'), cst('2024-06-10 09:00:07'), 3000]);
  });

  it('normalises the failed job: per-host statuses, cloud areas, float seconds and the unstarted step', async () => {
    const scope = esb(FAILED_JOB).reply(200, fixtureText('v2-get_job_instance_log-failed.json'), JSON_UTF8_HEADERS);
    const job = await source().getJobInstance(USER, FAILED_JOB);
    scope.done();

    expect(job.steps.map((s) => [s.name, s.status, s.hosts.length])).toEqual([
      ['Distribute nginx.conf', 3, 8],
      ['Reload nginx', 4, 8],
      ['Health check', 1, 0],
    ]);
    const reload = job.steps[1]!;
    const byIp = new Map(reload.hosts.map((h) => [h.ip, h]));
    expect(byIp.get('10.0.1.14')).toMatchObject({ bkCloudId: 0, ipStatus: 104, exitCode: 1, errorCode: 0 });
    expect(byIp.get('172.16.8.21')).toMatchObject({ bkCloudId: 2, ipStatus: 104, exitCode: 2, totalTimeMs: 5000 });
    expect(byIp.get('10.0.1.17')).toMatchObject({
      ipStatus: 13,
      errorCode: -1,
      startTime: cst('2024-06-11 10:15:09'),
      endTime: cst('2024-06-11 10:25:09'),
      totalTimeMs: 600_000,
    });
    expect(reload.hosts.filter((h) => h.ipStatus === 9)).toHaveLength(5);
    expect([reload.startTime, reload.endTime, reload.totalTimeMs]).toEqual([cst('2024-06-11 10:15:09'), cst('2024-06-11 10:25:09'), 600_000]);

    const health = job.steps[2]!;
    expect([health.startTime, health.endTime, health.totalTimeMs, health.executeCount]).toEqual([null, null, null, 0]);
    expect(job.startTime).toBe(cst('2024-06-11 10:15:03'));
    expect(job.endTime).toBe(cst('2024-06-11 10:25:09'));
  });

  it('normalises the running job: offset-less times in the default zone, execute_count, open hosts', async () => {
    const scope = esb(RUNNING_JOB).reply(200, fixtureText('v2-get_job_instance_log-running.json'), JSON_UTF8_HEADERS);
    const job = await source().getJobInstance(USER, RUNNING_JOB);
    scope.done();

    const backup = job.steps[0]!;
    expect(backup.status).toBe(2);
    expect(backup.hosts.map((h) => [h.ip, h.ipStatus])).toEqual([
      ['10.0.3.31', 9],
      ['10.0.3.32', 9],
      ['10.0.3.33', 7],
      ['10.0.3.34', 7],
      ['10.0.3.35', 7],
    ]);
    // "2024-06-11 11:02:30" has no offset: BK_TIMEZONE_OFFSET (+08:00) applies.
    expect(backup.hosts[0]).toMatchObject({ startTime: cst('2024-06-11 11:02:30'), endTime: cst('2024-06-11 11:04:02'), totalTimeMs: 92_000, retryCount: 0 });
    expect(backup.hosts[2]).toStrictEqual({
      ip: '10.0.3.33',
      bkCloudId: 0,
      ipStatus: 7,
      tag: '',
      exitCode: null,
      errorCode: 115,
      startTime: cst('2024-06-11 11:02:30'),
      endTime: null,
      totalTimeMs: null,
      retryCount: 0,
    });
    // Hosts still running: the step has started but has no end or duration yet, nor has the job.
    expect([backup.startTime, backup.endTime, backup.totalTimeMs]).toEqual([cst('2024-06-11 11:02:30'), null, null]);
    expect(job.steps[1]).toMatchObject({ name: 'Rotate old backups', status: 1, hosts: [], startTime: null });
    expect(job.startTime).toBe(cst('2024-06-11 11:02:30'));
    expect(job.endTime).toBeNull();
  });

  it('reads execute_count (current backend) as retry_count (documented) and takes the step maximum', () => {
    const body = v2Fixture('v2-get_job_instance_log-running.json');
    const ipLogs = ((body.data[0]!.step_results as Record<string, unknown>[])[1]!.ip_logs as Record<string, unknown>[]);
    ipLogs[1]!.execute_count = 2;
    const job = parseV2JobInstanceLog(body.data, RUNNING_JOB, { defaultOffsetMinutes: SHANGHAI });
    expect(job.steps[0]!.hosts.map((h) => h.retryCount)).toEqual([0, 0, 0, 2, 0]);
    expect(job.steps[0]!.executeCount).toBe(2);
  });

  it('uses the configured default offset for times without one', () => {
    const body = v2Fixture('v2-get_job_instance_log-running.json');
    const utc = parseV2JobInstanceLog(body.data, RUNNING_JOB, { defaultOffsetMinutes: 0 });
    const cstJob = parseV2JobInstanceLog(body.data, RUNNING_JOB, { defaultOffsetMinutes: SHANGHAI });
    expect(utc.startTime).toBe(Date.parse('2024-06-11T11:02:30Z'));
    expect(utc.startTime! - cstJob.startTime!).toBe(8 * 3600_000);
  });

  it('sends bk_token instead of bk_username for a token actor', async () => {
    // The exact query match fails if bk_username (or anything else) is also sent.
    const scope = esb(FAILED_JOB, TOKEN).reply(200, fixtureText('v2-get_job_instance_log-failed.json'), JSON_UTF8_HEADERS);
    const job = await source().getJobInstance(TOKEN, FAILED_JOB);
    scope.done();
    expect(job.steps).toHaveLength(3);
  });

  it('sends Blueking-Language when a language is configured', async () => {
    const scope = nock(ESB, { reqheaders: { 'blueking-language': 'zh-cn', accept: 'application/json' } })
      .get(V2_JOB_INSTANCE_LOG_PATH)
      .query(v2Query(FAILED_JOB, USER))
      .reply(200, fixtureText('v2-get_job_instance_log-failed.json'), JSON_UTF8_HEADERS);
    await source({ language: 'zh-cn' }).getJobInstance(USER, FAILED_JOB);
    scope.done();
  });
});

const V2_OPTIONS = { defaultOffsetMinutes: 480 };

describe('V2JobLogSource.getHostLog', () => {
  const ref = (ip: string, bkCloudId: number, stepInstanceId = 2003771002): HostLogRef => ({ job: FAILED_JOB, stepInstanceId, ip, bkCloudId });

  it('returns one host log with the HTML escaping undone', async () => {
    const scope = esb(FAILED_JOB).reply(200, fixtureText('v2-get_job_instance_log-failed.json'), JSON_UTF8_HEADERS);
    const log = await source().getHostLog(USER, ref('10.0.1.14', 0));
    scope.done();
    expect(log.ref).toEqual(ref('10.0.1.14', 0));
    expect(log.content).toContain('nginx -t 2>&1 failed, abort reload');
    expect(log.content).toContain('unknown directive "proxy_passs"');
    // v2's decoded log is exactly v3's raw log for the same host.
    const v3 = JSON.parse(fixtureText('v3-get_job_instance_ip_log-script.json')) as { data: { log_content: string } };
    expect(log.content).toBe(v3.data.log_content);
  });

  it('tells hosts in different cloud areas apart', () => {
    const data = v2Fixture('v2-get_job_instance_log-failed.json').data;
    expect(extractV2HostLog(data, ref('172.16.8.21', 2), V2_OPTIONS).content).toContain('nginx.service is not active');
    expect(() => extractV2HostLog(data, ref('172.16.8.21', 0), V2_OPTIONS)).toThrow(
      expect.objectContaining({ kind: 'not_found', message: 'Host 172.16.8.21 is not in step 2003771002 of job 2001893471' }) as Error,
    );
  });

  it('reports an unknown step or host as not_found', () => {
    const data = v2Fixture('v2-get_job_instance_log-failed.json').data;
    expect(() => extractV2HostLog(data, ref('10.0.1.14', 0, 42), V2_OPTIONS)).toThrow(expect.objectContaining({ kind: 'not_found', message: 'Host 10.0.1.14 is not in step 42 of job 2001893471' }) as Error);
    expect(() => extractV2HostLog(data, ref('10.9.9.9', 5), V2_OPTIONS)).toThrow(expect.objectContaining({ kind: 'not_found', message: 'Host 5:10.9.9.9 is not in step 2003771002 of job 2001893471' }) as Error);
  });

  it('gives an empty log for a host with null log_content', () => {
    const body = v2Fixture('v2-get_job_instance_log-failed.json');
    const group = (body.data[1]!.step_results as Record<string, unknown>[])[1]!;
    (group.ip_logs as Record<string, unknown>[])[0]!.log_content = null;
    expect(extractV2HostLog(body.data, ref('10.0.1.14', 0), V2_OPTIONS).content).toBe('');
  });
});

describe('V2JobLogSource failures', () => {
  // Failures use the token actor so both secrets really are in the request being made.
  const get = (options: Partial<TransportOptions> = {}) => source(options).getJobInstance(TOKEN, FAILED_JOB);

  it('result:false with a permission error → api error with the missing IAM action', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(200, fixtureText('v2-error-no-permission.json'), JSON_UTF8_HEADERS);
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB error 9900403: 用户(alice)权限不足，请前往权限中心确认并申请补充后重试');
    expect(err.kind).toBe('api');
    expect(err.code).toBe(9900403);
    expect(err.bkMessage).toBe('用户(alice)权限不足，请前往权限中心确认并申请补充后重试');
    expect(err.requestId).toBe('5d6e7f8091a2b3c4d5e6f7081920a3b4');
    expect(err.missingPermissions).toContain('access_business (业务访问)');
    expect(err.transient).toBe(false);
    expectNoSecrets(err);
  });

  it('HTTP 500 with an HTML body → http error, transient', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(500, '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>', { 'Content-Type': 'text/html' });
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 500');
    expect([err.kind, err.code, err.transient]).toEqual(['http', 500, true]);
    expectNoSecrets(err);
  });

  it('HTTP 502 from the proxy → http error, transient', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(502, '<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>', { 'Content-Type': 'text/html' });
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 502');
    expect([err.kind, err.code, err.transient]).toEqual(['http', 502, true]);
    expectNoSecrets(err);
  });

  it('a login redirect is not followed (it would carry the query string elsewhere) → http error', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(302, '', { Location: 'https://paas.example.com/login/?c_url=/api/c/compapi/v2/job/get_job_instance_log/' });
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 302');
    expect([err.kind, err.code, err.transient]).toEqual(['http', 302, false]);
    expectNoSecrets(err);
  });

  it('no answer within the timeout → timeout, transient', async () => {
    const scope = esb(FAILED_JOB, TOKEN).delay(2000).reply(200, fixtureText('v2-get_job_instance_log-failed.json'), JSON_UTF8_HEADERS);
    const started = Date.now();
    const err = await failure(get({ timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(scope.isDone()).toBe(true);
    expect(err.message).toBe('BlueKing JOB did not answer within 0.2 s');
    expect([err.kind, err.transient]).toEqual(['timeout', true]);
    expectNoSecrets(err);
  });

  it('connection refused → network error, transient', async () => {
    // A port that was just free: bind, read the port, close, then call it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    nock.enableNetConnect('127.0.0.1');
    try {
      const err = await failure(get({ baseUrl: `http://127.0.0.1:${port}` }));
      expect(err.message).toBe('Could not reach BlueKing JOB (ECONNREFUSED)');
      expect([err.kind, err.transient]).toEqual(['network', true]);
      expectNoSecrets(err);
    } finally {
      nock.disableNetConnect();
    }
  });

  it('a 200 that is not JSON (an HTML login page) → bad_response', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(200, '<!DOCTYPE html><html><body>蓝鲸智云 登录</body></html>', { 'Content-Type': 'text/html' });
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered with something that is not JSON');
    expect([err.kind, err.transient]).toEqual(['bad_response', false]);
    expectNoSecrets(err);
  });

  it('JSON without `result` → bad_response', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(200, JSON.stringify({ code: 0, data: [] }), JSON_UTF8_HEADERS);
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered JSON without the expected `result` field');
    expect([err.kind, err.transient]).toEqual(['bad_response', false]);
    expectNoSecrets(err);
  });

  it('result:true with data that is not a list → path-named bad_response', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(200, JSON.stringify({ result: true, code: 0, data: { steps: [] } }), JSON_UTF8_HEADERS);
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB returned an unexpected response: data should be a list');
    expect(err.kind).toBe('bad_response');
    expectNoSecrets(err);
  });

  it('a step without step_instance_id → path-named bad_response', async () => {
    const body = v2Fixture('v2-get_job_instance_log-failed.json');
    delete body.data[0]!.step_instance_id;
    const scope = esb(FAILED_JOB, TOKEN).reply(200, JSON.stringify(body), JSON_UTF8_HEADERS);
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB returned an unexpected response: data[0].step_instance_id should be an integer');
    expect(err.kind).toBe('bad_response');
    expectNoSecrets(err);
  });

  it('a malformed host deep inside names its full path', () => {
    const body = v2Fixture('v2-get_job_instance_log-failed.json');
    const group = (body.data[1]!.step_results as Record<string, unknown>[])[2]!;
    (group.ip_logs as Record<string, unknown>[])[0]!.start_time = '11/06/2024';
    expect(() => parseV2JobInstanceLog(body.data, FAILED_JOB, { defaultOffsetMinutes: SHANGHAI })).toThrow(
      'BlueKing JOB returned an unexpected response: data[1].step_results[2].ip_logs[0].start_time should be a time like 2024-06-11 10:15:03 +0800',
    );
  });

  it('an empty step list → bad_response', async () => {
    const scope = esb(FAILED_JOB, TOKEN).reply(200, JSON.stringify({ result: true, code: 0, data: [] }), JSON_UTF8_HEADERS);
    const err = await failure(get());
    scope.done();
    expect(err.message).toBe('BlueKing JOB returned no steps for job 2001893471');
    expect(err.kind).toBe('bad_response');
  });

  it('a response larger than maxResponseBytes → too_large', async () => {
    const body = v2Fixture('v2-get_job_instance_log-failed.json');
    const group = (body.data[1]!.step_results as Record<string, unknown>[])[0]!;
    (group.ip_logs as Record<string, unknown>[])[0]!.log_content = 'x'.repeat(1536 * 1024);
    const scope = esb(FAILED_JOB, TOKEN).reply(200, JSON.stringify(body), JSON_UTF8_HEADERS);
    const err = await failure(get({ maxResponseBytes: 1024 * 1024 }));
    scope.done();
    expect(err.message).toBe("BlueKing JOB's response is larger than the 1 MB limit (BK_MAX_RESPONSE_MB)");
    expect([err.kind, err.transient]).toEqual(['too_large', false]);
    expectNoSecrets(err);
  });
});

describe('decodeHtmlEntities', () => {
  it.each([
    ['nginx -t 2&gt;&amp;1', 'nginx -t 2>&1'],
    ['&lt;b&gt;bold&lt;/b&gt;', '<b>bold</b>'],
    ['say &quot;hi&quot; &apos;there&apos;', `say "hi" 'there'`],
    ['it&#39;s &#x27;quoted&#X27;', "it's 'quoted'"],
    ['&#20013;&#x6587;', '中文'],
    ['&#x1F600;', '😀'],
    ['a&nbsp;b', 'a\u00a0b'],
    ['&LT;&Gt;', '<>'],
    // One pass only: an escaped entity stays an entity, exactly as the script printed it.
    ['&amp;lt;', '&lt;'],
    ['&amp;amp;', '&amp;'],
  ])('%p → %p', (input, output) => {
    expect(decodeHtmlEntities(input)).toBe(output);
  });

  it.each([['AT&T'], ['a & b'], ['&unknown;'], ['&#0;'], ['&#1114112;'], ['&#xZZ;'], ['&;'], ['&amp'], ['no entities at all'], ['']])('leaves %p alone', (input) => {
    expect(decodeHtmlEntities(input)).toBe(input);
  });
});
