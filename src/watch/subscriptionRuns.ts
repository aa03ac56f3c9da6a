/**
 * How a watch that follows one subscription run reports: nothing while the run goes well, then
 * one announcement per result (decided against the subscription's noise state, stored with the
 * run so a retried delivery posts the same thing), through the poller's outbox.
 */
import type { JobSummary } from '../summary/types';
import type { DeliveryMark, SubscriptionStore, WatchStore } from './ports';
import { type RunAnnouncement, announcementIsBroadcast, decideRun, resultMark, runNumberOf, runResultOf, withFailThread } from './subscriptionRules';
import type { RunResult, Subscription } from './subscriptionTypes';
import type { NewOutboxEntry, OutboxEntry, RunOf, Watch, WatchPatch, WatchSnapshot } from './types';
import { isRecord } from '../util/json';

/** What a run watch posts: an announcement, or the start line of `--on all`. */
export type RunMessage = RunAnnouncement | { readonly kind: 'started' };

export interface RunNotifier {
  /**
   * Posts a run message for the watch's subscription; `summary` is the run's latest (null when the
   * message needs none). `mark` identifies it as the delivery of one outbox entry (see
   * `DeliveryMark`). Returns its ts. Fails with the errors of `ports.ts`.
   */
  announceRun(watch: Watch & { readonly run: RunOf }, message: RunMessage, summary: JobSummary | null, mark: DeliveryMark): Promise<string>;
}

export interface SubscriptionRunsOptions {
  /** SUBSCRIPTION_REPEAT_BROADCAST: a repeated failure is broadcast every Nth time. */
  readonly repeatBroadcast: number;
}

/** Outbox payloads of run watches (the watch events of rules.ts are never enqueued for them). */
type RunEntry = { readonly type: 'run_started' } | { readonly type: 'run_result'; readonly result: RunResult; readonly runNo: number; readonly mark: string; readonly durationMs: number | null };

/** What was decided for a run's result, stored with it (`SubscriptionRun.outcome`). */
interface StoredDecision {
  /** The result's mark (see `resultMark`): a retried delivery of the same result finds it. */
  readonly mark: string;
  readonly runNo: number;
  readonly result: RunResult;
  readonly announcement: RunAnnouncement | null;
}

/** The entry is delivered on a later poll (see `RunDecision.defer`); the poller retries it like a refused post. */
export class AnnouncementDeferred extends Error {
  constructor(subscriptionId: string) {
    super(`subscription ${subscriptionId}: waiting for the first failure's message before replying under it`);
    this.name = 'AnnouncementDeferred';
  }
}

/** Optimistic-lock retries before giving up on a subscription others keep changing. */
const VERSION_ATTEMPTS = 5;

/** Whether a run message in a thread is also shown in the channel. */
export function announcementIsBroadcastMessage(message: RunMessage): boolean {
  return message.kind !== 'started' && announcementIsBroadcast(message);
}

export function isRunWatch(watch: Watch): watch is Watch & { readonly run: RunOf } {
  return watch.run !== null;
}

export class SubscriptionRuns {
  constructor(
    private readonly store: SubscriptionStore & Pick<WatchStore, 'update' | 'lastSummary'>,
    private readonly notifier: RunNotifier,
    private readonly options: SubscriptionRunsOptions,
  ) {}

  getSubscription(id: string): Promise<Subscription | null> {
    return this.store.getSubscription(id);
  }

  /**
   * The outbox entries a poll of a run watch adds: the start line (`--on all`, first poll only)
   * and one entry per new result of each run of the instance (a retry's result is a new one).
   */
  entriesFor(watch: Watch & { readonly run: RunOf }, previous: WatchSnapshot | null, summary: JobSummary): NewOutboxEntry[] {
    const entries: NewOutboxEntry[] = [];
    if (previous === null && watch.notifyOn === 'all') entries.push({ key: 'run_started', payload: { type: 'run_started' } satisfies RunEntry });
    const result = runResultOf(summary.state);
    const mark = resultMark(summary.state, summary.steps);
    if (result === null || mark === null) return entries;
    const before = previous === null ? null : resultMark(previous.state, previous.steps);
    if (before !== mark) entries.push({ key: `run_result:${mark}`, payload: { type: 'run_result', result, runNo: runNumberOf(summary), mark, durationMs: summary.durationMs } satisfies RunEntry });
    return entries;
  }

  isRunEntry(entry: OutboxEntry): boolean {
    return asRunEntry(entry.payload) !== null;
  }

