/**
 * Issue 17 end to end: a burst of signed `/joblog` commands against a slow BlueKing (a few
 * requests at a time, each taking its latency) must not delay the poller's ping of a watched job
 * that fails meanwhile. People have their own BlueKing budget (BK_PEOPLE_CONCURRENCY) with a
 * bounded line (BK_PEOPLE_QUEUE): those waiting are told "waits its turn (N waiting)", those past the line
 * "busy", and every command is answered.
 */
import { type Harness, startHarness } from '../../dev/harness';
import { failStep, failedJob, runningJob } from '../../dev/scenarios';
import type { SlackCall, SlackResponsePost } from '../../dev/fakeSlack';
import { useFakes } from '../helpers/fakes';

const WATCH_CHANNEL = 'C0OPS0001';
const BURST_CHANNEL = 'C0BURST01';
const watched = runningJob();
const looked = failedJob();
/** A slow BlueKing: this many requests worked on at once, each taking LATENCY_MS. */
const CAPACITY = 8;
const LATENCY_MS = 400;
const BURST = 80;
/** The ping must come within this of the poll starting: one BlueKing latency to wait for a slot, one for the call, and room. */
const PING_BOUND_MS = 2000;
const V2_API = 'get_job_instance_log';

const { slack, esb } = useFakes();
let clock: number;

beforeEach(() => {
  esb.setJob(watched);
  esb.setJob(looked);
  clock = Date.UTC(2024, 5, 11, 3, 5);
});

/** Resolves once `probe` holds, checking every 10 ms for at most `timeoutMs`. */
async function eventually(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function start(env: Record<string, string>): Promise<Harness> {
  return startHarness({ slack, esb, env: { WATCH_RESUME_WINDOW: '0', ...env }, overrides: { now: () => clock } });
}

/** `/joblog watch` in WATCH_CHANNEL while BlueKing is still quick; resolves once the watch is stored. */
async function watchTheJob(h: Harness): Promise<void> {
  expect((await h.slash(`watch ${watched.bizId} ${watched.jobInstanceId}`, { channelId: WATCH_CHANNEL, responseId: 'watch' })).status).toBe(200);
  await eventually(async () => (await h.bot.store.listOpenByChannel(WATCH_CHANNEL)).some((w) => w.statusMessageTs !== null), 'the watch is stored');
}

const isPing = (call: SlackCall) => call.method === 'chat.postMessage' && call.args.channel === WATCH_CHANNEL && call.args.thread_ts !== undefined && String(call.args.text).includes(':x: Step 1 *Backup data dir* failed');
const summaries = () => slack.calls('chat.postMessage').filter((c) => c.args.channel === BURST_CHANNEL);
const burstResponses = () => slack.responses().filter((r) => r.id.startsWith('burst-'));
const textOfResponse = (post: SlackResponsePost) => String((post.body as { text?: unknown }).text);

const QUEUED = /^BlueKing JOB is slow right now: your request waits its turn \((\d+) waiting\)\.$/;
const BUSY_TEXT = `:warning: Could not load job instance ${looked.jobInstanceId} in business 3. BlueKing JOB is busy answering other people's requests.`;

interface BurstResult {
  /** From the poll's start (right after the job failed) to the failure ping in fake Slack. */
  readonly pingDelayMs: number;
  readonly queuedNotes: readonly SlackResponsePost[];
  readonly busyReplies: readonly SlackResponsePost[];
  readonly summariesPosted: number;
}

/**
 * The scenario: a watch, then BlueKing turns slow, BURST commands arrive at once, the watched job
 * fails while they are being answered, and a poll runs. Waits until every command is answered.
 */
async function burst(h: Harness): Promise<BurstResult> {
  await watchTheJob(h);
  esb.setLatency(LATENCY_MS);
  esb.setCapacity(CAPACITY);
  const before = esb.requestsTo(V2_API);
  const acks = await Promise.all(Array.from({ length: BURST }, (_, i) => h.slash(`${looked.bizId} ${looked.jobInstanceId}`, { channelId: BURST_CHANNEL, userId: `U0BURST${String(i).padStart(3, '0')}`, responseId: `burst-${i}` })));
  expect(acks.every((a) => a.status === 200)).toBe(true);
  // BlueKing is busy with the commands: every one of its slots taken.
  await eventually(() => esb.requestsTo(V2_API) - before >= CAPACITY, 'BlueKing busy with the burst');

  esb.updateJob(watched.bizId, watched.jobInstanceId, (def) => failStep(def, 0, [2, 4], 3));
  clock += 30_000;
  const pollStarted = Date.now();
  const poll = h.bot.pollNow();
  await eventually(() => slack.calls().some(isPing), 'the failure ping', 20_000);
  const pingDelayMs = slack.calls().find(isPing)!.at - pollStarted;
  expect(await poll).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 2 });

  // Every command is answered: its summary in the channel, or a private "busy".
  const busy = () => burstResponses().filter((r) => textOfResponse(r) === BUSY_TEXT);
  await eventually(() => summaries().length + busy().length === BURST, 'every command answered', 20_000);
  return { pingDelayMs, queuedNotes: burstResponses().filter((r) => QUEUED.test(textOfResponse(r))), busyReplies: busy(), summariesPosted: summaries().length };
}

