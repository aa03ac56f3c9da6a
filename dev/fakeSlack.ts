/**
 * `FakeSlackApi`: enough of the Slack Web API (`/api/<method>`), response URLs (`/respond/<id>`)
 * and the external file-upload endpoint (`/upload/<file_id>`) for the bot to run end to end
 * without Slack. Point Bolt at it with `clientOptions: { slackApiUrl: fake.apiUrl }`.
 *
 * Every call is recorded with its arguments decoded the way Slack would read them: the WebClient
 * sends form-encoded bodies with `blocks`, `attachments`, `view` … as JSON strings, and the fake
 * turns those back into objects so tests can assert on structure, not on escaped JSON.
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { FakeHttpServer, type FakeRequest, sendJson, sendText } from './fakeServer';

/** Pseudo method names for failure injection on response URLs and file uploads. */
export const RESPONSE_URL_METHOD = 'response_url';
export const UPLOAD_METHOD = 'upload';

/** Form fields the WebClient serialises as JSON strings; parsed back into objects when recorded. */
const JSON_FIELDS: ReadonlySet<string> = new Set(['blocks', 'attachments', 'metadata', 'view', 'files', 'unfurls', 'user_auth_blocks']);

export interface SlackCall {
  readonly method: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** From `Authorization: Bearer …`, else the `token` argument. */
  readonly token: string | undefined;
  readonly at: number;
}

export interface SlackResponsePost {
  /** The id in `/respond/<id>`. */
  readonly id: string;
  /** Parsed JSON (what Bolt's `respond()` sends), or the raw text. */
  readonly body: unknown;
  readonly at: number;
}

export interface SlackUpload {
  readonly fileId: string;
  /** As declared to files.getUploadURLExternal. */
  readonly filename: string | undefined;
  readonly declaredLength: number | undefined;
  /** The file content; empty until the upload POST arrives. */
  readonly bytes: Buffer;
  readonly uploaded: boolean;
  /** files.completeUploadExternal was called for this file. */
  readonly completed: boolean;
  readonly title: string | undefined;
  readonly channelId: string | undefined;
  readonly initialComment: string | undefined;
  readonly threadTs: string | undefined;
}

/** A message as the channel currently shows it (after chat.update, before chat.delete). */
export interface FakeSlackMessage {
  readonly channel: string;
  readonly ts: string;
  readonly text: string | undefined;
  readonly blocks: unknown;
  readonly attachments: unknown;
  readonly metadata: unknown;
  readonly threadTs: string | undefined;
  /** How many chat.update calls changed it. */
  readonly updates: number;
}

export interface FakeSlackUser {
  readonly id: string;
  readonly name: string;
  readonly realName: string;
  readonly tz: string;
  readonly tzLabel: string;
  readonly tzOffset: number;
  readonly isBot: boolean;
  /** Profile email (Slack shows it with users:read.email); the default profile has none. */
  readonly email: string;
}

export interface FakeSlackOptions {
  readonly teamId?: string;
  readonly teamDomain?: string;
  readonly botUserId?: string;
  readonly botId?: string;
  /** When set, calls must carry one of these tokens (`not_authed` / `invalid_auth` otherwise). */
  readonly validTokens?: readonly string[];
}

/** `{ error: 'not_in_channel' }` plus anything else Slack would put next to it (e.g. `needed`). */
export interface SlackErrorReply {
  readonly error: string;
  readonly [key: string]: unknown;
}

type Injection = { readonly kind: 'error'; readonly reply: SlackErrorReply } | { readonly kind: 'rate_limit'; readonly retryAfterSeconds: number };

type CallsPredicate = (calls: readonly SlackCall[]) => boolean;

