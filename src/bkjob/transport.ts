/**
 * HTTP transport to BlueKing: the ESB (`/api/c/compapi/...`, credentials as parameters) or the
 * API gateway (credentials in the `X-Bkapi-Authorization` header). It checks the common envelope
 * (`result`, `code`, `message`, `data`; for v4 calls JOB's v4 `data`/`error`) and turns every failure into a `BkJobError` whose message
 * is safe to show: axios errors (which carry the URL and the app secret) never escape this file.
 */
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { createRedactor } from '../redact';
import { BkJobError, parameterInMessage } from './errors';
import type { BkActor } from './model';
import { isRecord, parseJsonOrUndefined } from '../util/json';
import { QueueFullError } from '../util/workQueue';

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
  /**
   * `esb`: credentials in query/body; `gateway`: credentials and the actor in the
   * X-Bkapi-Authorization header; `gateway-system`: JOB's non-public `/api/v3/system/*` resources,
   * the header carries only the app's credentials and the acting user goes in `X-Bk-Username`
   * (JOB's gateway lets that header name the user for app-type resources: bkjob-source-facts C5).
   */
  readonly auth: BkAuthMode;
  /** Sent as `Blueking-Language` so BlueKing's messages come in the bot's language. */
  readonly language?: string;
  readonly http?: AxiosInstance;
  /** Called after every call with the API name, `ok` or the error kind, and the seconds it took (metrics). */
  readonly onCall?: (api: string, outcome: string, seconds: number) => void;
  /**
   * The budget every call (streamed ones included) waits its turn in (util/workQueue.ts); a full
   * line refuses the call at once as a `busy` BkJobError. Without it calls go straight out.
   */
  readonly queue?: BkCallQueue;
}

/** What the transport needs of a budget of calls (util/workQueue.ts's WorkQueue). */
export interface BkCallQueue {
  /** `owner`: whose call it is (the acting BlueKing user): owners take turns, each with a bounded share of the line. */
  run<T>(work: () => Promise<T>, options?: { readonly waitInLine?: boolean; readonly owner?: string }): Promise<T>;
}

/** Shown as is: it says nothing of BlueKing's address or credentials (the reply adds "try again in a minute"). */
export const BUSY_MESSAGE = "BlueKing JOB is busy answering other people's requests.";
/** The same, when the person's own requests already fill their share of the waiting line. */
export const BUSY_OWN_MESSAGE = 'BlueKing JOB is slow right now, and several of your requests are already waiting for it.';

/** Whose turn a call waits in: the acting BlueKing user (a login token stands for its user; it stays in memory). */
export function queueOwner(actor: BkActor): string {
  return actor.kind === 'username' ? `u:${actor.username}` : `t:${actor.token}`;
}

