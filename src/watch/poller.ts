/**
 * The watch poller: one `pollOnce()` claims the due watches (leased, so several replicas share the
 * work and never poll the same watch at once), asks BlueKing for each job, turns the change into
 * events with the pure rules, and delivers them through the outbox:
 *
 *   save snapshot + enqueue events (one transaction) → update status message → post events → mark sent
 *
 * A crash after the save leaves events pending; the next poll of that watch (on any replica)
 * delivers them before anything else. Nothing is lost, and an event key is enqueued only once.
 */
import { isBkJobError } from '../bkjob/errors';
import type { ActorResolution, UnmappedWhy } from '../bkjob/identity';
import { type Lang, escapeText, formatDuration, messages } from '../i18n';
import type { JobService } from '../jobService';
import type { AppLogger } from '../logger';
import type { JobSummary } from '../summary/types';
import { isRecord } from '../util/json';
import { forEachPipelined } from '../util/limit';
import { ALLOW_ALL, type ChannelPolicy, type PolicyStop, policyStop, scopeKey } from '../policy';
import { ChannelAccessError, ChatUnavailableError, MessageGoneError, RejectedMessageError, type WatchNotifier, type WatchStore } from './ports';
import { type KeyedEvent, type WatchEvent, evaluate, fingerprint, isBroadcast, isUrgent } from './rules';
import { AnnouncementDeferred, type SubscriptionRuns, isRunWatch } from './subscriptionRuns';
import type { NewOutboxEntry, OutboxEntry, RunOf, Watch, WatchPatch, WatchSnapshot } from './types';

export interface PollerDeps {
  readonly store: WatchStore;
  readonly jobs: JobService;
  readonly notifier: WatchNotifier;
  /**
   * Who polls a watch: its stored BlueKing user (`Watch.bkUsername`), else the subscriber's
   * resolution (fixed mode, older watches). Never another user.
   */
  readonly actorFor: (watch: Watch) => Promise<ActorResolution>;
  readonly now: () => number;
  readonly logger: AppLogger;
  readonly metrics?: PollMetrics;
  /** Reports watches that follow a subscription run; without it such watches end unannounced. */
  readonly runs?: SubscriptionRuns;
  /**
   * The channel policy now (CHANNEL_POLICY_FILE, read at start): a watch made before it changed
   * and no longer allowed in its channel ends before BlueKing is asked. Default: everything allowed.
   */
  readonly policy?: ChannelPolicy;
}

/** Hooks for counting what the poller does (Prometheus in production). */
export interface PollMetrics {
  pollDone(outcome: 'ok' | 'error', errorKind?: string): void;
  notificationSent(eventType: string): void;
  slackError(method: string, code: string): void;
}

export interface PollerOptions {
  /** Identifies this replica in leases. */
  readonly owner: string;
  readonly concurrency: number;
  readonly maxErrors: number;
  /** Language of the reasons stored with paused and ended watches. */
  readonly lang: Lang;
  /** WATCH_RESUME_WINDOW: how long a failed, stopped or abnormal job is followed for retries (0: not at all). */
  readonly resumeWindowMs?: number;
  /** Watches claimed per database round trip. */
  readonly batchSize?: number;
  /** How long a claimed watch stays ours; must exceed one watch's poll (BlueKing timeout + Slack). */
  readonly leaseMs?: number;
  /** First retry delay after a failed poll; doubles per consecutive failure. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

export interface PollReport {
  readonly claimed: number;
  readonly polled: number;
  readonly errors: number;
  readonly eventsSent: number;
}

const DEFAULT_LEASE_MS = 5 * 60_000;
/** Delivery attempts of one event before it is given up (logged as an error). */
export const MAX_DELIVERY_ATTEMPTS = 5;
/** Permanent BlueKing errors (no permission, no such job) pause a watch after this many polls. */
const PERMANENT_ERROR_LIMIT = 2;

/**
 * Jobs that have not changed for a while are polled less often: a job stuck for an hour rarely
 * changes in the next 30 seconds, and BlueKing's v2 log API is heavy for big jobs.
 */
export function quietPollDelayMs(quietForMs: number): number {
  if (quietForMs < 10 * 60_000) return 0;
  if (quietForMs < 60 * 60_000) return 60_000;
  if (quietForMs < 6 * 60 * 60_000) return 2 * 60_000;
  return 5 * 60_000;
}

/**
 * A job followed for retries after it failed is quiet by nature: at least once a minute for the
 * first hour (a retry usually comes soon), then every 5 minutes until the window closes.
 */
export function pollDelayMs(watch: Pick<Watch, 'snapshot' | 'lastChangedAt'> & { readonly run?: Watch['run'] }, now: number): number {
  const quietFor = now - watch.lastChangedAt;
  // A subscription's failed run waits for a retry nobody asked the bot to expect: every 2 minutes
  // in the first hour (a retry is announced in its thread), every 10 minutes after; the cron's
  // next run ends the following anyway.
  if (watch.snapshot?.followingRetriesUntil !== undefined && watch.run) return quietFor < 60 * 60_000 ? 2 * 60_000 : 10 * 60_000;
  if (watch.snapshot?.followingRetriesUntil !== undefined && quietFor >= 60 * 60_000) return 5 * 60_000;
  return quietPollDelayMs(quietFor);
}

/** Exponential backoff after consecutive failures: base, 2×base, 4×base … capped. */
export function retryDelayMs(consecutiveErrors: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, consecutiveErrors - 1));
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['step_failed', 'step_waiting', 'step_finished', 'job_finished', 'job_abnormal', 'job_recovered', 'watch_paused', 'watch_expired', 'watch_stopped']);

