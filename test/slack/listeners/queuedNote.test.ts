/**
 * The people's BlueKing budget as the listeners see it (`ListenerDeps.bkQueue`, issue 17): a
 * request that asks BlueKing while others already wait is told, privately, how many wait, right
 * before it asks (after every check that could refuse it), then goes on; a full line (or the
 * person's full share of it) says nothing here (the `busy` error answers); unfurls and the
 * subscribe menu do not join the line at all.
 */
import type { ButtonAction, RespondArguments } from '@slack/bolt';
import { BkJobError } from '../../../src/bkjob/errors';
import { BUSY_MESSAGE } from '../../../src/bkjob/transport';
import { encodeOperation } from '../../../src/blocks/operations';
import type { BkQueueView, ListenerDeps } from '../../../src/slack/context';
import { operationButton } from '../../../src/slack/listeners/actions/operationButtons';
import { showHostLog } from '../../../src/slack/listeners/actions/hostLogs';
import { watchButton } from '../../../src/slack/listeners/actions/watchButtons';
import { type CommandArgs, joblogCommand } from '../../../src/slack/listeners/commands/joblog';
import { type LinkSharedArgs, linkShared } from '../../../src/slack/listeners/events/linkShared';
import { type TargetOptionsArgs, subscribeTargetOptions } from '../../../src/slack/listeners/options/subscribeTargetOptions';
import { ALLOW_ALL, parseChannelPolicy } from '../../../src/policy';
import { OperationCommands } from '../../../src/slack/operationCommands';
import { WatchCommands } from '../../../src/slack/watchCommands';
import type { WatchService } from '../../../src/watch/service';
import { buildJobSummary } from '../../../src/summary/build';
import { FAILED_REF, v2FixtureJob } from '../../helpers/jobs';
import { CHANNEL_ID, HOST_14_VALUE, USER_ID, blockActionBody, buttonAction, callOrder, context, fakeAck, fakeClient, fakeDeps, fakeRespond, hostLogOf, slashCommand } from '../../helpers/listenerFakes';

const queued = (waiting: number) => `BlueKing JOB is slow right now: your request waits its turn (${waiting} waiting).`;