export type BkAuthMode = 'esb' | 'gateway' | 'gateway-system';

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
  /**
   * Worth making only at once (a log read for an error line, within a short budget): with a
   * queue, refused as `busy` when no slot is free rather than waiting in line ahead of people.
   */
  readonly optional?: boolean;
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

  call(request: BkRequest): Promise<BkEnvelopeData> {
    return this.measured(request, async () => {
      const response = await this.send<string>(request, 'text');
      return request.envelope === 'v4' ? parseV4Envelope(response) : parseEnvelope(response);
    });
  }

  /**
   * Like `call`, but hands a 2xx body to a reader chunk by chunk as it arrives, so no response is
   * ever held whole: the reader checks the envelope itself (see `checkEnvelope`). The timeout
   * also applies between chunks; bodies over `maxResponseBytes` are cut off as `too_large`.
   */
  callStreaming<T>(request: BkRequest, openReader: (headerRequestId: string | undefined) => BodyReader<T>): Promise<T> {
    return this.measured(request, async () => {
      const response = await this.send<Readable>(request, 'stream');
      const headerRequestId = headerValue(response, 'x-bkapi-request-id');
      if (response.status < 200 || response.status >= 300) {
        // Error pages are small: read (a bounded prefix of) the body and map it as `call` does.
        const text = (await readBody(response.data, Math.min(ERROR_BODY_MAX_BYTES, this.options.maxResponseBytes), this.options, false)).toString('utf8');
        throw httpStatusError(response, parseJsonOrUndefined(text), headerRequestId);
      }
      const declared = Number(headerValue(response, 'content-length') ?? Number.NaN);
      if (declared > this.options.maxResponseBytes) {
        response.data.destroy();
        throw tooLarge(this.options);
      }
      const reader = openReader(headerRequestId);
      await pumpBody(response.data, reader, this.options);
      return reader.finish();
    });
  }

  /**
   * Runs one call in its turn (with a queue): a full line is a `busy` BkJobError at once, heard by
   * `onCall` like any outcome; the seconds measured are BlueKing's, not the wait for a turn.
   */
  private async measured<T>(request: BkRequest, run: () => Promise<T>): Promise<T> {
    const { queue } = this.options;
    if (!queue) return this.timed(request, run);
    try {
      return await queue.run(() => this.timed(request, run), { waitInLine: request.optional !== true, owner: queueOwner(request.actor) });
    } catch (err) {
      if (!(err instanceof QueueFullError)) throw err;
      this.options.onCall?.(apiName(request), 'busy', 0);
      throw new BkJobError(err.own ? BUSY_OWN_MESSAGE : BUSY_MESSAGE, { kind: 'busy', ...(err.own ? { ownLine: true } : {}) });
    }
  }

  /** Runs one call: every failure becomes a scrubbed BkJobError, and `onCall` hears the outcome. */
  private async timed<T>(request: BkRequest, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await run();
    } catch (err) {
      outcome = err instanceof BkJobError ? err.kind : 'internal';
      throw err instanceof BkJobError ? this.scrub(err, request.actor) : err;
    } finally {
      this.options.onCall?.(apiName(request), outcome, (performance.now() - started) / 1000);
    }
  }

  /**
   * BlueKing's own words go to Slack and the logs: make sure they never echo the credentials we
   * sent. Every text field is scrubbed, the request ids (`job_request_id`, X-Bkapi-Request-Id)
   * and the permission actions included: BlueKing can echo anything back in any of them.
   */
  private scrub(err: BkJobError, actor: BkActor): BkJobError {
    const redact = createRedactor([this.options.credentials.appSecret, actor.kind === 'token' ? actor.token : undefined]);
    const optional = (text: string | undefined): string | undefined => (text === undefined ? undefined : redact(text));
    const message = redact(err.message);
    const bkMessage = optional(err.bkMessage);
    const requestId = optional(err.requestId);
    const parameter = optional(err.parameter);
    const username = optional(err.username);
    const missingPermissions = err.missingPermissions.map(redact);
    const unchanged =
      message === err.message && bkMessage === err.bkMessage && requestId === err.requestId && parameter === err.parameter && username === err.username && missingPermissions.every((p, i) => p === err.missingPermissions[i]);
    if (unchanged) return err;
    return new BkJobError(message, { kind: err.kind, code: err.code, bkMessage, requestId, missingPermissions, bkCode: err.bkCode, parameter, username, ...(err.ownLine ? { ownLine: true } : {}) });
  }

  private async send<T>(request: BkRequest, responseType: 'text' | 'stream'): Promise<AxiosResponse<T>> {
    const { options } = this;
    const actorParams = actorToParams(request.actor);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.language) headers['Blueking-Language'] = options.language;
    let params: Record<string, QueryValue> | undefined;
    let body: Record<string, QueryValue> | undefined;
    if (options.auth === 'gateway-system') {
      // The user is named, not authenticated: a login token has nowhere to go on these resources.
      headers['X-Bkapi-Authorization'] = JSON.stringify({ bk_app_code: options.credentials.appCode, bk_app_secret: options.credentials.appSecret });
      headers['X-Bk-Username'] = systemUsername(request.actor);
      if (request.method === 'GET') params = { ...request.params };
      else body = { ...request.params };
    } else if (options.auth === 'gateway') {
      headers['X-Bkapi-Authorization'] = JSON.stringify({ bk_app_code: options.credentials.appCode, bk_app_secret: options.credentials.appSecret, ...actorParams });
      if (request.method === 'GET') params = { ...request.params };
      else body = { ...request.params };
    } else {
      const all = { bk_app_code: options.credentials.appCode, bk_app_secret: options.credentials.appSecret, ...actorParams, ...request.params };
      if (request.method === 'GET') params = all;
      else body = all;
    }
    const config: AxiosRequestConfig = {
      baseURL: options.baseUrl,
      url: request.path,
      method: request.method,
      params,
      data: body,
      headers,
      timeout: options.timeoutMs,
      // Streamed bodies are counted by consumeBody; axios's own check would wrap the stream in an async generator.
      maxContentLength: responseType === 'stream' ? -1 : options.maxResponseBytes,
      maxBodyLength: options.maxResponseBytes,
      responseType,
      // Keep the raw text: we parse it ourselves to tell "not JSON" apart from other failures.
      transformResponse: [(raw: unknown) => raw],
      validateStatus: () => true,
      maxRedirects: 0,
    };
    try {
      return await this.http.request<T>(config);
    } catch (err) {
      throw toTransportError(err, options);
    }
  }
}