interface Waiter {
  readonly fail: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * What a troubled channel answers every chat.* call for it: 429 with Retry-After, an HTTP error
 * (e.g. 500), or no answer at all (the connection stays open until the client gives up).
 */
export type ChannelTrouble = { readonly kind: 'rate_limit'; readonly retryAfterSeconds: number } | { readonly kind: 'status'; readonly status: number } | { readonly kind: 'hang' };

/** Which scope each history method needs, by the channel's kind (C: public, G: private). */
const HISTORY_METHODS: ReadonlySet<string> = new Set(['conversations.history', 'conversations.replies']);

export class FakeSlackApi {
  private readonly server: FakeHttpServer;
  private readonly events = new EventEmitter();
  private readonly waiters = new Set<Waiter>();
  private recordedCalls: SlackCall[] = [];
  private responsePosts: SlackResponsePost[] = [];
  private readonly uploadsById = new Map<string, SlackUpload>();
  private readonly messagesByKey = new Map<string, FakeSlackMessage>();
  private readonly injections = new Map<string, Injection[]>();
  private readonly users = new Map<string, Partial<FakeSlackUser>>();
  /** Never reset, so ts/ids stay unique across reset() within one fake. */
  private sequence = 0;
  private lastTsMicros = 0;
  /** Thread replies posted with reply_broadcast (they show in the channel's history too). */
  private readonly broadcastReplies = new Set<string>();
  /** Per-channel trouble for chat.* calls (see `troubleChannel`). */
  private readonly channelTrouble = new Map<string, ChannelTrouble>();
  /** Scopes the workspace did not grant (history reads answer missing_scope). */
  private readonly deniedScopes = new Set<string>();
  /** Methods whose next call is carried out but whose answer is lost (see `loseNextAnswer`). */
  private readonly lostAnswers = new Map<string, number>();

  readonly teamId: string;
  readonly teamDomain: string;
  readonly botUserId: string;
  readonly botId: string;

  constructor(private readonly options: FakeSlackOptions = {}) {
    this.teamId = options.teamId ?? 'T0FAKETEAM';
    this.teamDomain = options.teamDomain ?? 'fake-team';
    this.botUserId = options.botUserId ?? 'U0FAKEBOT';
    this.botId = options.botId ?? 'B0FAKEBOT';
    this.server = new FakeHttpServer('FakeSlackApi', (request, response) => this.handle(request, response));
    this.events.setMaxListeners(0);
  }

  get url(): string {
    return this.server.url;
  }

  /** For `clientOptions.slackApiUrl` (the trailing slash matters to the WebClient). */
  get apiUrl(): string {
    return `${this.server.url}/api/`;
  }

