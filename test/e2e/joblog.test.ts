/**
 * End to end: the real Bolt app on a local port, signed Slack requests, a fake Slack Web API and
 * a fake BlueKing ESB. Asserts the ack and the exact message Slack receives.
 */
import { type Harness, TEST_SIGNING_SECRET, TEST_BOT_TOKEN, startHarness } from '../../dev/harness';
import { failedJob, mentionsJob, runningJob } from '../../dev/scenarios';
import { postSigned, slashCommandBody } from '../../dev/slackRequests';
import { FAILED_FIXTURE_MESSAGE_WITH_ERROR_LINES } from '../helpers/jobs';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { BK_JOB_WEB_URL: 'https://job.example.com' } });
});

afterAll(async () => {
  await h.stop();
});

beforeEach(() => {
  h.slack.reset();
  h.esb.reset();
});

describe('/joblog <bk_biz_id> <job_instance_id>', () => {
  it('acks at once, calls BlueKing as the configured user, and posts the exact summary in the channel', async () => {
    h.esb.setJob(failedJob());
    const ack = await h.slash('3 2001893471');
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');

    const [post] = await h.slack.waitFor('chat.postMessage');
    expect(post!.token).toBe(TEST_BOT_TOKEN);
    expect(post!.args.channel).toBe('C0OPS0001');
    expect(post!.args.text).toBe(FAILED_FIXTURE_MESSAGE_WITH_ERROR_LINES.text);
    // The app reads v2 as it streams, so the failing hosts' error lines are there.
    expect(post!.args.blocks).toEqual(FAILED_FIXTURE_MESSAGE_WITH_ERROR_LINES.blocks);

    const [request] = h.esb.requests();
    expect(request!.path).toBe('/api/c/compapi/v2/job/get_job_instance_log/');
    expect(request!.query).toMatchObject({ bk_app_code: h.esb.appCode, bk_app_secret: h.esb.appSecret, bk_username: 'alice', bk_biz_id: '3', job_instance_id: '2001893471' });
  });

  it('acks before BlueKing answers (slow work happens after the ack)', async () => {
    h.esb.setJob(failedJob());
    h.esb.setLatency(1500);
    try {
      const ack = await h.slash('3 2001893471');
      expect(ack.status).toBe(200);
      // The ack is back while BlueKing is still thinking: nothing has been posted yet.
      expect(h.slack.calls('chat.postMessage')).toHaveLength(0);
      await h.slack.waitFor('chat.postMessage');
    } finally {
      h.esb.setLatency(0);
    }
  });

  it('offers a Watch button on a running job', async () => {
    h.esb.setJob(runningJob());
    const job = runningJob();
    await h.slash(`${job.bizId} ${job.jobInstanceId}`);
    const [post] = await h.slack.waitFor('chat.postMessage');
    const blocks = post!.args.blocks as Array<{ type: string; elements?: Array<Record<string, unknown>> }>;
    expect(blocks.at(-1)!.elements!.map((e) => e.action_id)).toEqual(['joblog_open', 'joblog_watch']);
  });

  it('renders mentions in BlueKing text inert', async () => {
    const job = mentionsJob();
    h.esb.setJob(job);
    await h.slash(`${job.bizId} ${job.jobInstanceId}`);
    const [post] = await h.slack.waitFor('chat.postMessage');
    const posted = JSON.stringify(post!.args);
    expect(posted).not.toMatch(/<!channel>|<!here>|<@U/);
  });

  it('falls back to response_url in channels the bot cannot post to', async () => {
    h.esb.setJob(failedJob());
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await h.slash('3 2001893471', { channelId: 'G0PRIVATE1', responseId: 'private' });
    const [response] = await h.slack.waitForResponses(1);
    expect(response!.id).toBe('private');
    expect(response!.body).toMatchObject({ response_type: 'in_channel', text: ':x: Job 2001893471 (biz 3) failed: step 2 "Reload nginx": 3 of 8 hosts failed' });
  });
});

