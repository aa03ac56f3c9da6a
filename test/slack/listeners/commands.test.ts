/**
 * Unit tests of the `/joblog` listener: the callback called directly with fake Bolt arguments
 * and fake deps, asserting the exact ack, replies and posts.
 */
import type { App, RespondArguments } from '@slack/bolt';
import { BkJobError } from '../../../src/bkjob/errors';
import { renderJobSummary, renderOptionsFor } from '../../../src/blocks/jobSummary';
import { renderUsage } from '../../../src/blocks/replies';
import { messages } from '../../../src/i18n';
import { register } from '../../../src/slack/listeners/commands';
import { type CommandArgs, joblogCommand, postInChannel } from '../../../src/slack/listeners/commands/joblog';
import { buildJobSummary } from '../../../src/summary/build';
import {
  ACTOR,
  CHANNEL_ID,
  NOW,
  POSTED_TS,
  REQUEST_ID,
  USER_ID,
  callOrder,
  context,
  fakeAck,
  fakeClient,
  fakeDeps,
  fakeRespond,
  platformError,
  slashCommand,
} from '../../helpers/listenerFakes';
import { FAILED_FIXTURE_MESSAGE, FAILED_REF, v2FixtureJob } from '../../helpers/jobs';

const m = messages('en');
const USAGE_LINES = m.usageLines.join('\n');

function setup(text: string) {
  const fakes = fakeDeps();
  const { fake: client, client: webClient } = fakeClient();
  const ack = fakeAck<string | RespondArguments>();
  const respond = fakeRespond();
  const args: CommandArgs = { command: slashCommand(text), ack, respond, client: webClient, context: context() };
  return { ...fakes, client, webClient, ack, respond, args, run: () => joblogCommand(args, fakes.deps) };
}

/** The ephemeral reply whose text is `text` (the `ephemeral()` helper's shape). */
function ephemeralReply(text: string) {
  return { response_type: 'ephemeral', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

const internalErrorText = (incident: string) => `:warning: Something went wrong on the bot's side. Please try again; if it keeps happening, give your admin this reference: \`${incident}\`.`;

describe('joblogCommand: usage in the ack', () => {
  it.each(['', 'help', '  --help ', '?'])('answers %j with the usage help in the ack itself and does nothing else', async (text) => {
    const t = setup(text);
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    const [payload] = t.ack.mock.calls[0]!;
    expect(payload).toEqual({ response_type: 'ephemeral', ...renderUsage('en') });
    expect(payload).toMatchObject({ response_type: 'ephemeral', text: `*joblog* shows BlueKing JOB job instances in Slack.\n${USAGE_LINES}` });
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.jobs.summarize).not.toHaveBeenCalled();
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
  });

  it.each([
    ['3 abc', 'job_instance_id must be a positive whole number, not "abc"'],
    ['3', 'expected exactly two numbers: <bk_biz_id> <job_instance_id>'],
    ['list all', '`list` takes no arguments'],
    ['watch 3 7 --on never', '`--on` must be one of failure, finish, all'],
    ['frobnicate', 'unknown command `frobnicate`'],
    ['0 7', 'bk_biz_id 0 is out of range (1–2147483647)'],
  ])('answers %j with the problem above the usage, in the ack', async (text, problem) => {
    const t = setup(text);
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    const escaped = problem.replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const [payload] = t.ack.mock.calls[0]!;
    expect(payload).toMatchObject({ response_type: 'ephemeral', text: `:warning: I didn't understand that: ${escaped}.\n${USAGE_LINES}` });
    expect((payload as { blocks: unknown[] }).blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `:warning: I didn't understand that: ${escaped}.` } });
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.watches.watch).not.toHaveBeenCalled();
    expect(t.jobs.summarize).not.toHaveBeenCalled();
  });
});

