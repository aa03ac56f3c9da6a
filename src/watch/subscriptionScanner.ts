/**
 * Finds the runs of subscribed crons and plans. Each cycle asks JOB once per business that has
 * subscriptions (`get_job_instance_list`, more pages only when one is full), from a per-business
 * cursor with an overlap, and matches the runs to subscriptions here: JOB filters by cron but not
 * by plan, and never says which cron started a run (a cron run carries the cron's plan and name).
 * A matched run is recorded once per subscription, with the watch that follows it.
 *
 * The same cycle looks after each subscription: the cron or plan is read again hourly (or sooner
 * when a run's name matches no known cron), a mute that ended gets its one line, and a daily
 * digest is posted when its time has come. Each of these is claimed in the store first, so two
 * replicas never post it twice.
 */
import { TZDate } from '@date-fns/tz';
import type { CronInfo, JobCatalog, JobInstanceListItem, JobPlanInfo } from '../bkjob/catalog';
import { isBkJobError } from '../bkjob/errors';
import type { ActorResolution } from '../bkjob/identity';
import type { BkActor } from '../bkjob/model';
import type { AppLogger } from '../logger';
import { type ChannelPolicy, type PolicyStop, policyStop } from '../policy';
import { mapLimit } from '../util/limit';
import { ChannelAccessError, ChatUnavailableError, type SubscriptionStore } from './ports';
import { type Digest, type MutedPeriod, digestOf, mutedPeriodOf } from './subscriptionRules';
import type { Subscription, SubscriptionScope, SubscriptionState, SubscriptionTarget } from './subscriptionTypes';
import type { NewWatch } from './types';

/** JOB's launch_mode of a run a cron started. */
export const LAUNCH_MODE_CRON = 3;
/** JOB refuses a window longer than 30 days (create_time_end − create_time_start). */
const MAX_WINDOW_MS = 30 * 24 * 60 * 60_000;
/** The most `get_job_instance_list` returns in one page. */
export const LIST_PAGE_SIZE = 1000;
/** Pages read per business and cycle at most (20,000 new runs in one business between two cycles). */
const MAX_PAGES = 20;
/** How often a cron or plan is read again from JOB (renames, deletion, a new expression). */
export const TARGET_REFRESH_MS = 60 * 60_000;
/** An unknown cron name refreshes the business's crons early, but not more often than this. */
const EARLY_REFRESH_MIN_MS = 5 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
const VERSION_ATTEMPTS = 5;

/** What the channel is told about a subscription outside any one run. */
export type SubscriptionNote =
  | { readonly kind: 'mute_ended'; readonly mutedForMs: number; readonly period: MutedPeriod }
  | { readonly kind: 'digest'; readonly digest: Digest; readonly from: number; readonly to: number }
  | { readonly kind: 'target_gone' }
  /** The channel policy changed since the subscription was made and no longer allows it there. */
  | { readonly kind: 'policy_stopped'; readonly stop: PolicyStop };

export interface SubscriptionNotifier {
  /** Posts a note in the subscription's channel; fails with the errors of `ports.ts`. */
  postNote(subscription: Subscription, note: SubscriptionNote): Promise<string>;
  /** Milliseconds until the channel may take a message (0: now): a note waits for it before it is claimed. */
  readyInMs(channelId: string): number;
}

export interface ScannerDeps {
  readonly store: SubscriptionStore;
  readonly catalog: JobCatalog;
  readonly notifier: SubscriptionNotifier;
  /** The subscriber's BlueKing user (its stored one first), never another user's. */
  readonly actorFor: (subscription: Subscription) => Promise<ActorResolution>;
  readonly now: () => number;
  readonly logger: AppLogger;
  /** The channel policy now (read at start): a subscription it no longer allows ends. Default: everything allowed. */
  readonly policy?: ChannelPolicy;
}

export interface ScannerOptions {
  /** How far back each scan looks again before the cursor, for runs JOB committed late. */
  readonly overlapMs: number;
  /** Businesses scanned at once. */
  readonly concurrency: number;
  /** WATCH_MAX_AGE: how long a run's watch may live. */
  readonly maxAgeMs: number;
  /** Digests of plans (which have no time zone of their own): BlueKing's zone, e.g. `+08:00`. */
  readonly defaultTimeZone: string;
}

export interface ScanReport {
  readonly businesses: number;
  readonly listCalls: number;
  readonly runsFound: number;
  readonly errors: number;
}

interface BusinessScan {
  listCalls: number;
  runsFound: number;
  error: boolean;
}

