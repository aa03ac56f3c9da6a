/**
 * Slack side of watches: turns WatchService results into replies. Shared by `/joblog watch …`
 * and the Watch / Stop watching buttons.
 */
import type { RespondFn } from '@slack/bolt';
import { type JobRef, scopeText } from '../bkjob/model';
import { renderJobSummary } from '../blocks/jobSummary';
import { renderSubscriptionList } from '../blocks/subscription';
import { renderWatchList } from '../blocks/watch';
import { LIMITS, escapeText } from '../blocks/text';
import { messages } from '../i18n';
import { subscriptionMessages } from '../i18n/subscriptionMessages';
import type { WatchService } from '../watch/service';
import type { Subscription } from '../watch/subscriptionTypes';
import type { NotifyOn } from '../watch/types';
import { type AuditSubject, audit, checkPolicy, failureOutcome } from './guard';
import { type ListenerDeps, type MappedActor, type WebClient, ephemeral, failureMessage, noteIfQueued, replyRenderOptions, resolvedActor, unmappedText } from './context';

export interface WatchRequest {
  readonly ref: JobRef;
  readonly notifyOn: NotifyOn;
  readonly channelId: string;
  readonly userId: string;
  readonly respond: RespondFn;
  readonly client: WebClient;
  /** Set when the request came from a summary message's button: that message gets the new button state. */
  readonly fromSummaryMessage?: boolean;
  /** The Slack request's id, shown as the incident reference if something fails. */
  readonly requestId?: unknown;
}

export interface UnwatchRequest {
  readonly ref: JobRef;
  readonly channelId: string;
  readonly userId: string;
  readonly respond: RespondFn;
  readonly client: WebClient;
  readonly requestId?: unknown;
}

export class WatchCommands {
  constructor(
    private readonly service: WatchService,
    private readonly deps: ListenerDeps,
  ) {}

  async watch(request: WatchRequest): Promise<void> {
    const m = messages(this.deps.lang);
    const { respond, ref } = request;
    let acting: MappedActor | undefined;
    const subject = { action: 'watch', userId: request.userId, channelId: request.channelId, scope: ref, jobInstanceId: ref.jobInstanceId } satisfies AuditSubject;
    const policy = checkPolicy(this.deps, subject, 'watch');
    if (!policy.allowed) return void (await respond(ephemeral(policy.text)));
    if (!policy.postInChannel) {
      audit(this.deps, subject, 'refused', null, 'policy: post_in_channel false');
      return void (await respond(ephemeral(subscriptionMessages(this.deps.lang).privateChannel)));
    }
    try {
      // The watch polls as its creator's BlueKing user (stored with it); an unmapped user cannot create one.
      const resolved = await resolvedActor(this.deps, request.userId);
      if (resolved.kind === 'unmapped') {
        audit(this.deps, subject, 'unmapped');
        return void (await respond(ephemeral(unmappedText(this.deps, resolved, request.userId))));
      }
      acting = resolved;
      await noteIfQueued(this.deps, resolved.actor, respond);
      const result = await this.service.subscribe({ channelId: request.channelId, ref, subscriberId: request.userId, notifyOn: request.notifyOn, actor: resolved.actor, bkUsername: resolved.bkUsername });
      audit(this.deps, subject, result.kind === 'created' || result.kind === 'resumed' ? 'ok' : 'refused', resolved.bkUsername, result.kind === 'created' ? null : result.kind);
      switch (result.kind) {
        case 'created':
          this.deps.logger.info({ watchId: result.watch.id, channel: request.channelId, user: request.userId, bizId: ref.bizId, jobInstanceId: ref.jobInstanceId }, 'watch created');
          if (request.fromSummaryMessage) await respond({ replace_original: true, ...renderJobSummary(result.summary, replyRenderOptions(this.deps, ref, true)) });
          if (result.statusPending) await respond(ephemeral(m.watchStatusDelayed(escapeText(m.jobInline(null, scopeText(ref), ref.jobInstanceId)))));
          return;
        case 'resumed':
          this.deps.logger.info({ watchId: result.watch.id, channel: request.channelId, user: request.userId }, 'watch resumed');
          await respond(ephemeral(m.watchResumed(escapeText(m.jobInline(null, scopeText(ref), ref.jobInstanceId)))));
          return;
        case 'duplicate':
          await respond(ephemeral(m.alreadyWatching(`<@${result.existing.subscriberId}>`)));
          return;
        case 'limit':
          await respond(ephemeral(m.watchLimit(result.max)));
          return;
        case 'finished':
          await respond({ response_type: 'ephemeral', replace_original: false, ...renderJobSummary(result.summary, replyRenderOptions(this.deps, ref, null)) });
          await respond(ephemeral(m.alreadyFinished(m.jobState[result.summary.state])));
          return;
        case 'no_access':
          await respond(ephemeral(m.cannotPostHere));
          return;
      }
    } catch (err) {
      const failed = failureOutcome(err);
      audit(this.deps, subject, failed.outcome, acting?.bkUsername ?? null, failed.detail);
      await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, ref, this.deps, { channel: request.channelId, user: request.userId, action: 'watch', requestId: request.requestId }, acting) });
    }
  }

  async unwatch(request: UnwatchRequest): Promise<void> {
    const m = messages(this.deps.lang);
    try {
      const result = await this.service.unsubscribe(request.channelId, request.ref, request.userId);
      audit(this.deps, { action: 'unwatch', userId: request.userId, channelId: request.channelId, scope: request.ref, jobInstanceId: request.ref.jobInstanceId }, result.kind === 'not_watching' ? 'refused' : 'ok', null, result.kind === 'not_watching' ? 'not_watching' : null);
      if (result.kind === 'not_watching') {
        await request.respond(ephemeral(m.notWatching(scopeText(request.ref), request.ref.jobInstanceId)));
        return;
      }
      this.deps.logger.info({ watchId: result.watch.id, channel: request.channelId, user: request.userId }, 'watch stopped');
      await request.respond(ephemeral(m.unwatchedReply(m.jobInline(null, scopeText(request.ref), request.ref.jobInstanceId))));
    } catch (err) {
      await request.respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, request.ref, this.deps, { channel: request.channelId, user: request.userId, action: 'unwatch', requestId: request.requestId }) });
    }
  }

  /** `/joblog list`: the channel's watches, then its subscriptions (given by the caller). */
  async list(request: { channelId: string; userId: string; respond: RespondFn; subscriptions?: readonly Subscription[] }): Promise<void> {
    const watches = await this.service.listChannel(request.channelId);
    const subscriptions = request.subscriptions ?? [];
    const list = renderWatchList(watches, this.deps.now(), this.deps.lang, subscriptions.length > 0);
    const more = renderSubscriptionList(subscriptions, this.deps.lang, this.deps.offsetMinutes, this.deps.now());
    const blocks = [...list.blocks, ...more].slice(0, LIMITS.blocksPerMessage);
    await request.respond({ response_type: 'ephemeral', replace_original: false, text: list.text, blocks });
  }

  isWatching(channelId: string, ref: JobRef): Promise<boolean> {
    return this.service.isWatching(channelId, ref);
  }
}