/** The API's name for metrics: the last part of its path (`get_job_instance_status`). */
function apiName(request: BkRequest): string {
  return request.path.split('/').filter(Boolean).at(-1) ?? request.path;
}

/** A consumer of a streamed 2xx body (see `BkTransport.callStreaming`). */
export interface BodyReader<T> {
  /** Takes the next chunk; throws a BkJobError to stop the download. */
  push(chunk: Buffer): void;
  /** The body is complete: the result, or the BkJobError the whole body amounts to. */
  finish(): T;
}

/** Most of a non-2xx body kept for its error message (HTML error pages, gateway JSON errors). */
const ERROR_BODY_MAX_BYTES = 1024 * 1024;

function tooLarge(options: TransportOptions): BkJobError {
  return new BkJobError(`BlueKing JOB's response is larger than the ${Math.round(options.maxResponseBytes / 1048576)} MB limit (BK_MAX_RESPONSE_MB)`, { kind: 'too_large' });
}

function timedOut(options: TransportOptions): BkJobError {
  return new BkJobError(`BlueKing JOB did not answer within ${formatSeconds(options.timeoutMs)}`, { kind: 'timeout' });
}

/**
 * Feeds a body stream to `onChunk` until it ends. Fails (and destroys the stream, freeing the
 * socket) on a reader error, more than `maxBytes`, `timeoutMs` without a chunk, or a broken
 * connection; stream errors are mapped like request errors, so no URL or secret escapes.
 */
function consumeBody(stream: Readable, maxBytes: number, options: TransportOptions, onChunk: (chunk: Buffer) => void, onOversize: 'fail' | 'stop'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let bytes = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      stream.off('data', onData);
      if (err === undefined) resolve();
      else {
        stream.destroy();
        reject(err instanceof Error ? err : new Error("BlueKing response reader failed"));
      }
    };
    // Restarted for every chunk (thousands on a big body): refresh the one timer rather than make a new one.
    const arm = () => {
      if (timer) timer.refresh();
      else timer = setTimeout(() => settle(timedOut(options)), options.timeoutMs);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (bytes > maxBytes) {
        if (onOversize === 'stop') {
          onChunk(buffer.subarray(0, buffer.length - (bytes - maxBytes)));
          settle();
          stream.destroy();
        } else settle(tooLarge(options));
        return;
      }
      arm();
      try {
        onChunk(buffer);
      } catch (err) {
        settle(err);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => settle());
    stream.once('error', (err) => settle(toTransportError(err, options)));
    // A connection closed before the end of the body ('aborted' without an error on some versions).
    stream.once('close', () => settle(new BkJobError('BlueKing JOB closed the connection before the response was complete', { kind: 'network' })));
    arm();
  });
}

function pumpBody<T>(stream: Readable, reader: BodyReader<T>, options: TransportOptions): Promise<void> {
  return consumeBody(stream, options.maxResponseBytes, options, (chunk) => reader.push(chunk), 'fail');
}