export class SubscriptionScanner {
  /** When each business's crons were last read early (an unknown name), to bound those reads. */
  private readonly earlyRefreshAt = new Map<string, number>();

  constructor(
    private readonly deps: ScannerDeps,
    private readonly options: ScannerOptions,
  ) {}

  async scanOnce(): Promise<ScanReport> {
    const subscriptions = await this.stillAllowed(await this.deps.store.listActiveSubscriptions());
    const byBusiness = new Map<string, Subscription[]>();
    for (const sub of subscriptions) {
      const key = scopeKey(sub.scope);
      const list = byBusiness.get(key);
      if (list) list.push(sub);
      else byBusiness.set(key, [sub]);
    }
    const groups = [...byBusiness.values()];
    const results: BusinessScan[] = [];
    await mapLimit(groups, this.options.concurrency, async (group) => {
      results.push(await this.scanBusiness(group));
    });
    return {
      businesses: groups.length,
      listCalls: results.reduce((sum, r) => sum + r.listCalls, 0),
      runsFound: results.reduce((sum, r) => sum + r.runsFound, 0),
      errors: results.filter((r) => r.error).length,
    };
  }

  /**
   * Upkeep of every active subscription: targets read again hourly, ended mutes, due digests. Run
   * after the cycle's polls, so announcing a failed run never waits for it.
   */
  async tendAll(): Promise<void> {
    for (const sub of await this.deps.store.listActiveSubscriptions()) {
      await this.tend(sub).catch((err: unknown) => this.deps.logger.warn({ err, subscriptionId: sub.id }, 'subscription upkeep failed'));
    }
  }

  /**
   * The subscriptions the channel policy still allows. One made before the policy file changed
   * and no longer allowed in its channel ends here (once, whichever replica wins the version),
   * with a line in the channel, before any run of it is looked for.
   */
  private async stillAllowed(subscriptions: Subscription[]): Promise<Subscription[]> {
    const policy = this.deps.policy;
    if (!policy) return subscriptions;
    const allowed: Subscription[] = [];
    for (const sub of subscriptions) {
      const stop = policyStop(policy, sub.channelId, sub.scope, 'subscribe');
      if (stop === null) {
        allowed.push(sub);
        continue;
      }
      // Not scanned either way; it ends once its channel can be told.
      this.deps.logger.info({ subscriptionId: sub.id, channel: sub.channelId, stop }, 'the channel policy no longer allows this subscription; it ends');
      await this.endWithNote(sub, { kind: 'policy_stopped', stop }).catch((err: unknown) => {
        this.deps.logger.warn({ err, subscriptionId: sub.id }, 'could not end a subscription the policy no longer allows; it is skipped this cycle');
      });
    }
    return allowed;
  }

  /**
   * Ends a subscription and says why in its channel, once across replicas (the version decides
   * who ends it). While Slack makes the channel wait nothing changes yet, and an end whose note
   * still meets a wait is undone (active again, its state as before): a later cycle ends it and
   * says so, rather than end it unsaid. `state`: the state it ends with. Returns the subscription
   * as it now is (null: changed by someone else meanwhile).
   */
  private async endWithNote(sub: Subscription, note: SubscriptionNote, state: SubscriptionState = sub.state): Promise<Subscription | null> {
    if (this.deps.notifier.readyInMs(sub.channelId) > 0) return sub;
    const ended = await this.deps.store.updateSubscription(sub.id, sub.version, { status: 'ended', statusReason: null, state });
    if (ended === null || (await this.note(ended, note))) return ended;
    const restored = await this.deps.store.updateSubscription(ended.id, ended.version, { status: 'active', state: sub.state });
    if (restored === null) this.deps.logger.warn({ subscriptionId: sub.id, note: note.kind }, 'could not make a subscription active again after its end note had to wait; it ended unsaid');
    return restored;
  }

