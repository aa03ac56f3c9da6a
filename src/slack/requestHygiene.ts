/**
 * A gate in front of Bolt's HTTP receiver for POSTs to the Slack endpoint. Bolt refuses stale
 * timestamps and bad signatures, but accepts a timestamp far in the future, acts on the same
 * signed bytes as often as they are sent, and throws (leaving the client waiting) on signed
 * bodies of the wrong shape (`payload=null`, a field sent twice). In order, this gate:
 *   1. reads the body (bounded) and hands it to Bolt as `rawBody`, which Bolt then uses as is;
 *   2. answers 401 when `X-Slack-Request-Timestamp` is more than 5 minutes off, either way;
 *   3. answers 401 when the signature does not match (checked here too: nothing below runs for
 *      unsigned bytes, so a forger can neither fill the replay table nor probe the validation);
 *   4. answers 400 when the body is malformed (see `slackBodyProblem`);
 *   5. answers 200 with nothing done when the signature was already seen in the last 5 minutes
 *      (recorded in the store, so every replica knows it).
 * Slack's own retries (Events API, `X-Slack-Retry-Num` 1–3) are let through: Slack retries only
 * what it saw no ack for, so the first attempt is not known to have been acted on. The header
 * is not signed, so each retry number is itself remembered: captured bytes can be replayed at
 * most as often as Slack itself would retry, never more. If the store cannot answer, the request
 * goes through (logged as an error): a database outage must not silence the bot.
 * `ssl_check` requests and other paths go straight to Bolt.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AppLogger } from '../logger';
import type { RequestGuard } from '../util/requestGuard';

/** Slack's replay window, both for the timestamp check and for remembering signatures. */
export const SLACK_REQUEST_WINDOW_MS = 5 * 60_000;
/** Slack retries an unacknowledged event at most three times. */
const MAX_SLACK_RETRIES = 3;
/** Bolt's own default body limit. */
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export interface RequestHygieneOptions {
  readonly signingSecret: string;
  readonly guard: RequestGuard;
  readonly now: () => number;
  readonly logger: AppLogger;
  /** Default `/slack/events` (Bolt's endpoint). */
  readonly endpoint?: string;
  readonly bodyLimit?: number;
}

/** Wraps Bolt's request listener with the checks above. */
export function guardSlackRequests(inner: RequestListener, options: RequestHygieneOptions): RequestListener {
  const endpoint = options.endpoint ?? '/slack/events';
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method?.toUpperCase() !== 'POST' || path !== endpoint) {
      inner(req, res);
      return;
    }
    gate(req, res, inner, options).catch((err: unknown) => {
      options.logger.error({ err }, 'could not check a Slack request');
      if (!res.headersSent) answer(res, 500);
    });
  };
}

async function gate(req: IncomingMessage, res: ServerResponse, inner: RequestListener, options: RequestHygieneOptions): Promise<void> {
  const { logger } = options;
  const body = await readBody(req, options.bodyLimit ?? DEFAULT_BODY_LIMIT);
  if (body === null) {
    logger.warn('Slack request refused: body over the size limit');
    answer(res, 413);
    return;
  }
  // Bolt reads `rawBody` instead of the (now consumed) stream.
  Object.assign(req, { rawBody: body });
  const text = body.toString('utf8');
  const contentType = singleHeader(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType === 'application/x-www-form-urlencoded' && new URLSearchParams(text).get('ssl_check') === '1') {
    inner(req, res);
    return;
  }

  const timestamp = singleHeader(req, 'x-slack-request-timestamp');
  const signature = singleHeader(req, 'x-slack-signature');
  const seconds = timestamp !== undefined && /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const skewMs = seconds * 1000 - options.now();
  if (!Number.isFinite(skewMs) || Math.abs(skewMs) > SLACK_REQUEST_WINDOW_MS) {
    logger.warn({ skewSeconds: Number.isFinite(skewMs) ? Math.round(skewMs / 1000) : null }, 'Slack request refused: timestamp missing or more than 5 minutes off');
    answer(res, 401);
    return;
  }
  if (signature === undefined || !signatureMatches(options.signingSecret, timestamp ?? '', text, signature)) {
    logger.warn('Slack request refused: signature does not match');
    answer(res, 401);
    return;
  }
  const problem = slackBodyProblem(contentType, text);
  if (problem !== null) {
    logger.warn({ problem }, 'Slack request refused: malformed body');
    answer(res, 400);
    return;
  }
  const retry = singleHeader(req, 'x-slack-retry-num');
  if (retry !== undefined && !new RegExp(`^[1-${MAX_SLACK_RETRIES}]$`).test(retry)) {
    logger.warn('Slack request refused: malformed X-Slack-Retry-Num');
    answer(res, 400);
    return;
  }
  const key = retry === undefined ? signature : `${signature}#retry${retry}`;
  let seen = false;
  try {
    // Remembered for as long as the timestamp check would still let the same bytes in: a request
    // stamped ahead of our clock stays acceptable for longer than the window from now.
    seen = await options.guard.seenSignature(key, options.now(), SLACK_REQUEST_WINDOW_MS + Math.max(0, skewMs));
  } catch (err) {
    logger.error({ err }, 'replay check failed (store unavailable); handling the Slack request anyway');
  }
  if (seen) {
    logger.info({ retry: retry ?? null }, 'replayed Slack request ignored');
    answer(res, 200);
    return;
  }
  inner(req, res);
}

