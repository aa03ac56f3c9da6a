/**
 * The `data` of JOB's job-status answers, read once for both APIs that give it: v3
 * `get_job_instance_status` and v4's (JOB builds both from the same step and result records; only
 * the name of the per-step result list and the shape of "where it ran" differ).
 */
import { BkJobError } from './errors';
import type { HostAddress, HostResult, JobInstance, JobRef, StepInstance } from './model';
import { type Json, readArray, readInt, readOptionalArray, readOptionalInt, readOptionalString, readRecord } from './validate';

/** How one API names a step's results and reads where one result ran. */
export interface StatusDialect {
  /** `step_ip_result_list` (v3) or `step_execute_object_result_list` (v4). */
  readonly resultList: string;
  readonly readWhere: (result: Json, path: string) => HostAddress;
}

/** A result's outcome: the same fields in v3 and v4 (epoch ms, `total_time` in ms). */
function readResult(value: unknown, path: string, retryCount: number, dialect: StatusDialect): HostResult {
  const result = readRecord(value, path);
  return {
    ...dialect.readWhere(result, path),
    ipStatus: readInt(result.status, `${path}.status`),
    tag: readOptionalString(result.tag, `${path}.tag`) ?? '',
    exitCode: readOptionalInt(result.exit_code, `${path}.exit_code`),
    errorCode: readOptionalInt(result.error_code, `${path}.error_code`),
    startTime: readOptionalInt(result.start_time, `${path}.start_time`),
    endTime: readOptionalInt(result.end_time, `${path}.end_time`),
    totalTimeMs: readOptionalInt(result.total_time, `${path}.total_time`),
    // The APIs report the execute count per step only; every result is for the step's latest run.
    retryCount,
  };
}

function readStep(value: unknown, path: string, dialect: StatusDialect): StepInstance {
  const step = readRecord(value, path);
  const executeCount = readOptionalInt(step.execute_count, `${path}.execute_count`) ?? 0;
  const listPath = `${path}.${dialect.resultList}`;
  return {
    stepInstanceId: readInt(step.step_instance_id, `${path}.step_instance_id`),
    name: readOptionalString(step.name, `${path}.name`) ?? '',
    status: readInt(step.status, `${path}.status`),
    type: readOptionalInt(step.type, `${path}.type`),
    // Unstarted steps have null times; a running step has a start but no end or total.
    startTime: readOptionalInt(step.start_time, `${path}.start_time`),
    endTime: readOptionalInt(step.end_time, `${path}.end_time`),
    totalTimeMs: readOptionalInt(step.total_time, `${path}.total_time`),
    executeCount,
    // A step without results (a confirmation) has an empty list, or none where nulls are dropped (v4).
    hosts: readOptionalArray(step[dialect.resultList], listPath).map((result, i) => readResult(result, `${listPath}[${i}]`, executeCount, dialect)),
  };
}

/** Validates and normalises a job-status answer's `data` (results requested). */
export function readJobStatusData(data: unknown, ref: JobRef, dialect: StatusDialect): JobInstance {
  const root = readRecord(data, 'data');
  const job = readRecord(root.job_instance, 'data.job_instance');
  const steps = readArray(root.step_instance_list, 'data.step_instance_list').map((step, i) => readStep(step, `data.step_instance_list[${i}]`, dialect));
  // JOB answers 1244007 for a job without steps; an empty list here means a broken response.
  if (steps.length === 0) {
    throw new BkJobError(`BlueKing JOB returned no steps for job ${ref.jobInstanceId}`, { kind: 'bad_response' });
  }
  return {
    ref,
    name: readOptionalString(job.name, 'data.job_instance.name'),
    status: readInt(job.status, 'data.job_instance.status'),
    startTime: readOptionalInt(job.start_time, 'data.job_instance.start_time'),
    endTime: readOptionalInt(job.end_time, 'data.job_instance.end_time'),
    steps,
  };
}
