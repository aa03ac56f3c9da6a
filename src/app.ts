/**
 * Composition root: builds every part from the Config and wires them together. The only file
 * that knows all the concrete classes; tests use it to start the real bot against local fakes.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { App, HTTPReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import axios, { type AxiosInstance } from 'axios';
import { createTask, type ScheduledTask } from 'node-cron';
import { type ActorResolution, actorOfStored } from './bkjob/identity';
import { type JobCatalog, V3JobCatalog } from './bkjob/catalog';
import { type JobOperator, V3JobOperator } from './bkjob/operate';
import { type JobLogSource, V2JobLogSource } from './bkjob/source';
import { type BkCallQueue, BkTransport } from './bkjob/transport';
import { V3JobLogSource } from './bkjob/v3';
import { type ActorResolver, UserMapFileError, createActorResolver } from './bkuser';
import { type Config, ConfigError, secretsOf } from './config';
import { AuditLog } from './audit/auditLog';
import { pruneAuditOnce } from './audit/pruner';
import { OPERATION_CLAIM_RETENTION_MS } from './operate/types';
import { JobService, type JobServiceOptions, newSummaryCache } from './jobService';
import { type AppLogger, boltLogger, createLogger } from './logger';
import { Metrics } from './metrics';
import { createRedactor } from './redact';
import type { ListenerDeps } from './slack/context';
import { registerListeners } from './slack/listeners';
import { registerRequestLog } from './slack/requestLog';
import { guardSlackRequests } from './slack/requestHygiene';
import { slackEmailLookup } from './slack/userEmail';
import { SlackWatchNotifier } from './slack/watchNotifier';
import { OperationCommands } from './slack/operationCommands';
import { SubscriptionCommands } from './slack/subscriptionCommands';
import { WatchCommands } from './slack/watchCommands';
import { type BotStore, openWatchStore } from './store';
import { pickErrorLine } from './summary/errorLine';
import { utcOffsetZone } from './util/duration';
import { WorkQueue } from './util/workQueue';
import type { StorageCheck } from './util/requestGuard';
import { type PollReport, WatchPoller } from './watch/poller';
import { WatchService } from './watch/service';
import { SubscriptionRuns } from './watch/subscriptionRuns';
import { SubscriptionScanner } from './watch/subscriptionScanner';
import { SubscriptionService } from './watch/subscriptionService';
import type { Subscription } from './watch/subscriptionTypes';
import type { Watch } from './watch/types';

export interface BotOverrides {
  /** Clock for watches (tests move time forward). */
  readonly now?: () => number;
  readonly store?: BotStore;
  readonly logger?: AppLogger;
  /** Lease owner name of this replica. */
  readonly owner?: string;
  /** Web API retries: tests use 0; production keeps a bounded retry. */
  readonly slackRetries?: number;
  /** Start the node-cron poll schedule on start() (tests call pollOnce() themselves). */
  readonly schedulePolling?: boolean;
  /** Watches claimed per database round trip (small values make replicas interleave in tests). */
  readonly pollBatchSize?: number;
  /** Node process metrics in /metrics (tests running many bots turn them off). */
  readonly defaultMetrics?: boolean;
  /** Seconds between real /readyz checks (answers in between are cached); default 10. */
  readonly readinessIntervalSeconds?: number;
}

export interface Bot {
  readonly app: App;
  readonly store: BotStore;
  readonly poller: WatchPoller;
  readonly logger: AppLogger;
  /** Starts serving (HTTP on config.port, or Socket Mode) and the poll schedule; resolves to the HTTP server in HTTP mode. */
  start(): Promise<Server | undefined>;
  /** One poll cycle now (skipped, returning null, while another is running). */
  pollNow(): Promise<PollReport | null>;
  /** Stops the schedule, waits for an in-flight poll (bounded), stops serving and closes the store. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * One of the bot's two ways to BlueKing (issue 17): people's requests wait for the people's budget
 * (`queue`: BK_PEOPLE_CONCURRENCY, BK_PEOPLE_QUEUE), polling goes without one (POLL_CONCURRENCY
 * workers bound it); each lane has its own keep-alive sockets (`http`), so neither waits for the other's.
 */
export interface BkLane {
  readonly queue?: BkCallQueue;
  readonly http?: AxiosInstance;
}

/** An axios instance with keep-alive sockets of its own: one per lane. */
function laneHttp(): AxiosInstance {
  return axios.create({ httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) });
}