describe('usage help', () => {
  const usage = [
    '*joblog* shows BlueKing JOB job instances in Slack.',
    // Escaped (issue 17): raw `<bk_biz_id>` is Slack link/mention syntax.
    '• `/joblog &lt;bk_biz_id&gt; &lt;job_instance_id&gt;` — summary of a job instance: steps, failing hosts, exit codes',
    '• `/joblog watch &lt;bk_biz_id&gt; &lt;job_instance_id&gt; [--on failure|finish|all]` — tell this channel when the job fails, waits for confirmation or ends',
    '• `/joblog unwatch &lt;bk_biz_id&gt; &lt;job_instance_id&gt;` — stop watching a job in this channel',
    '• `/joblog subscribe &lt;bk_biz_id&gt; cron &lt;cron_id&gt;|plan &lt;job_plan_id&gt; [--on failure|finish|all] [--digest 09:00]` — follow every run of a cron or plan in this channel (`/joblog subscribe` alone opens a form)',
    '• `/joblog unsubscribe &lt;subscription_id&gt;` · `/joblog mute &lt;subscription_id&gt; [24h|off]` — stop or silence a subscription',
    '• `/joblog retry &lt;bk_biz_id&gt; &lt;job_instance_id&gt; [&lt;step_instance_id&gt;]` · `/joblog confirm &lt;bk_biz_id&gt; &lt;job_instance_id&gt;` — retry failed hosts or confirm a waiting step, as yourself (v3/v4)',
    '• `/joblog list` — the watches and subscriptions of this channel',
    '• `/joblog help` — this help',
  ].join('\n');

  it.each([[''], ['help']])('answers "/joblog %s" with usage in the ack itself', async (text) => {
    const ack = await h.slash(text);
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ response_type: 'ephemeral' });
    const blocks = (ack.json as { blocks: unknown[] }).blocks;
    expect(blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: usage } });
    expect(h.esb.requests()).toHaveLength(0);
  });

  it.each([
    ['abc 100', 'bk_biz_id must be a positive whole number, not "abc"'],
    ['1', 'expected exactly two numbers: <bk_biz_id> <job_instance_id>'],
    ['deploy 1 2', 'unknown command `deploy`'],
    ['0 100', 'bk_biz_id 0 is out of range (1–2147483647)'],
    ['1 99999999999999999999', 'job_instance_id 99999999999999999999 is out of range (1–9007199254740991)'],
    ['1 2 3', 'expected exactly two numbers: <bk_biz_id> <job_instance_id>'],
  ])('answers bad input "%s" with the problem and usage', async (text, problem) => {
    const ack = await h.slash(text);
    const blocks = (ack.json as { blocks: Array<{ text: { text: string } }> }).blocks;
    expect(blocks[0]!.text.text).toBe(`:warning: I didn't understand that: ${problem.replace(/</g, '&lt;').replace(/>/g, '&gt;')}.`);
    expect(h.esb.requests()).toHaveLength(0);
  });
});

describe('BlueKing errors reach the user, secrets do not', () => {
  async function errorReply(): Promise<string> {
    const [response] = await h.slack.waitForResponses(1);
    const body = response!.body as { response_type: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }> };
    expect(body.response_type).toBe('ephemeral');
    const text = body.blocks.map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '').join('\n');
    expect(text).not.toContain(h.esb.appSecret);
    expect(JSON.stringify(h.slack.calls())).not.toContain(h.esb.appSecret);
    return text;
  }

  it('explains a permission error with the missing IAM action', async () => {
    h.esb.setJob(failedJob());
    h.esb.denyUser('alice');
    await h.slash('3 2001893471');
    const text = await errorReply();
    expect(text).toMatch(/\nRequest id: `[0-9a-f]{32}`$/);
    expect(text.replace(/\nRequest id: .*$/, '')).toBe(
      [
        ':warning: Could not load job instance 2001893471 in business 3.',
        'BlueKing JOB error 9900403: User (alice) permission not allowed, please confirm and apply permission in IAM and try again',
        "The bot's BlueKing user lacks: access_business (Business access). Ask a BlueKing admin to grant it in the permission center (IAM).",
      ].join('\n'),
    );
  });

  it('says so when the job does not exist', async () => {
    await h.slash('3 42');
    const text = await errorReply();
    expect(text).toContain(':warning: Could not load job instance 42 in business 3.\nBlueKing JOB error 1244006: ');
    expect(text).toContain('Check both numbers: the job instance must belong to that business.');
  });

  it.each([
    ['http500', 'BlueKing JOB answered HTTP 500'],
    ['malformed', 'BlueKing JOB answered with something that is not JSON'],
  ] as const)('explains a %s', async (kind, expected) => {
    h.esb.setJob(failedJob());
    h.esb.failNext(1, kind);
    await h.slash('3 2001893471');
    expect(await errorReply()).toContain(expected);
  });
});

