/**
 * End to end: JOB's statuses as its source has them (bkjob-source-facts ). A rolling
 * step waiting for its next batch (15) is automatic and pings nobody; a manual rolling pause (7 on
 * a script step) asks to continue rolling; a confirmation step (7 on type 3) asks to confirm or
 * terminate, and when terminated (13) the watch follows it for a restart of the confirmation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import type { FakeJobDef } from '../../dev/fakeJobs';
import { runningJob, waitingForUserJob } from '../../dev/scenarios';
import type { SlackCall } from '../../dev/fakeSlack';
import { useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0OPS0001';
const { slack, esb } = useFakes();
let dir: string;
let clock: number;
let h: Harness | undefined;

const replies = () => slack.calls('chat.postMessage').filter((c) => c.args.thread_ts !== undefined);
const textOf = (call: SlackCall) => String(call.args.text);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-statuses-'));
  clock = Date.UTC(2024, 5, 12, 8, 30);
});

afterEach(async () => {
  await h?.stop({ keepFakes: true });
  h = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function watching(def: FakeJobDef): Promise<Harness> {
  esb.setJob(def);
  h = await startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, BK_JOB_API_VERSION: 'v3' }, overrides: { now: () => clock } });
  await h.slash(`watch ${def.bizId} ${def.jobInstanceId}`);
  await slack.waitFor('chat.postMessage');
  for (let i = 0; i < 500 && !(await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null); i++) await new Promise((r) => setTimeout(r, 10));
  return h;
}

async function tick(bot: Harness): Promise<void> {
  clock += 30_000;
  await bot.bot.pollNow();
}

/** The running job's first step as a rolling script step at `status`, the job as JOB reports it. */
function rolling(status: number, jobStatus: number): FakeJobDef {
  const job = runningJob();
  return { ...job, status: jobStatus, steps: job.steps.map((s, i) => (i === 0 ? { ...s, status, type: 1 } : s)) };
}

describe('rolling steps', () => {
  it('15 (next batch) is automatic: shown running, nobody pinged; 7 on a script step is a manual pause that asks to continue rolling', async () => {
    const bot = await watching(rolling(2, 2));
    esb.setJob(rolling(15, 2));
    await tick(bot);
    expect(replies()).toEqual([]);
    expect((await bot.bot.store.listOpenByChannel(CHANNEL))[0]!.snapshot?.state).toBe('running');

    esb.setJob(rolling(7, 7));
    await tick(bot);
    expect(replies().map(textOf)).toEqual([
      `<@${ALICE}> :raised_hand: Step 1 *${runningJob().steps[0]!.name}* is paused between rolling batches (manual rolling). Continue rolling in the JOB console when the last batch looks right.`,
    ]);
  });
});

describe('confirmation steps', () => {
  it('7 on a confirmation step asks to confirm or terminate; 13 (confirmation terminated) is followed for a restart, and the restart succeeding is a recovery', async () => {
    const waiting = waitingForUserJob();
    const before = { ...waiting, steps: waiting.steps.map((s, i) => (i === 0 ? s : { ...s, status: i === 1 ? 2 : 1 })) };
    const bot = await watching(before);
    esb.setJob(waiting);
    await tick(bot);
    expect(replies().map(textOf)).toEqual([`<@${ALICE}> :raised_hand: Step 2 *Confirm migration window* is waiting for confirmation. Confirm or terminate it in the JOB console.`]);

    esb.setJob({ ...waiting, steps: waiting.steps.map((s, i) => (i === 1 ? { ...s, status: 13, endTime: clock } : s)) });
    await tick(bot);
    const [watch] = await bot.bot.store.listOpenByChannel(CHANNEL);
    expect(watch).toMatchObject({ status: 'active', snapshot: { state: 'stopped', hadFailure: true } });
    expect(watch!.snapshot?.followingRetriesUntil).toBe(clock + 24 * 3_600_000);

    // Someone restarts the confirmation and confirms; the job runs to the end.
    esb.setJob({ ...waiting, steps: waiting.steps.map((s) => ({ ...s, status: 3, endTime: clock + 1000 })) });
    await tick(bot);
    expect(replies().map(textOf).slice(1)).toEqual([`<@${ALICE}> :octagonal_sign: Job stopped after 1m 9s`, `<@${ALICE}> :white_check_mark: Job recovered: it succeeded after the failure (took 1m)`]);
  });
});
