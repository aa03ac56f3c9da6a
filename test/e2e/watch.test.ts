/**
 * End to end for watches: signed `/joblog watch`, the fake BlueKing job moving on between poll
 * ticks, and what the fake Slack receives: exactly one ping per event, even across restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import { failStep, failedJob, runningJob, waitingForUserJob } from '../../dev/scenarios';
import type { SlackCall } from '../../dev/fakeSlack';
import { useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const job = runningJob();
const WATCHED_BY = `:eyes: Watched by <@${ALICE}> · notifying on failures, steps waiting for confirmation and the result`;

const { slack, esb } = useFakes();
let dir: string;
let clock: number;

function env(extra: Record<string, string> = {}) {
  return { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, WATCH_MAX_ERRORS: '3', ...extra };
}

async function start(extra: Record<string, string> = {}): Promise<Harness> {
  return startHarness({ slack, esb, env: env(extra), overrides: { now: () => clock } });
}

const posts = () => slack.calls('chat.postMessage');
const replies = () => posts().filter((c) => c.args.thread_ts !== undefined);
const textOf = (call: SlackCall) => String(call.args.text);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-e2e-'));
  esb.setJob(runningJob());
  clock = Date.UTC(2024, 5, 11, 3, 5);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once `probe` holds, checking every 10 ms for at most 5 s. */
async function eventually(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 5 s');
}

async function watch(h: Harness, args = `${job.bizId} ${job.jobInstanceId}`): Promise<SlackCall> {
  const ack = await h.slash(`watch ${args}`);
  expect(ack.status).toBe(200);
  const [status] = await slack.waitFor('chat.postMessage');
  // The command finishes after Slack has the message: wait until the watch is stored.
  await eventually(async () => (await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null));
  return status!;
}

function failTheJob(): void {
  esb.updateJob(job.bizId, job.jobInstanceId, (def) => failStep(def, 0, [2, 4], 3));
}

