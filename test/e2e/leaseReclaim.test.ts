/**
 * A replica restarted after a crash takes back its watches at once (issue 17): the leases its
 * previous process held are freed at start when the replica's name is the same, instead of
 * holding the watches (and their pings) for the rest of the 5-minute lease.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import { failStep, runningJob } from '../../dev/scenarios';
import { useFakes } from '../helpers/fakes';

const CHANNEL = 'C0OPS0001';
const job = runningJob();
const { slack, esb } = useFakes();
let dir: string;
let clock: number;

function start(replicaId: string): Promise<Harness> {
  return startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, REPLICA_ID: replicaId }, overrides: { now: () => clock } });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-reclaim-'));
  clock = Date.UTC(2024, 5, 11, 3, 5);
  esb.setJob(runningJob());
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Watches the job, then leaves it leased to a process of `replicaId` that died mid-poll. */
async function crashedWhilePolling(replicaId: string): Promise<void> {
  const h = await start(replicaId);
  try {
    await h.slash(`watch ${job.bizId} ${job.jobInstanceId}`);
    await slack.waitFor('chat.postMessage');
    for (let i = 0; i < 500 && !(await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null); i++) await new Promise((r) => setTimeout(r, 10));
    clock += 30_000;
    expect(await h.bot.store.claimDue(clock, 10, `r:${replicaId}:deadbeef`, 5 * 60_000)).toHaveLength(1);
  } finally {
    await h.stop({ keepFakes: true });
  }
  esb.updateJob(job.bizId, job.jobInstanceId, (def) => failStep(def, 0, [2], 3));
}

it('the same replica, restarted, pings the failure in its first cycle', async () => {
  await crashedWhilePolling('joblog-0');
  const h = await start('joblog-0');
  try {
    clock += 1000;
    expect(await h.bot.pollNow()).toMatchObject({ claimed: 1, polled: 1 });
    expect(slack.calls('chat.postMessage').filter((c) => c.args.thread_ts !== undefined).map((c) => String(c.args.text))).toEqual([expect.stringContaining('failed on 1 of 5 hosts'), expect.stringContaining('Job failed after')]);
  } finally {
    await h.stop({ keepFakes: true });
  }
});

it('another replica leaves the lease alone until it expires', async () => {
  await crashedWhilePolling('joblog-0');
  const h = await start('joblog-1');
  try {
    clock += 1000;
    expect(await h.bot.pollNow()).toMatchObject({ claimed: 0 });
    clock += 5 * 60_000;
    expect(await h.bot.pollNow()).toMatchObject({ claimed: 1, polled: 1 });
  } finally {
    await h.stop({ keepFakes: true });
  }
});
