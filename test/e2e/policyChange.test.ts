/**
 * End to end: the admin tightens CHANNEL_POLICY_FILE and restarts the bot. A watch or
 * subscription made while the old policy allowed it, that the new one no longer allows in its
 * channel, ends at its next cycle with one line saying why, before BlueKing is asked about it.
 * The bot restarts on the same SQLite file, so what was made before the restart is still there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeCronDef, FakePlanDef } from '../../dev/fakeCatalog';
import type { SlackCall } from '../../dev/fakeSlack';
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, runningJob, shiftedTo } from '../../dev/scenarios';
import { useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const BIZ = 3;
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 11, 3, 0);
const JOB = runningJob();
const CRON: FakeCronDef = { bizId: BIZ, id: 12, name: 'nightly-backup', jobPlanId: 1001, enabled: true, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', createTime: T0 - 30 * 86_400_000 };
const PLAN: FakePlanDef = { bizId: BIZ, id: 1001, name: 'backup plan', jobTemplateId: 77, createTime: T0 - 60 * 86_400_000 };

/** The policy the watch or subscription was made under: the channel listed, business 3 allowed. */
const PERMISSIVE = `default: deny\nchannels:\n  ${CHANNEL}:\n    businesses: [${BIZ}]\n`;

const { slack, esb } = useFakes();
let dir: string;
let clock: number;
let h: Harness | null;

const posts = () => slack.calls('chat.postMessage');
const textOf = (call: SlackCall) => String(call.args.text);
const blocksOf = (call: SlackCall) => (call.args.blocks ?? []) as Array<{ type: string; elements?: Array<{ text?: string }> }>;

/** Starts the bot (or restarts it on the same database and fakes) under `policy`. */
async function startWith(policy: string, extra: Record<string, string> = {}): Promise<Harness> {
  if (h) await h.stop({ keepFakes: true });
  const file = join(dir, `policy-${Date.now()}-${Math.random()}.yml`);
  writeFileSync(file, policy);
  h = await startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, CHANNEL_POLICY_FILE: file, ...extra }, overrides: { now: () => clock } });
  return h;
}

/** Resolves once `probe` holds, checking every 10 ms for at most 5 s. */
async function eventually(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 5 s');
}

/** `/joblog watch` of the running job; resolves with the status message once the watch is stored. */
async function watchJob(bot: Harness): Promise<string> {
  expect((await bot.slash(`watch ${JOB.bizId} ${JOB.jobInstanceId}`, { userId: ALICE })).status).toBe(200);
  await slack.waitFor('chat.postMessage');
  await eventually(async () => (await bot.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null));
  const [watch] = await bot.bot.store.listOpenByChannel(CHANNEL);
  return watch!.statusMessageTs!;
}

/** The status message's "watched by / ended" line, as the last chat.update left it. */
function statusLine(call: SlackCall): string | undefined {
  return blocksOf(call).find((b) => b.type === 'context' && b.elements?.some((e) => String(e.text).includes('Watch')))?.elements?.[0]?.text;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-policy-change-'));
  clock = T0;
  h = null;
  esb.setJob(JOB);
});

