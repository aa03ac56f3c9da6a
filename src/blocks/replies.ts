/**
 * Pure builders for the bot's short replies: usage help and errors. Error text quotes BlueKing's
 * message (escaped) and adds what the user can do; it never contains a stack trace or a secret.
 */
import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { BK_PERMISSION_DENIED, type BkJobError, bkErrorHint } from '../bkjob/errors';
import { type JobRef, scopeText } from '../bkjob/model';
import type { Lang } from '../i18n';
import { messages } from '../i18n';
import type { SlackMessage } from './jobSummary';
import { LIMITS, bkMrkdwn, escapeText, inlineCode, packLines, safeText, truncate } from './text';

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

/** A section quoting BlueKing (see bkMrkdwn for why verbatim). */
function bkSection(text: string): SectionBlock {
  return { type: 'section', text: bkMrkdwn(truncate(text, LIMITS.sectionText)) };
}

export function renderUsage(lang: Lang, problem?: string): SlackMessage {
  const m = messages(lang);
  const blocks: KnownBlock[] = [];
  if (problem) blocks.push(section(m.usageProblem(escapeText(problem))));
  // The lines name their arguments `<bk_biz_id>`: raw, Slack would read that as a link or mention.
  blocks.push(section(`${m.usageTitle}\n${m.usageLines.map((line) => `• ${escapeText(line)}`).join('\n')}`));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: m.usageFooter }] } satisfies ContextBlock);
  const text = [problem ? m.usageProblem(escapeText(problem)) : m.usageTitle, ...m.usageLines].join('\n');
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}

/** Explains a BlueKing failure: what BlueKing said, plus a hint for the common cases. */
/** `about`: the job that could not be loaded, or a headline of the caller's own (already mrkdwn). */
export function renderBkError(err: BkJobError, about: JobRef | { readonly headline: string }, lang: Lang): SlackMessage {
  const m = messages(lang);
  const lines = ['headline' in about ? about.headline : m.couldNotLoad(scopeText(about), about.jobInstanceId), safeText(m.bkError(err), 1500)];
  if (err.kind === 'api' && err.code === BK_PERMISSION_DENIED && err.missingPermissions.length) {
    lines.push(m.missingPermissions(safeText(err.missingPermissions.join(', '), 500), err.username === undefined ? undefined : inlineCode(truncate(err.username, 100))));
  }
  const hint = bkErrorHint(err);
  if (hint) lines.push(m.bkErrorHints[hint](err.parameter === undefined ? undefined : inlineCode(err.parameter)));
  if (err.transient) lines.push(m.transientHint);
  if (err.kind === 'too_large') lines.push(m.tooLargeHint);
  const blocks: KnownBlock[] = packLines(lines, LIMITS.sectionText).map(bkSection);
  if (err.requestId) blocks.push({ type: 'context', elements: [bkMrkdwn(m.requestId(safeText(err.requestId, 100)))] } satisfies ContextBlock);
  return { text: truncate(lines.slice(0, 2).join(' '), LIMITS.fallbackText), blocks };
}

export function renderInternalError(lang: Lang, incidentId: string): SlackMessage {
  const text = messages(lang).internalError(escapeText(incidentId));
  return { text, blocks: [section(text)] };
}
