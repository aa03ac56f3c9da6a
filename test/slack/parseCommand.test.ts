/**
 * `/joblog` argument parsing: every form the help text documents, sloppy whitespace from
 * copy-paste, and an exact, short reason for everything it refuses.
 */
import { type JoblogCommand, MAX_BIZ_ID, MAX_JOB_INSTANCE_ID, describeProblem, parseJoblogCommand as parse } from '../../src/slack/parseCommand';

/** The parser with its problem worded in English, as users of BOT_LANG=en read it. */
function parseJoblogCommand(text: string): Exclude<JoblogCommand, { kind: 'invalid' }> | { kind: 'invalid'; problem: string } {
  const result = parse(text);
  return result.kind === 'invalid' ? { kind: 'invalid', problem: describeProblem(result.problem, 'en') } : result;
}

const invalid = (problem: string) => ({ kind: 'invalid', problem });

describe('parseJoblogCommand: help', () => {
  it.each(['', '   ', 'help', 'HELP', 'Help', '--help', '-h', '?', '  help  ', '\u00a0', 'help watch'])('%p → help', (text) => {
    expect(parseJoblogCommand(text)).toEqual({ kind: 'help' });
  });
});

describe('parseJoblogCommand: show', () => {
  it('parses "<biz> <job>" as show', () => {
    expect(parseJoblogCommand('1 100')).toEqual({ kind: 'show', ref: { bizId: 1, jobInstanceId: 100 } });
  });

  it.each([
    ['  1   100  '],
    ['1\t100'],
    ['1\u00a0100'],
    ['\u00a01\u00a0\u00a0100\u00a0'],
    ['1\u3000100'],
    ['1 \u00a0 100\n'],
  ])('tolerates extra whitespace and non-breaking spaces: %p', (text) => {
    expect(parseJoblogCommand(text)).toEqual({ kind: 'show', ref: { bizId: 1, jobInstanceId: 100 } });
  });

  it('accepts the largest bk_biz_id and job_instance_id', () => {
    expect(parseJoblogCommand(`${MAX_BIZ_ID} ${MAX_JOB_INSTANCE_ID}`)).toEqual({ kind: 'show', ref: { bizId: 2_147_483_647, jobInstanceId: 9_007_199_254_740_991 } });
  });

  it('reads leading zeros as decimal', () => {
    expect(parseJoblogCommand('0002 0100')).toEqual({ kind: 'show', ref: { bizId: 2, jobInstanceId: 100 } });
  });

  it.each<[string, string]>([
    ['abc 100', 'bk_biz_id must be a positive whole number, not "abc"'],
    ['1 abc', 'job_instance_id must be a positive whole number, not "abc"'],
    ['1 1e3', 'job_instance_id must be a positive whole number, not "1e3"'],
    ['1.5 100', 'bk_biz_id must be a positive whole number, not "1.5"'],
    ['0x10 100', 'bk_biz_id must be a positive whole number, not "0x10"'],
    ['1 100,', 'job_instance_id must be a positive whole number, not "100,"'],
    ['0 100', 'bk_biz_id 0 is out of range (1–2147483647)'],
    ['1 0', 'job_instance_id 0 is out of range (1–9007199254740991)'],
    ['-1 100', 'bk_biz_id must be a positive whole number, not "-1"'],
    ['1 -100', 'job_instance_id must be a positive whole number, not "-100"'],
    ['2147483648 100', 'bk_biz_id 2147483648 is out of range (1–2147483647)'],
    ['1 9007199254740992', 'job_instance_id 9007199254740992 is out of range (1–9007199254740991)'],
    ['1 99999999999999999999', 'job_instance_id 99999999999999999999 is out of range (1–9007199254740991)'],
    ['1 2 3', 'expected exactly two numbers: <bk_biz_id> <job_instance_id>'],
    ['100', 'expected exactly two numbers: <bk_biz_id> <job_instance_id>'],
  ])('%p → invalid: %s', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });

  it('cuts an over-long id to 40 characters in the problem', () => {
    const long = 'x'.repeat(100);
    expect(parseJoblogCommand(`1 ${long}`)).toEqual(invalid(`job_instance_id must be a positive whole number, not "${'x'.repeat(40)}"`));
    const digits = '9'.repeat(60);
    expect(parseJoblogCommand(`1 ${digits}`)).toEqual(invalid(`job_instance_id ${'9'.repeat(40)} is out of range (1–9007199254740991)`));
  });
});

