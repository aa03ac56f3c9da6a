/**
 * Acting on a job from Slack, as the clicking person's own BlueKing user: the channel policy
 * (may this channel act, may this person), one operation per click across replicas (a claim in
 * the store), the call, and the result: a line in the job's thread for everyone, refusals in
 * plain words for the clicker alone. The job is followed from there so the outcome is reported.
 */
import type { RespondFn } from '@slack/bolt';
import { BK_ERROR_CODES, isBkJobError } from '../bkjob/errors';
import type { JobOperator } from '../bkjob/operate';
import { scopeText } from '../bkjob/model';
import type { OperationRequest } from '../blocks/operations';
import { escapeText, slackDate } from '../blocks/text';
import { stepStatusLabel } from '../i18n';
import { operationMessages } from '../i18n/operationMessages';
import { messages } from '../i18n';
import type { OperationGuard } from '../operate/types';
import { OPERATION_HOLD_MS, operationKey } from '../operate/types';
import { actionRuleOf, mayAct } from '../policy';
import { type ListenerDeps, type WebClient, actorOrExplain, ephemeral, failureMessage, noteIfQueued, slackErrorCode } from './context';
import { type AuditSubject, audit, checkPolicy, failureOutcome } from './guard';
import { type Reply, replyVia } from './subscriptionCommands';
import type { WatchCommands } from './watchCommands';
import type { WatchService } from '../watch/service';

const JOB_REFUSALS: ReadonlySet<number> = new Set([BK_ERROR_CODES.UNSUPPORTED_OPERATION, BK_ERROR_CODES.NOT_CONFIRMER, BK_ERROR_CODES.JOB_INSTANCE_NOT_FOUND, BK_ERROR_CODES.STEP_INSTANCE_NOT_FOUND]);

export interface OperationDeps extends ListenerDeps {
  /** Null when the bot speaks v2 to JOB (no step operations there); the buttons are not shown then. */
  readonly operator: JobOperator | null;
  readonly operationGuard: OperationGuard;
  readonly watches: WatchCommands;
  readonly watchService: Pick<WatchService, 'nudgeFollowingRun'>;
}

export interface OperationClick {
  readonly request: OperationRequest;
  readonly userId: string;
  /** Where the button was: the channel, and the thread the result line goes to. */
  readonly channelId: string | null;
  readonly threadTs: string | null;
  readonly respond: RespondFn;
  readonly client: WebClient;
  readonly requestId?: unknown;
}

export class OperationCommands {
  constructor(private readonly deps: OperationDeps) {}

