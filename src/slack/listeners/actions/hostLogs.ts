/**
 * Host log listeners: a host button or menu choice shows that host's log to the clicking user;
 * "Share in channel" posts it in the job's thread; "Full log" sends the whole log as a file by DM.
 * Every value from the payload is validated before use; logs are fetched fresh at click time.
 */
import type { AllMiddlewareArgs, BlockAction, BlockElementAction, RespondFn, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isBkJobError } from '../../../bkjob/errors';
import { formatHostAddress, type HostLog } from '../../../bkjob/model';
import { type HostLogAction, type ShareTarget, decodeHostLogAction } from '../../../blocks/actions';
import { SNIPPET_MAX_CHARS, fullLogComment, fullLogFilename, renderHostLog, snippetMeasure } from '../../../blocks/hostLog';
import { escapeText } from '../../../blocks/text';
import { messages } from '../../../i18n';
import { tailLog } from '../../../summary/logTail';
import { type AuditSubject, audit, checkPolicy, failureOutcome } from '../../guard';
import { CHANNEL_ACCESS_ERRORS, type ListenerDeps, type WebClient, actorOrExplain, ephemeral, failureMessage, noteIfQueued, openDm, slackErrorCode } from '../../context';

const SNIPPET_LINES = 40;

/** What the callbacks use of Bolt's arguments (tests pass fakes of just these). */
export type HostLogArgs = Pick<SlackActionMiddlewareArgs<BlockAction>, 'ack' | 'body' | 'action' | 'respond'> & Pick<AllMiddlewareArgs, 'client' | 'context'>;

/** The value a host control carries: a button's value or a menu's selected option. */
function actionValue(action: BlockElementAction): unknown {
  if (action.type === 'button') return action.value;
  if (action.type === 'static_select' || action.type === 'external_select') return action.selected_option?.value;
  return undefined;
}

/** Shares go to the thread of the message the button sat on (or that message's own thread). */
function shareTargetOf(body: BlockAction): ShareTarget | null {
  const channelId = body.channel?.id;
  if (!channelId) return null;
  const container = body.container as { message_ts?: unknown; is_ephemeral?: unknown } | undefined;
  const messageTs = typeof container?.message_ts === 'string' && container.is_ephemeral !== true ? container.message_ts : null;
  const threadTs = typeof body.message?.thread_ts === 'string' ? body.message.thread_ts : messageTs;
  return { channelId, threadTs };
}

function snippet(deps: ListenerDeps, log: HostLog, actions: ShareTarget | null, sharedBy?: string) {
  return renderHostLog(log, tailLog(log.content, { maxLines: SNIPPET_LINES, maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure }), {
    lang: deps.lang,
    offsetMinutes: deps.offsetMinutes,
    actions,
    ...(sharedBy ? { sharedBy } : {}),
  });
}

/**
 * Fetches the log as the clicking user (whoever posted or watches the message), or tells them why
 * not; null when it could not be had. An unmapped clicker gets nothing from BlueKing.
 */