afterEach(async () => {
  if (h) await h.stop({ keepFakes: true });
  h = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('a watch the tightened policy no longer allows', () => {
  it.each([
    ['lists the channel with other businesses only', `channels:\n  ${CHANNEL}:\n    businesses: [4]\n`, `the channel policy no longer allows business ${BIZ} in this channel`],
    ['keeps summaries out of the channel', `channels:\n  ${CHANNEL}:\n    businesses: [${BIZ}]\n    post_in_channel: false\n`, 'the channel policy now keeps job summaries out of this channel'],
  ])('ends at its next poll when the policy %s: one ping in its thread, the status message ended, BlueKing not asked', async (_name, tightened, reason) => {
    const statusTs = await watchJob(await startWith(PERMISSIVE));
    // The watch polls while the policy allows it.
    clock += 30_000;
    const before = esb.requests().length;
    await h!.bot.pollNow();
    expect(esb.requests().length).toBeGreaterThan(before);

    const bot = await startWith(tightened);
    const postsBefore = posts().length;
    const updatesBefore = slack.calls('chat.update').length;
    const requestsBefore = esb.requests().length;
    clock += 30_000;
    await bot.bot.pollNow();

    expect(esb.requests().slice(requestsBefore)).toEqual([]);
    const stopped = posts().slice(postsBefore);
    expect(stopped.map((c) => [c.args.channel, c.args.thread_ts, String(c.args.reply_broadcast), textOf(c)])).toEqual([[CHANNEL, statusTs, 'true', `<@${ALICE}> :no_entry_sign: Watch stopped: ${reason}.`]]);
    const updates = slack.calls('chat.update').slice(updatesBefore);
    expect(updates.map((c) => c.args.ts)).toEqual([statusTs]);
    expect(statusLine(updates[0]!)).toBe(`:eyes: Watch ended: ${reason}`);
    expect(await bot.bot.store.listOpenByChannel(CHANNEL)).toEqual([]);

    // Ended: a later poll says nothing more and still asks BlueKing nothing.
    clock += 30_000;
    await bot.bot.pollNow();
    expect(posts()).toHaveLength(postsBefore + 1);
    expect(slack.calls('chat.update')).toHaveLength(updatesBefore + 1);
    expect(esb.requests().slice(requestsBefore)).toEqual([]);
  });

  it('control: restarted under the same policy, the watch keeps polling and nothing says it stopped', async () => {
    await watchJob(await startWith(PERMISSIVE));
    const bot = await startWith(PERMISSIVE);
    const requestsBefore = esb.requests().length;
    clock += 30_000;
    expect(await bot.bot.pollNow()).toMatchObject({ claimed: 1, polled: 1, errors: 0 });
    expect(esb.requests().length).toBeGreaterThan(requestsBefore);
    expect(slack.messages(CHANNEL).filter((m) => String(m.text).includes('stopped'))).toEqual([]);
    expect(await bot.bot.store.listOpenByChannel(CHANNEL)).toHaveLength(1);
  });
});

describe('a subscription the tightened policy no longer allows', () => {
  const v3 = { BK_JOB_API_VERSION: 'v3' };
  /** Policy with subscriptions turned off in the channel. */
  const NO_SUBSCRIPTIONS = `channels:\n  ${CHANNEL}:\n    businesses: [${BIZ}]\n    subscriptions: false\n`;

  /** The bot on v3 under the permissive policy, subscribed to the cron: the bot and the subscription's id. */
  async function subscribed(): Promise<{ bot: Harness; id: string }> {
    esb.setCron(CRON);
    esb.setPlan(PLAN);
    const bot = await startWith(PERMISSIVE, v3);
    expect((await bot.slash(`subscribe ${BIZ} cron ${CRON.id}`, { userId: ALICE })).status).toBe(200);
    await slack.waitFor('chat.postMessage');
    const [sub] = await bot.bot.store.listSubscriptionsByChannel(CHANNEL);
    return { bot, id: sub!.id };
  }

  it('ends at the next cycle with one line in the channel, no buttons, and no run of it is looked for again', async () => {
    const { bot: first, id } = await subscribed();
    expect(textOf(posts()[0]!)).toContain(`<@${ALICE}> subscribed this channel to Cron *nightly-backup* (#12, biz 3)`);
    clock += MINUTE;
    const listsBefore = esb.requestsTo('get_job_instance_list');
    await first.bot.pollNow();
    expect(esb.requestsTo('get_job_instance_list')).toBe(listsBefore + 1);

    const bot = await startWith(NO_SUBSCRIPTIONS, v3);
    const postsBefore = posts().length;
    const lists = esb.requestsTo('get_job_instance_list');
    clock += MINUTE;
    await bot.bot.pollNow();
    const ended = posts().slice(postsBefore);
    expect(ended.map((c) => [c.args.channel, c.args.thread_ts, textOf(c)])).toEqual([
      [CHANNEL, undefined, `:no_entry_sign: The subscription to Cron *nightly-backup* (#12, biz 3) (by <@${ALICE}>) has ended: the channel policy turned subscriptions off in this channel.`],
    ]);
    expect(blocksOf(ended[0]!).filter((b) => b.type === 'actions')).toEqual([]);
    expect(esb.requestsTo('get_job_instance_list')).toBe(lists);
    expect((await bot.bot.store.getSubscription(id))?.status).toBe('ended');
    expect(await bot.bot.store.listActiveSubscriptions()).toEqual([]);

    // A failing run of the cron afterwards: not announced, not even looked for; nor is the end said twice.
    esb.setJob({ ...shiftedTo(failedJob(), clock), jobInstanceId: 9_500_001, name: CRON.name, createTime: clock, launchMode: 3, cronId: CRON.id, jobPlanId: CRON.jobPlanId, jobTemplateId: 77 });
    clock += MINUTE;
    await bot.bot.pollNow();
    clock += MINUTE;
    await bot.bot.pollNow();
    expect(posts()).toHaveLength(postsBefore + 1);
    expect(esb.requestsTo('get_job_instance_list')).toBe(lists);
  });

  it('ends only once its line is in the channel: while Slack makes the channel wait it stays, then ends with one line', async () => {
    const { id } = await subscribed();
    const bot = await startWith(NO_SUBSCRIPTIONS, v3);
    const shown = () => slack.messages(CHANNEL).map((m) => String(m.text));
    const before = shown().length;
    const triedBefore = posts().length;
    slack.rateLimitNext('chat.postMessage', 5);
    clock += MINUTE;
    await bot.bot.pollNow();
    // The line met a 429: nothing in the channel, so the subscription is not ended yet (nor scanned).
    expect(posts()).toHaveLength(triedBefore + 1);
    expect(shown()).toHaveLength(before);
    expect((await bot.bot.store.getSubscription(id))?.status).toBe('active');
    expect(esb.requestsTo('get_job_instance_list')).toBe(0);

    clock += 10_000;
    await bot.bot.pollNow();
    expect(shown().slice(before)).toEqual([
      `:no_entry_sign: The subscription to Cron *nightly-backup* (#12, biz 3) (by <@${ALICE}>) has ended: the channel policy turned subscriptions off in this channel.`,
    ]);
    expect((await bot.bot.store.getSubscription(id))?.status).toBe('ended');
    clock += MINUTE;
    await bot.bot.pollNow();
    expect(shown()).toHaveLength(before + 1);
  });
});
