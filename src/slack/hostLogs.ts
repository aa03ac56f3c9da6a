/**
 * Host log listeners: a host button or menu choice shows that host's log to the clicking user;
 * "Share in channel" posts it in the job's thread; "Full log" sends the whole log as a file by DM.
 * Every value from the payload is validated before use; logs are fetched fresh at click time.
 */
import type { App, BlockAction, BlockElementAction, RespondFn } from '@slack/bolt';
import { isBkJobError } from '../bkjob/errors';
import { formatHostAddress, type HostLog } from '../bkjob/model';
import { ACTION, HOST_LOG_BUTTON_PATTERN, type HostLogAction, type ShareTarget, decodeHostLogAction, jobRefOfBlockId } from '../blocks/actions';
import { SNIPPET_MAX_CHARS, fullLogComment, fullLogFilename, renderHostLog, searchHostOptions, snippetMeasure } from '../blocks/hostLog';
import { escapeText } from '../blocks/text';
import { messages } from '../i18n';
import { tailLog } from '../summary/logTail';
import { CHANNEL_ACCESS_ERRORS, type ListenerDeps, type WebClient, ephemeral, failureMessage, openDm, slackErrorCode } from './context';

/** Menus must answer within Slack's 3 s: leave room for the round trip. */
const OPTIONS_BUDGET_MS = 2500;
/** A menu's host list may be this old; the log itself is always fetched fresh. */
const OPTIONS_SUMMARY_MAX_AGE_MS = 120_000;
const SNIPPET_LINES = 40;

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

export function registerHostLogActions(app: App, deps: ListenerDeps): void {
  const snippet = (log: HostLog, actions: ShareTarget | null, sharedBy?: string) =>
    renderHostLog(log, tailLog(log.content, { maxLines: SNIPPET_LINES, maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure }), {
      lang: deps.lang,
      offsetMinutes: deps.offsetMinutes,
      actions,
      ...(sharedBy ? { sharedBy } : {}),
    });

  /** Fetches the log, or tells the user why not; null when it could not be had. */
  const fetchLog = async (decoded: HostLogAction, userId: string, respond: RespondFn): Promise<HostLog | null> => {
    try {
      return await deps.jobs.hostLog(deps.actorFor(userId), decoded.ref);
    } catch (err) {
      const message = failureMessage(err, decoded.ref.job, deps, { user: userId, action: 'host_log', ip: decoded.ref.ip });
      // A host that is not (or no longer) in the step is not a job-level failure: say it plainly.
      if (isBkJobError(err) && err.kind === 'not_found') {
        await respond(ephemeral(`${messages(deps.lang).logUnavailable(`\`${escapeText(formatHostAddress(decoded.ref))}\``)}\n${escapeText(messages(deps.lang).bkError(err))}`));
      } else await respond({ response_type: 'ephemeral', replace_original: false, ...message });
      return null;
    }
  };

  const invalid = async (respond: RespondFn, actionId: string) => {
    deps.logger.warn({ actionId }, 'ignoring a host log action with an invalid value');
    await respond(ephemeral(messages(deps.lang).usageProblem('that button is out of date; run `/joblog` again')));
  };

  const showHostLog = async ({ ack, body, action, respond }: { ack: () => Promise<void>; body: BlockAction; action: BlockElementAction; respond: RespondFn }) => {
    await ack();
    const decoded = decodeHostLogAction(actionValue(action));
    if (!decoded) return invalid(respond, action.action_id);
    const log = await fetchLog(decoded, body.user.id, respond);
    if (log) await respond({ response_type: 'ephemeral', replace_original: false, ...snippet(log, shareTargetOf(body)) });
  };

  app.action<BlockAction>(HOST_LOG_BUTTON_PATTERN, showHostLog);
  app.action<BlockAction>(ACTION.hostLogSelect, showHostLog);

  app.options(ACTION.hostLogSelect, async ({ ack, body }) => {
    const ref = jobRefOfBlockId(body.block_id);
    if (!ref) {
      await ack({ options: [] });
      return;
    }
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), OPTIONS_BUDGET_MS).unref());
    const summary = await Promise.race([deps.jobs.recentSummary(deps.actorFor(body.user.id), ref, OPTIONS_SUMMARY_MAX_AGE_MS).catch((err: unknown) => {
      deps.logger.warn({ err, bizId: ref.bizId, jobInstanceId: ref.jobInstanceId }, 'could not load hosts for a menu');
      return null;
    }), timeout]);
    await ack({ options: summary ? searchHostOptions(summary, typeof body.value === 'string' ? body.value : '', deps.lang) : [] });
  });

  /** Slack refused a share or an upload: the user hears why instead of nothing happening. */
  const slackFailed = async (err: unknown, respond: RespondFn, decoded: HostLogAction, userId: string) => {
    const code = slackErrorCode(err);
    if (code && CHANNEL_ACCESS_ERRORS.has(code)) return void (await respond(ephemeral(messages(deps.lang).cannotPostHere)));
    await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, decoded.ref.job, deps, { user: userId, action: 'share_or_upload', slackError: code }) });
  };

  app.action<BlockAction>(ACTION.shareLog, async ({ ack, body, action, respond, client }) => {
    await ack();
    const decoded = decodeHostLogAction(actionValue(action));
    // The share goes where the button was shown: a forged value cannot aim at another channel.
    if (!decoded?.target || decoded.target.channelId !== body.channel?.id) return invalid(respond, action.action_id);
    const log = await fetchLog(decoded, body.user.id, respond);
    if (!log) return;
    const message = snippet(log, null, `<@${body.user.id}>`);
    try {
      await client.chat.postMessage({ channel: decoded.target.channelId, ...(decoded.target.threadTs ? { thread_ts: decoded.target.threadTs } : {}), text: message.text, blocks: message.blocks, unfurl_links: false });
    } catch (err) {
      await slackFailed(err, respond, decoded, body.user.id);
    }
  });

  app.action<BlockAction>(ACTION.fullLog, async ({ ack, body, action, respond, client }) => {
    await ack();
    const decoded = decodeHostLogAction(actionValue(action));
    if (!decoded) return invalid(respond, action.action_id);
    const log = await fetchLog(decoded, body.user.id, respond);
    if (!log) return;
    try {
      await sendFullLog(client, body.user.id, log, deps);
    } catch (err) {
      return slackFailed(err, respond, decoded, body.user.id);
    }
    await respond(ephemeral(messages(deps.lang).fullLogSent));
  });
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