describe('parseJoblogCommand: watch', () => {
  it('defaults to notifying on failures', () => {
    expect(parseJoblogCommand('watch 1 100')).toEqual({ kind: 'watch', ref: { bizId: 1, jobInstanceId: 100 }, notifyOn: 'failure' });
  });

  it.each<[string, 'failure' | 'finish' | 'all']>([
    ['watch 1 100 --on finish', 'finish'],
    ['watch 1 100 --on=all', 'all'],
    ['watch --on all 1 100', 'all'],
    ['watch 1 --on=finish 100', 'finish'],
    ['watch 1 100 --on failure', 'failure'],
    ['WATCH 1 100 --on finish', 'finish'],
    ['  watch\u00a01\u00a0100\u00a0--on\u00a0all ', 'all'],
    ['watch 1 100 --on finish --on all', 'all'],
  ])('%p → notifyOn %p', (text, notifyOn) => {
    expect(parseJoblogCommand(text)).toEqual({ kind: 'watch', ref: { bizId: 1, jobInstanceId: 100 }, notifyOn });
  });

  it.each([
    ['watch 1 100 --on everything'],
    ['watch 1 100 --on=sometimes'],
    ['watch 1 100 --on FINISH'],
    ['watch 1 100 --on'],
    ['watch 1 100 --on='],
    ['watch --on'],
  ])('rejects a bad or missing --on value: %p', (text) => {
    expect(parseJoblogCommand(text)).toEqual(invalid('`--on` must be one of failure, finish, all'));
  });

  it('does not take the next id as the --on value', () => {
    expect(parseJoblogCommand('watch 1 --on 100')).toEqual(invalid('`--on` must be one of failure, finish, all'));
  });

  it.each<[string, string]>([
    ['watch', '`watch` needs <bk_biz_id> <job_instance_id>'],
    ['watch 1', '`watch` needs <bk_biz_id> <job_instance_id>'],
    ['watch 1 2 3', '`watch` needs <bk_biz_id> <job_instance_id>'],
    ['watch 1 100 --verbose', 'unknown option `--verbose`'],
    ['watch 0 100', 'bk_biz_id 0 is out of range (1–2147483647)'],
    ['watch 1 abc', 'job_instance_id must be a positive whole number, not "abc"'],
    ['watch 2147483648 1 --on all', 'bk_biz_id 2147483648 is out of range (1–2147483647)'],
  ])('%p → invalid: %s', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });

  it('cuts a long unknown option to 40 characters', () => {
    expect(parseJoblogCommand(`watch 1 100 --${'z'.repeat(80)}`)).toEqual(invalid(`unknown option \`--${'z'.repeat(38)}\``));
  });
});

describe('parseJoblogCommand: unwatch', () => {
  it('parses unwatch', () => {
    expect(parseJoblogCommand('unwatch 1 100')).toEqual({ kind: 'unwatch', ref: { bizId: 1, jobInstanceId: 100 } });
    expect(parseJoblogCommand(' Unwatch\u00a0 7  42 ')).toEqual({ kind: 'unwatch', ref: { bizId: 7, jobInstanceId: 42 } });
  });

  it.each<[string, string]>([
    ['unwatch', '`unwatch` needs <bk_biz_id> <job_instance_id>'],
    ['unwatch 1', '`unwatch` needs <bk_biz_id> <job_instance_id>'],
    ['unwatch 1 100 --on all', 'unknown option `--on`'],
    ['unwatch 1 -5', 'job_instance_id must be a positive whole number, not "-5"'],
  ])('%p → invalid: %s', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });
});

describe('parseJoblogCommand: list', () => {
  it.each(['list', 'LIST', '  list  ', '\u00a0list'])('%p → list', (text) => {
    expect(parseJoblogCommand(text)).toEqual({ kind: 'list' });
  });

  it.each(['list all', 'list 1 100', 'list --on all'])('%p → list takes no arguments', (text) => {
    expect(parseJoblogCommand(text)).toEqual(invalid('`list` takes no arguments'));
  });
});

describe('parseJoblogCommand: unknown verbs', () => {
  it.each<[string, string]>([
    ['frobnicate', 'unknown command `frobnicate`'],
    ['status 1 100', 'unknown command `status`'],
    ['Stop 1 100 now', 'unknown command `Stop`'],
    [`${'q'.repeat(60)}`, `unknown command \`${'q'.repeat(40)}\``],
  ])('%p → invalid: %s', (text, problem) => {
    expect(parseJoblogCommand(text)).toEqual(invalid(problem));
  });
});

describe('describeProblem in Chinese', () => {
  it.each([
    ['abc 1', 'bk_biz_id 必须是正整数，而不是“abc”'],
    ['1 0', 'job_instance_id 0 超出范围（1–9007199254740991）'],
    ['list 1', '`list` 不需要参数'],
    ['watch 1', '`watch` 需要 <bk_biz_id> <job_instance_id>'],
    ['watch 1 2 --on never', '`--on` 只能是 failure、finish、all'],
    ['watch 1 2 --verbose', '未知选项 `--verbose`'],
    ['1 2 3', '需要两个数字：<bk_biz_id> <job_instance_id>'],
    ['deploy now', '未知命令 `deploy`'],
  ])('%s → %s', (text, expected) => {
    const result = parse(text);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(describeProblem(result.problem, 'zh-CN')).toBe(expected);
  });
});
