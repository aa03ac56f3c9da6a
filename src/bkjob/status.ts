/**
 * BlueKing JOB status code tables: the one place that knows what the numbers mean.
 *
 * Step/job status is JOB's `RunStatusEnum` (v2 documents 1–12; v3 drops 12 and adds 13–15).
 * Host status (`ip_status` in v2, `status` in v3 step_ip_result) is `ExecuteObjectTaskStatusEnum`.
 * Labels follow JOB's own i18n bundles so operators see the words the web console uses.
 */

export const STEP_STATUS = {
  BLANK: 1,
  RUNNING: 2,
  SUCCESS: 3,
  FAIL: 4,
  SKIPPED: 5,
  IGNORE_ERROR: 6,
  WAITING_USER: 7,
  TERMINATED: 8,
  ABNORMAL_STATE: 9,
  STOPPING: 10,
  STOP_SUCCESS: 11,
  STOP_FAILED: 12,
  CONFIRM_TERMINATED: 13,
  ABANDONED: 14,
  ROLLING_WAITING: 15,
} as const;

/** `StepExecuteTypeEnum`: what a step does. */
export const STEP_TYPE = {
  SCRIPT: 1,
  FILE: 2,
  CONFIRMATION: 3,
  SQL: 4,
} as const;

export const HOST_STATUS = {
  AGENT_ABNORMAL: 1,
  NON_ZERO_EXIT: 104,
  LAST_SUCCESS: 3,
  WAITING: 5,
  RUNNING: 7,
  SUCCESS: 9,
} as const;

/** Host finished successfully (9) or was skipped because it succeeded last time (3). */
export function isHostSuccess(ipStatus: number): boolean {
  return ipStatus === HOST_STATUS.SUCCESS || ipStatus === HOST_STATUS.LAST_SUCCESS;
}

/** Host has not finished yet: waiting (5) or running (7). */
export function isHostPending(ipStatus: number): boolean {
  return ipStatus === HOST_STATUS.WAITING || ipStatus === HOST_STATUS.RUNNING;
}

/** Every finished, unsuccessful host status counts as a failure an operator must look at. */
export function isHostFailure(ipStatus: number): boolean {
  return !isHostSuccess(ipStatus) && !isHostPending(ipStatus);
}

/**
 * The exit code worth showing for a host, or null: a non-zero code, or 0 when JOB says the script
 * exited non-zero (104). For timeouts or agent errors JOB reports exit 0, which would mislead.
 */
export function meaningfulExitCode(ipStatus: number, exitCode: number | null): number | null {
  return exitCode !== null && (exitCode !== 0 || ipStatus === HOST_STATUS.NON_ZERO_EXIT) ? exitCode : null;
}
