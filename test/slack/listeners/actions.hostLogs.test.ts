/**
 * Unit tests of the host log listeners: a host button or menu choice shows the log privately,
 * "Share in channel" posts it in the job's thread, "Full log" sends it as a file by DM. Called
 * directly with fake Bolt arguments and fake deps.
 */
import type { BlockElementAction, StaticSelectAction } from '@slack/bolt';
import { BkJobError } from '../../../src/bkjob/errors';
import { type HostLogArgs, sendFullHostLog, shareHostLog, showHostLog } from '../../../src/slack/listeners/actions/hostLogs';
import { SNIPPET_MAX_CHARS, renderHostLog, snippetMeasure } from '../../../src/blocks/hostLog';
import { tailLog } from '../../../src/summary/logTail';
import {
  ACTOR,
  CHANNEL_ID,
  DM_CHANNEL_ID,
  HOST_14_REF,
  HOST_14_VALUE,
  OTHER_CHANNEL_ID,
  REQUEST_ID,
  USER_ID,
  type BodyOptions,
  blockActionBody,
  buttonAction,
  callOrder,
  context,
  fakeAck,
  fakeClient,
  fakeDeps,
  fakeRespond,
  hostLogOf,
  platformError,
} from '../../helpers/listenerFakes';
import { HOST_14_LOG_HEAD } from '../../helpers/jobs';

const MESSAGE_TS = '1718101700.000100';
const THREAD_TS = '1718101600.000050';
const STALE = ":warning: I didn't understand that: that button is out of date; run `/joblog` again.";
const CANNOT_POST = "I can't post in this channel. Invite me with `/invite @joblog` and try again.";
const internalErrorText = (incident: string) => `:warning: Something went wrong on the bot's side. Please try again; if it keeps happening, give your admin this reference: \`${incident}\`.`;

function ephemeralReply(text: string) {
  return { response_type: 'ephemeral', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

const shareValue = (channelId: string, threadTs?: string) => JSON.stringify({ ...(JSON.parse(HOST_14_VALUE) as object), ch: channelId, ...(threadTs ? { t: threadTs } : {}) });

/** The snippet of `hostLogOf()`: the e2e head, the log, its size, then whatever follows. */
const SNIPPET_BODY = [
  ...HOST_14_LOG_HEAD,
  { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: '```\njob_start\nnginx: [emerg] unknown directive "proxy_passs"\nnginx -t 2&gt;&amp;1 failed, abort reload\n```' } },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'Showing the last 3 lines of 3 · 92 B' }] },
];

function logActions(value: string) {
  return {
    type: 'actions',
    block_id: 'joblog_log_actions',
    elements: [
      { type: 'button', action_id: 'joblog_share_log', text: { type: 'plain_text', text: 'Share in channel' }, value },
      { type: 'button', action_id: 'joblog_full_log', text: { type: 'plain_text', text: 'Full log' }, value },
    ],
  };
}

function setup(action: BlockElementAction, body: BodyOptions = {}) {
  const fakes = fakeDeps();
  const { fake: client, client: webClient } = fakeClient();
  const ack = fakeAck<void>();
  const respond = fakeRespond();
  const args: HostLogArgs = { ack, body: blockActionBody(action, { messageTs: MESSAGE_TS, ...body }), action, respond, client: webClient, context: context() };
  return { ...fakes, client, ack, respond, args };
}

function hostSelect(value: string): StaticSelectAction {
  return {
    type: 'static_select',
    action_id: 'joblog_host_log_select',
    block_id: 'joblog_hosts:3:2001893471',
    action_ts: '1718101800.123456',
    selected_option: { text: { type: 'plain_text', text: '10.0.1.14 · exit 1' }, value },
  };
}

