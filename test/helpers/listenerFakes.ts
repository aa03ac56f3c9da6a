/**
 * Fakes for unit tests of the Slack listeners (src/slack/listeners/**): the deps every callback
 * takes (a fake JobService, fake WatchCommands / WatchService, a silent logger with spies), a
 * fake WebClient with only the methods the listeners use, and Bolt argument builders.
 */
import type { BlockAction, BlockElementAction, ButtonAction, Context, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import { ErrorCode, type WebAPIPlatformError, type WebClient } from '@slack/web-api';
import pino from 'pino';
import type { ActorResolution } from '../../src/bkjob/identity';
import type { BkActor, HostLog, HostLogRef, JobRef } from '../../src/bkjob/model';
import type { JobService } from '../../src/jobService';
import type { ListenerDeps } from '../../src/slack/context';
import type { WatchCommands } from '../../src/slack/watchCommands';
import type { JobCatalog } from '../../src/bkjob/catalog';
import type { AuditRecord } from '../../src/audit/auditLog';
import { ALLOW_ALL } from '../../src/policy';
import { SubscriptionCommands } from '../../src/slack/subscriptionCommands';
import type { OperationCommands } from '../../src/slack/operationCommands';
import { SubscriptionService } from '../../src/watch/subscriptionService';
import { MemoryWatchStore } from '../../dev/memoryStore';
import type { WatchService } from '../../src/watch/service';
import type { Watch } from '../../src/watch/types';
import { host } from './jobs';

/** 2024-06-11 10:30:00 UTC: after the failed fixture ended. */
export const NOW = 1_718_101_800_000;
export const USER_ID = 'U0ALICE01';
export const CHANNEL_ID = 'C0OPS0001';
export const OTHER_CHANNEL_ID = 'C0ELSEWHERE';
export const REQUEST_ID = 'req0c0de';
export const ACTOR: BkActor = { kind: 'username', username: 'admin' };
export const JOB_WEB_URL = 'https://job.example.com';

/** The fake JobService: just the methods the listeners call. */
export interface FakeJobs {
  readonly summarize: jest.MockedFunction<JobService['summarize']>;
  readonly recentSummary: jest.MockedFunction<JobService['recentSummary']>;
  readonly hostLog: jest.MockedFunction<JobService['hostLog']>;
  readonly recentRef: jest.MockedFunction<JobService['recentRef']>;
}

export interface FakeWatches {
  readonly watch: jest.MockedFunction<WatchCommands['watch']>;
  readonly unwatch: jest.MockedFunction<WatchCommands['unwatch']>;
  readonly list: jest.MockedFunction<WatchCommands['list']>;
  readonly isWatching: jest.MockedFunction<WatchCommands['isWatching']>;
}

export interface FakeWatchService {
  readonly unsubscribeById: jest.MockedFunction<WatchService['unsubscribeById']>;
  readonly listSubscriber: jest.MockedFunction<WatchService['listSubscriber']>;
  readonly watchedRef: jest.MockedFunction<WatchService['watchedRef']>;
}

export interface FakeDeps extends ListenerDeps {
  readonly watches: WatchCommands;
  readonly watchService: WatchService;
  readonly subscriptions: SubscriptionCommands;
  readonly subscriptionService: SubscriptionService;
  readonly operations: OperationCommands;
}

/** The catalog calls a test answers (jest.fn each). */
export interface FakeCatalog {
  readonly listJobInstances: jest.MockedFunction<JobCatalog['listJobInstances']>;
  readonly getCron: jest.MockedFunction<JobCatalog['getCron']>;
  readonly listCrons: jest.MockedFunction<JobCatalog['listCrons']>;
  readonly getJobPlan: jest.MockedFunction<JobCatalog['getJobPlan']>;
  readonly listJobPlans: jest.MockedFunction<JobCatalog['listJobPlans']>;
}

export interface Fakes {
  readonly deps: FakeDeps;
  readonly jobs: FakeJobs;
  readonly watches: FakeWatches;
  readonly watchService: FakeWatchService;
  /** Subscriptions are real (SubscriptionService over a memory store) with a fake JOB catalog. */
  readonly subscriptionStore: MemoryWatchStore;
  readonly catalog: FakeCatalog;
  /** Every audit record the listeners wrote. */
  readonly audit: jest.Mock<Promise<void>, [AuditRecord]>;
  /** Answers ACTOR, mapped as in fixed mode (bkUsername null), unless a test says otherwise. */
  readonly resolveActor: jest.Mock<Promise<ActorResolution>, [string]>;
  readonly warn: jest.SpyInstance;
  readonly error: jest.SpyInstance;
  readonly info: jest.SpyInstance;
}

/** Deps with every service a jest.fn (unanswered until a test says otherwise) and a silent logger whose warn/error/info are spied. */
export function fakeDeps(): Fakes {
  const jobs: FakeJobs = { summarize: jest.fn(), recentSummary: jest.fn(), hostLog: jest.fn(), recentRef: jest.fn<JobRef | null, [BkActor, number]>(() => null) };
  const watches: FakeWatches = { watch: jest.fn(), unwatch: jest.fn(), list: jest.fn(), isWatching: jest.fn() };
  const watchService: FakeWatchService = { unsubscribeById: jest.fn(), listSubscriber: jest.fn(), watchedRef: jest.fn<Promise<JobRef | null>, [string, number]>(() => Promise.resolve(null)) };
  const resolveActor = jest.fn<Promise<ActorResolution>, [string]>(() => Promise.resolve({ kind: 'mapped', actor: ACTOR, bkUsername: null }));
  const logger = pino({ level: 'silent' });
  const audit = jest.fn<Promise<void>, [AuditRecord]>(() => Promise.resolve());
  const warn = jest.spyOn(logger, 'warn');
  const error = jest.spyOn(logger, 'error');
  const info = jest.spyOn(logger, 'info');
  const deps: FakeDeps = {
    lang: 'en',
    offsetMinutes: 480,
    jobWebUrl: JOB_WEB_URL,
    now: () => NOW,
    resolveActor,
    logger,
    // The real classes have private fields, so a fake of their public methods needs the cast.
    jobs: jobs as unknown as JobService,
    watches: watches as unknown as WatchCommands,
    watchService: watchService as unknown as WatchService,
    policy: ALLOW_ALL,
    audit: { record: audit },
    subscriptions: undefined as unknown as SubscriptionCommands,
    operations: { perform: jest.fn() } as unknown as OperationCommands,
    subscriptionService: undefined as unknown as SubscriptionService,
  };
  const subscriptionStore = new MemoryWatchStore();
  void subscriptionStore.migrate();
  const catalog: FakeCatalog = { listJobInstances: jest.fn(), getCron: jest.fn(), listCrons: jest.fn(), getJobPlan: jest.fn(), listJobPlans: jest.fn() };
  const subscriptionService = new SubscriptionService(subscriptionStore, catalog, () => NOW, { maxPerChannel: 3 });
  Object.assign(deps, { subscriptionService, subscriptions: new SubscriptionCommands(subscriptionService, deps) });
  return { deps, jobs, watches, watchService, subscriptionStore, catalog, resolveActor, audit, warn, error, info };
}

/** The WebClient methods the listeners use. */
export interface FakeClient {
  readonly chat: { readonly postMessage: jest.Mock; readonly unfurl: jest.Mock };
  readonly views: { readonly publish: jest.Mock };
  readonly conversations: { readonly open: jest.Mock };
  readonly filesUploadV2: jest.Mock;
}

export const DM_CHANNEL_ID = 'D0ALICEDM';
export const POSTED_TS = '1718101800.000200';

export function fakeClient(): { fake: FakeClient; client: WebClient } {
  const fake: FakeClient = {
    chat: { postMessage: jest.fn().mockResolvedValue({ ok: true, ts: POSTED_TS }), unfurl: jest.fn().mockResolvedValue({ ok: true }) },
    views: { publish: jest.fn().mockResolvedValue({ ok: true }) },
    conversations: { open: jest.fn().mockResolvedValue({ ok: true, channel: { id: DM_CHANNEL_ID } }) },
    filesUploadV2: jest.fn().mockResolvedValue({ ok: true, files: [] }),
  };
  return { fake, client: fake as unknown as WebClient };
}

export type FakeRespond = jest.Mock<ReturnType<RespondFn>, [string | RespondArguments]>;

export function fakeRespond(): FakeRespond {
  return jest.fn<ReturnType<RespondFn>, [string | RespondArguments]>().mockResolvedValue(new Response(null));
}

export function fakeAck<R>(): jest.Mock<Promise<void>, [R?]> {
  return jest.fn<Promise<void>, [R?]>().mockResolvedValue(undefined);
}

export function context(requestId: string | undefined = REQUEST_ID): Context {
  return requestId === undefined ? { isEnterpriseInstall: false } : { isEnterpriseInstall: false, requestId };
}

/** What the WebClient throws for an `ok: false` answer. */
export function platformError(code: string): WebAPIPlatformError {
  return Object.assign(new Error(`An API error occurred: ${code}`), { code: ErrorCode.PlatformError as const, data: { ok: false as const, error: code } });
}

export function buttonAction(actionId: string, value: string | undefined, blockId = 'joblog_job_actions'): ButtonAction {
  return {
    type: 'button',
    action_id: actionId,
    block_id: blockId,
    action_ts: '1718101800.123456',
    text: { type: 'plain_text', text: 'button' },
    ...(value === undefined ? {} : { value }),
  };
}

export interface BodyOptions {
  readonly channelId?: string | null;
  readonly messageTs?: string;
  readonly threadTs?: string;
  readonly ephemeral?: boolean;
  readonly userId?: string;
}

/** A block_actions body as Slack sends it for a click on a message (or, with channelId null, on App Home). */
export function blockActionBody<A extends BlockElementAction>(action: A, options: BodyOptions = {}): BlockAction<A> {
  const channelId = options.channelId === undefined ? CHANNEL_ID : options.channelId;
  const messageTs = options.messageTs ?? '1718101700.000100';
  return {
    type: 'block_actions',
    actions: [action],
    team: { id: 'T0TEST001', domain: 'test' },
    user: { id: options.userId ?? USER_ID, username: 'alice', team_id: 'T0TEST001' },
    ...(channelId === null ? {} : { channel: { id: channelId, name: 'ops' } }),
    ...(channelId === null || options.ephemeral ? {} : { message: { type: 'message', ts: messageTs, ...(options.threadTs ? { thread_ts: options.threadTs } : {}) } }),
    token: 'verification-token',
    response_url: 'https://hooks.slack.com/actions/T0TEST001/1/abc',
    trigger_id: '1.2.3',
    api_app_id: 'A0JOBLOG1',
    container:
      channelId === null
        ? { type: 'view', view_id: 'V0HOME001' }
        : { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: options.ephemeral === true },
  };
}

/** The host 10.0.1.14 in the failed fixture's "Reload nginx" step. */
export const HOST_14_REF: HostLogRef = { job: { bizId: 3, jobInstanceId: 2001893471 }, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14' };
export const HOST_14_VALUE = '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14"}';

export function hostLogOf(ref: HostLogRef = HOST_14_REF, content = 'job_start\nnginx: [emerg] unknown directive "proxy_passs"\nnginx -t 2>&1 failed, abort reload\n'): HostLog {
  return {
    ref,
    content,
    step: { name: 'Reload nginx', status: 4, executeCount: 0 },
    host: { ...host({ ip: ref.ip, bkCloudId: ref.bkCloudId, ipStatus: 104, exitCode: 1 }), startTime: 1_718_072_109_000, endTime: 1_718_072_112_000, totalTimeMs: 3000 },
  };
}

/** A `/joblog <text>` payload as Slack sends it, from USER_ID (or `userId`) in CHANNEL_ID. */
export function slashCommand(text: string, userId = USER_ID): SlashCommand {
  return {
    token: 'verification-token',
    command: '/joblog',
    text,
    response_url: 'https://hooks.slack.com/commands/T0TEST001/1/abc',
    trigger_id: '1.2.3',
    user_id: userId,
    user_name: 'alice',
    team_id: 'T0TEST001',
    team_domain: 'test',
    channel_id: CHANNEL_ID,
    channel_name: 'ops',
    api_app_id: 'A0JOBLOG1',
  };
}

export function watchOf(id: string, ref: JobRef, overrides: Partial<Watch> = {}): Watch {
  return {
    id,
    channelId: CHANNEL_ID,
    ref,
    subscriberId: USER_ID,
    bkUsername: null,
    notifyOn: 'failure',
    status: 'active',
    statusReason: null,
    statusMessageTs: '1718101700.000100',
    snapshot: { state: 'running', steps: [], jobName: 'nightly-backup' },
    fingerprint: null,
    createdAt: NOW - 90 * 60_000,
    expiresAt: NOW + 24 * 60 * 60_000,
    lastPolledAt: null,
    lastChangedAt: NOW - 90 * 60_000,
    nextPollAt: NOW,
    consecutiveErrors: 0,
    lastError: null,
    run: null,
    threadTs: null,
    ...overrides,
  };
}

/** The order in which mocks were first called, by name (for "ack before any slow work"). */
export function callOrder(mocks: Record<string, jest.Mock | jest.SpyInstance>): string[] {
  return Object.entries(mocks)
    .filter(([, mock]) => mock.mock.invocationCallOrder.length > 0)
    .sort(([, a], [, b]) => a.mock.invocationCallOrder[0]! - b.mock.invocationCallOrder[0]!)
    .map(([name]) => name);
}