describe('request verification', () => {
  it('rejects an unsigned request with 401', async () => {
    const body = slashCommandBody({ text: '1 100', userId: 'U1', channelId: 'C1', teamId: 'T1', responseUrl: h.slack.responseUrl('x'), triggerId: 't' });
    const response = await fetch(`${h.appUrl}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(response.status).toBe(401);
    expect(h.esb.requests()).toHaveLength(0);
  });

  it('rejects a wrongly signed request with 401', async () => {
    const body = slashCommandBody({ text: '1 100', userId: 'U1', channelId: 'C1', teamId: 'T1', responseUrl: h.slack.responseUrl('x'), triggerId: 't' });
    expect((await postSigned(h.appUrl, body, 'not-the-secret')).status).toBe(401);
  });

  it('rejects a stale (replayed) request with 401', async () => {
    const body = slashCommandBody({ text: '1 100', userId: 'U1', channelId: 'C1', teamId: 'T1', responseUrl: h.slack.responseUrl('x'), triggerId: 't' });
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    expect((await postSigned(h.appUrl, body, TEST_SIGNING_SECRET, { timestamp: tenMinutesAgo })).status).toBe(401);
  });
});

describe('health', () => {
  it('answers GET /healthz with 200', async () => {
    const response = await fetch(`${h.appUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('metrics', () => {
  it('serves Prometheus metrics, counting BlueKing calls by API and outcome', async () => {
    h.esb.setJob(failedJob());
    await h.slash('3 2001893471');
    await h.slack.waitFor('chat.postMessage');
    const response = await fetch(`${h.appUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^joblog_bkjob_request_duration_seconds_count\{api="get_job_instance_log",outcome="ok"\} [1-9]\d*$/m);
    expect(text).toContain('# TYPE joblog_polls_total counter');
    expect(text).toContain('# TYPE joblog_notifications_sent_total counter');
    expect(text).toContain('# TYPE joblog_slack_api_errors_total counter');
    expect(text).toMatch(/^joblog_active_watches 0$/m);
  });
});

describe('BOT_LANG=zh-CN', () => {
  let zh: Harness;
  beforeAll(async () => {
    zh = await startHarness({ slack: h.slack, esb: h.esb, env: { BOT_LANG: 'zh-CN' } });
  });
  afterAll(async () => {
    await zh.stop({ keepFakes: true });
  });

  it('answers usage and BlueKing errors in Chinese', async () => {
    const ack = await zh.slash('帮助 1');
    expect((ack.json as { blocks: Array<{ text: { text: string } }> }).blocks[0]!.text.text).toBe(':warning: 无法识别该命令：bk_biz_id 必须是正整数，而不是“帮助”。');
    h.esb.failNext(1, 'http500');
    await zh.slash('3 2001893471', { responseId: 'zh' });
    const [response] = await h.slack.waitForResponses(1);
    const body = response!.body as { blocks: Array<{ text?: { text: string } }> };
    expect(body.blocks[0]!.text!.text).toBe(':warning: 无法加载业务 3 的作业实例 2001893471。\n蓝鲸作业平台返回 HTTP 500\n通常是暂时性问题，请稍后重试。');
  });
});
