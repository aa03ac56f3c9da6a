/**
 * The fake's JOB operations: `operate_step_instance` and `operate_job_instance` with JOB's own
 * rules (bkjob-source-facts C1; `TaskExecuteServiceImpl.doStepOperation`, `checkConfirmUser`):
 * which step status and type allow each code, JOB's codes and messages for a refusal, and the
 * effect on the job, kept simple and deterministic (the next step starts at once, nothing runs
 * in the background). Pure apart from mutating the job def it is given; FakeBkJob (fakeEsb.ts)
 * does the HTTP, the credentials, business access and the scope around it.
 *
 * A retried or resumed step stays running until a test says how it ends: `finishRetry`.
 */
import { type FakeHostDef, type FakeJobDef, type FakeStepDef, jobStatus } from './fakeJobs';

export type FakeOperateLanguage = 'en' | 'zh';

/** `StepOperationEnum` codes JOB accepts on operate_step_instance (4 and 5 are not among them). */
export const FAKE_STEP_OPERATIONS = { RETRY_FAIL_IP: 2, IGNORE_ERROR: 3, CONFIRM_CONTINUE: 6, RETRY_ALL_IP: 8, CONFIRM_TERMINATE: 9, CONFIRM_RESTART: 10, NEXT_STEP: 11, SKIP: 12, ROLLING_CONTINUE: 13 } as const;
/** `TaskOperationEnum`: 1 terminate, 2 start (a job created with `start_task=false`). */
export const FAKE_JOB_OPERATIONS = { TERMINATE: 1, START: 2 } as const;

/** JOB codes the operations answer with (`ErrorCode.java`, bkjob-source-facts A-8). */
export const OPERATE_CODES = {
  ILLEGAL_PARAM: 1241002,
  UNSUPPORTED_OPERATION: 1241003,
  JOB_ALREADY_STARTED: 1241015,
  JOB_INSTANCE_NOT_FOUND: 1244006,
  STEP_INSTANCE_NOT_FOUND: 1244007,
  NOT_CONFIRMER: 1244016,
} as const;

/** The confirm role that means "whoever launched the job" (`JobRoleEnum`). */
export const TRIGGER_USER_ROLE = 'JOB_RESOURCE_TRIGGER_USER';

/** Host task status of a host whose task was force-terminated (`ExecuteObjectTaskStatusEnum` 403). */
export const HOST_TERMINATED = 403;
/** GSE error code of a force-terminated task. */
const GSE_TERMINATED = 126;

const TEXT = {
  en: {
    illegalParam: 'Invalid request parameter',
    unsupported: 'Unsupported operation',
    alreadyStarted: 'Unsupported operation, do not start the job repeatedly',
    jobNotFound: 'Task instance does not exist',
    stepNotFound: 'Step instance does not exist',
    notConfirmer: 'Only the confirmer of the step can operate',
  },
  zh: {
    illegalParam: '请求参数不合法',
    unsupported: '不支持的操作',
    alreadyStarted: '不支持的操作，请勿重复启动作业',
    jobNotFound: '作业实例不存在',
    stepNotFound: '作业步骤实例不存在',
    notConfirmer: '只有步骤的确认人可以操作',
  },
} as const satisfies Record<FakeOperateLanguage, unknown>;

/** What an operation answers: `EsbJobExecuteV3DTO` data, or JOB's error. */
export type OperateReply = { readonly kind: 'data'; readonly data: Record<string, unknown> } | { readonly kind: 'error'; readonly code: number; readonly message: string };

export interface OperateRequest {
  readonly params: Readonly<Record<string, unknown>>;
  readonly lang: FakeOperateLanguage;
  /** The BlueKing user JOB acts as. */
  readonly user: string;
  /** When the operation happens (start and end times of what it changes). */
  readonly now: number;
}

