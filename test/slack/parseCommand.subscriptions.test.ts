/**
 * `/joblog subscribe|unsubscribe|mute` argument parsing (src/slack/parseCommand.ts): every form
 * the help text documents, and the exact reason, in both languages, for what it refuses.
 */
import { type CommandProblem, type JoblogCommand, describeProblem, parseJoblogCommand as parse } from '../../src/slack/parseCommand';

/** The parser with its problem worded in English, as users of BOT_LANG=en read it. */
function parseJoblogCommand(text: string): Exclude<JoblogCommand, { kind: 'invalid' }> | { kind: 'invalid'; problem: string } {
  const result = parse(text);
  return result.kind === 'invalid' ? { kind: 'invalid', problem: describeProblem(result.problem, 'en') } : result;
}

const invalid = (problem: string) => ({ kind: 'invalid', problem });
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SUB_ID = 'sub-000001';
const UUID = '0b9c3f2e-7a41-4d8e-9f10-2c6b5a4d3e21';

const NEEDS_TARGET = '`subscribe` needs <bk_biz_id> cron <cron_id>, or <bk_biz_id> plan <job_plan_id>';
const BAD_DIGEST = '`--digest` needs a time of day such as 09:00';

describe('parseJoblogCommand: subscribe', () => {
  it.each(['subscribe', 'SUBSCRIBE', '  subscribe  ', 'subscribe\u00a0'])('%p alone opens the modal', (text) => {
    expect(parseJoblogCommand(text)).toEqual({ kind: 'subscribe_modal' });
  });

  it('parses "subscribe <biz> cron <id>" with the defaults: failures, no digest', () => {
    expect(parseJoblogCommand('subscribe 3 cron 12')).toEqual({ kind: 'subscribe', scope: { bizId: 3 }, target: 'cron', targetId: 12, notifyOn: 'failure', digestAt: null });
  });

  it('parses a business set, a plan, --on and --digest (the digest normalised to HH:MM)', () => {
    expect(parseJoblogCommand('subscribe set:5 plan 7 --on all --digest 9:05')).toEqual({
      kind: 'subscribe',
      scope: { bizId: 5, scopeType: 'biz_set' },
      target: 'plan',
      targetId: 7,
      notifyOn: 'all',
      digestAt: '09:05',
    });
  });

  it('accepts --on=… and --digest=…, options anywhere, and any case for the verb, kind and set: prefix', () => {
    expect(parseJoblogCommand('subscribe 3 cron 12 --on=finish')).toEqual({ kind: 'subscribe', scope: { bizId: 3 }, target: 'cron', targetId: 12, notifyOn: 'finish', digestAt: null });
    expect(parseJoblogCommand('Subscribe --digest=23:59 SET:5 Plan 7')).toEqual({ kind: 'subscribe', scope: { bizId: 5, scopeType: 'biz_set' }, target: 'plan', targetId: 7, notifyOn: 'failure', digestAt: '23:59' });
    expect(parseJoblogCommand('subscribe --on failure 3 CRON 12 --digest 00:00')).toEqual({ kind: 'subscribe', scope: { bizId: 3 }, target: 'cron', targetId: 12, notifyOn: 'failure', digestAt: '00:00' });
  });

  it('keeps the largest cron id JOB can have exactly', () => {
    expect(parseJoblogCommand(`subscribe 3 cron ${Number.MAX_SAFE_INTEGER}`)).toMatchObject({ kind: 'subscribe', targetId: Number.MAX_SAFE_INTEGER });
  });

  it.each([
    ['subscribe 3 job 12', '`job` is neither `cron` nor `plan`'],
    ['subscribe 3 12 cron', '`12` is neither `cron` nor `plan`'],
    ['subscribe 3 crons 12', '`crons` is neither `cron` nor `plan`'],
  ])('refuses a kind other than cron or plan: %p', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });

  it.each([
    ['subscribe 3 cron 12 --digest 24:00'],
    ['subscribe 3 cron 12 --digest 9:60'],
    ['subscribe 3 cron 12 --digest 09:5'],
    ['subscribe 3 cron 12 --digest 9'],
    ['subscribe 3 cron 12 --digest 9am'],
    ['subscribe 3 cron 12 --digest=-1:00'],
    ['subscribe 3 cron 12 --digest='],
    ['subscribe 3 cron 12 --digest'],
  ])('refuses a bad digest time: %p', (text) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(BAD_DIGEST));
  });

  it.each([
    ['subscribe 3'],
    ['subscribe 3 cron'],
    ['subscribe cron 12'],
    ['subscribe 3 cron 12 13'],
    ['subscribe 3 cron 12 plan 7'],
    ['subscribe --on all'],
  ])('refuses a missing or extra word: %p', (text) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(NEEDS_TARGET));
  });

  it.each([
    ['subscribe 3 cron abc', 'cron_id must be a positive whole number, not "abc"'],
    ['subscribe 3 plan 0', 'job_plan_id 0 is out of range (1–9007199254740991)'],
    ['subscribe 3 cron -12', 'cron_id must be a positive whole number, not "-12"'],
    ['subscribe 3 cron 9007199254740992', 'cron_id 9007199254740992 is out of range (1–9007199254740991)'],
    ['subscribe abc cron 12', 'bk_biz_id must be a positive whole number, not "abc"'],
    ['subscribe 0 plan 7', 'bk_biz_id 0 is out of range (1–2147483647)'],
    ['subscribe set: plan 7', 'bk_biz_id must be a positive whole number, not ""'],
  ])('refuses a bad id: %p', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });

  it.each([
    ['subscribe 3 cron 12 --every 5m', 'unknown option `--every`'],
    ['subscribe 3 cron 12 --digest-at 09:00', 'unknown option `--digest-at`'],
    ['subscribe 3 cron 12 --on never', '`--on` must be one of failure, finish, all'],
    ['subscribe 3 cron 12 --on', '`--on` must be one of failure, finish, all'],
  ])('refuses an unknown option or value: %p', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });
});

