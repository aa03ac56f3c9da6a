/**
 * End to end: acting on a job from Slack (issue 14) against the real app and the fakes. The
 * buttons on a `/joblog` summary, a click as the clicker's own BlueKing user, one operation per
 * click whoever clicks, the result line in the summary's thread, the watch that follows it, and
 * the refusals: BlueKing's (1244016, 1241003) and the channel policy's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeSlackMessage } from '../../dev/fakeSlack';
import { finishRetry } from '../../dev/fakeOperate';
import type { BlockActionElementType } from '../../dev/slackRequests';
import type { FakeJobDef } from '../../dev/fakeJobs';
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, retriedStep, runningJob, waitingForUserJob } from '../../dev/scenarios';
import { messageText, responseTo, useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const CHANNEL = 'C0OPS0001';
const OFF_CHANNEL = 'C0NOACT01';
const ALICE_ONLY = 'C0ALICE01';
const RELOAD_STEP = 2003771002;
const CONFIRM_STEP = 2003775002;

const { slack, esb } = useFakes();
let dir: string;
let mapFile: string;
let policyFile: string;
let clock: number;

interface Element {
  readonly type: string;
  readonly action_id?: string;
  readonly value?: string;
  readonly options?: ReadonlyArray<{ readonly value: string; readonly text: { readonly text: string } }>;
}
interface Block {
  readonly type: string;
  readonly block_id?: string;
  readonly elements?: readonly Element[];
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-operations-'));
  mapFile = join(dir, 'users.yml');
  writeFileSync(mapFile, `users:\n  ${ALICE}: alice\n  ${BOB}: bob\n`);
  policyFile = join(dir, 'policy.yml');
  writeFileSync(policyFile, `default: allow\nchannels:\n  ${OFF_CHANNEL}:\n    actions: off\n  ${ALICE_ONLY}:\n    actions: [${ALICE}]\n`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  clock = Date.now();
});

/** A bot speaking v3 (operations are v3/v4 only), everyone acting as their own BlueKing user. */
function start(env: Record<string, string> = {}): Promise<Harness> {
  return startHarness({ slack, esb, env: { BK_JOB_API_VERSION: 'v3', BK_USER_MAPPING: 'file', BK_USER_MAP_FILE: mapFile, ...env }, overrides: { now: () => clock } });
}

async function withBot(env: Record<string, string>, body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await start(env);
  try {
    await body(h);
  } finally {
    // A click's work goes on after its ack (the watch that follows the job): let it end here,
    // not in the next test's fakes.
    await quiet();
    await h.stop({ keepFakes: true });
  }
}