  /** One business: list the runs created since the cursor, match, record, move the cursor. */
  private async scanBusiness(subs: Subscription[]): Promise<BusinessScan> {
    const scan: BusinessScan = { listCalls: 0, runsFound: 0, error: false };
    const first = subs[0];
    if (!first) return scan;
    const scope = first.scope;
    const log = this.deps.logger.child({ bizId: scope.bizId, scopeType: scope.scopeType ?? 'biz' });
    try {
      const actor = await this.listingActor(subs);
      if (actor === null) return scan;
      const now = this.deps.now();
      const cursor = await this.deps.store.scanCursor(scope);
      const earliest = Math.min(...subs.map((s) => s.createdAt));
      const start = Math.max(1, (cursor ?? earliest) - this.options.overlapMs, now - MAX_WINDOW_MS + 60_000);
      // JOB's clock may run ahead of ours: look a little into the future too.
      const end = Math.min(now + this.options.overlapMs, start + MAX_WINDOW_MS);
      let newest: number | null = null;
      let current = subs;
      // JOB lists newest first. A full page goes on below its oldest run by time, not by offset:
      // offsets past 1,000 may be refused (start-limit), and new runs arriving meanwhile shift them.
      let pageEnd = end;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await this.deps.catalog.listJobInstances(actor, scope, { createTimeStart: start, createTimeEnd: pageEnd, start: 0, length: LIST_PAGE_SIZE });
        scan.listCalls++;
        for (const item of result.items) newest = Math.max(newest ?? item.createTime, item.createTime);
        current = await this.refreshIfUnknownCron(current, result.items, actor, now, log);
        scan.runsFound += await this.record(current, result.items, now);
        if (result.items.length < LIST_PAGE_SIZE) break;
        const oldest = Math.min(...result.items.map((item) => item.createTime));
        // Runs sharing the oldest time are read again on the next page (recorded once anyway);
        // a page all of one millisecond moves on below it.
        pageEnd = oldest < pageEnd ? oldest : oldest - 1;
        if (pageEnd <= start) break;
        if (page === MAX_PAGES - 1) log.warn({ pages: MAX_PAGES, readDownTo: pageEnd }, 'more new runs than the pages read in one cycle; older ones in this window are skipped');
      }
      if (newest !== null) await this.deps.store.advanceScanCursor(scope, newest);
    } catch (err) {
      // The cursor stays: the next cycle asks for the same window again.
      scan.error = true;
      log.warn({ err }, isBkJobError(err) ? 'listing job instances failed' : 'scanning a business failed');
    }
    return scan;
  }

  /** Lists as a subscriber of that business: the oldest subscription whose user resolves. */
  private async listingActor(subs: readonly Subscription[]): Promise<BkActor | null> {
    for (const sub of subs) {
      const who = await this.deps.actorFor(sub);
      if (who.kind === 'mapped') return who.actor;
    }
    return null;
  }

  /** Records the runs each subscription follows; returns how many were new. */
  private async record(subs: readonly Subscription[], items: readonly JobInstanceListItem[], now: number): Promise<number> {
    let added = 0;
    for (const item of items) {
      for (const sub of subs) {
        // A run created before the subscription is history, not news.
        if (item.createTime < sub.createdAt || !runMatches(sub.target, item)) continue;
        if (await this.deps.store.addRun({ subscriptionId: sub.id, jobInstanceId: item.jobInstanceId, createdAt: item.createTime }, runWatch(sub, item, now, this.options.maxAgeMs))) added++;
      }
    }
    return added;
  }

  /**
   * A cron run whose name matches none of the subscribed crons of its plan may come from a
   * renamed cron: read those crons again (at most every few minutes) before matching.
   */
  private async refreshIfUnknownCron(subs: Subscription[], items: readonly JobInstanceListItem[], actor: BkActor, now: number, log: AppLogger): Promise<Subscription[]> {
    const cronSubs = subs.filter((s) => s.target.kind === 'cron');
    if (cronSubs.length === 0) return subs;
    const unknown = items.some((item) => item.launchMode === LAUNCH_MODE_CRON && cronSubs.some((s) => s.target.planId === item.jobPlanId) && !cronSubs.some((s) => runMatches(s.target, item)));
    if (!unknown) return subs;
    const key = scopeKey(subs[0]?.scope ?? { bizId: 0 });
    if (now - (this.earlyRefreshAt.get(key) ?? 0) < EARLY_REFRESH_MIN_MS) return subs;
    this.earlyRefreshAt.set(key, now);
    log.info('a cron run matched no known cron name; reading the crons again');
    const refreshed: Subscription[] = [];
    for (const sub of subs) refreshed.push(sub.target.kind === 'cron' ? ((await this.refreshTarget(sub, actor, now)) ?? sub) : sub);
    return refreshed.filter((s) => s.status === 'active');
  }

  /** Hourly upkeep of one subscription: its target, the end of a mute, its digest. */
  private async tend(sub: Subscription): Promise<void> {
    const now = this.deps.now();
    let current: Subscription | null = sub;
    if (now - sub.state.targetCheckedAt >= TARGET_REFRESH_MS) {
      const who = await this.deps.actorFor(sub);
      if (who.kind === 'mapped') current = await this.refreshTarget(sub, who.actor, now);
    }
    if (current === null || current.status !== 'active') return;
    current = await this.endMute(current, now);
    if (current) await this.postDigest(current, now);
  }

  /**
   * Reads the cron or plan again; a changed one is saved, a deleted one ends the subscription (and
   * says so). Returns the subscription as it now is (null: changed by someone else meanwhile).
   */
  private async refreshTarget(sub: Subscription, actor: BkActor, now: number): Promise<Subscription | null> {
    let info: CronInfo | JobPlanInfo | null;
    try {
      info = sub.target.kind === 'cron' ? await this.deps.catalog.getCron(actor, sub.scope, sub.target.id) : await this.deps.catalog.getJobPlan(actor, sub.scope, sub.target.id);
    } catch (err) {
      // JOB unreachable or refusing: keep what we know and try again at the next hourly refresh,
      // not every cycle (with many subscriptions that would be a call per subscription per cycle).
      this.deps.logger.warn({ err, subscriptionId: sub.id }, 'could not read the subscribed cron or plan');
      return (await this.deps.store.updateSubscription(sub.id, sub.version, { state: { ...sub.state, targetCheckedAt: now } })) ?? sub;
    }
    if (info === null) return this.endWithNote(sub, { kind: 'target_gone' }, { ...sub.state, targetCheckedAt: now });
    const target = targetOf(sub.target.kind, info);
    return this.deps.store.updateSubscription(sub.id, sub.version, { target, state: { ...sub.state, targetCheckedAt: now } });
  }

  /** A mute that has run out: claim it (one replica), then say what happened meanwhile. */
  private async endMute(sub: Subscription, now: number): Promise<Subscription | null> {
    const { mutedUntil, mutedAt } = sub.state;
    if (mutedUntil === null || now < mutedUntil) return sub;
    // Slack asked the channel to wait: claim it in a later cycle rather than lose the line.
    if (this.deps.notifier.readyInMs(sub.channelId) > 0) return sub;
    const claimed = await this.deps.store.updateSubscription(sub.id, sub.version, { state: { ...sub.state, mutedUntil: null, mutedAt: null, mutedBy: null } });
    if (claimed === null) return null;
    const from = mutedAt ?? mutedUntil - DAY_MS;
    const runs = await this.deps.store.listRuns(sub.id, from, mutedUntil);
    if (await this.note(claimed, { kind: 'mute_ended', mutedForMs: mutedUntil - from, period: mutedPeriodOf(runs) })) return claimed;
    // Nothing reached the channel (Slack made it wait): the claim is given back for a later cycle,
    // unless someone muted it again meanwhile (that mute's own end will be told).
    return this.giveBack(claimed.id, (state) => (state.mutedUntil === null ? { ...state, mutedUntil, mutedAt, mutedBy: sub.state.mutedBy } : null));
  }

  /** The daily digest whose time has come and that no replica has posted yet. */
  private async postDigest(sub: Subscription, now: number): Promise<void> {
    if (sub.digestAt === null) return;
    const slot = lastDigestSlot(sub.digestAt, sub.target.timeZone ?? this.options.defaultTimeZone, now);
    if (slot <= sub.createdAt || (sub.state.lastDigestAt !== null && slot <= sub.state.lastDigestAt)) return;
    if (this.deps.notifier.readyInMs(sub.channelId) > 0) return;
    for (let attempt = 0, current: Subscription | null = sub; attempt < VERSION_ATTEMPTS && current; attempt++) {
      if (current.state.lastDigestAt !== null && slot <= current.state.lastDigestAt) return;
      const claimed = await this.deps.store.updateSubscription(current.id, current.version, { state: { ...current.state, lastDigestAt: slot } });
      if (claimed) {
        const runs = await this.deps.store.listRuns(sub.id, slot - DAY_MS, slot);
        const before = current.state.lastDigestAt;
        if (!(await this.note(claimed, { kind: 'digest', digest: digestOf(runs), from: slot - DAY_MS, to: slot }))) {
          // Nothing reached the channel (Slack made it wait): the claim is given back for a later cycle.
          await this.giveBack(claimed.id, (state) => (state.lastDigestAt === slot ? { ...state, lastDigestAt: before } : null));
        }
        return;
      }
      current = await this.deps.store.getSubscription(sub.id);
    }
  }

  /**
   * Undoes a claim whose note Slack made wait, against whatever else changed the subscription
   * meanwhile (run results, a user's mute): `restore` gives the state with the claim undone, or
   * null when it no longer applies. Returns the subscription as it now is.
   */
  private async giveBack(id: string, restore: (state: Subscription['state']) => Subscription['state'] | null): Promise<Subscription | null> {
    for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt++) {
      const current = await this.deps.store.getSubscription(id);
      if (current === null) return null;
      const state = restore(current.state);
      if (state === null) return current;
      const updated = await this.deps.store.updateSubscription(id, current.version, { state });
      if (updated !== null) return updated;
    }
    this.deps.logger.warn({ subscriptionId: id }, 'could not give back a note claim (the subscription kept changing); the note is lost');
    return this.deps.store.getSubscription(id);
  }

  /**
   * Posts a claimed note (mute end, digest). False when Slack asked the channel to wait and
   * nothing was posted: the caller gives the claim back. Any other failure is logged and the note
   * is not tried again (it may have been posted: a note has no outbox to look it up by).
   */
  private async note(sub: Subscription, note: SubscriptionNote): Promise<boolean> {
    try {
      await this.deps.notifier.postNote(sub, note);
      return true;
    } catch (err) {
      if (err instanceof ChatUnavailableError && err.kind === 'wait' && !err.maybePosted) {
        this.deps.logger.info({ subscriptionId: sub.id, note: note.kind, waitMs: err.retryAfterMs }, 'subscription note waits for its channel');
        return false;
      }
      const level = err instanceof ChannelAccessError ? 'info' : 'warn';
      this.deps.logger[level]({ err, subscriptionId: sub.id, note: note.kind }, 'could not post a subscription note');
      return true;
    }
  }
}