describe('parseJoblogCommand: unsubscribe', () => {
  it.each([SUB_ID, UUID])('parses "unsubscribe %s"', (id) => {
    expect(parseJoblogCommand(`unsubscribe ${id}`)).toEqual({ kind: 'unsubscribe', subscriptionId: id });
    expect(parseJoblogCommand(`UNSUBSCRIBE  ${id} `)).toEqual({ kind: 'unsubscribe', subscriptionId: id });
  });

  it.each([['unsubscribe'], [`unsubscribe ${SUB_ID} now`], [`unsubscribe ${SUB_ID} 2h x`], ['unsubscribe sub_000001'], ['unsubscribe <@U1>'], [`unsubscribe ${'a'.repeat(65)}`]])(
    'refuses %p',
    (text) => {
      expect(parseJoblogCommand(text)).toEqual(invalid('`unsubscribe` needs a subscription id (see `/joblog list`)'));
    },
  );
});

describe('parseJoblogCommand: mute', () => {
  it('mutes for 24 hours by default', () => {
    expect(parseJoblogCommand(`mute ${SUB_ID}`)).toEqual({ kind: 'mute', subscriptionId: SUB_ID, forMs: 86_400_000 });
  });

  it.each([
    ['2h', 2 * HOUR],
    ['90m', 90 * 60_000],
    ['2d', 2 * DAY],
    ['31d', 31 * DAY],
    ['3600s', HOUR],
  ])('mutes for %s', (duration, forMs) => {
    expect(parseJoblogCommand(`mute ${SUB_ID} ${duration}`)).toEqual({ kind: 'mute', subscriptionId: SUB_ID, forMs });
  });

  it.each(['off', 'OFF', 'Off', '0'])('unmutes with %p (forMs 0)', (word) => {
    expect(parseJoblogCommand(`mute ${UUID} ${word}`)).toEqual({ kind: 'mute', subscriptionId: UUID, forMs: 0 });
  });

  it.each([
    ['40d', '`40d` is not a duration like 24h, 90m or 2d'],
    ['32d', '`32d` is not a duration like 24h, 90m or 2d'],
    ['745h', '`745h` is not a duration like 24h, 90m or 2d'],
    ['soon', '`soon` is not a duration like 24h, 90m or 2d'],
    ['0h', '`0h` is not a duration like 24h, 90m or 2d'],
    ['2w', '`2w` is not a duration like 24h, 90m or 2d'],
    ['-2h', '`-2h` is not a duration like 24h, 90m or 2d'],
  ])('refuses the duration %p (at most 31 days)', (duration, problem) => {
    expect(parseJoblogCommand(`mute ${SUB_ID} ${duration}`)).toEqual(invalid(problem));
  });

  it.each([['mute'], [`mute ${SUB_ID} 2h please`], ['mute sub/1 2h']])('refuses %p for want of a subscription id', (text) => {
    expect(parseJoblogCommand(text)).toEqual(invalid('`mute` needs a subscription id (see `/joblog list`)'));
  });
});

describe('describeProblem: the subscription problems in both languages', () => {
  it.each<[CommandProblem, string, string]>([
    [{ code: 'needs_target' }, NEEDS_TARGET, '`subscribe` 需要 <bk_biz_id> cron <cron_id> 或 <bk_biz_id> plan <job_plan_id>'],
    [{ code: 'bad_kind', text: 'job' }, '`job` is neither `cron` nor `plan`', '`job` 既不是 `cron` 也不是 `plan`'],
    [{ code: 'bad_digest' }, BAD_DIGEST, '`--digest` 需要一天中的时间，如 09:00'],
    [{ code: 'needs_subscription_id', verb: 'unsubscribe' }, '`unsubscribe` needs a subscription id (see `/joblog list`)', '`unsubscribe` 需要订阅 ID（见 `/joblog list`）'],
    [{ code: 'needs_subscription_id', verb: 'mute' }, '`mute` needs a subscription id (see `/joblog list`)', '`mute` 需要订阅 ID（见 `/joblog list`）'],
    [{ code: 'bad_duration', text: '40d' }, '`40d` is not a duration like 24h, 90m or 2d', '`40d` 不是 24h、90m、2d 这样的时长'],
    [{ code: 'missing', what: 'cron_id' }, 'cron_id is missing', '缺少 cron_id'],
    [{ code: 'not_a_number', what: 'job_plan_id', text: 'x' }, 'job_plan_id must be a positive whole number, not "x"', 'job_plan_id 必须是正整数，而不是“x”'],
  ])('%j', (problem, en, zh) => {
    expect(describeProblem(problem, 'en')).toBe(en);
    expect(describeProblem(problem, 'zh-CN')).toBe(zh);
  });

  it('words what the parser refuses, in Chinese too', () => {
    const result = parse('mute sub-000001 soon');
    expect(result).toEqual({ kind: 'invalid', problem: { code: 'bad_duration', text: 'soon' } });
    if (result.kind !== 'invalid') throw new Error('expected a problem');
    expect(describeProblem(result.problem, 'zh-CN')).toBe('`soon` 不是 24h、90m、2d 这样的时长');
  });
});
