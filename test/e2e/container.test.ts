/**
 * End to end: a job with a container step (JOB feature `containerExecution`) on the fake
 * BlueKing, which fails v2 log and v3 status on it with 1240002 as JOB does. With
 * BK_JOB_API_VERSION=v3 the bot asks v3 once, falls back to v4 once and posts the summary, naming
 * the failing container; with BK_JOB_API_VERSION=v4 it asks v4 first.
 */
import { type Harness, startHarness } from '../../dev/harness';
import { ESB_V2_JOB_INSTANCE_LOG, ESB_V3_JOB_INSTANCE_IP_LOG, ESB_V3_JOB_INSTANCE_STATUS, ESB_V4_JOB_INSTANCE_STATUS } from '../../dev/fakeEsb';
import { containerJob } from '../../dev/scenarios';
import { useFakes } from '../helpers/fakes';

const { slack, esb } = useFakes();

/** Every text of a Slack message: its fallback text and the text of every block, nested ones included. */
function allText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(allText).join('\n');
  if (typeof value === 'object' && value !== null) return Object.values(value).map(allText).join('\n');
  return '';
}

describe.each<[string, Record<string, string>, readonly string[]]>([
  ['v3, falling back to v4', { BK_JOB_API_VERSION: 'v3' }, [ESB_V3_JOB_INSTANCE_STATUS, ESB_V4_JOB_INSTANCE_STATUS]],
  ['v4', { BK_JOB_API_VERSION: 'v4' }, [ESB_V4_JOB_INSTANCE_STATUS]],
])('/joblog on a container job (%s)', (_name, env, expectedPaths) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ slack, esb, env });
  });
  afterAll(async () => {
    await h.stop({ keepFakes: true });
  });

  it('posts the summary with the failing container and its exit code', async () => {
    const job = containerJob();
    esb.setJob(job);
    const ack = await h.slash(`${job.bizId} ${job.jobInstanceId}`);
    expect(ack.status).toBe(200);
    const [post] = await slack.waitFor('chat.postMessage');
    // The failing container is named as a container, in the same line as its exit code.
    const failingLine = allText(post!.args.blocks)
      .split('\n')
      .find((line) => line.includes('`container api-2`'));
    expect(failingLine).toContain('exit 137');
    // The containers that succeeded are not listed as failing.
    expect(allText([post!.args.text, post!.args.blocks])).not.toContain('container api-0');

    const requests = esb.requests();
    // Then the failing group's error line: its first container's log text alone (ip_log; the summary already has its step and result).
    expect(requests.map((r) => r.path)).toEqual([...expectedPaths, ESB_V3_JOB_INSTANCE_IP_LOG]);
    expect(requests[expectedPaths.length - 1]!.body).toMatchObject({ bk_scope_type: 'biz', bk_scope_id: String(job.bizId), job_instance_id: job.jobInstanceId, return_execute_object_result: true });
  });

  it("shows a host's log in such a job through v3 ip_log by bk_host_id", async () => {
    const job = containerJob();
    esb.setJob(job);
    const value = JSON.stringify({ b: job.bizId, j: job.jobInstanceId, s: 2003776001, c: 0, i: '10.0.5.11', h: 5001 });
    const ack = await h.click({ actionId: 'joblog_host_log:1', value, userId: 'U0ALICE01', channelId: 'C0OPS0001', messageTs: '1700000000.000100', responseId: 'click' });
    expect(ack.status).toBe(200);
    const [response] = await slack.waitForResponses(1);
    expect(allText(response!.body)).toContain('image pulled: registry.example.com/api:2.4.0');
    const ipLog = esb.requests().find((r) => r.path.endsWith('/get_job_instance_ip_log/'));
    expect(ipLog?.body).toMatchObject({ step_instance_id: 2003776001, bk_host_id: 5001 });
  });
});

describe('the fake BlueKing on a container job, as JOB answers', () => {
  it('fails v2 log and v3 status (return_ip_result=true) with 1240002 at HTTP 200, and serves v4 without `result` or nulls', async () => {
    const job = containerJob();
    esb.setJob(job);
    const auth = { bk_app_code: esb.appCode, bk_app_secret: esb.appSecret, bk_username: 'alice' };
    const params = { bk_scope_type: 'biz', bk_scope_id: String(job.bizId), job_instance_id: job.jobInstanceId };
    const post = (path: string, body: Record<string, unknown>) => fetch(`${esb.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...auth, ...params, ...body }) });

    const v2 = await fetch(`${esb.url}${ESB_V2_JOB_INSTANCE_LOG}?${new URLSearchParams({ ...auth, bk_biz_id: String(job.bizId), job_instance_id: String(job.jobInstanceId) }).toString()}`);
    expect(v2.status).toBe(200);
    expect(await v2.json()).toMatchObject({ result: false, code: 1240002, message: 'Internal Server Error' });

    const v3 = await post(ESB_V3_JOB_INSTANCE_STATUS, { return_ip_result: true });
    expect(v3.status).toBe(200);
    expect(await v3.json()).toMatchObject({ result: false, code: 1240002, message: 'Internal Server Error' });

    const v4 = await post(ESB_V4_JOB_INSTANCE_STATUS, { return_execute_object_result: true });
    expect(v4.status).toBe(200);
    const body = (await v4.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['data', 'job_request_id']);
    expect(JSON.stringify(body)).not.toContain('null');

    const missing = await fetch(`${esb.gatewayUrl}/api/v4/get_job_instance_status?bk_scope_type=biz&bk_scope_id=3&job_instance_id=1`, { headers: { 'X-Bkapi-Authorization': JSON.stringify(auth) } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND', message: 'Task instance does not exist' } });
  });
});