/** An operation JOB accepted, as `FakeBkJob.operations()` lists it. */
export interface FakeOperation {
  readonly api: 'operate_step_instance' | 'operate_job_instance';
  readonly jobInstanceId: number;
  /** null for operate_job_instance. */
  readonly stepInstanceId: number | null;
  readonly code: number;
  readonly username: string;
}

function error(code: number, message: string): OperateReply {
  return { kind: 'error', code, message };
}

/** Integers arrive as JSON numbers or as text. */
function intParam(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,18}$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return null;
}

/** `checkRequest` of the operate resources: ids > 0, else 1241002. */
function positiveId(params: OperateRequest['params'], name: string): number | null {
  const id = intParam(params[name]);
  return id !== null && id > 0 ? id : null;
}

/** The ids and code of an operate request, or JOB's 1241002 for any of them missing or bad. */
export function readOperateIds(params: OperateRequest['params'], lang: FakeOperateLanguage, withStep: boolean): { jobInstanceId: number; stepInstanceId: number | null; code: number } | OperateReply {
  const jobInstanceId = positiveId(params, 'job_instance_id');
  const stepInstanceId = withStep ? positiveId(params, 'step_instance_id') : null;
  const code = intParam(params.operation_code);
  if (jobInstanceId === null || (withStep && stepInstanceId === null) || code === null) return error(OPERATE_CODES.ILLEGAL_PARAM, TEXT[lang].illegalParam);
  return { jobInstanceId, stepInstanceId, code };
}

const STEP_CODES: ReadonlySet<number> = new Set(Object.values(FAKE_STEP_OPERATIONS));
const JOB_CODES: ReadonlySet<number> = new Set(Object.values(FAKE_JOB_OPERATIONS));

/** Step statuses a retry (2, 8) may start from: FAIL, ABNORMAL_STATE, STOP_SUCCESS. */
const RETRYABLE: ReadonlySet<number> = new Set([4, 9, 11]);
/** Step statuses ignore-error (3) accepts: FAIL, ABNORMAL_STATE. */
const IGNORABLE: ReadonlySet<number> = new Set([4, 9]);
/** Step statuses a terminate stops: running, waiting for the user, stopping, rolling-waiting. */
const ACTIVE: ReadonlySet<number> = new Set([2, 7, 10, 15]);

/**
 * `operate_step_instance` on `def` (the job the scope and `job_instance_id` name, undefined when
 * JOB has none): 1241002 for a bad id or code, 1244006 / 1244007 for an unknown job / step,
 * 1241003 when the step's status or type does not allow the code, 1244016 for a caller who may
 * not confirm (6 and 9 only). On success the def is changed in place.
 */
