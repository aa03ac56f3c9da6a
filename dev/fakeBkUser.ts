/**
 * `FakeBkUser`: BlueKing's user directory (bk-user) as the bot sees it (bkjob-source-facts C5):
 *
 * - 2.x through the ESB: `GET /api/c/compapi/v2/usermanage/list_users/` with the app's credentials
 *   as parameters, `lookup_field` / `exact_lookups` (comma-separated) / `fuzzy_lookups`, `fields`,
 *   `page` / `page_size` or `no_page`; the ESB envelope `{result, code, message, data, request_id}`,
 *   `data` being `{count, results}` or, with `no_page`, the bare list. The fake ESB (`FakeBkJob`
 *   with the `bkUser` option) hands it every `/api/c/compapi/v2/usermanage/…` request.
 * - 3.x through its own API gateway (`gatewayUrl`, stage `/api/bk-user/prod`), credentials only in
 *   `X-Bkapi-Authorization`, the tenant in `X-Bk-Tenant-Id`: `GET /api/v3/open/tenant/users/`
 *   (`page`, `page_size` ≤ 1000, `{data: {count, results: [{bk_username, full_name, display_name}]}}`)
 *   and `GET /api/v3/open/tenant/users/-/sensitive-infos/?bk_usernames=a,b` (≤ 100,
 *   `{data: [{bk_username, phone, phone_country_code, email, wx_userid}]}`); errors
 *   `{error: {code, message}}` with a non-2xx status.
 *
 * Email is no unique key in either version: two users with one email are both returned, an
 * unknown email gives an empty list. Every request is recorded verbatim (secrets included).
 *
 * The fake's own choices where the sources say nothing: an exact email look-up ignores case
 * (bk-user's MySQL default collation); 2.x's default page size is 10, as 3.x documents; a request
 * naming another tenant than a user's does not see that user.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { FAKE_BK_APP_CODE, FAKE_BK_APP_SECRET } from './fakeEsb';
import { FakeHttpServer, type FakeRequest, sendJson } from './fakeServer';

/** Every bk-user 2.x request through the ESB starts with this. */
export const ESB_USERMANAGE_PREFIX = '/api/c/compapi/v2/usermanage/';
export const ESB_LIST_USERS = `${ESB_USERMANAGE_PREFIX}list_users/`;
/** The bk-user gateway stage the fake serves 3.x under (`BK_USER_API_URL` = `gatewayUrl`). */
export const FAKE_BK_USER_STAGE_PATH = '/api/bk-user/prod';
export const BK_USER_V3_TENANT_USERS = '/api/v3/open/tenant/users/';
export const BK_USER_V3_SENSITIVE_INFOS = '/api/v3/open/tenant/users/-/sensitive-infos/';
export const FAKE_BK_TENANT_ID = 'default';

/** ESB's code for bad app credentials (the same as FakeBkJob's). */
const ESB_AUTH_FAILED = 1640001;
/** The fake's code for a list_users call bk-user cannot answer (an unknown lookup field). */
const USERMANAGE_BAD_PARAM = 1306000;

export interface FakeBkUserEntry {
  /** 2.x `username` (`name@domain` outside the default directory); 3.x the opaque `bk_username`. */
  readonly username: string;
  readonly email: string | null;
  readonly displayName?: string;
  /** 3.x's human login name; default the username. */
  readonly loginName?: string;
  /** 3.x: the tenant the user belongs to; default the fake's tenant. */
  readonly tenantId?: string;
  readonly phone?: string;
}

export interface FakeBkUserOptions {
  readonly appCode?: string;
  readonly appSecret?: string;
  /** The tenant users belong to unless they name another; default `default`. */
  readonly tenantId?: string;
  readonly users?: readonly FakeBkUserEntry[];
}

export type BkUserApi = 'list_users' | 'tenant_users' | 'sensitive_infos' | 'unknown';

export interface RecordedBkUserRequest {
  readonly api: BkUserApi;
  /** `esb` for 2.x (through FakeBkJob), `gateway` for 3.x. */
  readonly via: 'esb' | 'gateway';
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly at: number;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const V2_FIELDS = ['id', 'username', 'display_name', 'email', 'telephone', 'domain', 'category_id', 'status', 'staff_status'] as const;
const V2_LOOKUP_FIELDS = new Set<string>(['id', 'username', 'display_name', 'email', 'telephone']);
const V2_DEFAULT_PAGE_SIZE = 10;
const V3_DEFAULT_PAGE_SIZE = 10;
const V3_MAX_PAGE_SIZE = 1000;
const V3_MAX_USERNAMES = 100;

export class FakeBkUser {
  private readonly server: FakeHttpServer;
  private users: FakeBkUserEntry[] = [];
  private readonly recorded: RecordedBkUserRequest[] = [];

  constructor(private readonly options: FakeBkUserOptions = {}) {
    this.server = new FakeHttpServer('FakeBkUser', (request, response) => this.handleGateway(request, response));
    this.reset();
  }