async function fetchLog(deps: ListenerDeps, decoded: HostLogAction, who: { userId: string; channelId: string | null; action: 'log_view' | 'share' | 'file_download' }, respond: RespondFn, requestId: unknown): Promise<HostLog | null> {
  const { userId } = who;
  const job = decoded.ref.job;
  const subject = { action: who.action, userId, channelId: who.channelId, scope: job, jobInstanceId: job.jobInstanceId } satisfies AuditSubject;
  const policy = checkPolicy(deps, subject, 'lookup');
  if (!policy.allowed) {
    await respond(ephemeral(policy.text));
    return null;
  }
  const acting = await actorOrExplain(deps, userId, respond);
  if (!acting) {
    audit(deps, subject, 'unmapped');
    return null;
  }
  await noteIfQueued(deps, acting.actor, respond);
  try {
    const log = await deps.jobs.hostLog(acting.actor, decoded.ref);
    // Which host, never what its log says.
    audit(deps, subject, 'ok', acting.bkUsername, `step ${decoded.ref.stepInstanceId} host ${formatHostAddress(decoded.ref)}`);
    return log;
  } catch (err) {
    const failed = failureOutcome(err);
    audit(deps, subject, failed.outcome, acting.bkUsername, failed.detail);
    // A host that is not (or no longer) in the step is not a job-level failure: say it plainly.
    if (isBkJobError(err) && err.kind === 'not_found') {
      const m = messages(deps.lang);
      await respond(ephemeral(`${m.logUnavailable(`\`${escapeText(formatHostAddress(decoded.ref))}\``)}\n${escapeText(m.bkError(err))}`));
    } else {
      const message = failureMessage(err, decoded.ref.job, deps, { user: userId, action: 'host_log', ip: decoded.ref.ip, requestId }, acting);
      await respond({ response_type: 'ephemeral', replace_original: false, ...message });
    }
    return null;
  }
}

async function invalid(deps: ListenerDeps, respond: RespondFn, actionId: string): Promise<void> {
  deps.logger.warn({ actionId }, 'ignoring a host log action with an invalid value');
  await respond(ephemeral(messages(deps.lang).usageProblem(messages(deps.lang).staleButton)));
}

/** Slack refused a share or an upload: the user hears why instead of nothing happening. */
async function slackFailed(deps: ListenerDeps, err: unknown, respond: RespondFn, decoded: HostLogAction, userId: string, requestId: unknown, where: 'channel' | 'dm'): Promise<void> {
  const code = slackErrorCode(err);
  const m = messages(deps.lang);
  if (code && CHANNEL_ACCESS_ERRORS.has(code)) return void (await respond(ephemeral(where === 'dm' ? m.cannotDmYou : m.cannotPostHere)));
  await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, decoded.ref.job, deps, { user: userId, action: 'share_or_upload', slackError: code, requestId }) });
}

/** A host button or a host menu choice: that host's log, shown only to the clicking user. */
export async function showHostLog({ ack, body, action, respond, context }: HostLogArgs, deps: ListenerDeps): Promise<void> {
  await ack();
  const decoded = decodeHostLogAction(actionValue(action));
  if (!decoded) return invalid(deps, respond, action.action_id);
  const log = await fetchLog(deps, decoded, { userId: body.user.id, channelId: body.channel?.id ?? null, action: 'log_view' }, respond, context.requestId);
  if (log) await respond({ response_type: 'ephemeral', replace_original: false, ...snippet(deps, log, shareTargetOf(body)) });
}

/** "Share in channel": the snippet, posted where the button was shown (a forged value cannot aim elsewhere). */
export async function shareHostLog({ ack, body, action, respond, client, context }: HostLogArgs, deps: ListenerDeps): Promise<void> {
  await ack();
  const decoded = decodeHostLogAction(actionValue(action));
  if (!decoded?.target || decoded.target.channelId !== body.channel?.id) return invalid(deps, respond, action.action_id);
  const log = await fetchLog(deps, decoded, { userId: body.user.id, channelId: decoded.target.channelId, action: 'share' }, respond, context.requestId);
  if (!log) return;
  const message = snippet(deps, log, null, `<@${body.user.id}>`);
  try {
    await client.chat.postMessage({ channel: decoded.target.channelId, ...(decoded.target.threadTs ? { thread_ts: decoded.target.threadTs } : {}), text: message.text, blocks: message.blocks, unfurl_links: false });
  } catch (err) {
    await slackFailed(deps, err, respond, decoded, body.user.id, context.requestId, 'channel');
  }
}

/** "Full log": the whole log as a file in a DM with the clicking user. */
export async function sendFullHostLog({ ack, body, action, respond, client, context }: HostLogArgs, deps: ListenerDeps): Promise<void> {
  await ack();
  const decoded = decodeHostLogAction(actionValue(action));
  if (!decoded) return invalid(deps, respond, action.action_id);
  const log = await fetchLog(deps, decoded, { userId: body.user.id, channelId: body.channel?.id ?? null, action: 'file_download' }, respond, context.requestId);
  if (!log) return;
  try {
    await sendFullLog(client, body.user.id, log, deps);
  } catch (err) {
    return slackFailed(deps, err, respond, decoded, body.user.id, context.requestId, 'dm');
  }
  await respond(ephemeral(messages(deps.lang).fullLogSent));
}

/** Uploads the whole log as a text file in a DM: it can be megabytes, and may hold things not meant for the channel. */
async function sendFullLog(client: WebClient, userId: string, log: HostLog, deps: ListenerDeps): Promise<void> {
  const channel = await openDm(client, userId);
  await client.filesUploadV2({
    channel_id: channel,
    file: Buffer.from(log.content, 'utf8'),
    filename: fullLogFilename(log),
    title: fullLogFilename(log),
    initial_comment: fullLogComment(log, deps.lang),
  });
}
