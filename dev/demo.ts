/**
 * `npm run demo`: the real bot against a bundled fake BlueKing JOB and a fake Slack, driven through
 * the operator's story with signed requests. Prints what Slack would show and writes each message's
 * Block Kit JSON to demo-output/ (paste into https://app.slack.com/block-kit-builder).
 * Needs no Slack workspace, no BlueKing and no settings.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { blocksToText } from './blockText';
import { FakeBkJob } from './fakeEsb';
import { finishRetry } from './fakeOperate';
import type { SlackCall } from './fakeSlack';
import { FakeSlackApi } from './fakeSlack';
import { type Harness, TEST_SIGNING_SECRET, startHarness } from './harness';
import { eventCallbackBody, postSigned } from './slackRequests';
import { SCENARIO_BIZ_ID, SCENARIO_JOB_IDS, allScenarioJobs, failStep, hugeJob } from './scenarios';

const OUT = resolve(process.argv[2] ?? 'demo-output');
const CHANNEL = 'C0OPS0001';
const ALICE = 'U0ALICE01';
let counter = 0;
/** The scenarios happened in June 2024: the demo's clock stands a few minutes after each. */
let clock = Date.UTC(2024, 5, 11, 3, 6);

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);

function show(title: string, where: string, payload: { text?: unknown; blocks?: unknown }): void {
  counter++;
  const file = `${String(counter).padStart(2, '0')}-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.json`;
  writeFileSync(join(OUT, file), `${JSON.stringify({ blocks: payload.blocks ?? [] }, null, 2)}\n`);
  console.log(`\n${bold(`── ${title}`)} ${dim(`(${where}; Block Kit: demo-output/${file})`)}`);
  const text = blocksToText(payload.blocks);
  console.log(text || (typeof payload.text === 'string' ? payload.text : ''));
}

function step(text: string): void {
  console.log(`\n${bold(`▶ ${text}`)}`);
}

function where(call: SlackCall): string {
  const thread = call.args.thread_ts ? ` thread${String(call.args.reply_broadcast) === 'true' ? ', also sent to the channel' : ''}` : '';
  return `${call.method} in ${String(call.args.channel)}${thread}`;
}

/** Waits for new Slack traffic after an action and shows each message it produced. */
async function showNew(h: Harness, before: { calls: number; responses: number }, title: string, expect: { calls?: number; responses?: number }): Promise<void> {
  if (expect.calls) await h.slack.waitFor((calls) => calls.filter((c) => c.method.startsWith('chat.') || c.method === 'views.publish').length >= before.calls + expect.calls!, 60_000);
  if (expect.responses) await h.slack.waitForResponses(before.responses + expect.responses, 60_000);
  const calls = h.slack.calls().filter((c) => c.method.startsWith('chat.') || c.method === 'views.publish').slice(before.calls);
  for (const call of calls) show(title, where(call), call.args);
  for (const response of h.slack.responses().slice(before.responses)) show(title, 'only you can see this', response.body as { blocks?: unknown });
}

