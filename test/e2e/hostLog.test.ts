/**
 * End to end: clicking a failing host shows its log (fetched fresh), escaped, to the clicking
 * user; Share posts it in the job's thread; Full log uploads the whole log by DM. Against both
 * the v2 and the v3 BlueKing APIs.
 */
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, failingOnThreeOf200, hugeJob, mentionsJob } from '../../dev/scenarios';
import { useFakes } from '../helpers/fakes';
import { HOST_14_LOG_HEAD } from '../helpers/jobs';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const SUMMARY_TS = '1700000000.000100';

const { slack, esb } = useFakes();

const HOST_14 = '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14"}';

const EXPECTED_SNIPPET_BLOCKS = [
  ...HOST_14_LOG_HEAD,
  {
    type: 'section',
    text: {
      type: 'mrkdwn',
      verbatim: true,
      text: '```\n[2024-06-11 10:15:09][PID:41004] job_start\nnginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/api.conf:14\nnginx: configuration file /etc/nginx/nginx.conf test failed\nnginx -t 2&gt;&amp;1 failed, abort reload\n```',
    },
  },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'Showing the last 4 lines of 4 · 218 B' }] },
];

describe.each<[string, Record<string, string>]>([
  ['v2', {}],
  ['v3 via ESB', { BK_JOB_API_VERSION: 'v3' }],
])('host log click (%s)', (_name, env) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ slack, esb, env });
  });
  afterAll(async () => {
    await h.stop({ keepFakes: true });
  });

  it('shows the host log to the clicking user, escaped, with Share and Full log buttons', async () => {
    esb.setJob(failedJob());
    const value = env.BK_JOB_API_VERSION ? HOST_14.replace('}', ',"h":1004}') : HOST_14;
    const ack = await h.click({ actionId: 'joblog_host_log:1', value, userId: ALICE, channelId: CHANNEL, messageTs: SUMMARY_TS, responseId: 'click' });
    expect(ack.status).toBe(200);
    const [response] = await slack.waitForResponses(1);
    const body = response!.body as { response_type: string; replace_original: boolean; blocks: Array<Record<string, unknown>> };
    expect(body.response_type).toBe('ephemeral');
    expect(body.replace_original).toBe(false);
    expect(body.blocks.slice(0, 4)).toEqual(EXPECTED_SNIPPET_BLOCKS);
    const shareValue = JSON.stringify({ ...JSON.parse(value), ch: CHANNEL, t: SUMMARY_TS });
    expect(body.blocks[4]).toEqual({
      type: 'actions',
      block_id: 'joblog_log_actions',
      elements: [
        { type: 'button', action_id: 'joblog_share_log', text: { type: 'plain_text', text: 'Share in channel' }, value: shareValue },
        { type: 'button', action_id: 'joblog_full_log', text: { type: 'plain_text', text: 'Full log' }, value: shareValue },
      ],
    });
  });

  it('shares the snippet in the job thread and uploads the full log by DM', async () => {
    esb.setJob(failedJob());
    const share = JSON.stringify({ ...JSON.parse(HOST_14), ch: CHANNEL, t: SUMMARY_TS });
    await h.click({ actionId: 'joblog_share_log', value: share, userId: ALICE, channelId: CHANNEL });
    const [post] = await slack.waitFor('chat.postMessage');
    expect(post!.args).toMatchObject({ channel: CHANNEL, thread_ts: SUMMARY_TS });
    const blocks = post!.args.blocks as unknown[];
    expect(blocks.slice(0, 4)).toEqual(EXPECTED_SNIPPET_BLOCKS);
    expect(blocks[4]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `Shared by <@${ALICE}>` }] });
    expect(blocks).toHaveLength(5);

    await h.click({ actionId: 'joblog_full_log', value: share, userId: ALICE, channelId: CHANNEL, responseId: 'full' });
    const [done] = await slack.waitForResponses(1);
    expect(done!.body).toMatchObject({ text: ':inbox_tray: Sent the full log to you in a direct message.' });
    const [upload] = slack.uploads();
    expect(upload).toMatchObject({ filename: 'joblog-2001893471-step2003771002-10.0.1.14.log', uploaded: true, completed: true });
    expect(upload!.channelId).toMatch(/^D/);
    expect(upload!.bytes.toString('utf8')).toBe(
      '[2024-06-11 10:15:09][PID:41004] job_start\nnginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/api.conf:14\nnginx: configuration file /etc/nginx/nginx.conf test failed\nnginx -t 2>&1 failed, abort reload\n',
    );
  });

  it('refuses a share aimed at another channel, and says so when Slack refuses the upload', async () => {
    esb.setJob(failedJob());
    const elsewhere = JSON.stringify({ ...JSON.parse(HOST_14), ch: 'C0ELSEWHERE', t: SUMMARY_TS });
    await h.click({ actionId: 'joblog_share_log', value: elsewhere, userId: ALICE, channelId: CHANNEL, responseId: 'forged' });
    const [forged] = await slack.waitForResponses(1);
    expect(forged!.body).toMatchObject({ text: ":warning: I didn't understand that: that button is out of date; run `/joblog` again." });
    expect(slack.calls('chat.postMessage')).toHaveLength(0);

    slack.failNext('files.getUploadURLExternal', { error: 'not_allowed_token_type' });
    const share = JSON.stringify({ ...JSON.parse(HOST_14), ch: CHANNEL, t: SUMMARY_TS });
    await h.click({ actionId: 'joblog_full_log', value: share, userId: ALICE, channelId: CHANNEL, responseId: 'upload' });
    const answers = await slack.waitForResponses(2);
    expect(JSON.stringify(answers[1]!.body)).toContain("Something went wrong on the bot's side");
  });

  it('renders log lines with mentions inert', async () => {
    const job = mentionsJob();
    esb.setJob(job);
    const step = job.steps.find((s) => s.hosts.some((x) => x.ipStatus !== 9))!;
    const failing = step.hosts.find((x) => x.ipStatus !== 9)!;
    const value = JSON.stringify({ b: job.bizId, j: job.jobInstanceId, s: step.stepInstanceId, c: failing.bkCloudId, i: failing.ip });
    await h.click({ actionId: 'joblog_host_log:0', value, userId: ALICE, channelId: CHANNEL, messageTs: SUMMARY_TS });
    const [response] = await slack.waitForResponses(1);
    const all = JSON.stringify(response!.body);
    expect(all).toContain('notify &lt;!channel&gt; and &lt;!here&gt;: deploy started by &lt;@U123&gt;');
    expect(all).not.toMatch(/<!channel>|<!here>|<@U123>|<https:\/\/evil/);
  });

  it('tells the user when BlueKing fails, without leaking the secret', async () => {
    esb.setJob(failedJob());
    esb.failNext(2, 'http500');
    await h.click({ actionId: 'joblog_host_log:1', value: HOST_14, userId: ALICE, channelId: CHANNEL, messageTs: SUMMARY_TS });
    const [response] = await slack.waitForResponses(1);
    const text = JSON.stringify(response!.body);
    expect(text).toContain('BlueKing JOB answered HTTP 500');
    expect(text).not.toContain(esb.appSecret);
  });

  it('answers a forged button value with a clear message and no BlueKing call', async () => {
    await h.click({ actionId: 'joblog_host_log:1', value: '{"b":3,"j":"DROP TABLE","s":1,"c":0,"i":"x"}', userId: ALICE, channelId: CHANNEL });
    const [response] = await slack.waitForResponses(1);
    expect(response!.body).toMatchObject({ response_type: 'ephemeral', text: ":warning: I didn't understand that: that button is out of date; run `/joblog` again." });
    expect(esb.requests()).toHaveLength(0);
  });
});

