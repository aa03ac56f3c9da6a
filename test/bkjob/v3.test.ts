/**
 * v3 client: the parsers against the fixtures and their tolerated variations, the exact ESB and
 * gateway requests, secret-free errors, and the promise that one job summarises the same way
 * whether the bot reads it through v2 or v3.
 */
import nock from 'nock';
import type { BkActor, HostLogRef, HostResult, JobInstance, JobRef } from '../../src/bkjob/model';
import type { TransportOptions } from '../../src/bkjob/transport';
import { V3JobLogSource, V3_ENDPOINTS, parseV3HostLog, parseV3JobInstanceStatus } from '../../src/bkjob/v3';
import { buildJobSummary } from '../../src/summary/build';
import type { JobSummary } from '../../src/summary/types';
import { APP_CODE, APP_SECRET, ESB, GATEWAY, JSON_HEADERS, TOKEN, USER, actorParams, authHeader, expectNoSecrets, failure, sameJson, transport, useNock } from '../helpers/bk';
import { fixtureJson, fixtureText, v2FixtureJob } from '../helpers/jobs';

const JOB: JobRef = { bizId: 3, jobInstanceId: 2001893471 };

type Json = Record<string, unknown>;
/** Mutable deep copy of the v3 status fixture's `data`, for variations. */
function statusData(): { job_instance: Json; step_instance_list: (Json & { step_ip_result_list?: Json[] | null })[] } & Json {
  return (fixtureJson('v3-get_job_instance_status-failed.json') as { data: ReturnType<typeof statusData> }).data;
}

const cst = (time: string): number => Date.parse(`${time.replace(' ', 'T')}+08:00`);

function v3(via: 'esb' | 'gateway', overrides: Partial<TransportOptions> = {}): V3JobLogSource {
  return new V3JobLogSource(transport({ baseUrl: via === 'esb' ? ESB : GATEWAY, auth: via, ...overrides }), { via });
}

useNock();

