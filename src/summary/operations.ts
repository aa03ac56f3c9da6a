/**
 * What can be done to a job from Slack, pure: which step operations JOB allows in the step's
 * current state (bkjob-source-facts C1), and whether the job can be terminated. Only what JOB
 * would accept is offered, so a button never asks for a sure refusal.
 */
import { JOB_OPERATION, STEP_OPERATION, type StepOperationCode } from '../bkjob/operate';
import { STEP_STATUS, STEP_TYPE } from '../bkjob/status';
import type { JobSummary, StepSummary } from './types';

export type StepOperationKind = 'retry_failed' | 'retry_all' | 'ignore_error' | 'confirm' | 'terminate_confirmation' | 'restart_confirmation' | 'next_step' | 'skip' | 'continue_rolling';

export interface StepOperation {
  readonly kind: StepOperationKind;
  readonly code: StepOperationCode;
  /** Ends or skips something (terminate, ignore an error, skip): shown in the danger style. */
  readonly destructive: boolean;
}

const OP: Readonly<Record<StepOperationKind, StepOperation>> = {
  retry_failed: { kind: 'retry_failed', code: STEP_OPERATION.RETRY_FAILED, destructive: false },
  retry_all: { kind: 'retry_all', code: STEP_OPERATION.RETRY_ALL, destructive: false },
  ignore_error: { kind: 'ignore_error', code: STEP_OPERATION.IGNORE_ERROR, destructive: true },
  confirm: { kind: 'confirm', code: STEP_OPERATION.CONFIRM_CONTINUE, destructive: false },
  terminate_confirmation: { kind: 'terminate_confirmation', code: STEP_OPERATION.CONFIRM_TERMINATE, destructive: true },
  restart_confirmation: { kind: 'restart_confirmation', code: STEP_OPERATION.CONFIRM_RESTART, destructive: false },
  next_step: { kind: 'next_step', code: STEP_OPERATION.NEXT_STEP, destructive: false },
  skip: { kind: 'skip', code: STEP_OPERATION.SKIP, destructive: true },
  continue_rolling: { kind: 'continue_rolling', code: STEP_OPERATION.ROLLING_CONTINUE, destructive: false },
};

/**
 * The operations JOB allows on a step in its state: retries on failed (4), abnormal (9) and
 * stopped (11) steps; ignoring the error only on 4 (on 9 JOB answers success but nothing runs);
 * a waiting confirmation step (type 3, status 7) confirmed or terminated; a terminated
 * confirmation (13) started again; the next step after a stop; a stopping step (10) skipped;
 * a paused rolling step (7, not a confirmation) continued.
 */
export function stepOperations(step: Pick<StepSummary, 'status' | 'type'>): StepOperation[] {
  const confirmation = step.type === STEP_TYPE.CONFIRMATION;
  switch (step.status) {
    case STEP_STATUS.FAIL:
      return [OP.retry_failed, OP.retry_all, OP.ignore_error];
    case STEP_STATUS.ABNORMAL_STATE:
      return [OP.retry_failed, OP.retry_all];
    case STEP_STATUS.STOP_SUCCESS:
      return [OP.retry_failed, OP.retry_all, OP.next_step];
    case STEP_STATUS.WAITING_USER:
      return confirmation ? [OP.confirm, OP.terminate_confirmation] : step.type === null ? [] : [OP.continue_rolling];
    case STEP_STATUS.CONFIRM_TERMINATED:
      return confirmation ? [OP.restart_confirmation] : [];
    case STEP_STATUS.STOPPING:
      return [OP.skip];
    default:
      return [];
  }
}

/** The step the job's buttons act on: the first one in a state that allows an operation. */
export function operableStep(summary: JobSummary): StepSummary | null {
  return summary.steps.find((step) => stepOperations(step).length > 0) ?? null;
}

/** `operate_job_instance` 1 (terminate) needs the job running (2) or waiting (7). */
export function canTerminateJob(summary: Pick<JobSummary, 'state'>): boolean {
  return summary.state === 'running' || summary.state === 'waiting';
}

export const TERMINATE_JOB = JOB_OPERATION.TERMINATE;