/** An outbox row's payload, read back as untrusted JSON: only the event types the rules write. */
function asEvent(entry: OutboxEntry): WatchEvent | null {
  const payload = entry.payload;
  return isRecord(payload) && typeof payload.type === 'string' && EVENT_TYPES.has(payload.type) ? (payload as unknown as WatchEvent) : null;
}

type PollOutcome = { readonly sent: number; readonly error: boolean };

/** The watch's subscriber has no BlueKing user now (and the watch stored none): the poll fails without asking BlueKing. */
class UnmappedSubscriberError extends Error {
  constructor(readonly why: UnmappedWhy) {
    super(`the subscriber has no BlueKing user (${why})`);
    this.name = 'UnmappedSubscriberError';
  }

  /** Slack or bk-user may answer next time; a missing mapping needs a person. */
  get transient(): boolean {
    return this.why === 'lookup_failed';
  }
}

/**
 * What delivering a watch's pending events came to. `paused` carries the reason when a
 * watch_paused event reached the channel: the watch must then really pause. `attempts` is the
 * failing event's attempt count, for the backoff before the next try.
 */
type Delivery =
  /** `announced`: a run watch's summary message was posted (see reportRun). */
  | { readonly outcome: 'done'; readonly sent: number; readonly paused: string | null; readonly announced?: boolean }
  /** `afterMs`: when the chat asked to be tried again (else the backoff for `attempts`). */
  | { readonly outcome: 'retry'; readonly sent: number; readonly attempts: number; readonly afterMs?: number }
  | { readonly outcome: 'no_access'; readonly error: string; readonly sent: number };