  async perform(click: OperationClick): Promise<void> {
    const { deps } = this;
    const { request, userId, channelId } = click;
    const reply = replyVia(click.respond);
    const o = operationMessages(deps.lang);
    const step = request.stepInstanceId === null ? '' : `step ${request.position}`;
    const subject = { action: 'operate', userId, channelId, scope: request.ref, jobInstanceId: request.ref.jobInstanceId } satisfies AuditSubject;
    const detail = `${request.kind} (${request.code})${request.stepInstanceId === null ? '' : ` step ${request.stepInstanceId} run ${request.executeCount}`}`;
    if (!deps.operator) return void (await reply(ephemeral(messages(deps.lang).policyRefused('actions_off', scopeText(request.ref)))));

    // Where: the channel may use the business and act at all. Who: the policy's list, if any.
    const where = checkPolicy(deps, subject, 'act');
    if (!where.allowed) return void (await reply(ephemeral(where.text)));
    const who = mayAct(deps.policy, channelId ?? '', userId, await this.groupsOf(userId, channelId ?? '', click.client));
    if (!who.allowed) {
      audit(deps, subject, 'refused', null, `${detail}: policy ${who.why}`);
      return void (await reply(ephemeral(messages(deps.lang).policyRefused(who.why, scopeText(request.ref)))));
    }
    const acting = await actorOrExplain(deps, userId, reply);
    if (!acting) return audit(deps, subject, 'unmapped', null, detail);
    await noteIfQueued(deps, acting.actor, reply);

    // One operation per click, whoever clicks: the first claim wins; the others hear who was first.
    const key = operationKey(scopeText(request.ref), request.ref.jobInstanceId, request.stepInstanceId ?? 'job', request.executeCount, request.code);
    const claim = await deps.operationGuard.claimOperation({ key, slackUserId: userId, bkUsername: acting.bkUsername, at: deps.now() }, OPERATION_HOLD_MS);
    if (!claim.claimed) {
      audit(deps, subject, 'refused', acting.bkUsername, `${detail}: already done by ${claim.by.slackUserId}`);
      return void (await reply(ephemeral(o.already(request.kind, `<@${claim.by.slackUserId}>`, slackDate(claim.by.at, deps.offsetMinutes, '{time_secs}')))));
    }
    try {
      if (request.stepInstanceId === null) await deps.operator.operateJob(acting.actor, request.ref, 1);
      else await deps.operator.operateStep(acting.actor, request.ref, request.stepInstanceId, request.code as Parameters<JobOperator['operateStep']>[3]);
    } catch (err) {
      // Refused or failed: someone who may do it can press the button again.
      await deps.operationGuard.releaseOperation(key, userId);
      const failed = failureOutcome(err);
      // JOB saying no for its own reasons (state, confirmers, gone) is a refusal, not an error.
      const refused = isBkJobError(err) && err.kind === 'api' && err.code !== undefined && JOB_REFUSALS.has(err.code);
      audit(deps, subject, refused ? 'refused' : failed.outcome, acting.bkUsername, `${detail}: ${failed.detail ?? ''}`);
      return void (await reply(await this.refusal(err, click, acting.bkUsername, acting.actor)));
    }
    audit(deps, subject, 'ok', acting.bkUsername, detail);
    deps.logger.info({ user: userId, bkUsername: acting.bkUsername, channel: channelId, bizId: request.ref.bizId, jobInstanceId: request.ref.jobInstanceId, operation: request.kind, code: request.code, stepInstanceId: request.stepInstanceId }, 'job operated from Slack');

    const stepName = request.stepInstanceId === null ? '' : step;
    const line = o.done(request.kind, `<@${userId}>`, stepName, request.failedHostCount);
    // A channel that keeps summaries private hears nothing: the clicker is told, and no watch starts there.
    if (channelId && !where.postInChannel) return void (await reply(ephemeral(line)));
    if (channelId) {
      try {
        const thread = click.threadTs ? { thread_ts: click.threadTs, reply_broadcast: true } : {};
        await click.client.chat.postMessage({ channel: channelId, ...thread, text: line, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line } }], unfurl_links: false });
      } catch (err) {
        deps.logger.info({ err, slackError: slackErrorCode(err), channel: channelId }, 'could not post the operation in the channel; telling the clicker');
        await reply(ephemeral(line));
      }
    } else {
      await reply(ephemeral(line));
    }
    // Follow the job from here so the retry's outcome is reported: a subscription following the run
    // looks again at once; else a watch is started unless the channel has one.
    if (channelId && !(await deps.watchService.nudgeFollowingRun(channelId, request.ref)) && !(await deps.watches.isWatching(channelId, request.ref))) {
      await deps.watches.watch({ ref: request.ref, notifyOn: 'failure', channelId, userId, respond: click.respond, client: click.client, requestId: click.requestId });
    }
  }

  /** The clicker's Slack user groups, asked only when the policy lists groups for this channel. */
  private async groupsOf(userId: string, channelId: string, client: WebClient): Promise<string[]> {
    const rule = actionRuleOf(this.deps.policy, channelId);
    if (rule.kind !== 'only' || rule.groups.size === 0 || rule.users.has(userId)) return [];
    const member: string[] = [];
    for (const group of rule.groups) {
      try {
        const users = (await client.usergroups.users.list({ usergroup: group })).users ?? [];
        if (users.includes(userId)) member.push(group);
      } catch (err) {
        // A group Slack will not list counts as not containing the user: refusing is the safe side.
        this.deps.logger.warn({ err, usergroup: group }, 'could not list a Slack user group for the actions policy');
      }
    }
    return member;
  }

  /** BlueKing's refusal in plain words, for the clicker alone. */
  private async refusal(err: unknown, click: OperationClick, bkUsername: string | null, actor: Parameters<ListenerDeps['jobs']['summarize']>[0]): Promise<Parameters<Reply>[0]> {
    const { deps } = this;
    const o = operationMessages(deps.lang);
    const { request } = click;
    if (isBkJobError(err) && err.kind === 'api') {
      if (err.code === BK_ERROR_CODES.NOT_CONFIRMER) return ephemeral(o.notConfirmer(`\`${escapeText(bkUsername ?? '?')}\``));
      if (err.code === BK_ERROR_CODES.JOB_INSTANCE_NOT_FOUND || err.code === BK_ERROR_CODES.STEP_INSTANCE_NOT_FOUND) return ephemeral(o.gone);
      if (err.code === BK_ERROR_CODES.UNSUPPORTED_OPERATION) {
        // Say what the step is now (someone may have retried it a moment ago).
        const now = await deps.jobs.summarize(actor, request.ref).catch(() => null);
        const step = now?.steps.find((s) => s.stepInstanceId === request.stepInstanceId);
        const state = step ? stepStatusLabel(step.status, deps.lang) : now ? messages(deps.lang).jobState[now.state] : '?';
        const what = request.stepInstanceId === null ? messages(deps.lang).jobTitle(now?.name ?? null, request.ref.jobInstanceId) : o.step(request.position, step?.name ?? '');
        return ephemeral(o.noLongerAllowed(escapeText(what), escapeText(state)));
      }
    }
    return { response_type: 'ephemeral', replace_original: false, ...failureMessage(err, request.ref, deps, { channel: click.channelId, user: click.userId, action: 'operate', requestId: click.requestId }, bkUsername === null ? undefined : { kind: 'mapped', actor, bkUsername }) };
  }
}