export function createJobSource(config: Config, onCall?: (api: string, outcome: string, seconds: number) => void, logger?: AppLogger, lane: BkLane = {}): JobLogSource {
  const transport = createBkTransport(config, onCall, lane);
  // v4 answers status questions (containers included); host logs stay on v3's ip_log, which v4 has no twin of here.
  return config.bk.apiVersion !== 'v2'
    ? new V3JobLogSource(transport, { via: config.bk.v3Transport, statusApi: config.bk.apiVersion, ...(logger ? { logger } : {}) })
    : // Each failing host keeps only its error line while the v2 response streams past, not its 8 KiB tail.
      new V2JobLogSource(transport, { defaultOffsetMinutes: config.bk.timezoneOffsetMinutes, reduceLogTail: pickErrorLine });
}

/** JOB's crons, plans and run list (v3): null when the bot speaks v2, whose JOB may have no such API. */
export function createJobCatalog(config: Config, onCall?: (api: string, outcome: string, seconds: number) => void, lane: BkLane = {}): JobCatalog | null {
  return config.bk.apiVersion === 'v2' ? null : new V3JobCatalog(createBkTransport(config, onCall, lane), { via: config.bk.v3Transport });
}

/** Step and job operations (v3 `operate_*`): null when the bot speaks v2, whose JOB may have none. */
export function createJobOperator(config: Config, onCall?: (api: string, outcome: string, seconds: number) => void, lane: BkLane = {}): JobOperator | null {
  return config.bk.apiVersion === 'v2' ? null : new V3JobOperator(createBkTransport(config, onCall, lane), { via: config.bk.v3Transport });
}

function createBkTransport(config: Config, onCall?: (api: string, outcome: string, seconds: number) => void, lane: BkLane = {}): BkTransport {
  return new BkTransport({
    baseUrl: config.bk.apiBaseUrl,
    credentials: { appCode: config.bk.appCode, appSecret: config.bk.appSecret },
    timeoutMs: config.bk.timeoutMs,
    maxResponseBytes: config.bk.maxResponseBytes,
    // v2 exists only on the ESB; v3/v4 go the configured way.
    auth: config.bk.apiVersion !== 'v2' ? config.bk.v3Transport : 'esb',
    language: config.lang === 'zh-CN' ? 'zh-cn' : 'en',
    ...(onCall ? { onCall } : {}),
    ...(lane.queue ? { queue: lane.queue } : {}),
    ...(lane.http ? { http: lane.http } : {}),
  });
}

const SLACK_CALL_TIMEOUT_MS = 15_000;
/** A watch message's post: past this it counts as "maybe posted" (looked for before posting again). */
const DELIVERY_CALL_TIMEOUT_MS = 10_000;

/** BlueKing call outcomes (see BkTransport's onCall) that mean it could not be reached at all. */
const UNREACHABLE_OUTCOMES = new Set(['network', 'timeout']);

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, in words safe to show anyone (no URLs, no secrets). */
  readonly problems: readonly string[];
}

export interface ReadinessDeps {
  readonly store: BotStore;
  readonly now: () => number;
  readonly logger: AppLogger;
  /** The outcome of the last BlueKing call, or undefined before the first. */
  readonly lastBkOutcome: () => string | undefined;
  readonly intervalMs: number;
}

function hasStorageCheck(store: BotStore): store is BotStore & StorageCheck {
  return typeof (store as Partial<StorageCheck>).storageProblem === 'function';
}

