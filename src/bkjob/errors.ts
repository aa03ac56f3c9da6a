/**
 * Typed, human errors for everything that can go wrong talking to BlueKing JOB.
 * Messages are safe to show in Slack: they never carry URLs, query strings or credentials.
 */

export type BkJobErrorKind =
  /** BlueKing answered `result: false` (permission, unknown job, bad parameter …). */
  | 'api'
  /** HTTP status outside 2xx (ESB/gateway down, 5xx, gateway 4xx). */
  | 'http'
  | 'timeout'
  /** Connection refused, DNS failure, reset: BlueKing could not be reached. */
  | 'network'
  /** Body is not JSON, or JSON that does not have the documented shape. */
  | 'bad_response'
  /** Body larger than BK_MAX_RESPONSE_MB. */
  | 'too_large'
  /** The requested host/step is not in the job. */
  | 'not_found'
  /** The configured JOB API cannot do what was asked (e.g. business sets through v2). */
  | 'unsupported'
  /** The people's BlueKing budget is used up and its waiting line full: not sent, refused at once (BK_PEOPLE_QUEUE). */
  | 'busy';

export interface BkJobErrorDetails {
  readonly kind: BkJobErrorKind;
  /** BlueKing's error code for `api` errors (e.g. 9900403), the HTTP status for `http`. */
  readonly code?: number;
  /** BlueKing's own message, verbatim (for `api` errors and gateway errors). */
  readonly bkMessage?: string;
  /** ESB/JOB request id, useful when asking the BlueKing admins. */
  readonly requestId?: string;
  /** IAM permission actions BlueKing says are missing (e.g. access_business). */
  readonly missingPermissions?: readonly string[];
  /** JOB's own code in the body of a non-2xx answer (HTTP 401 carries 1247002); `code` is then the HTTP status. */
  readonly bkCode?: number;
  /** The request parameter BlueKing's message names as missing or invalid (`请求参数[job_instance_id]缺失或不合法`). */
  readonly parameter?: string;
  /** The BlueKing user the call was made as, when known, so a permission error can name whose permission is missing. */
  readonly username?: string;
  /** `busy` because the person's own requests fill their share of the waiting line (not other people's). */
  readonly ownLine?: boolean;
}

export class BkJobError extends Error {
  readonly kind: BkJobErrorKind;
  readonly code?: number;
  readonly bkMessage?: string;
  readonly requestId?: string;
  readonly missingPermissions: readonly string[];
  // `declare`: no own key unless set, so errors without these details look exactly as before (logs, tests).
  declare readonly bkCode?: number;
  declare readonly parameter?: string;
  declare readonly username?: string;
  declare readonly ownLine?: boolean;

  constructor(message: string, details: BkJobErrorDetails) {
    super(message);
    this.name = 'BkJobError';
    this.kind = details.kind;
    this.code = details.code;
    this.bkMessage = details.bkMessage;
    this.requestId = details.requestId;
    this.missingPermissions = details.missingPermissions ?? [];
    if (details.bkCode !== undefined) this.bkCode = details.bkCode;
    if (details.parameter !== undefined) this.parameter = details.parameter;
    if (details.username !== undefined) this.username = details.username;
    if (details.ownLine !== undefined) this.ownLine = details.ownLine;
  }

  /** Errors worth retrying later: BlueKing may well answer next time. */
  get transient(): boolean {
    return this.kind === 'timeout' || this.kind === 'network' || this.kind === 'busy' || (this.kind === 'http' && (this.code ?? 0) >= 500) || (this.kind === 'http' && this.code === 429);
  }
}

/**
 * BlueKing codes the bot explains in its own words, in addition to BlueKing's message
 * (JOB's `ErrorCode.java`; bkjob-source-facts A-8 and C1).
 */
