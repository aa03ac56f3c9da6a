/**
 * Subscription messages and the subscribe modal (src/blocks/subscription.ts,
 * src/blocks/subscribeModal.ts): the exact words of each run message and note, BlueKing names
 * escaped, the Mute / Stop buttons, the list lines, the modal and its menu; every message and
 * view checked against the Block Kit schema.
 */
import type { ActionsBlock, Button, InputBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { CronInfo, JobPlanInfo } from '../../src/bkjob/catalog';
import { type RenderOptions, renderJobSummary } from '../../src/blocks/jobSummary';
import {
  SUBSCRIBE_VIEW,
  decodeModalMetadata,
  decodeTargetValue,
  encodeModalMetadata,
  encodeTargetValue,
  parseModalScope,
  renderSubscribeModal,
  renderTargetOptions,
  targetBlockScope,
} from '../../src/blocks/subscribeModal';
import { renderRunMessage, renderSubscribed, renderSubscriptionList, renderSubscriptionNote, subscriptionLines, targetText } from '../../src/blocks/subscription';
import { buildJobSummary } from '../../src/summary/build';
import type { JobSummary } from '../../src/summary/types';
import type { RunMessage } from '../../src/watch/subscriptionRuns';
import { type Subscription, initialSubscriptionState } from '../../src/watch/subscriptionTypes';
import type { RunOf, Watch } from '../../src/watch/types';
import { blockKitErrors } from '../helpers/blockKit';
import { FAILED_REF, v2FixtureJob } from '../helpers/jobs';
import { NOW, USER_ID, watchOf } from '../helpers/listenerFakes';

const SUB_ID = 'sub-000001';
const OPTIONS: Omit<RenderOptions, 'watching'> = { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/2001893471', now: NOW };
const TARGET = 'Cron *nightly-backup* (#12, biz 3)';
/** The failed fixture started 2024-06-11 10:15:03 +08:00. */
const FAILED_RUN = 'the run of <!date^1718072103^{date_short} {time}|2024-06-11 10:15:03 UTC+08:00> (job 2001893471)';
/** watchOf's createdAt (NOW − 90 min): the run's time when there is no summary. */
const WATCH_CREATED_RUN = 'the run of <!date^1718096400^{date_short} {time}|2024-06-11 17:00:00 UTC+08:00> (job 2001893471)';

const BUTTONS = {
  type: 'actions',
  block_id: `joblog_sub:${SUB_ID}`,
  elements: [
    { type: 'button', action_id: 'joblog_sub_mute', text: { type: 'plain_text', text: 'Mute 24 h' }, value: SUB_ID },
    { type: 'button', action_id: 'joblog_sub_stop', text: { type: 'plain_text', text: 'Stop subscription' }, value: SUB_ID, style: 'danger' },
  ],
};

type RunWatch = Watch & { readonly run: RunOf };

function runWatch(run: Partial<RunOf> = {}, overrides: Partial<Watch> = {}): RunWatch {
  return watchOf('watch-000002', FAILED_REF, { statusMessageTs: null, run: { subscriptionId: SUB_ID, kind: 'cron', targetId: 12, targetName: 'nightly-backup', streak: 0, ...run }, ...overrides }) as RunWatch;
}

function subscriptionOf(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: SUB_ID,
    channelId: 'C0OPS0001',
    scope: { bizId: 3 },
    target: { kind: 'cron', id: 12, name: 'nightly-backup', planId: 7, expression: '0 3 * * *', timeZone: 'Asia/Shanghai', templateId: null },
    subscriberId: USER_ID,
    bkUsername: null,
    notifyOn: 'failure',
    digestAt: null,
    status: 'active',
    statusReason: null,
    createdAt: NOW - 86_400_000,
    version: 0,
    state: initialSubscriptionState(NOW - 86_400_000),
    ...overrides,
  };
}

const sectionText = (block: KnownBlock | undefined): string => (block as SectionBlock).text!.text;

let failed: JobSummary;
let succeeded: JobSummary;
beforeAll(() => {
  failed = buildJobSummary(v2FixtureJob('failed'));
  succeeded = buildJobSummary(v2FixtureJob('success'));
});

describe('renderRunMessage: runs announced with their summary', () => {
  it('announces a failure mentioning the subscriber, above the run summary, who follows it, and Mute / Stop', () => {
    const message = renderRunMessage(runWatch(), { kind: 'failure', streak: 1 }, failed, OPTIONS);
    const head = `:red_circle: <@${USER_ID}> ${TARGET}: ${FAILED_RUN} failed.`;
    const body = renderJobSummary(failed, { ...OPTIONS, watching: null });
    expect(message.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      ...body.blocks,
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Subscription \`${SUB_ID}\` by <@${USER_ID}> · Failures and waits, and the recovery` }] },
      BUTTONS,
    ]);
    expect(message.text).toBe(`${head} ${body.text}`);
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('says a repeated failure is the 2nd in a row, without a mention', () => {
    const message = renderRunMessage(runWatch({ streak: 2 }), { kind: 'still_failing', streak: 2, threadTs: '1718000000.000100', broadcast: false }, failed, OPTIONS);
    expect(sectionText(message.blocks[0])).toBe(`:red_circle: Still failing: ${TARGET}, ${FAILED_RUN} failed, 2nd in a row.`);
    expect(message.blocks.at(-1)).toEqual(BUTTONS);
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it.each([
    [3, '3rd'],
    [11, '11th'],
    [12, '12th'],
    [21, '21st'],
    [22, '22nd'],
    [113, '113th'],
  ])('counts streak %i as the %s in a row', (streak, nth) => {
    const message = renderRunMessage(runWatch(), { kind: 'still_failing', streak, threadTs: '1718000000.000100', broadcast: true }, failed, OPTIONS);
    expect(sectionText(message.blocks[0])).toContain(`failed, ${nth} in a row.`);
  });

  it('announces a waiting run mentioning the subscriber', () => {
    const message = renderRunMessage(runWatch(), { kind: 'waiting' }, failed, OPTIONS);
    expect(sectionText(message.blocks[0])).toBe(`:large_yellow_circle: <@${USER_ID}> ${TARGET}: ${FAILED_RUN} is waiting for a user.`);
    expect(message.blocks.at(-1)).toEqual(BUTTONS);
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('names the run by the watch creation time when there is no summary (one line, still with the buttons)', () => {
    const message = renderRunMessage(runWatch(), { kind: 'failure', streak: 1 }, null, OPTIONS);
    const text = `:red_circle: <@${USER_ID}> ${TARGET}: ${WATCH_CREATED_RUN} failed.`;
    expect(message).toEqual({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, BUTTONS] });
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('keeps within 50 blocks', () => {
    const message = renderRunMessage(runWatch(), { kind: 'failure', streak: 1 }, failed, OPTIONS);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('renderRunMessage: one-line messages', () => {
  it('says "recovered" with the number of failures and since when, with Mute / Stop', () => {
    const since = Date.UTC(2024, 5, 9, 19, 0);
    const message = renderRunMessage(runWatch(), { kind: 'recovered', failures: 3, failingSince: since, threadTs: '1718000000.000100' }, succeeded, OPTIONS);
    const run = `the run of <!date^${Math.floor(succeeded.startTime! / 1000)}^{date_short} {time}|`;
    const text = sectionText(message.blocks[0]);
    expect(text.startsWith(`:large_green_circle: ${TARGET} recovered: ${run}`)).toBe(true);
    expect(text.endsWith(' succeeded after 3 failed runs (failing since <!date^1717959600^{date_short} {time}|2024-06-10 03:00:00 UTC+08:00>).')).toBe(true);
    expect(message.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text } }, BUTTONS]);
    expect(message.text).toBe(text);
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('says "1 failed run" and leaves out the start when unknown', () => {
    const message = renderRunMessage(runWatch(), { kind: 'recovered', failures: 1, failingSince: null, threadTs: null }, null, OPTIONS);
    expect(sectionText(message.blocks[0])).toBe(`:large_green_circle: ${TARGET} recovered: ${WATCH_CREATED_RUN} succeeded after 1 failed run.`);
  });

  it('says "succeeded in …" with the run time, and without it when unknown', () => {
    const withTime = renderRunMessage(runWatch(), { kind: 'succeeded' }, { ...failed, state: 'succeeded', durationMs: 606_000 }, OPTIONS);
    expect(sectionText(withTime.blocks[0])).toBe(`:large_green_circle: ${TARGET}: ${FAILED_RUN} succeeded in 10m 6s.`);
    expect(withTime.blocks.at(-1)).toEqual(BUTTONS);
    const without = renderRunMessage(runWatch(), { kind: 'succeeded' }, null, OPTIONS);
    expect(sectionText(without.blocks[0])).toBe(`:large_green_circle: ${TARGET}: ${WATCH_CREATED_RUN} succeeded.`);
    expect(blockKitErrors(withTime.blocks)).toEqual([]);
  });

  it('says a run started, with no buttons', () => {
    const message = renderRunMessage(runWatch(), { kind: 'started' }, null, OPTIONS);
    const text = `:arrow_forward: ${TARGET}: ${WATCH_CREATED_RUN} started.`;
    expect(message).toEqual({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('names a plan and a business set', () => {
    const watch = runWatch({ kind: 'plan', targetId: 7, targetName: 'backup all' }, { ref: { bizId: 8000001, jobInstanceId: 55, scopeType: 'biz_set' } });
    const message = renderRunMessage(watch, { kind: 'started' }, null, OPTIONS);
    expect(sectionText(message.blocks[0])).toBe(':arrow_forward: Plan *backup all* (#7, biz set:8000001): the run of <!date^1718096400^{date_short} {time}|2024-06-11 17:00:00 UTC+08:00> (job 55) started.');
  });

  it('speaks Chinese', () => {
    const message = renderRunMessage(runWatch(), { kind: 'still_failing', streak: 2, threadTs: '1718000000.000100', broadcast: false }, null, { ...OPTIONS, lang: 'zh-CN' });
    expect(sectionText(message.blocks[0])).toBe(
      ':red_circle: 仍在失败：定时任务 *nightly-backup*（#12，业务 3），<!date^1718096400^{date_short} {time}|2024-06-11 17:00:00 UTC+08:00> 的执行（作业 2001893471）失败，已连续 2 次。',
    );
    expect((message.blocks[1] as ActionsBlock).elements.map((b) => (b as Button).text.text)).toEqual(['静音 24 小时', '取消订阅']);
  });
});

describe('BlueKing names are escaped', () => {
  const NAME = 'nightly <!channel> & <@U1>';
  const ESCAPED = 'nightly &lt;!channel&gt; &amp; &lt;@U1&gt;';

  it.each<[string, RunMessage, boolean]>([
    ['failure', { kind: 'failure', streak: 1 }, true],
    ['still_failing', { kind: 'still_failing', streak: 2, threadTs: '1.2', broadcast: false }, true],
    ['waiting', { kind: 'waiting' }, true],
    ['recovered', { kind: 'recovered', failures: 1, failingSince: null, threadTs: null }, false],
    ['succeeded', { kind: 'succeeded' }, false],
    ['started', { kind: 'started' }, false],
  ])('in the %s message', (_kind, message, withSummary) => {
    const rendered = renderRunMessage(runWatch({ targetName: NAME }), message, withSummary ? failed : null, OPTIONS);
    const head = sectionText(rendered.blocks[0]);
    expect(head).toContain(`*${ESCAPED}*`);
    expect(head).not.toContain('<!channel>');
    expect(head).not.toContain('<@U1>');
    expect(rendered.text).not.toContain('<!channel>');
  });

  it('in the notes, the confirmation and the list', () => {
    const sub = subscriptionOf({ target: { ...subscriptionOf().target, name: NAME, expression: '<!here> * * * *', timeZone: 'Asia/<b>' } });
    const texts = [
      ...renderSubscriptionNote(sub, { kind: 'target_gone' }, 'en', 480).blocks.map(sectionText),
      sectionText(renderSubscribed(sub, 'en', 480).blocks[0]),
      ...subscriptionLines([sub], 'en', 480, NOW),
    ];
    for (const text of texts) {
      expect(text).toContain(`*${ESCAPED}*`);
      expect(text).not.toMatch(/<!channel>|<@U1>|<!here>|<b>/);
    }
    expect(sectionText(renderSubscribed(sub, 'en', 480).blocks[0])).toContain('runs `&lt;!here&gt; * * * *` (Asia/&lt;b&gt;)');
  });

  it('targetText cuts a long name to 200 characters', () => {
    const text = targetText('en', { bizId: 3 }, { kind: 'cron', id: 12, name: 'n'.repeat(300) });
    expect(text).toBe(`Cron *${'n'.repeat(199)}…* (#12, biz 3)`);
  });
});

describe('renderSubscriptionNote', () => {
  it('says what happened while muted, with Mute / Stop', () => {
    const note = renderSubscriptionNote(subscriptionOf(), { kind: 'mute_ended', mutedForMs: 86_400_000, period: { runs: 3, failed: 2, lastResult: 'succeeded' } }, 'en', 480);
    const text = `:bell: ${TARGET} is no longer muted. In the last 1d: 3 runs, 2 failed; the last one succeeded.`;
    expect(note).toEqual({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, BUTTONS] });
    expect(blockKitErrors(note.blocks)).toEqual([]);
  });

  it('says "1 run" and no last result when none finished', () => {
    const note = renderSubscriptionNote(subscriptionOf(), { kind: 'mute_ended', mutedForMs: 2 * 3_600_000, period: { runs: 1, failed: 0, lastResult: null } }, 'en', 480);
    expect(note.text).toBe(`:bell: ${TARGET} is no longer muted. In the last 2h: 1 run, 0 failed.`);
  });

  it('posts the daily digest: runs, failures, success rate, the slowest run', () => {
    const slowest = { jobInstanceId: 9, createdAt: Date.UTC(2024, 5, 10, 19, 0), result: 'failed' as const, durationMs: 754_000 };
    const note = renderSubscriptionNote(subscriptionOf(), { kind: 'digest', digest: { runs: 24, failed: 3, succeeded: 21, successRate: 88, slowest }, from: NOW - 86_400_000, to: NOW }, 'en', 480);
    const text = `:bar_chart: Daily digest for ${TARGET}: 24 runs, 3 failed, 88% succeeded; slowest: <!date^1718046000^{date_short} {time}|2024-06-11 03:00:00 UTC+08:00> (12m 34s).`;
    expect(note).toEqual({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, BUTTONS] });
    expect(blockKitErrors(note.blocks)).toEqual([]);
  });

  it('posts a digest with no rate and no slowest run when none finished', () => {
    const note = renderSubscriptionNote(subscriptionOf(), { kind: 'digest', digest: { runs: 0, failed: 0, succeeded: 0, successRate: null, slowest: null }, from: NOW - 86_400_000, to: NOW }, 'en', 480);
    expect(note.text).toBe(`:bar_chart: Daily digest for ${TARGET}: 0 runs, 0 failed.`);
  });

  it('says the cron is gone, naming the subscriber, with no buttons', () => {
    const note = renderSubscriptionNote(subscriptionOf(), { kind: 'target_gone' }, 'en', 480);
    const text = `:warning: ${TARGET} no longer exists in JOB, so this subscription (by <@${USER_ID}>) has ended.`;
    expect(note).toEqual({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    expect(blockKitErrors(note.blocks)).toEqual([]);
  });

  it('says the channel policy ended the subscription and why, naming the subscriber, with no buttons (en, zh-CN)', () => {
    const note = renderSubscriptionNote(subscriptionOf(), { kind: 'policy_stopped', stop: 'subscriptions_off' }, 'en', 480);
    const text = `:no_entry_sign: The subscription to ${TARGET} (by <@${USER_ID}>) has ended: the channel policy turned subscriptions off in this channel.`;
    expect(note).toEqual({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    expect(blockKitErrors(note.blocks)).toEqual([]);
    const zh = renderSubscriptionNote(subscriptionOf({ scope: { bizId: 5, scopeType: 'biz_set' } }), { kind: 'policy_stopped', stop: 'business_not_allowed' }, 'zh-CN', 480);
    expect(zh.text).toMatch(new RegExp(`^:no_entry_sign: <@${USER_ID}> 对 .* 的订阅已结束：频道策略已不再允许本频道使用业务 set:5。$`));
    expect(blockKitErrors(zh.blocks)).toEqual([]);
  });
});

describe('renderSubscribed', () => {
  it('names who subscribed, to what, how, and the subscription id', () => {
    const message = renderSubscribed(subscriptionOf(), 'en', 480);
    expect(sectionText(message.blocks[0]).split('\n')[0]).toBe(`:bell: <@${USER_ID}> subscribed this channel to ${TARGET}: Failures and waits, and the recovery. Subscription \`${SUB_ID}\`.`);
  });

  it("gives a cron's expression and time zone, and the buttons", () => {
    const message = renderSubscribed(subscriptionOf(), 'en', 480);
    const lines = sectionText(message.blocks[0]).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(TARGET);
    expect(lines[0]).toContain(`<@${USER_ID}>`);
    expect(lines[0]).toContain(`Subscription \`${SUB_ID}\`.`);
    expect(lines[1]).toBe('runs `0 3 * * *` (Asia/Shanghai)');
    expect(message.blocks[1]).toEqual(BUTTONS);
    expect(message.text).toBe(lines.join(' '));
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('adds the digest line in the cron time zone', () => {
    const lines = sectionText(renderSubscribed(subscriptionOf({ digestAt: '09:00', notifyOn: 'all' }), 'en', 480).blocks[0]).split('\n');
    expect(lines[0]).toContain(': Every run: start and end.');
    expect(lines.slice(1)).toEqual(['runs `0 3 * * *` (Asia/Shanghai)', 'Daily digest at 09:00 (Asia/Shanghai).']);
  });

  it('describes a one-off cron, and a plan (digest in BlueKing\'s zone, BK_TIMEZONE_OFFSET: plans have none of their own)', () => {
    expect(sectionText(renderSubscribed(subscriptionOf({ target: { ...subscriptionOf().target, expression: null, timeZone: null } }), 'en', 480).blocks[0]).split('\n')[1]).toBe('a one-off cron');
    const plan = subscriptionOf({ target: { kind: 'plan', id: 7, name: 'backup all', planId: 7, expression: null, timeZone: null, templateId: 4 }, digestAt: '18:30' });
    const lines = sectionText(renderSubscribed(plan, 'en', 480).blocks[0]).split('\n');
    expect(lines[0]).toContain('Plan *backup all* (#7, biz 3)');
    expect(lines.slice(1)).toEqual(['a plan of template #4', 'Daily digest at 18:30 (+08:00).']);
    expect(sectionText(renderSubscribed(plan, 'en', -330).blocks[0]).split('\n')[2]).toBe('Daily digest at 18:30 (-05:30).');
    expect(sectionText(renderSubscribed({ ...plan, target: { ...plan.target, templateId: null } }, 'en', 480).blocks[0]).split('\n')[1]).toBe('a job plan');
  });
});

describe('subscriptionLines and renderSubscriptionList', () => {
  const date = (ms: number) => `<!date^${Math.floor(ms / 1000)}^{date_short} {time}|`;

  it('says a subscription never ran', () => {
    expect(subscriptionLines([subscriptionOf()], 'en', 480, NOW)).toEqual([
      `• ${TARGET} \`${SUB_ID}\` · Cron · last run: none yet · by <@${USER_ID}> · Failures and waits, and the recovery`,
    ]);
  });

  it('gives the last run and its result, and since when it has been so', () => {
    const lastRunAt = NOW - 3_600_000;
    const since = NOW - 3 * 86_400_000;
    const sub = subscriptionOf({ state: { ...initialSubscriptionState(NOW - 86_400_000), lastRunAt, lastResult: 'failed', resultSince: since, failStreak: 3 } });
    const [line] = subscriptionLines([sub], 'en', 480, NOW);
    expect(line).toBe(
      `• ${TARGET} \`${SUB_ID}\` · Cron · last run: ${date(lastRunAt)}2024-06-11 17:30:00 UTC+08:00> failed since ${date(since)}2024-06-08 18:30:00 UTC+08:00> · by <@${USER_ID}> · Failures and waits, and the recovery`,
    );
  });

  it('leaves out "since" when the last run started the streak', () => {
    const lastRunAt = NOW - 3_600_000;
    const sub = subscriptionOf({ state: { ...initialSubscriptionState(NOW), lastRunAt, lastResult: 'succeeded', resultSince: lastRunAt } });
    expect(subscriptionLines([sub], 'en', 480, NOW)[0]).toBe(`• ${TARGET} \`${SUB_ID}\` · Cron · last run: ${date(lastRunAt)}2024-06-11 17:30:00 UTC+08:00> succeeded · by <@${USER_ID}> · Failures and waits, and the recovery`);
  });

  it('says until when it is muted, and not once the mute has ended', () => {
    const mutedUntil = NOW + 3_600_000;
    const sub = subscriptionOf({ state: { ...initialSubscriptionState(NOW), mutedUntil } });
    expect(subscriptionLines([sub], 'en', 480, NOW)[0]).toBe(`• ${TARGET} \`${SUB_ID}\` · Cron · last run: none yet · by <@${USER_ID}> · Failures and waits, and the recovery · muted until ${date(mutedUntil)}2024-06-11 19:30:00 UTC+08:00>`);
    expect(subscriptionLines([sub], 'en', 480, mutedUntil)[0]).not.toContain('muted');
  });

  it('lists under a title with the count; nothing at all without subscriptions', () => {
    const blocks = renderSubscriptionList([subscriptionOf(), subscriptionOf({ id: 'sub-000002' })], 'en', 480, NOW);
    expect(blocks).toHaveLength(1);
    expect(sectionText(blocks[0]).split('\n')).toEqual(['*Subscriptions* (2)', ...subscriptionLines([subscriptionOf(), subscriptionOf({ id: 'sub-000002' })], 'en', 480, NOW)]);
    expect(blockKitErrors(blocks)).toEqual([]);
    expect(renderSubscriptionList([], 'en', 480, NOW)).toEqual([]);
  });
});

describe('renderSubscribeModal', () => {
  it('asks only for the business at first: no menu, no submit button', () => {
    const view = renderSubscribeModal('en', 'C0OPS0001', null);
    expect(view).toEqual({
      type: 'modal',
      callback_id: SUBSCRIBE_VIEW,
      private_metadata: '{"c":"C0OPS0001"}',
      title: { type: 'plain_text', text: 'Subscribe to a job' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Runs will be announced in <#C0OPS0001>.' }] },
        {
          type: 'input',
          block_id: 'joblog_sub_biz',
          dispatch_action: true,
          label: { type: 'plain_text', text: 'Business' },
          hint: { type: 'plain_text', text: 'A business id such as 3, or set:5 for a business set.' },
          element: { type: 'plain_text_input', action_id: 'joblog_sub_biz_value', dispatch_action_config: { trigger_actions_on: ['on_enter_pressed', 'on_character_entered'] } },
        },
      ],
    });
    expect(view.submit).toBeUndefined();
    expect(blockKitErrors(view.blocks)).toEqual([]);
  });

  it('shows the problem with the business in place of the hint', () => {
    const view = renderSubscribeModal('en', 'C0OPS0001', null, 'Enter a business id (a whole number) or set:<id>.');
    expect((view.blocks[1] as InputBlock).hint).toEqual({ type: 'plain_text', text: 'Enter a business id (a whole number) or set:<id>.' });
  });

  it('adds the menu (its block id carries the business), what to be told about, the digest, and Subscribe', () => {
    const view = renderSubscribeModal('en', 'C0OPS0001', { bizId: 3 });
    expect(view.submit).toEqual({ type: 'plain_text', text: 'Subscribe' });
    expect(view.blocks.map((b) => b.block_id)).toEqual([undefined, 'joblog_sub_biz', 'joblog_sub_target:3', 'joblog_sub_on', 'joblog_sub_digest']);
    expect((view.blocks[1] as InputBlock).element).toMatchObject({ initial_value: '3' });
    expect(view.blocks[2]).toEqual({
      type: 'input',
      block_id: 'joblog_sub_target:3',
      label: { type: 'plain_text', text: 'Cron or plan' },
      element: { type: 'external_select', action_id: 'joblog_sub_target', min_query_length: 0, placeholder: { type: 'plain_text', text: 'Type to search crons and plans' } },
    });
    const radios = (view.blocks[3] as InputBlock).element as { initial_option: unknown; options: { value: string }[] };
    expect(radios.options.map((o) => o.value)).toEqual(['failure', 'finish', 'all']);
    expect(radios.initial_option).toEqual({ text: { type: 'plain_text', text: 'Failures and waits, and the recovery' }, value: 'failure' });
    expect(view.blocks[4]).toMatchObject({ optional: true, element: { type: 'timepicker', action_id: 'joblog_sub_digest_value' } });
    expect(blockKitErrors(view.blocks)).toEqual([]);
  });

  it('carries a business set in the block id, and speaks Chinese', () => {
    const view = renderSubscribeModal('zh-CN', 'G0PRIVATE1', { bizId: 8000001, scopeType: 'biz_set' });
    expect(view.blocks[2]!.block_id).toBe('joblog_sub_target:set:8000001');
    expect(targetBlockScope(view.blocks[2]!.block_id)).toEqual({ bizId: 8000001, scopeType: 'biz_set' });
    expect(view.title).toEqual({ type: 'plain_text', text: '订阅作业' });
    expect(view.close).toEqual({ type: 'plain_text', text: '取消' });
    expect(decodeModalMetadata(view.private_metadata)).toBe('G0PRIVATE1');
    expect(blockKitErrors(view.blocks)).toEqual([]);
  });
});

describe('renderTargetOptions', () => {
  const cron = (id: number, name = `cron ${id}`, expression: string | null = '0 3 * * *'): CronInfo => ({
    id,
    name,
    jobPlanId: 7,
    enabled: true,
    expression,
    timeZone: 'Asia/Shanghai',
    creator: 'admin',
    createTime: null,
    lastModifyUser: null,
    lastModifyTime: null,
  });
  const plan = (id: number, name = `plan ${id}`): JobPlanInfo => ({ id, name, jobTemplateId: 1, creator: 'admin', createTime: null, lastModifyUser: null, lastModifyTime: null });

  it('groups crons then plans, valued cron:<id> and plan:<id>', () => {
    expect(renderTargetOptions([cron(12, 'nightly-backup'), cron(13, 'once', null)], [plan(7, 'backup all')], 'en')).toEqual({
      option_groups: [
        {
          label: { type: 'plain_text', text: 'Cron' },
          options: [
            { text: { type: 'plain_text', text: 'nightly-backup (#12) · 0 3 * * *' }, value: 'cron:12' },
            { text: { type: 'plain_text', text: 'once (#13)' }, value: 'cron:13' },
          ],
        },
        { label: { type: 'plain_text', text: 'Plan' }, options: [{ text: { type: 'plain_text', text: 'backup all (#7)' }, value: 'plan:7' }] },
      ],
    });
  });

  it('leaves out an empty group, and has no groups for nothing', () => {
    expect(renderTargetOptions([], [plan(7)], 'zh-CN').option_groups.map((g) => g.label.text)).toEqual(['执行方案']);
    expect(renderTargetOptions([], [], 'en')).toEqual({ option_groups: [] });
  });

  it('offers at most 100 options: 50 crons at most, the rest plans', () => {
    const many = renderTargetOptions(Array.from({ length: 80 }, (_, i) => cron(i + 1)), Array.from({ length: 80 }, (_, i) => plan(i + 1)), 'en');
    expect(many.option_groups.map((g) => g.options.length)).toEqual([50, 50]);
    const fewCrons = renderTargetOptions([cron(1)], Array.from({ length: 150 }, (_, i) => plan(i + 1)), 'en');
    expect(fewCrons.option_groups.map((g) => g.options.length)).toEqual([1, 99]);
  });

  it('cuts option texts to 75 characters (names as typed: plain text is not escaped)', () => {
    const options = renderTargetOptions([cron(12, `<b>${'x'.repeat(200)}`)], [plan(7, 'a & b')], 'en').option_groups.flatMap((g) => g.options);
    expect(options.every((o) => o.text.text.length <= 75)).toBe(true);
    expect(options[0]!.text.text).toBe(`<b>${'x'.repeat(71)}…`);
    expect(options[1]!.text.text).toBe('a & b (#7)');
  });
});

describe('modal values from Slack (untrusted)', () => {
  it('round-trips menu values and refuses junk', () => {
    expect(decodeTargetValue(encodeTargetValue('cron', 12))).toEqual({ kind: 'cron', id: 12 });
    expect(decodeTargetValue('plan:7')).toEqual({ kind: 'plan', id: 7 });
    for (const junk of ['cron:0', 'cron:-1', 'cron:', 'job:1', 'CRON:1', 'cron:1 ', ' cron:1', 'cron:1.5', 'cron:99999999999999999', 'cron:12:13', '', null, undefined, 12, { kind: 'cron', id: 1 }]) {
      expect(decodeTargetValue(junk)).toBeNull();
    }
  });

  it('reads a business as typed in the modal', () => {
    expect(parseModalScope('3')).toEqual({ bizId: 3 });
    expect(parseModalScope('  42 ')).toEqual({ bizId: 42 });
    expect(parseModalScope('set:5')).toEqual({ bizId: 5, scopeType: 'biz_set' });
    expect(parseModalScope('SET:5')).toEqual({ bizId: 5, scopeType: 'biz_set' });
    expect(parseModalScope('2147483647')).toEqual({ bizId: 2_147_483_647 });
    for (const junk of ['0', '2147483648', '12345678901', '-3', '3a', 'set:', 'set 5', '3 4', '', ' ', null, undefined, 3, ['3']]) {
      expect(parseModalScope(junk)).toBeNull();
    }
  });

  it('reads the channel back from private_metadata, refusing junk', () => {
    expect(decodeModalMetadata(encodeModalMetadata('C0OPS0001'))).toBe('C0OPS0001');
    expect(decodeModalMetadata('{"c":"D0ALICEDM"}')).toBe('D0ALICEDM');
    for (const junk of ['', 'not json', '{"c":"c0ops"}', '{"c":"U0ALICE01"}', '{"c":"C"}', '{"c":12}', '{}', 'null', '"C0OPS0001"', '["C0OPS0001"]', '{"c":"C0OPS0001<@U1>"}', null, undefined, 7]) {
      expect(decodeModalMetadata(junk)).toBeNull();
    }
  });

  it('reads the business back from the menu block id only', () => {
    expect(targetBlockScope('joblog_sub_target:3')).toEqual({ bizId: 3 });
    for (const junk of ['joblog_sub_target:', 'joblog_sub_target:x', 'joblog_sub_biz', 'joblog_hosts:3:1', 'xjoblog_sub_target:3', null, undefined]) {
      expect(targetBlockScope(junk)).toBeNull();
    }
  });
});
