/**
 * HTTP transport to BlueKing: the ESB (`/api/c/compapi/...`, credentials as parameters) or the
 * API gateway (credentials in the `X-Bkapi-Authorization` header). It checks the common envelope
 * (`result`, `code`, `message`, `data`; for v4 calls JOB's v4 `data`/`error`) and turns every failure into a `BkJobError` whose message
 * is safe to show: axios errors (which carry the URL and the app secret) never escape this file.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { createRedactor } from '../redact';
import { BkJobError, parameterInMessage } from './errors';
import type { BkActor } from './model';
import { isRecord, parseJsonOrUndefined } from '../util/json';

export interface BkCredentials {
  readonly appCode: string;
  readonly appSecret: string;
}

export interface TransportOptions {
  /** ESB base (`https://paas.example.com`) or gateway stage base (`https://bkapi.example.com/api/bk-job/prod`). */
  readonly baseUrl: string;
  readonly credentials: BkCredentials;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** `esb`: credentials in query/body; `gateway`: credentials in the X-Bkapi-Authorization header. */
  readonly auth: 'esb' | 'gateway';
  /** Sent as `Blueking-Language` so BlueKing's messages come in the bot's language. */
  readonly language?: string;
  readonly http?: AxiosInstance;
  /** Called after every call with the API name, `ok` or the error kind, and the seconds it took (metrics). */
  readonly onCall?: (api: string, outcome: string, seconds: number) => void;
}

export type QueryValue = string | number | boolean;

export interface BkRequest {
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, e.g. `/api/c/compapi/v2/job/get_job_instance_log/`. */
  readonly path: string;
  readonly actor: BkActor;
  readonly params: Readonly<Record<string, QueryValue>>;
  /**
   * `v4`: JOB's v4 envelope `{data, error, job_request_id}`, which has no `result` key (v4 APIs
   * only). Default: the ESB/v3 envelope with `result`.
   */
  readonly envelope?: 'v4';
}

/** A successful envelope's `data`, still untrusted, plus the request id for diagnostics. */
export interface BkEnvelopeData {
  readonly data: unknown;
  readonly requestId?: string;
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

export class BkTransport {
  private readonly http: AxiosInstance;

  constructor(private readonly options: TransportOptions) {
    this.http = options.http ?? axios.create();
  }

  async call(request: BkRequest): Promise<BkEnvelopeData> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      const response = await this.send(request);
      return request.envelope === 'v4' ? parseV4Envelope(response) : parseEnvelope(response);
    } catch (err) {
      outcome = err instanceof BkJobError ? err.kind : 'internal';
      throw err instanceof BkJobError ? this.scrub(err, request.actor) : err;
    } finally {
      const api = request.path.split('/').filter(Boolean).at(-1) ?? request.path;
      this.options.onCall?.(api, outcome, (performance.now() - started) / 1000);
    }
  }

  /** BlueKing's own words go to Slack: make sure they never echo the credentials we sent. */
  private scrub(err: BkJobError, actor: BkActor): BkJobError {
    const redact = createRedactor([this.options.credentials.appSecret, actor.kind === 'token' ? actor.token : undefined]);
    const message = redact(err.message);
    const bkMessage = err.bkMessage === undefined ? undefined : redact(err.bkMessage);
    if (message === err.message && bkMessage === err.bkMessage) return err;
    const parameter = err.parameter === undefined ? undefined : redact(err.parameter);
    return new BkJobError(message, { kind: err.kind, code: err.code, bkMessage, requestId: err.requestId, missingPermissions: err.missingPermissions, bkCode: err.bkCode, parameter, username: err.username });
  }

  private async send(request: BkRequest): Promise<AxiosResponse<string>> {
    const { options } = this;
    const actorParams = actorToParams(request.actor);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.language) headers['Blueking-Language'] = options.language;
    let params: Record<string, QueryValue> | undefined;
    let body: Record<string, QueryValue> | undefined;
    if (options.auth === 'gateway') {
      headers['X-Bkapi-Authorization'] = JSON.stringify({ bk_app_code: options.credentials.appCode, bk_app_secret: options.credentials.appSecret, ...actorParams });
      if (request.method === 'GET') params = { ...request.params };
      else body = { ...request.params };
    } else {
      const all = { bk_app_code: options.credentials.appCode, bk_app_secret: options.credentials.appSecret, ...actorParams, ...request.params };
      if (request.method === 'GET') params = all;
      else body = all;
    }
    try {
      return await this.http.request<string>({
        baseURL: options.baseUrl,
        url: request.path,
        method: request.method,
        params,
        data: body,
        headers,
        timeout: options.timeoutMs,
        maxContentLength: options.maxResponseBytes,
        maxBodyLength: options.maxResponseBytes,
        responseType: 'text',
        // Keep the raw text: we parse it ourselves to tell "not JSON" apart from other failures.
        transformResponse: [(raw: unknown) => raw],
        validateStatus: () => true,
        maxRedirects: 0,
      });
    } catch (err) {
      throw toTransportError(err, options);
    }
  }
}