describe('joblogCommand: show', () => {
  it('tells a user without a BlueKing user how to get one, privately, and asks BlueKing nothing', async () => {
    const t = setup('3 2001893471');
    t.resolveActor.mockResolvedValue({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'not_found', email: 'eve@corp.com' } });
    await t.run();
    expect(t.jobs.summarize).not.toHaveBeenCalled();
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(expect.objectContaining({
      response_type: 'ephemeral',
      replace_original: false,
      text: ":no_entry: I don't know your BlueKing user, so I asked BlueKing JOB for nothing. No BlueKing user has your email `eve@corp.com` in bk-user. Ask a BlueKing admin to set it on your BlueKing account, then try again.",
    }));
  });

  it('names the BlueKing user a refusal was for when the user acts as themselves', async () => {
    const t = setup('3 2001893471');
    t.resolveActor.mockResolvedValue({ kind: 'mapped', actor: { kind: 'username', username: 'alice' }, bkUsername: 'alice' });
    t.jobs.summarize.mockRejectedValue(new BkJobError('no permission', { kind: 'api', code: 9900403, bkMessage: 'user alice has no permission', missingPermissions: ['access_business'] }));
    await t.run();
    const reply = JSON.stringify(t.respond.mock.calls[0]);
    expect(reply).toContain('no permission');
    expect(reply).toContain('BlueKing user `alice` lacks: access_business.');
  });

  it('acks empty before fetching, then posts the rendered summary in the channel as the bot', async () => {
    const t = setup('3 2001893471');
    const summary = buildJobSummary(v2FixtureJob('failed'));
    t.jobs.summarize.mockResolvedValue(summary);
    t.watches.isWatching.mockResolvedValue(false);
    await t.run();

    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith();
    expect(callOrder({ ack: t.ack, summarize: t.jobs.summarize, isWatching: t.watches.isWatching, post: t.client.chat.postMessage })).toEqual(['ack', 'summarize', 'isWatching', 'post']);
    expect(t.resolveActor).toHaveBeenCalledWith(USER_ID);
    expect(t.jobs.summarize).toHaveBeenCalledWith(ACTOR, FAILED_REF);
    expect(t.watches.isWatching).toHaveBeenCalledWith(CHANNEL_ID, FAILED_REF);

    const rendered = renderJobSummary(summary, renderOptionsFor({ lang: 'en', offsetMinutes: 480, jobWebUrl: 'https://job.example.com' }, FAILED_REF, NOW, false));
    expect(t.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(t.client.chat.postMessage).toHaveBeenCalledWith({ channel: CHANNEL_ID, text: rendered.text, blocks: rendered.blocks, unfurl_links: false, unfurl_media: false });
    // The same message, spelt out (a finished job shows no Watch button).
    expect(t.client.chat.postMessage.mock.calls[0][0]).toMatchObject(FAILED_FIXTURE_MESSAGE);
    expect(t.respond).not.toHaveBeenCalled();
  });

  it.each([
    [false, 'Watch this job', 'joblog_watch'],
    [true, 'Stop watching', 'joblog_unwatch'],
  ])('shows a running job with the button for watching=%s', async (watching, label, actionId) => {
    const t = setup('3 2001893471');
    const summary = buildJobSummary(v2FixtureJob('running'));
    t.jobs.summarize.mockResolvedValue(summary);
    t.watches.isWatching.mockResolvedValue(watching);
    await t.run();
    const rendered = renderJobSummary(summary, { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/2001893471', now: NOW, watching });
    const posted = t.client.chat.postMessage.mock.calls[0][0] as { blocks: unknown[] };
    expect(posted).toEqual({ channel: CHANNEL_ID, text: rendered.text, blocks: rendered.blocks, unfurl_links: false, unfurl_media: false });
    expect(posted.blocks.at(-1)).toMatchObject({ type: 'actions', block_id: 'joblog_job_actions', elements: [{ action_id: 'joblog_open' }, { action_id: actionId, text: { text: label }, value: '3:2001893471' }] });
  });

  it("gives BlueKing's own message privately when BlueKing refuses", async () => {
    const t = setup('3 2001893471');
    t.jobs.summarize.mockRejectedValue(
      new BkJobError('BlueKing JOB error 9900403: user admin has no permission', { kind: 'api', code: 9900403, bkMessage: 'user admin has no permission', requestId: 'esb-42', missingPermissions: ['access_business'] }),
    );
    await t.run();
    expect(t.ack).toHaveBeenCalledWith();
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(t.watches.isWatching).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith({
      response_type: 'ephemeral',
      replace_original: false,
      text: ':warning: Could not load job instance 2001893471 in business 3. BlueKing JOB error 9900403: user admin has no permission',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            verbatim: true,
            text: ":warning: Could not load job instance 2001893471 in business 3.\nBlueKing JOB error 9900403: user admin has no permission\nThe bot's BlueKing user lacks: access_business. Ask a BlueKing admin to grant it in the permission center (IAM).",
          },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: 'Request id: `esb-42`' }] },
      ],
    });
    expect(t.warn).toHaveBeenCalledWith(expect.objectContaining({ channel: CHANNEL_ID, user: USER_ID, bizId: 3, jobInstanceId: 2001893471 }), 'BlueKing call failed');
    expect(t.ack.mock.invocationCallOrder[0]).toBeLessThan(t.jobs.summarize.mock.invocationCallOrder[0]!);
  });

  it('gives the request id as the incident reference for an unexpected error', async () => {
    const t = setup('3 2001893471');
    t.jobs.summarize.mockRejectedValue(new TypeError("Cannot read properties of undefined (reading 'steps')"));
    await t.run();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
    expect(t.error).toHaveBeenCalledWith(expect.objectContaining({ incident: REQUEST_ID, user: USER_ID, channel: CHANNEL_ID }), 'unexpected failure');
  });

  it('gives the request id when the watch store fails while rendering', async () => {
    const t = setup('3 2001893471');
    t.jobs.summarize.mockResolvedValue(buildJobSummary(v2FixtureJob('failed')));
    t.watches.isWatching.mockRejectedValue(new Error('SQLITE_BUSY: database is locked'));
    await t.run();
    expect(t.client.chat.postMessage).not.toHaveBeenCalled();
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
  });

  it('makes up an 8-character reference when the request has no id', async () => {
    const t = setup('3 2001893471');
    t.args.context.requestId = undefined;
    t.jobs.summarize.mockRejectedValue(new Error('boom'));
    await t.run();
    const reply = t.respond.mock.calls[0]![0] as { text: string };
    expect(reply.text).toMatch(/^:warning: Something went wrong on the bot's side\. .*reference: `[0-9a-f]{8}`\.$/);
  });

  it('falls back to the response_url, in channel, where the bot may not post', async () => {
    const t = setup('3 2001893471');
    const summary = buildJobSummary(v2FixtureJob('failed'));
    t.jobs.summarize.mockResolvedValue(summary);
    t.watches.isWatching.mockResolvedValue(false);
    t.client.chat.postMessage.mockRejectedValue(platformError('not_in_channel'));
    await t.run();
    const rendered = renderJobSummary(summary, renderOptionsFor({ lang: 'en', offsetMinutes: 480, jobWebUrl: 'https://job.example.com' }, FAILED_REF, NOW, false));
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith({ response_type: 'in_channel', replace_original: false, text: rendered.text, blocks: rendered.blocks });
  });

  it('reports any other Slack refusal with the request id', async () => {
    const t = setup('3 2001893471');
    t.jobs.summarize.mockResolvedValue(buildJobSummary(v2FixtureJob('failed')));
    t.watches.isWatching.mockResolvedValue(false);
    t.client.chat.postMessage.mockRejectedValue(platformError('ratelimited'));
    await t.run();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
    expect(t.error).toHaveBeenCalledWith(expect.objectContaining({ incident: REQUEST_ID, channel: CHANNEL_ID, user: USER_ID, command: 'show' }), '/joblog failed');
  });

  it('does not throw when even the error reply fails', async () => {
    const t = setup('3 2001893471');
    t.jobs.summarize.mockResolvedValue(buildJobSummary(v2FixtureJob('failed')));
    t.watches.isWatching.mockResolvedValue(false);
    t.client.chat.postMessage.mockRejectedValue(new Error('socket hang up'));
    t.respond.mockRejectedValue(new Error('response_url expired'));
    await expect(t.run()).resolves.toBeUndefined();
    expect(t.respond).toHaveBeenCalledTimes(1);
  });
});