function mark(h: Harness) {
  return { calls: h.slack.calls().filter((c) => c.method.startsWith('chat.') || c.method === 'views.publish').length, responses: h.slack.responses().length };
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const slack = new FakeSlackApi({ teamId: 'T0DEMO001' });
  const esb = new FakeBkJob({ jobs: [...allScenarioJobs(), hugeJob()] });
  await slack.start();
  await esb.start();
  const h = await startHarness({ slack, esb, env: { BK_JOB_WEB_URL: 'https://job.example.com', LOG_LEVEL: 'silent' }, overrides: { now: () => clock } });
  console.log(`joblog-bot demo: the real bot on ${h.appUrl}, a fake BlueKing JOB on ${esb.url}, a fake Slack on ${slack.url}.`);
  try {
    const biz = SCENARIO_BIZ_ID;

    step(`@alice in #ops: /joblog ${biz} ${SCENARIO_JOB_IDS.succeeded}`);
    let before = mark(h);
    await h.slash(`${biz} ${SCENARIO_JOB_IDS.succeeded}`, { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'A successful job', { calls: 1 });

    step(`/joblog ${biz} ${SCENARIO_JOB_IDS.failingOnThreeOf200}: a job that failed on 3 of 200 hosts`);
    before = mark(h);
    await h.slash(`${biz} ${SCENARIO_JOB_IDS.failingOnThreeOf200}`, { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'Failed on 3 of 200 hosts', { calls: 1 });

    step(`/joblog watch ${biz} ${SCENARIO_JOB_IDS.running}: watch a running job`);
    before = mark(h);
    await h.slash(`watch ${biz} ${SCENARIO_JOB_IDS.running}`, { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'Watch status message', { calls: 1 });
    for (let i = 0; i < 500 && !(await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null); i++) await new Promise((r) => setTimeout(r, 10));

    step('BlueKing: the running job fails on two hosts; the poller ticks');
    clock += 60_000;
    esb.updateJob(biz, SCENARIO_JOB_IDS.running, (def) => failStep(def, 0, [2, 4], 3));
    before = mark(h);
    await h.bot.pollNow();
    await showNew(h, before, 'After the failure', { calls: 3 });

    step('@alice clicks the first failing host button');
    const summary = h.slack.calls('chat.update').at(-1) ?? h.slack.calls('chat.postMessage').at(-1)!;
    const hostButton = (summary.args.blocks as Array<{ block_id?: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.block_id?.startsWith('joblog_host_buttons:'))!.elements![0]!;
    before = mark(h);
    await h.click({ actionId: hostButton.action_id, value: hostButton.value, userId: ALICE, channelId: CHANNEL, messageTs: typeof summary.args.ts === 'string' ? summary.args.ts : undefined });
    await showNew(h, before, 'Host log', { responses: 1 });

    clock = Date.UTC(2024, 5, 12, 8, 45);
    step(`/joblog ${biz} ${SCENARIO_JOB_IDS.waitingForUser}: a job waiting for confirmation`);
    before = mark(h);
    await h.slash(`${biz} ${SCENARIO_JOB_IDS.waitingForUser}`, { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'Waiting for confirmation', { calls: 1 });

    step(`/joblog ${biz} ${SCENARIO_JOB_IDS.mentions}: log text with <!channel> and <@U123> stays inert`);
    before = mark(h);
    await h.slash(`${biz} ${SCENARIO_JOB_IDS.mentions}`, { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'Mentions stay inert', { calls: 1 });

    step(`/joblog ${biz} ${SCENARIO_JOB_IDS.huge}: 10,000 hosts × 20 steps; the v2 API answers with ≈ 450 MB of logs, summarised as they arrive`);
    before = mark(h);
    await h.slash(`${biz} ${SCENARIO_JOB_IDS.huge}`, { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'A huge job through v2', { calls: 1 });

    step(`The same with BK_JOB_API_VERSION=v3: status without logs, a host's log only when clicked`);
    const v3 = await startHarness({ slack, esb, env: { BK_JOB_WEB_URL: 'https://job.example.com', LOG_LEVEL: 'silent', BK_JOB_API_VERSION: 'v3' }, overrides: { now: () => clock } });
    try {
      before = mark(v3);
      const started = Date.now();
      await v3.slash(`${biz} ${SCENARIO_JOB_IDS.huge}`, { userId: ALICE, channelId: CHANNEL });
      await showNew(v3, before, 'A huge job through v3', { calls: 1 });
      console.log(dim(`(fetched, summarised and rendered in ${((Date.now() - started) / 1000).toFixed(1)} s)`));
    } finally {
      await v3.stop({ keepFakes: true });
    }

    step(`BK_JOB_API_VERSION=v3: /joblog ${biz} ${SCENARIO_JOB_IDS.failed}, then @alice presses "Retry failed hosts" and the retry fixes the job`);
    const acting = await startHarness({ slack, esb, env: { BK_JOB_WEB_URL: 'https://job.example.com', LOG_LEVEL: 'silent', BK_JOB_API_VERSION: 'v3' }, overrides: { now: () => clock } });
    try {
      before = mark(acting);
      await acting.slash(`${biz} ${SCENARIO_JOB_IDS.failed}`, { userId: ALICE, channelId: CHANNEL });
      await showNew(acting, before, 'A failed job, with what can be done about it', { calls: 1 });
      const failedSummary = acting.slack.calls('chat.postMessage').at(-1)!;
      const summaryTs = acting.slack.messages(CHANNEL).at(-1)?.ts;
      const retry = (failedSummary.args.blocks as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>).flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'joblog_op:retry_failed')!;
      before = mark(acting);
      // Slack showed the confirmation dialog first; the click arrives once @alice confirms.
      await acting.click({ actionId: retry.action_id!, value: retry.value!, userId: ALICE, channelId: CHANNEL, ...(summaryTs ? { messageTs: summaryTs } : {}) });
      await showNew(acting, before, 'Retried from Slack, as alice', { calls: 2 });
      for (let i = 0; i < 500 && (await acting.bot.store.listOpenByChannel(CHANNEL)).every((w) => w.ref.jobInstanceId !== SCENARIO_JOB_IDS.failed || w.statusMessageTs === null); i++) await new Promise((r) => setTimeout(r, 10));

      step('BlueKing: the retried hosts succeed; the poller ticks');
      clock += 60_000;
      esb.updateJob(biz, SCENARIO_JOB_IDS.failed, (def) => {
        const retried = def.steps.findIndex((st) => st.status === 2);
        finishRetry(def, retried, 'succeeded', clock);
        // The job goes on: the health check after it passes too.
        for (const later of def.steps.slice(retried + 1)) {
          later.status = 3;
          later.startTime = clock;
          later.endTime = clock + 2000;
          for (const host of later.hosts) Object.assign(host, { ipStatus: 9, exitCode: 0, errorCode: 0, startTime: clock, endTime: clock + 2000 });
        }
        delete def.status;
        delete def.endTime;
      });
      before = mark(acting);
      await acting.bot.pollNow();
      await showNew(acting, before, 'The retry fixed it', { calls: 2 });
    } finally {
      await acting.stop({ keepFakes: true });
    }

    step(`@alice pastes a JOB console link in #ops: https://job.example.com/biz/${biz}/execute/task/${SCENARIO_JOB_IDS.failingOnThreeOf200}`);
    before = mark(h);
    const url = `https://job.example.com/biz/${biz}/execute/task/${SCENARIO_JOB_IDS.failingOnThreeOf200}`;
    const event = eventCallbackBody({
      teamId: 'T0DEMO001',
      eventId: 'Ev0DEMO0001',
      event: { type: 'link_shared', channel: CHANNEL, is_bot_user_member: true, user: ALICE, message_ts: '1718101800.000100', links: [{ domain: 'job.example.com', url }] },
    });
    await postSigned(h.appUrl, event, TEST_SIGNING_SECRET, { contentType: 'application/json' });
    await h.slack.waitFor('chat.unfurl', 1, 60_000);
    const unfurl = h.slack.calls('chat.unfurl').at(-1)!;
    const unfurls = (typeof unfurl.args.unfurls === 'string' ? JSON.parse(unfurl.args.unfurls) : unfurl.args.unfurls) as Record<string, { blocks?: unknown }>;
    show('The link unfurled', 'chat.unfurl under the pasted link', { blocks: unfurls[url]?.blocks ?? [] });

    step('/joblog list, /joblog help and a typo');
    before = mark(h);
    await h.slash('list', { userId: ALICE, channelId: CHANNEL });
    await showNew(h, before, 'Watch list', { responses: 1 });
    const help = await h.slash('help', { userId: ALICE, channelId: CHANNEL });
    show('Help', 'the command answer, only you can see this', help.json as { blocks?: unknown });
    const typo = await h.slash('wacth 3 100', { userId: ALICE, channelId: CHANNEL });
    show('A typo', 'the command answer, only you can see this', typo.json as { blocks?: unknown });

    console.log(`\n${bold('Done.')} Block Kit JSON of every message is in ${OUT}.`);
  } finally {
    await h.stop({ keepFakes: true });
    await slack.stop();
    await esb.stop();
  }
}

main().catch((err: unknown) => {
  console.error('demo failed:', err);
  process.exit(1);
});