  /** The 3.x gateway stage URL (`BK_USER_API_URL`); needs start(). 2.x is reached through the fake ESB. */
  get gatewayUrl(): string {
    return `${this.server.url}${FAKE_BK_USER_STAGE_PATH}`;
  }

  get appCode(): string {
    return this.options.appCode ?? FAKE_BK_APP_CODE;
  }

  get appSecret(): string {
    return this.options.appSecret ?? FAKE_BK_APP_SECRET;
  }

  get tenantId(): string {
    return this.options.tenantId ?? FAKE_BK_TENANT_ID;
  }

  /** Starts the 3.x gateway (2.x needs nothing started but the fake ESB). */
  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  // ---- control ------------------------------------------------------------------------------

  /** Replaces the directory. */
  setUsers(users: readonly FakeBkUserEntry[]): void {
    this.users = users.map((u) => ({ ...u }));
  }

  addUser(user: FakeBkUserEntry): void {
    this.users.push({ ...user });
  }

  /** Every request received so far (2.x and 3.x), oldest first, exactly as sent. */
  requests(api?: BkUserApi): readonly RecordedBkUserRequest[] {
    return api === undefined ? [...this.recorded] : this.recorded.filter((r) => r.api === api);
  }

  requestCount(api?: BkUserApi): number {
    return this.requests(api).length;
  }

  /** Back to the constructor's users; no recordings. */
  reset(): void {
    this.recorded.length = 0;
    this.setUsers(this.options.users ?? []);
  }

  /** Whether the fake ESB should hand this path to bk-user. */
  servesEsbPath(path: string): boolean {
    return path.startsWith(ESB_USERMANAGE_PREFIX);
  }

  // ---- 2.x: ESB usermanage ------------------------------------------------------------------

  /** A `/api/c/compapi/v2/usermanage/…` request the fake ESB received. */
  handleEsb(request: FakeRequest, res: http.ServerResponse): Promise<void> {
    const api: BkUserApi = request.path === ESB_LIST_USERS ? 'list_users' : 'unknown';
    this.record(api, 'esb', request);
    const reply = this.esbReply(api, request);
    sendJson(res, reply.status, reply.body, reply.headers);
    return Promise.resolve();
  }

  private esbReply(api: BkUserApi, request: FakeRequest): Reply {
    if (api !== 'list_users') return { status: 404, body: { result: false, code: 1640404, message: 'API not found', data: null, request_id: requestId() } };
    const params = new URLSearchParams(request.query);
    // A POST body's form or JSON fields count too at the ESB; the bot sends GET.
    if (request.body.length > 0) {
      const text = request.body.toString('utf8');
      const json = parseJsonObject(text);
      const fromBody = json ? Object.entries(json).map(([k, v]) => [k, String(v)] as const) : [...new URLSearchParams(text)];
      for (const [k, v] of fromBody) params.set(k, v);
    }
    if (params.get('bk_app_code') !== this.appCode || params.get('bk_app_secret') !== this.appSecret) {
      const message = params.get('bk_app_code') ? 'app code or app secret is incorrect' : 'app code cannot be empty';
      return esbReply(false, ESB_AUTH_FAILED, message, null);
    }
    const lookupField = params.get('lookup_field') || 'username';
    if (!V2_LOOKUP_FIELDS.has(lookupField)) return esbReply(false, USERMANAGE_BAD_PARAM, `lookup_field ${lookupField} is not supported`, null);
    const exact = splitList(params.get('exact_lookups'));
    const fuzzy = splitList(params.get('fuzzy_lookups'));
    const rows = this.users.map((u, i) => v2Row(u, i + 1));
    const valueOf = (row: Record<string, unknown>): string => {
      const value = row[lookupField];
      return typeof value === 'string' || typeof value === 'number' ? String(value).toLowerCase() : '';
    };
    let matched = rows;
    if (exact.length > 0) {
      const wanted = new Set(exact.map((v) => v.toLowerCase()));
      matched = rows.filter((r) => wanted.has(valueOf(r)));
    } else if (fuzzy.length > 0) {
      matched = rows.filter((r) => fuzzy.some((v) => valueOf(r).includes(v.toLowerCase())));
    }
    const fields = splitList(params.get('fields'));
    const shaped = fields.length === 0 ? matched : matched.map((r) => Object.fromEntries(fields.filter((f) => f in r).map((f) => [f, r[f]])));
    if (isTrue(params.get('no_page'))) return esbReply(true, 0, 'success', shaped);
    const page = positiveInt(params.get('page')) ?? 1;
    const pageSize = positiveInt(params.get('page_size')) ?? V2_DEFAULT_PAGE_SIZE;
    return esbReply(true, 0, 'success', { count: shaped.length, results: shaped.slice((page - 1) * pageSize, page * pageSize) });
  }

