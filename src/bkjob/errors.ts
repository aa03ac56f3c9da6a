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
  | 'not_found';

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
}

export class BkJobError extends Error {
  readonly kind: BkJobErrorKind;
  readonly code?: number;
  readonly bkMessage?: string;
  readonly requestId?: string;
  readonly missingPermissions: readonly string[];

  constructor(message: string, details: BkJobErrorDetails) {
    super(message);
    this.name = 'BkJobError';
    this.kind = details.kind;
    this.code = details.code;
    this.bkMessage = details.bkMessage;
    this.requestId = details.requestId;
    this.missingPermissions = details.missingPermissions ?? [];
  }

  /** Errors worth retrying later: BlueKing may well answer next time. */
  get transient(): boolean {
    return this.kind === 'timeout' || this.kind === 'network' || (this.kind === 'http' && (this.code ?? 0) >= 500) || (this.kind === 'http' && this.code === 429);
  }
}

/** BlueKing codes the bot explains in its own words, in addition to BlueKing's message. */
export const BK_PERMISSION_DENIED = 9900403;
export const BK_JOB_INSTANCE_NOT_FOUND = 1244006;
/** JOB internal error; v2 log and v3 status also answer it for jobs with container steps. */
export const BK_INTERNAL_ERROR = 1240002;

export function isBkJobError(err: unknown): err is BkJobError {
  return err instanceof BkJobError;
}