describe('/joblog watch', () => {
  it('posts a status message, then exactly one ping when the job fails, and ends the watch (following retries off)', async () => {
    // WATCH_RESUME_WINDOW=0: a failed job ends the watch at once (test/e2e/retries.test.ts follows the retry).
    const h = await start({ WATCH_RESUME_WINDOW: '0' });
    try {
      const status = await watch(h);
      expect(status.args.channel).toBe(CHANNEL);
      const blocks = status.args.blocks as Array<{ type: string; elements?: Array<{ text?: string; action_id?: string }> }>;
      expect(blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: WATCHED_BY }] });
      expect(blocks.at(-1)!.elements!.map((e) => e.action_id)).toEqual(['joblog_unwatch']);

      // Nothing changed: a tick posts and updates nothing.
      clock += 30_000;
      expect(await h.bot.pollNow()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(posts()).toHaveLength(1);
      expect(slack.calls('chat.update')).toHaveLength(0);

      failTheJob();
      clock += 30_000;
      expect(await h.bot.pollNow()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 2 });

      const [update] = slack.calls('chat.update');
      const statusTs = slack.messages(CHANNEL).find((m) => m.threadTs === undefined)!.ts;
      expect(update!.args.ts).toBe(statusTs);
      expect(String(update!.args.text)).toBe(`:x: Job ${job.jobInstanceId} (biz 3) failed: step 1 "Backup data dir": 2 of 5 hosts failed`);
      const updatedBlocks = update!.args.blocks as Array<{ type: string; elements?: Array<{ text?: string }> }>;
      expect(updatedBlocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: ':eyes: Watch ended: the job finished' }] });

      const threaded = replies();
      expect(threaded).toHaveLength(2);
      expect(threaded.every((c) => c.args.thread_ts === statusTs)).toBe(true);
      expect(String(threaded[0]!.args.reply_broadcast)).toBe('true');
      expect(textOf(threaded[0]!)).toBe(`<@${ALICE}> :x: Step 1 *Backup data dir* failed on 2 of 5 hosts • *exit 3* · Non-zero Exit Code (104) · 2 hosts: \`10.0.3.33\`, \`10.0.3.35\`     ↳ \`command exited with code 3\``);
      expect(String(threaded[1]!.args.reply_broadcast)).toBe('false');
      expect(textOf(threaded[1]!)).toMatch(new RegExp(`^<@${ALICE}> :x: Job failed after `));

      const metrics = await (await fetch(`${h.appUrl}/metrics`)).text();
      expect(metrics).toMatch(/^joblog_notifications_sent_total\{event="step_failed"\} 1$/m);
      expect(metrics).toMatch(/^joblog_notifications_sent_total\{event="job_finished"\} 1$/m);
      expect(metrics).toMatch(/^joblog_polls_total\{outcome="ok"\} 2$/m);
      expect(metrics).toMatch(/^joblog_active_watches 0$/m);

      // The watch has ended: later ticks are silent.
      clock += 30_000;
      await h.bot.pollNow();
      expect(posts()).toHaveLength(3);
      const [stored] = await h.bot.store.listOpenByChannel(CHANNEL);
      expect(stored).toBeUndefined();
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('pings once when a step waits for confirmation', async () => {
    const waiting = waitingForUserJob();
    esb.setJob({ ...waiting, steps: waiting.steps.map((s, i) => (i === 0 ? s : { ...s, status: i === 1 ? 2 : 1, hosts: [] })) });
    const h = await start();
    try {
      await watch(h, `${waiting.bizId} ${waiting.jobInstanceId}`);
      esb.setJob(waiting);
      clock += 30_000;
      await h.bot.pollNow();
      clock += 30_000;
      await h.bot.pollNow();
      const threaded = replies();
      expect(threaded).toHaveLength(1);
      expect(String(threaded[0]!.args.reply_broadcast)).toBe('true');
      // v2 does not say the step type: a confirmation and a manual rolling pause look alike.
      expect(textOf(threaded[0]!)).toMatch(new RegExp(`^<@${ALICE}> :raised_hand: Step 2 \\*.+\\* is waiting for a user\\. Confirm, terminate or continue rolling it in the JOB console\\.$`));
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('sends nothing twice across a restart between ticks', async () => {
    const first = await start();
    await watch(first);
    failTheJob();
    await first.stop({ keepFakes: true });

    const second = await start();
    try {
      clock += 30_000;
      await second.bot.pollNow();
      expect(replies()).toHaveLength(2);
      await second.stop({ keepFakes: true });

      const third = await start();
      clock += 30_000;
      await third.bot.pollNow();
      await third.stop({ keepFakes: true });
      expect(replies()).toHaveLength(2);
    } finally {
      await second.stop({ keepFakes: true }).catch(() => undefined);
    }
  });

  it('keeps an event that Slack failed to take and delivers it exactly once on the next tick', async () => {
    const h = await start({ WATCH_RESUME_WINDOW: '0' });
    try {
      await watch(h);
      failTheJob();
      slack.failNext('chat.postMessage', { error: 'internal_error' });
      clock += 30_000;
      await h.bot.pollNow();
      // The fake records the refused attempt; nothing was delivered and the watch stays open.
      expect(replies()).toHaveLength(1);
      expect((await h.bot.store.listOpenByChannel(CHANNEL))[0]).toMatchObject({ status: 'active' });
      clock += 60_000;
      await h.bot.pollNow();
      const texts = replies().map(textOf);
      expect(texts).toHaveLength(3);
      expect(texts[1]).toBe(texts[0]);
      expect(texts[2]).toMatch(new RegExp(`^<@${ALICE}> :x: Job failed after `));
      clock += 60_000;
      await h.bot.pollNow();
      expect(replies()).toHaveLength(3);
      expect(await h.bot.store.listOpenByChannel(CHANNEL)).toEqual([]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('rides out a Slack rate limit: the ping waits in the outbox for Retry-After, then arrives once', async () => {
    const h = await startHarness({ slack, esb, env: env(), overrides: { now: () => clock, slackRetries: 2 } });
    try {
      await watch(h);
      failTheJob();
      slack.rateLimitNext('chat.postMessage', 20);
      clock += 30_000;
      // The poll does not wait: the channel's events stay pending, no attempt is spent on the 429.
      expect(await h.bot.pollNow()).toMatchObject({ eventsSent: 0 });
      const [pending] = await h.bot.store.listOpenByChannel(CHANNEL);
      expect((await h.bot.store.pendingOutbox(pending!.id)).map((e) => [e.attempts, e.attemptStartedAt])).toEqual([
        [0, null],
        [0, null],
      ]);
      // Before Retry-After has passed, Slack is not asked again.
      clock += 10_000;
      await h.bot.pollNow();
      expect(replies()).toHaveLength(1);
      clock += 11_000;
      expect(await h.bot.pollNow()).toMatchObject({ eventsSent: 2 });
      const failures = replies().filter((c) => textOf(c).includes('failed on 2 of 5 hosts'));
      // Two attempts reached Slack (the 429 and the post); the channel shows one message.
      expect(failures).toHaveLength(2);
      expect(slack.messages(CHANNEL).filter((m) => String(m.text).includes('failed on 2 of 5 hosts'))).toHaveLength(1);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('reserves before posting: simultaneous watches of one job post one status message; a burst never exceeds the channel limit', async () => {
    const h = await start({ WATCH_MAX_PER_CHANNEL: '3' });
    try {
      // Two people press Watch on the same job at the same instant.
      await Promise.all([h.slash(`watch ${job.bizId} ${job.jobInstanceId}`, { responseId: 'a' }), h.slash(`watch ${job.bizId} ${job.jobInstanceId}`, { userId: 'U0BOB0001', responseId: 'b' })]);
      await eventually(async () => slack.responses().length >= 1 && (await h.bot.store.listOpenByChannel(CHANNEL)).every((w) => w.statusMessageTs !== null));
      expect(posts()).toHaveLength(1);
      expect(slack.responses().map((r) => String((r.body as { text?: unknown }).text))).toEqual([expect.stringMatching(/^This channel already watches that job/)]);
      // Six more at once on other jobs: two fit under the limit of 3, four are refused.
      const others = Array.from({ length: 6 }, (_, i) => runningJob({ jobInstanceId: job.jobInstanceId + 200 + i }));
      for (const other of others) esb.setJob(other);
      await Promise.all(others.map((other, i) => h.slash(`watch ${other.bizId} ${other.jobInstanceId}`, { responseId: `burst-${i}` })));
      await eventually(async () => slack.responses().length >= 5 && (await h.bot.store.listOpenByChannel(CHANNEL)).every((w) => w.statusMessageTs !== null));
      expect(await h.bot.store.countActiveInChannel(CHANNEL)).toBe(3);
      expect(posts()).toHaveLength(3);
      expect(slack.responses().filter((r) => String((r.body as { text?: unknown }).text).startsWith('This channel already has 3 active watches'))).toHaveLength(4);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('polls each due watch once per cycle even when the clock stands still', async () => {
    const h = await startHarness({ slack, esb, env: env(), overrides: { now: () => clock, pollBatchSize: 2 } });
    try {
      for (let i = 0; i < 5; i++) {
        const other = runningJob({ jobInstanceId: job.jobInstanceId + 100 + i });
        esb.setJob(other);
        await h.slash(`watch ${other.bizId} ${other.jobInstanceId}`);
        await eventually(async () => (await h.bot.store.listOpenByChannel(CHANNEL)).filter((w) => w.statusMessageTs !== null).length === i + 1);
      }
      expect(await h.bot.pollNow()).toEqual({ claimed: 5, polled: 5, errors: 0, eventsSent: 0 });
      expect(await h.bot.pollNow()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      expect(esb.requestCount('get_job_instance_log')).toBe(10);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('expires after WATCH_MAX_AGE with a message, and the status message says so', async () => {
    const h = await start({ WATCH_MAX_AGE: '2h' });
    try {
      await watch(h);
      clock += 2 * 3_600_000;
      await h.bot.pollNow();
      const threaded = replies();
      expect(threaded.map(textOf)).toEqual([':hourglass: Watch expired after 2h; run `/joblog watch` again to keep watching.']);
      const [update] = slack.calls('chat.update');
      expect((update!.args.blocks as unknown[])[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: ':eyes: Watch ended: expired after 2h' }] });
      expect(await h.bot.store.listOpenByChannel(CHANNEL)).toEqual([]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('announces nothing when the channel unwatches while a poll is waiting on BlueKing', async () => {
    const h = await start();
    try {
      await watch(h);
      const updatesBefore = slack.calls('chat.update').length;
      failTheJob();
      esb.setLatency(800);
      clock += 30_000;
      const poll = h.bot.pollNow();
      for (let i = 0; i < 500 && esb.requestCount('get_job_instance_log') < 2; i++) await new Promise((r) => setTimeout(r, 5));
      esb.setLatency(0);
      await h.slash(`unwatch ${job.bizId} ${job.jobInstanceId}`, { responseId: 'unwatch' });
      await slack.waitForResponses(1);
      await poll;
      expect(replies()).toHaveLength(0);
      // The only status update is the unwatch's own ("Watch ended: stopped by …").
      const updates = slack.calls('chat.update').slice(updatesBefore);
      expect(updates.map((u) => (u.args.blocks as Array<{ elements?: Array<{ text?: string }> }>)[2]!.elements![0]!.text)).toEqual([`:eyes: Watch ended: stopped by <@${ALICE}>`]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('gives up on an event Slack rejects and still delivers the rest', async () => {
    const h = await start({ WATCH_RESUME_WINDOW: '0' });
    try {
      await watch(h);
      failTheJob();
      slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
      clock += 30_000;
      expect(await h.bot.pollNow()).toMatchObject({ eventsSent: 1 });
      expect(replies().map(textOf)[1]).toMatch(new RegExp(`^<@${ALICE}> :x: Job failed after `));
      expect(await h.bot.store.listOpenByChannel(CHANNEL)).toEqual([]);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('stops notifying after unwatch', async () => {
    const h = await start();
    try {
      await watch(h);
      const ack = await h.slash(`unwatch ${job.bizId} ${job.jobInstanceId}`, { responseId: 'unwatch' });
      expect(ack.status).toBe(200);
      const [answer] = await slack.waitForResponses(1);
      expect(answer!.body).toMatchObject({ response_type: 'ephemeral', text: `Stopped watching Job ${job.jobInstanceId} (biz ${job.bizId}).` });
      await slack.waitFor('chat.update');
      failTheJob();
      clock += 30_000;
      expect(await h.bot.pollNow()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      expect(replies()).toHaveLength(0);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('does not duplicate a watch, and lists the channel watches', async () => {
    const h = await start();
    try {
      await watch(h);
      await h.slash(`watch ${job.bizId} ${job.jobInstanceId}`, { userId: 'U0BOB0001', responseId: 'dup' });
      const [dup] = await slack.waitForResponses(1);
      expect(dup!.body).toMatchObject({ response_type: 'ephemeral', text: `This channel already watches that job (since <@${ALICE}> subscribed it).` });
      expect(posts()).toHaveLength(1);

      clock += 2 * 3_600_000;
      await h.slash('list', { responseId: 'list' });
      const listed = await slack.waitForResponses(2);
      expect(listed[1]!.body).toMatchObject({
        response_type: 'ephemeral',
        text: `*1 watch in this channel*\n• Job ${job.jobInstanceId} (biz ${job.bizId}) · :hourglass_flowing_sand: running · by <@${ALICE}> 2h ago · on failures, steps waiting for confirmation and the result`,
      });
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('refuses a job that already finished (following retries off) and a channel over its limit', async () => {
    const h = await start({ WATCH_MAX_PER_CHANNEL: '1', WATCH_RESUME_WINDOW: '0' });
    try {
      const done = failedJob();
      esb.setJob(done);
      await h.slash(`watch ${done.bizId} ${done.jobInstanceId}`, { responseId: 'finished' });
      const answers = await slack.waitForResponses(2);
      expect(answers[1]!.body).toMatchObject({ response_type: 'ephemeral', text: 'That job has already failed; there is nothing left to watch.' });
      expect(await h.bot.store.listOpenByChannel(CHANNEL)).toEqual([]);
      slack.reset();

      await watch(h);
      const other = runningJob({ jobInstanceId: job.jobInstanceId + 1 });
      esb.setJob(other);
      await h.slash(`watch ${other.bizId} ${other.jobInstanceId}`, { responseId: 'limit' });
      const [limit] = await slack.waitForResponses(1);
      expect(limit!.body).toMatchObject({ text: 'This channel already has 1 active watches (WATCH_MAX_PER_CHANNEL). Stop one with `/joblog unwatch` first.' });
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('backs off on BlueKing errors, keeps state, and after WATCH_MAX_ERRORS tells the channel once and pauses', async () => {
    const h = await start();
    try {
      await watch(h);
      esb.failNext(10, 'http500');
      for (let tick = 0; tick < 3; tick++) {
        clock += 16 * 60_000; // past the longest backoff
        const report = await h.bot.pollNow();
        expect(report).toMatchObject({ polled: 1, errors: 1 });
      }
      expect(await (await fetch(`${h.appUrl}/metrics`)).text()).toMatch(/^joblog_poll_errors_total\{kind="http"\} 3$/m);
      const threaded = replies();
      expect(threaded).toHaveLength(1);
      expect(textOf(threaded[0]!)).toBe(`<@${ALICE}> :double_vertical_bar: Watch paused: 3 polls in a row failed (last: BlueKing JOB answered HTTP 500). Run \`/joblog watch\` again to resume.`);
      clock += 16 * 60_000;
      expect(await h.bot.pollNow()).toMatchObject({ claimed: 0 });
      const [paused] = await h.bot.store.listOpenByChannel(CHANNEL);
      expect(paused).toMatchObject({ status: 'paused', consecutiveErrors: 3 });
      expect(paused!.snapshot?.state).toBe('running');

      // "Run /joblog watch again to resume": the same watch, active again, its state kept.
      esb.reset();
      esb.setJob(runningJob());
      await h.slash(`watch ${job.bizId} ${job.jobInstanceId}`, { responseId: 'resume' });
      const [resumed] = await slack.waitForResponses(1);
      expect(resumed!.body).toMatchObject({ response_type: 'ephemeral', text: `:eyes: Watching Job ${job.jobInstanceId} (biz ${job.bizId}) again; the paused watch is active.` });
      expect(await h.bot.store.get(paused!.id)).toMatchObject({ status: 'active', consecutiveErrors: 0, lastError: null });
      failTheJob();
      clock += 30_000;
      expect(await h.bot.pollNow()).toMatchObject({ polled: 1, eventsSent: 2 });
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('pauses the watch and tells the subscriber by DM when the bot loses the channel', async () => {
    const h = await start();
    try {
      await watch(h);
      failTheJob();
      slack.failNext('chat.update', { error: 'channel_not_found' });
      clock += 30_000;
      await h.bot.pollNow();
      const dm = posts().find((c) => String(c.args.channel).startsWith('D'));
      expect(dm).toBeDefined();
      expect(textOf(dm!)).toBe(`I lost access to <#${CHANNEL}>, so your joblog watch there is paused. Invite me back with \`/invite @joblog\` and run \`/joblog watch\` again.`);
      const [paused] = await h.bot.store.listOpenByChannel(CHANNEL);
      expect(paused).toMatchObject({ status: 'paused' });
    } finally {
      await h.stop({ keepFakes: true });
    }
  });
});