function scopeKey(scope: SubscriptionScope): string {
  return `${scope.scopeType ?? 'biz'}:${scope.bizId}`;
}

/**
 * Whether a run belongs to the target: a plan's runs carry its id; a cron's runs are the plan's
 * runs JOB's cron service started (launch mode 3) under the cron's name.
 */
export function runMatches(target: SubscriptionTarget, item: Pick<JobInstanceListItem, 'jobPlanId' | 'launchMode' | 'name'>): boolean {
  if (item.jobPlanId !== target.planId) return false;
  return target.kind === 'plan' || (item.launchMode === LAUNCH_MODE_CRON && item.name === target.name);
}

export function targetOf(kind: 'cron', info: CronInfo): SubscriptionTarget;
export function targetOf(kind: 'plan', info: JobPlanInfo): SubscriptionTarget;
export function targetOf(kind: 'cron' | 'plan', info: CronInfo | JobPlanInfo): SubscriptionTarget;
export function targetOf(kind: 'cron' | 'plan', info: CronInfo | JobPlanInfo): SubscriptionTarget {
  if (kind === 'cron' && 'jobPlanId' in info) return { kind, id: info.id, name: info.name, planId: info.jobPlanId, expression: info.expression, timeZone: info.timeZone, templateId: null };
  const plan = info as JobPlanInfo;
  return { kind: 'plan', id: plan.id, name: plan.name, planId: plan.id, expression: null, timeZone: null, templateId: plan.jobTemplateId };
}