  /** A response URL served by this fake; posts to it show up in `responses()`. */
  responseUrl(id: string): string {
    return `${this.server.url}/respond/${encodeURIComponent(id)}`;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  /** Stops the server and rejects pending `waitFor`s. */
  async stop(): Promise<void> {
    for (const waiter of [...this.waiters]) waiter.fail(new Error('FakeSlackApi stopped while a waitFor was pending'));
    await this.server.stop();
  }

  // ---- inspection ---------------------------------------------------------------------------

  calls(method?: string): SlackCall[] {
    return method === undefined ? [...this.recordedCalls] : this.recordedCalls.filter((c) => c.method === method);
  }

  lastCall(method: string): SlackCall | undefined {
    return this.calls(method).at(-1);
  }

  responses(): SlackResponsePost[] {
    return [...this.responsePosts];
  }

  uploads(): SlackUpload[] {
    return [...this.uploadsById.values()];
  }

  messages(channel?: string): FakeSlackMessage[] {
    const all = [...this.messagesByKey.values()];
    return channel === undefined ? all : all.filter((m) => m.channel === channel);
  }

  // ---- control ------------------------------------------------------------------------------

  /** The next call to `method` answers `{ ok: false, ...reply }`. Use RESPONSE_URL_METHOD / UPLOAD_METHOD for those endpoints. */
  failNext(method: string, reply: SlackErrorReply): void {
    this.inject(method, { kind: 'error', reply });
  }

  /** The next call to `method` answers HTTP 429 with `Retry-After: <seconds>`. */
  rateLimitNext(method: string, retryAfterSeconds: number): void {
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new Error(`Retry-After must be a non-negative integer, got ${retryAfterSeconds}`);
    this.inject(method, { kind: 'rate_limit', retryAfterSeconds });
  }

  /** Every chat.* call for `channel` meets `trouble` until it is cleared with null. */
  troubleChannel(channel: string, trouble: ChannelTrouble | null): void {
    if (trouble === null) this.channelTrouble.delete(channel);
    else this.channelTrouble.set(channel, trouble);
  }

  /** The workspace did not grant these scopes: calls that need them answer `missing_scope` (history reads). */
  denyScopes(...scopes: string[]): void {
    for (const scope of scopes) this.deniedScopes.add(scope);
  }

  /**
   * The next `times` calls to `method` are carried out (a message is posted) but their answers
   * are lost: the connection is cut before the response, as when Slack accepted a post and the
   * network or the bot's process died before the bot heard of it.
   */
  loseNextAnswer(method: string, times = 1): void {
    this.lostAnswers.set(method, (this.lostAnswers.get(method) ?? 0) + times);
  }

  /** Overrides what users.info says about a user (e.g. another time zone). */
  setUser(id: string, user: Partial<Omit<FakeSlackUser, 'id'>>): void {
    this.users.set(id, { ...this.users.get(id), ...user });
  }

  /** Forgets calls, responses, uploads, messages, injected failures and user overrides. */
  reset(): void {
    this.recordedCalls = [];
    this.responsePosts = [];
    this.uploadsById.clear();
    this.messagesByKey.clear();
    this.injections.clear();
    this.users.clear();
    this.broadcastReplies.clear();
    this.channelTrouble.clear();
    this.deniedScopes.clear();
    this.lostAnswers.clear();
  }

  /**
   * Resolves with the calls to `method` once there are at least `count` of them, or with all
   * calls once `predicate(calls)` holds. Rejects after `timeoutMs` listing everything recorded.
   */
  waitFor(method: string, count?: number, timeoutMs?: number): Promise<SlackCall[]>;
  waitFor(predicate: CallsPredicate, timeoutMs?: number): Promise<SlackCall[]>;
  waitFor(target: string | CallsPredicate, countOrTimeout?: number, maybeTimeout?: number): Promise<SlackCall[]> {
    if (typeof target === 'string') {
      const count = countOrTimeout ?? 1;
      return this.waitUntil(
        () => {
          const matching = this.calls(target);
          return matching.length >= count ? matching : undefined;
        },
        `${count} × ${target}`,
        maybeTimeout ?? DEFAULT_TIMEOUT_MS,
      );
    }
    return this.waitUntil(() => (target(this.recordedCalls) ? this.calls() : undefined), 'the predicate to hold', countOrTimeout ?? DEFAULT_TIMEOUT_MS);
  }

  /** Resolves once at least `count` posts reached response URLs. */
  waitForResponses(count = 1, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SlackResponsePost[]> {
    return this.waitUntil(() => (this.responsePosts.length >= count ? this.responses() : undefined), `${count} response URL post(s)`, timeoutMs);
  }

  private waitUntil<T>(probe: () => T | undefined, describe: string, timeoutMs: number): Promise<T> {
    const immediate = probe();
    if (immediate !== undefined) return Promise.resolve(immediate);
    return new Promise<T>((resolve, reject) => {
      const finish = () => {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        this.events.off('recorded', onRecorded);
      };
      const onRecorded = () => {
        const result = probe();
        if (result === undefined) return;
        finish();
        resolve(result);
      };
      const waiter: Waiter = {
        fail: (error) => {
          finish();
          reject(error);
        },
        timer: setTimeout(() => waiter.fail(new Error(`FakeSlackApi.waitFor timed out after ${timeoutMs} ms waiting for ${describe}.\n${this.describeRecorded()}`)), timeoutMs),
      };
      this.waiters.add(waiter);
      this.events.on('recorded', onRecorded);
    });
  }

  private describeRecorded(): string {
    const lines = [`Recorded ${this.recordedCalls.length} call(s):`];
    this.recordedCalls.forEach((call, i) => lines.push(`  ${i + 1}. ${call.method} ${summarizeArgs(call.args)}`));
    lines.push(`Response URL posts: ${this.responsePosts.length}`);
    this.responsePosts.forEach((post, i) => lines.push(`  ${i + 1}. ${post.id} ${truncate(JSON.stringify(post.body) ?? '', 160)}`));
    return lines.join('\n');
  }

  private inject(method: string, injection: Injection): void {
    const queue = this.injections.get(method) ?? [];
    queue.push(injection);
    this.injections.set(method, queue);
  }

  private takeInjection(method: string): Injection | undefined {
    const queue = this.injections.get(method);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.injections.delete(method);
    return next;
  }

  private recorded(): void {
    this.events.emit('recorded');
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(request: FakeRequest, res: http.ServerResponse): Promise<void> {
    const [, area, rawName] = /^\/(api|respond|upload)\/(.+)$/.exec(request.path) ?? [];
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    if (area === undefined || name === undefined) return sendJson(res, 404, { ok: false, error: 'unknown_url' });
    if (area === 'respond') return this.handleResponseUrl(name, request, res);
    if (area === 'upload') return this.handleUpload(name, request, res);
    return this.handleApi(name, request, res);
  }

  private async handleApi(method: string, request: FakeRequest, res: http.ServerResponse): Promise<void> {
    const args = { ...Object.fromEntries(request.query), ...(await parseArgs(request)) };
    const token = bearerToken(request.headers.authorization) ?? (typeof args.token === 'string' ? args.token : undefined);
    this.recordedCalls.push({ method, args, token, at: Date.now() });
    try {
      const injected = this.takeInjection(method);
      if (injected?.kind === 'rate_limit') {
        return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(injected.retryAfterSeconds) });
      }
      if (injected?.kind === 'error') return sendJson(res, 200, { ok: false, ...injected.reply });
      const troubled = method.startsWith('chat.') && typeof args.channel === 'string' ? this.channelTrouble.get(args.channel) : undefined;
      if (troubled?.kind === 'rate_limit') return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(troubled.retryAfterSeconds) });
      if (troubled?.kind === 'status') return sendText(res, troubled.status, 'upstream failure');
      // No answer: the client's timeout ends the call (the server is closed at stop()).
      if (troubled?.kind === 'hang') return;
      const authError = this.checkToken(token);
      if (authError) return sendJson(res, 200, { ok: false, error: authError });
      const missing = this.missingScope(method, args);
      if (missing) return sendJson(res, 200, { ok: false, error: 'missing_scope', needed: missing, provided: 'chat:write' });
      const answer = this.answer(method, args);
      const lost = this.lostAnswers.get(method) ?? 0;
      if (lost > 0 && answer.ok === true) {
        if (lost === 1) this.lostAnswers.delete(method);
        else this.lostAnswers.set(method, lost - 1);
        res.socket?.destroy();
        return;
      }
      return sendJson(res, 200, answer);
    } finally {
      this.recorded();
    }
  }