describe('host menus', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ slack, esb });
  });
  afterAll(async () => {
    await h.stop({ keepFakes: true });
  });

  it('puts a button on each of the 3 failing hosts of 200', async () => {
    const job = failingOnThreeOf200();
    esb.setJob(job);
    await h.slash(`${job.bizId} ${job.jobInstanceId}`);
    const [post] = await slack.waitFor('chat.postMessage');
    const blocks = post!.args.blocks as Array<{ type: string; block_id?: string; elements?: Array<{ action_id: string; text: { text: string } }> }>;
    const hosts = blocks.find((b) => b.block_id?.startsWith('joblog_host_buttons:'))!;
    expect(hosts.elements!.map((e) => e.action_id)).toEqual(['joblog_host_log:0', 'joblog_host_log:1', 'joblog_host_log:2']);
  });

  it('searches 250 failing hosts by IP through the external menu', async () => {
    const job = hugeJob({ hosts: 300, steps: 2, logBytes: 64, failingHosts: 250 });
    esb.setJob(job);
    await h.slash(`${job.bizId} ${job.jobInstanceId}`);
    const [post] = await slack.waitFor('chat.postMessage');
    const blocks = post!.args.blocks as Array<{ type: string; block_id?: string; elements?: Array<{ type: string; action_id: string }> }>;
    const picker = blocks.find((b) => b.block_id?.startsWith('joblog_hosts:'))!;
    expect(picker.elements![0]).toMatchObject({ type: 'external_select', action_id: 'joblog_host_log_select', min_query_length: 0 });

    const failingIp = job.steps.flatMap((s) => s.hosts).find((x) => x.ipStatus !== 9 && x.ipStatus !== 3)!.ip;
    const { blockSuggestionBody, postSigned } = await import('../../dev/slackRequests');
    const { TEST_SIGNING_SECRET } = await import('../../dev/harness');
    const answer = await postSigned(h.appUrl, blockSuggestionBody({ actionId: 'joblog_host_log_select', blockId: picker.block_id!, value: failingIp, userId: ALICE, channelId: CHANNEL, teamId: 'T0TEST001' }), TEST_SIGNING_SECRET);
    expect(answer.status).toBe(200);
    const options = (answer.json as { options: Array<{ text: { text: string }; value: string }> }).options;
    expect(options.length).toBeGreaterThan(0);
    expect(options.every((o) => o.text.text.includes(failingIp))).toBe(true);
    expect(JSON.parse(options[0]!.value)).toMatchObject({ b: job.bizId, j: job.jobInstanceId, i: failingIp });
  });
});
