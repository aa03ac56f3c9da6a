/**
 * Unit tests of the type-to-search host menu's options listener: called directly with a fake
 * ack and fake deps, including a summary that never comes (fake timers).
 */
import type { App, BlockSuggestion } from '@slack/bolt';
import { BkJobError } from '../../../src/bkjob/errors';
import { searchHostOptions } from '../../../src/blocks/hostLog';
import { register } from '../../../src/slack/listeners/options';
import { type HostLogOptionsArgs, hostLogOptions } from '../../../src/slack/listeners/options/hostLogOptions';
import { buildJobSummary } from '../../../src/summary/build';
import type { JobSummary } from '../../../src/summary/types';
import { ACTOR, USER_ID, fakeAck, fakeDeps } from '../../helpers/listenerFakes';
import { FAILED_FIXTURE_HOST_BUTTONS, FAILED_REF, v2FixtureJob } from '../../helpers/jobs';

type OptionsAck = HostLogOptionsArgs['ack'];
type OptionsAnswer = Parameters<OptionsAck>[0];

function suggestion(blockId: string, value: string): BlockSuggestion {
  return {
    type: 'block_suggestion',
    block_id: blockId,
    action_id: 'joblog_host_log_select',
    value,
    api_app_id: 'A0JOBLOG1',
    team: { id: 'T0TEST001', domain: 'test' },
    channel: { id: 'C0OPS0001', name: 'ops' },
    user: { id: USER_ID, name: 'alice', team_id: 'T0TEST001' },
    token: 'verification-token',
    container: { type: 'message', message_ts: '1718101700.000100', channel_id: 'C0OPS0001', is_ephemeral: false },
  };
}

function setup(blockId: string, value: string) {
  const fakes = fakeDeps();
  const ack = fakeAck<OptionsAnswer>();
  const args: HostLogOptionsArgs = { ack, body: suggestion(blockId, value) };
  return { ...fakes, ack, run: () => hostLogOptions(args, fakes.deps) };
}

const BLOCK_ID = 'joblog_hosts:3:2001893471';
const [BUTTON_17, BUTTON_14, BUTTON_21] = FAILED_FIXTURE_HOST_BUTTONS.elements;
const option = (button: typeof BUTTON_17) => ({ text: button!.text, value: button!.value });

let failed: JobSummary;
beforeAll(() => {
  failed = buildJobSummary(v2FixtureJob('failed'));
});