function ephemeralReply(text: string) {
  return { response_type: 'ephemeral', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A budget in a given state: `waiting` in line, every slot taken when anyone waits (or `saturated`), the line full or not, and these owners' shares full. */
function queueView(waiting: number, state: { saturated?: boolean; full?: boolean; fullOwners?: readonly string[] } = {}): BkQueueView {
  return { waiting: () => waiting, saturated: () => state.saturated ?? waiting > 0, full: (owner) => (state.full ?? false) || (owner !== undefined && (state.fullOwners ?? []).includes(owner)) };
}

function commandSetup(text: string, bkQueue: BkQueueView | undefined, lang: ListenerDeps['lang'] = 'en') {
  const fakes = fakeDeps();
  const { fake: client, client: webClient } = fakeClient();
  const ack = fakeAck<string | RespondArguments>();
  const respond = fakeRespond();
  const deps = { ...fakes.deps, lang, ...(bkQueue ? { bkQueue } : {}) };
  fakes.jobs.summarize.mockResolvedValue(buildJobSummary(v2FixtureJob('failed')));
  fakes.watches.isWatching.mockResolvedValue(false);
  const args: CommandArgs = { command: slashCommand(text), ack, respond, client: webClient, context: context() };
  return { ...fakes, client, ack, respond, args, deps, run: () => joblogCommand(args, deps) };
}

describe('/joblog while people wait for BlueKing', () => {
  it('tells the person privately how many wait, right before BlueKing is asked, then answers as usual', async () => {
    const t = commandSetup('3 2001893471', queueView(3));
    await t.run();
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply(queued(3)));
    expect(callOrder({ ack: t.ack, resolve: t.resolveActor, note: t.respond, summarize: t.jobs.summarize, post: t.client.chat.postMessage })).toEqual(['ack', 'resolve', 'note', 'summarize', 'post']);
    expect(t.client.chat.postMessage).toHaveBeenCalledTimes(1);
  });

  it('says it in Chinese with BOT_LANG=zh-CN', async () => {
    const t = commandSetup('3 2001893471', queueView(12), 'zh-CN');
    await t.run();
    expect(t.respond).toHaveBeenCalledWith(ephemeralReply('蓝鲸作业平台当前响应较慢：你的请求正在排队（共有 12 个请求在等待）。'));
  });

  it("says nothing when the person's own share of the line is full: their busy answer comes at once", async () => {
    const t = commandSetup('3 2001893471', queueView(7, { fullOwners: ['u:admin'] }));
    await t.run();
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.jobs.summarize).toHaveBeenCalledTimes(1);
  });

  it('says nothing when nobody waits, even with every slot taken', async () => {
    const t = commandSetup('3 2001893471', queueView(0, { saturated: true }));
    await t.run();
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.client.chat.postMessage).toHaveBeenCalledTimes(1);
  });

  it('says nothing without a budget (no bkQueue)', async () => {
    const t = commandSetup('3 2001893471', undefined);
    await t.run();
    expect(t.respond).not.toHaveBeenCalled();
  });

  it('with the line full, no "queued" note: the busy error answers, with the advice to try again', async () => {
    const t = commandSetup('3 2001893471', queueView(40, { full: true }));
    t.jobs.summarize.mockRejectedValue(new BkJobError(BUSY_MESSAGE, { kind: 'busy' }));
    await t.run();
    expect(t.respond).toHaveBeenCalledTimes(1);
    const [reply] = t.respond.mock.calls[0]!;
    expect(reply).toMatchObject({ response_type: 'ephemeral', text: ":warning: Could not load job instance 2001893471 in business 3. BlueKing JOB is busy answering other people's requests." });
    expect(JSON.stringify(reply)).toContain('This is usually temporary; try again in a minute.');
  });

  it('tells a `watch` too (WatchCommands), after its checks and before the watch reads the job', async () => {
    const t = commandSetup('watch 3 2001893471', queueView(2));
    const service = { subscribe: jest.fn().mockResolvedValue({ kind: 'duplicate', watch: { subscriberId: USER_ID } }), unsubscribe: jest.fn() };
    await joblogCommand(t.args, { ...t.deps, watches: new WatchCommands(service as unknown as WatchService, t.deps) });
    expect(callOrder({ resolve: t.resolveActor, note: t.respond, watch: service.subscribe })).toEqual(['resolve', 'note', 'watch']);
    expect(t.respond.mock.calls[0]).toEqual([ephemeralReply(queued(2))]);
  });

  it('says nothing when the channel policy refuses the request: its refusal is the only answer', async () => {
    const t = commandSetup('3 2001893471', queueView(3));
    await joblogCommand(t.args, { ...t.deps, policy: parseChannelPolicy(`channels:\n  ${CHANNEL_ID}:\n    businesses: [4]\n`) });
    expect(t.respond.mock.calls).toEqual([[ephemeralReply('This channel does not allow business 3. Ask in a channel that does, or in a direct message with me.')]]);
    expect(t.jobs.summarize).not.toHaveBeenCalled();
  });

  it.each([
    ['the channel is denied', 'default: deny\n', "I'm not used in this channel. Ask in a channel where I am, or in a direct message with me."],
    ['summaries are private there', `channels:\n  ${CHANNEL_ID}:\n    post_in_channel: false\n`, "This channel keeps job summaries private (the bot's channel policy), and watches and subscriptions post them in the channel. Watch or subscribe in a channel that allows it, or in a direct message with me."],
  ])('says nothing for a `watch` the channel policy refuses (%s): its refusal is the only answer', async (_why, policy, refusal) => {
    const t = commandSetup('watch 3 2001893471', queueView(2));
    const service = { subscribe: jest.fn(), unsubscribe: jest.fn() };
    const deps = { ...t.deps, policy: parseChannelPolicy(policy) };
    await joblogCommand(t.args, { ...deps, watches: new WatchCommands(service as unknown as WatchService, deps) });
    expect(t.respond.mock.calls).toEqual([[ephemeralReply(refusal)]]);
    expect(service.subscribe).not.toHaveBeenCalled();
  });

  it.each(['list', 'unwatch 3 2001893471'])('says nothing for `%s`, which does not ask BlueKing', async (text) => {
    const t = commandSetup(text, queueView(5));
    t.watches.list.mockResolvedValue(undefined);
    t.watches.unwatch.mockResolvedValue(undefined);
    await t.run();
    expect(t.respond).not.toHaveBeenCalled();
  });

  it('goes on with the request when the note cannot be sent', async () => {
    const t = commandSetup('3 2001893471', queueView(1));
    t.respond.mockRejectedValueOnce(new Error('response_url expired'));
    await t.run();
    expect(t.jobs.summarize).toHaveBeenCalledTimes(1);
    expect(t.client.chat.postMessage).toHaveBeenCalledTimes(1);
    expect(t.warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), 'could not send the queued note');
  });
});