/**
 * Readiness, for /readyz: a write round trip to the store (a throwaway row in the replay table,
 * pruned like the others) and BlueKing's reachability as the last call found it. The store is
 * checked at most once per `intervalMs`, later calls get the cached answer, so a probe storm
 * cannot load the database. Problems are logged once per real check.
 */
export function createReadinessCheck(deps: ReadinessDeps): () => Promise<Readiness> {
  let cached: { at: number; problems: readonly string[] } | null = null;
  let running: Promise<readonly string[]> | null = null;
  const checkStore = async (): Promise<readonly string[]> => {
    const problems: string[] = [];
    const fileProblem = hasStorageCheck(deps.store) ? deps.store.storageProblem() : null;
    if (fileProblem !== null) {
      problems.push(fileProblem);
      deps.logger.error({ problem: fileProblem }, 'database file problem: later writes would be lost; restart the bot');
    }
    try {
      await deps.store.seenSignature(`readyz:${randomUUID()}`, deps.now(), 60_000);
    } catch (err) {
      problems.push('the database did not answer a write');
      deps.logger.error({ err }, 'readiness: database write failed');
    }
    return problems;
  };
  return async () => {
    const at = deps.now();
    if (cached === null || at - cached.at >= deps.intervalMs) {
      running ??= checkStore().finally(() => {
        running = null;
      });
      cached = { at, problems: await running };
    }
    const problems = [...cached.problems];
    const outcome = deps.lastBkOutcome();
    if (outcome !== undefined && UNREACHABLE_OUTCOMES.has(outcome)) problems.push(`BlueKing JOB could not be reached on the last call (${outcome})`);
    return { ready: problems.length === 0, problems };
  };
}

/**
 * A lease must outlast one watch's poll: a BlueKing call (v3 host logs make two), the status
 * update and a few replies, each possibly retried. Else another replica could poll it too.
 */
export function leaseFor(config: Config): number {
  return Math.max(5 * 60_000, 4 * config.bk.timeoutMs + 8 * SLACK_CALL_TIMEOUT_MS);
}

type CustomRoutes = NonNullable<ConstructorParameters<typeof HTTPReceiver>[0]['customRoutes']>;

/** HTTP mode: our own receiver, so its request listener can be wrapped by the replay and shape gate. */
function guardedReceiver(signingSecret: string, customRoutes: CustomRoutes, deps: { guard: BotStore; now: () => number; logger: AppLogger }): HTTPReceiver {
  const receiver = new HTTPReceiver({ signingSecret, customRoutes, logger: boltLogger(deps.logger) });
  receiver.requestListener = guardSlackRequests(receiver.requestListener, { signingSecret, ...deps });
  return receiver;
}

