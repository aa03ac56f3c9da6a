/**
 * Slack side of subscriptions: turns SubscriptionService results into replies. Shared by
 * `/joblog subscribe|unsubscribe|mute`, the subscribe modal and the Mute / Stop buttons.
 * What changes a channel's subscriptions is said in the channel (who did it); refusals privately.
 */
import type { RespondFn } from '@slack/bolt';
import { scopeText } from '../bkjob/model';
import { type SlackMessage } from '../blocks/jobSummary';
import { renderSubscribed, targetText } from '../blocks/subscription';
import { slackDate } from '../blocks/text';
import { messages } from '../i18n';
import { subscriptionMessages } from '../i18n/subscriptionMessages';
import type { SubscriptionService } from '../watch/subscriptionService';
import type { SubscriptionKind, SubscriptionScope } from '../watch/subscriptionTypes';
import type { NotifyOn } from '../watch/types';
import { type AuditSubject, audit, checkPolicy, failureOutcome } from './guard';
import { type ListenerDeps, type MappedActor, type WebClient, CHANNEL_ACCESS_ERRORS, ephemeral, failureMessage, noteIfQueued, resolvedActor, slackErrorCode, unmappedText } from './context';

/** Where a reply goes: a command's or button's `respond`, or a DM-less private note (the modal). */
export type Reply = (message: ReturnType<typeof ephemeral> | (SlackMessage & { response_type: 'ephemeral' | 'in_channel'; replace_original: false })) => Promise<unknown>;

export interface SubscribeRequest {
  readonly scope: SubscriptionScope;
  readonly kind: SubscriptionKind;
  readonly targetId: number;
  readonly notifyOn: NotifyOn;
  readonly digestAt: string | null;
  readonly channelId: string;
  readonly userId: string;
  readonly reply: Reply;
  readonly client: WebClient;
  readonly requestId?: unknown;
}

export interface SubscriptionChangeRequest {
  readonly subscriptionId: string;
  readonly channelId: string;
  readonly userId: string;
  readonly reply: Reply;
  readonly client: WebClient;
}

export class SubscriptionCommands {
  constructor(
    readonly service: SubscriptionService,
    private readonly deps: ListenerDeps,
  ) {}

