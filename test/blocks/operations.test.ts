/**
 * renderOperations: the buttons that act on a job, only in the states JOB allows, each with a
 * dialog saying exactly what will happen; their values, decoded as untrusted input.
 */
import type { ActionsBlock, Button, Overflow } from '@slack/types';
import { type RenderOptions, renderJobSummary, renderOptionsFor } from '../../src/blocks/jobSummary';
import { JOB_MENU_ACTION, OPERATION_ACTION_PATTERN, type OperationRequest, decodeOperation, encodeOperation, renderOperations } from '../../src/blocks/operations';
import { LIMITS } from '../../src/blocks/text';
import type { JobInstance } from '../../src/bkjob/model';
import { buildJobSummary } from '../../src/summary/build';
import type { JobSummary } from '../../src/summary/types';
import { blockKitErrors } from '../helpers/blockKit';
import { hosts, job, step } from '../helpers/jobs';

const REF = { bizId: 3, jobInstanceId: 2001894000 };

function summaryOf(steps: JobInstance['steps'], name: string | null = 'Deploy api'): JobSummary {
  return buildJobSummary(job(steps, REF, name));
}

function typed(s: JobInstance['steps'][number], type: number | null): JobInstance['steps'][number] {
  return { ...s, type };
}

const FAILED = summaryOf([step(2002, 'Prepare', 3, hosts(5)), step(2003, 'Restart api-server', 4, hosts(5, 3), 1), step(2004, 'Verify', 1, [])]);
const WAITING = summaryOf([step(2002, 'Prepare', 3, hosts(2)), typed(step(2003, 'Approve release', 7, []), 3), step(2004, 'Deploy', 1, [])]);
const STOPPED = summaryOf([step(2002, 'Prepare', 3, hosts(2)), step(2003, 'Restart api-server', 11, hosts(4, 1)), step(2004, 'Verify', 1, [])]);
const RUNNING = summaryOf([step(2002, 'Prepare', 3, hosts(2)), step(2003, 'Restart api-server', 2, hosts(2)), step(2004, 'Verify', 1, [])]);
const SUCCEEDED = summaryOf([step(2002, 'Prepare', 3, hosts(2)), step(2003, 'Restart api-server', 3, hosts(2))]);

function render(summary: JobSummary): ActionsBlock {
  const block = renderOperations(summary, 'en');
  if (!block) throw new Error('expected an operations block');
  expect(blockKitErrors([block])).toStrictEqual([]);
  return block;
}

function buttons(block: ActionsBlock): Button[] {
  return block.elements.filter((e): e is Button => e.type === 'button');
}

function overflow(block: ActionsBlock): Overflow | undefined {
  return block.elements.find((e): e is Overflow => e.type === 'overflow');
}

