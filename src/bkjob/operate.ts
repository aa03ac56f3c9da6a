/**
 * BlueKing JOB v3 operations on a running or finished job: `operate_step_instance` (retry,
 * ignore error, confirm, skip, next step, continue rolling) and `operate_job_instance`
 * (terminate). bkjob-source-facts C1.
 *
 * Both are POST-only with a JSON body, whichever way JOB is reached: ESB
 * `/api/c/compapi/v2/jobv3/<name>/`, gateway `/api/v3/<name>`, or JOB's non-public
 * `/api/v3/system/<name>` (`gateway-system`, the user in `X-Bk-Username`). JOB acts as the
 * actor: the confirmer rule (1244016) and business access are checked for that user, nothing
 * else is, so the caller decides who may press which button. There is no `confirm_reason`.
 * A refusal comes back as a `BkJobError` of kind `api` with JOB's code (`BK_ERROR_CODES`):
 * 1241002 bad code or ids, 1241003 the state does not allow it, 1244006 unknown job,
 * 1244007 unknown step, 1244016 not a confirmer.
 */
import type { BkActor, JobRef } from './model';
import { scopeOf } from './scope';
import type { BkAuthMode, BkRequest, BkTransport, QueryValue } from './transport';
import { readInt, readRecord } from './validate';

/** JOB's step operation codes (StepOperationEnum) the bot uses. */
export const STEP_OPERATION = { RETRY_FAILED: 2, IGNORE_ERROR: 3, CONFIRM_CONTINUE: 6, RETRY_ALL: 8, CONFIRM_TERMINATE: 9, CONFIRM_RESTART: 10, NEXT_STEP: 11, SKIP: 12, ROLLING_CONTINUE: 13 } as const;
export type StepOperationCode = (typeof STEP_OPERATION)[keyof typeof STEP_OPERATION];

/** JOB's job operation codes (TaskOperationEnum) the bot uses: 1 terminate (job 2 or 7, else 1241003). */
export const JOB_OPERATION = { TERMINATE: 1 } as const;
export type JobOperationCode = (typeof JOB_OPERATION)[keyof typeof JOB_OPERATION];

export interface JobOperator {
  /** operate_step_instance; resolves with JOB's answer (job_instance_id, step_instance_id); BkJobError on refusal. */
  operateStep(actor: BkActor, ref: JobRef, stepInstanceId: number, code: StepOperationCode): Promise<{ readonly jobInstanceId: number; readonly stepInstanceId: number }>;
  /** operate_job_instance; resolves with JOB's job_instance_id; BkJobError on refusal. */
  operateJob(actor: BkActor, ref: JobRef, code: JobOperationCode): Promise<{ readonly jobInstanceId: number }>;
}

export type OperateApi = 'operate_step_instance' | 'operate_job_instance';

/** Where each operation API lives for each way of reaching JOB: always POST (`EsbOperate*V3Resource`). */
export function operateEndpoint(via: BkAuthMode, api: OperateApi): Pick<BkRequest, 'method' | 'path'> {
  switch (via) {
    case 'esb':
      return { method: 'POST', path: `/api/c/compapi/v2/jobv3/${api}/` };
    case 'gateway':
      return { method: 'POST', path: `/api/v3/${api}` };
    case 'gateway-system':
      return { method: 'POST', path: `/api/v3/system/${api}` };
  }
}

export class V3JobOperator implements JobOperator {
  constructor(
    private readonly transport: BkTransport,
    private readonly options: { readonly via: BkAuthMode },
  ) {}

  async operateStep(actor: BkActor, ref: JobRef, stepInstanceId: number, code: StepOperationCode): Promise<{ readonly jobInstanceId: number; readonly stepInstanceId: number }> {
    const params: Record<string, QueryValue> = { ...scopeOf(ref), job_instance_id: ref.jobInstanceId, step_instance_id: stepInstanceId, operation_code: code };
    const data = await this.call('operate_step_instance', actor, params);
    return parseStepOperationData(data, { jobInstanceId: ref.jobInstanceId, stepInstanceId });
  }

  async operateJob(actor: BkActor, ref: JobRef, code: JobOperationCode): Promise<{ readonly jobInstanceId: number }> {
    const params: Record<string, QueryValue> = { ...scopeOf(ref), job_instance_id: ref.jobInstanceId, operation_code: code };
    const data = await this.call('operate_job_instance', actor, params);
    return parseJobOperationData(data, { jobInstanceId: ref.jobInstanceId });
  }

  private async call(api: OperateApi, actor: BkActor, params: Record<string, QueryValue>): Promise<unknown> {
    const { data } = await this.transport.call({ ...operateEndpoint(this.options.via, api), actor, params });
    return data;
  }
}

/**
 * `data` of `operate_step_instance` (`EsbJobExecuteV3DTO`: `{job_instance_id, job_instance_name
 * (null), step_instance_id}`). JOB has already acted when it answers success, so a success
 * without `data` (or without an id) stands for the ids asked about; an id of the wrong type is
 * still a bad response.
 */
export function parseStepOperationData(data: unknown, requested: { readonly jobInstanceId: number; readonly stepInstanceId: number }): { readonly jobInstanceId: number; readonly stepInstanceId: number } {
  if (data === undefined || data === null) return { ...requested };
  const record = readRecord(data, 'data');
  return {
    jobInstanceId: record.job_instance_id === undefined || record.job_instance_id === null ? requested.jobInstanceId : readInt(record.job_instance_id, 'data.job_instance_id'),
    stepInstanceId: record.step_instance_id === undefined || record.step_instance_id === null ? requested.stepInstanceId : readInt(record.step_instance_id, 'data.step_instance_id'),
  };
}

/** `data` of `operate_job_instance` (`step_instance_id` and `job_instance_name` are null there). */
export function parseJobOperationData(data: unknown, requested: { readonly jobInstanceId: number }): { readonly jobInstanceId: number } {
  if (data === undefined || data === null) return { ...requested };
  const record = readRecord(data, 'data');
  return { jobInstanceId: record.job_instance_id === undefined || record.job_instance_id === null ? requested.jobInstanceId : readInt(record.job_instance_id, 'data.job_instance_id') };
}