describe('buttons that ask BlueKing while people wait', () => {
  it('a host log click hears "queued" after its checks and before the log is fetched', async () => {
    const fakes = fakeDeps();
    const { client } = fakeClient();
    const respond = fakeRespond();
    fakes.jobs.hostLog.mockResolvedValue(hostLogOf());
    const action = buttonAction('joblog_host_log:1', HOST_14_VALUE, 'joblog_hosts');
    await showHostLog({ ack: fakeAck<void>(), body: blockActionBody(action), action, respond, client, context: context() }, { ...fakes.deps, bkQueue: queueView(4) });
    expect(respond.mock.calls[0]![0]).toEqual(ephemeralReply(queued(4)));
    expect(callOrder({ resolve: fakes.resolveActor, note: respond, hostLog: fakes.jobs.hostLog })).toEqual(['resolve', 'note', 'hostLog']);
    expect(respond).toHaveBeenCalledTimes(2);
  });

  /** "Retry failed hosts" pressed through the real OperationCommands, with a budget where 6 wait, under `policy`. */
  async function pressRetry(policy = ALLOW_ALL) {
    const fakes = fakeDeps();
    const { client } = fakeClient();
    const respond = fakeRespond();
    const value = encodeOperation({ ref: FAILED_REF, kind: 'retry_failed', code: 2, stepInstanceId: 2003771002, executeCount: 0, position: 2, failedHostCount: 3 });
    const action = buttonAction('joblog_op:retry_failed', value);
    const operator = { operateStep: jest.fn().mockResolvedValue(undefined), operateJob: jest.fn() };
    const operationGuard = { claimOperation: jest.fn().mockResolvedValue({ claimed: true }), releaseOperation: jest.fn(), pruneOperationClaims: jest.fn() };
    const deps = { ...fakes.deps, bkQueue: queueView(6), policy };
    const operations = new OperationCommands({ ...deps, operator, operationGuard, watchService: { nudgeFollowingRun: jest.fn() } });
    await operationButton({ ack: fakeAck<void>(), body: blockActionBody(action), action, respond, client, context: context() }, { ...deps, operations });
    return { respond, operator, resolveActor: fakes.resolveActor };
  }

  it('an operation button (OperationCommands) hears "queued" after its checks, before the operation is performed', async () => {
    const t = await pressRetry();
    expect(t.respond.mock.calls[0]).toEqual([ephemeralReply(queued(6))]);
    expect(callOrder({ resolve: t.resolveActor, note: t.respond, operate: t.operator.operateStep })).toEqual(['resolve', 'note', 'operate']);
  });

  it('an operation button the channel policy refuses hears only the refusal', async () => {
    const t = await pressRetry(parseChannelPolicy('actions: [U0SOMEONE1]\n'));
    expect(t.respond.mock.calls).toEqual([[ephemeralReply('You are not among the people allowed to act on jobs from this channel. Ask one of them, or use the JOB console.')]]);
    expect(t.operator.operateStep).not.toHaveBeenCalled();
  });

  it('"Watch this job" hears "queued" (WatchCommands) before the watch reads the job', async () => {
    const fakes = fakeDeps();
    const { client } = fakeClient();
    const respond = fakeRespond();
    const service = { subscribe: jest.fn().mockResolvedValue({ kind: 'duplicate', watch: { subscriberId: USER_ID } }), unsubscribe: jest.fn() };
    const deps = { ...fakes.deps, bkQueue: queueView(1) };
    const action: ButtonAction = buttonAction('joblog_watch', '3:2001893471');
    await watchButton({ ack: fakeAck<void>(), body: blockActionBody(action), action, respond, client, context: context() }, { ...deps, watches: new WatchCommands(service as unknown as WatchService, deps) });
    expect(respond.mock.calls[0]).toEqual([ephemeralReply(queued(1))]);
    expect(callOrder({ note: respond, watch: service.subscribe })).toEqual(['note', 'watch']);
  });
});