describe('a burst of /joblog commands against a slow BlueKing (issue 17)', () => {
  it('leaves the poller its own budget: the failure ping comes within one BlueKing round, and waiting people are told how many wait', async () => {
    const h = await start({ BK_PEOPLE_CONCURRENCY: String(CAPACITY), BK_PEOPLE_QUEUE: String(BURST) });
    try {
      const result = await burst(h);
      console.log(`with the lanes: ping after ${result.pingDelayMs} ms; ${result.queuedNotes.length} of ${BURST} commands told they were queued, ${result.busyReplies.length} busy`);
      expect(result.pingDelayMs).toBeLessThan(PING_BOUND_MS);
      // The line held them all: none refused, every summary posted.
      expect(result.busyReplies).toHaveLength(0);
      expect(result.summariesPosted).toBe(BURST);
      // Those that found others waiting heard so at once, in these exact words, before their summary.
      expect(result.queuedNotes.length).toBeGreaterThan(BURST / 2);
      for (const note of result.queuedNotes) {
        const waiting = Number(QUEUED.exec(textOfResponse(note))![1]);
        expect(waiting).toBeGreaterThanOrEqual(1);
        expect(waiting).toBeLessThan(BURST);
        expect(note.body).toEqual(expect.objectContaining({ response_type: 'ephemeral', text: `BlueKing JOB is slow right now: your request waits its turn (${waiting} waiting).` }));
      }
      // Never more than the people's budget at BlueKing at once: the rest waited in the bot, not in BlueKing.
      expect(esb.waitingForCapacity()).toBe(0);
    } finally {
      await h.stop({ keepFakes: true });
    }
  }, 30_000);

  it('answers commands past the waiting line at once with "busy", and still answers every command', async () => {
    const h = await start({ BK_PEOPLE_CONCURRENCY: String(CAPACITY), BK_PEOPLE_QUEUE: '10' });
    try {
      const result = await burst(h);
      console.log(`with a line of 10: ping after ${result.pingDelayMs} ms; ${result.queuedNotes.length} queued, ${result.busyReplies.length} busy, ${result.summariesPosted} summaries`);
      expect(result.pingDelayMs).toBeLessThan(PING_BOUND_MS);
      expect(result.busyReplies.length).toBeGreaterThan(0);
      expect(result.summariesPosted).toBeGreaterThanOrEqual(CAPACITY + 10);
      const [busy] = result.busyReplies;
      expect(busy!.body).toEqual(expect.objectContaining({ response_type: 'ephemeral', text: BUSY_TEXT }));
      const blockTexts = ((busy!.body as { blocks: Array<{ text?: { text?: string } }> }).blocks ?? []).map((b) => b.text?.text ?? '').join('\n');
      expect(blockTexts).toContain("BlueKing JOB is busy answering other people's requests.");
      expect(blockTexts).toContain('This is usually temporary; try again in a minute.');
      // No command gets both a summary and "busy", nor two answers.
      expect(new Set(result.busyReplies.map((r) => r.id)).size).toBe(result.busyReplies.length);
    } finally {
      await h.stop({ keepFakes: true });
    }
  }, 30_000);

  it('(contrast) with a people budget as large as the burst, as before issue 17, the ping waits behind the commands', async () => {
    const h = await start({ BK_PEOPLE_CONCURRENCY: '256', BK_PEOPLE_QUEUE: '1000' });
    try {
      const result = await burst(h);
      console.log(`without a people budget: ping after ${result.pingDelayMs} ms`);
      expect(result.pingDelayMs).toBeGreaterThan(PING_BOUND_MS);
      expect(result.summariesPosted).toBe(BURST);
    } finally {
      await h.stop({ keepFakes: true });
    }
  }, 30_000);
});