function actorToParams(actor: BkActor): Record<string, string> {
  return actor.kind === 'username' ? { bk_username: actor.username } : { bk_token: actor.token };
}

/** Maps an axios/network failure to a BkJobError without copying anything from the request. */
function toTransportError(err: unknown, options: TransportOptions): BkJobError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : '';
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return new BkJobError(`BlueKing JOB did not answer within ${formatSeconds(options.timeoutMs)}`, { kind: 'timeout' });
  }
  if (/maxContentLength/i.test(message) || code === 'ERR_FR_MAX_BODY_LENGTH_EXCEEDED' || code === 'ERR_STRING_TOO_LONG') {
    return new BkJobError(`BlueKing JOB's response is larger than the ${Math.round(options.maxResponseBytes / 1048576)} MB limit (BK_MAX_RESPONSE_MB)`, { kind: 'too_large' });
  }
  if (NETWORK_ERROR_CODES.has(code)) {
    return new BkJobError(`Could not reach BlueKing JOB (${code})`, { kind: 'network' });
  }
  return new BkJobError(`Could not reach BlueKing JOB (${code || 'network error'})`, { kind: 'network' });
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function missingPermissions(record: Record<string, unknown>): string[] {
  return permissionActions(record.permission);
}

/** `id (name)` of each action in an IAM permission object (`OpenApiApplyPermissionDTO`). */
function permissionActions(permission: unknown): string[] {
  if (!isRecord(permission) || !Array.isArray(permission.actions)) return [];
  return permission.actions.flatMap((action: unknown) => (isRecord(action) && typeof action.id === 'string' ? [typeof action.name === 'string' ? `${action.id} (${action.name})` : action.id] : []));
}

/** Turns an HTTP response into the envelope's data, or the right BkJobError. */
export function parseEnvelope(response: AxiosResponse<string>): BkEnvelopeData {
  const text = typeof response.data === 'string' ? response.data : '';
  const body = parseJsonOrUndefined(text);
  const headerRequestId = headerValue(response, 'x-bkapi-request-id');
  if (response.status < 200 || response.status >= 300) {
    // Gateway errors carry a JSON body and X-Bkapi-Error-* headers; ESB/nginx errors may be HTML.
    const bkMessage = (isRecord(body) ? stringField(body, 'message') : undefined) ?? decodeHeaderText(headerValue(response, 'x-bkapi-error-message'));
    const bkCode = isRecord(body) && typeof body.code === 'number' ? body.code : undefined;
    const detail = bkMessage ? `: ${bkMessage}${bkCode !== undefined ? ` (code ${bkCode})` : ''}` : '';
    // JOB's own answers (EsbResp) keep their code for the hint, e.g. 1247002 with HTTP 401; the API
    // gateway's bodies carry a `code_name`, and their 16xxxxx code is only reported in the message.
    const jobCode = isRecord(body) && !('code_name' in body) ? bkCode : undefined;
    return failWith(
      new BkJobError(`BlueKing JOB answered HTTP ${response.status}${detail}`, { kind: 'http', code: response.status, bkMessage, requestId: headerRequestId, bkCode: jobCode, parameter: parameterInMessage(bkMessage) }),
    );
  }
  if (body === undefined) {
    return failWith(new BkJobError('BlueKing JOB answered with something that is not JSON', { kind: 'bad_response', requestId: headerRequestId }));
  }
  if (!isRecord(body) || typeof body.result !== 'boolean') {
    return failWith(new BkJobError('BlueKing JOB answered JSON without the expected `result` field', { kind: 'bad_response', requestId: headerRequestId }));
  }
  const requestId = stringField(body, 'job_request_id') ?? stringField(body, 'request_id') ?? headerRequestId;
  if (!body.result) {
    const code = typeof body.code === 'number' ? body.code : typeof body.code === 'string' && /^-?\d+$/.test(body.code) ? Number(body.code) : undefined;
    const bkMessage = stringField(body, 'message') ?? 'no message';
    return failWith(
      new BkJobError(`BlueKing JOB error${code !== undefined ? ` ${code}` : ''}: ${bkMessage}`, {
        kind: 'api',
        code,
        bkMessage,
        requestId,
        missingPermissions: missingPermissions(body),
        parameter: parameterInMessage(bkMessage),
      }),
    );
  }
  return { data: body.data, requestId };
}