async function readBody(stream: Readable, maxBytes: number, options: TransportOptions, failOversize: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await consumeBody(stream, maxBytes, options, (chunk) => chunks.push(chunk), failOversize ? 'fail' : 'stop');
  return Buffer.concat(chunks);
}

/**
 * The `X-Bk-Username` of a system call. Only a username can be sent (a bk_token is a login
 * cookie, which these resources do not check), and only as header-safe text.
 */
function systemUsername(actor: BkActor): string {
  if (actor.kind !== 'username') {
    throw new BkJobError('BK_V3_TRANSPORT=gateway-system acts as a BlueKing username (X-Bk-Username); use BK_USERNAME or a user mapping instead of BK_TOKEN', { kind: 'unsupported' });
  }
  if (actor.username === '' || !/^[\x21-\x7e]+$/.test(actor.username)) {
    throw new BkJobError(`BlueKing username ${JSON.stringify(actor.username)} cannot be sent in the X-Bk-Username header`, { kind: 'unsupported' });
  }
  return actor.username;
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
  if (response.status < 200 || response.status >= 300) return failWith(httpStatusError(response, body, headerRequestId));
  return checkEnvelope(body, headerRequestId);
}

/** A non-2xx answer: gateway errors carry a JSON body and X-Bkapi-Error-* headers; ESB/nginx errors may be HTML. */
function httpStatusError(response: AxiosResponse, body: unknown, headerRequestId: string | undefined): BkJobError {
  const bkMessage = (isRecord(body) ? stringField(body, 'message') : undefined) ?? decodeHeaderText(headerValue(response, 'x-bkapi-error-message'));
  const bkCode = isRecord(body) && typeof body.code === 'number' ? body.code : undefined;
  const detail = bkMessage ? `: ${bkMessage}${bkCode !== undefined ? ` (code ${bkCode})` : ''}` : '';
  // JOB's own answers (EsbResp) keep their code for the hint, e.g. 1247002 with HTTP 401; the API
  // gateway's and ESB's own codes (16xxxxx, with or without a `code_name`) are only reported in the message.
  const jobCode = isRecord(body) && !('code_name' in body) && bkCode !== undefined && Math.floor(bkCode / 100_000) !== 16 ? bkCode : undefined;
  return new BkJobError(`BlueKing JOB answered HTTP ${response.status}${detail}`, { kind: 'http', code: response.status, bkMessage, requestId: headerRequestId, bkCode: jobCode, parameter: parameterInMessage(bkMessage) });
}

/**
 * Checks a 2xx answer's parsed envelope and returns its `data`, or throws the matching
 * BkJobError (`undefined` = the body was not JSON). Shared by `parseEnvelope` and the streaming
 * readers, which pass a record of the envelope's small fields.
 */
export function checkEnvelope(body: unknown, headerRequestId: string | undefined): BkEnvelopeData {
  if (body === undefined) {
    return failWith(new BkJobError(NOT_JSON_MESSAGE, { kind: 'bad_response', requestId: headerRequestId }));
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

/** The envelope fields `checkEnvelope` reads besides `data`: all a streaming reader needs to keep. */
export const ENVELOPE_FIELDS = ['result', 'code', 'message', 'request_id', 'job_request_id', 'permission'] as const;

export const NOT_JSON_MESSAGE = 'BlueKing JOB answered with something that is not JSON';

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

/**
 * X-Bkapi-Error-Message may arrive percent-encoded (headers cannot carry every message as is).
 * Each run of %XX is decoded on its own, so a stray `%` (a "100%" in the message) or a broken
 * sequence leaves the rest decoded instead of the whole message shown encoded.
 */
export function decodeHeaderText(value: string | undefined): string | undefined {
  if (value === undefined || !/%[0-9A-Fa-f]{2}/.test(value)) return value;
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function headerValue(response: AxiosResponse, name: string): string | undefined {
  const headers: unknown = response.headers;
  if (!isRecord(headers)) return undefined;
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
