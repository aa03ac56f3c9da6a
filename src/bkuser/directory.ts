/**
 * bk-user, BlueKing's user directory: email → BlueKing username (bkjob-source-facts C5).
 *
 * - 2.x through ESB: `usermanage/list_users` filtered by email, with the app's credentials.
 * - 3.x (multi-tenant) has no look-up by email: the whole tenant is paged, its emails read in
 *   batches from `sensitive-infos`, and an email → bk_username map is kept (the opaque
 *   bk_username is what JOB expects, not the human `login_name`).
 *
 * Answers are validated with the shared JSON readers; errors never carry URLs or credentials
 * (the 2.x query holds the app secret).
 */
import axios from 'axios';
import { isRecord, jsonReaders, parseJsonOrUndefined } from '../util/json';

/** bk-user could not be asked or answered nonsense: callers serve what they knew before. */
export class BkUserLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BkUserLookupError';
  }
}

export interface BkUserDirectory {
  /** Every BlueKing username whose email is `email` (compared case-insensitively); [] when none. */
  usernamesByEmail(email: string): Promise<readonly string[]>;
}

export interface DirectoryCredentials {
  readonly appCode: string;
  readonly appSecret: string;
}

const READ = jsonReaders((where, expected) => {
  throw new BkUserLookupError(`bk-user answered an unexpected shape: ${where} should be ${expected}`);
});

async function getJson(url: string, params: Record<string, string | number>, headers: Record<string, string>, timeoutMs: number, what: string): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    const response = await axios.get<string>(url, { params, headers: { Accept: 'application/json', ...headers }, timeout: timeoutMs, responseType: 'text', transformResponse: (body: unknown) => body, validateStatus: () => true });
    status = response.status;
    text = typeof response.data === 'string' ? response.data : '';
  } catch (err) {
    // Only the error's code: its message and config would carry the URL (and the 2.x secret).
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'network';
    throw new BkUserLookupError(`bk-user ${what} could not be reached (${code})`);
  }
  if (status < 200 || status > 299) throw new BkUserLookupError(`bk-user ${what} answered HTTP ${status}`);
  const body = parseJsonOrUndefined(text);
  if (body === undefined) throw new BkUserLookupError(`bk-user ${what} answered something that is not JSON`);
  return body;
}

/** bk-user 2.x through ESB (`BK_API_BASE_URL`), authenticated like the JOB calls. */
export class EsbBkUserDirectory implements BkUserDirectory {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials: DirectoryCredentials,
    private readonly timeoutMs: number,
  ) {}

  async usernamesByEmail(email: string): Promise<readonly string[]> {
    const url = new URL('/api/c/compapi/v2/usermanage/list_users/', this.baseUrl).toString();
    const body = READ.readRecord(
      await getJson(url, { bk_app_code: this.credentials.appCode, bk_app_secret: this.credentials.appSecret, lookup_field: 'email', exact_lookups: email, fields: 'username,email,display_name' }, {}, this.timeoutMs, 'list_users'),
      'response',
    );
    if (body['result'] !== true) {
      const message = typeof body['message'] === 'string' ? body['message'].slice(0, 200) : '';
      throw new BkUserLookupError(`bk-user list_users refused (code ${String(body['code'])}${message ? `: ${message}` : ''})`);
    }
    // Paged answers wrap the list in { count, results }; `no_page` ones are the bare list.
    const data = body['data'];
    const results = isRecord(data) ? READ.readOptionalArray(data['results'], 'data', 'results') : READ.readOptionalArray(data, 'data');
    const wanted = email.toLowerCase();
    const names = results
      .map((item, i) => READ.readRecord(item, `data.results[${i}]`))
      // Only users whose own email is the one asked for: an answer that ignored the filter must not map anyone.
      .filter((user) => typeof user['email'] === 'string' && user['email'].toLowerCase() === wanted)
      .map((user, i) => READ.readString(user['username'], `data.results[${i}]`, 'username'));
    return [...new Set(names)];
  }
}

export interface TenantDirectoryOptions {
  /** The bk-user API gateway stage, e.g. https://bkapi.example.com/api/bk-user/prod */
  readonly gatewayUrl: string;
  readonly credentials: DirectoryCredentials;
  readonly tenantId: string;
  readonly timeoutMs: number;
  /** How long the built email map is used before it is built again. */
  readonly maxAgeMs: number;
  /**
   * An email the map does not have makes it be built again once it is this old (the resolver's
   * NEGATIVE_TTL_MS), so a user just added to bk-user is found as soon as the miss expires.
   */
  readonly missMaxAgeMs: number;
  readonly now?: () => number;
}

