/**
 * Unit tests of the app_home_opened listener: the Home tab gets the user's watches; the
 * Messages tab gets nothing.
 */
import type { App } from '@slack/bolt';
import { renderHome } from '../../../src/blocks/home';
import { register } from '../../../src/slack/listeners/events';
import { type AppHomeOpenedArgs, appHomeOpened } from '../../../src/slack/listeners/events/appHomeOpened';
import { NOW, USER_ID, fakeClient, fakeDeps, watchOf } from '../../helpers/listenerFakes';
import { FAILED_REF } from '../../helpers/jobs';

type HomeEvent = AppHomeOpenedArgs['event'];

function homeEvent(tab: HomeEvent['tab']): HomeEvent {
  return { type: 'app_home_opened', user: USER_ID, channel: 'D0ALICEDM', ...(tab === undefined ? {} : { tab }), event_ts: '1718101800.000300' };
}

function setup(tab: HomeEvent['tab']) {
  const fakes = fakeDeps();
  const { fake: client, client: webClient } = fakeClient();
  const args: AppHomeOpenedArgs = { event: homeEvent(tab), client: webClient };
  return { ...fakes, client, args };
}

describe('appHomeOpened', () => {
  it("publishes the user's watches when the Home tab opens", async () => {
    const t = setup('home');
    const watches = [
      watchOf('0b9c3f2e-7a41-4d8e-9f10-2c6b5a4d3e21', FAILED_REF, { snapshot: null }),
      watchOf('5d1e2f3a-0000-4000-8000-000000000001', { bizId: 3, jobInstanceId: 7 }, { status: 'paused', statusReason: '3 polls in a row failed (last: timeout)', channelId: 'C0DEPLOY1' }),
    ];
    t.watchService.listSubscriber.mockResolvedValue(watches);
    await appHomeOpened(t.args, t.deps);

    expect(t.watchService.listSubscriber).toHaveBeenCalledWith(USER_ID);
    expect(t.client.views.publish).toHaveBeenCalledTimes(1);
    expect(t.client.views.publish).toHaveBeenCalledWith({ user_id: USER_ID, view: renderHome(watches, NOW, 'en') });
    const view = (t.client.views.publish.mock.calls[0][0] as { view: { type: string; blocks: Array<{ text?: { text: string } }> } }).view;
    expect(view.type).toBe('home');
    expect(view.blocks.map((b) => b.text?.text)).toEqual([
      'Your joblog watches',
      undefined,
      undefined,
      '*Job 2001893471 (biz 3)* in <#C0OPS0001>\n… · watched for 1h 30m',
      '*nightly-backup (job 7, biz 3)* in <#C0DEPLOY1>\n:hourglass_flowing_sand: running · watched for 1h 30m · paused: 3 polls in a row failed (last: timeout)',
      undefined,
      'Your subscriptions',
      'You have no subscriptions. `/joblog subscribe` in a channel follows every run of a cron or plan there.',
    ]);
  });

  it('publishes the empty Home tab for a user without watches', async () => {
    const t = setup('home');
    t.watchService.listSubscriber.mockResolvedValue([]);
    await appHomeOpened(t.args, t.deps);
    const view = (t.client.views.publish.mock.calls[0][0] as { view: { blocks: unknown[] } }).view;
    expect(view.blocks).toHaveLength(7);
    expect(view.blocks[3]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'You are not watching any job.' } });
    // The subscriptions part follows the watches, empty too.
    expect(view.blocks.slice(4)).toEqual([
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: 'Your subscriptions' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'You have no subscriptions. `/joblog subscribe` in a channel follows every run of a cron or plan there.' } },
    ]);
  });

  it.each<HomeEvent['tab']>(['messages', undefined])('publishes nothing for the %s tab', async (tab) => {
    const t = setup(tab);
    await appHomeOpened(t.args, t.deps);
    expect(t.watchService.listSubscriber).not.toHaveBeenCalled();
    expect(t.client.views.publish).not.toHaveBeenCalled();
  });
});

describe('register (events)', () => {
  it('routes app_home_opened to appHomeOpened with the deps (and registers link_shared)', async () => {
    const event = jest.fn();
    const { deps, watchService } = fakeDeps();
    register({ event } as unknown as App, deps);
    expect(event.mock.calls.map((call) => call[0])).toEqual(['app_home_opened', 'link_shared']);
    expect(event.mock.calls[0][0]).toBe('app_home_opened');
    watchService.listSubscriber.mockResolvedValue([]);
    const { fake, client } = fakeClient();
    const listener = event.mock.calls[0][1] as (args: AppHomeOpenedArgs) => Promise<void>;
    await listener({ event: homeEvent('home'), client });
    expect(watchService.listSubscriber).toHaveBeenCalledWith(USER_ID);
    expect(fake.views.publish).toHaveBeenCalledTimes(1);
  });
});
