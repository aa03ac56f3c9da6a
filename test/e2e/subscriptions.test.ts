/**
 * End to end for subscriptions: signed `/joblog subscribe`, the fake BlueKing's instance list
 * growing new runs of a cron between cycles, and what the fake Slack receives: one ping per
 * failing run, repeats in the first failure's thread, the recovery, mute, restarts and two
 * replicas (SQLite file always, PostgreSQL when TEST_DATABASE_URL is set) announcing each run once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { FakeCronDef, FakePlanDef } from '../../dev/fakeCatalog';
import type { SlackCall } from '../../dev/fakeSlack';
import type { FakeJobDef } from '../../dev/fakeJobs';
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, runningJob, shiftedTo, succeededJob } from '../../dev/scenarios';
import { PostgresWatchStore, SqliteWatchStore } from '../../src/store';
import type { BotStore } from '../../src/store';
import { newFakes, startFakes, stopFakes, useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0002';
const CHANNEL = 'C0OPS0001';
const BIZ = 3;
const PLAN_ID = 1001;
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 5, 11, 3, 0);

const CRON: FakeCronDef = { bizId: BIZ, id: 12, name: 'nightly-backup', jobPlanId: PLAN_ID, enabled: true, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', createTime: T0 - 30 * 86_400_000 };
const OTHER_CRON: FakeCronDef = { ...CRON, id: 13, name: 'hourly-rotate', expression: '0 * * * *' };
const PLAN: FakePlanDef = { bizId: BIZ, id: PLAN_ID, name: 'backup plan', jobTemplateId: 77, createTime: T0 - 60 * 86_400_000 };

/** A run of the cron: JOB names it after the cron, launch mode 3, the cron's plan. */
function cronRun(base: FakeJobDef, jobInstanceId: number, createTime: number, cron: FakeCronDef = CRON): FakeJobDef {
  return { ...base, jobInstanceId, name: cron.name, createTime, launchMode: 3, cronId: cron.id, jobPlanId: cron.jobPlanId, jobTemplateId: 77 };
}


const posts = (slack: Harness['slack']) => slack.calls('chat.postMessage');
const textOf = (call: SlackCall) => String(call.args.text);
const actionIds = (call: SlackCall) =>
  (call.args.blocks as Array<{ type: string; elements?: Array<{ action_id?: string }> }>).filter((b) => b.type === 'actions').flatMap((b) => (b.elements ?? []).map((e) => e.action_id));

function responseText(slack: Harness['slack'], id: string): string {
  const body = slack.responses().find((r) => r.id === id)?.body;
  return typeof body === 'object' && body !== null ? String((body as Record<string, unknown>)['text']) : '';
}

async function subscribe(h: Harness, text: string, userId = ALICE): Promise<string> {
  const before = posts(h.slack).length;
  expect((await h.slash(text, { userId })).status).toBe(200);
  await h.slack.waitFor('chat.postMessage', before + 1);
  const [sub] = await h.bot.store.listSubscriptionsByChannel(CHANNEL);
  if (!sub) throw new Error('no subscription stored');
  return sub.id;
}

