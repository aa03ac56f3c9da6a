/**
 * Composition root: builds every part from the Config and wires them together. The only file
 * that knows all the concrete classes; tests use it to start the real bot against local fakes.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { App } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import { createTask, type ScheduledTask } from 'node-cron';
import type { BkActor } from './bkjob/model';
import { type JobLogSource, V2JobLogSource } from './bkjob/source';
import { BkTransport } from './bkjob/transport';
import { V3JobLogSource } from './bkjob/v3';
import { type Config, secretsOf } from './config';
import { JobService } from './jobService';
import { type AppLogger, boltLogger, createLogger } from './logger';
import { Metrics } from './metrics';
import { createRedactor } from './redact';
import type { ListenerDeps } from './slack/context';
import { registerListeners } from './slack/listeners';
import { registerRequestLog } from './slack/requestLog';
import { SlackWatchNotifier } from './slack/watchNotifier';
import { WatchCommands } from './slack/watchCommands';
import { openWatchStore } from './store';
import type { WatchStore } from './watch/ports';
import { type PollReport, WatchPoller } from './watch/poller';
import { WatchService } from './watch/service';

export interface BotOverrides {
  /** Clock for watches (tests move time forward). */
  readonly now?: () => number;
  readonly store?: WatchStore;
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
}

export interface Bot {
  readonly app: App;
  readonly store: WatchStore;
  readonly poller: WatchPoller;
  readonly logger: AppLogger;
  /** Starts serving (HTTP on config.port, or Socket Mode) and the poll schedule; resolves to the HTTP server in HTTP mode. */
  start(): Promise<Server | undefined>;
  /** One poll cycle now (skipped, returning null, while another is running). */
  pollNow(): Promise<PollReport | null>;
  /** Stops the schedule, waits for an in-flight poll (bounded), stops serving and closes the store. */
  stop(timeoutMs?: number): Promise<void>;
}

export function createJobSource(config: Config, onCall?: (api: string, outcome: string, seconds: number) => void, logger?: AppLogger): JobLogSource {
  const v3Gateway = config.bk.apiVersion !== 'v2' && config.bk.v3Transport === 'gateway';
  const transport = new BkTransport({
    baseUrl: config.bk.apiBaseUrl,
    credentials: { appCode: config.bk.appCode, appSecret: config.bk.appSecret },
    timeoutMs: config.bk.timeoutMs,
    maxResponseBytes: config.bk.maxResponseBytes,
    auth: v3Gateway ? 'gateway' : 'esb',
    language: config.lang === 'zh-CN' ? 'zh-cn' : 'en',
    ...(onCall ? { onCall } : {}),
  });
  // v4 answers status questions (containers included); host logs stay on v3's ip_log, which v4 has no twin of here.
  return config.bk.apiVersion !== 'v2'
    ? new V3JobLogSource(transport, { via: config.bk.v3Transport, statusApi: config.bk.apiVersion, ...(logger ? { logger } : {}) })
    : new V2JobLogSource(transport, { defaultOffsetMinutes: config.bk.timezoneOffsetMinutes });
}

const SLACK_CALL_TIMEOUT_MS = 15_000;

/**
 * A lease must outlast one watch's poll: a BlueKing call (v3 host logs make two), the status
 * update and a few replies, each possibly retried. Else another replica could poll it too.
 */
export function leaseFor(config: Config): number {
  return Math.max(5 * 60_000, 4 * config.bk.timeoutMs + 8 * SLACK_CALL_TIMEOUT_MS);
}

export async function createBot(config: Config, overrides: BotOverrides = {}): Promise<Bot> {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, redact: createRedactor(secretsOf(config)) });
  // A dropped idle PostgreSQL connection is replaced by the pool; it is worth a log line, not a crash.
  const store = overrides.store ?? (await openWatchStore(config.databaseUrl, { onIdleClientError: (err) => logger.warn({ err }, 'database connection lost while idle') }));
  const metrics = new Metrics({ defaultMetrics: overrides.defaultMetrics ?? true, activeWatches: () => store.countActive() });
  const jobs = new JobService(createJobSource(config, (api, outcome, seconds) => metrics.bkRequest(api, outcome, seconds), logger), now);
  // Per-user BlueKing identity is not there yet: everyone acts as the configured user.
  const actorFor = (_slackUserId: string): BkActor => config.bk.actor;

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
  const app = new App({
    token: config.slack.botToken,
    signingSecret: config.slack.signingSecret,
    ...(config.slack.appToken ? { socketMode: true, appToken: config.slack.appToken, installerOptions: { port: config.port } } : {}),
    customRoutes: [healthz, metricsRoute],
    clientOptions,
    logger: boltLogger(logger),
  });
  app.error((error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
    return Promise.resolve();
  });

  const listenerDeps: ListenerDeps = { jobs, actorFor, lang: config.lang, offsetMinutes: config.bk.timezoneOffsetMinutes, jobWebUrl: config.bk.jobWebUrl, logger, now };
  const notifier = new SlackWatchNotifier(app.client, listenerDeps, now, (method, code) => metrics.slackError(method, code));
  const watchService = new WatchService(store, jobs, notifier, now, { maxPerChannel: config.watch.maxPerChannel, maxAgeMs: config.watch.maxAgeMs, lang: config.lang, resumeWindowMs: config.watch.resumeWindowMs });
  const watches = new WatchCommands(watchService, listenerDeps);
  registerRequestLog(app, logger);
  registerListeners(app, { ...listenerDeps, watches, watchService });

  const poller = new WatchPoller(
    { store, jobs, notifier, actorFor, now, logger: logger.child({ component: 'poller' }), metrics },
    {
      owner: overrides.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      concurrency: config.watch.pollConcurrency,
      maxErrors: config.watch.maxErrors,
      lang: config.lang,
      resumeWindowMs: config.watch.resumeWindowMs,
      batchSize: overrides.pollBatchSize,
      leaseMs: leaseFor(config),
    },
  );

  // The one overlap guard: a cycle still running when the schedule fires again is not doubled.
  let inFlight: Promise<PollReport> | null = null;
  const pollNow = async (): Promise<PollReport | null> => {
    if (inFlight) return null;
    inFlight = poller.pollOnce().finally(() => {
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