describe('joblogCommand: watch, unwatch, list', () => {
  it('hands `watch … --on all` to WatchCommands after an empty ack', async () => {
    const t = setup('watch 3 2001893471 --on all');
    t.watches.watch.mockResolvedValue(undefined);
    await t.run();
    expect(t.ack).toHaveBeenCalledWith();
    expect(callOrder({ ack: t.ack, watch: t.watches.watch })).toEqual(['ack', 'watch']);
    expect(t.watches.watch).toHaveBeenCalledWith({ ref: FAILED_REF, notifyOn: 'all', channelId: CHANNEL_ID, userId: USER_ID, respond: t.respond, client: t.webClient, requestId: REQUEST_ID });
    expect(t.jobs.summarize).not.toHaveBeenCalled();
  });

  it('watches on failure by default', async () => {
    const t = setup('WATCH 3 2001893471');
    t.watches.watch.mockResolvedValue(undefined);
    await t.run();
    expect(t.watches.watch).toHaveBeenCalledWith(expect.objectContaining({ ref: FAILED_REF, notifyOn: 'failure' }));
  });

  it('hands `unwatch` to WatchCommands', async () => {
    const t = setup('unwatch 3 2001893471');
    t.watches.unwatch.mockResolvedValue(undefined);
    await t.run();
    expect(callOrder({ ack: t.ack, unwatch: t.watches.unwatch })).toEqual(['ack', 'unwatch']);
    expect(t.watches.unwatch).toHaveBeenCalledWith({ ref: FAILED_REF, channelId: CHANNEL_ID, userId: USER_ID, respond: t.respond, client: t.webClient, requestId: REQUEST_ID });
  });

  it('hands `list` to WatchCommands, with no subscriptions when the channel has none', async () => {
    const t = setup('list');
    t.watches.list.mockResolvedValue(undefined);
    await t.run();
    expect(t.ack).toHaveBeenCalledWith();
    expect(t.watches.list).toHaveBeenCalledWith({ channelId: CHANNEL_ID, userId: USER_ID, respond: t.respond, subscriptions: [] });
  });

  it("hands `list` the channel's active subscriptions (not another channel's, not ended ones)", async () => {
    const t = setup('list');
    t.watches.list.mockResolvedValue(undefined);
    const target = { kind: 'cron' as const, id: 12, name: 'nightly-backup', planId: 7, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', templateId: null };
    const base = { scope: { bizId: 3 }, target, subscriberId: USER_ID, bkUsername: null, notifyOn: 'failure' as const, digestAt: null, createdAt: NOW };
    const here = await t.subscriptionStore.createSubscription({ ...base, channelId: CHANNEL_ID });
    await t.subscriptionStore.createSubscription({ ...base, channelId: 'C0ELSEWHERE' });
    const ended = await t.subscriptionStore.createSubscription({ ...base, channelId: CHANNEL_ID, target: { ...target, id: 13 } });
    if (!here.created || !ended.created) throw new Error('setup: subscriptions not created');
    await t.subscriptionStore.updateSubscription(ended.subscription.id, null, { status: 'ended' });
    await t.run();
    expect(callOrder({ ack: t.ack, list: t.watches.list })).toEqual(['ack', 'list']);
    expect(t.watches.list).toHaveBeenCalledWith({ channelId: CHANNEL_ID, userId: USER_ID, respond: t.respond, subscriptions: [here.subscription] });
  });

  it('answers a failed list with the request id', async () => {
    const t = setup('list');
    t.watches.list.mockRejectedValue(new Error('connection terminated'));
    await t.run();
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(internalErrorText(REQUEST_ID)));
    expect(t.error).toHaveBeenCalledWith(expect.objectContaining({ incident: REQUEST_ID, command: 'list' }), '/joblog failed');
  });
});

