/**
 * What people do with subscriptions: subscribe a channel to a cron or plan (checked against JOB
 * with one call), unsubscribe, mute, and list. The scanner and the run watches do the rest.
 */
import type { CronInfo, JobCatalog, JobPlanInfo } from '../bkjob/catalog';
import type { BkActor } from '../bkjob/model';
import type { SubscriptionStore } from './ports';
import { targetOf } from './subscriptionScanner';
import type { Subscription, SubscriptionKind, SubscriptionScope, SubscriptionTarget } from './subscriptionTypes';
import type { NotifyOn } from './types';

export interface SubscribeRequest {
  readonly channelId: string;
  readonly scope: SubscriptionScope;
  readonly kind: SubscriptionKind;
  readonly targetId: number;
  readonly subscriberId: string;
  readonly actor: BkActor;
  /** The subscriber's BlueKing user, stored: runs are listed and polled as it. */
  readonly bkUsername: string | null;
  readonly notifyOn: NotifyOn;
  readonly digestAt: string | null;
}

export type SubscribeResult =
  | { readonly kind: 'created'; readonly subscription: Subscription }
  | { readonly kind: 'duplicate'; readonly existing: Subscription }
  | { readonly kind: 'limit'; readonly max: number }
  | { readonly kind: 'not_found' }
  /** This JOB deployment has no v3 list API (the bot speaks v2 to it). */
  | { readonly kind: 'unsupported' };

export type SubscriptionChange = { readonly kind: 'done'; readonly subscription: Subscription } | { readonly kind: 'not_found' };

export interface SubscriptionServiceOptions {
  /** SUBSCRIPTION_MAX_PER_CHANNEL. */
  readonly maxPerChannel: number;
}

const VERSION_ATTEMPTS = 5;

export class SubscriptionService {
  constructor(
    private readonly store: SubscriptionStore,
    /** Null when the bot speaks v2 to JOB: there is no run list to follow. */
    private readonly catalog: JobCatalog | null,
    private readonly now: () => number,
    private readonly options: SubscriptionServiceOptions,
  ) {}

  get supported(): boolean {
    return this.catalog !== null;
  }

  /** The cron or plan as JOB describes it, read as `actor`; null when JOB has no such id. */
  async describe(actor: BkActor, scope: SubscriptionScope, kind: SubscriptionKind, id: number): Promise<SubscriptionTarget | null> {
    if (!this.catalog) return null;
    if (kind === 'cron') {
      const cron = await this.catalog.getCron(actor, scope, id);
      return cron === null ? null : targetOf('cron', cron);
    }
    const plan = await this.catalog.getJobPlan(actor, scope, id);
    return plan === null ? null : targetOf('plan', plan);
  }

  async subscribe(request: SubscribeRequest): Promise<SubscribeResult> {
    if (!this.catalog) return { kind: 'unsupported' };
    const target = await this.describe(request.actor, request.scope, request.kind, request.targetId);
    if (target === null) return { kind: 'not_found' };
    const existing = (await this.store.listSubscriptionsByChannel(request.channelId)).find((s) => sameTarget(s, request.scope, target));
    if (existing) return { kind: 'duplicate', existing };
    if ((await this.store.countSubscriptionsInChannel(request.channelId)) >= this.options.maxPerChannel) return { kind: 'limit', max: this.options.maxPerChannel };
    const created = await this.store.createSubscription({
      channelId: request.channelId,
      scope: request.scope,
      target,
      subscriberId: request.subscriberId,
      bkUsername: request.bkUsername,
      notifyOn: request.notifyOn,
      digestAt: request.digestAt,
      createdAt: this.now(),
    });
    return created.created ? { kind: 'created', subscription: created.subscription } : { kind: 'duplicate', existing: created.existing };
  }

  /** Ends the channel's subscription `id` (a subscription of another channel is "not found" here). */
  async unsubscribe(channelId: string, id: string): Promise<SubscriptionChange> {
    const sub = await this.store.getSubscription(id);
    if (sub === null || sub.status !== 'active' || sub.channelId !== channelId) return { kind: 'not_found' };
    const ended = await this.store.updateSubscription(id, null, { status: 'ended' });
    return ended === null ? { kind: 'not_found' } : { kind: 'done', subscription: ended };
  }

  /** Mutes the channel's subscription until `now + forMs` (0 unmutes). */
  async mute(channelId: string, id: string, forMs: number, userId: string): Promise<SubscriptionChange> {
    for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt++) {
      const sub = await this.store.getSubscription(id);
      if (sub === null || sub.status !== 'active' || sub.channelId !== channelId) return { kind: 'not_found' };
      const now = this.now();
      // Muting again extends the mute but keeps when it started, so the closing line covers it all.
      const state =
        forMs > 0
          ? { ...sub.state, mutedUntil: now + forMs, mutedAt: sub.state.mutedUntil !== null && sub.state.mutedAt !== null ? sub.state.mutedAt : now, mutedBy: userId }
          : { ...sub.state, mutedUntil: null, mutedAt: null, mutedBy: null };
      const updated = await this.store.updateSubscription(id, sub.version, { state });
      if (updated) return { kind: 'done', subscription: updated };
    }
    throw new Error(`subscription ${id} kept changing while it was muted`);
  }

  /** Crons and plans of the business whose name contains `query` (the subscribe modal's menu), read as `actor`. */
  async search(actor: BkActor, scope: SubscriptionScope, query: string, perKind: number): Promise<{ crons: CronInfo[]; plans: JobPlanInfo[] }> {
    if (!this.catalog) return { crons: [], plans: [] };
    const name = query.trim() === '' ? {} : { name: query.trim().slice(0, 100) };
    const [crons, plans] = await Promise.all([this.catalog.listCrons(actor, scope, { ...name, start: 0, length: perKind }), this.catalog.listJobPlans(actor, scope, { ...name, start: 0, length: perKind })]);
    return { crons: [...crons.items], plans: [...plans.items] };
  }

  get(id: string): Promise<Subscription | null> {
    return this.store.getSubscription(id);
  }

  listChannel(channelId: string): Promise<Subscription[]> {
    return this.store.listSubscriptionsByChannel(channelId);
  }

  listUser(userId: string): Promise<Subscription[]> {
    return this.store.listSubscriptionsBySubscriber(userId);
  }
}

function sameTarget(sub: Subscription, scope: SubscriptionScope, target: SubscriptionTarget): boolean {
  return sub.scope.bizId === scope.bizId && (sub.scope.scopeType ?? 'biz') === (scope.scopeType ?? 'biz') && sub.target.kind === target.kind && sub.target.id === target.id;
}
