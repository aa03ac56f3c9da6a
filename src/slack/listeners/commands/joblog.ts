/**
 * `/joblog` listener: ack at once (usage help goes in the ack itself), then do the slow work.
 */
import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { JobRef } from '../../../bkjob/model';
import { renderJobSummary, type SlackMessage } from '../../../blocks/jobSummary';
import { renderInternalError, renderUsage } from '../../../blocks/replies';
import { CHANNEL_ACCESS_ERRORS, type ListenerDeps, type WebClient, actorOrExplain, ephemeral, failureMessage, incidentId, noteIfQueued, replyRenderOptions, slackErrorCode } from '../../context';
import { type AuditSubject, audit, checkPolicy, failureOutcome } from '../../guard';
import { describeProblem, parseJoblogCommand } from '../../parseCommand';
import { type SubscriptionCommands, replyVia } from '../../subscriptionCommands';
import type { WatchCommands } from '../../watchCommands';
import { openOperationModal } from '../views/operationModal';
import { openSubscribeModal } from '../views/subscribeModal';

export interface CommandDeps extends ListenerDeps {
  readonly watches: WatchCommands;
  readonly subscriptions: SubscriptionCommands;
}

/** What the callback uses of Bolt's arguments (tests pass fakes of just these). */
export type CommandArgs = Pick<SlackCommandMiddlewareArgs, 'command' | 'ack' | 'respond'> & Pick<AllMiddlewareArgs, 'client' | 'context'>;

export async function joblogCommand({ command, ack, respond, client, context }: CommandArgs, deps: CommandDeps): Promise<void> {
  // The HTTP gate refuses a form with `text` twice; a non-string here still gets usage help, not a TypeError.
  const text: unknown = command.text;
  const parsed = parseJoblogCommand(typeof text === 'string' ? text : '');
  if (parsed.kind === 'help' || parsed.kind === 'invalid') {
    // Usage help needs no I/O: it goes in the ack itself.
    await ack({ response_type: 'ephemeral', ...renderUsage(deps.lang, parsed.kind === 'invalid' ? describeProblem(parsed.problem, deps.lang) : undefined) });
    return;
  }
  await ack();
  const channelId = command.channel_id;
  const userId = command.user_id;
  try {
    switch (parsed.kind) {
      case 'show':
        return await showJob(parsed.ref, { channelId, userId, requestId: context.requestId }, client, respond, deps);
      case 'watch':
        return await deps.watches.watch({ ref: parsed.ref, notifyOn: parsed.notifyOn, channelId, userId, respond, client, requestId: context.requestId });
      case 'unwatch':
        return await deps.watches.unwatch({ ref: parsed.ref, channelId, userId, respond, client, requestId: context.requestId });
      case 'list':
        return await deps.watches.list({ channelId, userId, respond, subscriptions: await deps.subscriptions.service.listChannel(channelId) });
      case 'subscribe_modal':
        return await openSubscribeModal(client, command.trigger_id, channelId, deps);
      case 'subscribe':
        return await deps.subscriptions.subscribe({ scope: parsed.scope, kind: parsed.target, targetId: parsed.targetId, notifyOn: parsed.notifyOn, digestAt: parsed.digestAt, channelId, userId, reply: replyVia(respond), client, requestId: context.requestId });
      case 'unsubscribe':
        return await deps.subscriptions.unsubscribe({ subscriptionId: parsed.subscriptionId, channelId, userId, reply: replyVia(respond), client });
      case 'operate':
        return await openOperationModal(parsed, { channelId, userId, triggerId: command.trigger_id, requestId: context.requestId }, client, respond, deps);
      case 'mute':
        return await deps.subscriptions.mute({ subscriptionId: parsed.subscriptionId, forMs: parsed.forMs, channelId, userId, reply: replyVia(respond), client });
    }
  } catch (err) {
    // Whatever failed, the user hears about it (with an incident id) instead of silence.
    const incident = incidentId(context.requestId);
    deps.logger.error({ err, incident, channel: channelId, user: userId, command: parsed.kind }, '/joblog failed');
    await respond({ response_type: 'ephemeral', replace_original: false, ...renderInternalError(deps.lang, incident) }).catch(() => undefined);
  }
}

async function showJob(ref: JobRef, who: { channelId: string; userId: string; requestId: unknown }, client: WebClient, respond: RespondFn, deps: CommandDeps): Promise<void> {
  const { channelId, userId } = who;
  const subject = { action: 'lookup', userId, channelId, scope: ref, jobInstanceId: ref.jobInstanceId } satisfies AuditSubject;
  // The channel's policy first: a business this channel may not use is refused before BlueKing is asked.
  const policy = checkPolicy(deps, subject, 'lookup');
  if (!policy.allowed) return void (await respond(ephemeral(policy.text)));
  let message: SlackMessage;
  // Who asks decides what BlueKing shows: an unmapped user is told why, and nothing is fetched.
  const acting = await actorOrExplain(deps, userId, respond);
  if (!acting) return audit(deps, subject, 'unmapped');
  // Others already wait for BlueKing: say so now rather than leave the person wondering.
  await noteIfQueued(deps, acting.actor, respond);
  try {
    const summary = await deps.jobs.summarize(acting.actor, ref);
    const watching = await deps.watches.isWatching(channelId, ref);
    message = renderJobSummary(summary, replyRenderOptions(deps, ref, watching));
  } catch (err) {
    const failed = failureOutcome(err);
    audit(deps, subject, failed.outcome, acting.bkUsername, failed.detail);
    await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, ref, deps, { channel: channelId, user: userId, requestId: who.requestId }, acting) });
    return;
  }
  audit(deps, subject, 'ok', acting.bkUsername);
  // A channel whose policy keeps summaries private: only the person who asked sees it.
  if (!policy.postInChannel) return void (await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks }));
  await postInChannel(channelId, message, client, respond);
}

/**
 * Posts as the bot so the message can be updated and threaded later; where the bot may not post
 * (a private channel it is not in, a DM), the command's response_url still can.
 */
export async function postInChannel(channelId: string, message: SlackMessage, client: WebClient, respond: RespondFn): Promise<string | null> {
  try {
    const result = await client.chat.postMessage({ channel: channelId, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
    return result.ts ?? null;
  } catch (err) {
    const code = slackErrorCode(err);
    if (code === undefined || !CHANNEL_ACCESS_ERRORS.has(code)) throw err;
    await respond({ response_type: 'in_channel', replace_original: false, text: message.text, blocks: message.blocks });
    return null;
  }
}