  private handleResponseUrl(id: string, request: FakeRequest, res: http.ServerResponse): void {
    const text = request.body.toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text so the test can see what was sent.
    }
    this.responsePosts.push({ id, body, at: Date.now() });
    try {
      const injected = this.takeInjection(RESPONSE_URL_METHOD);
      if (injected?.kind === 'rate_limit') return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(injected.retryAfterSeconds) });
      // Slack answers an expired or over-used response URL with 404.
      if (injected?.kind === 'error') return sendJson(res, 404, { ok: false, ...injected.reply });
      return sendJson(res, 200, { ok: true });
    } finally {
      this.recorded();
    }
  }

  private async handleUpload(fileId: string, request: FakeRequest, res: http.ServerResponse): Promise<void> {
    const upload = this.uploadsById.get(fileId);
    const injected = this.takeInjection(UPLOAD_METHOD);
    if (injected?.kind === 'rate_limit') return sendText(res, 429, 'ratelimited', { 'Retry-After': String(injected.retryAfterSeconds) });
    if (injected?.kind === 'error') return sendText(res, 500, injected.reply.error);
    if (!upload) return sendText(res, 404, `unknown upload ${fileId}`);
    const bytes = await uploadedBytes(request);
    this.uploadsById.set(fileId, { ...upload, bytes, uploaded: true });
    this.recorded();
    sendText(res, 200, `OK - ${bytes.length}`);
  }

  private checkToken(token: string | undefined): string | undefined {
    const valid = this.options.validTokens;
    if (!valid) return undefined;
    if (!token) return 'not_authed';
    return valid.includes(token) ? undefined : 'invalid_auth';
  }

  // ---- Web API methods ----------------------------------------------------------------------

  private answer(method: string, args: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const str = (key: string): string | undefined => {
      const value = args[key];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: `https://${this.teamDomain}.slack.com/`, team: 'Fake Team', user: 'joblog', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId, is_enterprise_install: false };
      case 'chat.postMessage': {
        const requested = str('channel');
        if (!requested) return { ok: false, error: 'channel_not_found' };
        if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) return { ok: false, error: 'no_text' };
        const channel = /^[UW]/.test(requested) ? this.dmChannelFor(requested) : requested;
        const ts = this.nextTs();
        const message: FakeSlackMessage = { channel, ts, text: str('text'), blocks: args.blocks, attachments: args.attachments, metadata: args.metadata, threadTs: str('thread_ts'), updates: 0 };
        this.messagesByKey.set(messageKey(channel, ts), message);
        if (message.threadTs !== undefined && (args.reply_broadcast === true || args.reply_broadcast === 'true')) this.broadcastReplies.add(messageKey(channel, ts));
        return { ok: true, channel, ts, message: this.wireMessage(message) };
      }
      case 'conversations.history':
      case 'conversations.replies':
        return this.history(method, args);
      case 'chat.update': {
        const channel = str('channel');
        const ts = str('ts');
        if (!channel || !ts) return { ok: false, error: 'message_not_found' };
        // Lenient on purpose: tests often build an action payload for a ts the fake never issued.
        const previous = this.messagesByKey.get(messageKey(channel, ts));
        const message: FakeSlackMessage = {
          channel,
          ts,
          text: 'text' in args ? str('text') : previous?.text,
          blocks: 'blocks' in args ? args.blocks : previous?.blocks,
          attachments: 'attachments' in args ? args.attachments : previous?.attachments,
          metadata: 'metadata' in args ? args.metadata : previous?.metadata,
          threadTs: previous?.threadTs,
          updates: (previous?.updates ?? 0) + 1,
        };
        this.messagesByKey.set(messageKey(channel, ts), message);
        return { ok: true, channel, ts, text: message.text ?? '', message: this.wireMessage(message) };
      }
      case 'chat.delete': {
        const channel = str('channel') ?? '';
        const ts = str('ts') ?? '';
        this.messagesByKey.delete(messageKey(channel, ts));
        return { ok: true, channel, ts };
      }
      case 'chat.postEphemeral':
        if (!str('channel')) return { ok: false, error: 'channel_not_found' };
        if (!str('user')) return { ok: false, error: 'user_not_in_channel' };
        return { ok: true, message_ts: this.nextTs() };
      case 'chat.getPermalink': {
        const channel = str('channel') ?? '';
        const ts = str('message_ts') ?? '';
        return { ok: true, channel, permalink: `https://${this.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}` };
      }
      case 'conversations.open': {
        const existing = str('channel');
        if (existing) return { ok: true, no_op: true, already_open: true, channel: { id: existing } };
        const users = (str('users') ?? '').split(',').filter(Boolean);
        const first = users[0];
        if (!first) return { ok: false, error: 'users_list_not_supplied' };
        const id = users.length === 1 ? this.dmChannelFor(first) : `G${this.nextId()}`;
        return { ok: true, no_op: false, already_open: false, channel: { id } };
      }
      case 'views.open':
      case 'views.push':
      case 'views.update':
      case 'views.publish': {
        const view = isRecord(args.view) ? args.view : {};
        const id = method === 'views.update' ? (str('view_id') ?? `V${this.nextId()}`) : `V${this.nextId()}`;
        return { ok: true, view: { ...view, id, team_id: this.teamId, type: view.type ?? (method === 'views.publish' ? 'home' : 'modal'), hash: `${this.nextId()}.fakehash`, app_id: 'A0FAKEAPP01', bot_id: this.botId, root_view_id: id } };
      }
      case 'files.getUploadURLExternal': {
        const fileId = `F${this.nextId()}`;
        const length = Number(args.length);
        this.uploadsById.set(fileId, {
          fileId,
          filename: str('filename'),
          declaredLength: Number.isFinite(length) ? length : undefined,
          bytes: Buffer.alloc(0),
          uploaded: false,
          completed: false,
          title: undefined,
          channelId: undefined,
          initialComment: undefined,
          threadTs: undefined,
        });
        return { ok: true, upload_url: `${this.server.url}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal': {
        const files = Array.isArray(args.files) ? args.files.filter(isRecord) : [];
        const done: Record<string, unknown>[] = [];
        for (const file of files) {
          const id = typeof file.id === 'string' ? file.id : '';
          const upload = this.uploadsById.get(id);
          if (!upload) return { ok: false, error: 'file_not_found' };
          const title = typeof file.title === 'string' ? file.title : upload.filename;
          this.uploadsById.set(id, { ...upload, completed: true, title, channelId: str('channel_id'), initialComment: str('initial_comment'), threadTs: str('thread_ts') });
          done.push({ id, name: upload.filename, title, mimetype: 'text/plain', filetype: 'text', size: upload.bytes.length, permalink: `https://${this.teamDomain}.slack.com/files/${this.botUserId}/${id}/${upload.filename ?? 'file'}` });
        }
        return { ok: true, files: done };
      }
      case 'users.info': {
        const id = str('user');
        if (!id) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: this.wireUser(id) };
      }
      default:
        return { ok: true };
    }
  }

  /**
   * conversations.history (the channel's messages and broadcast replies, newest first) and
   * conversations.replies (the parent, then its replies, oldest first), with Slack's `oldest` /
   * `latest` (exclusive unless `inclusive`), `limit` and `cursor` paging. Metadata is returned
   * only with `include_all_metadata`, as Slack does.
   */
  private history(method: string, args: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    const bound = (name: string): number | null => (typeof args[name] === 'string' && args[name] !== '' ? Number(args[name]) : typeof args[name] === 'number' ? (args[name]) : null);
    const oldest = bound('oldest');
    const latest = bound('latest');
    const within = (ts: string): boolean => {
      const at = Number(ts);
      if (oldest !== null && (inclusive ? at < oldest : at <= oldest)) return false;
      return !(latest !== null && (inclusive ? at > latest : at >= latest));
    };
    const all = this.messages(channel).sort((a, b) => Number(a.ts) - Number(b.ts));
    let selected: FakeSlackMessage[];
    if (method === 'conversations.replies') {
      const parentTs = typeof args.ts === 'string' ? args.ts : '';
      const parent = all.find((m) => m.ts === parentTs);
      if (!parent) return { ok: false, error: 'thread_not_found' };
      selected = [parent, ...all.filter((m) => m.threadTs === parentTs && m.ts !== parentTs && within(m.ts))];
    } else {
      selected = all.filter((m) => (m.threadTs === undefined || this.broadcastReplies.has(messageKey(channel, m.ts))) && within(m.ts)).reverse();
    }
    const limit = Math.min(1000, Math.max(1, Number(args.limit) || 100));
    const start = typeof args.cursor === 'string' && args.cursor.startsWith('page:') ? Number(args.cursor.slice(5)) : 0;
    const page = selected.slice(start, start + limit);
    const more = start + limit < selected.length;
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
    const messages = page.map((m) => {
      const wire = this.wireMessage(m);
      if (!withMetadata) delete wire.metadata;
      return wire;
    });
    return { ok: true, messages, has_more: more, response_metadata: { next_cursor: more ? `page:${start + limit}` : '' } };
  }

  /** The scope a history read needs here, when the workspace did not grant it. */
  private missingScope(method: string, args: Readonly<Record<string, unknown>>): string | undefined {
    if (!HISTORY_METHODS.has(method)) return undefined;
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const scope = channel.startsWith('G') ? 'groups:history' : channel.startsWith('D') ? 'im:history' : 'channels:history';
    return this.deniedScopes.has(scope) ? scope : undefined;
  }

  private wireMessage(message: FakeSlackMessage): Record<string, unknown> {
    return {
      type: 'message',
      subtype: 'bot_message',
      text: message.text ?? '',
      user: this.botUserId,
      bot_id: this.botId,
      ts: message.ts,
      team: this.teamId,
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
      ...(message.metadata === undefined ? {} : { metadata: message.metadata }),
      ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    };
  }

  private wireUser(id: string): Record<string, unknown> {
    const o = this.users.get(id) ?? {};
    const name = o.name ?? `user-${id.toLowerCase()}`;
    const realName = o.realName ?? `Fake User ${id}`;
    return {
      id,
      team_id: this.teamId,
      name,
      real_name: realName,
      deleted: false,
      is_bot: o.isBot ?? false,
      tz: o.tz ?? 'Asia/Shanghai',
      tz_label: o.tzLabel ?? 'China Standard Time',
      tz_offset: o.tzOffset ?? 28_800,
      profile: { real_name: realName, display_name: name, ...(o.email === undefined ? {} : { email: o.email }) },
    };
  }

  private dmChannelFor(userId: string): string {
    return `D${userId.replace(/^[UW]/, '')}`;
  }

  /**
   * Unique, increasing message timestamps from the wall clock, as Slack's are (the bot reads
   * history `oldest` a moment before an attempt): at least 100 µs apart.
   */
  private nextTs(): string {
    this.sequence += 1;
    this.lastTsMicros = Math.max(Date.now() * 1000, this.lastTsMicros + 100);
    const micros = this.lastTsMicros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  private nextId(): string {
    this.sequence += 1;
    return `0FAKE${String(this.sequence).padStart(6, '0')}`;
  }
}

