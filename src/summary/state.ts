/**
 * JOB's run status codes → the bot's job state: one table that the summary and the watch rules
 * both read (the rules sit above `summary/`, so they reach it without crossing a layer).
 */
import { STEP_STATUS, STEP_TYPE } from '../bkjob/status';
import type { JobState } from './types';

/**
 * Job status codes (v3 `job_instance.status`, or a step's status) → the bot's job state.
 * 15 (rolling, waiting for the next batch) is automatic: JOB keeps running, nobody has to act.
 * 12 is never sent by any JOB version but stays understood. Unknown codes are abnormal.
 */
const STATE_OF_STATUS: Readonly<Record<number, JobState>> = {
  [STEP_STATUS.BLANK]: 'pending',
  [STEP_STATUS.RUNNING]: 'running',
  [STEP_STATUS.STOPPING]: 'running',
  [STEP_STATUS.ROLLING_WAITING]: 'running',
  [STEP_STATUS.WAITING_USER]: 'waiting',
  [STEP_STATUS.SUCCESS]: 'succeeded',
  [STEP_STATUS.SKIPPED]: 'succeeded',
  [STEP_STATUS.IGNORE_ERROR]: 'succeeded',
  [STEP_STATUS.FAIL]: 'failed',
  [STEP_STATUS.STOP_FAILED]: 'failed',
  [STEP_STATUS.TERMINATED]: 'stopped',
  [STEP_STATUS.STOP_SUCCESS]: 'stopped',
  [STEP_STATUS.CONFIRM_TERMINATED]: 'stopped',
  [STEP_STATUS.ABANDONED]: 'stopped',
};

export function stateOfStatus(status: number): JobState {
  return STATE_OF_STATUS[status] ?? 'abnormal';
}

/**
 * What a step waiting for a person (status 7) waits for: a confirmation step (type 3) is
 * confirmed or terminated; a script or file step is a manual rolling pause, resumed by
 * "continue rolling"; v2 does not say the step type, so it could be either.
 */
export type WaitKind = 'confirmation' | 'rolling_pause' | 'unknown';

export function waitKindOf(step: { readonly status: number; readonly type: number | null }): WaitKind | null {
  if (step.status !== STEP_STATUS.WAITING_USER) return null;
  if (step.type === null) return 'unknown';
  return step.type === STEP_TYPE.CONFIRMATION ? 'confirmation' : 'rolling_pause';
}

/**
 * Job statuses JOB lets go on under the same instance: retry failed or all hosts (from 4, 9, 11),
 * ignore error (4, 9), next step (11), restart confirmation (13). A retry raises the step's
 * execute count, and the job runs again.
 */
const RESUMABLE_STATUSES: ReadonlySet<number> = new Set([STEP_STATUS.FAIL, STEP_STATUS.ABNORMAL_STATE, STEP_STATUS.STOP_SUCCESS, STEP_STATUS.CONFIRM_TERMINATED]);

export function isResumableStatus(status: number): boolean {
  return RESUMABLE_STATUSES.has(status);
}