export class WatchPoller {
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly deps: PollerDeps,
    private readonly options: PollerOptions,
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.retryBaseMs = options.retryBaseMs ?? 30_000;
    this.retryMaxMs = options.retryMaxMs ?? 15 * 60_000;
  }

  /** Polls every due watch once. Safe to call from several replicas against one database. */
  async pollOnce(): Promise<PollReport> {
    const report = { claimed: 0, polled: 0, errors: 0, eventsSent: 0 };
    const cycleStart = this.deps.now();
    // Claims only watches due at the cycle's start (every poll moves nextPollAt past it), the next
    // batch while the current one is still being polled, so no worker waits on the database.
    const claim = async () => {
      // Due-ness is judged at the cycle's start, but a batch claimed late in a long cycle still
      // gets a whole lease from now: the lease ends at cycleStart + leaseMs + the time gone by.
      const batch = await this.deps.store.claimDue(cycleStart, this.batchSize, this.options.owner, this.leaseMs + (this.deps.now() - cycleStart));
      report.claimed += batch.length;
      return batch;
    };
    await forEachPipelined(claim, this.batchSize, this.options.concurrency, async (watch) => {
      try {
        const outcome = await this.pollWatch(watch);
        report.polled++;
        report.eventsSent += outcome.sent;
        if (outcome.error) report.errors++;
      } catch (err) {
        // A bug or a store failure for one watch must not stop the others. Its lease is given back
        // when the store allows (a failed write need not hold the watch for the whole lease).
        report.errors++;
        this.deps.logger.error({ err, watchId: watch.id }, 'watch poll crashed');
        await this.deps.store.release(watch.id, this.options.owner, { nextPollAt: this.deps.now() + this.retryBaseMs }).catch((releaseErr: unknown) => this.deps.logger.warn({ err: releaseErr, watchId: watch.id }, 'could not give the lease back; it expires'));
      }
    });
    return report;
  }

  /** One watch: expire it, or deliver what is left, fetch the job, and report what changed. */
  private async pollWatch(watch: Watch): Promise<PollOutcome> {
    const now = this.deps.now();
    const log = this.deps.logger.child({ watchId: watch.id, channel: watch.channelId, bizId: watch.ref.bizId, jobInstanceId: watch.ref.jobInstanceId });
    if (now >= watch.expiresAt) return this.expire(watch, now, log);
    const stop = policyStop(this.deps.policy ?? ALLOW_ALL, watch.channelId, watch.ref, isRunWatch(watch) ? 'subscribe' : 'watch');
    if (stop !== null) return this.stopByPolicy(watch, stop, now, log);

    // Events left from an interrupted poll go first, so they keep their order (a watch still
    // without its status message posts that first: the report below does, then its events).
    const leftover: Delivery = !isRunWatch(watch) && watch.statusMessageTs === null ? { outcome: 'done', sent: 0, paused: null } : await this.deliver(watch, log);
    if (leftover.outcome === 'no_access') {
      await this.pauseForAccess(watch, leftover.error, now, log);
      return { sent: leftover.sent, error: false };
    }
    if (leftover.outcome === 'retry') {
      // Slack is refusing: asking BlueKing now would only pile more events behind the stuck one.
      await this.deps.store.release(watch.id, this.options.owner, { nextPollAt: now + this.retryAfter(leftover) });
      return { sent: leftover.sent, error: false };
    }
    if (leftover.paused !== null) {
      // A pause announced late (its first delivery failed): the channel was told, so pause now.
      await this.deps.store.release(watch.id, this.options.owner, { status: 'paused', statusReason: leftover.paused });
      return { sent: leftover.sent, error: false };
    }
    // A run announced just now (a leftover entry) has its message and thread saved: report against them.
    if (leftover.announced) watch = (await this.deps.store.get(watch.id)) ?? watch;
    let summary: JobSummary;
    try {
      const who = await this.deps.actorFor(watch);
      // No BlueKing user: counted as a failed poll (the watch pauses after enough), nothing is fetched.
      if (who.kind === 'unmapped') throw new UnmappedSubscriberError(who.reason.why);
      summary = await this.deps.jobs.summarize(who.actor, watch.ref);
    } catch (err) {
      await this.pollFailed(watch, err, now, log);
      return { sent: leftover.sent, error: true };
    }
    this.deps.metrics?.pollDone('ok');
    const reported = isRunWatch(watch) ? await this.reportRun(watch, summary, now, log) : await this.report(watch, summary, now, log);
    return { sent: leftover.sent + reported.sent, error: false };
  }

  /** The watch is past WATCH_MAX_AGE: say so in its thread, then end it. */
  private async expire(watch: Watch, now: number, log: AppLogger): Promise<PollOutcome> {
    const { store } = this.deps;
    if (isRunWatch(watch)) {
      // Nobody asked to watch this run: it ends without a word (its subscription goes on).
      await store.release(watch.id, this.options.owner, { status: 'expired', statusReason: messages(this.options.lang).reasonExpired(formatDuration(now - watch.createdAt)) });
      return { sent: 0, error: false };
    }
    const event: WatchEvent = { type: 'watch_expired', ageMs: now - watch.createdAt };
    if (!(await store.saveWithLease(watch.id, this.options.owner, {}, [{ key: 'watch_expired', payload: event }]))) {
      await store.release(watch.id, this.options.owner, {});
      return { sent: 0, error: false };
    }
    const delivery = await this.deliver(watch, log);
    const final: WatchPatch = { status: 'expired', statusReason: messages(this.options.lang).reasonExpired(formatDuration(now - watch.createdAt)) };
    if (delivery.outcome === 'done') await this.showEnded({ ...watch, ...final }, log);
    await this.finish(watch, delivery, final, now, log);
    return { sent: delivery.sent, error: false };
  }

  /**
   * The channel policy changed since the watch was made and no longer allows it there: say so in
   * its thread once and end it, without asking BlueKing. A subscription's run ends quietly (its
   * subscription ends with a line of its own, see the scanner).
   */
  private async stopByPolicy(watch: Watch, stop: PolicyStop, now: number, log: AppLogger): Promise<PollOutcome> {
    const { store } = this.deps;
    const reason = messages(this.options.lang).reasonPolicy(stop, scopeKey(watch.ref));
    const final: WatchPatch = { status: 'ended', statusReason: reason, lastPolledAt: now };
    log.info({ stop }, 'the channel policy no longer allows this watch; it ends');
    if (isRunWatch(watch)) {
      await store.release(watch.id, this.options.owner, final);
      return { sent: 0, error: false };
    }
    // Events decided while the watch was allowed but not posted yet stay unposted: the channel may
    // no longer see this business. Only the stop line goes out.
    const dropped = (await store.pendingOutbox(watch.id)).filter((entry) => entry.key !== 'watch_stopped');
    for (const entry of dropped) await store.markOutboxSent(watch.id, entry.key, now, null);
    if (dropped.length > 0) log.info({ dropped: dropped.map((entry) => entry.key) }, 'pending events dropped: the channel policy stopped the watch');
    const event: WatchEvent = { type: 'watch_stopped', reason };
    if (!(await store.saveWithLease(watch.id, this.options.owner, {}, [{ key: 'watch_stopped', payload: event }]))) {
      await store.release(watch.id, this.options.owner, {});
      return { sent: 0, error: false };
    }
    const delivery = await this.deliver(watch, log);
    if (delivery.outcome === 'no_access') {
      // The bot cannot post there either: nothing is left to tell, the watch just ends.
      await store.release(watch.id, this.options.owner, final);
      return { sent: delivery.sent, error: false };
    }
    if (delivery.outcome === 'done') await this.showEnded({ ...watch, ...final }, log);
    await this.finish(watch, delivery, final, now, log);
    return { sent: delivery.sent, error: false };
  }

  /**
   * A fresh summary: turn the change into events, save them with the new snapshot (outbox), show
   * the summary in the status message, deliver the events, and release the watch (ended when the
   * job finished).
   */
  private async report(watch: Watch, summary: JobSummary, now: number, log: AppLogger): Promise<{ sent: number }> {
    const { store } = this.deps;
    const { events, snapshot } = evaluate(watch.snapshot, summary, watch.notifyOn, { now, windowMs: this.options.resumeWindowMs ?? 0 });
    const print = fingerprint(summary);
    const changed = print !== watch.fingerprint;
    // The fingerprint is saved only once the status message shows it (see below), so a failed
    // chat.update is tried again on the next poll instead of leaving a stale message.
    const fields: WatchPatch = { snapshot, lastPolledAt: now, lastChangedAt: changed ? now : watch.lastChangedAt, consecutiveErrors: 0, lastError: null };
    const entries: NewOutboxEntry[] = events.map((e) => ({ key: e.key, payload: e.event }));
    const final = this.endOf(summary, snapshot, now);
    // The status message changes with the job, and once more when the watch ends.
    const shows = changed || final.status !== undefined;
    if (!shows && entries.length === 0) {
      // Nothing new (most polls): one write, the release, saves the snapshot and the next poll
      // time (it too applies only while this replica holds the lease).
      const quiet: Watch = { ...watch, ...fields };
      await store.release(watch.id, this.options.owner, { ...fields, nextPollAt: now + Math.max(1, pollDelayMs(quiet, now)) });
      return { sent: 0 };
    }
    if (!(await store.saveWithLease(watch.id, this.options.owner, shows ? { ...fields, lastSummary: summary } : fields, entries))) {
      // Unwatched while we polled (or the lease passed to another replica): announce nothing.
      log.info('watch stopped or taken over during the poll; nothing announced');
      await store.release(watch.id, this.options.owner, {});
      return { sent: 0 };
    }
    const saved: Watch = { ...watch, ...fields };
    if (shows) {
      const status = await this.refreshStatus({ ...saved, ...final }, summary, log);
      if (status.outcome === 'no_access') {
        await this.pauseForAccess(saved, status.error, now, log);
        return { sent: 0 };
      }
      if (status.ts !== saved.statusMessageTs) Object.assign(final, { statusMessageTs: status.ts });
      if (status.shown) Object.assign(final, { fingerprint: print });
    }
    // Its status message is not in the channel yet (Slack made the channel wait): the watch does
    // not end unseen; a later poll posts the message, then ends it.
    const { status: _ending, statusReason: _why, ...unended } = final;
    const shown = final.statusMessageTs ?? saved.statusMessageTs;
    const delivery = await this.deliver({ ...saved, ...final }, log);
    await this.finish(saved, delivery, shown === null ? unended : final, now, log);
    return { sent: delivery.sent };
  }

  /**
   * A fresh summary of a subscription run: nothing is said until the run has a result worth
   * telling (see subscriptionRules.ts); once announced, its summary message is kept up to date
   * like a watch's status message, and later results (a retry) are announced in its thread.
   */
  private async reportRun(watch: Watch & { readonly run: RunOf }, summary: JobSummary, now: number, log: AppLogger): Promise<{ sent: number }> {
    const { store, runs } = this.deps;
    const sub = runs ? await runs.getSubscription(watch.run.subscriptionId) : null;
    if (!runs || sub === null || sub.status !== 'active') {
      // Unsubscribed: the run's watch ends with its subscription, quietly.
      await store.release(watch.id, this.options.owner, { status: 'ended', statusReason: messages(this.options.lang).reasonUnsubscribed, lastPolledAt: now });
      return { sent: 0 };
    }
    // A finished run is followed for retries only until the cron or plan runs again: then the
    // newer run is the news, and the old one's watch stops costing BlueKing calls.
    const superseded = summary.finished && summary.startTime !== null && sub.state.lastRunAt !== null && sub.state.lastRunAt > summary.startTime && sub.state.lastRunId !== watch.ref.jobInstanceId;
    // Only the snapshot is wanted from the watch rules: run watches announce results, not steps.
    const { snapshot } = evaluate(watch.snapshot, summary, watch.notifyOn, { now, windowMs: superseded ? 0 : (this.options.resumeWindowMs ?? 0) });
    const entries = runs.entriesFor(watch, watch.snapshot, summary);
    const print = fingerprint(summary);
    const changed = print !== watch.fingerprint;
    const fields: WatchPatch = { snapshot, lastPolledAt: now, lastChangedAt: changed ? now : watch.lastChangedAt, consecutiveErrors: 0, lastError: null };
    const final = this.endOf(summary, snapshot, now);
    const announced = watch.statusMessageTs !== null;
    if (entries.length === 0 && final.status === undefined && !(announced && changed)) {
      // A run going on quietly (most polls): one write saves the snapshot and the next poll time.
      const quiet: Watch = { ...watch, ...fields };
      // Not announced yet: no message to keep in step, so the fingerprint just tracks the summary saved.
      await store.release(watch.id, this.options.owner, { ...fields, ...(changed ? { lastSummary: summary, fingerprint: print } : {}), nextPollAt: now + Math.max(1, pollDelayMs(quiet, now)) });
      return { sent: 0 };
    }
    // The announcement renders the summary saved here (also after a crash, from the outbox).
    const saveSummary = changed || entries.length > 0;
    if (!(await store.saveWithLease(watch.id, this.options.owner, saveSummary ? { ...fields, lastSummary: summary } : fields, entries))) {
      await store.release(watch.id, this.options.owner, {});
      return { sent: 0 };
    }
    const saved = { ...watch, ...fields, run: watch.run };
    if (announced && (changed || final.status !== undefined)) {
      const status = await this.refreshStatus({ ...saved, ...final }, summary, log);
      if (status.outcome === 'no_access') {
        await this.pauseForAccess(saved, status.error, now, log);
        return { sent: 0 };
      }
      // The message was deleted and posted again: remember the new one.
      if (status.ts !== saved.statusMessageTs) Object.assign(final, { statusMessageTs: status.ts });
      if (status.shown) Object.assign(final, { fingerprint: print });
    }
    const delivery = await this.deliver({ ...saved, ...final }, log);
    // A run announced now shows this summary: later polls update it only when it changes.
    if (!announced && delivery.outcome === 'done' && delivery.announced) Object.assign(final, { fingerprint: print });
    await this.finish(saved, delivery, final, now, log);
    return { sent: delivery.sent };
  }

  /**
   * Whether this summary ends the watch: a finished job does, unless JOB lets it go on (retry,
   * ignore error, next step) and the resume window is still open; then the watch follows it.
   */
  private endOf(summary: JobSummary, snapshot: WatchSnapshot, now: number): WatchPatch {
    if (!summary.finished) return {};
    const m = messages(this.options.lang);
    const until = snapshot.followingRetriesUntil;
    if (until === undefined) return { status: 'ended', statusReason: m.reasonFinished };
    if (now < until) return {};
    return { status: 'ended', statusReason: m.reasonNoRetry(formatDuration(this.options.resumeWindowMs ?? 0)) };
  }

  /** Releases the watch: ends it when asked and everything was delivered, else schedules the next poll. */
  private async finish(watch: Watch, delivery: Delivery, final: WatchPatch, now: number, log: AppLogger): Promise<void> {
    if (delivery.outcome === 'no_access' && final.status !== 'expired') {
      await this.pauseForAccess(watch, delivery.error, now, log);
      return;
    }
    // An expiring watch ends even when its channel is gone: there is nothing left to tell it.
    const ending = final.status !== undefined && delivery.outcome !== 'retry';
    // At least 1 ms ahead: a watch is never due again within the cycle that just polled it.
    const nextPollAt = now + Math.max(1, delivery.outcome === 'retry' ? this.retryAfter(delivery) : pollDelayMs(watch, now));
    const { status: _status, statusReason: _reason, ...kept } = final;
    // A pause announced late (in this delivery, after its first one failed): the channel was told, so pause now.
    const pausedNow = !ending && delivery.outcome === 'done' && delivery.paused !== null ? { status: 'paused' as const, statusReason: delivery.paused } : {};
    const patch: WatchPatch = ending ? { ...final, nextPollAt } : { ...kept, ...pausedNow, nextPollAt };
    await this.deps.store.release(watch.id, this.options.owner, patch);
  }

  /** When to try a channel's pending events again: when Slack said, else the backoff. */
  private retryAfter(delivery: Extract<Delivery, { outcome: 'retry' }>): number {
    return Math.max(1000, delivery.afterMs ?? this.deliveryRetryDelay(delivery.attempts));
  }

  /** Backoff while Slack refuses an event: base, 2×base, 4×base … per attempt, capped. */
  private deliveryRetryDelay(attempts: number): number {
    return retryDelayMs(attempts, this.retryBaseMs, this.retryMaxMs);
  }

  /** Shows the summary in the status message; `shown` false when Slack did not take it (tried again next poll). */
  private async refreshStatus(watch: Watch, summary: JobSummary, log: AppLogger): Promise<{ outcome: 'ok'; ts: string | null; shown: boolean } | { outcome: 'no_access'; error: string }> {
    const { notifier } = this.deps;
    try {
      if (watch.statusMessageTs) {
        await notifier.updateStatus(watch, watch.statusMessageTs, summary);
        return { outcome: 'ok', ts: watch.statusMessageTs, shown: true };
      }
      // No status message yet: an earlier post may have reached the channel unseen (its process
      // died, or Slack timed out), so the channel is searched for it before posting.
      return { outcome: 'ok', ts: await notifier.postStatus(watch, summary, { lookFirst: true }), shown: true };
    } catch (err) {
      if (err instanceof ChannelAccessError) return { outcome: 'no_access', error: err.slackError };
      if (err instanceof ChatUnavailableError) {
        // The channel must wait (or Slack is failing there): the next poll shows the summary.
        log.debug({ why: err.why }, 'status message not updated now');
        return { outcome: 'ok', ts: watch.statusMessageTs, shown: false };
      }
      if (err instanceof MessageGoneError) {
        // Someone deleted the status message: start a new one so events still have a thread
        // (looked for first: an earlier repost may have timed out after Slack took it).
        try {
          return { outcome: 'ok', ts: await notifier.postStatus(watch, summary, { lookFirst: true }), shown: true };
        } catch (postErr) {
          if (postErr instanceof ChannelAccessError) return { outcome: 'no_access', error: postErr.slackError };
          log.warn({ err: postErr }, 'could not re-post the status message');
          return { outcome: 'ok', ts: watch.statusMessageTs, shown: false };
        }
      }
      // The events matter more than the status message: log and go on; the next poll retries.
      log.warn({ err }, 'could not update the status message');
      return { outcome: 'ok', ts: watch.statusMessageTs, shown: false };
    }
  }

  /** Best effort: the status message stops saying "Watched by", re-rendered from the last summary it showed. */
  private async showEnded(watch: Watch, log: AppLogger): Promise<void> {
    if (!watch.statusMessageTs) return;
    try {
      const summary = await this.deps.store.lastSummary(watch.id);
      if (summary) await this.deps.notifier.updateStatus(watch, watch.statusMessageTs, summary);
    } catch (err) {
      log.debug({ err }, 'could not mark the status message as no longer watched');
    }
  }

  /**
   * Posts every pending outbox entry of the watch, oldest first, marking each sent as it goes.
   * Each attempt is recorded before Slack is called; an attempt whose outcome stays unknown (a
   * crash, a timeout) makes the next one look for the message first (see `DeliveryMark`), so an
   * event reaches the channel once. A channel that must wait keeps its entries for later and
   * costs no attempt; other channels are not held up by it.
   */
  private async deliver(watch: Watch, log: AppLogger): Promise<Delivery> {
    const { store, notifier } = this.deps;
    let sent = 0;
    let paused: string | null = null;
    let announced = false;
    let current = watch;
    const pending = await store.pendingOutbox(watch.id);
    const wait = pending.length > 0 ? notifier.readyInMs(watch.channelId) : 0;
    if (wait > 0) {
      log.debug({ waitMs: wait, pending: pending.length }, 'the channel must wait; its events stay in the outbox');
      return { outcome: 'retry', sent, attempts: 0, afterMs: wait };
    }
    for (const entry of pending) {
      if (entry.attempts >= MAX_DELIVERY_ATTEMPTS) {
        // One undeliverable event must not hold back every later one (and the watch's end) forever.
        log.error({ key: entry.key, attempts: entry.attempts }, 'giving up on an event Slack keeps refusing');
        await store.markOutboxSent(watch.id, entry.key, this.deps.now(), null);
        continue;
      }
      const runs = isRunWatch(current) && this.deps.runs?.isRunEntry(entry) ? this.deps.runs : null;
      const event = runs ? null : asEvent(entry);
      if (!runs && !event) {
        log.error({ key: entry.key }, 'dropping an unreadable outbox entry');
        await store.markOutboxSent(watch.id, entry.key, this.deps.now(), null);
        continue;
      }
      await store.markOutboxAttempt(watch.id, entry.key, this.deps.now());
      let posted: { ts: string | null; patch: WatchPatch | null };
      try {
        if (runs !== null && isRunWatch(current)) {
          posted = await runs.deliver(current, entry, this.deps.now());
        } else if (event !== null) {
          const keyed: KeyedEvent = { key: entry.key, event };
          const mark = { key: entry.key, unresolvedSince: entry.attemptStartedAt };
          posted = { ts: await notifier.postEvent(watch, keyed, { urgent: isUrgent(event), broadcast: isBroadcast(event, watch.notifyOn) }, mark), patch: null };
        } else {
          continue;
        }
      } catch (err) {
        const failed = await this.deliveryFailed(watch, entry, err, log);
        if (failed === 'dropped') continue;
        return { ...failed, sent };
      }
      if (posted.patch !== null) {
        // The run's summary message and thread: kept at once, so the next entry threads under it.
        await store.update(watch.id, posted.patch);
        current = { ...current, ...posted.patch };
        announced = true;
      }
      await store.markOutboxSent(watch.id, entry.key, this.deps.now(), posted.ts);
      if (posted.ts === null) continue;
      this.deps.metrics?.notificationSent(event?.type ?? entry.key.split(':')[0] ?? 'run');
      if (event?.type === 'watch_paused') paused = event.reason;
      sent++;
    }
    return { outcome: 'done', sent, paused, announced };
  }

  /**
   * What a failed delivery attempt means for the entry: a refusal of the message itself drops it;
   * a wait (a rate limit, a run announcement waiting for its thread) takes the attempt back; a
   * refusal that posted nothing ends the attempt; an unknown outcome leaves it open, to be looked
   * for before the next post.
   */
  private async deliveryFailed(watch: Watch, entry: OutboxEntry, err: unknown, log: AppLogger): Promise<'dropped' | { outcome: 'retry'; attempts: number; afterMs?: number } | { outcome: 'no_access'; error: string }> {
    const { store } = this.deps;
    const attempts = entry.attempts + 1;
    if (err instanceof RejectedMessageError) {
      log.error({ key: entry.key, slackError: err.slackError }, 'Slack rejected an event message; dropping it');
      await store.markOutboxSent(watch.id, entry.key, this.deps.now(), null);
      return 'dropped';
    }
    // An earlier attempt whose outcome is unknown stays unresolved whatever this one met.
    const earlierUnresolved = entry.attemptStartedAt !== null;
    if (err instanceof ChannelAccessError) {
      await store.endOutboxAttempt(watch.id, entry.key, { counted: true, resolved: !earlierUnresolved });
      return { outcome: 'no_access', error: err.slackError };
    }
    if (err instanceof AnnouncementDeferred) {
      log.info({ key: entry.key }, 'run announcement waits for the first failure of its streak');
      await store.endOutboxAttempt(watch.id, entry.key, { counted: false, resolved: !earlierUnresolved });
      return { outcome: 'retry', attempts };
    }
    if (err instanceof ChatUnavailableError) {
      // A wait is never a failed attempt (a long 429 must not use up the event's attempts), even
      // when the message it was looking for may be in Slack (that stays to be looked for).
      // An earlier unknown attempt stays to be looked for until the entry is sent: a message it
      // posted may show in history later than the search that just missed it.
      await store.endOutboxAttempt(watch.id, entry.key, { counted: err.kind === 'error', resolved: !err.maybePosted && !earlierUnresolved });
      if (err.kind === 'wait') {
        log.debug({ key: entry.key, waitMs: err.retryAfterMs, why: err.why }, 'Slack asks the channel to wait; the event stays pending');
        return { outcome: 'retry', attempts: entry.attempts, afterMs: err.retryAfterMs };
      }
      log.warn({ key: entry.key, why: err.why, maybePosted: err.maybePosted }, 'could not post an event; it stays pending');
      return { outcome: 'retry', attempts, afterMs: Math.max(err.retryAfterMs, this.deliveryRetryDelay(attempts)) };
    }
    // Anything else (a bug, a store failure mid-way): the outcome is unknown, the attempt stays open.
    log.warn({ err, key: entry.key }, 'could not post an event; it stays pending');
    return { outcome: 'retry', attempts };
  }

  private async pollFailed(watch: Watch, err: unknown, now: number, log: AppLogger): Promise<void> {
    const m = messages(this.options.lang);
    const errors = watch.consecutiveErrors + 1;
    const description = isBkJobError(err) ? m.bkError(err) : err instanceof UnmappedSubscriberError ? m.reasonUnmapped : m.pollInternalError;
    this.deps.metrics?.pollDone('error', isBkJobError(err) ? err.kind : err instanceof UnmappedSubscriberError ? 'unmapped' : 'internal');
    log.warn({ err, consecutiveErrors: errors }, 'poll failed');
    const base: WatchPatch = { consecutiveErrors: errors, lastError: description, lastPolledAt: now, nextPollAt: now + retryDelayMs(errors, this.retryBaseMs, this.retryMaxMs) };
    // Waiting cannot fix a missing permission or a wrong job id: give up sooner on those.
    const permanent = (isBkJobError(err) || err instanceof UnmappedSubscriberError) && !err.transient;
    const limit = permanent ? Math.min(PERMANENT_ERROR_LIMIT, this.options.maxErrors) : this.options.maxErrors;
    if (isRunWatch(watch)) {
      // A subscription's run: no pause message for a run the channel never saw. A passing outage
      // is waited out (with backoff) until the watch expires; what waiting cannot fix (no
      // permission to view the run, the run gone) ends it, said in the log.
      if (permanent && errors >= limit) {
        log.warn({ consecutiveErrors: errors, subscriptionId: watch.run.subscriptionId }, 'cannot follow a subscription run; its watch ends');
        await this.deps.store.release(watch.id, this.options.owner, { ...base, status: 'ended', statusReason: m.reasonErrors(errors, escapeText(description)) });
      } else {
        await this.deps.store.release(watch.id, this.options.owner, base);
      }
      return;
    }
    if (errors < limit) {
      await this.deps.store.release(watch.id, this.options.owner, base);
      return;
    }
    // Too many failures in a row: tell the channel once, then stop polling until someone re-watches.
    // One pause per run of errors: the key stays the same until the job is next seen to change.
    const reason = m.reasonErrors(errors, escapeText(description));
    const event: WatchEvent = { type: 'watch_paused', reason };
    if (!(await this.deps.store.saveWithLease(watch.id, this.options.owner, base, [{ key: `watch_paused:${watch.lastChangedAt}`, payload: event }]))) {
      await this.deps.store.release(watch.id, this.options.owner, {});
      return;
    }
    const delivery = await this.deliver({ ...watch, ...base }, log);
    if (delivery.outcome === 'no_access') {
      await this.pauseForAccess(watch, delivery.error, now, log);
      return;
    }
    // Pause only once the channel has been told; else stay active and tell it on the next poll.
    await this.deps.store.release(watch.id, this.options.owner, delivery.outcome === 'done' ? { status: 'paused', statusReason: reason } : {});
  }

  /** The channel is gone for the bot: pause the watch and tell the subscriber directly. */
  private async pauseForAccess(watch: Watch, slackError: string, now: number, log: AppLogger): Promise<void> {
    const m = messages(this.options.lang);
    if (isRunWatch(watch)) {
      // The subscription's channel is gone for the bot: the run ends quietly (one DM per run would be noise).
      log.warn({ slackError, subscriptionId: watch.run.subscriptionId }, 'lost access to a subscription\'s channel; the run is not followed');
      await this.deps.store.release(watch.id, this.options.owner, { status: 'ended', statusReason: m.reasonNoAccess(slackError), lastPolledAt: now });
      return;
    }
    log.warn({ slackError }, 'lost access to the channel; pausing the watch');
    await this.deps.store.release(watch.id, this.options.owner, { status: 'paused', statusReason: m.reasonNoAccess(slackError), lastPolledAt: now });
    try {
      await this.deps.notifier.tellLostAccess(watch);
    } catch (err) {
      log.warn({ err }, 'could not tell the subscriber that the watch is paused');
    }
  }
}
