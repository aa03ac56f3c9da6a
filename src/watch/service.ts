/**
 * Watch commands as domain operations: subscribe, unsubscribe, list. Used by the slash command
 * and the buttons; knows nothing of Bolt (Slack is reached through the `WatchNotifier` port).
 */
import type { BkActor, JobRef } from '../bkjob/model';
import { type Lang, messages } from '../i18n';
import type { JobService } from '../jobService';
import type { JobSummary } from '../summary/types';
import { ChannelAccessError, ChatUnavailableError, type WatchNotifier, type WatchStore } from './ports';
import { fingerprint, snapshotOf } from './rules';
import type { NotifyOn, Watch } from './types';

export interface WatchServiceOptions {
  readonly maxPerChannel: number;
  readonly maxAgeMs: number;
  /** Language of the reasons stored with ended watches. */
  readonly lang: Lang;
  /** WATCH_RESUME_WINDOW: a failed job JOB lets go on can be watched for its retry (0: refused like any finished job). */
  readonly resumeWindowMs?: number;
  /** This process's lease owner name: a new watch is held under it while its status message is posted. */
  readonly owner: string;
}

export interface SubscribeRequest {
  readonly channelId: string;
  readonly ref: JobRef;
  readonly subscriberId: string;
  readonly notifyOn: NotifyOn;
  readonly actor: BkActor;
  /** Stored with the watch, which polls as it (null: the configured user, see `Watch.bkUsername`). */
  readonly bkUsername?: string | null;
}

export type SubscribeResult =
  /** `statusPending`: the status message could not be posted yet (Slack made the channel wait); the poller posts it. */
  | { readonly kind: 'created'; readonly watch: Watch; readonly summary: JobSummary; readonly statusPending: boolean }
  | { readonly kind: 'duplicate'; readonly existing: Watch }
  /** A paused watch (errors, lost channel) started again, with a fresh age and error count. */
  | { readonly kind: 'resumed'; readonly watch: Watch; readonly summary: JobSummary }
  | { readonly kind: 'limit'; readonly max: number }
  | { readonly kind: 'finished'; readonly summary: JobSummary }
  | { readonly kind: 'no_access'; readonly error: string };

export type UnsubscribeResult = { readonly kind: 'not_watching' } | { readonly kind: 'stopped'; readonly watch: Watch };

/** How long a new watch is held for its status message (longer than Slack's retries of one post). */
const RESERVATION_MS = 10 * 60_000;

export class WatchService {
  constructor(
    private readonly store: WatchStore,
    private readonly jobs: JobService,
    private readonly notifier: WatchNotifier,
    private readonly now: () => number,
    private readonly options: WatchServiceOptions,
  ) {}

  /**
   * Validates the job with one BlueKing call (BkJobError propagates to the caller), creates the
   * watch atomically (a second request for the same channel and job gets the first watch), and
   * posts the status message that later events thread under.
   */
  async subscribe(request: SubscribeRequest): Promise<SubscribeResult> {
    const existing = await this.store.findOpen(request.channelId, request.ref);
    if (existing && existing.status !== 'paused') return { kind: 'duplicate', existing };
    const summary = await this.jobs.summarize(request.actor, request.ref);
    const resume = { now: this.now(), windowMs: this.options.resumeWindowMs ?? 0 };
    // A failed job can still be retried on the same instance: watching it follows that retry.
    const followable = summary.resumable && resume.windowMs > 0;
    if (summary.finished && !followable && !existing) return { kind: 'finished', summary };
    if (existing) return this.resume(existing, summary);

    // Reserve the watch first (the channel's limit checked in the same transaction), leased to this
    // process while its status message is posted: a concurrent request gets this watch, no poller
    // takes it meanwhile, and no message is posted for a watch that was not saved. If the process
    // dies, the lease runs out and the first poll posts the message (no fingerprint yet).
    const now = this.now();
    const reserved = await this.store.create(
      {
        channelId: request.channelId,
        ref: request.ref,
        subscriberId: request.subscriberId,
        bkUsername: request.bkUsername ?? null,
        notifyOn: request.notifyOn,
        createdAt: now,
        expiresAt: now + this.options.maxAgeMs,
        statusMessageTs: null,
        snapshot: snapshotOf(summary, null, resume),
        fingerprint: null,
        nextPollAt: now,
        lastSummary: summary,
        lease: { owner: this.options.owner, until: now + RESERVATION_MS },
      },
      { maxActiveInChannel: this.options.maxPerChannel },
    );
    if (!reserved.created) return reserved.existing === null ? { kind: 'limit', max: reserved.max } : { kind: 'duplicate', existing: reserved.existing };
    const { id } = reserved.watch;
    let ts: string;
    try {
      ts = await this.notifier.postStatus(reserved.watch, summary);
    } catch (err) {
      if (err instanceof ChatUnavailableError && (err.kind === 'wait' || err.maybePosted)) {
        // Slack made the channel wait, or may have posted without saying so: the watch stands, and
        // its first poll (when the channel may take messages) looks for the message before posting it.
        await this.store.release(id, this.options.owner, { nextPollAt: now + err.retryAfterMs }).catch(() => undefined);
        return { kind: 'created', watch: { ...reserved.watch, nextPollAt: now + err.retryAfterMs }, summary, statusPending: true };
      }
      // No message, no watch: the reservation ends (the request is answered with the error).
      const reason = err instanceof ChannelAccessError ? messages(this.options.lang).reasonNoAccess(err.slackError) : messages(this.options.lang).pollInternalError;
      await this.store.release(id, this.options.owner, { status: 'ended', statusReason: reason }).catch(() => undefined);
      if (err instanceof ChannelAccessError) return { kind: 'no_access', error: err.slackError };
      throw err;
    }
    // Only while the watch is still ours and active: an unwatch during the post stays in force.
    if (!(await this.store.saveWithLease(id, this.options.owner, { statusMessageTs: ts, fingerprint: fingerprint(summary), nextPollAt: now }, []))) {
      // Unwatched while its message was posted: the message shows the watch as it now is.
      const current = (await this.store.get(id)) ?? reserved.watch;
      await this.notifier.updateStatus({ ...current, statusMessageTs: ts }, ts, summary).catch(() => undefined);
      return { kind: 'duplicate', existing: current };
    }
    await this.store.release(id, this.options.owner, {});
    return { kind: 'created', watch: { ...reserved.watch, statusMessageTs: ts, nextPollAt: now }, summary, statusPending: false };
  }