describe('/joblog subscribe (one bot, SQLite file)', () => {
  const { slack, esb } = useFakes();
  let dir: string;
  let clock: number;

  async function start(): Promise<Harness> {
    return startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, BK_JOB_API_VERSION: 'v3', SUBSCRIPTION_REPEAT_BROADCAST: '3' }, overrides: { now: () => clock } });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-subs-'));
    clock = T0;
    esb.setCron(CRON);
    esb.setCron(OTHER_CRON);
    esb.setPlan(PLAN);
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('pings once per failing run, replies in its thread while failing, says recovered, and ignores older and other runs', async () => {
    // A run from before the subscription: history, never announced.
    esb.setJob(cronRun(shiftedTo(failedJob(), T0 - 10 * MINUTE), 9_000_001, T0 - 10 * MINUTE));
    const h = await start();
    try {
      await subscribe(h, `subscribe ${BIZ} cron ${CRON.id}`);
      const [confirmation] = posts(slack);
      expect(confirmation!.args.channel).toBe(CHANNEL);
      expect(textOf(confirmation!)).toContain(`<@${ALICE}> subscribed this channel to Cron *nightly-backup* (#12, biz 3)`);
      expect(textOf(confirmation!)).toContain('runs `0 3 * * *` (Asia/Shanghai)');

      // The first failing run: one message in the channel, mentioning the subscriber, with the failing hosts.
      esb.setJob(cronRun(shiftedTo(failedJob(), T0 + 2 * MINUTE), 9_000_002, T0 + 2 * MINUTE));
      // A manual run of the same plan and a run of another cron of the plan: not this subscription's.
      esb.setJob({ ...shiftedTo(failedJob(), T0 + 3 * MINUTE), jobInstanceId: 9_000_003, name: 'backup plan', launchMode: 1, jobPlanId: PLAN_ID });
      esb.setJob(cronRun(shiftedTo(failedJob(), T0 + 3 * MINUTE), 9_000_004, T0 + 3 * MINUTE, OTHER_CRON));
      clock = T0 + 5 * MINUTE;
      const listsBefore = esb.requestsTo('get_job_instance_list');
      await h.bot.pollNow();
      expect(esb.requestsTo('get_job_instance_list') - listsBefore).toBe(1);
      const failure = posts(slack).slice(1);
      expect(failure).toHaveLength(1);
      expect(failure[0]!.args.thread_ts).toBeUndefined();
      expect(textOf(failure[0]!)).toMatch(new RegExp(`^:red_circle: <@${ALICE}> Cron \\*nightly-backup\\* \\(#12, biz 3\\): the run of .* \\(job 9000002\\) failed\\.`));
      expect(JSON.stringify(failure[0]!.args.blocks)).toContain('10.0.1.14');
      expect(actionIds(failure[0]!)).toEqual(expect.arrayContaining(['joblog_sub_mute', 'joblog_sub_stop']));
      const threadTs = slack.messages(CHANNEL).find((m) => m.text === textOf(failure[0]!))!.ts;

      // Nothing new: a cycle posts nothing.
      clock += MINUTE;
      await h.bot.pollNow();
      expect(posts(slack)).toHaveLength(2);

      // The next run fails too: a reply in the first failure's thread, not a new channel message.
      esb.setJob(cronRun(shiftedTo(failedJob(), clock), 9_000_005, clock));
      clock += MINUTE;
      await h.bot.pollNow();
      const second = posts(slack).slice(2);
      expect(second).toHaveLength(1);
      expect(second[0]!.args.thread_ts).toBe(threadTs);
      expect(String(second[0]!.args.reply_broadcast)).toBe('false');
      expect(textOf(second[0]!)).toMatch(/^:red_circle: Still failing: Cron \*nightly-backup\* \(#12, biz 3\), the run of .* \(job 9000005\) failed, 2nd in a row\./);

      // The third in a row is broadcast (SUBSCRIPTION_REPEAT_BROADCAST=3).
      esb.setJob(cronRun(shiftedTo(failedJob(), clock), 9_000_006, clock));
      clock += MINUTE;
      await h.bot.pollNow();
      const third = posts(slack).slice(3);
      expect(third.map((c) => [c.args.thread_ts, String(c.args.reply_broadcast)])).toEqual([[threadTs, 'true']]);
      expect(textOf(third[0]!)).toContain('3rd in a row');

      // A success: "recovered" in that thread, broadcast.
      esb.setJob(cronRun(shiftedTo(succeededJob(), clock), 9_000_007, clock));
      clock += MINUTE;
      await h.bot.pollNow();
      const recovered = posts(slack).slice(4);
      expect(recovered).toHaveLength(1);
      expect(recovered[0]!.args.thread_ts).toBe(threadTs);
      expect(String(recovered[0]!.args.reply_broadcast)).toBe('true');
      expect(textOf(recovered[0]!)).toMatch(/^:large_green_circle: Cron \*nightly-backup\* \(#12, biz 3\) recovered: the run of .* \(job 9000007\) succeeded after 3 failed runs/);

      // Another success: nothing (--on failure).
      esb.setJob(cronRun(shiftedTo(succeededJob(), clock), 9_000_008, clock));
      clock += MINUTE;
      await h.bot.pollNow();
      expect(posts(slack)).toHaveLength(5);

      // Each run was recorded once; the older run never.
      const sub = (await h.bot.store.listSubscriptionsByChannel(CHANNEL))[0]!;
      const runs = await h.bot.store.listRuns(sub.id, 0, Number.MAX_SAFE_INTEGER);
      expect(runs.map((r) => [r.jobInstanceId, r.result])).toEqual([
        [9_000_002, 'failed'],
        [9_000_005, 'failed'],
        [9_000_006, 'failed'],
        [9_000_007, 'succeeded'],
        [9_000_008, 'succeeded'],
      ]);
      expect(sub.state.failStreak).toBe(0);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('refuses the same cron twice in a channel (naming who subscribed), and an unknown cron', async () => {
    const h = await start();
    try {
      const id = await subscribe(h, `subscribe ${BIZ} cron ${CRON.id}`);
      await h.slash(`subscribe ${BIZ} cron ${CRON.id}`, { userId: BOB, responseId: 'again' });
      await h.slash(`subscribe ${BIZ} cron 404`, { responseId: 'unknown' });
      await slack.waitForResponses(2);
      expect(responseText(slack, 'again')).toBe(`This channel already follows it: <@${ALICE}> subscribed (\`${id}\`).`);
      expect(responseText(slack, 'unknown')).toBe('There is no cron #404 in business 3. Check the id in the JOB console (Cron jobs).');
      expect(await h.bot.store.listSubscriptionsByChannel(CHANNEL)).toHaveLength(1);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('mutes: runs are recorded, nothing is posted, then one line says what happened meanwhile', async () => {
    const h = await start();
    try {
      const id = await subscribe(h, `subscribe ${BIZ} cron ${CRON.id}`);
      await h.slash(`mute ${id}`);
      await slack.waitFor('chat.postMessage', 2);
      expect(textOf(posts(slack)[1]!)).toMatch(new RegExp(`^:zzz: <@${ALICE}> muted Cron \\*nightly-backup\\* \\(#12, biz 3\\) until `));

      esb.setJob(cronRun(shiftedTo(failedJob(), T0 + MINUTE), 9_100_001, T0 + MINUTE));
      clock = T0 + 5 * MINUTE;
      await h.bot.pollNow();
      expect(posts(slack)).toHaveLength(2);

      // The mute ends: one line, and the next failure pings again.
      clock = T0 + 25 * 60 * MINUTE;
      await h.bot.pollNow();
      const after = posts(slack).slice(2);
      expect(after.map(textOf)).toEqual([':bell: Cron *nightly-backup* (#12, biz 3) is no longer muted. In the last 1d: 1 run, 1 failed; the last one failed.']);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('posts the daily digest once, at its time in the cron\'s time zone', async () => {
    const h = await start();
    try {
      await subscribe(h, `subscribe ${BIZ} cron ${CRON.id} --digest 09:00`);
      expect(textOf(posts(slack)[0]!)).toContain('Daily digest at 09:00 (Asia/Shanghai).');
      esb.setJob(cronRun(shiftedTo(failedJob(), T0 + 60 * MINUTE), 9_400_001, T0 + 60 * MINUTE));
      esb.setJob(cronRun(shiftedTo(succeededJob(), T0 + 120 * MINUTE), 9_400_002, T0 + 120 * MINUTE));
      clock = T0 + 125 * MINUTE;
      await h.bot.pollNow();
      const before = posts(slack).length;
      // 09:00 in Shanghai is 01:00 UTC: 22 hours after T0 (03:00 UTC).
      clock = Date.UTC(2024, 5, 12, 0, 59);
      await h.bot.pollNow();
      expect(posts(slack)).toHaveLength(before);
      clock = Date.UTC(2024, 5, 12, 1, 0, 30);
      await h.bot.pollNow();
      await h.bot.pollNow();
      const digests = posts(slack).slice(before).map(textOf);
      expect(digests).toEqual([expect.stringMatching(/^:bar_chart: Daily digest for Cron \*nightly-backup\* \(#12, biz 3\): 2 runs, 1 failed, 50% succeeded; slowest: .+\.$/)]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('a digest Slack makes wait (429) is not lost: the claim is given back and the digest posted once after Retry-After', async () => {
    const h = await start();
    try {
      await subscribe(h, `subscribe ${BIZ} cron ${CRON.id} --digest 09:00`);
      esb.setJob(cronRun(shiftedTo(failedJob(), T0 + 60 * MINUTE), 9_400_001, T0 + 60 * MINUTE));
      clock = T0 + 125 * MINUTE;
      await h.bot.pollNow();
      const before = posts(slack).length;
      clock = Date.UTC(2024, 5, 12, 1, 0, 30);
      slack.rateLimitNext('chat.postMessage', 30);
      await h.bot.pollNow();
      expect(posts(slack).slice(before).map((c) => c.args.channel)).toEqual([CHANNEL]);
      expect(slack.messages(CHANNEL).filter((m) => String(m.text).includes('Daily digest for'))).toHaveLength(0);
      const [sub] = await h.bot.store.listSubscriptionsByChannel(CHANNEL);
      expect(sub!.state.lastDigestAt).toBeNull();
      // Within Retry-After the channel is not asked again.
      clock += 10_000;
      await h.bot.pollNow();
      expect(posts(slack)).toHaveLength(before + 1);
      clock += 25_000;
      await h.bot.pollNow();
      await h.bot.pollNow();
      expect(slack.messages(CHANNEL).filter((m) => String(m.text).includes('Daily digest for')).map((m) => m.text)).toEqual([expect.stringMatching(/^:bar_chart: Daily digest for Cron \*nightly-backup\* \(#12, biz 3\): 1 run, 1 failed/)]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('after a restart between cycles, announces nothing twice', async () => {
    let h = await start();
    try {
      await subscribe(h, `subscribe ${BIZ} plan ${PLAN_ID} --on finish`);
      expect(textOf(posts(slack)[0]!)).toContain('Plan *backup plan* (#1001, biz 3)');
      esb.setJob({ ...shiftedTo(succeededJob(), T0 + MINUTE), jobInstanceId: 9_200_001, launchMode: 2, jobPlanId: PLAN_ID });
      clock = T0 + 2 * MINUTE;
      await h.bot.pollNow();
      expect(posts(slack).slice(1).map(textOf)).toEqual([expect.stringMatching(/^:large_green_circle: Plan \*backup plan\* \(#1001, biz 3\): the run of .* \(job 9200001\) succeeded in /)]);

      await h.stop({ keepFakes: true });
      h = await start();
      clock += MINUTE;
      await h.bot.pollNow();
      clock += MINUTE;
      await h.bot.pollNow();
      expect(posts(slack)).toHaveLength(2);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('says plainly when the bot speaks v2 only', async () => {
    const h = await startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}` }, overrides: { now: () => clock } });
    try {
      await h.slash(`subscribe ${BIZ} cron ${CRON.id}`, { responseId: 'v2' });
      await slack.waitForResponses(1);
      expect(responseText(slack, 'v2')).toMatch(/^Subscriptions need the v3 API of JOB/);
      expect(esb.requestsTo('get_cron_detail')).toBe(0);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
const backends: Array<[string, () => { open(): Promise<BotStore>; cleanup(): Promise<void> }]> = [
  [
    'SQLite file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'joblog-subs-replicas-'));
      return {
        async open() {
          const store = new SqliteWatchStore(join(dir, 'joblog.db'));
          await store.migrate();
          return store;
        },
        cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      };
    },
  ],
];
if (pgUrl) {
  backends.push([
    'PostgreSQL',
    () => {
      const schema = `joblog_subs_${process.pid}_${Date.now()}`;
      return {
        async open() {
          const store = new PostgresWatchStore(pgUrl, { schema });
          await store.migrate();
          return store;
        },
        async cleanup() {
          const client = new Client({ connectionString: pgUrl });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await client.end();
        },
      };
    },
  ]);
}

describe.each(backends)('two replicas on one %s', (_name, makeBackend) => {
  it('announce each failing run once', async () => {
    const backend = makeBackend();
    const fakes = newFakes();
    await startFakes(fakes);
    const { slack, esb } = fakes;
    let clock = T0;
    const replicas: Harness[] = [];
    try {
      esb.setCron(CRON);
      for (const owner of ['replica-a', 'replica-b']) {
        replicas.push(await startHarness({ slack, esb, env: { BK_JOB_API_VERSION: 'v3' }, overrides: { now: () => clock, owner, store: await backend.open() } }));
      }
      await subscribe(replicas[0]!, `subscribe ${BIZ} cron ${CRON.id}`);
      const runs = [1, 2, 3].map((i) => cronRun(shiftedTo(i === 2 ? runningJob() : failedJob(), T0 + i * MINUTE), 9_300_000 + i, T0 + i * MINUTE));
      for (const run of runs) esb.setJob(run);
      esb.setLatency(15);
      clock = T0 + 10 * MINUTE;
      await Promise.all(replicas.map((r) => r.bot.pollNow()));
      clock += MINUTE;
      await Promise.all(replicas.map((r) => r.bot.pollNow()));
      esb.setLatency(0);
      // Two failing runs: the first pings in the channel, the second replies in its thread; the running one says nothing yet.
      const announced = posts(slack).slice(1);
      expect(announced).toHaveLength(2);
      expect(announced.map((c) => c.args.thread_ts === undefined)).toEqual([true, false]);
      const sub = (await replicas[0]!.bot.store.listSubscriptionsByChannel(CHANNEL))[0]!;
      expect((await replicas[1]!.bot.store.listRuns(sub.id, 0, Number.MAX_SAFE_INTEGER)).map((r) => r.jobInstanceId)).toEqual([9_300_001, 9_300_002, 9_300_003]);
    } finally {
      for (const replica of replicas) await replica.stop({ keepFakes: true });
      await stopFakes(fakes);
      await backend.cleanup();
    }
  });

  it('end a subscription the tightened channel policy no longer allows once, with one line', async () => {
    const backend = makeBackend();
    const fakes = newFakes();
    await startFakes(fakes);
    const { slack, esb } = fakes;
    const clock = T0 + MINUTE;
    const dir = mkdtempSync(join(tmpdir(), 'joblog-subs-policy-'));
    const replicas: Harness[] = [];
    try {
      esb.setCron(CRON);
      const before = await startHarness({ slack, esb, env: { BK_JOB_API_VERSION: 'v3' }, overrides: { now: () => clock, owner: 'replica-a', store: await backend.open() } });
      await subscribe(before, `subscribe ${BIZ} cron ${CRON.id}`);
      await before.stop({ keepFakes: true });
      // Both replicas restart with subscriptions turned off in the channel and run a cycle at once.
      const policyFile = join(dir, 'policy.yml');
      writeFileSync(policyFile, `channels:\n  ${CHANNEL}:\n    subscriptions: false\n`);
      for (const owner of ['replica-a', 'replica-b']) {
        replicas.push(await startHarness({ slack, esb, env: { BK_JOB_API_VERSION: 'v3', CHANNEL_POLICY_FILE: policyFile }, overrides: { now: () => clock, owner, store: await backend.open() } }));
      }
      esb.setLatency(15);
      await Promise.all(replicas.map((r) => r.bot.pollNow()));
      await Promise.all(replicas.map((r) => r.bot.pollNow()));
      esb.setLatency(0);
      expect(posts(slack).slice(1).map(textOf)).toEqual([`:no_entry_sign: The subscription to Cron *nightly-backup* (#12, biz 3) (by <@${ALICE}>) has ended: the channel policy turned subscriptions off in this channel.`]);
      expect(await replicas[1]!.bot.store.listActiveSubscriptions()).toEqual([]);
      expect(esb.requestsTo('get_job_instance_list')).toBe(0);
    } finally {
      for (const replica of replicas) await replica.stop({ keepFakes: true });
      await stopFakes(fakes);
      await backend.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
