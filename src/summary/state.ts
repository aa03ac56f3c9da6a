/**
 * JOB's run status codes → the bot's job state: one table that the summary and the watch rules
 * both read (the rules sit above `summary/`, so they reach it without crossing a layer).
 */
import { STEP_STATUS } from '../bkjob/status';
import type { JobState } from './types';

/** Job status codes (v3 `job_instance.status`, or a step's status) → the bot's job state. */
export function stateOfStatus(status: number): JobState {
  switch (status) {
    case STEP_STATUS.BLANK:
      return 'pending';
    case STEP_STATUS.RUNNING:
    case STEP_STATUS.STOPPING:
      return 'running';
    case STEP_STATUS.WAITING_USER:
    case STEP_STATUS.ROLLING_WAITING:
      return 'waiting';
    case STEP_STATUS.SUCCESS:
    case STEP_STATUS.SKIPPED:
    case STEP_STATUS.IGNORE_ERROR:
      return 'succeeded';
    case STEP_STATUS.FAIL:
    case STEP_STATUS.STOP_FAILED:
      return 'failed';
    case STEP_STATUS.TERMINATED:
    case STEP_STATUS.STOP_SUCCESS:
    case STEP_STATUS.CONFIRM_TERMINATED:
    case STEP_STATUS.ABANDONED:
      return 'stopped';
    default:
      return 'abnormal';
  }
}