/** Resolves once the fake Slack has heard nothing new for 200 ms. */
async function quiet(): Promise<void> {
  const heard = () => slack.calls().length + slack.responses().length;
  for (let last = -1, i = 0; i < 50 && heard() !== last; i++) {
    last = heard();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Resolves once `probe` holds, checking every 10 ms for at most 5 s. */
async function eventually(probe: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what} not met within 5 s`);
}



/** `/joblog <biz> <job>` in `channel`; the summary message the channel got. */
async function summaryOf(h: Harness, def: FakeJobDef, channelId = CHANNEL, userId = ALICE): Promise<FakeSlackMessage> {
  const before = slack.messages(channelId).length;
  await h.slash(`${def.bizId} ${def.jobInstanceId}`, { userId, channelId });
  // The summary, not a thread line or a watch's message still arriving from an earlier click.
  const isSummary = (m: FakeSlackMessage) => m.threadTs === undefined && (m.blocks as Block[]).some((b) => b.type === 'header') && !(m.blocks as Block[]).some((b) => b.type === 'context' && JSON.stringify(b).includes('Watched by'));
  await eventually(() => slack.messages(channelId).slice(before).some(isSummary), 'the summary');
  return slack.messages(channelId).slice(before).find(isSummary)!;
}

function opsBlock(message: FakeSlackMessage): Block | undefined {
  return (message.blocks as Block[]).find((b) => b.type === 'actions' && b.block_id?.startsWith('joblog_ops:'));
}

function button(message: FakeSlackMessage, actionId: string): Element {
  const found = opsBlock(message)?.elements?.find((e) => e.action_id === actionId);
  if (!found) throw new Error(`no ${actionId} on the summary: ${JSON.stringify(message.blocks)}`);
  return found;
}

/** Clicks an operation button of `message` as `userId`, as Slack sends it (with the message). */
function click(h: Harness, message: FakeSlackMessage, actionId: string, userId: string, responseId: string) {
  const b = button(message, actionId);
  return h.click({ actionId, value: b.value, blockId: opsBlock(message)!.block_id, userId, channelId: message.channel, messageTs: message.ts, message: { text: message.text, blocks: message.blocks as unknown[] }, responseId });
}

/** Replies in a message's thread. */
function threadOf(message: FakeSlackMessage) {
  return slack.calls('chat.postMessage').filter((c) => c.args.channel === message.channel && c.args.thread_ts === message.ts);
}

async function auditRows(h: Harness, atLeast: number) {
  let rows: Awaited<ReturnType<Harness['bot']['store']['listAudit']>> = [];
  await eventually(async () => {
    rows = (await h.bot.store.listAudit({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 })).filter((r) => r.action === 'operate');
    return rows.length >= atLeast;
  }, `${atLeast} operate audit rows`);
  return rows;
}

describe('Retry failed hosts', () => {
  it('one operate_step_instance as the clicker, a line in the thread for everyone, and a watch that follows the retry to success', async () => {
    const failed = failedJob();
    esb.setJob(failed);
    await withBot({}, async (h) => {
      const summary = await summaryOf(h, failed);
      expect(opsBlock(summary)?.elements?.map((e) => e.action_id)).toEqual(['joblog_op:retry_failed', 'joblog_op:retry_all', 'joblog_op:ignore_error']);

      const ack = await click(h, summary, 'joblog_op:retry_failed', ALICE, 'alice');
      expect(ack.status).toBe(200);
      await eventually(() => threadOf(summary).length > 0, 'the line in the thread');
      expect(esb.operations()).toEqual([{ api: 'operate_step_instance', jobInstanceId: failed.jobInstanceId, stepInstanceId: RELOAD_STEP, code: 2, username: 'alice' }]);
      const [line] = threadOf(summary);
      expect(String(line!.args.text)).toBe(`:repeat: <@${ALICE}> retried the 3 failed hosts of step 2.`);
      expect(String(line!.args.reply_broadcast)).toBe('true');
      // The fake retried it: execute count + 1, step running, the job running again.
      expect(esb.job(failed.bizId, failed.jobInstanceId)!.steps[1]).toMatchObject({ status: 2, executeCount: 1 });

      // The channel had no watch on it: one is started for Alice, with its status message.
      await eventually(async () => (await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.ref.jobInstanceId === failed.jobInstanceId && w.statusMessageTs !== null), 'the watch');
      const [watch] = await h.bot.store.listOpenByChannel(CHANNEL);
      expect(watch).toMatchObject({ subscriberId: ALICE, notifyOn: 'failure', bkUsername: 'alice' });
      const status = slack.messages(CHANNEL).find((m) => m.ts === watch!.statusMessageTs);
      expect(status).toBeDefined();

      // The retry succeeds, then the health check: the watch reports how the job ended.
      const def = esb.job(failed.bizId, failed.jobInstanceId)!;
      finishRetry(def, 1, 'succeeded');
      finishRetry(def, 2, 'succeeded');
      clock += 60_000;
      await h.bot.pollNow();
      const watchThread = slack.calls('chat.postMessage').filter((c) => c.args.thread_ts === watch!.statusMessageTs);
      expect(watchThread.map((c) => String(c.args.text))).toEqual([expect.stringMatching(/Job (recovered|succeeded)/)]);
      // Still one operation: following the job asks nothing of BlueKing but reads.
      expect(esb.operations()).toHaveLength(1);
      expect(await auditRows(h, 1)).toEqual([expect.objectContaining({ slackUserId: ALICE, bkUsername: 'alice', channelId: CHANNEL, jobInstanceId: failed.jobInstanceId, action: 'operate', outcome: 'ok' })]);
    });
  });

  it('two people clicking at once cause one call; the other hears who was first', async () => {
    const failed = failedJob();
    esb.setJob(failed);
    await withBot({}, async (h) => {
      const summary = await summaryOf(h, failed);
      await Promise.all([click(h, summary, 'joblog_op:retry_failed', ALICE, 'alice'), click(h, summary, 'joblog_op:retry_failed', BOB, 'bob')]);
      await eventually(() => threadOf(summary).length > 0 && slack.responses().length > 0, 'the line and the refusal');
      expect(esb.operations()).toHaveLength(1);
      const [op] = esb.operations();
      const winner = op!.username === 'alice' ? ALICE : BOB;
      const loser = winner === ALICE ? 'bob' : 'alice';
      expect(op).toMatchObject({ api: 'operate_step_instance', stepInstanceId: RELOAD_STEP, code: 2 });
      const refusal = await responseTo(slack, loser);
      expect(refusal).toMatchObject({ response_type: 'ephemeral' });
      expect(messageText(refusal)).toMatch(new RegExp(`^Already done: <@${winner}> pressed “Retry failed hosts” at .+\\. Nothing was sent again\\.$`));
      expect(threadOf(summary).map((c) => String(c.args.text))).toEqual([`:repeat: <@${winner}> retried the 3 failed hosts of step 2.`]);
      // The same person double-clicking is refused the same way.
      await click(h, summary, 'joblog_op:retry_failed', winner, 'again');
      expect(messageText(await responseTo(slack, 'again'))).toContain(`Already done: <@${winner}> pressed “Retry failed hosts”`);
      expect(esb.operations()).toHaveLength(1);
    });
  });

  it('a step someone already retried (1241003): says what the step is now, and nothing is operated', async () => {
    const failed = failedJob();
    esb.setJob(failed);
    await withBot({}, async (h) => {
      const summary = await summaryOf(h, failed);
      // Retried meanwhile in the JOB console: the step runs its next execution.
      esb.setJob(retriedStep(failed, 1, 'running', clock));
      await click(h, summary, 'joblog_op:retry_failed', ALICE, 'late');
      const refusal = await responseTo(slack, 'late');
      expect(refusal).toMatchObject({ response_type: 'ephemeral' });
      expect(messageText(refusal)).toMatch(/^JOB no longer allows that: step 2 · Reload nginx is now Running\./);
      expect(esb.operations()).toEqual([]);
      expect(threadOf(summary)).toEqual([]);
      expect(await auditRows(h, 1)).toEqual([expect.objectContaining({ slackUserId: ALICE, action: 'operate', outcome: 'refused', detail: `retry_failed (2) step ${RELOAD_STEP} run 0: BlueKing 1241003` })]);
    });
  });
});

describe('a waiting confirmation', () => {
  it('a non-confirmer hears 1244016 and the claim is released, so a confirmer’s click goes through and the job runs on', async () => {
    const waiting = waitingForUserJob();
    waiting.steps[1]!.confirmRoles = { bk_biz_maintainer: ['bob'] };
    esb.setJob(waiting);
    await withBot({}, async (h) => {
      const summary = await summaryOf(h, waiting);
      expect(opsBlock(summary)?.elements?.map((e) => e.action_id ?? e.type)).toEqual(['joblog_op:confirm', 'joblog_op:terminate_confirmation', 'joblog_job_menu']);

      await click(h, summary, 'joblog_op:confirm', ALICE, 'alice');
      const refusal = await responseTo(slack, 'alice');
      expect(refusal).toMatchObject({ response_type: 'ephemeral' });
      expect(messageText(refusal)).toBe('Only the confirmers of this step may confirm or terminate it, and your BlueKing user `alice` is not one of them. Ask a confirmer, or the job\'s owner to add you.');
      expect(esb.operations()).toEqual([]);
      expect(esb.job(waiting.bizId, waiting.jobInstanceId)!.steps[1]!.status).toBe(7);

      // Bob is a confirmer: the same button (same key) works for him.
      await click(h, summary, 'joblog_op:confirm', BOB, 'bob');
      await eventually(() => threadOf(summary).length > 0, 'the line in the thread');
      expect(esb.operations()).toEqual([{ api: 'operate_step_instance', jobInstanceId: waiting.jobInstanceId, stepInstanceId: CONFIRM_STEP, code: 6, username: 'bob' }]);
      expect(threadOf(summary).map((c) => String(c.args.text))).toEqual([`:white_check_mark: <@${BOB}> confirmed step 2; the job goes on.`]);
      const after = esb.job(waiting.bizId, waiting.jobInstanceId)!;
      expect(after.steps.map((s) => s.status)).toEqual([3, 3, 2]);
      expect(slack.responses().map((r) => r.id)).toEqual(['alice']);
    });
  });

  it('with no confirm roles anyone JOB allows may confirm: the job goes on', async () => {
    const waiting = waitingForUserJob();
    esb.setJob(waiting);
    await withBot({}, async (h) => {
      const summary = await summaryOf(h, waiting);
      await click(h, summary, 'joblog_op:confirm', ALICE, 'alice');
      await eventually(() => esb.operations().length > 0, 'the operation');
      expect(esb.operations()).toEqual([{ api: 'operate_step_instance', jobInstanceId: waiting.jobInstanceId, stepInstanceId: CONFIRM_STEP, code: 6, username: 'alice' }]);
      expect(esb.job(waiting.bizId, waiting.jobInstanceId)!.steps[2]!.status).toBe(2);
    });
  });
});

describe('Terminate job', () => {
  it('from the overflow of a running job: operate_job_instance code 1 as the clicker', async () => {
    const running = runningJob();
    esb.setJob(running);
    await withBot({}, async (h) => {
      const summary = await summaryOf(h, running);
      const ops = opsBlock(summary)!;
      expect(ops.elements!.map((e) => e.type)).toEqual(['overflow']);
      const menu = ops.elements![0]!;
      expect(menu.action_id).toBe('joblog_job_menu');
      const option = menu.options![0]!;
      expect(option.text.text).toBe('Terminate job');
      // dev/slackRequests.ts types only buttons and selects; an overflow's payload has the same shape as a select's.
      await h.click({ actionId: 'joblog_job_menu', type: 'overflow' as BlockActionElementType, selectedValue: option.value, selectedText: option.text.text, blockId: ops.block_id, userId: ALICE, channelId: CHANNEL, messageTs: summary.ts, message: { blocks: summary.blocks as unknown[] }, responseId: 'stop' });
      await eventually(() => threadOf(summary).length > 0, 'the line in the thread');
      expect(esb.operations()).toEqual([{ api: 'operate_job_instance', jobInstanceId: running.jobInstanceId, stepInstanceId: null, code: 1, username: 'alice' }]);
      expect(threadOf(summary).map((c) => String(c.args.text))).toEqual([`:octagonal_sign: <@${ALICE}> terminated the job.`]);
      expect(esb.job(running.bizId, running.jobInstanceId)!.steps[0]!.status).toBe(11);
      // The stopped job can be retried: the channel follows it from here.
      await eventually(async () => (await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.ref.jobInstanceId === running.jobInstanceId && w.statusMessageTs !== null), 'the watch');
    });
  });
});

describe('the same operation again, later in the same step run', () => {
  /** Terminates `def` through its summary's overflow menu as Alice; resolves once the click is answered one way or the other. */
  async function terminate(h: Harness, def: FakeJobDef, responseId: string): Promise<void> {
    const summary = await summaryOf(h, def);
    const ops = opsBlock(summary)!;
    const option = ops.elements!.find((e) => e.type === 'overflow')!.options![0]!;
    await h.click({ actionId: 'joblog_job_menu', type: 'overflow' as BlockActionElementType, selectedValue: option.value, blockId: ops.block_id, userId: ALICE, channelId: CHANNEL, messageTs: summary.ts, message: { blocks: summary.blocks as unknown[] }, responseId });
    await eventually(() => threadOf(summary).length > 0 || slack.responses().some((r) => r.id === responseId), `the answer to ${responseId}`);
  }

  // Operations that do not raise the execute count (Next step, Continue rolling between batches,
  // Restart confirmation) can make the same operation right again under the same key: a claim
  // holds for OPERATION_HOLD_MS (double clicks, simultaneous presses), then JOB judges anew.
  it('terminate, Next step, terminate again a minute later: two operate_job_instance calls', async () => {
    const running = runningJob();
    esb.setJob(running);
    await withBot({}, async (h) => {
      await terminate(h, running, 'first');
      expect(esb.job(running.bizId, running.jobInstanceId)!.steps[0]!.status).toBe(11);
      // Stopped: Alice goes on with the next step (the execute counts do not change).
      const stopped = await summaryOf(h, running);
      await click(h, stopped, 'joblog_op:next_step', ALICE, 'next');
      await eventually(() => esb.operations().length === 2, 'Next step');
      expect(esb.job(running.bizId, running.jobInstanceId)!.steps[1]!.status).toBe(2);
      // Running again, a minute on: terminating it is a new operation.
      clock += 61_000;
      await terminate(h, running, 'second');
      expect(slack.responses().filter((r) => r.id === 'second').map((r) => messageText(r.body))).toEqual([]);
      expect(esb.operations().map((o) => [o.api, o.code])).toEqual([
        ['operate_job_instance', 1],
        ['operate_step_instance', 11],
        ['operate_job_instance', 1],
      ]);
    });
  });
});

describe('the channel policy decides who may act', () => {
  it('`actions: off`: a private refusal, no call, an audit row', async () => {
    const failed = failedJob();
    esb.setJob(failed);
    await withBot({ CHANNEL_POLICY_FILE: policyFile }, async (h) => {
      const summary = await summaryOf(h, failed, OFF_CHANNEL);
      // The buttons are still rendered (Slack shows them to everyone); the click is refused.
      await click(h, summary, 'joblog_op:retry_failed', ALICE, 'off');
      const refusal = await responseTo(slack, 'off');
      expect(refusal).toMatchObject({ response_type: 'ephemeral' });
      expect(messageText(refusal)).toBe('Operating jobs from Slack is turned off in this channel. Use the JOB console, or a direct message with me.');
      expect(esb.operations()).toEqual([]);
      expect(esb.requestsTo('operate_step_instance')).toBe(0);
      expect(threadOf(summary)).toEqual([]);
      const rows = await auditRows(h, 1);
      expect(rows).toEqual([expect.objectContaining({ slackUserId: ALICE, channelId: OFF_CHANNEL, bizId: failed.bizId, jobInstanceId: failed.jobInstanceId, action: 'operate', outcome: 'refused' })]);
      expect(rows[0]!.detail).toMatch(/actions_off/);
    });
  });

  it('`actions: [U0ALICE01]`: Bob is refused, Alice may', async () => {
    const failed = failedJob();
    esb.setJob(failed);
    await withBot({ CHANNEL_POLICY_FILE: policyFile }, async (h) => {
      const summary = await summaryOf(h, failed, ALICE_ONLY);
      await click(h, summary, 'joblog_op:retry_failed', BOB, 'bob');
      const refusal = await responseTo(slack, 'bob');
      expect(refusal).toMatchObject({ response_type: 'ephemeral' });
      expect(messageText(refusal)).toBe('You are not among the people allowed to act on jobs from this channel. Ask one of them, or use the JOB console.');
      expect(esb.operations()).toEqual([]);

      await click(h, summary, 'joblog_op:retry_failed', ALICE, 'alice');
      await eventually(() => threadOf(summary).length > 0, 'the line in the thread');
      expect(esb.operations()).toEqual([{ api: 'operate_step_instance', jobInstanceId: failed.jobInstanceId, stepInstanceId: RELOAD_STEP, code: 2, username: 'alice' }]);
      const rows = await auditRows(h, 2);
      expect(rows.map((r) => [r.slackUserId, r.outcome]).reverse()).toEqual([
        [BOB, 'refused'],
        [ALICE, 'ok'],
      ]);
    });
  });
});

it('with BK_JOB_API_VERSION v2 (the default) the summary has no operation buttons', async () => {
  const failed = failedJob();
  esb.setJob(failed);
  const h = await startHarness({ slack, esb, env: { BK_USER_MAPPING: 'file', BK_USER_MAP_FILE: mapFile } });
  try {
    const summary = await summaryOf(h, failed);
    expect(opsBlock(summary)).toBeUndefined();
    expect(JSON.stringify(summary.blocks)).not.toContain('joblog_op');
    expect(JSON.stringify(summary.blocks)).not.toContain('joblog_job_menu');
  } finally {
    await h.stop({ keepFakes: true });
  }
});
