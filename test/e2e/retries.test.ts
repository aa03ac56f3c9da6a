/**
 * End to end: "finished" is not final (bkjob-source-facts A-3). A failed job can be retried on
 * the same instance; the watch follows it for WATCH_RESUME_WINDOW, reports the retry's result
 * once (across a restart too), announces a recovery, and ends on success or when the window closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, retriedStep } from '../../dev/scenarios';
import type { SlackCall } from '../../dev/fakeSlack';
import { useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const MINUTE = 60_000;
const failed = failedJob();

const { slack, esb } = useFakes();
let dir: string;
let clock: number;

async function start(): Promise<Harness> {
  return startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, BK_JOB_API_VERSION: 'v3' }, overrides: { now: () => clock } });
}

const replies = () => slack.calls('chat.postMessage').filter((c) => c.args.thread_ts !== undefined);
const textOf = (call: SlackCall) => String(call.args.text);
const statusNote = (call: SlackCall) => JSON.stringify(call.args.blocks);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-retries-'));
  clock = Date.UTC(2024, 5, 11, 3, 0);
  esb.setJob(failed);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function watchFailedJob(h: Harness): Promise<void> {
  await h.slash(`watch ${failed.bizId} ${failed.jobInstanceId}`);
  await slack.waitFor('chat.postMessage');
  for (let i = 0; i < 500 && !(await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null); i++) await new Promise((r) => setTimeout(r, 10));
}

async function tick(h: Harness, ms = 30_000): Promise<void> {
  clock += ms;
  await h.bot.pollNow();
}

describe('a watch on a failed job follows its retry', () => {
  it('is accepted on a failed job, says it follows retries, and reports the retry failing again and then the recovery, once each across a restart', async () => {
    let h = await start();
    try {
      await watchFailedJob(h);
      const [watch] = await h.bot.store.listOpenByChannel(CHANNEL);
      expect(watch).toMatchObject({ status: 'active', snapshot: { state: 'failed', hadFailure: true, followingRetriesUntil: clock + 24 * 60 * MINUTE } });
      expect(statusNote(slack.calls('chat.postMessage')[0]!)).toContain(`:eyes: Watched by <@${ALICE}> · following retries on this job until`);

      // Quiet while nobody retries: no events.
      await tick(h);
      expect(replies()).toHaveLength(0);

      // Someone retries step 2 in the JOB console: it runs, then fails again.
      esb.setJob(retriedStep(failed, 1, 'running', clock));
      await tick(h);
      expect(replies()).toHaveLength(0);
      esb.setJob(retriedStep(failed, 1, 'failed', clock));
      await tick(h);
      expect(replies().map(textOf)).toEqual([
        expect.stringMatching(new RegExp(`^<@${ALICE}> :x: Step 2 \\*Reload nginx\\* failed on 3 of 8 hosts`)),
        `<@${ALICE}> :x: Job failed after 46m 2s`,
      ]);
      expect(String(replies()[0]!.args.reply_broadcast)).toBe('true');

      // Retried again; the bot restarts while the retry runs.
      esb.setJob(retriedStep(retriedStep(failed, 1, 'failed', clock), 1, 'running', clock));
      await tick(h);
      await h.stop({ keepFakes: true });
      h = await start();
      esb.setJob(retriedStep(retriedStep(failed, 1, 'failed', clock), 1, 'succeeded', clock));
      await tick(h);
      await tick(h);

      const texts = replies().map(textOf);
      expect(texts).toHaveLength(3);
      expect(texts[2]).toBe(`<@${ALICE}> :white_check_mark: Job recovered: it succeeded after the failure (took 47m 5s)`);
      expect(String(replies()[2]!.args.reply_broadcast)).toBe('true');
      const outbox = await h.bot.store.listOutbox(watch!.id);
      expect(outbox.map((e) => e.key)).toEqual(['step_failed:2003771002:1', 'job_finished:failed:1', 'job_recovered:2']);
      expect(await h.bot.store.get(watch!.id)).toMatchObject({ status: 'ended', statusReason: 'the job finished' });
    } finally {
      await h.stop({ keepFakes: true });
    }
  });

  it('polls a job nobody retries at least once a minute for an hour, then every 5 minutes, and ends when the window closes', async () => {
    const h = await start();
    try {
      await watchFailedJob(h);
      const [watch] = await h.bot.store.listOpenByChannel(CHANNEL);
      const startedAt = clock;
      // First hour: at most a minute between polls.
      await tick(h, 61 * MINUTE);
      const early = await h.bot.store.get(watch!.id);
      expect(early!.nextPollAt - clock).toBe(5 * MINUTE);
      await tick(h, 10 * MINUTE);
      expect((await h.bot.store.get(watch!.id))!.nextPollAt - clock).toBe(5 * MINUTE);

      // Listed as following retries meanwhile.
      await h.slash('list', { responseId: 'list' });
      const [listed] = await slack.waitForResponses(1);
      expect(String((listed!.body as { text: string }).text)).toContain(':x: failed, following retries');

      clock = startedAt + 24 * 60 * MINUTE;
      await h.bot.pollNow();
      expect(await h.bot.store.get(watch!.id)).toMatchObject({ status: 'ended', statusReason: 'nobody retried the job within 1d' });
      expect(replies()).toHaveLength(0);
    } finally {
      await h.stop({ keepFakes: true });
    }
  });
});