describe('showHostLog', () => {
  it.each([
    ['a host button', showHostLog],
    ['Share in channel', shareHostLog],
    ['Full log', sendFullHostLog],
  ])('%s from a user without a BlueKing user explains the mapping and fetches nothing', async (_name, listener) => {
    const value = listener === showHostLog ? HOST_14_VALUE : JSON.stringify({ ...(JSON.parse(HOST_14_VALUE) as object), ch: CHANNEL_ID });
    const t = setup(buttonAction('joblog_host_log:1', value, 'joblog_host_buttons:3:2001893471'));
    t.resolveActor.mockResolvedValue({ kind: 'unmapped', reason: { mode: 'email', why: 'no_email' } });
    await listener(t.args, t.deps);
    expect(t.jobs.hostLog).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(t.respond.mock.calls[0])).toContain("Your Slack profile shows me no email. Ask the bot's admin to check that the app has the `users:read.email` scope.");
  });

  it('acks first, fetches the log as the user, and shows the snippet only to them with Share / Full log for this thread', async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE, 'joblog_host_buttons:3:2001893471'));
    const log = hostLogOf();
    t.jobs.hostLog.mockResolvedValue(log);
    await showHostLog(t.args, t.deps);

    expect(callOrder({ ack: t.ack, hostLog: t.jobs.hostLog, respond: t.respond })).toEqual(['ack', 'hostLog', 'respond']);
    expect(t.ack).toHaveBeenCalledWith();
    expect(t.resolveActor).toHaveBeenCalledWith(USER_ID);
    expect(t.jobs.hostLog).toHaveBeenCalledWith(ACTOR, HOST_14_REF);
    expect(t.respond).toHaveBeenCalledTimes(1);
    const reply = t.respond.mock.calls[0]![0] as { response_type: string; replace_original: boolean; text: string; blocks: unknown[] };
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(reply.blocks).toEqual([...SNIPPET_BODY, logActions(shareValue(CHANNEL_ID, MESSAGE_TS))]);
    expect(reply.text).toBe('10.0.1.14 · Reload nginx: nginx -t 2&gt;&amp;1 failed, abort reload');
    // The renderer's own output, for the same log and tail.
    const tail = tailLog(log.content, { maxLines: 40, maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure });
    expect(reply).toEqual({ response_type: 'ephemeral', replace_original: false, ...renderHostLog(log, tail, { lang: 'en', offsetMinutes: 480, actions: { channelId: CHANNEL_ID, threadTs: MESSAGE_TS } }) });
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it("aims Share at the message's own thread when the button sat in a thread reply", async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE), { threadTs: THREAD_TS });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await showHostLog(t.args, t.deps);
    const reply = t.respond.mock.calls[0]![0] as { blocks: unknown[] };
    expect(reply.blocks.at(-1)).toEqual(logActions(shareValue(CHANNEL_ID, THREAD_TS)));
  });

  it('aims Share at the channel itself when the button sat on an ephemeral message', async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE), { ephemeral: true });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await showHostLog(t.args, t.deps);
    const reply = t.respond.mock.calls[0]![0] as { blocks: unknown[] };
    expect(reply.blocks.at(-1)).toEqual(logActions(shareValue(CHANNEL_ID)));
  });

  it('shows no Share / Full log buttons without a channel', async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE), { channelId: null });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await showHostLog(t.args, t.deps);
    const reply = t.respond.mock.calls[0]![0] as { blocks: unknown[] };
    expect(reply.blocks).toEqual(SNIPPET_BODY);
  });

  it('reads the host from a menu choice', async () => {
    const t = setup(hostSelect(HOST_14_VALUE));
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await showHostLog(t.args, t.deps);
    expect(t.jobs.hostLog).toHaveBeenCalledWith(ACTOR, HOST_14_REF);
    expect((t.respond.mock.calls[0]![0] as { blocks: unknown[] }).blocks.slice(0, 4)).toEqual(SNIPPET_BODY);
  });

  it('keeps the host id of a v3 value', async () => {
    const t = setup(buttonAction('joblog_host_log:0', HOST_14_VALUE.replace('}', ',"h":1004}')));
    t.jobs.hostLog.mockResolvedValue(hostLogOf({ ...HOST_14_REF, bkHostId: 1004 }));
    await showHostLog(t.args, t.deps);
    expect(t.jobs.hostLog).toHaveBeenCalledWith(ACTOR, { ...HOST_14_REF, bkHostId: 1004 });
  });

  it.each([
    ['a forged job id', '{"b":3,"j":"DROP TABLE","s":1,"c":0,"i":"x"}'],
    ['not JSON', '3:2001893471'],
    ['a bad ip', '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"<@U123>"}'],
    ['a negative cloud id', '{"b":3,"j":2001893471,"s":2003771002,"c":-1,"i":"10.0.1.14"}'],
    ['a bad channel', '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14","ch":"#general"}'],
    ['JSON null', 'null'],
    ['a job id as a string', '{"b":3,"j":"2001893471","s":2003771002,"c":0,"i":"10.0.1.14"}'],
    ['a cloud id as a string', '{"b":3,"j":2001893471,"s":2003771002,"c":"0","i":"10.0.1.14"}'],
    ['a fractional cloud id', '{"b":3,"j":2001893471,"s":2003771002,"c":0.5,"i":"10.0.1.14"}'],
    ['a zero step id', '{"b":3,"j":2001893471,"s":0,"c":0,"i":"10.0.1.14"}'],
    ['a host id as a string', '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14","h":"1004"}'],
    ['a bad thread ts', '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14","ch":"C0OPS0001","t":"now"}'],
    ['a JSON list', '[3,2001893471]'],
    ['an over-long value', `{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14","x":"${'a'.repeat(2000)}"}`],
  ])('drops %s with a log line and the out-of-date reply, without asking BlueKing', async (_what, value) => {
    const t = setup(buttonAction('joblog_host_log:1', value));
    await showHostLog(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.jobs.hostLog).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_host_log:1' }, 'ignoring a host log action with an invalid value');
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(STALE));
  });

  it('drops a button without a value', async () => {
    const t = setup(buttonAction('joblog_host_log:1', undefined));
    await showHostLog(t.args, t.deps);
    expect(t.jobs.hostLog).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(STALE));
  });

  it('says plainly when the host is not (or no longer) in the step', async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE));
    t.jobs.hostLog.mockRejectedValue(new BkJobError('host 10.0.1.14 is not in step 2003771002', { kind: 'not_found' }));
    await showHostLog(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(':warning: Could not load the log of `10.0.1.14`.\nhost 10.0.1.14 is not in step 2003771002'));
  });

  it("gives BlueKing's own message privately when BlueKing refuses", async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE));
    t.jobs.hostLog.mockRejectedValue(new BkJobError('BlueKing JOB answered HTTP 500: <html>oops</html>', { kind: 'http', code: 500 }));
    await showHostLog(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith({
      response_type: 'ephemeral',
      replace_original: false,
      text: ':warning: Could not load job instance 2001893471 in business 3. BlueKing JOB answered HTTP 500: &lt;html&gt;oops&lt;/html&gt;',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            verbatim: true,
            text: ':warning: Could not load job instance 2001893471 in business 3.\nBlueKing JOB answered HTTP 500: &lt;html&gt;oops&lt;/html&gt;\nThis is usually temporary; try again in a minute.',
          },
        },
      ],
    });
    expect(t.warn).toHaveBeenCalledWith(expect.objectContaining({ user: USER_ID, action: 'host_log', ip: '10.0.1.14', bizId: 3, jobInstanceId: 2001893471 }), 'BlueKing call failed');
  });

  it('gives the request id as the incident reference for an unexpected error', async () => {
    const t = setup(buttonAction('joblog_host_log:1', HOST_14_VALUE));
    t.jobs.hostLog.mockRejectedValue(new RangeError('Invalid time value'));
    await showHostLog(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
    expect(t.error).toHaveBeenCalledWith(expect.objectContaining({ incident: REQUEST_ID, user: USER_ID, action: 'host_log' }), 'unexpected failure');
  });
});

