/**
 * Pure: the buttons that act on a job (retry failed hosts, ignore error, confirm, terminate …),
 * each with a confirmation dialog saying exactly what will happen, shown only in the states JOB
 * allows them; and their values, decoded as untrusted input when clicked.
 */
import type { ActionsBlock, Button, ConfirmationDialog, Overflow } from '@slack/types';
import { STEP_OPERATION } from '../bkjob/operate';
import { scopeText } from '../bkjob/model';
import type { JobRef } from '../bkjob/model';
import type { Lang } from '../i18n';
import { type OperationKind, operationMessages } from '../i18n/operationMessages';
import { TERMINATE_JOB, canTerminateJob, operableStep, stepOperations, type StepOperationKind } from '../summary/operations';
import type { JobSummary } from '../summary/types';
import { decodeJobRef, encodeJobRef } from './actions';
import { LIMITS, truncate } from './text';

export const OPERATION_ACTION_PREFIX = 'joblog_op:';
export const OPERATION_ACTION_PATTERN = /^joblog_op:[a-z_]+$/;
export const JOB_MENU_ACTION = 'joblog_job_menu';

/** What a click asks for: the job, the step run (none for the job itself), the operation. */
export interface OperationRequest {
  readonly ref: JobRef;
  readonly kind: OperationKind;
  readonly code: number;
  /** null: the job itself (operate_job_instance). */
  readonly stepInstanceId: number | null;
  /** The step's execute count (the job's run for job operations): a later run is a different click. */
  readonly executeCount: number;
  readonly position: number;
  readonly failedHostCount: number;
}

const CODE_OF: Readonly<Record<OperationKind, number>> = {
  retry_failed: STEP_OPERATION.RETRY_FAILED,
  retry_all: STEP_OPERATION.RETRY_ALL,
  ignore_error: STEP_OPERATION.IGNORE_ERROR,
  confirm: STEP_OPERATION.CONFIRM_CONTINUE,
  terminate_confirmation: STEP_OPERATION.CONFIRM_TERMINATE,
  restart_confirmation: STEP_OPERATION.CONFIRM_RESTART,
  next_step: STEP_OPERATION.NEXT_STEP,
  skip: STEP_OPERATION.SKIP,
  continue_rolling: STEP_OPERATION.ROLLING_CONTINUE,
  terminate_job: TERMINATE_JOB,
};
const KINDS: ReadonlySet<string> = new Set(Object.keys(CODE_OF));

/** `{"r":"3:2001","k":"retry_failed","c":2,"s":2003,"e":0,"p":2,"n":3}` (s null for the job). */
export function encodeOperation(request: OperationRequest): string {
  return JSON.stringify({ r: encodeJobRef(request.ref), k: request.kind, c: request.code, s: request.stepInstanceId, e: request.executeCount, p: request.position, n: request.failedHostCount });
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function decodeOperation(value: unknown): OperationRequest | null {
  if (typeof value !== 'string' || value.length > LIMITS.buttonValue) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const v = raw as Record<string, unknown>;
  const ref = decodeJobRef(v['r']);
  const kind = v['k'];
  const step = v['s'];
  if (!ref || typeof kind !== 'string' || !KINDS.has(kind) || !isCount(v['c']) || !isCount(v['e']) || !isCount(v['p']) || !isCount(v['n'])) return null;
  if (!(step === null || (isCount(step) && step > 0)) || (kind === 'terminate_job') !== (step === null)) return null;
  // The code follows from the kind (the button's dialog and the audit name the kind): a value pairing them otherwise is forged.
  if (CODE_OF[kind as OperationKind] !== v['c']) return null;
  return { ref, kind: kind as OperationKind, code: v['c'], stepInstanceId: step, executeCount: v['e'], position: v['p'], failedHostCount: v['n'] };
}

function dialog(lang: Lang, kind: OperationKind, step: string, hosts: number, job: string, destructive: boolean): ConfirmationDialog {
  const o = operationMessages(lang);
  return {
    title: { type: 'plain_text', text: truncate(o.dialogTitle[kind], 100) },
    text: { type: 'plain_text', text: truncate(o.dialogText(kind, step, hosts, job), 300) },
    confirm: { type: 'plain_text', text: truncate(o.dialogConfirm[kind], 30) },
    deny: { type: 'plain_text', text: o.dialogDeny },
    ...(destructive ? { style: 'danger' as const } : {}),
  };
}

function jobName(summary: JobSummary): string {
  return summary.name ? `${summary.name} (${summary.ref.jobInstanceId})` : `job ${summary.ref.jobInstanceId}`;
}

/**
 * The actions row for the job's operable step (and "Terminate job" in an overflow menu while it
 * runs or waits); null when nothing can be done. Dialog texts are plain text (Slack shows them as
 * typed), so BlueKing names need no escaping there.
 */
export function renderOperations(summary: JobSummary, lang: Lang): ActionsBlock | null {
  const o = operationMessages(lang);
  const elements: (Button | Overflow)[] = [];
  const step = operableStep(summary);
  const job = truncate(jobName(summary), 120);
  if (step) {
    const stepText = truncate(o.step(step.position, step.name), 120);
    for (const op of stepOperations(step)) {
      const request: OperationRequest = { ref: summary.ref, kind: op.kind, code: op.code, stepInstanceId: step.stepInstanceId, executeCount: step.executeCount, position: step.position, failedHostCount: step.failedHostCount };
      elements.push({
        type: 'button',
        action_id: `${OPERATION_ACTION_PREFIX}${op.kind satisfies StepOperationKind}`,
        text: { type: 'plain_text', text: o.button[op.kind] },
        value: encodeOperation(request),
        ...(op.destructive ? { style: 'danger' as const } : op.kind === 'retry_failed' || op.kind === 'confirm' ? { style: 'primary' as const } : {}),
        confirm: dialog(lang, op.kind, stepText, step.failedHostCount, job, op.destructive),
      });
    }
  }
  if (canTerminateJob(summary)) {
    const run = summary.steps.reduce((sum, s) => sum + s.executeCount, 0);
    const request: OperationRequest = { ref: summary.ref, kind: 'terminate_job', code: TERMINATE_JOB, stepInstanceId: null, executeCount: run, position: 0, failedHostCount: 0 };
    elements.push({
      type: 'overflow',
      action_id: JOB_MENU_ACTION,
      options: [{ text: { type: 'plain_text', text: o.button.terminate_job }, value: encodeOperation(request) }],
      confirm: dialog(lang, 'terminate_job', '', 0, job, true),
    });
  }
  if (elements.length === 0) return null;
  return { type: 'actions', block_id: `joblog_ops:${scopeText(summary.ref)}:${summary.ref.jobInstanceId}`, elements };
}