describe('renderOperations', () => {
  test('a failed step: Retry failed hosts, Retry all hosts, Ignore error (danger), with exact dialogs', () => {
    const block = render(FAILED);
    expect(block.block_id).toBe('joblog_ops:3:2001894000');
    const [retry, retryAll, ignore] = buttons(block);
    expect(buttons(block)).toHaveLength(3);
    expect(block.elements).toHaveLength(3); // a failed job is finished: no "Terminate job"
    expect(buttons(block).map((b) => [b.action_id, b.text.text, b.style])).toStrictEqual([
      ['joblog_op:retry_failed', 'Retry failed hosts', 'primary'],
      ['joblog_op:retry_all', 'Retry all hosts', undefined],
      ['joblog_op:ignore_error', 'Ignore error', 'danger'],
    ]);
    for (const b of buttons(block)) expect(b.action_id).toMatch(OPERATION_ACTION_PATTERN);
    expect(retry!.confirm).toStrictEqual({
      title: { type: 'plain_text', text: 'Retry failed hosts?' },
      text: { type: 'plain_text', text: 'Retry the 3 failed hosts of step 2 · Restart api-server in Deploy api (2001894000), as your own BlueKing user?' },
      confirm: { type: 'plain_text', text: 'Retry' },
      deny: { type: 'plain_text', text: 'Cancel' },
    });
    expect(retryAll!.confirm?.text.text).toBe('Run step 2 · Restart api-server again on all its hosts in Deploy api (2001894000), as your own BlueKing user?');
    expect(retryAll!.confirm?.style).toBeUndefined();
    expect(ignore!.confirm?.style).toBe('danger');
    expect(ignore!.confirm?.text.text).toBe('Ignore the failure of step 2 · Restart api-server and go on with the next step in Deploy api (2001894000), as your own BlueKing user?');
    expect(decodeOperation(retry!.value)).toStrictEqual({ ref: REF, kind: 'retry_failed', code: 2, stepInstanceId: 2003, executeCount: 1, position: 2, failedHostCount: 3 });
    expect(decodeOperation(retryAll!.value)?.code).toBe(8);
    expect(decodeOperation(ignore!.value)?.code).toBe(3);
  });

  test('one failed host, and a job without a name', () => {
    const block = render(summaryOf([step(2003, 'Restart', 4, hosts(2, 1))], null));
    expect(buttons(block)[0]!.confirm?.text.text).toBe('Retry the failed host of step 1 · Restart in job 2001894000, as your own BlueKing user?');
  });

  test('a waiting confirmation: Confirm (primary) and Terminate (danger), plus Terminate job in the overflow', () => {
    const block = render(WAITING);
    expect(buttons(block).map((b) => [b.action_id, b.text.text, b.style])).toStrictEqual([
      ['joblog_op:confirm', 'Confirm', 'primary'],
      ['joblog_op:terminate_confirmation', 'Terminate', 'danger'],
    ]);
    expect(buttons(block)[0]!.confirm?.text.text).toBe('Confirm step 2 · Approve release and let the job go on in Deploy api (2001894000), as your own BlueKing user?');
    expect(buttons(block)[1]!.confirm?.style).toBe('danger');
    expect(decodeOperation(buttons(block)[0]!.value)).toMatchObject({ kind: 'confirm', code: 6, stepInstanceId: 2003 });
    expect(decodeOperation(buttons(block)[1]!.value)).toMatchObject({ kind: 'terminate_confirmation', code: 9, stepInstanceId: 2003 });
    // A waiting job can be terminated.
    expect(overflow(block)?.action_id).toBe(JOB_MENU_ACTION);
  });

  test('a stopped step: the retries and Next step', () => {
    const block = render(STOPPED);
    expect(buttons(block).map((b) => b.action_id)).toStrictEqual(['joblog_op:retry_failed', 'joblog_op:retry_all', 'joblog_op:next_step']);
    expect(buttons(block)[2]!.confirm?.text.text).toBe('Go on with the step after step 2 · Restart api-server in Deploy api (2001894000), as your own BlueKing user?');
    expect(decodeOperation(buttons(block)[2]!.value)).toMatchObject({ kind: 'next_step', code: 11, failedHostCount: 1 });
  });

  test('a running job: only the overflow with Terminate job, in the danger style', () => {
    const block = render(RUNNING);
    expect(buttons(block)).toStrictEqual([]);
    expect(block.elements).toHaveLength(1);
    const menu = overflow(block)!;
    expect(menu.action_id).toBe(JOB_MENU_ACTION);
    expect(menu.options).toHaveLength(1);
    expect(menu.options[0]!.text.text).toBe('Terminate job');
    expect(menu.confirm).toStrictEqual({
      title: { type: 'plain_text', text: 'Terminate the job?' },
      text: { type: 'plain_text', text: 'Stop the job now in Deploy api (2001894000), as your own BlueKing user?' },
      confirm: { type: 'plain_text', text: 'Terminate' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    });
    expect(decodeOperation(menu.options[0]!.value)).toStrictEqual({ ref: REF, kind: 'terminate_job', code: 1, stepInstanceId: null, executeCount: 0, position: 0, failedHostCount: 0 });
  });

  test('a succeeded job: nothing to do', () => {
    expect(renderOperations(SUCCEEDED, 'en')).toBeNull();
  });

  test('Chinese labels, and a business set scope in the block id and values', () => {
    const inSet = buildJobSummary(job([step(2003, 'Restart', 4, hosts(3, 3))], { bizId: 9991001, jobInstanceId: 2001894000, scopeType: 'biz_set' }, 'Deploy'));
    const block = render(inSet);
    expect(block.block_id).toBe('joblog_ops:set:9991001:2001894000');
    expect(decodeOperation(buttons(block)[0]!.value)?.ref).toStrictEqual({ bizId: 9991001, jobInstanceId: 2001894000, scopeType: 'biz_set' });
    const zh = renderOperations(FAILED, 'zh-CN')!;
    expect(blockKitErrors([zh])).toStrictEqual([]);
    expect(buttons(zh).map((b) => b.text.text)).toStrictEqual(['失败IP重做', '全部重试', '忽略错误']);
  });

  test('huge names stay within the dialog and value limits', () => {
    const block = render(summaryOf([step(2003, 'n'.repeat(5_000), 4, hosts(3, 3)), step(2004, 'x', 2, [])], 'j'.repeat(5_000)));
    for (const b of buttons(block)) {
      expect(b.confirm!.text.text.length).toBeLessThanOrEqual(300);
      expect(b.confirm!.title!.text.length).toBeLessThanOrEqual(100);
      expect((b.value ?? '').length).toBeLessThanOrEqual(LIMITS.buttonValue);
    }
  });
});

describe('encodeOperation / decodeOperation', () => {
  const REQUEST: OperationRequest = { ref: { bizId: 3, jobInstanceId: 20_000_000_123 }, kind: 'retry_failed', code: 2, stepInstanceId: 20_000_000_456, executeCount: 4, position: 2, failedHostCount: 3 };

  test('round trip, steps and jobs, businesses and business sets', () => {
    expect(decodeOperation(encodeOperation(REQUEST))).toStrictEqual(REQUEST);
    const job: OperationRequest = { ...REQUEST, ref: { bizId: 7, jobInstanceId: 9, scopeType: 'biz_set' }, kind: 'terminate_job', code: 1, stepInstanceId: null };
    expect(decodeOperation(encodeOperation(job))).toStrictEqual(job);
    expect(encodeOperation({ ...REQUEST, ref: { bizId: 3, jobInstanceId: 2001 }, stepInstanceId: 2003, executeCount: 0 })).toBe('{"r":"3:2001","k":"retry_failed","c":2,"s":2003,"e":0,"p":2,"n":3}');
  });

  const valid = JSON.parse(encodeOperation(REQUEST)) as Record<string, unknown>;
  test.each<[string, unknown]>([
    ['not a string', 42],
    ['undefined', undefined],
    ['not JSON', '{"r":"3:2001",'],
    ['JSON but not an object', '"retry_failed"'],
    ['null', 'null'],
    ['an unknown kind', JSON.stringify({ ...valid, k: 'delete_everything' })],
    ['a kind with a different case', JSON.stringify({ ...valid, k: 'RETRY_FAILED' })],
    ['a step kind with no step', JSON.stringify({ ...valid, s: null })],
    ['terminate_job with a step', JSON.stringify({ ...valid, k: 'terminate_job' })],
    ['step 0', JSON.stringify({ ...valid, s: 0 })],
    ['a negative count', JSON.stringify({ ...valid, n: -1 })],
    ['a fractional code', JSON.stringify({ ...valid, c: 2.5 })],
    ['a string code', JSON.stringify({ ...valid, c: '2' })],
    ['a missing execute count', JSON.stringify({ ...valid, e: undefined })],
    ['a bad job ref', JSON.stringify({ ...valid, r: '3;2001' })],
    ['too long', JSON.stringify({ ...valid, pad: 'x'.repeat(LIMITS.buttonValue) })],
  ])('%s → null', (_label, value) => {
    expect(decodeOperation(value)).toBeNull();
  });
});

describe('renderJobSummary with operations', () => {
  const OPTIONS: RenderOptions = { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/2001894000', now: Date.UTC(2024, 5, 11, 4), watching: false, operations: true };

  function opsBlock(blocks: readonly { type: string; block_id?: string }[]): unknown {
    return blocks.find((b) => b.type === 'actions' && b.block_id?.startsWith('joblog_ops:'));
  }

  test('a huge failing job stays within 50 blocks and keeps the operations block', () => {
    const steps = Array.from({ length: 100 }, (_, i) => step(2000 + i, `step ${i + 1} ${'x'.repeat(180)}`, i === 40 ? 4 : i < 40 ? 3 : 1, i === 40 ? hosts(10_000, 9_000, Array.from({ length: 3000 }, (_, k) => k + 1)) : []));
    const summary = buildJobSummary(job(steps, REF, 'Deploy api'));
    const message = renderJobSummary(summary, OPTIONS);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(blockKitErrors(message.blocks)).toStrictEqual([]);
    expect(opsBlock(message.blocks)).toStrictEqual(renderOperations(summary, 'en'));
    const value = (opsBlock(message.blocks) as ActionsBlock).elements[0] as Button;
    expect(decodeOperation(value.value)).toMatchObject({ kind: 'retry_failed', stepInstanceId: 2040, position: 41, failedHostCount: 9_000 });
  });

  test('100 failing steps (ignored errors) and one failed: every limit held, operations kept', () => {
    const steps = Array.from({ length: 100 }, (_, i) => step(3000 + i, `s${i}`, i === 99 ? 4 : 6, hosts(50, 50, [i + 1, i + 2])));
    const message = renderJobSummary(buildJobSummary(job(steps, REF)), OPTIONS);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(blockKitErrors(message.blocks)).toStrictEqual([]);
    expect(opsBlock(message.blocks)).toBeDefined();
  });

  test('off by default, and off when the settings do not enable it (v2)', () => {
    const { operations: _off, ...withoutOperations } = OPTIONS;
    expect(opsBlock(renderJobSummary(FAILED, withoutOperations).blocks)).toBeUndefined();
    const settings = { lang: 'en' as const, offsetMinutes: 480, jobWebUrl: null };
    expect(renderOptionsFor(settings, REF, 0, false).operations).toBe(false);
    expect(renderOptionsFor({ ...settings, operationsEnabled: true }, REF, 0, false).operations).toBe(true);
    expect(opsBlock(renderJobSummary(FAILED, renderOptionsFor({ ...settings, operationsEnabled: true }, REF, 0, false)).blocks)).toBeDefined();
  });

  test('the summaries of every state validate against Block Kit with operations on', () => {
    for (const summary of [FAILED, WAITING, STOPPED, RUNNING, SUCCEEDED]) expect(blockKitErrors(renderJobSummary(summary, OPTIONS).blocks)).toStrictEqual([]);
  });
});
