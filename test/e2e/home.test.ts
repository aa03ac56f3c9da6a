/** End to end: the App Home lists the user's watches and stops one from its button. */
import { type Harness, TEST_SIGNING_SECRET, startHarness } from '../../dev/harness';
import { runningJob } from '../../dev/scenarios';
import { eventCallbackBody, postSigned } from '../../dev/slackRequests';

const ALICE = 'U0ALICE01';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ overrides: { now: () => Date.UTC(2024, 5, 11, 3, 5) } });
});

afterAll(async () => {
  await h.stop();
});

/** The end of every Home tab here: Alice has no subscriptions. */
const NO_SUBSCRIPTIONS = [
  { type: 'divider' },
  { type: 'header', text: { type: 'plain_text', text: 'Your subscriptions' } },
  { type: 'section', text: { type: 'mrkdwn', text: 'You have no subscriptions. `/joblog subscribe` in a channel follows every run of a cron or plan there.' } },
];

/** The watches part of a Home view: its blocks before the subscriptions part (which must be the empty one). */
function watchesPart(view: unknown): unknown[] {
  const blocks = (view as { blocks: unknown[] }).blocks;
  expect(blocks.slice(-NO_SUBSCRIPTIONS.length)).toEqual(NO_SUBSCRIPTIONS);
  return blocks.slice(0, -NO_SUBSCRIPTIONS.length);
}

async function openHome(): Promise<void> {
  const body = eventCallbackBody({ teamId: 'T0TEST001', event: { type: 'app_home_opened', user: ALICE, channel: 'D0ALICE01', tab: 'home' } });
  const answer = await postSigned(h.appUrl, body, TEST_SIGNING_SECRET, { contentType: 'application/json' });
  expect(answer.status).toBe(200);
}

it('publishes the watches of the user who opens the Home tab, and stops one from there', async () => {
  const job = runningJob();
  h.esb.setJob(job);
  await openHome();
  const [empty] = await h.slack.waitFor('views.publish');
  expect(empty!.args.user_id).toBe(ALICE);
  expect(watchesPart(empty!.args.view).at(-1)).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'You are not watching any job.' } });

  await h.slash(`watch ${job.bizId} ${job.jobInstanceId}`, { channelId: 'C0OPS0001' });
  await h.slack.waitFor('chat.postMessage');
  for (let i = 0; i < 500 && (await h.bot.store.listOpenBySubscriber(ALICE)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const [watch] = await h.bot.store.listOpenBySubscriber(ALICE);

  await openHome();
  const published = await h.slack.waitFor('views.publish', 2);
  const view = published[1]!.args.view as { type: string; blocks: unknown[] };
  expect(view.type).toBe('home');
  expect(watchesPart(view).at(-1)).toEqual({
    type: 'section',
    block_id: `joblog_home_watch:${watch!.id}`,
    text: { type: 'mrkdwn', text: `*Job ${job.jobInstanceId} (biz ${job.bizId})* in <#C0OPS0001>\n:hourglass_flowing_sand: running · watched for 0ms` },
    accessory: { type: 'button', action_id: 'joblog_home_unwatch', text: { type: 'plain_text', text: 'Stop watching' }, value: watch!.id, style: 'danger' },
  });

  // Someone else's click on the same id changes nothing.
  await h.click({ actionId: 'joblog_home_unwatch', value: watch!.id, userId: 'U0MALLORY', channelId: 'D0MALLORY' });
  await h.slack.waitFor('views.publish', 3);
  expect(await h.bot.store.get(watch!.id)).toMatchObject({ status: 'active' });

  await h.click({ actionId: 'joblog_home_unwatch', value: watch!.id, userId: ALICE, channelId: 'D0ALICE01' });
  const after = await h.slack.waitFor('views.publish', 4);
  expect(watchesPart(after[3]!.args.view).at(-1)).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'You are not watching any job.' } });
  expect(await h.bot.store.get(watch!.id)).toMatchObject({ status: 'ended', statusReason: `stopped by <@${ALICE}>` });
});