/** What every slash command form carries, and the listener reads. */
const COMMAND_FIELDS = ['command', 'text', 'user_id', 'channel_id', 'response_url'] as const;

/**
 * Why a signed body cannot be handled, or null. Form bodies: no field twice; a `payload` must be
 * a JSON object with a string `type` (see `payloadProblem`); otherwise a slash command with all
 * of COMMAND_FIELDS. JSON bodies (Events API): an object with a string `type`, and an `event`
 * object with a string `type` for `event_callback`.
 */
export function slackBodyProblem(contentType: string | undefined, text: string): string | null {
  if (contentType === 'application/json') return payloadProblem(text, 'body');
  if (contentType !== 'application/x-www-form-urlencoded') return `unsupported content type ${contentType ?? '(none)'}`;
  const form = new URLSearchParams(text);
  const names = new Set(form.keys());
  for (const name of names) {
    const count = form.getAll(name).length;
    if (count > 1) return `field ${JSON.stringify(name.slice(0, 40))} appears ${count} times`;
  }
  const payload = form.get('payload');
  if (payload !== null) return payloadProblem(payload, 'payload');
  const missing = COMMAND_FIELDS.find((field) => form.get(field) === null);
  return missing === undefined ? null : `neither payload nor a slash command (no ${missing})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The shape Bolt and the listeners rely on before they look further: interactive payloads name
 * their user; block actions carry at least one action with a string `action_id` (and a string
 * `value`, when there is one); option loads a string `action_id` and `value`.
 */
function payloadProblem(json: string, what: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return `${what} is not JSON`;
  }
  if (!isRecord(value)) return `${what} is not a JSON object`;
  const { type } = value;
  if (typeof type !== 'string') return `${what} has no string "type"`;
  if (type === 'event_callback') return isRecord(value.event) && typeof value.event.type === 'string' ? null : `${what}.event is not an object with a string "type"`;
  if (type === 'url_verification' || type === 'app_rate_limited') return null;
  if (!isRecord(value.user) || typeof value.user.id !== 'string') return `${what}.user.id is not a string`;
  if (type === 'block_actions') {
    const { actions } = value;
    if (!Array.isArray(actions) || actions.length === 0) return `${what}.actions is not a non-empty array`;
    const bad = actions.findIndex((a: unknown) => !isRecord(a) || typeof a.action_id !== 'string' || ('value' in a && typeof a.value !== 'string'));
    if (bad >= 0) return `${what}.actions[${bad}] has no string action_id (or a value that is not a string)`;
  }
  if (type === 'block_suggestion' && (typeof value.action_id !== 'string' || typeof value.value !== 'string')) return `${what}.action_id or .value is not a string`;
  return null;
}

function signatureMatches(signingSecret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The body, or null once it passes `limit` bytes (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}