describe('hostLogOptions', () => {
  it.each(['joblog_host_buttons:3:2001893471', 'junk', 'joblog_hosts:', 'joblog_hosts:0:2001893471', 'joblog_hosts:3:abc', ''])(
    'answers an empty list for the block id %j without asking BlueKing',
    async (blockId) => {
      const t = setup(blockId, '10.0');
      await t.run();
      expect(t.ack).toHaveBeenCalledTimes(1);
      expect(t.ack).toHaveBeenCalledWith({ options: [] });
      expect(t.jobs.recentSummary).not.toHaveBeenCalled();
    },
  );

  it('answers an empty list to a user without a BlueKing user, asking BlueKing nothing', async () => {
    const t = setup(BLOCK_ID, '10.0.1.1');
    t.resolveActor.mockResolvedValue({ kind: 'unmapped', reason: { mode: 'file', why: 'not_found' } });
    await t.run();
    expect(t.ack).toHaveBeenCalledWith({ options: [] });
    expect(t.jobs.recentSummary).not.toHaveBeenCalled();
  });

  it('answers the failing hosts matching what the user typed, from a recent summary as that user', async () => {
    const t = setup(BLOCK_ID, '10.0.1.1');
    t.jobs.recentSummary.mockResolvedValue(failed);
    await t.run();
    expect(t.resolveActor).toHaveBeenCalledWith(USER_ID);
    expect(t.jobs.recentSummary).toHaveBeenCalledWith(ACTOR, FAILED_REF, 120_000);
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith({ options: [option(BUTTON_17), option(BUTTON_14)] });
    expect(t.ack).toHaveBeenCalledWith({ options: searchHostOptions(failed, '10.0.1.1', 'en') });
  });

  it('answers every failing host for an empty query, and matches the cloud area prefix', async () => {
    const all = setup(BLOCK_ID, '');
    all.jobs.recentSummary.mockResolvedValue(failed);
    await all.run();
    expect(all.ack).toHaveBeenCalledWith({ options: [option(BUTTON_17), option(BUTTON_14), option(BUTTON_21)] });

    const cloud = setup(BLOCK_ID, ' 2:172 ');
    cloud.jobs.recentSummary.mockResolvedValue(failed);
    await cloud.run();
    expect(cloud.ack).toHaveBeenCalledWith({ options: [option(BUTTON_21)] });
  });

  it('answers an empty list when nothing matches', async () => {
    const t = setup(BLOCK_ID, '192.168.');
    t.jobs.recentSummary.mockResolvedValue(failed);
    await t.run();
    expect(t.ack).toHaveBeenCalledWith({ options: [] });
  });

  it('answers an empty list, with a log line, when BlueKing fails', async () => {
    const t = setup(BLOCK_ID, '10.0');
    const err = new BkJobError('BlueKing JOB could not be reached', { kind: 'network' });
    t.jobs.recentSummary.mockRejectedValue(err);
    await t.run();
    expect(t.ack).toHaveBeenCalledTimes(1);
    expect(t.ack).toHaveBeenCalledWith({ options: [] });
    expect(t.warn).toHaveBeenCalledWith({ err, bizId: 3, jobInstanceId: 2001893471 }, 'could not load hosts for a menu');
  });

  describe('within the 2.5 s budget', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('answers an empty list at 2.5 s when the summary never comes', async () => {
      const t = setup(BLOCK_ID, '10.0');
      t.jobs.recentSummary.mockReturnValue(new Promise<JobSummary>(() => undefined));
      const done = t.run();
      await jest.advanceTimersByTimeAsync(2499);
      expect(t.ack).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(1);
      await done;
      expect(t.ack).toHaveBeenCalledTimes(1);
      expect(t.ack).toHaveBeenCalledWith({ options: [] });
    });

    it('answers the options when the summary comes just inside the budget', async () => {
      const t = setup(BLOCK_ID, '172.16');
      t.jobs.recentSummary.mockReturnValue(new Promise<JobSummary>((resolve) => setTimeout(() => resolve(failed), 2400)));
      const done = t.run();
      await jest.advanceTimersByTimeAsync(2400);
      await done;
      expect(t.ack).toHaveBeenCalledTimes(1);
      expect(t.ack).toHaveBeenCalledWith({ options: [option(BUTTON_21)] });
    });

    it('answers only once when the summary comes after the budget', async () => {
      const t = setup(BLOCK_ID, '10.0');
      t.jobs.recentSummary.mockReturnValue(new Promise<JobSummary>((resolve) => setTimeout(() => resolve(failed), 4000)));
      const done = t.run();
      await jest.advanceTimersByTimeAsync(5000);
      await done;
      expect(t.ack).toHaveBeenCalledTimes(1);
      expect(t.ack).toHaveBeenCalledWith({ options: [] });
    });
  });
});

describe('register (options)', () => {
  it('routes block_suggestion of the host menu to hostLogOptions (and registers the subscribe menu)', async () => {
    const options = jest.fn();
    const { deps } = fakeDeps();
    register({ options } as unknown as App, deps);
    expect(options).toHaveBeenCalledTimes(2);
    expect(options.mock.calls[0][0]).toEqual({ action_id: 'joblog_host_log_select', type: 'block_suggestion' });
    expect(options.mock.calls[1][0]).toEqual({ action_id: 'joblog_sub_target', type: 'block_suggestion' });
    const ack = fakeAck<OptionsAnswer>();
    const listener = options.mock.calls[0][1] as (args: HostLogOptionsArgs) => Promise<void>;
    await listener({ ack, body: suggestion('junk', '') });
    expect(ack).toHaveBeenCalledWith({ options: [] });
  });
});
