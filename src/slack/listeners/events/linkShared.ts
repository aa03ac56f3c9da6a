import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ChatUnfurlArguments, LinkUnfurls } from '@slack/web-api';
import { jobConsoleUrl } from '../../../bkjob/console';
import { type JobConsoleLink, parseJobConsoleLink } from '../../../bkjob/consoleLinks';
import { type BkActor, type JobRef, scopeText } from '../../../bkjob/model';
import { renderJobUnfurl } from '../../../blocks/unfurl';
import type { JobSummary } from '../../../summary/types';
import type { WatchService } from '../../../watch/service';
import { type ListenerDeps, resolvedActor } from '../../context';
import { type AuditSubject, audit, checkPolicy, failureOutcome } from '../../guard';

export interface LinkSharedDeps extends ListenerDeps {
  readonly watchService: Pick<WatchService, 'watchedRef'>;
}

export type LinkSharedArgs = Pick<SlackEventMiddlewareArgs<'link_shared'>, 'event'> & Pick<AllMiddlewareArgs, 'client'>;

/** Links unfurled per message at most: each costs a BlueKing call (Slack sends few anyway). */
const MAX_LINKS = 5;

/**
 * The job a link names: its own business for console pages; for `/api_execute/<id>` links (no
 * business), the one a watch in this channel or the user's recent lookups know, else null (the
 * link is left alone rather than guessed at).
 */
async function refOf(link: JobConsoleLink, channel: string, actor: BkActor, deps: LinkSharedDeps): Promise<JobRef | null> {
  if (link.scope) return { bizId: link.scope.id, jobInstanceId: link.jobInstanceId, ...(link.scope.type === 'biz_set' ? { scopeType: 'biz_set' as const } : {}) };
  return (await deps.watchService.watchedRef(channel, link.jobInstanceId)) ?? deps.jobs.recentRef(actor, link.jobInstanceId);
}

/**
 * Someone pasted links on an unfurl domain: each that is a JOB console link (BK_JOB_WEB_URL's host
 * and path) is unfurled with the job's state and why it failed, fetched as the user who pasted it
 * (so nobody sees a job through the link they could not open with /joblog). Bolt acknowledges the
 * event before this runs; failures are logged and that link simply stays a plain link.
 */
export async function linkShared({ event, client }: LinkSharedArgs, deps: LinkSharedDeps): Promise<void> {
  const base = deps.jobWebUrl;
  if (!base) return;
  const links = event.links.flatMap(({ url }) => {
    const link = parseJobConsoleLink(url, base);
    return link ? [{ url, link }] : [];
  });
  if (links.length === 0) return;
  // An unfurl is a courtesy: while people wait for BlueKing it does not join the line, the link stays plain.
  if (deps.bkQueue?.saturated()) {
    deps.logger.info({ channel: event.channel, waiting: deps.bkQueue.waiting() }, "JOB links not unfurled: BlueKing is busy with people's requests");
    return;
  }
  const resolved = await resolvedActor(deps, event.user);
  if (resolved.kind !== 'mapped') return;
  const unfurls: LinkUnfurls = {};
  // Two links to one job (its page and a step's) cost one BlueKing call.
  const fetches = new Map<string, Promise<JobSummary>>();
  const summaryOf = (ref: JobRef): Promise<JobSummary> => {
    const key = `${scopeText(ref)}:${ref.jobInstanceId}`;
    let fetch = fetches.get(key);
    if (!fetch) fetches.set(key, (fetch = deps.jobs.summarize(resolved.actor, ref)));
    return fetch;
  };
  await Promise.all(
    links.slice(0, MAX_LINKS).map(async ({ url, link }) => {
      let subject: (AuditSubject & { scope: JobRef }) | null = null;
      try {
        const ref = await refOf(link, event.channel, resolved.actor, deps);
        if (!ref) return;
        subject = { action: 'unfurl', userId: event.user, channelId: event.channel, scope: ref, jobInstanceId: ref.jobInstanceId };
        // Within the channel policy: a business the channel may not use, or summaries kept private there, stay plain links.
        const policy = checkPolicy(deps, subject, 'unfurl');
        if (!policy.allowed || !policy.postInChannel) return;
        const summary = await summaryOf(ref);
        unfurls[url] = renderJobUnfurl(summary, { lang: deps.lang, jobUrl: jobConsoleUrl(base, ref), stepInstanceId: link.stepInstanceId });
        audit(deps, subject, 'ok', resolved.bkUsername);
      } catch (err) {
        if (subject) {
          const failed = failureOutcome(err);
          audit(deps, subject, failed.outcome, resolved.bkUsername, failed.detail);
        }
        deps.logger.info({ err, jobInstanceId: link.jobInstanceId, user: event.user }, 'JOB link not unfurled');
      }
    }),
  );
  if (Object.keys(unfurls).length === 0) return;
  // Links in a message being written (composer) are unfurled by their unfurl_id; sent ones by channel and ts.
  const source = event.source === 'composer' || event.source === 'conversations_history' ? event.source : undefined;
  const args: ChatUnfurlArguments = event.unfurl_id !== undefined && source !== undefined ? { unfurl_id: event.unfurl_id, source, unfurls } : { channel: event.channel, ts: event.message_ts, unfurls };
  try {
    await client.chat.unfurl(args);
  } catch (err) {
    deps.logger.warn({ err, channel: event.channel }, 'chat.unfurl failed');
  }
}