// ---- helpers ------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageKey(channel: string, ts: string): string {
  return `${channel}/${ts}`;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

/** JSON-string fields back to objects; a field that is not valid JSON stays a string. */
function decodeJsonFields(fields: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (!JSON_FIELDS.has(key) || typeof value !== 'string') continue;
    try {
      fields[key] = JSON.parse(value);
    } catch {
      // Leave it: the test will see exactly what was sent.
    }
  }
  return fields;
}

async function parseArgs(request: FakeRequest): Promise<Record<string, unknown>> {
  if (request.body.length === 0) return {};
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(request.body.toString('utf8'));
      return isRecord(parsed) ? parsed : { _body: parsed };
    } catch {
      return { _body: request.body.toString('utf8') };
    }
  }
  if (contentType.includes('multipart/form-data')) {
    const form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
    const fields: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) fields[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size };
    return decodeJsonFields(fields);
  }
  return decodeJsonFields(Object.fromEntries(new URLSearchParams(request.body.toString('utf8'))));
}

/** The WebClient posts upload content as multipart (field `body`); other clients may post it raw. */
async function uploadedBytes(request: FakeRequest): Promise<Buffer> {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.includes('multipart/form-data')) return request.body;
  const form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  const text = form.get('body');
  return Buffer.from(typeof text === 'string' ? text : '', 'utf8');
}

function summarizeArgs(args: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const key of ['channel', 'user', 'users', 'ts', 'text']) {
    const value = args[key];
    if (typeof value === 'string') parts.push(`${key}=${truncate(JSON.stringify(value), 80)}`);
  }
  if (Array.isArray(args.blocks)) parts.push(`blocks=${args.blocks.length}`);
  return parts.join(' ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
