/**
 * What the Slack listeners are given by the composition root. Listeners stay thin: they ack,
 * parse, call these services, render with `blocks/`, and send.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type WebAPIPlatformError, type WebClient } from '@slack/web-api';
import { BkJobError, isBkJobError } from '../bkjob/errors';
import type { ActorResolution, ResolveActor } from '../bkjob/identity';
import type { BkActor, JobRef } from '../bkjob/model';
import { queueOwner } from '../bkjob/transport';
import { type RenderOptions, type RenderSettings, type SlackMessage, renderOptionsFor } from '../blocks/jobSummary';
import { renderBkError, renderInternalError } from '../blocks/replies';
import { inlineCode } from '../blocks/text';
import { messages } from '../i18n';
import type { JobService } from '../jobService';
import type { AppLogger } from '../logger';
import type { GuardDeps } from './guard';

export interface ListenerDeps extends RenderSettings, GuardDeps {
  readonly jobs: JobService;
  /** The BlueKing user a Slack user acts as (BK_USER_MAPPING), or why there is none. */
  readonly resolveActor: ResolveActor;
  readonly logger: AppLogger;
  readonly now: () => number;
  /** The people's BlueKing budget (BK_PEOPLE_CONCURRENCY, BK_PEOPLE_QUEUE), read only; absent: calls never wait. */
  readonly bkQueue?: BkQueueView;
}

/** What the listeners may know of the people's BlueKing budget: how busy it is, nothing to run. */
export interface BkQueueView {
  /** Requests waiting for a slot now. */
  waiting(): number;
  /** Every slot is taken: a new request would wait its turn. */
  saturated(): boolean;
  /**
   * A new request would be refused at once (the `busy` error): the waiting line is full, or
   * `owner`'s share of it (`queueOwner` of the acting BlueKing user).
   */
  full(owner?: string): boolean;
}

/**
 * Right before a person's request asks BlueKing (after every check that could refuse it): when
 * others already wait for the people's budget, a private note says so and how many wait, then
 * the request goes on as usual. A line (or the person's share of it) that is full says nothing
 * here: the request is refused at once and its `busy` error answers.
 */
export async function noteIfQueued(deps: ListenerDeps, actor: BkActor, respond: (message: ReturnType<typeof ephemeral>) => Promise<unknown>): Promise<void> {
  const queue = deps.bkQueue;
  if (!queue || queue.full(queueOwner(actor))) return;
  const waiting = queue.waiting();
  if (waiting === 0) return;
  await respond(ephemeral(messages(deps.lang).bkQueued(waiting))).catch((err: unknown) => deps.logger.warn({ err }, 'could not send the queued note'));
}

/**
 * The clicking or typing user's BlueKing actor, resolved before anything is asked of BlueKing.
 * An unmapped user is told privately why and how to get a mapping; null then, and the caller stops.
 */
export async function actorOrExplain(deps: ListenerDeps, slackUserId: string, respond: (message: ReturnType<typeof ephemeral>) => Promise<unknown>): Promise<MappedActor | null> {
  const resolved = await resolvedActor(deps, slackUserId);
  if (resolved.kind === 'mapped') return resolved;
  await respond(ephemeral(unmappedText(deps, resolved, slackUserId)));
  return null;
}

export type MappedActor = Extract<ActorResolution, { kind: 'mapped' }>;

/** The resolution, logged when unmapped (the user id and why; never the email). */
export async function resolvedActor(deps: ListenerDeps, slackUserId: string): Promise<ActorResolution> {
  const resolved = await deps.resolveActor(slackUserId);
  if (resolved.kind === 'unmapped') deps.logger.info({ user: slackUserId, mode: resolved.reason.mode, why: resolved.reason.why }, 'Slack user has no BlueKing user; nothing fetched');
  return resolved;
}

export function unmappedText(deps: ListenerDeps, resolved: Extract<ActorResolution, { kind: 'unmapped' }>, slackUserId: string): string {
  const { reason } = resolved;
  return messages(deps.lang).unmapped(reason, reason.email === undefined ? undefined : inlineCode(reason.email), inlineCode(slackUserId));
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
export function failureMessage(err: unknown, about: JobRef | (Pick<JobRef, 'bizId' | 'scopeType'> & { readonly headline: string }), deps: ListenerDeps, context: Record<string, unknown>, actingAs?: MappedActor): SlackMessage {
  const where = { bizId: about.bizId, ...('jobInstanceId' in about ? { jobInstanceId: about.jobInstanceId } : {}) };
  if (isBkJobError(err)) {
    deps.logger.warn({ ...context, err, ...where }, 'BlueKing call failed');
    return renderBkError(namingUser(err, actingAs), about, deps.lang);
  }
  const incident = incidentId(context.requestId);
  deps.logger.error({ ...context, err, incident, ...where }, 'unexpected failure');
  return renderInternalError(deps.lang, incident);
}

/**
 * A user acting as themselves hears whose BlueKing permission is missing ("BlueKing user `alice`
 * lacks …"); with the shared configured user (bkUsername null) the reply keeps "the bot's user".
 */
function namingUser(err: BkJobError, actingAs: MappedActor | undefined): BkJobError {
  const username = actingAs?.bkUsername;
  if (!username || err.username !== undefined) return err;
  const { kind, code, bkMessage, requestId, missingPermissions, bkCode, parameter } = err;
  return new BkJobError(err.message, { kind, code, bkMessage, requestId, missingPermissions, bkCode, parameter, username });
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
