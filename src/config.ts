/**
 * Configuration: every environment variable is read here, once, validated, and handed down as a
 * typed `Config`. A bad start-up names every missing or invalid variable and what it is for.
 */
import { validate as validateCron } from 'node-cron';
import { type IdentitySettings, USER_MAPPING_MODES } from './bkjob/identity';
import type { BkActor } from './bkjob/model';
import type { Lang } from './i18n';
import { ALLOW_ALL, type ChannelPolicy, ChannelPolicyError, readChannelPolicyFile } from './policy';
import { parseDuration } from './util/duration';

export interface Config {
  readonly slack: {
    readonly botToken: string;
    readonly signingSecret: string;
    /** Set → Socket Mode; unset → HTTP mode on `port`. */
    readonly appToken: string | null;
    /** Web API base URL override (GovSlack, local fakes). */
    readonly apiUrl: string | null;
  };
  readonly port: number;
  readonly bk: {
    readonly apiBaseUrl: string;
    readonly appCode: string;
    readonly appSecret: string;
    /** The one BlueKing user everyone acts as with BK_USER_MAPPING=fixed; null (unused) in the other modes. */
    readonly actor: BkActor | null;
    readonly jobWebUrl: string | null;
    readonly timeoutMs: number;
    readonly apiVersion: 'v2' | 'v3' | 'v4';
    /** v3 and v4: `esb` (`/api/c/compapi/v2/jobv3/…`), `gateway` (`/api/v3/…`, header auth) or `gateway-system` (`/api/v3/system/…`, user in X-Bk-Username). */
    readonly v3Transport: 'esb' | 'gateway' | 'gateway-system';
    readonly maxResponseBytes: number;
    /** Offset in minutes for BlueKing times that come without one (v2). */
    readonly timezoneOffsetMinutes: number;
    /** v3/v4: how long a summary waits for the failing hosts' logs its error lines come from (0: never fetch them). */
    readonly diagnosisBudgetMs: number;
    /** BK_PEOPLE_CONCURRENCY: most BlueKing calls in flight for people (commands, buttons, menus, unfurls); polling has its own. */
    readonly peopleConcurrency: number;
    /** BK_PEOPLE_QUEUE: most people's calls waiting for one of those; more are refused at once as busy. */
    readonly peopleQueue: number;
  };
  /** Who each Slack user acts as in BlueKing (BK_USER_MAPPING and friends). */
  readonly identity: IdentitySettings;
  /** What each channel may use (CHANNEL_POLICY_FILE, read once at start); ALLOW_ALL without a file. */
  readonly policy: ChannelPolicy;
  readonly databaseUrl: string;
  /** REPLICA_ID: this replica's stable name in leases; null: the host name and process id. */
  readonly replicaId: string | null;
  readonly watch: {
    readonly pollCron: string;
    readonly pollConcurrency: number;
    readonly maxPerChannel: number;
    readonly maxAgeMs: number;
    readonly maxErrors: number;
    /** How long a watch follows a failed, stopped or abnormal job for a retry on the same instance. */
    readonly resumeWindowMs: number;
  };
  readonly subscriptions: {
    readonly maxPerChannel: number;
    /** A cron failing again and again is broadcast to the channel every Nth time. */
    readonly repeatBroadcast: number;
    /** How far each scan looks back before the last run seen, for runs JOB committed late. */
    readonly scanOverlapMs: number;
  };
  readonly audit: {
    /** How long audit entries are kept (AUDIT_RETENTION). */
    readonly retentionMs: number;
  };
  readonly logLevel: string;
  readonly lang: Lang;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`joblog-bot cannot start; fix these settings (see .env.example and README):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Every variable, what it is for: used in error messages so the fix is obvious. */
export const VARIABLES: Readonly<Record<string, string>> = {
  SLACK_BOT_TOKEN: 'the bot token (xoxb-…) from your Slack app\'s "OAuth & Permissions" page',
  SLACK_SIGNING_SECRET: 'the signing secret from your Slack app\'s "Basic Information" page',
  SLACK_APP_TOKEN: 'an app-level token (xapp-…) with connections:write; set it to use Socket Mode',
  SLACK_API_URL: 'Slack Web API base URL (default https://slack.com/api/)',
  PORT: 'HTTP port for Slack requests and /healthz (default 3000)',
  BK_API_BASE_URL: 'BlueKing ESB/API base URL, e.g. https://paas.example.com',
  BK_APP_CODE: 'the BlueKing app code (bk_app_code) the bot calls JOB as',
  BK_APP_SECRET: 'the BlueKing app secret (bk_app_secret)',
  BK_USERNAME: 'the BlueKing user the bot acts as (bk_username; the app must be whitelisted)',
  BK_TOKEN: 'a BlueKing login token (bk_token), instead of BK_USERNAME',
  BK_JOB_WEB_URL: 'BlueKing JOB web console URL, for "Open in JOB" links',
  BK_TIMEOUT_MS: 'timeout of one BlueKing call in milliseconds (default 10000)',
  BK_JOB_API_VERSION: 'v2 (get_job_instance_log, default), v3 (get_job_instance_status + get_job_instance_ip_log) or v4 (v4 get_job_instance_status, which also describes container jobs, + v3 get_job_instance_ip_log)',
  BK_V3_TRANSPORT: 'esb (default), gateway or gateway-system (JOB\'s non-public /api/v3/system/ resources, user in X-Bk-Username): how v3 APIs are reached',
  BK_MAX_RESPONSE_MB: 'runaway guard: largest BlueKing response read, in MB (default 4096)',
  BK_DIAGNOSIS_BUDGET_MS: 'v3/v4: how long a summary waits for the logs its error lines come from (at most 5 a failing step), in milliseconds; 0 turns it off (default 1500)',
  BK_PEOPLE_CONCURRENCY: "most BlueKing calls in flight for people's requests (commands, buttons, menus, unfurls); the poller has its own budget, POLL_CONCURRENCY (default 8)",
  BK_PEOPLE_QUEUE: "most people's BlueKing calls waiting for one of those slots; more are answered at once that BlueKing is busy (default 40; 0: none wait)",
  BK_USER_MAPPING: 'how Slack users become BlueKing users: email (profile email\'s local part), bkuser (email looked up in bk-user), file (BK_USER_MAP_FILE) or fixed (default: everyone acts as BK_USERNAME)',
  BK_USER_EMAIL_PATTERN: 'email mode: a regular expression with one capture group taking the BlueKing username from the email, e.g. ^([^@]+)@corp\\.example\\.com$ (default: the part before @)',
  BK_USER_API: 'bkuser mode: v2 (ESB usermanage list_users, default) or v3 (multi-tenant bk-user 3.x)',
  BK_USER_API_URL: 'bkuser mode with BK_USER_API=v3: the bk-user API gateway stage URL, e.g. https://bkapi.example.com/api/bk-user/prod',
  BK_TENANT_ID: 'bkuser mode with BK_USER_API=v3: the tenant id sent as X-Bk-Tenant-Id',
  BK_USER_MAP_FILE: 'file mode: YAML file `users: { U0123ABCD: alice, bob@example.com: bob }` (Slack user id or email → BlueKing username), reloaded when it changes',
  BK_USER_CACHE_TTL: 'how long a Slack email or bk-user look-up is reused, e.g. 1h, 30m (default 1h)',
  CHANNEL_POLICY_FILE: 'YAML file of which businesses each channel may use and whether summaries are posted there: `default: allow|deny` and `channels: { C0123OPS: { businesses: [1, "set:5"], post_in_channel: false } }` (default: every channel may use every business)',
  BK_TIMEZONE_OFFSET: 'UTC offset of BlueKing times without one, e.g. +08:00 (default)',
  DATABASE_URL: 'sqlite:./data/joblog.db (default) or postgres://user:pass@host:5432/db',
  REPLICA_ID: "this replica's stable name (e.g. a StatefulSet pod name), unique among running replicas: restarted after a crash, it takes back its watches at once instead of after their leases expire (default: none, a name unique per process, so a dead process's leases expire)",
  POLL_CRON: 'node-cron schedule of the watch poller, with seconds (default */30 * * * * *)',
  POLL_CONCURRENCY: 'most BlueKing calls in flight while polling (default 8)',
  WATCH_MAX_PER_CHANNEL: 'most active watches in one channel (default 50)',
  WATCH_MAX_AGE: 'how long a watch lives, e.g. 7d, 12h, 30m (default 7d)',
  WATCH_RESUME_WINDOW: 'how long a watch follows a failed, stopped or abnormal job for retries on the same instance, e.g. 24h; 0 ends the watch at once (default 24h)',
  WATCH_MAX_ERRORS: 'consecutive poll errors after which a watch pauses (default 10)',
  SUBSCRIPTION_MAX_PER_CHANNEL: 'most active subscriptions (crons and plans followed) in one channel (default 20)',
  SUBSCRIPTION_REPEAT_BROADCAST: 'a subscription failing run after run replies in the first failure\'s thread, shown in the channel every Nth time (default 5; 0: never)',
  SUBSCRIPTION_SCAN_OVERLAP: 'how far each scan for new runs looks back before the newest run seen, for runs JOB records late, e.g. 5m (default 5m)',
  AUDIT_RETENTION: 'how long audit entries (who looked up, watched, viewed or downloaded what) are kept, e.g. 90d, 12h (default 90d)',
  LOG_LEVEL: 'fatal, error, warn, info (default), debug or trace',
  BOT_LANG: 'en (default) or zh-CN: language of the bot\'s messages',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problems.push(`${name} is not set: ${VARIABLES[name] ?? ''}`);
    return value ?? '';
  }

  fail(name: string, why: string): void {
    this.problems.push(`${name} ${why}: ${VARIABLES[name] ?? ''}`);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.fail(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  }

  url(name: string, required: boolean): string | null {
    const value = required ? this.required(name) : this.raw(name);
    if (!value) return null;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      return value;
    } catch {
      this.fail(name, `must be an http(s) URL (got "${value}")`);
      return null;
    }
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }
}

export { parseDuration };

/** `+08:00`, `+0800`, `-05:30`, `Z` → minutes east of UTC; null when not understood. */
export function parseOffset(text: string): number | null {
  if (text === 'Z' || text === 'UTC') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!match) return null;
  if (Number(match[3]) >= 60) return null;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  if (minutes > 14 * 60) return null;
  return match[1] === '-' ? -minutes : minutes;
}

export function loadConfig(env: Env): Config {
  const r = new Reader(env);

  const botToken = r.required('SLACK_BOT_TOKEN');
  if (botToken && !botToken.startsWith('xoxb-')) r.fail('SLACK_BOT_TOKEN', 'must be a bot token starting with xoxb-');
  const appToken = r.raw('SLACK_APP_TOKEN') ?? null;
  if (appToken && !appToken.startsWith('xapp-')) r.fail('SLACK_APP_TOKEN', 'must be an app-level token starting with xapp-');
  // Socket Mode needs no signing secret: requests arrive over the app's own WebSocket.
  const signingSecret = appToken ? (r.raw('SLACK_SIGNING_SECRET') ?? '') : r.required('SLACK_SIGNING_SECRET');
  const apiUrl = r.url('SLACK_API_URL', false);

  const apiBaseUrl = r.url('BK_API_BASE_URL', true) ?? '';
  const appCode = r.required('BK_APP_CODE');
  const appSecret = r.required('BK_APP_SECRET');
  const username = r.raw('BK_USERNAME');
  const token = r.raw('BK_TOKEN');
  const actor: BkActor | null = username ? { kind: 'username', username } : token ? { kind: 'token', token } : null;

  const offsetText = r.raw('BK_TIMEZONE_OFFSET') ?? '+08:00';
  const offset = parseOffset(offsetText);
  if (offset === null) r.fail('BK_TIMEZONE_OFFSET', `must look like +08:00 (got "${offsetText}")`);

  const identity = readIdentity(r);
  // Only BK_USER_MAPPING=fixed acts as one configured user; the other modes act as each person.
  if (identity.mode === 'fixed' && actor === null) r.problems.push(`BK_USERNAME is not set: ${VARIABLES.BK_USERNAME} (or set BK_TOKEN), needed with BK_USER_MAPPING=fixed`);
  const policy = readPolicy(r);

  const databaseUrl = r.raw('DATABASE_URL') ?? 'sqlite:./data/joblog.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) r.fail('DATABASE_URL', 'must start with sqlite: or postgres://');

  const pollCron = r.raw('POLL_CRON') ?? '*/30 * * * * *';
  if (!validateCron(pollCron)) r.fail('POLL_CRON', `is not a valid cron expression (got "${pollCron}")`);

  const maxAgeText = r.raw('WATCH_MAX_AGE') ?? '7d';
  const maxAgeMs = parseDuration(maxAgeText);
  if (maxAgeMs === null || maxAgeMs <= 0) r.fail('WATCH_MAX_AGE', `must be a duration like 7d, 12h or 30m (got "${maxAgeText}")`);
  const resumeText = r.raw('WATCH_RESUME_WINDOW') ?? '24h';
  const resumeWindowMs = resumeText === '0' ? 0 : parseDuration(resumeText);
  if (resumeWindowMs === null) r.fail('WATCH_RESUME_WINDOW', `must be a duration like 24h or 90m, or 0 (got "${resumeText}")`);
  const auditRetentionText = r.raw('AUDIT_RETENTION') ?? '90d';
  const auditRetentionMs = parseDuration(auditRetentionText);
  const overlapText = r.raw('SUBSCRIPTION_SCAN_OVERLAP') ?? '5m';
  const scanOverlapMs = parseDuration(overlapText);
  if (scanOverlapMs === null || scanOverlapMs <= 0 || scanOverlapMs > 86_400_000) r.fail('SUBSCRIPTION_SCAN_OVERLAP', `must be a duration from 1s to 24h like 5m (got "${overlapText}")`);
  if (auditRetentionMs === null || auditRetentionMs <= 0) r.fail('AUDIT_RETENTION', `must be a duration like 90d, 12h or 30m (got "${auditRetentionText}")`);

  const config: Config = {
    slack: { botToken, signingSecret, appToken, apiUrl },
    port: r.int('PORT', 3000, 0, 65535),
    bk: {
      apiBaseUrl,
      appCode,
      appSecret,
      actor,
      jobWebUrl: r.url('BK_JOB_WEB_URL', false),
      timeoutMs: r.int('BK_TIMEOUT_MS', 10_000, 100, 600_000),
      apiVersion: r.oneOf('BK_JOB_API_VERSION', ['v2', 'v3', 'v4'] as const, 'v2'),
      v3Transport: r.oneOf('BK_V3_TRANSPORT', ['esb', 'gateway', 'gateway-system'] as const, 'esb'),
      // v2 responses are read as they arrive and cost about their summary in memory, not their
      // size, so this only stops a runaway answer. (v3 answers are read as text, but carry no logs.)
      maxResponseBytes: r.int('BK_MAX_RESPONSE_MB', 4096, 1, 65_536) * 1024 * 1024,
      timezoneOffsetMinutes: offset ?? 480,
      diagnosisBudgetMs: r.int('BK_DIAGNOSIS_BUDGET_MS', 1500, 0, 10_000),
      peopleConcurrency: r.int('BK_PEOPLE_CONCURRENCY', 8, 1, 256),
      peopleQueue: r.int('BK_PEOPLE_QUEUE', 40, 0, 1000),
    },
    identity,
    policy,
    databaseUrl,
    replicaId: readReplicaId(r),
    watch: {
      pollCron,
      pollConcurrency: r.int('POLL_CONCURRENCY', 8, 1, 256),
      maxPerChannel: r.int('WATCH_MAX_PER_CHANNEL', 50, 1, 10_000),
      maxAgeMs: maxAgeMs ?? 7 * 86_400_000,
      maxErrors: r.int('WATCH_MAX_ERRORS', 10, 1, 1000),
      resumeWindowMs: resumeWindowMs ?? 86_400_000,
    },
    subscriptions: {
      maxPerChannel: r.int('SUBSCRIPTION_MAX_PER_CHANNEL', 20, 1, 10_000),
      repeatBroadcast: r.int('SUBSCRIPTION_REPEAT_BROADCAST', 5, 0, 1000),
      scanOverlapMs: scanOverlapMs ?? 300_000,
    },
    audit: { retentionMs: auditRetentionMs ?? 90 * 86_400_000 },
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    lang: r.oneOf('BOT_LANG', ['en', 'zh-CN'] as const, 'en'),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** BK_USER_* settings: each is checked only in the mode that uses it, and named when wrong. */
function readIdentity(r: Reader): Config['identity'] {
  const mode = r.oneOf('BK_USER_MAPPING', USER_MAPPING_MODES, 'fixed');
  let emailPattern: RegExp | null = null;
  const patternText = r.raw('BK_USER_EMAIL_PATTERN');
  if (patternText !== undefined) {
    try {
      emailPattern = new RegExp(patternText, 'i');
      // One capture group exactly: the username is "the" group, never a guess among several.
      const groups = new RegExp(`${patternText}|`).exec('')!.length - 1;
      if (groups !== 1) {
        r.fail('BK_USER_EMAIL_PATTERN', `must have exactly one capture group (got ${groups})`);
        emailPattern = null;
      }
    } catch {
      r.fail('BK_USER_EMAIL_PATTERN', `is not a valid regular expression (got "${patternText}")`);
    }
  }
  const userApi = r.oneOf('BK_USER_API', ['v2', 'v3'] as const, 'v2');
  const v3 = mode === 'bkuser' && userApi === 'v3';
  const userApiUrl = r.url('BK_USER_API_URL', v3);
  const tenantId = v3 ? r.required('BK_TENANT_ID') : (r.raw('BK_TENANT_ID') ?? null);
  const mapFile = mode === 'file' ? r.required('BK_USER_MAP_FILE') : (r.raw('BK_USER_MAP_FILE') ?? null);
  const ttlText = r.raw('BK_USER_CACHE_TTL') ?? '1h';
  const cacheTtlMs = parseDuration(ttlText);
  if (cacheTtlMs === null || cacheTtlMs <= 0) r.fail('BK_USER_CACHE_TTL', `must be a duration like 1h, 30m or 90s (got "${ttlText}")`);
  return { mode, emailPattern, userApi, userApiUrl, tenantId: tenantId || null, mapFile: mapFile || null, cacheTtlMs: cacheTtlMs ?? 3_600_000 };
}

/** CHANNEL_POLICY_FILE, read now: a missing or bad file is a start-up problem naming the entry. */
function readPolicy(r: Reader): ChannelPolicy {
  const file = r.raw('CHANNEL_POLICY_FILE');
  if (file === undefined) return ALLOW_ALL;
  try {
    return readChannelPolicyFile(file);
  } catch (err) {
    r.problems.push(`CHANNEL_POLICY_FILE: ${err instanceof ChannelPolicyError ? err.message : String(err)}`);
    return ALLOW_ALL;
  }
}

function readReplicaId(r: Reader): string | null {
  const id = r.raw('REPLICA_ID');
  if (id === undefined) return null;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(id)) r.fail('REPLICA_ID', `must be letters, digits, dot, dash or underscore, at most 100 (got "${id.slice(0, 40)}")`);
  return id;
}

/** The secrets a redactor must scrub from anything the bot logs or says. */
export function secretsOf(config: Config): string[] {
  const secrets = [config.slack.botToken, config.slack.signingSecret, config.bk.appSecret];
  if (config.slack.appToken) secrets.push(config.slack.appToken);
  if (config.bk.actor?.kind === 'token') secrets.push(config.bk.actor.token);
  if (/^postgres(ql)?:/.test(config.databaseUrl)) {
    try {
      const password = new URL(config.databaseUrl).password;
      if (password) secrets.push(decodeURIComponent(password));
    } catch {
      // An unparsable URL fails later with its own message.
    }
  }
  return secrets;
}