describe('postInChannel', () => {
  const message = { text: 'hello', blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'hello' } }] };

  it("returns the posted message's ts", async () => {
    const { fake, client } = fakeClient();
    await expect(postInChannel(CHANNEL_ID, message, client, fakeRespond())).resolves.toBe(POSTED_TS);
    expect(fake.chat.postMessage).toHaveBeenCalledWith({ channel: CHANNEL_ID, text: 'hello', blocks: message.blocks, unfurl_links: false, unfurl_media: false });
  });

  it.each(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'cannot_dm_bot'])('posts through the response_url on %s and returns null', async (code) => {
    const { fake, client } = fakeClient();
    fake.chat.postMessage.mockRejectedValue(platformError(code));
    const respond = fakeRespond();
    await expect(postInChannel(CHANNEL_ID, message, client, respond)).resolves.toBeNull();
    expect(respond).toHaveBeenCalledWith({ response_type: 'in_channel', replace_original: false, text: 'hello', blocks: message.blocks });
  });

  it('rethrows other failures', async () => {
    const { fake, client } = fakeClient();
    const err = platformError('invalid_blocks');
    fake.chat.postMessage.mockRejectedValue(err);
    const respond = fakeRespond();
    await expect(postInChannel(CHANNEL_ID, message, client, respond)).rejects.toBe(err);
    expect(respond).not.toHaveBeenCalled();
  });
});

describe('register (commands)', () => {
  it('routes /joblog to joblogCommand with the deps', async () => {
    const command = jest.fn();
    const { deps } = fakeDeps();
    register({ command } as unknown as App, deps);
    expect(command).toHaveBeenCalledTimes(1);
    expect(command.mock.calls[0][0]).toBe('/joblog');
    const ack = fakeAck<string | RespondArguments>();
    const listener = command.mock.calls[0][1] as (args: CommandArgs) => Promise<void>;
    await listener({ command: slashCommand('help'), ack, respond: fakeRespond(), client: fakeClient().client, context: context() });
    expect(ack).toHaveBeenCalledWith({ response_type: 'ephemeral', ...renderUsage('en') });
  });
});
