/**
 * Unit tests of the watch buttons: Watch / Stop watching on a summary, Open in JOB, and Stop on
 * App Home, called directly with fake Bolt arguments and fake deps.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { BkJobError } from '../../../src/bkjob/errors';
import { renderHome } from '../../../src/blocks/home';
import { renderJobSummary } from '../../../src/blocks/jobSummary';
import { WatchCommands } from '../../../src/slack/watchCommands';
import { buildJobSummary } from '../../../src/summary/build';
import type { WatchService } from '../../../src/watch/service';
import { register } from '../../../src/slack/listeners/actions';
import { type ButtonArgs, openInJobButton, stopWatchFromHome, unwatchButton, watchButton } from '../../../src/slack/listeners/actions/watchButtons';
import { CHANNEL_ID, NOW, REQUEST_ID, USER_ID, blockActionBody, buttonAction, callOrder, context, fakeAck, fakeClient, fakeDeps, fakeRespond, watchOf } from '../../helpers/listenerFakes';
import { FAILED_REF, v2FixtureJob } from '../../helpers/jobs';

const WATCH_ID = '0b9c3f2e-7a41-4d8e-9f10-2c6b5a4d3e21';

function setup(actionId: string, value: string | undefined, channelId: string | null = CHANNEL_ID) {
  const fakes = fakeDeps();
  const { fake: client, client: webClient } = fakeClient();
  const ack = fakeAck<void>();
  const respond = fakeRespond();
  const action = buttonAction(actionId, value);
  const body: BlockAction<ButtonAction> = blockActionBody(action, { channelId });
  const args: ButtonArgs = { ack, body, action, respond, client: webClient, context: context() };
  return { ...fakes, client, webClient, ack, respond, args };
}

describe('openInJobButton', () => {
  it('only acks', async () => {
    const ack = fakeAck<void>();
    await openInJobButton({ ack });
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledWith();
  });
});

describe('watchButton', () => {
  it('acks first, then watches the job on failure from the summary message', async () => {
    const t = setup('joblog_watch', '3:2001893471');
    t.watches.watch.mockResolvedValue(undefined);
    await watchButton(t.args, t.deps);
    expect(callOrder({ ack: t.ack, watch: t.watches.watch })).toEqual(['ack', 'watch']);
    expect(t.ack).toHaveBeenCalledWith();
    expect(t.watches.watch).toHaveBeenCalledTimes(1);
    expect(t.watches.watch).toHaveBeenCalledWith({ ref: FAILED_REF, notifyOn: 'failure', channelId: CHANNEL_ID, userId: USER_ID, respond: t.respond, client: t.webClient, fromSummaryMessage: true, requestId: REQUEST_ID });
    expect(t.warn).not.toHaveBeenCalled();
  });

  it.each([
    ['junk', 'junk'],
    ['a zero id', '0:2001893471'],
    ['a missing value', undefined],
    ['an injected value', '3:2001893471\n'],
    ['a negative id', '-3:2001893471'],
  ])('drops %s with a log line and no reply', async (_what, value) => {
    const t = setup('joblog_watch', value);
    await watchButton(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.watches.watch).not.toHaveBeenCalled();
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledTimes(1);
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_watch', button: 'watch' }, 'ignoring a watch button with an invalid value');
  });

  it('drops a click without a channel', async () => {
    const t = setup('joblog_watch', '3:2001893471', null);
    await watchButton(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.watches.watch).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_watch', button: 'watch' }, 'ignoring a watch button with an invalid value');
  });
});

describe('unwatchButton', () => {
  it('acks first, then stops the watch of this channel', async () => {
    const t = setup('joblog_unwatch', '3:2001893471');
    t.watches.unwatch.mockResolvedValue(undefined);
    await unwatchButton(t.args, t.deps);
    expect(callOrder({ ack: t.ack, unwatch: t.watches.unwatch })).toEqual(['ack', 'unwatch']);
    expect(t.watches.unwatch).toHaveBeenCalledWith({ ref: FAILED_REF, channelId: CHANNEL_ID, userId: USER_ID, respond: t.respond, client: t.webClient, requestId: REQUEST_ID });
  });

  it('drops an invalid value with a log line', async () => {
    const t = setup('joblog_unwatch', '3;2001893471');
    await unwatchButton(t.args, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.watches.unwatch).not.toHaveBeenCalled();
    expect(t.respond).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_unwatch', button: 'unwatch' }, 'ignoring a watch button with an invalid value');
  });
});

describe('watch buttons through the real WatchCommands', () => {
  function realSetup(actionId: string) {
    const t = setup(actionId, '3:2001893471');
    const service = { subscribe: jest.fn(), unsubscribe: jest.fn() };
    const deps = { ...t.deps, watches: new WatchCommands(service as unknown as WatchService, t.deps) };
    return { ...t, service, deps };
  }

  it('re-renders the summary message with the Stop watching button once the watch exists', async () => {
    const t = realSetup('joblog_watch');
    const summary = buildJobSummary(v2FixtureJob('running'));
    t.service.subscribe.mockResolvedValue({ kind: 'created', watch: watchOf('0b9c3f2e-7a41-4d8e-9f10-2c6b5a4d3e21', FAILED_REF), summary });
    await watchButton(t.args, t.deps);
    expect(t.service.subscribe).toHaveBeenCalledWith({ channelId: CHANNEL_ID, ref: FAILED_REF, subscriberId: USER_ID, notifyOn: 'failure', actor: { kind: 'username', username: 'admin' }, bkUsername: null });
    const rendered = renderJobSummary(summary, { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/2001893471', now: NOW, watching: true });
    expect(t.respond).toHaveBeenCalledTimes(1);
    expect(t.respond).toHaveBeenCalledWith({ replace_original: true, ...rendered });
  });

  it("gives BlueKing's message privately when the job cannot be validated", async () => {
    const t = realSetup('joblog_watch');
    t.service.subscribe.mockRejectedValue(new BkJobError('BlueKing JOB error 1244006: job instance not found', { kind: 'api', code: 1244006 }));
    await watchButton(t.args, t.deps);
    expect(t.respond).toHaveBeenCalledWith(
      expect.objectContaining({
        response_type: 'ephemeral',
        replace_original: false,
        text: ':warning: Could not load job instance 2001893471 in business 3. BlueKing JOB error 1244006: job instance not found',
      }),
    );
  });

  it.each(['joblog_watch', 'joblog_unwatch'])('gives the request id as the incident reference when %s fails unexpectedly', async (actionId) => {
    const t = realSetup(actionId);
    t.service.subscribe.mockRejectedValue(new Error('SQLITE_BUSY'));
    t.service.unsubscribe.mockRejectedValue(new Error('SQLITE_BUSY'));
    await (actionId === 'joblog_watch' ? watchButton : unwatchButton)(t.args, t.deps);
    const text = `:warning: Something went wrong on the bot's side. Please try again; if it keeps happening, give your admin this reference: \`${REQUEST_ID}\`.`;
    expect(t.respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  });

  it('says so when the channel was not watching the job', async () => {
    const t = realSetup('joblog_unwatch');
    t.service.unsubscribe.mockResolvedValue({ kind: 'not_watching' });
    await unwatchButton(t.args, t.deps);
    expect(t.service.unsubscribe).toHaveBeenCalledWith(CHANNEL_ID, FAILED_REF, USER_ID);
    const text = 'This channel is not watching job instance 2001893471 in business 3.';
    expect(t.respond).toHaveBeenCalledWith({ response_type: 'ephemeral', replace_original: false, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  });
});

describe('stopWatchFromHome', () => {
  function homeSetup(value: string | undefined) {
    const t = setup('joblog_home_unwatch', value, null);
    const { respond: _respond, context: _context, ...args } = t.args;
    return { ...t, homeArgs: args };
  }

  it("stops the user's own watch and re-publishes their App Home", async () => {
    const t = homeSetup(WATCH_ID);
    const stopped = watchOf(WATCH_ID, FAILED_REF, { status: 'ended' });
    const remaining = [watchOf('5d1e2f3a-0000-4000-8000-000000000001', { bizId: 3, jobInstanceId: 7 })];
    t.watchService.unsubscribeById.mockResolvedValue({ kind: 'stopped', watch: stopped });
    t.watchService.listSubscriber.mockResolvedValue(remaining);
    await stopWatchFromHome(t.homeArgs, t.deps);

    expect(callOrder({ ack: t.ack, unsubscribe: t.watchService.unsubscribeById, list: t.watchService.listSubscriber, publish: t.client.views.publish })).toEqual([
      'ack',
      'unsubscribe',
      'list',
      'publish',
    ]);
    expect(t.watchService.unsubscribeById).toHaveBeenCalledWith(WATCH_ID, USER_ID);
    expect(t.info).toHaveBeenCalledWith({ watchId: WATCH_ID, user: USER_ID }, 'watch stopped from App Home');
    expect(t.watchService.listSubscriber).toHaveBeenCalledWith(USER_ID);
    expect(t.client.views.publish).toHaveBeenCalledTimes(1);
    expect(t.client.views.publish).toHaveBeenCalledWith({ user_id: USER_ID, view: renderHome(remaining, NOW, 'en') });
    const view = (t.client.views.publish.mock.calls[0][0] as { view: { blocks: unknown[] } }).view;
    expect(view.blocks[3]).toEqual({
      type: 'section',
      block_id: 'joblog_home_watch:5d1e2f3a-0000-4000-8000-000000000001',
      text: { type: 'mrkdwn', text: '*nightly-backup (job 7, biz 3)* in <#C0OPS0001>\n:hourglass_flowing_sand: running · watched for 1h 30m' },
      accessory: { type: 'button', action_id: 'joblog_home_unwatch', text: { type: 'plain_text', text: 'Stop watching' }, value: '5d1e2f3a-0000-4000-8000-000000000001', style: 'danger' },
    });
  });

  it('re-publishes without logging a stop when the watch was not the user’s (or already ended)', async () => {
    const t = homeSetup(WATCH_ID);
    t.watchService.unsubscribeById.mockResolvedValue({ kind: 'not_watching' });
    t.watchService.listSubscriber.mockResolvedValue([]);
    await stopWatchFromHome(t.homeArgs, t.deps);
    expect(t.info).not.toHaveBeenCalled();
    expect(t.client.views.publish).toHaveBeenCalledWith({
      user_id: USER_ID,
      view: {
        type: 'home',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Your joblog watches' } },
          {
            type: 'context',
            elements: [{ type: 'mrkdwn', text: 'Jobs you are watching, in every channel. Start one with `/joblog watch <bk_biz_id> <job_instance_id>` in the channel that should hear about it.' }],
          },
          { type: 'divider' },
          { type: 'section', text: { type: 'mrkdwn', text: 'You are not watching any job.' } },
          { type: 'divider' },
          { type: 'header', text: { type: 'plain_text', text: 'Your subscriptions' } },
          { type: 'section', text: { type: 'mrkdwn', text: 'You have no subscriptions. `/joblog subscribe` in a channel follows every run of a cron or plan there.' } },
        ],
      },
    });
  });

  it.each([
    ['not a uuid', 'not-a-uuid'],
    ['upper case', WATCH_ID.toUpperCase()],
    ['a trailing newline', `${WATCH_ID}\n`],
    ['a job ref', '3:2001893471'],
    ['no value', undefined],
    ['an empty value', ''],
  ])('ignores a malformed id (%s) with a log line: no stop, no publish', async (_what, value) => {
    const t = homeSetup(value);
    await stopWatchFromHome(t.homeArgs, t.deps);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.watchService.unsubscribeById).not.toHaveBeenCalled();
    expect(t.client.views.publish).not.toHaveBeenCalled();
    expect(t.warn).toHaveBeenCalledWith({ actionId: 'joblog_home_unwatch' }, 'ignoring a Stop button with an invalid watch id');
  });
});

describe('register (actions)', () => {
  it('routes every action id to its callback', async () => {
    const action = jest.fn();
    const { deps, watches } = fakeDeps();
    register({ action } as unknown as App, deps);
    const ids = action.mock.calls.map((call) => String(call[0]));
    expect(ids).toEqual([
      'joblog_open',
      'joblog_watch',
      'joblog_unwatch',
      'joblog_home_unwatch',
      String(/^joblog_host_log(?::\d+)?$/),
      'joblog_host_log_select',
      'joblog_share_log',
      'joblog_full_log',
      'joblog_sub_mute',
      'joblog_sub_stop',
      String(/^joblog_op:[a-z_]+$/),
      'joblog_job_menu',
    ]);
    const hostPattern = action.mock.calls[4][0] as RegExp;
    expect(['joblog_host_log', 'joblog_host_log:0', 'joblog_host_log:24'].every((id) => hostPattern.test(id))).toBe(true);
    expect(['joblog_host_log_select', 'joblog_host_log:x', 'xjoblog_host_log'].some((id) => hostPattern.test(id))).toBe(false);

    // The Watch route passes the deps through.
    watches.watch.mockResolvedValue(undefined);
    const t = setup('joblog_watch', '3:2001893471');
    const watchListener = action.mock.calls[1][1] as (args: ButtonArgs) => Promise<void>;
    await watchListener(t.args);
    expect(watches.watch).toHaveBeenCalledWith(expect.objectContaining({ ref: FAILED_REF, channelId: CHANNEL_ID, fromSummaryMessage: true }));
  });
});