describe('parseV3JobInstanceStatus', () => {
  it('normalises the failed job fixture', () => {
    const job = parseV3JobInstanceStatus(statusData(), JOB);
    expect(job.ref).toEqual(JOB);
    expect(job.name).toBe('deploy-nginx-config');
    expect(job.status).toBe(4);
    // Epoch ms pass through unchanged and agree with the v2 strings of the same job.
    expect(job.startTime).toBe(1718072103000);
    expect(job.startTime).toBe(cst('2024-06-11 10:15:03'));
    expect(job.endTime).toBe(cst('2024-06-11 10:25:09'));
    expect(job.steps.map((s) => [s.stepInstanceId, s.name, s.status, s.type, s.executeCount, s.hosts.length])).toEqual([
      [2003771001, 'Distribute nginx.conf', 3, 2, 0, 8],
      [2003771002, 'Reload nginx', 4, 1, 0, 8],
      [2003771003, 'Health check', 1, 1, 0, 0],
    ]);
    const reload = job.steps[1]!;
    expect([reload.startTime, reload.endTime, reload.totalTimeMs]).toEqual([1718072109000, 1718072709000, 600_000]);
    expect(reload.hosts[3]).toStrictEqual({
      ip: '10.0.1.14',
      bkCloudId: 0,
      bkHostId: 1004,
      ipStatus: 104,
      tag: '',
      exitCode: 1,
      errorCode: 0,
      startTime: 1718072109000,
      endTime: 1718072112000,
      totalTimeMs: 3000,
      retryCount: 0,
    });
    expect(reload.hosts[7]).toMatchObject({ ip: '172.16.8.21', bkCloudId: 2, bkHostId: 1008, ipStatus: 104, exitCode: 2 });
    expect(reload.hosts[6]).toMatchObject({ ip: '10.0.1.17', ipStatus: 13, errorCode: -1, totalTimeMs: 600_000 });
    // The unstarted step: null times, no hosts.
    expect(job.steps[2]).toMatchObject({ startTime: null, endTime: null, totalTimeMs: null, hosts: [] });
  });

  it('tolerates nulls and missing optional fields', () => {
    const data = statusData();
    Object.assign(data.job_instance, { name: null, start_time: 1718072103000, end_time: null, total_time: null });
    const reload = data.step_instance_list[1]!;
    Object.assign(reload, { end_time: null, total_time: null, status: 2, type: undefined });
    delete reload.execute_count;
    Object.assign(reload.step_ip_result_list![3]!, { exit_code: null, error_code: null, end_time: null, total_time: null, status: 7, tag: null });
    delete reload.step_ip_result_list![4]!.bk_host_id;
    delete reload.step_ip_result_list![5]!.bk_cloud_id;
    delete data.step_instance_list[2]!.step_ip_result_list;
    data.step_instance_list[0]!.step_ip_result_list = null;

    const job = parseV3JobInstanceStatus(data, JOB);
    expect([job.name, job.endTime]).toEqual([null, null]);
    const step = job.steps[1]!;
    expect([step.type, step.executeCount, step.endTime, step.totalTimeMs]).toEqual([null, 0, null, null]);
    expect(step.hosts[3]).toMatchObject({ ipStatus: 7, exitCode: null, errorCode: null, endTime: null, totalTimeMs: null, tag: '' });
    expect(step.hosts[4]).not.toHaveProperty('bkHostId');
    expect(step.hosts[5]!.bkCloudId).toBe(0);
    expect(job.steps[0]!.hosts).toEqual([]);
    expect(job.steps[2]!.hosts).toEqual([]);
  });

  it('carries the step execute_count to the step and every host as the retry count', () => {
    const data = statusData();
    data.step_instance_list[1]!.execute_count = 2;
    const step = parseV3JobInstanceStatus(data, JOB).steps[1]!;
    expect(step.executeCount).toBe(2);
    expect(new Set(step.hosts.map((h) => h.retryCount))).toEqual(new Set([2]));
  });

  it('accepts long IDs sent as strings, and hosts without an IPv4 by their host id (keeping an ipv6 field if one comes)', () => {
    const data = statusData();
    const host = data.step_instance_list[1]!.step_ip_result_list![0]!;
    Object.assign(host, { bk_host_id: '1001', ip: null, ipv6: 'fd00::11' });
    data.step_instance_list[1]!.step_instance_id = '2003771002';
    const step = parseV3JobInstanceStatus(data, JOB).steps[1]!;
    expect(step.stepInstanceId).toBe(2003771002);
    expect(step.hosts[0]).toMatchObject({ bkHostId: 1001, ip: '', ipv6: 'fd00::11' });
  });

  it.each<[string, (data: ReturnType<typeof statusData>) => unknown, string]>([
    ['data not an object', () => [], 'data should be an object'],
    ['no job_instance', (d) => ({ ...d, job_instance: undefined }), 'data.job_instance should be an object'],
    ['job status missing', (d) => ({ ...d, job_instance: { ...d.job_instance, status: undefined } }), 'data.job_instance.status should be an integer'],
    ['step list not a list', (d) => ({ ...d, step_instance_list: {} }), 'data.step_instance_list should be a list'],
    [
      'step without step_instance_id',
      (d) => {
        delete d.step_instance_list[0]!.step_instance_id;
        return d;
      },
      'data.step_instance_list[0].step_instance_id should be an integer',
    ],
    [
      'host without status',
      (d) => {
        delete d.step_instance_list[1]!.step_ip_result_list![3]!.status;
        return d;
      },
      'data.step_instance_list[1].step_ip_result_list[3].status should be an integer',
    ],
    [
      'host whose ip is not text',
      (d) => {
        Object.assign(d.step_instance_list[1]!.step_ip_result_list![2]!, { ip: 10 });
        return d;
      },
      'data.step_instance_list[1].step_ip_result_list[2].ip should be a string',
    ],
    [
      'time as a date string',
      (d) => {
        d.step_instance_list[0]!.start_time = '2024-06-11 10:15:03';
        return d;
      },
      'data.step_instance_list[0].start_time should be an integer',
    ],
  ])('rejects %s with a path-named bad_response', (_label, mutate, detail) => {
    expect(() => parseV3JobInstanceStatus(mutate(statusData()), JOB)).toThrow(
      expect.objectContaining({ kind: 'bad_response', message: `BlueKing JOB returned an unexpected response: ${detail}` }) as Error,
    );
  });

  it('rejects a job without steps', () => {
    expect(() => parseV3JobInstanceStatus({ ...statusData(), step_instance_list: [] }, JOB)).toThrow(
      expect.objectContaining({ kind: 'bad_response', message: 'BlueKing JOB returned no steps for job 2001893471' }) as Error,
    );
  });
});