describe('what does not wait in line', () => {
  const BIZ_LINK = 'https://job.example.com/biz/3/execute/task/2001893471';
  const linkArgs = (client: LinkSharedArgs['client']): LinkSharedArgs => ({
    event: { type: 'link_shared', channel: CHANNEL_ID, is_bot_user_member: true, user: USER_ID, message_ts: '1718101800.000400', links: [{ domain: 'job.example.com', url: BIZ_LINK }], event_ts: '1718101800.000500' },
    client,
  });

  it('a pasted JOB link stays a plain link while every slot is taken', async () => {
    const fakes = fakeDeps();
    const { fake, client } = fakeClient();
    await linkShared(linkArgs(client), { ...fakes.deps, bkQueue: queueView(0, { saturated: true }) });
    expect(fakes.jobs.summarize).not.toHaveBeenCalled();
    expect(fake.chat.unfurl).not.toHaveBeenCalled();
    expect(fakes.info).toHaveBeenCalledWith({ channel: CHANNEL_ID, waiting: 0 }, "JOB links not unfurled: BlueKing is busy with people's requests");
  });

  it('is unfurled as usual with a slot free', async () => {
    const fakes = fakeDeps();
    const { fake, client } = fakeClient();
    fakes.jobs.summarize.mockResolvedValue(buildJobSummary(v2FixtureJob('failed')));
    await linkShared(linkArgs(client), { ...fakes.deps, bkQueue: queueView(0) });
    expect(fakes.jobs.summarize).toHaveBeenCalledTimes(1);
    expect(fake.chat.unfurl).toHaveBeenCalledTimes(1);
  });

  it('the subscribe menu answers no options at once while every slot is taken, asking BlueKing nothing', async () => {
    const fakes = fakeDeps();
    const ack = fakeAck<unknown>();
    const body = { type: 'block_suggestion', block_id: 'joblog_sub_target:3', action_id: 'joblog_sub_target', value: 'back', user: { id: USER_ID }, view: { id: 'V0MODAL01', private_metadata: JSON.stringify({ c: CHANNEL_ID }) } };
    await subscribeTargetOptions({ ack, body } as unknown as TargetOptionsArgs, { ...fakes.deps, bkQueue: queueView(3) });
    expect(ack).toHaveBeenCalledWith({ options: [] });
    expect(fakes.catalog.listCrons).not.toHaveBeenCalled();
    expect(fakes.catalog.listJobPlans).not.toHaveBeenCalled();
    expect(fakes.resolveActor).not.toHaveBeenCalled();
  });
});