describe('shareHostLog', () => {
  it("posts the snippet in the job's thread, with who shared it and no buttons", async () => {
    const t = setup(buttonAction('joblog_share_log', shareValue(CHANNEL_ID, MESSAGE_TS), 'joblog_log_actions'), { ephemeral: true });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await shareHostLog(t.args, t.deps);

    expect(callOrder({ ack: t.ack, hostLog: t.jobs.hostLog, post: t.client.chat.postMessage })).toEqual(['ack', 'hostLog', 'post']);
    expect(t.jobs.hostLog).toHaveBeenCalledWith(ACTOR, HOST_14_REF);
    expect(t.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(t.client.chat.postMessage).toHaveBeenCalledWith({
      channel: CHANNEL_ID,
      thread_ts: MESSAGE_TS,
      text: '10.0.1.14 · Reload nginx: nginx -t 2&gt;&amp;1 failed, abort reload',
      blocks: [...SNIPPET_BODY, { type: 'context', elements: [{ type: 'mrkdwn', text: `Shared by <@${USER_ID}>` }] }],
      unfurl_links: false,
    });
    expect(t.respond).not.toHaveBeenCalled();
  });

  it('posts in the channel itself when the value names no thread', async () => {
    const t = setup(buttonAction('joblog_share_log', shareValue(CHANNEL_ID)), { ephemeral: true });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await shareHostLog(t.args, t.deps);
    const post = t.client.chat.postMessage.mock.calls[0][0] as Record<string, unknown>;
    expect(post.channel).toBe(CHANNEL_ID);
    expect(post).not.toHaveProperty('thread_ts');
  });

  it.each([
    ['another channel', shareValue(OTHER_CHANNEL_ID, MESSAGE_TS), CHANNEL_ID],
    ['no target at all', HOST_14_VALUE, CHANNEL_ID],
    ['a click without a channel', shareValue(CHANNEL_ID, MESSAGE_TS), null],
  ])('refuses a share aimed at %s: out-of-date reply, no BlueKing call, no post', async (_what, value, channelId) => {
    const t = setup(buttonAction('joblog_share_log', value), { channelId, ephemeral: true });
    await shareHostLog(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.jobs.hostLog).not.toHaveBeenCalled();
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_share_log' }, 'ignoring a host log action with an invalid value');
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(STALE));
  });

  it('does not post when the log cannot be had', async () => {
    const t = setup(buttonAction('joblog_share_log', shareValue(CHANNEL_ID, MESSAGE_TS)), { ephemeral: true });
    t.jobs.hostLog.mockRejectedValue(new Error('boom'));
    await shareHostLog(t.args, t.deps);
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
  });

  it('tells the user to invite the bot when Slack says it is not in the channel', async () => {
    const t = setup(buttonAction('joblog_share_log', shareValue(CHANNEL_ID, MESSAGE_TS)), { ephemeral: true });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    t.client.chat.postMessage.mockRejectedValue(platformError('not_in_channel'));
    await shareHostLog(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(CANNOT_POST));
  });

  it('gives the request id for any other Slack refusal', async () => {
    const t = setup(buttonAction('joblog_share_log', shareValue(CHANNEL_ID, MESSAGE_TS)), { ephemeral: true });
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    t.client.chat.postMessage.mockRejectedValue(platformError('msg_too_long'));
    await shareHostLog(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
    expect(t.error).toHaveBeenCalledWith(expect.objectContaining({ incident: REQUEST_ID, action: 'share_or_upload', slackError: 'msg_too_long' }), 'unexpected failure');
  });
});

describe('sendFullHostLog', () => {
  it('uploads the whole log to a DM with the user, then says so', async () => {
    const t = setup(buttonAction('joblog_full_log', shareValue(CHANNEL_ID, MESSAGE_TS)), { ephemeral: true });
    const log = hostLogOf();
    t.jobs.hostLog.mockResolvedValue(log);
    await sendFullHostLog(t.args, t.deps);

    expect(callOrder({ ack: t.ack, hostLog: t.jobs.hostLog, open: t.client.conversations.open, upload: t.client.filesUploadV2, respond: t.respond })).toEqual([
      'ack',
      'hostLog',
      'open',
      'upload',
      'respond',
    ]);
    expect(t.client.conversations.open).toHaveBeenCalledWith({ users: USER_ID });
    expect(t.client.filesUploadV2).toHaveBeenCalledTimes(1);
    expect(t.client.filesUploadV2).toHaveBeenCalledWith({
      channel_id: DM_CHANNEL_ID,
      file: Buffer.from(log.content, 'utf8'),
      filename: 'joblog-2001893471-step2003771002-10.0.1.14.log',
      title: 'joblog-2001893471-step2003771002-10.0.1.14.log',
      initial_comment: 'Full log of `10.0.1.14` in Reload nginx (92 B)',
    });
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(':inbox_tray: Sent the full log to you in a direct message.'));
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it('works from the host value alone (no share target)', async () => {
    const t = setup(buttonAction('joblog_full_log', HOST_14_VALUE));
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    await sendFullHostLog(t.args, t.deps);
    expect(t.client.filesUploadV2).toHaveBeenCalledTimes(1);
  });

  it('drops an invalid value with the out-of-date reply', async () => {
    const t = setup(buttonAction('joblog_full_log', '{"b":3}'));
    await sendFullHostLog(t.args, t.deps);
    expect(t.jobs.hostLog).not.toHaveBeenCalled();
    expect(t.client.filesUploadV2).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_full_log' }, 'ignoring a host log action with an invalid value');
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(STALE));
  });

  it("gives BlueKing's message when the log cannot be fetched, and uploads nothing", async () => {
    const t = setup(buttonAction('joblog_full_log', HOST_14_VALUE));
    t.jobs.hostLog.mockRejectedValue(new BkJobError('BlueKing JOB did not answer within BK_TIMEOUT_MS', { kind: 'timeout' }));
    await sendFullHostLog(t.args, t.deps);
    expect(t.client.conversations.open).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond.mock.calls[0]![0]).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: ':warning: Could not load job instance 2001893471 in business 3. BlueKing JOB did not answer within BK_TIMEOUT_MS',
    });
  });

  it('gives the request id when no DM could be opened', async () => {
    const t = setup(buttonAction('joblog_full_log', HOST_14_VALUE));
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    t.client.conversations.open.mockResolvedValue({ ok: true });
    await sendFullHostLog(t.args, t.deps);
    expect(t.client.filesUploadV2).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
  });

  it('gives the request id when Slack refuses the upload, and does not claim it was sent', async () => {
    const t = setup(buttonAction('joblog_full_log', HOST_14_VALUE));
    t.jobs.hostLog.mockResolvedValue(hostLogOf());
    t.client.filesUploadV2.mockRejectedValue(platformError('not_allowed_token_type'));
    await sendFullHostLog(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
  });
});