/** The watch that follows one run: silent (no status message) until the run has something to say. */
function runWatch(sub: Subscription, item: JobInstanceListItem, now: number, maxAgeMs: number): NewWatch {
  return {
    channelId: sub.channelId,
    ref: { bizId: sub.scope.bizId, jobInstanceId: item.jobInstanceId, ...(sub.scope.scopeType === 'biz_set' ? { scopeType: 'biz_set' as const } : {}) },
    subscriberId: sub.subscriberId,
    bkUsername: sub.bkUsername,
    notifyOn: sub.notifyOn,
    createdAt: now,
    expiresAt: now + maxAgeMs,
    statusMessageTs: null,
    snapshot: null,
    fingerprint: null,
    // Before every other due watch: a run that already failed is announced early in the cycle.
    nextPollAt: 0,
    run: { subscriptionId: sub.id, kind: sub.target.kind, targetId: sub.target.id, targetName: sub.target.name, streak: 0 },
  };
}

/** The latest digest time at or before `now`: `HH:MM` in the zone, today or yesterday. */
export function lastDigestSlot(digestAt: string, timeZone: string, now: number): number {
  const [hours = 0, minutes = 0] = digestAt.split(':').map(Number);
  const local = new TZDate(now, timeZone);
  const today = new TZDate(local.getFullYear(), local.getMonth(), local.getDate(), hours, minutes, 0, 0, timeZone).getTime();
  if (today <= now) return today;
  return new TZDate(local.getFullYear(), local.getMonth(), local.getDate() - 1, hours, minutes, 0, 0, timeZone).getTime();
}