  /**
   * Delivers one run entry: decides what to say (once per result; a retried delivery says the
   * same), posts it, and returns what the watch must remember (its message and thread). `ts` is
   * null when there was nothing to post (muted, a success nobody asked about, an ended subscription).
   */
  async deliver(watch: Watch & { readonly run: RunOf }, entry: OutboxEntry, now: number): Promise<{ ts: string | null; patch: WatchPatch | null }> {
    const payload = asRunEntry(entry.payload);
    if (payload === null) return { ts: null, patch: null };
    const mark: DeliveryMark = { key: entry.key, unresolvedSince: entry.attemptStartedAt };
    if (payload.type === 'run_started') {
      const sub = await this.store.getSubscription(watch.run.subscriptionId);
      if (sub === null || sub.status !== 'active' || sub.state.mutedUntil !== null && now < sub.state.mutedUntil) return { ts: null, patch: null };
      return { ts: await this.notifier.announceRun(watch, { kind: 'started' }, null, mark), patch: null };
    }
    const announcement = await this.decide(watch, payload, now);
    if (announcement === null) return { ts: null, patch: null };
    const summary = await this.store.lastSummary(watch.id);
    const ts = await this.notifier.announceRun(watch, announcement, summary, mark);
    if (announcement.kind === 'failure') await this.rememberFailThread(watch.run.subscriptionId, watch.ref.jobInstanceId, ts);
    return { ts, patch: placementOf(watch, announcement, ts) };
  }

  /** The decision for this result: the stored one when it was made before (a retried delivery), else a new one, saved with the run. */
  private async decide(watch: Watch & { readonly run: RunOf }, payload: Extract<RunEntry, { type: 'run_result' }>, now: number): Promise<RunAnnouncement | null> {
    const { subscriptionId } = watch.run;
    for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt++) {
      const [sub, run] = await Promise.all([this.store.getSubscription(subscriptionId), this.store.getRun(subscriptionId, watch.ref.jobInstanceId)]);
      if (sub === null || run === null || sub.status !== 'active') return null;
      const stored = asStoredDecision(run.outcome);
      if (stored !== null && stored.mark === payload.mark) return stored.announcement;
      const decision = decideRun(sub, { runCreatedAt: run.createdAt, jobInstanceId: run.jobInstanceId, result: payload.result }, now, this.options.repeatBroadcast);
      if (decision.defer) throw new AnnouncementDeferred(subscriptionId);
      const outcome: StoredDecision = { mark: payload.mark, runNo: payload.runNo, result: payload.result, announcement: decision.announcement };
      const saved = await this.store.recordRunResult(subscriptionId, sub.version, run.jobInstanceId, { result: payload.result, durationMs: payload.durationMs, finishedAt: now, muted: decision.muted, outcome }, { state: decision.state });
      if (saved) return decision.announcement;
    }
    throw new Error(`subscription ${subscriptionId} kept changing while a run result was recorded`);
  }

  /** Later failures of the streak reply under the first one's message. */
  private async rememberFailThread(subscriptionId: string, runId: number, ts: string): Promise<void> {
    for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt++) {
      const sub = await this.store.getSubscription(subscriptionId);
      if (sub === null) return;
      const state = withFailThread(sub.state, runId, ts);
      if (state === null) return;
      if ((await this.store.updateSubscription(subscriptionId, sub.version, { state })) !== null) return;
    }
  }
}

/**
 * Where the run's later messages go once it was announced with its summary: the summary message
 * is updated in place, and its thread is the failure thread (a reply cannot have a thread of its own).
 */
function placementOf(watch: Watch & { readonly run: RunOf }, announcement: RunAnnouncement, ts: string): WatchPatch | null {
  switch (announcement.kind) {
    case 'failure':
      return { statusMessageTs: ts, threadTs: ts, run: { ...watch.run, streak: announcement.streak } };
    case 'still_failing':
      return { statusMessageTs: ts, threadTs: announcement.threadTs, run: { ...watch.run, streak: announcement.streak } };
    case 'waiting':
      return watch.statusMessageTs === null ? { statusMessageTs: ts, threadTs: ts } : null;
    default:
      return null;
  }
}

const RESULTS: ReadonlySet<string> = new Set(['succeeded', 'failed', 'waiting']);

function asRunEntry(payload: unknown): RunEntry | null {
  if (!isRecord(payload)) return null;
  if (payload['type'] === 'run_started') return { type: 'run_started' };
  if (payload['type'] !== 'run_result') return null;
  const { result, runNo, mark, durationMs } = payload;
  if (typeof result !== 'string' || !RESULTS.has(result) || typeof runNo !== 'number' || typeof mark !== 'string') return null;
  return { type: 'run_result', result: result as RunResult, runNo, mark, durationMs: typeof durationMs === 'number' ? durationMs : null };
}

const ANNOUNCEMENT_KINDS: ReadonlySet<string> = new Set(['failure', 'still_failing', 'waiting', 'recovered', 'succeeded']);

/** A decision the bot stored itself; anything else (a damaged row) counts as none, and is decided again. */
function asStoredDecision(raw: unknown): StoredDecision | null {
  if (!isRecord(raw) || typeof raw['mark'] !== 'string' || typeof raw['runNo'] !== 'number' || typeof raw['result'] !== 'string' || !RESULTS.has(raw['result'])) return null;
  const announcement = raw['announcement'];
  if (announcement !== null && !(isRecord(announcement) && typeof announcement['kind'] === 'string' && ANNOUNCEMENT_KINDS.has(announcement['kind']))) return null;
  return { mark: raw['mark'], runNo: raw['runNo'], result: raw['result'] as RunResult, announcement: announcement as RunAnnouncement | null };
}