export const BK_ERROR_CODES = {
  /** No IAM permission; the answer lists the missing actions. */
  PERMISSION_DENIED: 9900403,
  /** JOB internal error; v2 log and v3 status also answer it for jobs with container steps, job lists for a bad filter value. */
  INTERNAL_ERROR: 1240002,
  /** A request parameter is invalid (no name given). */
  INVALID_PARAMETER: 1241002,
  /** The step's or job's state does not allow the operation. */
  UNSUPPORTED_OPERATION: 1241003,
  /** operate_job_instance "start" on a job that is not blank (`不支持的操作，请勿重复启动作业`); no hint of its own. */
  JOB_ALREADY_STARTED: 1241015,
  /** `请求参数[{0}]缺失或不合法`: a named parameter is missing or invalid. */
  INVALID_NAMED_PARAMETER: 1241007,
  /** No such business or business set, or it is archived. */
  BIZ_NOT_FOUND: 1243049,
  /** No such job instance, or it belongs to another business (ip_log: also a step not in the job). */
  JOB_INSTANCE_NOT_FOUND: 1244006,
  /** No such step instance in the job (or in the business). */
  STEP_INSTANCE_NOT_FOUND: 1244007,
  /** Only the step's confirmers may operate it. */
  NOT_CONFIRMER: 1244016,
  /** JOB's gateway filter found no user in the API gateway's JWT; comes with HTTP 401. */
  NO_USER: 1247002,
} as const;

export const BK_PERMISSION_DENIED = BK_ERROR_CODES.PERMISSION_DENIED;
export const BK_JOB_INSTANCE_NOT_FOUND = BK_ERROR_CODES.JOB_INSTANCE_NOT_FOUND;
export const BK_INTERNAL_ERROR = BK_ERROR_CODES.INTERNAL_ERROR;

/** The sentence the bot adds to an error; each language words every one (`Messages.bkErrorHints`). */
export type BkErrorHint =
  | 'jobNotFound'
  | 'stepNotFound'
  | 'unsupportedOperation'
  | 'notConfirmer'
  | 'bizNotFound'
  | 'internalError'
  | 'invalidParameter'
  | 'noUser'
  | 'missingParameter';

const API_ERROR_HINTS: ReadonlyMap<number, BkErrorHint> = new Map([
  [BK_ERROR_CODES.JOB_INSTANCE_NOT_FOUND, 'jobNotFound'],
  [BK_ERROR_CODES.STEP_INSTANCE_NOT_FOUND, 'stepNotFound'],
  [BK_ERROR_CODES.UNSUPPORTED_OPERATION, 'unsupportedOperation'],
  [BK_ERROR_CODES.NOT_CONFIRMER, 'notConfirmer'],
  [BK_ERROR_CODES.BIZ_NOT_FOUND, 'bizNotFound'],
  [BK_ERROR_CODES.INTERNAL_ERROR, 'internalError'],
  [BK_ERROR_CODES.INVALID_PARAMETER, 'invalidParameter'],
  [BK_ERROR_CODES.INVALID_NAMED_PARAMETER, 'invalidParameter'],
] as const);

/**
 * Which sentence explains this error, if any: the one place codes and HTTP statuses map to
 * hints. 9900403 is not here: its line lists the missing permissions instead.
 */
export function bkErrorHint(err: BkJobError): BkErrorHint | undefined {
  if (err.kind === 'api') return err.code === undefined ? undefined : API_ERROR_HINTS.get(err.code);
  if (err.kind !== 'http') return undefined;
  if (err.code === 401 && err.bkCode === BK_ERROR_CODES.NO_USER) return 'noUser';
  // JOB's MissingParameterException; a 400 without a parameter name is the API gateway's own (app code, credentials).
  if (err.code === 400 && err.parameter !== undefined) return 'missingParameter';
  return undefined;
}

/**
 * The parameter a BlueKing message names: JOB writes `请求参数[job_instance_id]缺失或不合法` /
 * `Missing or invalid request parameter [job_instance_id]`; Spring writes `parameter 'x'`. Only
 * name-like text counts, so the gateway's `Parameters error [reason="…"]` names nothing.
 */
export function parameterInMessage(message: string | undefined): string | undefined {
  if (!message || !/参数|parameter/i.test(message)) return undefined;
  const match = /\[([A-Za-z_][\w.+/()-]{0,63})\]/.exec(message) ?? /parameter '([A-Za-z_][\w.]{0,63})'/i.exec(message);
  return match?.[1];
}

export function isBkJobError(err: unknown): err is BkJobError {
  return err instanceof BkJobError;
}