export async function createBot(config: Config, overrides: BotOverrides = {}): Promise<Bot> {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, redact: createRedactor(secretsOf(config)) });
  // A dropped idle PostgreSQL connection is replaced by the pool; it is worth a log line, not a crash.
  // Before the store opens: a bad BK_USER_MAP_FILE stops the start, naming the entry.
  let resolver: ActorResolver;
  try {
    resolver = createActorResolver(config.identity, {
      fixedActor: config.bk.actor,
      esbBaseUrl: config.bk.apiBaseUrl,
      appCode: config.bk.appCode,
      appSecret: config.bk.appSecret,
      timeoutMs: config.bk.timeoutMs,
      // `app` is built below; the look-up only runs once requests arrive.
      emailOf: (slackUserId) => slackEmailLookup(app.client)(slackUserId),
      logger,
      now,
    });
  } catch (err) {
    if (err instanceof UserMapFileError) throw new ConfigError([`BK_USER_MAP_FILE ${err.message}`]);
    throw err;
  }
  if (config.identity.mode === 'fixed') logger.warn('BK_USER_MAPPING=fixed: every Slack user acts as the one configured BlueKing user (BK_USERNAME/BK_TOKEN) and sees what it may see');
  const store = overrides.store ?? (await openWatchStore(config.databaseUrl, { onIdleClientError: (err) => logger.warn({ err }, 'database connection lost while idle') }));
  const metrics = new Metrics({ defaultMetrics: overrides.defaultMetrics ?? true, activeWatches: () => store.countActive() });
  let lastBkOutcome: string | undefined;
  const onBkCall = (api: string, outcome: string, seconds: number): void => {
    lastBkOutcome = outcome;
    metrics.bkRequest(api, outcome, seconds);
  };
  // Two lanes to BlueKing: people's requests (commands, buttons, menus, unfurls, /joblog watch's
  // first read) share one budget with a bounded line; the poller and the subscription scan use
  // their own parts, outside it, so a burst of commands cannot delay a ping (issue 17).
  // One person's burst may fill a quarter of the line at most, so others still get in (with
  // BK_USER_MAPPING=fixed everyone is the same BlueKing user: no shares, only the one line).
  const peopleQueue = new WorkQueue({
    limit: config.bk.peopleConcurrency,
    maxWaiting: config.bk.peopleQueue,
    maxWaitingPerOwner: config.identity.mode === 'fixed' ? config.bk.peopleQueue : Math.max(1, Math.ceil(config.bk.peopleQueue / 4)),
  });
  const peopleLane: BkLane = { queue: peopleQueue, http: laneHttp() };
  const pollingLane: BkLane = { http: laneHttp() };
  const jobServiceOptions: JobServiceOptions = {
    diagnosisBudgetMs: config.bk.diagnosisBudgetMs,
    // A group without its error line is not a problem: say why at debug only.
    onDiagnosisMiss: (ref, reason, err) => logger.debug({ jobInstanceId: ref.job.jobInstanceId, stepInstanceId: ref.stepInstanceId, reason, err }, 'error line left out'),
    // One cache for both lanes: what either read serves the other (menus, a new watch's first poll).
    cache: newSummaryCache(),
  };
  const jobs = new JobService(createJobSource(config, onBkCall, logger, peopleLane), now, jobServiceOptions);
  const pollingJobs = new JobService(createJobSource(config, onBkCall, logger, pollingLane), now, jobServiceOptions);
  // Per-user BlueKing identity is not there yet: everyone acts as the configured user.
  // A watch polls as the BlueKing user stored with it; fixed-mode and older watches as their subscriber resolves.
  const actorForWatch = (watch: Watch): Promise<ActorResolution> => (watch.bkUsername !== null ? Promise.resolve(actorOfStored(watch.bkUsername)) : resolver.resolve(watch.subscriberId));

  const clientOptions: WebClientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl.endsWith('/') ? config.slack.apiUrl : `${config.slack.apiUrl}/` } : {}),
    retryConfig: { retries: overrides.slackRetries ?? 5, factor: 2, minTimeout: 1000, maxTimeout: 30_000 },
    // Without it a hung Slack call could hold a poll (and its lease) for many minutes.
    timeout: SLACK_CALL_TIMEOUT_MS,
  };
  const healthz = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    },
  };
  // Wall-clock time here and in the gate: `now` is the watches' clock, which tests move at will.
  const readiness = createReadinessCheck({ store, now: Date.now, logger, lastBkOutcome: () => lastBkOutcome, intervalMs: (overrides.readinessIntervalSeconds ?? 10) * 1000 });
  // Readiness (take traffic?), unlike /healthz (liveness: is the process serving at all?).
  const readyz = {
    path: '/readyz',
    method: ['GET'],
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      readiness()
        .then(({ ready, problems }) => {
          res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(ready ? { status: 'ready' } : { status: 'not ready', problems }));
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'readiness check failed');
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'not ready', problems: ['the readiness check failed'] }));
        });
    },
  };
  const metricsRoute = {
    path: '/metrics',
    method: ['GET'],
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      metrics.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'could not collect metrics');
          res.writeHead(500);
          res.end();
        });
    },
  };
  const customRoutes = [healthz, readyz, metricsRoute];
  const appToken = config.slack.appToken;
  const app = new App({
    token: config.slack.botToken,
    ...(appToken
      ? { signingSecret: config.slack.signingSecret, socketMode: true, appToken, installerOptions: { port: config.port }, customRoutes }
      : { receiver: guardedReceiver(config.slack.signingSecret, customRoutes, { guard: store, now: Date.now, logger }) }),
    clientOptions,
    logger: boltLogger(logger),
  });
  app.error((error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
    return Promise.resolve();
  });

  const audit = new AuditLog(store, logger.child({ component: 'audit' }), Date.now);
  const operator = createJobOperator(config, onBkCall, peopleLane);
  const listenerDeps: ListenerDeps = {
    jobs,
    resolveActor: resolver.resolve,
    lang: config.lang,
    offsetMinutes: config.bk.timezoneOffsetMinutes,
    jobWebUrl: config.bk.jobWebUrl,
    operationsEnabled: operator !== null,
    logger,
    now,
    policy: config.policy,
    audit,
    // Read only: listeners say how many wait, and spare unfurls and menus the line.
    bkQueue: { waiting: () => peopleQueue.waiting(), saturated: () => peopleQueue.saturated(), full: (owner) => peopleQueue.full(owner) },
  };
  // The watches' own Web API client: no retries and no waiting out 429s inside a call (either
  // would hold the poll, and every other channel with it); the notifier's DeliveryGate makes the
  // rate-limited or failing channel wait and the outbox keeps its events. A call that times out is
  // "maybe posted", looked for before it is posted again (exactly once, given the history scopes).
  const deliveryClient = new WebClient(config.slack.botToken, {
    ...(clientOptions.slackApiUrl ? { slackApiUrl: clientOptions.slackApiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: DELIVERY_CALL_TIMEOUT_MS,
    logger: boltLogger(logger.child({ component: 'delivery' })),
  });
  const notifier = new SlackWatchNotifier(deliveryClient, listenerDeps, now, (method, code) => metrics.slackError(method, code), { logger: logger.child({ component: 'delivery' }) });
  // Leases name this process. With REPLICA_ID (a stable name, unique among running replicas) the same
  // replica restarted takes back at once what its previous process held; without it the name is
  // unique per process (host name, process id, random) and a dead process's leases simply expire.
  const ownerPrefix = config.replicaId === null ? null : `r:${config.replicaId}:`;
  const owner = overrides.owner ?? `${ownerPrefix ?? `h:${hostname()}:${process.pid}:`}${randomUUID().slice(0, 8)}`;
  if (ownerPrefix !== null && !overrides.owner) {
    const freed = await store.releaseLeasesOf(ownerPrefix, owner);
    if (freed > 0) logger.info({ freed, replicaId: config.replicaId }, 'took back the watches this replica held before it restarted');
  }
  const watchService = new WatchService(store, jobs, notifier, now, { maxPerChannel: config.watch.maxPerChannel, maxAgeMs: config.watch.maxAgeMs, lang: config.lang, resumeWindowMs: config.watch.resumeWindowMs, owner });
  const watches = new WatchCommands(watchService, listenerDeps);
  const catalog = createJobCatalog(config, onBkCall, peopleLane);
  const pollingCatalog = createJobCatalog(config, onBkCall, pollingLane);
  const subscriptionService = new SubscriptionService(store, catalog, now, { maxPerChannel: config.subscriptions.maxPerChannel });
  const subscriptions = new SubscriptionCommands(subscriptionService, listenerDeps);
  registerRequestLog(app, logger);
  const operations = new OperationCommands({ ...listenerDeps, operator, operationGuard: store, watches, watchService });
  registerListeners(app, { ...listenerDeps, watches, watchService, subscriptions, subscriptionService, operations });

  const runs = new SubscriptionRuns(store, notifier, { repeatBroadcast: config.subscriptions.repeatBroadcast });
  // A subscription lists and polls as its subscriber's stored BlueKing user, like a watch.
  const actorForSubscription = (sub: Subscription): Promise<ActorResolution> => (sub.bkUsername !== null ? Promise.resolve(actorOfStored(sub.bkUsername)) : resolver.resolve(sub.subscriberId));
  const scanner =
    pollingCatalog === null
      ? null
      : new SubscriptionScanner(
          { store, catalog: pollingCatalog, notifier, actorFor: actorForSubscription, now, logger: logger.child({ component: 'scanner' }), policy: config.policy },
          { overlapMs: config.subscriptions.scanOverlapMs, concurrency: config.watch.pollConcurrency, maxAgeMs: config.watch.maxAgeMs, defaultTimeZone: utcOffsetZone(config.bk.timezoneOffsetMinutes) },
        );

  const poller = new WatchPoller(
    { store, jobs: pollingJobs, notifier, actorFor: actorForWatch, now, logger: logger.child({ component: 'poller' }), metrics, runs, policy: config.policy },
    {
      owner,
      concurrency: config.watch.pollConcurrency,
      maxErrors: config.watch.maxErrors,
      lang: config.lang,
      resumeWindowMs: config.watch.resumeWindowMs,
      batchSize: overrides.pollBatchSize,
      leaseMs: leaseFor(config),
    },
  );

  // The one overlap guard: a cycle still running when the schedule fires again is not doubled.
  // A cycle first finds new subscription runs (so a run that failed already is reported in this
  // very cycle), then polls every due watch, runs included.
  let inFlight: Promise<PollReport> | null = null;
  // Audit entries past AUDIT_RETENTION and old operation claims go hourly (a delete is idempotent: every replica may do it).
  let lastAuditPrune = 0;
  const cycle = async (): Promise<PollReport> => {
    if (Date.now() - lastAuditPrune >= 60 * 60_000) {
      lastAuditPrune = Date.now();
      await pruneAuditOnce(store, Date.now, config.audit.retentionMs, logger);
      // Operation claims too: past their hold they only fill the table.
      await store.pruneOperationClaims(Date.now() - OPERATION_CLAIM_RETENTION_MS).catch((err: unknown) => logger.warn({ err }, 'operation claims prune failed'));
    }
    if (scanner) {
      const scan = await scanner.scanOnce().catch((err: unknown) => {
        logger.error({ err }, 'subscription scan failed');
        return null;
      });
      if (scan && (scan.runsFound > 0 || scan.errors > 0)) logger.debug({ ...scan }, 'subscription scan done');
    }
    const report = await poller.pollOnce();
    if (scanner) await scanner.tendAll().catch((err: unknown) => logger.error({ err }, 'subscription upkeep failed'));
    return report;
  };
  const pollNow = async (): Promise<PollReport | null> => {
    if (inFlight) return null;
    inFlight = cycle().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  let task: ScheduledTask | null = null;

  return {
    app,
    store,
    poller,
    logger,
    async start() {
      const server = config.slack.appToken ? ((await app.start()) as unknown as Server | undefined) : ((await app.start(config.port)) as Server);
      if (overrides.schedulePolling ?? true) {
        task = createTask(config.watch.pollCron, async () => {
          const report = await pollNow().catch((err: unknown) => {
            logger.error({ err }, 'poll cycle failed');
            return null;
          });
          if (report && report.claimed > 0) logger.debug({ ...report }, 'poll cycle done');
        }, { name: 'watch-poller' });
        await task.start();
      }
      logger.info({ mode: config.slack.appToken ? 'socket' : 'http', port: config.port, bkApi: config.bk.apiVersion, database: config.databaseUrl.startsWith('postgres') ? 'postgres' : 'sqlite' }, 'joblog-bot started');
      return server;
    },
    pollNow,
    async stop(timeoutMs = 15_000) {
      if (task) {
        await task.stop();
        await task.destroy();
        task = null;
      }
      if (inFlight) {
        // Let the running poll finish its posts and saves, but do not hang shutdown forever.
        await Promise.race([inFlight.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      }
      await app.stop().catch((err: unknown) => logger.warn({ err }, 'error while stopping the Slack app'));
      await store.close();
    },
  };
}
