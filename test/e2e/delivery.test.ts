/**
 * Issue 17, delivery: exactly once given the history scopes, and one channel's trouble kept in
 * that channel. The real bot against the fake Slack, which serves history with message metadata,
 * can lose an answer after carrying out the call, and can make one channel answer 429 or 500.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import { failStep, runningJob } from '../../dev/scenarios';
import type { FakeSlackMessage, SlackCall } from '../../dev/fakeSlack';
import { useFakes } from '../helpers/fakes';

const OPS = 'C0OPS0001';
const OTHER = 'C0OTHER01';
const job = runningJob();
const otherJob = runningJob({ jobInstanceId: job.jobInstanceId + 1 });
const FAILED = 'failed on 2 of 5 hosts';
const STEP_FAILED = 'step_failed:2003772201:0';

const { slack, esb } = useFakes();
let dir: string;
let clock: number;

function start(extra: Record<string, string> = {}, slackRetries?: number): Promise<Harness> {
  return startHarness({
    slack,
    esb,
    env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, WATCH_RESUME_WINDOW: '0', ...extra },
    overrides: { now: () => clock, ...(slackRetries === undefined ? {} : { slackRetries }) },
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-delivery-'));
  esb.setJob(runningJob());
  esb.setJob(runningJob({ jobInstanceId: otherJob.jobInstanceId }));
  clock = Date.UTC(2024, 5, 11, 3, 5);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

async function watch(h: Harness, channelId: string, jobInstanceId: number): Promise<void> {
  await h.slash(`watch ${job.bizId} ${jobInstanceId}`, { channelId });
  await eventually(async () => (await h.bot.store.listOpenByChannel(channelId)).some((w) => w.statusMessageTs !== null));
}

const failJob = (jobInstanceId: number) => esb.updateJob(job.bizId, jobInstanceId, (def) => failStep(def, 0, [2, 4], 3));
const failures = (channel: string): FakeSlackMessage[] => slack.messages(channel).filter((m) => String(m.text).includes(FAILED));
const failurePosts = (channel: string): SlackCall[] => slack.calls('chat.postMessage').filter((c) => c.args.channel === channel && String(c.args.text).includes(FAILED));

describe('exactly once', () => {
  it('an answer lost after Slack posted the ping: the next poll finds it in the thread by its metadata and posts nothing again', async () => {
    const h = await start();
    try {
      await watch(h, OPS, job.jobInstanceId);
      failJob(job.jobInstanceId);
      slack.loseNextAnswer('chat.postMessage');
      clock += 30_000;
      await h.bot.pollNow();
      // Slack has the ping, the bot does not know: the entry stays pending with its attempt open.
      expect(failures(OPS)).toHaveLength(1);
      const [watchRow] = await h.bot.store.listOpenByChannel(OPS);
      const pending = await h.bot.store.pendingOutbox(watchRow!.id);
      expect(pending.map((e) => [e.key, e.attempts, e.attemptStartedAt])).toEqual([
        [STEP_FAILED, 1, clock],
        ['job_finished:failed', 0, null],
      ]);
      expect(failures(OPS)[0]!.metadata).toEqual({ event_type: 'joblog_event', event_payload: { key: STEP_FAILED, watch: watchRow!.id } });

      clock += 60_000;
      await h.bot.pollNow();
      const lookups = slack.calls('conversations.replies');
      expect(lookups).toHaveLength(1);
      expect(lookups[0]!.args).toMatchObject({ channel: OPS, ts: watchRow!.statusMessageTs, include_all_metadata: 'true' });
      // One ping in the channel, one post of it ever; the outbox records the ts Slack gave it.
      expect(failurePosts(OPS)).toHaveLength(1);
      expect(failures(OPS)).toHaveLength(1);
      const outbox = await h.bot.store.listOutbox(watchRow!.id);
      expect(outbox.find((e) => e.key === STEP_FAILED)).toMatchObject({ slackTs: failures(OPS)[0]!.ts, attemptStartedAt: null });
      expect(outbox.every((e) => e.sentAt !== null)).toBe(true);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('a process killed after Slack took the ping: the restarted bot finds it and does not repeat it', async () => {
    let h = await start({ REPLICA_ID: 'joblog-0' });
    let watchId: string;
    try {
      await watch(h, OPS, job.jobInstanceId);
      watchId = (await h.bot.store.listOpenByChannel(OPS))[0]!.id;
      failJob(job.jobInstanceId);
      // The post reaches Slack and the process dies before it hears back (the answer is lost).
      slack.loseNextAnswer('chat.postMessage');
      clock += 30_000;
      await h.bot.pollNow();
    } finally {
      await h.stop({ keepFakes: true });
    }
    h = await start({ REPLICA_ID: 'joblog-0' });
    try {
      clock += 60_000;
      await h.bot.pollNow();
      expect(failurePosts(OPS)).toHaveLength(1);
      expect(failures(OPS)).toHaveLength(1);
      expect((await h.bot.store.listOutbox(watchId)).map((e) => e.sentAt !== null)).toEqual([true, true]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('without the history scopes it stays at least once: the lost ping is posted again', async () => {
    slack.denyScopes('channels:history');
    const h = await start();
    try {
      await watch(h, OPS, job.jobInstanceId);
      failJob(job.jobInstanceId);
      slack.loseNextAnswer('chat.postMessage');
      clock += 30_000;
      await h.bot.pollNow();
      clock += 60_000;
      await h.bot.pollNow();
      expect(slack.calls('conversations.replies')).toHaveLength(1);
      expect(failures(OPS)).toHaveLength(2);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('a status message whose answer was lost: the watch stands, and its first poll finds the message instead of posting another', async () => {
    const h = await start();
    try {
      slack.loseNextAnswer('chat.postMessage');
      await h.slash(`watch ${job.bizId} ${job.jobInstanceId}`, { channelId: OPS, responseId: 'watch' });
      await eventually(() => slack.responses().length === 1);
      expect(slack.responses()[0]!.body).toMatchObject({ text: `:eyes: Watching Job ${job.jobInstanceId} (biz ${job.bizId}). Slack is holding back messages in this channel right now; the status message follows as soon as it lets me post.` });
      const [saved] = await h.bot.store.listOpenByChannel(OPS);
      expect(saved!.statusMessageTs).toBeNull();
      expect(slack.messages(OPS)).toHaveLength(1);

      clock += 30_000;
      await h.bot.pollNow();
      const [shown] = slack.messages(OPS);
      expect(slack.messages(OPS)).toHaveLength(1);
      expect(slack.calls('conversations.history')).toHaveLength(1);
      expect((await h.bot.store.get(saved!.id))!.statusMessageTs).toBe(shown!.ts);
      // Later events thread under it.
      failJob(job.jobInstanceId);
      clock += 30_000;
      await h.bot.pollNow();
      expect(failures(OPS).map((m) => m.threadTs)).toEqual([shown!.ts]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });
});

describe('isolation between channels', () => {
  const opsJobs = [10, 11, 12].map((n) => job.jobInstanceId + n);
  let troubledFrom = 0;
  /** chat.* calls for OPS since it was troubled. */
  const askedOps = () => slack.calls().slice(troubledFrom).filter((c) => c.method.startsWith('chat.') && c.args.channel === OPS).length;

  /**
   * Three watches in OPS and then one in OTHER, two poll workers: OPS's watches are claimed first.
   * All four jobs fail, OPS is troubled, and the time from the poll's start to OTHER's ping is measured.
   */
  async function healthyPingDelay(h: Harness, trouble: Parameters<typeof slack.troubleChannel>[1]): Promise<number> {
    for (const id of opsJobs) {
      esb.setJob(runningJob({ jobInstanceId: id }));
      await watch(h, OPS, id);
    }
    // Later than OPS's watches: claimed after them (watches are claimed by next poll time).
    clock += 1000;
    await watch(h, OTHER, otherJob.jobInstanceId);
    for (const id of [...opsJobs, otherJob.jobInstanceId]) failJob(id);
    slack.troubleChannel(OPS, trouble);
    troubledFrom = slack.calls().length;
    clock += 30_000;
    const started = Date.now();
    const poll = h.bot.pollNow();
    await slack.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === OTHER && String(c.args.text).includes(FAILED)), 120_000);
    const delay = Date.now() - started;
    await poll;
    return delay;
  }

  it('a channel answering 429 Retry-After 10 delays nobody else; its own pings wait in the outbox and arrive once after', async () => {
    const h = await start({ POLL_CONCURRENCY: '2' });
    try {
      const delay = await healthyPingDelay(h, { kind: 'rate_limit', retryAfterSeconds: 10 });
      process.stdout.write(`healthy channel's ping while another is rate limited: ${delay} ms\n`);
      expect(delay).toBeLessThan(1000);
      expect(failures(OTHER)).toHaveLength(1);
      expect(failures(OPS)).toHaveLength(0);
      // The channel is not asked again once a 429 came back (calls already in flight on the other
      // worker may still reach it), nor while Retry-After runs.
      const asked = askedOps();
      expect(asked).toBeGreaterThanOrEqual(1);
      expect(asked).toBeLessThanOrEqual(2);
      clock += 5_000;
      await h.bot.pollNow();
      expect(askedOps()).toBe(asked);
      // Slack lets the channel go again: each of its pings arrives once.
      slack.troubleChannel(OPS, null);
      clock += 60_000;
      await h.bot.pollNow();
      expect(failures(OPS)).toHaveLength(3);
      expect(failures(OTHER)).toHaveLength(1);
    } finally {
      await h.stop({ keepFakes: true });
    }
  }, 30_000);

  it('a channel answering HTTP 500 delays nobody else (no retries inside the poll), and its pings come once when it recovers', async () => {
    // The production retry setting for people's replies: the watches' delivery client has none.
    const h = await start({ POLL_CONCURRENCY: '2' }, 5);
    try {
      const delay = await healthyPingDelay(h, { kind: 'status', status: 500 });
      process.stdout.write(`healthy channel's ping while another answers 500: ${delay} ms\n`);
      expect(delay).toBeLessThan(1000);
      expect(failures(OTHER)).toHaveLength(1);
      slack.troubleChannel(OPS, null);
      clock += 60_000;
      await h.bot.pollNow();
      expect(failures(OPS)).toHaveLength(3);
      expect(failures(OTHER)).toHaveLength(1);
    } finally {
      await h.stop({ keepFakes: true });
    }
  }, 30_000);
});
