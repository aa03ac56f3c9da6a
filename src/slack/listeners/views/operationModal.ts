/**
 * `/joblog retry <biz> <job> [<step>]` and `/joblog confirm <biz> <job>`: the keyboard form of the
 * operation buttons. The job is read as the typing user; the same dialog text as the button's
 * opens as a modal; submitting does exactly what the button does.
 */
import type { AllMiddlewareArgs, RespondFn, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { KnownBlock, ModalView } from '@slack/types';
import type { JobRef } from '../../../bkjob/model';
import { type OperationRequest, decodeOperation, encodeOperation } from '../../../blocks/operations';
import { truncate } from '../../../blocks/text';
import { messages, stepStatusLabel } from '../../../i18n';
import { operationMessages } from '../../../i18n/operationMessages';
import { stepOperations } from '../../../summary/operations';
import type { JobSummary } from '../../../summary/types';
import { type ListenerDeps, type WebClient, actorOrExplain, ephemeral, failureMessage, noteIfQueued, openDm } from '../../context';
import { type AuditSubject, audit, checkPolicy } from '../../guard';
import { actionRuleOf } from '../../../policy';
import type { OperationCommands } from '../../operationCommands';

export const OPERATE_VIEW = 'joblog_operate';

export interface OperationModalDeps extends ListenerDeps {
  readonly operations: OperationCommands;
}

/** The operation the command asks for on this summary, or why there is none. */
export function commandOperation(summary: JobSummary, verb: 'retry' | 'confirm', stepInstanceId: number | null): OperationRequest | null {
  const wanted = verb === 'retry' ? 'retry_failed' : 'confirm';
  const steps = stepInstanceId === null ? summary.steps : summary.steps.filter((s) => s.stepInstanceId === stepInstanceId);
  for (const step of steps) {
    const op = stepOperations(step).find((o) => o.kind === wanted);
    if (op) return { ref: summary.ref, kind: op.kind, code: op.code, stepInstanceId: step.stepInstanceId, executeCount: step.executeCount, position: step.position, failedHostCount: step.failedHostCount };
  }
  return null;
}

function operationModal(deps: ListenerDeps, channelId: string, request: OperationRequest, summary: JobSummary): ModalView {
  const o = operationMessages(deps.lang);
  const step = summary.steps.find((s) => s.stepInstanceId === request.stepInstanceId);
  const job = summary.name ? `${summary.name} (${summary.ref.jobInstanceId})` : `job ${summary.ref.jobInstanceId}`;
  const text = o.dialogText(request.kind, o.step(request.position, step?.name ?? ''), request.failedHostCount, job);
  return {
    type: 'modal',
    callback_id: OPERATE_VIEW,
    private_metadata: JSON.stringify({ c: channelId, v: encodeOperation(request) }),
    title: { type: 'plain_text', text: truncate(o.modalTitle, 24) },
    submit: { type: 'plain_text', text: truncate(o.dialogConfirm[request.kind], 24) },
    close: { type: 'plain_text', text: o.dialogDeny },
    // Plain text: BlueKing's names are shown as typed, never as markup.
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(o.dialogTitle[request.kind], 150) } },
      { type: 'section', text: { type: 'plain_text', text: truncate(text, 3000) } },
    ],
  };
}

/** The command: read the job as the user, find the step, open the dialog (or say why not). */
export async function openOperationModal(
  command: { readonly verb: 'retry' | 'confirm'; readonly ref: JobRef; readonly stepInstanceId: number | null },
  who: { readonly channelId: string; readonly userId: string; readonly triggerId: string; readonly requestId: unknown },
  client: WebClient,
  respond: RespondFn,
  deps: ListenerDeps,
): Promise<void> {
  const o = operationMessages(deps.lang);
  if (!deps.operationsEnabled) return void (await respond(ephemeral(messages(deps.lang).policyRefused('actions_off', String(command.ref.bizId)))));
  // The channel's policy first: nothing is read from BlueKing for a business or a person it refuses.
  const subject = { action: 'operate', userId: who.userId, channelId: who.channelId, scope: command.ref, jobInstanceId: command.ref.jobInstanceId } satisfies AuditSubject;
  const where = checkPolicy(deps, subject, 'act');
  if (!where.allowed) return void (await respond(ephemeral(where.text)));
  // Who may act: a list without user groups is decided here; groups need Slack, and submitting checks them.
  const rule = actionRuleOf(deps.policy, who.channelId);
  const refusal = rule.kind === 'off' ? 'actions_off' : rule.kind === 'only' && rule.groups.size === 0 && !rule.users.has(who.userId) ? 'not_allowed_to_act' : null;
  if (refusal) {
    audit(deps, subject, 'refused', null, `${command.verb}: policy ${refusal}`);
    return void (await respond(ephemeral(messages(deps.lang).policyRefused(refusal, String(command.ref.bizId)))));
  }
  const acting = await actorOrExplain(deps, who.userId, respond);
  if (!acting) return audit(deps, subject, 'unmapped', null, command.verb);
  await noteIfQueued(deps, acting.actor, respond);
  let summary: JobSummary;
  try {
    summary = await deps.jobs.summarize(acting.actor, command.ref);
  } catch (err) {
    return void (await respond({ response_type: 'ephemeral', replace_original: false, ...failureMessage(err, command.ref, deps, { channel: who.channelId, user: who.userId, action: command.verb, requestId: who.requestId }, acting) }));
  }
  const request = commandOperation(summary, command.verb, command.stepInstanceId);
  if (!request) {
    const current = command.stepInstanceId === null ? null : summary.steps.find((s) => s.stepInstanceId === command.stepInstanceId);
    const job = messages(deps.lang).jobInline(summary.name, String(command.ref.bizId), command.ref.jobInstanceId);
    const text = current ? o.noLongerAllowed(o.step(current.position, current.name), stepStatusLabel(current.status, deps.lang)) : o.nothingToDo(command.verb, job);
    return void (await respond(ephemeral(text)));
  }
  await client.views.open({ trigger_id: who.triggerId, view: operationModal(deps, who.channelId, request, summary) });
}

export type OperateSubmitArgs = Pick<SlackViewMiddlewareArgs<ViewSubmitAction>, 'ack' | 'body' | 'view'> & Pick<AllMiddlewareArgs, 'client'>;

/** Submitted: close the modal, then do what the button would (private replies in the channel, else by DM). */
export async function operateSubmitted({ ack, body, view, client }: OperateSubmitArgs, deps: OperationModalDeps): Promise<void> {
  await ack();
  let meta: { c?: unknown; v?: unknown };
  try {
    meta = JSON.parse(view.private_metadata) as { c?: unknown; v?: unknown };
  } catch {
    meta = {};
  }
  const request = decodeOperation(meta.v);
  const channelId = typeof meta.c === 'string' && /^[CDG][A-Z0-9]{2,}$/.test(meta.c) ? meta.c : null;
  if (!request || !channelId) return void deps.logger.warn({ view: OPERATE_VIEW }, 'ignoring an operation modal with invalid metadata');
  const userId = body.user.id;
  const respond = (async (message: Parameters<RespondFn>[0]) => {
    const m = (typeof message === 'string' ? { text: message } : message) as { text?: string; blocks?: KnownBlock[] };
    const content = { text: m.text ?? '', ...(m.blocks ? { blocks: m.blocks } : {}) };
    try {
      return await client.chat.postEphemeral({ channel: channelId, user: userId, ...content });
    } catch {
      return client.chat.postMessage({ channel: await openDm(client, userId), ...content });
    }
  }) as RespondFn;
  await deps.operations.perform({ request, userId, channelId, threadTs: null, respond, client });
}