  /**
   * "Run /joblog watch again to resume": the paused watch becomes active with a fresh age and
   * error count, keeping its status message and thread; the next poll reports what changed.
   */
  private async resume(paused: Watch, summary: JobSummary): Promise<SubscribeResult> {
    const now = this.now();
    // The next poll reports what changed while paused, and opens a fresh resume window (the old
    // one may have passed while the watch was paused).
    const { followingRetriesUntil: _passed, ...snapshot } = paused.snapshot ?? { state: summary.state, steps: [] };
    const watch = await this.store.update(paused.id, {
      status: 'active',
      statusReason: null,
      consecutiveErrors: 0,
      lastError: null,
      lastChangedAt: now,
      nextPollAt: now,
      expiresAt: now + this.options.maxAgeMs,
      ...(paused.snapshot ? { snapshot } : {}),
    });
    if (!watch) return { kind: 'duplicate', existing: paused };
    if (watch.statusMessageTs) await this.notifier.updateStatus(watch, watch.statusMessageTs, summary).catch(() => undefined);
    return { kind: 'resumed', watch, summary };
  }

  /**
   * Ends the channel's watch on the job and marks its status message as no longer watched,
   * re-rendered from the summary it last showed (no BlueKing call: stopping always works).
   */
  async unsubscribe(channelId: string, ref: JobRef, byUserId: string): Promise<UnsubscribeResult> {
    const watch = await this.store.findOpen(channelId, ref);
    if (!watch) return { kind: 'not_watching' };
    const ended = (await this.store.update(watch.id, { status: 'ended', statusReason: messages(this.options.lang).unwatched(`<@${byUserId}>`) })) ?? watch;
    if (ended.statusMessageTs) {
      try {
        // Re-render so the message stops saying "Watched by" and loses its Stop button.
        const summary = await this.store.lastSummary(ended.id);
        if (summary) await this.notifier.updateStatus(ended, ended.statusMessageTs, summary);
      } catch {
        // The watch is ended either way; a stale status line is only cosmetic.
      }
    }
    return { kind: 'stopped', watch: ended };
  }

  /** Stops a watch from its subscriber's App Home; other users' watches are left alone. */
  async unsubscribeById(watchId: string, byUserId: string): Promise<UnsubscribeResult> {
    const watch = await this.store.get(watchId);
    if (!watch || watch.subscriberId !== byUserId || (watch.status !== 'active' && watch.status !== 'paused')) return { kind: 'not_watching' };
    return this.unsubscribe(watch.channelId, watch.ref, byUserId);
  }

  listChannel(channelId: string): Promise<Watch[]> {
    return this.store.listOpenByChannel(channelId);
  }

  listSubscriber(userId: string): Promise<Watch[]> {
    return this.store.listOpenBySubscriber(userId);
  }

  /**
   * After someone operated the job from Slack: if a subscription follows it in this channel, its
   * run watch looks again at once (the retry is news in its thread) and true comes back; false
   * when nothing follows it there.
   */
  async nudgeFollowingRun(channelId: string, ref: JobRef): Promise<boolean> {
    const run = await this.store.findOpenRun(channelId, ref);
    if (run === null) return false;
    await this.store.update(run.id, { nextPollAt: this.now() });
    return true;
  }

  async isWatching(channelId: string, ref: JobRef): Promise<boolean> {
    return (await this.store.findOpen(channelId, ref)) !== null;
  }

  /**
   * The job a channel watches with this instance id (its business or business set), for links
   * that name no business (`/api_execute/<id>`); null when none, or when two scopes claim it.
   */
  async watchedRef(channelId: string, jobInstanceId: number): Promise<JobRef | null> {
    const refs = (await this.store.listOpenByChannel(channelId)).map((w) => w.ref).filter((r) => r.jobInstanceId === jobInstanceId);
    const first = refs[0];
    return first && refs.every((r) => r.bizId === first.bizId && r.scopeType === first.scopeType) ? first : null;
  }
}
