/**
 * Which operations each step state allows (bkjob-source-facts C1, issue 14's table), which step
 * the buttons act on, and when the job can be terminated: only what JOB would accept.
 */
import { STEP_OPERATION } from '../../src/bkjob/operate';
import { buildJobSummary } from '../../src/summary/build';
import { TERMINATE_JOB, canTerminateJob, operableStep, stepOperations, type StepOperationKind } from '../../src/summary/operations';
import type { JobState } from '../../src/summary/types';
import { hosts, job, step } from '../helpers/jobs';

type StepType = 1 | 2 | 3 | null;
const TYPES: readonly StepType[] = [1, 2, 3, null];

/** The expected kinds, in order, for a status and a step type. */
function expected(status: number, type: StepType): StepOperationKind[] {
  switch (status) {
    case 4:
      return ['retry_failed', 'retry_all', 'ignore_error'];
    case 9:
      return ['retry_failed', 'retry_all'];
    case 11:
      return ['retry_failed', 'retry_all', 'next_step'];
    case 7:
      return type === 3 ? ['confirm', 'terminate_confirmation'] : type === null ? [] : ['continue_rolling'];
    case 13:
      return type === 3 ? ['restart_confirmation'] : [];
    case 10:
      return ['skip'];
    default:
      return [];
  }
}

const CASES = Array.from({ length: 15 }, (_, i) => i + 1).flatMap((status) => TYPES.map((type) => ({ status, type, kinds: expected(status, type) })));

describe('stepOperations: the state table', () => {
  test('covers 15 statuses × 4 types', () => {
    expect(CASES).toHaveLength(60);
  });

  test.each(CASES)('status $status, type $type → $kinds', ({ status, type, kinds }) => {
    expect(stepOperations({ status, type }).map((op) => op.kind)).toStrictEqual(kinds);
  });

  test('the spelled-out rows of the issue', () => {
    const kinds = (status: number, type: StepType): StepOperationKind[] => stepOperations({ status, type }).map((op) => op.kind);
    expect(kinds(4, 1)).toStrictEqual(['retry_failed', 'retry_all', 'ignore_error']);
    // Ignore error only on 4: on 9 JOB answers success but nothing runs.
    expect(kinds(9, 2)).not.toContain('ignore_error');
    expect(kinds(11, 1)).toStrictEqual(['retry_failed', 'retry_all', 'next_step']);
    expect(kinds(7, 3)).toStrictEqual(['confirm', 'terminate_confirmation']);
    expect(kinds(13, 3)).toStrictEqual(['restart_confirmation']);
    expect(kinds(7, 1)).toStrictEqual(['continue_rolling']);
    expect(kinds(10, 1)).toStrictEqual(['skip']);
    for (const status of [1, 2, 3, 5, 6, 8, 12, 14, 15]) for (const type of TYPES) expect(kinds(status, type)).toStrictEqual([]);
  });

  test('each operation carries JOB’s operation code and the danger flag for ending or skipping things', () => {
    const all = new Map(CASES.flatMap(({ status, type }) => stepOperations({ status, type })).map((op) => [op.kind, op]));
    expect(Object.fromEntries([...all].map(([kind, op]) => [kind, [op.code, op.destructive]]))).toStrictEqual({
      retry_failed: [STEP_OPERATION.RETRY_FAILED, false],
      retry_all: [STEP_OPERATION.RETRY_ALL, false],
      ignore_error: [STEP_OPERATION.IGNORE_ERROR, true],
      next_step: [STEP_OPERATION.NEXT_STEP, false],
      confirm: [STEP_OPERATION.CONFIRM_CONTINUE, false],
      terminate_confirmation: [STEP_OPERATION.CONFIRM_TERMINATE, true],
      restart_confirmation: [STEP_OPERATION.CONFIRM_RESTART, false],
      continue_rolling: [STEP_OPERATION.ROLLING_CONTINUE, false],
      skip: [STEP_OPERATION.SKIP, true],
    });
    expect([2, 3, 6, 8, 9, 10, 11, 12, 13].sort((a, b) => a - b)).toStrictEqual([...all.values()].map((op) => op.code).sort((a, b) => a - b));
  });
});

describe('operableStep', () => {
  const ref = { bizId: 3, jobInstanceId: 2001 };

  function withType<T extends { type: number | null }>(s: T, type: number | null): T {
    return { ...s, type };
  }

  test('a failed job: the failed step', () => {
    const summary = buildJobSummary(job([step(2002, 'Prepare', 3, hosts(4)), step(2003, 'Restart', 4, hosts(4, 3), 1), step(2004, 'Verify', 1, hosts(4))], ref));
    const picked = operableStep(summary);
    expect(picked?.stepInstanceId).toBe(2003);
    expect(picked?.position).toBe(2);
    expect(picked?.executeCount).toBe(1);
    expect(picked?.failedHostCount).toBe(3);
  });

  test('a waiting confirmation: the confirmation step', () => {
    const summary = buildJobSummary(job([step(2002, 'Prepare', 3, hosts(2)), withType(step(2003, 'Approve', 7, []), 3), step(2004, 'Deploy', 1, hosts(2))], ref));
    expect(operableStep(summary)?.stepInstanceId).toBe(2003);
  });

  test('the first operable step wins when several allow something', () => {
    const summary = buildJobSummary(job([step(2002, 'A', 11, hosts(2, 1)), step(2003, 'B', 4, hosts(2, 2))], ref));
    expect(operableStep(summary)?.stepInstanceId).toBe(2002);
  });

  test.each([
    ['running', [step(2002, 'A', 3, hosts(2)), step(2003, 'B', 2, hosts(2))]],
    ['succeeded', [step(2002, 'A', 3, hosts(2)), step(2003, 'B', 3, hosts(2))]],
    ['not started', [step(2002, 'A', 1, [])]],
    ['terminated', [step(2002, 'A', 8, hosts(2))]],
    ['waiting with an unknown (v2) step type', [withType(step(2002, 'A', 7, []), null)]],
    ['no steps', []],
  ])('%s: none', (_label, steps) => {
    expect(operableStep(buildJobSummary(job(steps, ref)))).toBeNull();
  });
});

describe('canTerminateJob', () => {
  test.each<[JobState, boolean]>([
    ['running', true],
    ['waiting', true],
    ['pending', false],
    ['succeeded', false],
    ['failed', false],
    ['stopped', false],
    ['abnormal', false],
  ])('%s → %s', (state, allowed) => {
    expect(canTerminateJob({ state })).toBe(allowed);
  });

  test('terminating a job is operate_job_instance code 1', () => {
    expect(TERMINATE_JOB).toBe(1);
  });
});