/** `page_size` may be at most 1000; `bk_usernames` at most 100 per call. */
const PAGE_SIZE = 1000;
const SENSITIVE_BATCH = 100;
/** A runaway guard: a tenant this big is paged no further. */
const MAX_PAGES = 1000;

/** bk-user 3.x through its API gateway: the tenant's email → bk_username map, built in full and reused. */
export class TenantBkUserDirectory implements BkUserDirectory {
  private map: { readonly at: number; readonly byEmail: ReadonlyMap<string, readonly string[]> } | null = null;
  private building: Promise<ReadonlyMap<string, readonly string[]>> | null = null;

  constructor(private readonly options: TenantDirectoryOptions) {}

  async usernamesByEmail(email: string): Promise<readonly string[]> {
    const now = (this.options.now ?? Date.now)();
    const key = email.toLowerCase();
    const known = this.map !== null && now - this.map.at < this.options.maxAgeMs ? this.map : null;
    const found = known?.byEmail.get(key);
    if (known !== null && (found !== undefined || now - known.at < this.options.missMaxAgeMs)) return found ?? [];
    // Too old, or a miss in a map older than a miss may be remembered: build it again.
    return (await this.rebuilt(now)).get(key) ?? [];
  }

  /** One build at a time; a failed build throws and the caller serves what it knew. */
  private async rebuilt(now: number): Promise<ReadonlyMap<string, readonly string[]>> {
    this.building ??= this.build().finally(() => {
      this.building = null;
    });
    const byEmail = await this.building;
    this.map = { at: now, byEmail };
    return byEmail;
  }

  private headers(): Record<string, string> {
    const { credentials, tenantId } = this.options;
    return { 'X-Bkapi-Authorization': JSON.stringify({ bk_app_code: credentials.appCode, bk_app_secret: credentials.appSecret }), 'X-Bk-Tenant-Id': tenantId };
  }

  private url(path: string): string {
    return `${this.options.gatewayUrl.replace(/\/+$/, '')}${path}`;
  }

  private async build(): Promise<ReadonlyMap<string, readonly string[]>> {
    const usernames: string[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const body = dataOf(await getJson(this.url('/api/v3/open/tenant/users/'), { page, page_size: PAGE_SIZE }, this.headers(), this.options.timeoutMs, 'tenant users'));
      const data = READ.readRecord(body, 'data');
      const results = READ.readOptionalArray(data['results'], 'data', 'results');
      results.forEach((item, i) => usernames.push(READ.readString(READ.readRecord(item, `data.results[${i}]`)['bk_username'], `data.results[${i}]`, 'bk_username')));
      const count = READ.readOptionalInt(data['count'], 'data', 'count');
      if (results.length < PAGE_SIZE || (count !== null && usernames.length >= count)) break;
    }
    const byEmail = new Map<string, string[]>();
    for (let i = 0; i < usernames.length; i += SENSITIVE_BATCH) {
      const batch = usernames.slice(i, i + SENSITIVE_BATCH);
      const infos = READ.readArray(dataOf(await getJson(this.url('/api/v3/open/tenant/users/-/sensitive-infos/'), { bk_usernames: batch.join(',') }, this.headers(), this.options.timeoutMs, 'sensitive-infos')), 'data');
      infos.forEach((item, j) => {
        const info = READ.readRecord(item, `data[${j}]`);
        const username = READ.readString(info['bk_username'], `data[${j}]`, 'bk_username');
        const email = READ.readOptionalString(info['email'], `data[${j}]`, 'email');
        if (!email) return;
        const key = email.toLowerCase();
        const known = byEmail.get(key) ?? [];
        if (!known.includes(username)) known.push(username);
        byEmail.set(key, known);
      });
    }
    return byEmail;
  }
}

/** bk-user 3.x answers `{ "data": … }` (errors: `{ "error": { code, message } }` with a non-2xx status). */
function dataOf(body: unknown): unknown {
  const record = READ.readRecord(body, 'response');
  if (isRecord(record['error'])) throw new BkUserLookupError(`bk-user refused (${String(record['error']['code'])})`);
  return record['data'];
}