  async subscribe(request: SubscribeRequest): Promise<void> {
    const s = subscriptionMessages(this.deps.lang);
    const { reply, scope } = request;
    if (!this.service.supported) return void (await reply(ephemeral(s.needsV3)));
    const subject = { action: 'subscribe', userId: request.userId, channelId: request.channelId, scope } satisfies AuditSubject;
    const policy = checkPolicy(this.deps, subject, 'subscribe');
    if (!policy.allowed) return void (await reply(ephemeral(policy.text)));
    if (!policy.postInChannel) {
      audit(this.deps, subject, 'refused', null, 'policy: post_in_channel false');
      return void (await reply(ephemeral(subscriptionMessages(this.deps.lang).privateChannel)));
    }
    let acting: MappedActor | undefined;
    try {
      // Runs are listed and polled as the subscriber's BlueKing user: an unmapped user cannot subscribe.
      const resolved = await resolvedActor(this.deps, request.userId);
      if (resolved.kind === 'unmapped') {
        audit(this.deps, subject, 'unmapped');
        return void (await reply(ephemeral(unmappedText(this.deps, resolved, request.userId))));
      }
      acting = resolved;
      await noteIfQueued(this.deps, resolved.actor, reply);
      const result = await this.service.subscribe({ ...request, subscriberId: request.userId, actor: resolved.actor, bkUsername: resolved.bkUsername });
      audit(this.deps, subject, result.kind === 'created' ? 'ok' : 'refused', resolved.bkUsername, `${request.kind} ${request.targetId}${result.kind === 'created' ? '' : `: ${result.kind}`}`);
      switch (result.kind) {
        case 'created': {
          this.deps.logger.info({ subscriptionId: result.subscription.id, channel: request.channelId, user: request.userId, bizId: scope.bizId, kind: request.kind, targetId: request.targetId }, 'subscription created');
          let posted: boolean;
          try {
            posted = await this.postInChannel(request.channelId, renderSubscribed(result.subscription, this.deps.lang, this.deps.offsetMinutes), request.client);
          } catch (err) {
            // Slack failed otherwise (rate limit, network): undo, so trying again is not "already subscribed".
            await this.service.unsubscribe(request.channelId, result.subscription.id);
            throw err;
          }
          if (!posted) {
            // Runs could never be announced there: undo, and say how to fix it.
            await this.service.unsubscribe(request.channelId, result.subscription.id);
            await reply(ephemeral(messages(this.deps.lang).cannotPostHere));
          }
          return;
        }
        case 'duplicate':
          await reply(ephemeral(s.alreadySubscribed(`<@${result.existing.subscriberId}>`, result.existing.id)));
          return;
        case 'limit':
          await reply(ephemeral(s.subscriptionLimit(result.max)));
          return;
        case 'not_found':
          await reply(ephemeral(s.targetNotFound(request.kind, request.targetId, scopeText(scope))));
          return;
        case 'unsupported':
          await reply(ephemeral(s.needsV3));
          return;
      }
    } catch (err) {
      const failed = failureOutcome(err);
      audit(this.deps, subject, failed.outcome, acting?.bkUsername ?? null, `${request.kind} ${request.targetId}: ${failed.detail ?? ''}`);
      const headline = s.couldNotCheck(request.kind, request.targetId, scopeText(scope));
      await reply({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, { ...scope, headline }, this.deps, { channel: request.channelId, user: request.userId, action: 'subscribe', requestId: request.requestId }, acting) });
    }
  }

  async unsubscribe(request: SubscriptionChangeRequest): Promise<void> {
    const s = subscriptionMessages(this.deps.lang);
    const result = await this.service.unsubscribe(request.channelId, request.subscriptionId);
    const subject = { action: 'unsubscribe', userId: request.userId, channelId: request.channelId } satisfies AuditSubject;
    if (result.kind === 'not_found') {
      audit(this.deps, subject, 'refused', null, `${request.subscriptionId}: not_found`);
      return void (await request.reply(ephemeral(s.notSubscribed(request.subscriptionId))));
    }
    const sub = result.subscription;
    audit(this.deps, { ...subject, scope: sub.scope }, 'ok', null, `${sub.target.kind} ${sub.target.id} (${sub.id})`);
    this.deps.logger.info({ subscriptionId: sub.id, channel: request.channelId, user: request.userId }, 'subscription ended');
    const text = s.unsubscribed(targetText(this.deps.lang, sub.scope, sub.target), `<@${request.userId}>`);
    await this.tellChannel(request.channelId, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }, request.client, request.reply);
  }

  async mute(request: SubscriptionChangeRequest & { readonly forMs: number }): Promise<void> {
    const s = subscriptionMessages(this.deps.lang);
    const result = await this.service.mute(request.channelId, request.subscriptionId, request.forMs, request.userId);
    const subject = { action: 'mute', userId: request.userId, channelId: request.channelId } satisfies AuditSubject;
    if (result.kind === 'not_found') {
      audit(this.deps, subject, 'refused', null, `${request.subscriptionId}: not_found`);
      return void (await request.reply(ephemeral(s.notSubscribed(request.subscriptionId))));
    }
    const sub = result.subscription;
    audit(this.deps, { ...subject, scope: sub.scope }, 'ok', null, `${sub.id} ${request.forMs === 0 ? 'unmuted' : `for ${request.forMs} ms`}`);
    const target = targetText(this.deps.lang, sub.scope, sub.target);
    const until = sub.state.mutedUntil;
    this.deps.logger.info({ subscriptionId: sub.id, channel: request.channelId, user: request.userId, mutedUntil: until }, until === null ? 'subscription unmuted' : 'subscription muted');
    const text = until === null ? s.unmuted(target, `<@${request.userId}>`) : s.muted(target, slackDate(until, this.deps.offsetMinutes, '{date_short_pretty} {time}'), `<@${request.userId}>`);
    await this.tellChannel(request.channelId, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }, request.client, request.reply);
  }

  /** Said in the channel as the bot; where the bot may not post, the reply URL still can. */
  private async tellChannel(channelId: string, message: SlackMessage, client: WebClient, reply: Reply): Promise<void> {
    if (!(await this.postInChannel(channelId, message, client))) await reply({ response_type: 'in_channel', replace_original: false, ...message });
  }

  /** False when the bot may not post in the channel (not a member, archived …). */
  private async postInChannel(channelId: string, message: SlackMessage, client: WebClient): Promise<boolean> {
    try {
      await client.chat.postMessage({ channel: channelId, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
      return true;
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === undefined || !CHANNEL_ACCESS_ERRORS.has(code)) throw err;
      return false;
    }
  }
}

/** A command's `respond` as a Reply. */
export function replyVia(respond: RespondFn): Reply {
  return (message) => respond(message);
}
