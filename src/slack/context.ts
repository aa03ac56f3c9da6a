/**
 * What the Slack listeners are given by the composition root. Listeners stay thin: they ack,
 * parse, call these services, render with `blocks/`, and send.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type WebAPIPlatformError, type WebClient } from '@slack/web-api';
import { isBkJobError } from '../bkjob/errors';
import type { BkActor, JobRef } from '../bkjob/model';
import { type RenderOptions, type RenderSettings, type SlackMessage, renderOptionsFor } from '../blocks/jobSummary';
import { renderBkError, renderInternalError } from '../blocks/replies';
import type { JobService } from '../jobService';
import type { AppLogger } from '../logger';

export interface ListenerDeps extends RenderSettings {
  readonly jobs: JobService;
  /** The BlueKing identity a Slack user acts as. Today every user maps to the configured user. */
  readonly actorFor: (slackUserId: string) => BkActor;
  readonly logger: AppLogger;
  readonly now: () => number;
}

/** Render options for a reply about `ref`, as of now. */
export function replyRenderOptions(deps: ListenerDeps, ref: JobRef, watching: boolean | null): RenderOptions {
  return renderOptionsFor(deps, ref, deps.now(), watching);
}

/**
 * The Slack Web API error code (`not_in_channel`, `ratelimited` …) of a failed call: the
 * WebClient throws a typed platform error (`ErrorCode.PlatformError`) whose `data.error` holds it.
 */
export function slackErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('code' in err) || err.code !== ErrorCode.PlatformError) return undefined;
  const code: unknown = (err as WebAPIPlatformError).data.error;
  return typeof code === 'string' ? code : undefined;
}

/** Errors meaning "the bot cannot post here": not a member of a private channel, or no such channel. */
export const CHANNEL_ACCESS_ERRORS: ReadonlySet<string> = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'cannot_dm_bot']);

/**
 * Turns a failure into the message the user should see: BlueKing's own words for BlueKing
 * errors, an incident reference (logged with the details) for anything else.
 */
export function failureMessage(err: unknown, ref: JobRef, deps: ListenerDeps, context: Record<string, unknown>): SlackMessage {
  if (isBkJobError(err)) {
    deps.logger.warn({ ...context, err, bizId: ref.bizId, jobInstanceId: ref.jobInstanceId }, 'BlueKing call failed');
    return renderBkError(err, ref, deps.lang);
  }
  const incident = incidentId(context.requestId);
  deps.logger.error({ ...context, err, incident, bizId: ref.bizId, jobInstanceId: ref.jobInstanceId }, 'unexpected failure');
  return renderInternalError(deps.lang, incident);
}

/** The reference a user is shown: the request's id when there is one, so it finds the request's log lines. */
export function incidentId(requestId: unknown): string {
  return typeof requestId === 'string' ? requestId : randomUUID().slice(0, 8);
}

/** A short message only the user sees (via the action's or command's response_url). */
export function ephemeral(text: string) {
  return { response_type: 'ephemeral' as const, replace_original: false, text, blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text } }] };
}

/** The DM channel between the bot and a user. */
export async function openDm(client: WebClient, userId: string): Promise<string> {
  const opened = await client.conversations.open({ users: userId });
  const channel = opened.channel?.id;
  if (!channel) throw new Error('conversations.open returned no channel');
  return channel;
}

export type { WebClient };
