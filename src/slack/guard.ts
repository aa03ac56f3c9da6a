/**
 * What every action on a person's behalf goes through besides identity: the channel policy
 * (CHANNEL_POLICY_FILE: may this business be used here, may its summary be posted here) and the
 * audit trail (one log line and one row per lookup, watch, subscription, log view …).
 */
import { BK_PERMISSION_DENIED, isBkJobError } from '../bkjob/errors';
import { type JobRef, scopeText } from '../bkjob/model';
import type { AuditLog } from '../audit/auditLog';
import type { AuditAction, AuditOutcome } from '../audit/types';
import { messages } from '../i18n';
import { type ChannelPolicy, type PolicyAction, decide } from '../policy';
import type { Lang } from '../i18n';

export interface GuardDeps {
  readonly policy: ChannelPolicy;
  readonly audit: Pick<AuditLog, 'record'>;
  readonly lang: Lang;
}

/** Who did what, where, about which job: the audit entry's fixed part. */
export interface AuditSubject {
  readonly action: AuditAction;
  readonly userId: string;
  readonly channelId: string | null;
  readonly scope?: Pick<JobRef, 'bizId' | 'scopeType'>;
  readonly jobInstanceId?: number;
}

/** Records the outcome (never throws: the audit log swallows its own failures). */
export function audit(deps: GuardDeps, subject: AuditSubject, outcome: AuditOutcome, bkUsername: string | null = null, detail: string | null = null): void {
  void deps.audit.record({
    slackUserId: subject.userId,
    bkUsername,
    channelId: subject.channelId,
    scopeType: subject.scope ? (subject.scope.scopeType ?? 'biz') : null,
    bizId: subject.scope?.bizId ?? null,
    jobInstanceId: subject.jobInstanceId ?? null,
    action: subject.action,
    outcome,
    detail,
  });
}

/** An error's audit outcome: BlueKing's permission refusal is "denied", anything else "error" (with BlueKing's code). */
export function failureOutcome(err: unknown): { outcome: AuditOutcome; detail: string | null } {
  if (isBkJobError(err)) return { outcome: err.kind === 'api' && err.code === BK_PERMISSION_DENIED ? 'denied' : 'error', detail: err.kind === 'api' ? `BlueKing ${err.code}` : err.kind };
  return { outcome: 'error', detail: 'internal' };
}

/**
 * The channel policy's answer for this action; a refusal is audited and its words returned (the
 * caller tells the person privately, before anything is asked of BlueKing).
 */
export function checkPolicy(deps: GuardDeps, subject: AuditSubject & { readonly scope: Pick<JobRef, 'bizId' | 'scopeType'> }, action: PolicyAction): { allowed: true; postInChannel: boolean } | { allowed: false; text: string } {
  // Without a channel (a DM-less App Home, a modal's own view) only the person's own permissions apply.
  if (subject.channelId === null) return { allowed: true, postInChannel: true };
  const decision = decide(deps.policy, { channelId: subject.channelId, scope: subject.scope, action });
  if (decision.allowed) return decision;
  audit(deps, subject, 'refused', null, `policy: ${decision.why}`);
  return { allowed: false, text: messages(deps.lang).policyRefused(decision.why, scopeText(subject.scope)) };
}