export function operateStep(def: FakeJobDef | undefined, request: OperateRequest): OperateReply {
  const text = TEXT[request.lang];
  const ids = readOperateIds(request.params, request.lang, true);
  if ('kind' in ids) return ids;
  if (!STEP_CODES.has(ids.code)) return error(OPERATE_CODES.ILLEGAL_PARAM, text.illegalParam);
  if (!def) return error(OPERATE_CODES.JOB_INSTANCE_NOT_FOUND, text.jobNotFound);
  const index = def.steps.findIndex((s) => s.stepInstanceId === ids.stepInstanceId);
  const step = def.steps[index];
  if (!step) return error(OPERATE_CODES.STEP_INSTANCE_NOT_FOUND, text.stepNotFound);
  const unsupported = error(OPERATE_CODES.UNSUPPORTED_OPERATION, text.unsupported);
  const { now } = request;
  switch (ids.code) {
    case FAKE_STEP_OPERATIONS.RETRY_FAIL_IP:
    case FAKE_STEP_OPERATIONS.RETRY_ALL_IP:
      if (!RETRYABLE.has(step.status)) return unsupported;
      retryStep(def, step, ids.code === FAKE_STEP_OPERATIONS.RETRY_ALL_IP, now);
      break;
    case FAKE_STEP_OPERATIONS.IGNORE_ERROR:
      if (!IGNORABLE.has(step.status)) return unsupported;
      if (step.status === 9) {
        // JOB answers success and sets the job running, but its engine ignores errors only on a failed step: nothing moves.
        resumeJob(def, 2);
      } else {
        step.status = 6;
        advance(def, index, now);
      }
      break;
    case FAKE_STEP_OPERATIONS.CONFIRM_CONTINUE:
    case FAKE_STEP_OPERATIONS.CONFIRM_TERMINATE: {
      if (step.type !== 3 || step.status !== 7) return unsupported;
      if (!mayConfirm(def, step, request.user)) return error(OPERATE_CODES.NOT_CONFIRMER, text.notConfirmer);
      step.endTime = now;
      if (ids.code === FAKE_STEP_OPERATIONS.CONFIRM_CONTINUE) {
        step.status = 3;
        advance(def, index, now);
      } else {
        // Set directly by ConfirmStepEventHandler: no callback for 13.
        step.status = 13;
        def.status = 13;
        delete def.endTime;
      }
      break;
    }
    case FAKE_STEP_OPERATIONS.CONFIRM_RESTART:
      // No confirmer check: anyone may ask the confirmers again.
      if (step.type !== 3 || step.status !== 13) return unsupported;
      step.status = 7;
      step.endTime = null;
      resumeJob(def, 7);
      break;
    case FAKE_STEP_OPERATIONS.NEXT_STEP:
      // The stopped step stays 11; the job goes on with the next one.
      if (step.status !== 11) return unsupported;
      advance(def, index, now);
      break;
    case FAKE_STEP_OPERATIONS.SKIP:
      if (step.status !== 10) return unsupported;
      step.status = 5;
      step.endTime = now;
      advance(def, index, now);
      break;
    case FAKE_STEP_OPERATIONS.ROLLING_CONTINUE:
      // A manual rolling pause: a script or file step waiting at 7 between batches.
      if (step.type === 3 || step.status !== 7) return unsupported;
      step.status = 2;
      delete step.endTime;
      resumeJob(def, 2);
      break;
    default:
      return error(OPERATE_CODES.ILLEGAL_PARAM, text.illegalParam);
  }
  return { kind: 'data', data: { job_instance_id: def.jobInstanceId, job_instance_name: null, step_instance_id: step.stepInstanceId } };
}

/**
 * `operate_job_instance` on `def`: 1 terminate (job 2 or 7, else 1241003): the job and its
 * active steps end as 11 STOP_SUCCESS at once (JOB passes through 10 STOPPING while GSE stops
 * the tasks), running hosts as force-terminated; 2 start (job 1, else 1241015).
 */
export function operateJob(def: FakeJobDef | undefined, request: OperateRequest): OperateReply {
  const text = TEXT[request.lang];
  const ids = readOperateIds(request.params, request.lang, false);
  if ('kind' in ids) return ids;
  if (!JOB_CODES.has(ids.code)) return error(OPERATE_CODES.ILLEGAL_PARAM, text.illegalParam);
  if (!def) return error(OPERATE_CODES.JOB_INSTANCE_NOT_FOUND, text.jobNotFound);
  const status = jobStatus(def);
  if (ids.code === FAKE_JOB_OPERATIONS.TERMINATE) {
    if (status !== 2 && status !== 7) return error(OPERATE_CODES.UNSUPPORTED_OPERATION, text.unsupported);
    terminate(def, request.now);
  } else {
    if (status !== 1) return error(OPERATE_CODES.JOB_ALREADY_STARTED, text.alreadyStarted);
    advance(def, -1, request.now);
  }
  return { kind: 'data', data: { job_instance_id: def.jobInstanceId, job_instance_name: null, step_instance_id: null } };
}