/**
 * v4 error codes (`V4ErrorCodeEnum`: semantic names, JOB's numeric code is not sent) mapped to
 * the numeric codes a v3 failure carries, so callers explain both the same way. For
 * get_job_instance_status, NOT_FOUND can only be the job instance.
 */
const V4_ERROR_CODES: Readonly<Record<string, number>> = {
  NO_PERMISSION: 9900403,
  IAM_NO_PERMISSION: 9900403,
  NOT_FOUND: 1244006,
  INTERNAL: 1240002,
  UNKNOWN: 1240002,
};

/**
 * Turns a v4 answer into its data, or the BkJobError a v3 failure with the same meaning would give.
 * `EsbV4Response` is `{data, error, job_request_id}` with nulls dropped: success (HTTP 20x) has no
 * `error`; failure comes with the HTTP status of its code (400, 403, 404, 500 …) and
 * `error: {code: "NOT_FOUND", message, data?}`, where `data` is the IAM permission object when
 * permission is missing. Answers without an `error` object are handled as for v3 (gateway errors).
 */
export function parseV4Envelope(response: AxiosResponse<string>): BkEnvelopeData {
  const text = typeof response.data === 'string' ? response.data : '';
  const body = parseJsonOrUndefined(text);
  const headerRequestId = headerValue(response, 'x-bkapi-request-id');
  const error = isRecord(body) ? body.error : undefined;
  if (!isRecord(body) || (!isRecord(error) && (response.status < 200 || response.status >= 300))) return parseEnvelope(response);
  const requestId = stringField(body, 'job_request_id') ?? headerRequestId;
  if (isRecord(error)) {
    const codeName = stringField(error, 'code');
    const code = typeof error.code === 'number' ? error.code : codeName !== undefined ? (/^-?\d+$/.test(codeName) ? Number(codeName) : V4_ERROR_CODES[codeName]) : undefined;
    const bkMessage = stringField(error, 'message') ?? 'no message';
    const permission = isRecord(error.data) ? permissionActions(error.data) : [];
    // The message names the code as JOB sent it (a name like NOT_FOUND); `code` is the v3 number.
    const codeLabel = codeName ?? (code !== undefined ? String(code) : undefined);
    return failWith(new BkJobError(`BlueKing JOB error${codeLabel ? ` ${codeLabel}` : ''}: ${bkMessage}`, { kind: 'api', code, bkMessage, requestId, missingPermissions: permission }));
  }
  if (!('data' in body)) {
    return failWith(new BkJobError('BlueKing JOB answered JSON without the expected `data` or `error` field', { kind: 'bad_response', requestId }));
  }
  return { data: body.data, requestId };
}

function failWith(error: BkJobError): never {
  throw error;
}

/** X-Bkapi-Error-Message may arrive percent-encoded (headers cannot carry every message as is). */
function decodeHeaderText(value: string | undefined): string | undefined {
  if (value === undefined || !/%[0-9A-Fa-f]{2}/.test(value)) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function headerValue(response: AxiosResponse, name: string): string | undefined {
  const headers: unknown = response.headers;
  if (!isRecord(headers)) return undefined;
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