describe('parseV3HostLog', () => {
  const job = parseV3JobInstanceStatus(statusData(), JOB);
  const ref: HostLogRef = { job: JOB, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14', bkHostId: 1004 };

  it('returns the raw script log without HTML decoding', () => {
    const { data } = fixtureJson('v3-get_job_instance_ip_log-script.json') as { data: unknown };
    const log = parseV3HostLog(data, ref, job);
    expect(log.ref).toBe(ref);
    expect(log.content).toContain('nginx -t 2>&1 failed, abort reload\n');
    // Raw means raw: text that looks like an entity is what the script printed.
    expect(parseV3HostLog({ log_type: 1, log_content: 'echo &amp; &lt;' }, ref, job).content).toBe('echo &amp; &lt;');
  });

  it('gives an empty log for null or missing log_content', () => {
    expect(parseV3HostLog({ log_type: 1, log_content: null, file_logs: null }, ref, job).content).toBe('');
    expect(parseV3HostLog({ log_type: 1 }, ref, job).content).toBe('');
  });

  it('builds a file step log from file_logs, one line per transfer', () => {
    const data = {
      log_type: 2,
      bk_host_id: 1008,
      bk_cloud_id: null,
      ip: null,
      log_content: null,
      file_logs: [
        {
          mode: 1,
          src_ip: { bk_host_id: 2001, bk_cloud_id: 0, ip: '10.0.0.5' },
          src_path: '/data/release/nginx.conf',
          dest_ip: { bk_host_id: 1008, bk_cloud_id: 2, ip: '172.16.8.21' },
          dest_path: '/etc/nginx/',
          status: 5,
          log_content: '[2024-06-11 10:15:04] FileName: /etc/nginx/nginx.conf State: download failed Detail: No space left on device\n',
        },
        {
          mode: 0,
          src_ip: { bk_host_id: 2001, bk_cloud_id: 0, ip: '10.0.0.5' },
          src_path: '/data/release/nginx.conf',
          status: 4,
          log_content: '[2024-06-11 10:15:03] FileName: /data/release/nginx.conf FileSize: 2.4 KB State: upload success',
        },
        { mode: 1, src_ip: { bk_host_id: 2002 }, src_path: '/data/a.tar', dest_ip: null, dest_path: null, status: 1, log_content: null },
      ],
    };
    expect(parseV3HostLog(data, { ...ref, ip: '172.16.8.21', bkCloudId: 2, bkHostId: 1008 }, job).content).toBe(
      [
        '[10.0.0.5 → 2:172.16.8.21] /data/release/nginx.conf → /etc/nginx/: [2024-06-11 10:15:04] FileName: /etc/nginx/nginx.conf State: download failed Detail: No space left on device',
        '[10.0.0.5 upload] /data/release/nginx.conf: [2024-06-11 10:15:03] FileName: /data/release/nginx.conf FileSize: 2.4 KB State: upload success',
        '[host 2002 → ?] /data/a.tar',
      ].join('\n'),
    );
  });

  it('gives an empty file log when file_logs is null or empty', () => {
    expect(parseV3HostLog({ log_type: 2, file_logs: null }, ref, job).content).toBe('');
    expect(parseV3HostLog({ log_type: 2, file_logs: [] }, ref, job).content).toBe('');
  });

  it('names the path of a malformed log', () => {
    expect(() => parseV3HostLog('nope', ref, job)).toThrow('BlueKing JOB returned an unexpected response: data should be an object');
    expect(() => parseV3HostLog({ log_type: 1, log_content: 42 }, ref, job)).toThrow('BlueKing JOB returned an unexpected response: data.log_content should be a string');
    expect(() => parseV3HostLog({ log_type: 2, file_logs: [{ mode: 1, src_ip: 'x' }] }, ref, job)).toThrow('BlueKing JOB returned an unexpected response: data.file_logs[0].src_ip should be an object');
  });
});

describe('V3JobLogSource via ESB', () => {
  /**
   * The exact JSON body of an ESB call about JOB: credentials, the actor, the business scope (as
   * scope and as bk_biz_id, which JOB 3.3–3.4 need) and the job, then `params`.
   */
  const esbBody = (actor: BkActor, params: Json) => ({ bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, ...actorParams(actor), bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: 3, job_instance_id: 2001893471, ...params });

  it('POSTs get_job_instance_status with credentials and scope params in the JSON body', async () => {
    const scope = nock(ESB, { badheaders: ['x-bkapi-authorization'] })
      .post(V3_ENDPOINTS.esb.status.path, esbBody(USER, { return_ip_result: true }))
      .reply(200, fixtureText('v3-get_job_instance_status-failed.json'), JSON_HEADERS);
    const job = await v3('esb').getJobInstance(USER, JOB);
    scope.done();
    expect(V3_ENDPOINTS.esb.status.path).toBe('/api/c/compapi/v2/jobv3/get_job_instance_status/');
    expect(job.steps).toHaveLength(3);
  });

  it('asks for a host log by bk_host_id when the ref has one', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv3/get_job_instance_ip_log/', esbBody(TOKEN, { step_instance_id: 2003771002, bk_host_id: 1004 }))
      .reply(200, fixtureText('v3-get_job_instance_ip_log-script.json'), JSON_HEADERS)
      .post(V3_ENDPOINTS.esb.status.path)
      .reply(200, fixtureText('v3-get_job_instance_status-failed.json'), JSON_HEADERS);
    const log = await v3('esb').getHostLog(TOKEN, { job: JOB, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14', bkHostId: 1004 });
    scope.done();
    expect(log.content).toContain('unknown directive "proxy_passs"');
    expect(log.step).toEqual({ name: 'Reload nginx', status: 4, executeCount: 0 });
    expect(log.host).toMatchObject({ ip: '10.0.1.14', bkHostId: 1004, ipStatus: 104, exitCode: 1 });
  });

  it('asks by bk_cloud_id + ip when the ref has no bk_host_id', async () => {
    const scope = nock(ESB)
      .post('/api/c/compapi/v2/jobv3/get_job_instance_ip_log/', esbBody(USER, { step_instance_id: 2003771002, bk_cloud_id: 0, ip: '10.0.1.14' }))
      .reply(200, fixtureText('v3-get_job_instance_ip_log-script.json'), JSON_HEADERS)
      .post(V3_ENDPOINTS.esb.status.path)
      .reply(200, fixtureText('v3-get_job_instance_status-failed.json'), JSON_HEADERS);
    await v3('esb').getHostLog(USER, { job: JOB, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14' });
    scope.done();
  });

  it('turns a view_history permission error into a secret-free api error', async () => {
    const scope = nock(ESB).post(V3_ENDPOINTS.esb.status.path).reply(200, fixtureText('v3-error-no-permission.json'), JSON_HEADERS);
    const err = await failure(v3('esb').getJobInstance(TOKEN, JOB));
    scope.done();
    expect(err.message).toBe('BlueKing JOB error 9900403: 用户(alice)权限不足，请前往权限中心确认并申请补充后重试');
    expect(err).toMatchObject({ kind: 'api', code: 9900403, requestId: 'e3f4a5b6c7d8e9f00112233445566778', missingPermissions: ['view_history (历史任务查看)'] });
    expectNoSecrets(err);
  });
});

describe('V3JobLogSource via the API gateway', () => {
  const expectedAuth = { bk_app_code: APP_CODE, bk_app_secret: APP_SECRET, bk_username: 'alice' };

  it('GETs get_job_instance_status with header auth and no secret in the query', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_instance_status')
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), expectedAuth))
      // Exact query: the secret (and the user) must not be in the URL.
      .query({ bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: '3', job_instance_id: '2001893471', return_ip_result: 'true' })
      .reply(200, fixtureText('v3-get_job_instance_status-failed.json'), JSON_HEADERS);
    const job = await v3('gateway').getJobInstance(USER, JOB);
    scope.done();
    expect(job.name).toBe('deploy-nginx-config');
  });

  it('GETs get_job_instance_ip_log with header auth', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_instance_ip_log')
      .matchHeader('x-bkapi-authorization', (value) => sameJson(authHeader(value), expectedAuth))
      .query({ bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: '3', job_instance_id: '2001893471', step_instance_id: '2003771002', bk_host_id: '1004' })
      .reply(200, fixtureText('v3-get_job_instance_ip_log-script.json'), JSON_HEADERS)
      .get('/api/v3/get_job_instance_status')
      .query(true)
      .reply(200, fixtureText('v3-get_job_instance_status-failed.json'), JSON_HEADERS);
    const log = await v3('gateway').getHostLog(USER, { job: JOB, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14', bkHostId: 1004 });
    scope.done();
    expect(log.content).toContain('2>&1');
  });

  it('turns a gateway 403 JSON error into a secret-free http error', async () => {
    const scope = nock(GATEWAY)
      .get('/api/v3/get_job_instance_status')
      .query(true)
      .reply(403, JSON.stringify({ code: 1640301, code_name: 'APP_NO_PERMISSION', message: 'App has no permission to the resource', data: null, result: false }), {
        ...JSON_HEADERS,
        'X-Bkapi-Error-Code': '1640301',
        'X-Bkapi-Error-Message': 'App has no permission to the resource',
        'X-Bkapi-Request-Id': '0a1b2c3d',
      });
    const err = await failure(v3('gateway').getJobInstance(TOKEN, JOB));
    scope.done();
    expect(err.message).toBe('BlueKing JOB answered HTTP 403: App has no permission to the resource (code 1640301)');
    expect(err).toMatchObject({ kind: 'http', code: 403, requestId: '0a1b2c3d' });
    expect(err.transient).toBe(false);
    expectNoSecrets(err);
  });
});

describe('the same job through v2 and v3', () => {
  const v2Job = (): JobInstance => v2FixtureJob('failed', JOB);
  const v3Job = (): JobInstance => parseV3JobInstanceStatus(statusData(), JOB);

  /** Drops what only v3 can know: job name, step type and bk_host_id in host addresses. */
  function withoutV3Extras(summary: JobSummary): JobSummary {
    return {
      ...summary,
      name: null,
      steps: summary.steps.map((step) => ({
        ...step,
        type: null,
        failingGroups: step.failingGroups.map((group) => ({ ...group, hosts: group.hosts.map(({ bkCloudId, ip }) => ({ bkCloudId, ip })) })),
      })),
    };
  }

  it('produces equal summaries once v3-only fields are normalised', () => {
    const fromV2 = buildJobSummary(v2Job());
    const fromV3 = buildJobSummary(v3Job());

    // What v3 adds, before normalising it away.
    expect(fromV3.name).toBe('deploy-nginx-config');
    expect(fromV3.steps.map((s) => s.type)).toEqual([2, 1, 1]);
    expect(fromV3.steps[1]!.failingGroups.map((g) => g.hosts.map((h) => h.bkHostId))).toEqual([[1007], [1004], [1008]]);
    expect(fromV2.steps.map((s) => s.type)).toEqual([null, null, null]);

    expect(withoutV3Extras(fromV3)).toStrictEqual(fromV2);

    // And the shared view is the one the fixtures describe.
    expect(fromV2).toMatchObject({ state: 'failed', finished: true, durationMs: 606_000, firstFailingStep: 1, currentStep: null, hostCount: 8 });
    expect(fromV2.steps.map((s) => [s.startTime, s.endTime, s.durationMs])).toEqual([
      [1718072103000, 1718072109000, 6000],
      [1718072109000, 1718072709000, 600_000],
      [null, null, null],
    ]);
    expect(fromV2.steps[1]!.failingGroups).toEqual([
      { ipStatus: 13, exitCode: 0, hosts: [{ bkCloudId: 0, ip: '10.0.1.17' }] },
      { ipStatus: 104, exitCode: 1, hosts: [{ bkCloudId: 0, ip: '10.0.1.14' }] },
      { ipStatus: 104, exitCode: 2, hosts: [{ bkCloudId: 2, ip: '172.16.8.21' }] },
    ]);
  });

  it('normalises every host the same way (v2 groups hosts by status, v3 lists them in order)', () => {
    const key = (h: HostResult) => `${h.bkCloudId}:${h.ip}`;
    const comparable = (job: JobInstance) =>
      job.steps.map((step) => ({
        ...step,
        type: null,
        hosts: [...step.hosts].sort((a, b) => key(a).localeCompare(key(b))).map(({ bkHostId: _hostId, ...host }) => host),
      }));
    const a = v2Job();
    const b = v3Job();
    expect(comparable(b)).toStrictEqual(comparable(a));
    expect([b.startTime, b.endTime]).toEqual([a.startTime, a.endTime]);
    // v2 has no job-level name or status; v3 has both.
    expect([a.name, a.status, b.name, b.status]).toEqual([null, null, 'deploy-nginx-config', 4]);
  });
});