/**
 * `checkConfirmUser` (master): a listed confirm user passes; with roles configured, the job's
 * operator passes for `JOB_RESOURCE_TRIGGER_USER` and members of the other roles pass, anyone
 * else is refused; with no roles, the check does not fail at all (bkjob-source-facts C1).
 */
export function mayConfirm(def: FakeJobDef, step: FakeStepDef, user: string): boolean {
  if (step.confirmUsers?.includes(user)) return true;
  const roles = Object.entries(step.confirmRoles ?? {});
  if (roles.length === 0) return true;
  const operator = def.operator ?? 'admin';
  return roles.some(([role, members]) => (role === TRIGGER_USER_ROLE ? operator === user : members.includes(user)));
}

// ---- effects ----------------------------------------------------------------------------------

/** The job runs (or waits) again: status set, end time back to "derived" (none while unfinished). */
function resumeJob(def: FakeJobDef, status: number): void {
  def.status = status;
  delete def.endTime;
}

function runHost(host: FakeHostDef, now: number): void {
  host.ipStatus = 7;
  host.exitCode = null;
  host.errorCode = 115;
  host.startTime = now;
  host.endTime = null;
}

/** 2: the hosts that did not succeed run again; 8: every host. A new execution (execute_count + 1). */
function retryStep(def: FakeJobDef, step: FakeStepDef, allHosts: boolean, now: number): void {
  step.executeCount += 1;
  for (const host of step.hosts) if (allHosts || host.ipStatus !== 9) runHost(host, now);
  step.status = 2;
  delete step.endTime;
  resumeJob(def, 2);
}

/**
 * The job moves past step `index`: the next step starts now (a confirmation step waits for the
 * user: step and job 7), or, after the last step, the job succeeds.
 */
function advance(def: FakeJobDef, index: number, now: number): void {
  const next = def.steps[index + 1];
  if (!next) {
    def.status = 3;
    def.endTime = now;
    return;
  }
  const waits = next.type === 3;
  next.status = waits ? 7 : 2;
  next.startTime = now;
  next.endTime = null;
  for (const host of next.hosts) runHost(host, now);
  resumeJob(def, waits ? 7 : 2);
}

function terminate(def: FakeJobDef, now: number): void {
  for (const step of def.steps) {
    if (!ACTIVE.has(step.status)) continue;
    step.status = 11;
    step.endTime = now;
    for (const host of step.hosts) {
      if (host.ipStatus !== 7 && host.ipStatus !== 5) continue;
      host.ipStatus = HOST_TERMINATED;
      host.errorCode = GSE_TERMINATED;
      host.endTime = now;
    }
  }
  def.status = 11;
  delete def.endTime;
}

/**
 * Ends a running (retried or resumed) step the way a test chooses: its running hosts succeed
 * (ip_status 9, exit 0) or fail (104, exit 1) now. On success the job goes on (the next step
 * starts, or the job succeeds); on failure the step and the job fail (4).
 */
export function finishRetry(def: FakeJobDef, stepIndex: number, outcome: 'succeeded' | 'failed', now: number = Date.now()): void {
  const step = def.steps[stepIndex];
  if (!step) throw new Error(`job ${def.jobInstanceId} has no step ${stepIndex}`);
  if (step.status !== 2) throw new Error(`step ${step.stepInstanceId} is not running (status ${step.status})`);
  const ok = outcome === 'succeeded';
  for (const host of step.hosts) {
    if (host.ipStatus !== 7) continue;
    host.ipStatus = ok ? 9 : 104;
    host.exitCode = ok ? 0 : 1;
    host.errorCode = 0;
    host.endTime = now;
  }
  // Failed hosts left over from before a "retry failed" keep their status: a step fails if any host did.
  const allOk = step.hosts.every((h) => h.ipStatus === 9);
  if (ok && allOk) {
    step.status = 3;
    step.endTime = now;
    advance(def, stepIndex, now);
  } else {
    step.status = 4;
    step.endTime = now;
    def.status = 4;
    delete def.endTime;
  }
}