  // ---- 3.x: the bk-user API gateway -----------------------------------------------------------

  private handleGateway(request: FakeRequest, res: http.ServerResponse): Promise<void> {
    const resource = request.path.startsWith(`${FAKE_BK_USER_STAGE_PATH}/`) ? request.path.slice(FAKE_BK_USER_STAGE_PATH.length) : null;
    const api: BkUserApi = resource === BK_USER_V3_TENANT_USERS ? 'tenant_users' : resource === BK_USER_V3_SENSITIVE_INFOS ? 'sensitive_infos' : 'unknown';
    this.record(api, 'gateway', request);
    const reply = this.gatewayReply(api, resource ?? request.path, request);
    sendJson(res, reply.status, reply.body, { 'X-Bkapi-Request-Id': requestId(), ...reply.headers });
    return Promise.resolve();
  }

  private gatewayReply(api: BkUserApi, resource: string, request: FakeRequest): Reply {
    if (api === 'unknown' || request.method !== 'GET') return gatewayError(404, 1640401, 'API_NOT_FOUND', `API not found [method=${request.method} path=${resource}]`);
    // allow_auth_from_params is false: only the header counts.
    const auth = parseJsonObject(request.headers['x-bkapi-authorization']);
    if (!auth || typeof auth.bk_app_code !== 'string' || auth.bk_app_code === '') return gatewayError(400, 1640001, 'INVALID_ARGS', 'Parameters error [reason="app code cannot be empty"]');
    if (auth.bk_app_code !== this.appCode || auth.bk_app_secret !== this.appSecret) return gatewayError(400, 1640001, 'INVALID_ARGS', 'Parameters error [reason="bk_app_code or bk_app_secret is incorrect"]');
    const tenant = request.headers['x-bk-tenant-id'];
    if (!tenant) return bkUserError(400, 'INVALID_ARGUMENT', 'X-Bk-Tenant-Id is required');
    const inTenant = this.users.filter((u) => (u.tenantId ?? this.tenantId) === tenant);
    if (api === 'tenant_users') {
      const page = positiveInt(request.query.get('page')) ?? 1;
      const pageSize = positiveInt(request.query.get('page_size')) ?? V3_DEFAULT_PAGE_SIZE;
      if (pageSize > V3_MAX_PAGE_SIZE) return bkUserError(400, 'INVALID_ARGUMENT', `page_size: ensure this value is less than or equal to ${V3_MAX_PAGE_SIZE}`);
      const results = inTenant.slice((page - 1) * pageSize, page * pageSize).map((u) => ({ bk_username: u.username, full_name: u.displayName ?? u.loginName ?? u.username, display_name: u.displayName ?? u.loginName ?? u.username }));
      return { status: 200, body: { data: { count: inTenant.length, results } } };
    }
    const wanted = splitList(request.query.get('bk_usernames'));
    if (wanted.length === 0) return bkUserError(400, 'INVALID_ARGUMENT', 'bk_usernames: this field is required');
    if (wanted.length > V3_MAX_USERNAMES) return bkUserError(400, 'INVALID_ARGUMENT', `bk_usernames: at most ${V3_MAX_USERNAMES}`);
    const data = inTenant.filter((u) => wanted.includes(u.username)).map((u) => ({ bk_username: u.username, phone: u.phone ?? '', phone_country_code: '86', email: u.email ?? '', wx_userid: '' }));
    return { status: 200, body: { data } };
  }

  private record(api: BkUserApi, via: 'esb' | 'gateway', request: FakeRequest): void {
    this.recorded.push({ api, via, method: request.method, path: request.path, query: Object.fromEntries(request.query), headers: request.headers, at: Date.now() });
  }
}

function v2Row(user: FakeBkUserEntry, id: number): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id,
    username: user.username,
    display_name: user.displayName ?? user.username,
    email: user.email,
    telephone: user.phone ?? '',
    domain: user.username.includes('@') ? user.username.slice(user.username.indexOf('@') + 1) : 'default.local',
    category_id: 1,
    status: 'NORMAL',
    staff_status: 'IN',
  };
  return Object.fromEntries(V2_FIELDS.map((f) => [f, row[f]]));
}

function esbReply(result: boolean, code: number, message: string, data: unknown): Reply {
  return { status: 200, body: { result, code, message, data, request_id: requestId() } };
}

function gatewayError(status: number, code: number, codeName: string, message: string): Reply {
  return {
    status,
    body: { code, code_name: codeName, message, data: null, result: false },
    headers: { 'X-Bkapi-Error-Code': String(code), 'X-Bkapi-Error-Message': encodeURIComponent(message) },
  };
}

function bkUserError(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message } } };
}

function splitList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function positiveInt(value: string | null): number | null {
  return value !== null && /^\d{1,9}$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === 'True' || value === '1';
}

function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function requestId(): string {
  return randomBytes(16).toString('hex');
}
