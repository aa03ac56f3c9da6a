/**
 * Configuration: documented defaults, every missing/invalid variable named with what it is for,
 * secrets never echoed back in error messages, and the secrets list the redactor is built from.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type Config, type Env, loadConfig, parseDuration, parseOffset, secretsOf } from '../src/config';
import { ALLOW_ALL } from '../src/policy';

const BOT_TOKEN = 'xoxb-1111-2222-BotTokenValue';
const SIGNING_SECRET = 'signing-secret-0123456789abcdef';
const APP_SECRET = 'bk-app-secret-ZYXW-9876';

/** The smallest env that starts the bot (HTTP mode, acting as a BlueKing user). */
const MINIMAL: Env = {
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  BK_API_BASE_URL: 'https://paas.example.com',
  BK_APP_CODE: 'joblog',
  BK_APP_SECRET: APP_SECRET,
  BK_USERNAME: 'admin',
};

function env(overrides: Record<string, string | undefined>): Env {
  return { ...MINIMAL, ...overrides };
}

/** Runs loadConfig expecting a ConfigError; returns it (fails the test otherwise). */
function configError(e: Env): ConfigError {
  let caught: unknown;
  try {
    loadConfig(e);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

function messageFor(problems: readonly string[]): string {
  return `joblog-bot cannot start; fix these settings (see .env.example and README):\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

describe('loadConfig: defaults', () => {
  it('gives the documented defaults for a minimal valid env', () => {
    const expected: Config = {
      slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: null, apiUrl: null },
      port: 3000,
      bk: {
        apiBaseUrl: 'https://paas.example.com',
        appCode: 'joblog',
        appSecret: APP_SECRET,
        actor: { kind: 'username', username: 'admin' },
        jobWebUrl: null,
        timeoutMs: 10_000,
        apiVersion: 'v2',
        v3Transport: 'esb',
        maxResponseBytes: 4096 * 1024 * 1024,
        timezoneOffsetMinutes: 480,
        diagnosisBudgetMs: 1500,
        peopleConcurrency: 8,
        peopleQueue: 40,
      },
      identity: { mode: 'fixed', emailPattern: null, userApi: 'v2', userApiUrl: null, tenantId: null, mapFile: null, cacheTtlMs: 3_600_000 },
      policy: ALLOW_ALL,
      databaseUrl: 'sqlite:./data/joblog.db',
      replicaId: null,
      watch: {
        pollCron: '*/30 * * * * *',
        pollConcurrency: 8,
        maxPerChannel: 50,
        maxAgeMs: 7 * 24 * 60 * 60 * 1000,
        maxErrors: 10,
        resumeWindowMs: 24 * 60 * 60 * 1000,
      },
      subscriptions: { maxPerChannel: 20, repeatBroadcast: 5, scanOverlapMs: 300_000 },
      audit: { retentionMs: 90 * 24 * 60 * 60 * 1000 },
      logLevel: 'info',
      lang: 'en',
    };
    expect(loadConfig(MINIMAL)).toEqual(expected);
    expect(loadConfig(MINIMAL).bk.maxResponseBytes).toBe(4_294_967_296);
    expect(loadConfig(MINIMAL).watch.maxAgeMs).toBe(604_800_000);
  });

  it('treats empty and whitespace-only values as unset and trims values', () => {
    const config = loadConfig(env({ PORT: '', BK_TIMEOUT_MS: '   ', BK_USERNAME: '  admin  ', BK_APP_CODE: ' joblog\t' }));
    expect(config.port).toBe(3000);
    expect(config.bk.timeoutMs).toBe(10_000);
    expect(config.bk.actor).toEqual({ kind: 'username', username: 'admin' });
    expect(config.bk.appCode).toBe('joblog');
  });

  it('reads every optional variable when set', () => {
    const config = loadConfig(
      env({
        SLACK_APP_TOKEN: 'xapp-1-A111-222-appTokenValue',
        SLACK_API_URL: 'http://localhost:9999/api/',
        PORT: '8080',
        BK_JOB_WEB_URL: 'https://job.example.com',
        BK_TIMEOUT_MS: '2500',
        BK_JOB_API_VERSION: 'v3',
        BK_V3_TRANSPORT: 'gateway',
        BK_MAX_RESPONSE_MB: '50',
        BK_TIMEZONE_OFFSET: '-05:30',
        DATABASE_URL: 'postgres://joblog:pw@db:5432/joblog',
        POLL_CRON: '*/10 * * * * *',
        POLL_CONCURRENCY: '4',
        BK_PEOPLE_CONCURRENCY: '16',
        BK_PEOPLE_QUEUE: '0',
        WATCH_MAX_PER_CHANNEL: '5',
        WATCH_MAX_AGE: '12h',
        WATCH_MAX_ERRORS: '3',
        WATCH_RESUME_WINDOW: '90m',
        AUDIT_RETENTION: '30d',
        LOG_LEVEL: 'debug',
        BOT_LANG: 'zh-CN',
      }),
    );
    expect(config).toEqual({
      slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: 'xapp-1-A111-222-appTokenValue', apiUrl: 'http://localhost:9999/api/' },
      port: 8080,
      bk: {
        apiBaseUrl: 'https://paas.example.com',
        appCode: 'joblog',
        appSecret: APP_SECRET,
        actor: { kind: 'username', username: 'admin' },
        jobWebUrl: 'https://job.example.com',
        timeoutMs: 2500,
        apiVersion: 'v3',
        v3Transport: 'gateway',
        maxResponseBytes: 50 * 1024 * 1024,
        timezoneOffsetMinutes: -330,
        diagnosisBudgetMs: 1500,
        peopleConcurrency: 16,
        peopleQueue: 0,
      },
      identity: { mode: 'fixed', emailPattern: null, userApi: 'v2', userApiUrl: null, tenantId: null, mapFile: null, cacheTtlMs: 3_600_000 },
      policy: ALLOW_ALL,
      databaseUrl: 'postgres://joblog:pw@db:5432/joblog',
      replicaId: null,
      watch: { pollCron: '*/10 * * * * *', pollConcurrency: 4, maxPerChannel: 5, maxAgeMs: 12 * 3_600_000, maxErrors: 3, resumeWindowMs: 90 * 60_000 },
      subscriptions: { maxPerChannel: 20, repeatBroadcast: 5, scanOverlapMs: 300_000 },
      audit: { retentionMs: 30 * 86_400_000 },
      logLevel: 'debug',
      lang: 'zh-CN',
    });
  });

  it('uses a BlueKing token actor when BK_TOKEN is set instead of BK_USERNAME', () => {
    const config = loadConfig(env({ BK_USERNAME: undefined, BK_TOKEN: 'bk-login-token-abcdef' }));
    expect(config.bk.actor).toEqual({ kind: 'token', token: 'bk-login-token-abcdef' });
  });

  it('prefers BK_USERNAME when both BK_USERNAME and BK_TOKEN are set', () => {
    expect(loadConfig(env({ BK_TOKEN: 'bk-login-token-abcdef' })).bk.actor).toEqual({ kind: 'username', username: 'admin' });
  });

  it('accepts postgresql:// as well as postgres:// database URLs', () => {
    expect(loadConfig(env({ DATABASE_URL: 'postgresql://u:p@h/db' })).databaseUrl).toBe('postgresql://u:p@h/db');
  });

  it('accepts Z as a timezone offset and the edges of the port range', () => {
    expect(loadConfig(env({ BK_TIMEZONE_OFFSET: 'Z' })).bk.timezoneOffsetMinutes).toBe(0);
    expect(loadConfig(env({ PORT: '0' })).port).toBe(0);
    expect(loadConfig(env({ PORT: '65535' })).port).toBe(65535);
  });
});

describe('loadConfig: missing variables', () => {
  const ALL_MISSING = [
    'SLACK_BOT_TOKEN is not set: the bot token (xoxb-…) from your Slack app\'s "OAuth & Permissions" page',
    'SLACK_SIGNING_SECRET is not set: the signing secret from your Slack app\'s "Basic Information" page',
    'BK_API_BASE_URL is not set: BlueKing ESB/API base URL, e.g. https://paas.example.com',
    'BK_APP_CODE is not set: the BlueKing app code (bk_app_code) the bot calls JOB as',
    'BK_APP_SECRET is not set: the BlueKing app secret (bk_app_secret)',
    'BK_USERNAME is not set: the BlueKing user the bot acts as (bk_username; the app must be whitelisted) (or set BK_TOKEN), needed with BK_USER_MAPPING=fixed',
  ];

  it('names every missing required variable at once, and explains each', () => {
    const error = configError({});
    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(Error);
    expect(error.problems).toEqual(ALL_MISSING);
    expect(error.message).toBe(messageFor(ALL_MISSING));
  });

  it('lists each missing variable as its own bullet line', () => {
    const lines = configError({}).message.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('joblog-bot cannot start; fix these settings (see .env.example and README):');
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'BK_API_BASE_URL', 'BK_APP_CODE', 'BK_APP_SECRET', 'BK_USERNAME']) {
      expect(lines.filter((l) => l.startsWith(`  - ${name} is not set: `))).toHaveLength(1);
    }
  });

  it.each(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'BK_API_BASE_URL', 'BK_APP_CODE', 'BK_APP_SECRET'])('reports %s alone when only it is missing', (name) => {
    const expected = ALL_MISSING.find((p) => p.startsWith(`${name} `))!;
    expect(configError(env({ [name]: undefined })).problems).toEqual([expected]);
  });

  it('reports BK_USERNAME (mentioning BK_TOKEN) when neither actor variable is set', () => {
    expect(configError(env({ BK_USERNAME: '  ' })).problems).toEqual([ALL_MISSING[5]]);
  });

  it('needs no BK_USERNAME when each person acts as their own BlueKing user', () => {
    const config = loadConfig(env({ BK_USERNAME: undefined, BK_USER_MAPPING: 'email' }));
    expect(config.bk.actor).toBeNull();
    expect(config.identity.mode).toBe('email');
  });

  it('does not need SLACK_SIGNING_SECRET in Socket Mode (SLACK_APP_TOKEN set)', () => {
    const config = loadConfig(env({ SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-A111-222-appTokenValue' }));
    expect(config.slack).toEqual({ botToken: BOT_TOKEN, signingSecret: '', appToken: 'xapp-1-A111-222-appTokenValue', apiUrl: null });
  });

  it('keeps a signing secret given in Socket Mode', () => {
    expect(loadConfig(env({ SLACK_APP_TOKEN: 'xapp-1-A111-222-appTokenValue' })).slack.signingSecret).toBe(SIGNING_SECRET);
  });
});

describe('loadConfig: invalid variables', () => {
  it.each<[string, Record<string, string | undefined>, string]>([
    ['a user token as SLACK_BOT_TOKEN', { SLACK_BOT_TOKEN: 'xoxp-1111-2222-userToken' }, 'SLACK_BOT_TOKEN must be a bot token starting with xoxb-: the bot token (xoxb-…) from your Slack app\'s "OAuth & Permissions" page'],
    ['a bot token as SLACK_APP_TOKEN', { SLACK_APP_TOKEN: 'xoxb-3333-4444-notAnAppToken' }, 'SLACK_APP_TOKEN must be an app-level token starting with xapp-: an app-level token (xapp-…) with connections:write; set it to use Socket Mode'],
    ['a non-URL BK_API_BASE_URL', { BK_API_BASE_URL: 'paas.example.com' }, 'BK_API_BASE_URL must be an http(s) URL (got "paas.example.com"): BlueKing ESB/API base URL, e.g. https://paas.example.com'],
    ['a non-http BK_API_BASE_URL', { BK_API_BASE_URL: 'ftp://paas.example.com' }, 'BK_API_BASE_URL must be an http(s) URL (got "ftp://paas.example.com"): BlueKing ESB/API base URL, e.g. https://paas.example.com'],
    ['a non-URL SLACK_API_URL', { SLACK_API_URL: 'slack' }, 'SLACK_API_URL must be an http(s) URL (got "slack"): Slack Web API base URL (default https://slack.com/api/)'],
    ['a non-URL BK_JOB_WEB_URL', { BK_JOB_WEB_URL: 'job console' }, 'BK_JOB_WEB_URL must be an http(s) URL (got "job console"): BlueKing JOB web console URL, for "Open in JOB" links'],
    ['PORT=abc', { PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535 (got "abc"): HTTP port for Slack requests and /healthz (default 3000)'],
    ['PORT=70000', { PORT: '70000' }, 'PORT must be a whole number from 0 to 65535 (got "70000"): HTTP port for Slack requests and /healthz (default 3000)'],
    ['PORT=-1', { PORT: '-1' }, 'PORT must be a whole number from 0 to 65535 (got "-1"): HTTP port for Slack requests and /healthz (default 3000)'],
    ['PORT=80.5', { PORT: '80.5' }, 'PORT must be a whole number from 0 to 65535 (got "80.5"): HTTP port for Slack requests and /healthz (default 3000)'],
    ['BK_TIMEOUT_MS=50', { BK_TIMEOUT_MS: '50' }, 'BK_TIMEOUT_MS must be a whole number from 100 to 600000 (got "50"): timeout of one BlueKing call in milliseconds (default 10000)'],
    ['BK_JOB_API_VERSION=v5', { BK_JOB_API_VERSION: 'v5' }, 'BK_JOB_API_VERSION must be one of v2, v3, v4 (got "v5"): v2 (get_job_instance_log, default), v3 (get_job_instance_status + get_job_instance_ip_log) or v4 (v4 get_job_instance_status, which also describes container jobs, + v3 get_job_instance_ip_log)'],
    ['BK_V3_TRANSPORT=apigw', { BK_V3_TRANSPORT: 'apigw' }, 'BK_V3_TRANSPORT must be one of esb, gateway, gateway-system (got "apigw"): esb (default), gateway or gateway-system (JOB\'s non-public /api/v3/system/ resources, user in X-Bk-Username): how v3 APIs are reached'],
    ['BK_MAX_RESPONSE_MB=0', { BK_MAX_RESPONSE_MB: '0' }, 'BK_MAX_RESPONSE_MB must be a whole number from 1 to 65536 (got "0"): runaway guard: largest BlueKing response read, in MB (default 4096)'],
    ['POLL_CRON=nonsense', { POLL_CRON: 'nonsense' }, 'POLL_CRON is not a valid cron expression (got "nonsense"): node-cron schedule of the watch poller, with seconds (default */30 * * * * *)'],
    ['POLL_CONCURRENCY=0', { POLL_CONCURRENCY: '0' }, 'POLL_CONCURRENCY must be a whole number from 1 to 256 (got "0"): most BlueKing calls in flight while polling (default 8)'],
    [
      'BK_PEOPLE_CONCURRENCY=0',
      { BK_PEOPLE_CONCURRENCY: '0' },
      'BK_PEOPLE_CONCURRENCY must be a whole number from 1 to 256 (got "0"): most BlueKing calls in flight for people\'s requests (commands, buttons, menus, unfurls); the poller has its own budget, POLL_CONCURRENCY (default 8)',
    ],
    ['BK_PEOPLE_QUEUE=1001', { BK_PEOPLE_QUEUE: '1001' }, 'BK_PEOPLE_QUEUE must be a whole number from 0 to 1000 (got "1001"): most people\'s BlueKing calls waiting for one of those slots; more are answered at once that BlueKing is busy (default 40; 0: none wait)'],
    ['BK_PEOPLE_QUEUE=-1', { BK_PEOPLE_QUEUE: '-1' }, 'BK_PEOPLE_QUEUE must be a whole number from 0 to 1000 (got "-1"): most people\'s BlueKing calls waiting for one of those slots; more are answered at once that BlueKing is busy (default 40; 0: none wait)'],
    ['WATCH_MAX_PER_CHANNEL=many', { WATCH_MAX_PER_CHANNEL: 'many' }, 'WATCH_MAX_PER_CHANNEL must be a whole number from 1 to 10000 (got "many"): most active watches in one channel (default 50)'],
    ['WATCH_MAX_AGE=7x', { WATCH_MAX_AGE: '7x' }, 'WATCH_MAX_AGE must be a duration like 7d, 12h or 30m (got "7x"): how long a watch lives, e.g. 7d, 12h, 30m (default 7d)'],
    ['WATCH_MAX_AGE=0d', { WATCH_MAX_AGE: '0d' }, 'WATCH_MAX_AGE must be a duration like 7d, 12h or 30m (got "0d"): how long a watch lives, e.g. 7d, 12h, 30m (default 7d)'],
    [
      'WATCH_RESUME_WINDOW=soon',
      { WATCH_RESUME_WINDOW: 'soon' },
      'WATCH_RESUME_WINDOW must be a duration like 24h or 90m, or 0 (got "soon"): how long a watch follows a failed, stopped or abnormal job for retries on the same instance, e.g. 24h; 0 ends the watch at once (default 24h)',
    ],
    ['AUDIT_RETENTION=forever', { AUDIT_RETENTION: 'forever' }, 'AUDIT_RETENTION must be a duration like 90d, 12h or 30m (got "forever"): how long audit entries (who looked up, watched, viewed or downloaded what) are kept, e.g. 90d, 12h (default 90d)'],
    ['AUDIT_RETENTION=0d', { AUDIT_RETENTION: '0d' }, 'AUDIT_RETENTION must be a duration like 90d, 12h or 30m (got "0d"): how long audit entries (who looked up, watched, viewed or downloaded what) are kept, e.g. 90d, 12h (default 90d)'],
    ['WATCH_MAX_ERRORS=1001', { WATCH_MAX_ERRORS: '1001' }, 'WATCH_MAX_ERRORS must be a whole number from 1 to 1000 (got "1001"): consecutive poll errors after which a watch pauses (default 10)'],
    ['BK_TIMEZONE_OFFSET=+25:00', { BK_TIMEZONE_OFFSET: '+25:00' }, 'BK_TIMEZONE_OFFSET must look like +08:00 (got "+25:00"): UTC offset of BlueKing times without one, e.g. +08:00 (default)'],
    ['BK_TIMEZONE_OFFSET=8', { BK_TIMEZONE_OFFSET: '8' }, 'BK_TIMEZONE_OFFSET must look like +08:00 (got "8"): UTC offset of BlueKing times without one, e.g. +08:00 (default)'],
    ['DATABASE_URL=mysql://…', { DATABASE_URL: 'mysql://joblog:dbpass@db:3306/joblog' }, 'DATABASE_URL must start with sqlite: or postgres://: sqlite:./data/joblog.db (default) or postgres://user:pass@host:5432/db'],
    ['BOT_LANG=fr', { BOT_LANG: 'fr' }, "BOT_LANG must be one of en, zh-CN (got \"fr\"): en (default) or zh-CN: language of the bot's messages"],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud"): fatal, error, warn, info (default), debug or trace'],
  ])('rejects %s with exactly one explained problem', (_label, overrides, problem) => {
    const error = configError(env(overrides));
    expect(error.problems).toEqual([problem]);
    expect(error.message).toBe(messageFor([problem]));
  });

  it('is case-sensitive for enumerated values', () => {
    expect(configError(env({ BK_JOB_API_VERSION: 'V3' })).problems).toEqual([
      'BK_JOB_API_VERSION must be one of v2, v3, v4 (got "V3"): v2 (get_job_instance_log, default), v3 (get_job_instance_status + get_job_instance_ip_log) or v4 (v4 get_job_instance_status, which also describes container jobs, + v3 get_job_instance_ip_log)',
    ]);
  });

  it('does not echo the database URL (it may hold a password) when DATABASE_URL is invalid', () => {
    expect(configError(env({ DATABASE_URL: 'mysql://joblog:dbpass@db:3306/joblog' })).message).not.toContain('dbpass');
  });

  it('collects several problems in the order the variables are read', () => {
    const error = configError(env({ SLACK_BOT_TOKEN: 'xoxp-bad', PORT: 'abc', BOT_LANG: 'fr', BK_APP_CODE: undefined }));
    expect(error.problems).toEqual([
      'SLACK_BOT_TOKEN must be a bot token starting with xoxb-: the bot token (xoxb-…) from your Slack app\'s "OAuth & Permissions" page',
      'BK_APP_CODE is not set: the BlueKing app code (bk_app_code) the bot calls JOB as',
      'PORT must be a whole number from 0 to 65535 (got "abc"): HTTP port for Slack requests and /healthz (default 3000)',
      "BOT_LANG must be one of en, zh-CN (got \"fr\"): en (default) or zh-CN: language of the bot's messages",
    ]);
  });
});

describe('loadConfig: BK_USER_MAPPING', () => {
  const problemsOf = (overrides: Record<string, string | undefined>) => configError(env(overrides)).problems.map((p) => p.slice(0, p.indexOf(':')));

  it('reads each mode with what it needs', () => {
    expect(loadConfig(env({ BK_USER_MAPPING: 'email', BK_USER_EMAIL_PATTERN: '^([^@]+)@corp\\.com$', BK_USER_CACHE_TTL: '30m' })).identity).toEqual({
      mode: 'email',
      emailPattern: /^([^@]+)@corp\.com$/i,
      userApi: 'v2',
      userApiUrl: null,
      tenantId: null,
      mapFile: null,
      cacheTtlMs: 30 * 60_000,
    });
    expect(loadConfig(env({ BK_USER_MAPPING: 'bkuser', BK_USER_API: 'v3', BK_USER_API_URL: 'https://bkapi.example.com/api/bk-user/prod', BK_TENANT_ID: 'default' })).identity).toMatchObject({
      mode: 'bkuser',
      userApi: 'v3',
      userApiUrl: 'https://bkapi.example.com/api/bk-user/prod',
      tenantId: 'default',
    });
    expect(loadConfig(env({ BK_USER_MAPPING: 'file', BK_USER_MAP_FILE: '/etc/joblog/users.yml' })).identity).toMatchObject({ mode: 'file', mapFile: '/etc/joblog/users.yml' });
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['an unknown mode', { BK_USER_MAPPING: 'ldap' }, ['BK_USER_MAPPING must be one of email, bkuser, file, fixed (got "ldap")']],
    ['file mode without a file', { BK_USER_MAPPING: 'file' }, ['BK_USER_MAP_FILE is not set']],
    ['bkuser v3 without its gateway and tenant', { BK_USER_MAPPING: 'bkuser', BK_USER_API: 'v3' }, ['BK_USER_API_URL is not set', 'BK_TENANT_ID is not set']],
    ['an unknown bk-user API', { BK_USER_MAPPING: 'bkuser', BK_USER_API: 'v4' }, ['BK_USER_API must be one of v2, v3 (got "v4")']],
    ['a broken pattern', { BK_USER_MAPPING: 'email', BK_USER_EMAIL_PATTERN: '([a-z' }, ['BK_USER_EMAIL_PATTERN is not a valid regular expression (got "([a-z")']],
    ['a pattern without a group', { BK_USER_MAPPING: 'email', BK_USER_EMAIL_PATTERN: '^[a-z]+@corp' }, ['BK_USER_EMAIL_PATTERN must have exactly one capture group (got 0)']],
    ['a pattern with two groups', { BK_USER_MAPPING: 'email', BK_USER_EMAIL_PATTERN: '^(a)(b)' }, ['BK_USER_EMAIL_PATTERN must have exactly one capture group (got 2)']],
    ['a bad TTL', { BK_USER_CACHE_TTL: 'forever' }, ['BK_USER_CACHE_TTL must be a duration like 1h, 30m or 90s (got "forever")']],
  ])('names the problem with %s', (_label, overrides, problems) => {
    expect(problemsOf(overrides)).toEqual(problems);
  });
});

describe('loadConfig: CHANNEL_POLICY_FILE', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const policyFile = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('is ALLOW_ALL when unset, and the parsed file when set', () => {
    expect(loadConfig(MINIMAL).policy).toBe(ALLOW_ALL);
    const policy = loadConfig(env({ CHANNEL_POLICY_FILE: policyFile('good.yml', 'default: deny\nchannels:\n  C0123OPS:\n    businesses: [1, "set:5"]\n    post_in_channel: false\n') })).policy;
    expect(policy.default).toBe('deny');
    expect(policy.channels.get('C0123OPS')).toEqual({ businesses: new Set(['1', 'set:5']), postInChannel: false, subscriptions: true, actions: { kind: 'everyone' } });
  });

  it('names the variable and the bad entry, among the other problems', () => {
    const file = policyFile('bad.yml', 'default: allow\nchannels:\n  C0123OPS:\n    businesses: [1, "biz 2"]\n');
    expect(configError(env({ CHANNEL_POLICY_FILE: file, PORT: 'abc' })).problems).toEqual([
      'CHANNEL_POLICY_FILE: channels.C0123OPS.businesses[1]: must be a business id or "set:<id>"',
      'PORT must be a whole number from 0 to 65535 (got "abc"): HTTP port for Slack requests and /healthz (default 3000)',
    ]);
  });

  it('names a file that cannot be read', () => {
    const file = join(dir, 'missing.yml');
    expect(configError(env({ CHANNEL_POLICY_FILE: file })).problems).toEqual([`CHANNEL_POLICY_FILE: ${file} cannot be read (ENOENT)`]);
  });
});

describe('loadConfig: secrets stay out of error messages', () => {
  const INVALID_OTHERS = {
    PORT: 'abc',
    BK_API_BASE_URL: 'not a url',
    BK_JOB_API_VERSION: 'v5',
    POLL_CRON: 'nonsense',
    WATCH_MAX_AGE: '7x',
    BK_TIMEZONE_OFFSET: '+25:00',
    DATABASE_URL: 'mysql://u:p@h/db',
    BOT_LANG: 'fr',
    LOG_LEVEL: 'loud',
  };

  it('never contains BK_APP_SECRET, SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET with a valid bot token', () => {
    const error = configError(env(INVALID_OTHERS));
    expect(error.problems).toHaveLength(9);
    for (const secret of [APP_SECRET, BOT_TOKEN, SIGNING_SECRET]) {
      expect(error.message).not.toContain(secret);
      expect(error.problems.join('\n')).not.toContain(secret);
    }
  });

  it('never contains the bot token even when the bot token itself is the invalid one', () => {
    const badBotToken = 'xoxp-9999-8888-UserTokenSecretValue';
    const badAppToken = 'xoxb-7777-6666-WrongAppTokenValue';
    const error = configError(env({ ...INVALID_OTHERS, SLACK_BOT_TOKEN: badBotToken, SLACK_APP_TOKEN: badAppToken }));
    expect(error.problems).toHaveLength(11);
    for (const secret of [badBotToken, badAppToken, APP_SECRET, SIGNING_SECRET]) expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('UserTokenSecretValue');
  });
});

describe('secretsOf', () => {
  it('lists the Slack bot token, signing secret and BlueKing app secret', () => {
    expect(secretsOf(loadConfig(MINIMAL))).toEqual([BOT_TOKEN, SIGNING_SECRET, APP_SECRET]);
  });

  it('adds the app token, the BlueKing token and the decoded postgres password', () => {
    const config = loadConfig(
      env({
        SLACK_APP_TOKEN: 'xapp-1-A111-222-appTokenValue',
        BK_USERNAME: undefined,
        BK_TOKEN: 'bk-login-token-abcdef',
        DATABASE_URL: 'postgres://joblog:p%40ss%2Fw0rd@db:5432/joblog',
      }),
    );
    expect(secretsOf(config)).toEqual([BOT_TOKEN, SIGNING_SECRET, APP_SECRET, 'xapp-1-A111-222-appTokenValue', 'bk-login-token-abcdef', 'p@ss/w0rd']);
  });

  it('includes the password of a postgresql:// URL', () => {
    expect(secretsOf(loadConfig(env({ DATABASE_URL: 'postgresql://joblog:hunter2pw@db/joblog' })))).toEqual([BOT_TOKEN, SIGNING_SECRET, APP_SECRET, 'hunter2pw']);
  });

  it('adds nothing for a postgres URL without a password or a sqlite URL', () => {
    expect(secretsOf(loadConfig(env({ DATABASE_URL: 'postgres://joblog@db:5432/joblog' })))).toEqual([BOT_TOKEN, SIGNING_SECRET, APP_SECRET]);
    expect(secretsOf(loadConfig(env({ DATABASE_URL: 'sqlite:/var/lib/joblog/pass.db' })))).toEqual([BOT_TOKEN, SIGNING_SECRET, APP_SECRET]);
  });
});

describe('parseDuration', () => {
  it.each<[string, number | null]>([
    ['7d', 7 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 30 * 60_000],
    ['90s', 90_000],
    ['0s', 0],
    [' 5 m ', 300_000],
    ['7x', null],
    ['7', null],
    ['d', null],
    ['', null],
    ['1.5h', null],
    ['-1d', null],
    ['7dd', null],
    ['1h30m', null],
  ])('%p → %p', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe('parseOffset', () => {
  it.each<[string, number | null]>([
    ['+08:00', 480],
    ['+0800', 480],
    ['-05:30', -330],
    ['-0330', -210],
    ['+05:45', 345],
    ['+14:00', 840],
    ['-12:00', -720],
    ['Z', 0],
    ['UTC', 0],
    [' +08:00 ', 480],
    ['+14:01', null],
    ['+25:00', null],
    ['-15:00', null],
    ['08:00', null],
    ['+8:00', null],
    ['+08', null],
    ['GMT+8', null],
    ['', null],
  ])('%p → %p', (text, minutes) => {
    expect(parseOffset(text)).toBe(minutes);
  });

  it.each(['+08:60', '+08:75', '-05:99'])('rejects %p, whose minutes field is 60 or more', (text) => {
    expect(parseOffset(text)).toBeNull();
  });
});
