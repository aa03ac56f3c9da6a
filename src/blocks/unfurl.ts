/**
 * Pure: the compact card a pasted JOB console link unfurls into (chat.unfurl): the job's state,
 * the step it failed at with why (error lines), and Open in JOB. Smaller than the `/joblog`
 * summary: a link preview should not take over the channel.
 */
import type { ActionsBlock, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { formatHostAddress, scopeText } from '../bkjob/model';
import { meaningfulExitCode } from '../bkjob/status';
import { type Lang, hostStatusLabel, messages } from '../i18n';
import type { FailingGroup, JobSummary, StepSummary } from '../summary/types';
import { ACTION } from './actions';
import { errorLineText, jobTitle, stateEmoji } from './jobSummary';
import { LIMITS, bkMrkdwn, inlineCode, safeText, truncate } from './text';

/** Rows of the failing step an unfurl shows; the `/joblog` summary has the rest. */
const UNFURL_ROWS = 3;

export interface UnfurlOptions {
  readonly lang: Lang;
  /** The job's JOB console page (the link pasted, or built from BK_JOB_WEB_URL); null: no button. */
  readonly jobUrl: string | null;
  /** The step the link points at (`stepInstanceId`), shown rather than the first failing step when it failed. */
  readonly stepInstanceId?: number | null;
}

function rowLine(row: FailingGroup, lang: Lang): string {
  const m = messages(lang);
  const exit = meaningfulExitCode(row.ipStatus, row.exitCode);
  const head = exit !== null ? m.exitCode(exit) : hostStatusLabel(row.ipStatus, lang);
  const first = row.hosts[0];
  const sample = first ? ` (${inlineCode(formatHostAddress(first))}${row.hosts.length > 1 ? ` ${m.andMore(row.hosts.length - 1)}` : ''})` : '';
  return `• *${head}* · ${m.hosts(row.hosts.length)}${sample}`;
}

/** The step to explain: the one linked when it has failing hosts, else the job's first failing step. */
function stepToShow(summary: JobSummary, stepInstanceId: number | null | undefined): StepSummary | undefined {
  const linked = stepInstanceId == null ? undefined : summary.steps.find((s) => s.stepInstanceId === stepInstanceId && s.failedHostCount > 0);
  if (linked) return linked;
  if (summary.firstFailingStep !== null) return summary.steps[summary.firstFailingStep];
  return summary.steps.find((s) => s.failedHostCount > 0);
}

export function renderJobUnfurl(summary: JobSummary, options: UnfurlOptions): { blocks: KnownBlock[] } {
  const { lang } = options;
  const m = messages(lang);
  const lines = [`${stateEmoji(summary.state)} *${jobTitle(summary, lang)}* · ${m.jobState[summary.state]}`];
  const step = stepToShow(summary, options.stepInstanceId);
  if (step) {
    lines.push(safeText(m.unfurlFailedAt(step.position, step.name || '—', step.failedHostCount, step.hostCount), 300));
    const rows: readonly (FailingGroup & { readonly errorLine?: string | null; readonly othersDiffer?: boolean; readonly unread?: number })[] = step.errorRows?.rows ?? step.failingGroups;
    for (const row of rows.slice(0, UNFURL_ROWS)) {
      lines.push(rowLine(row, lang));
      const why = errorLineText(row.errorLine, row.othersDiffer, lang, { hostCount: row.hosts.length, ...(row.unread ? { unread: row.unread } : {}) });
      if (why) lines.push(why);
    }
    const hidden = rows.slice(UNFURL_ROWS).reduce((sum, row) => sum + row.hosts.length, 0) + (step.errorRows?.moreHosts ?? 0);
    if (hidden > 0) lines.push(`_${m.moreHosts(hidden)}_`);
  }
  const blocks: KnownBlock[] = [
    // Job and step names and log lines come from BlueKing (see bkMrkdwn for why verbatim).
    { type: 'section', text: bkMrkdwn(truncate(lines.join('\n'), LIMITS.sectionText)) } satisfies SectionBlock,
    { type: 'context', elements: [{ type: 'mrkdwn', text: m.bizAndInstance(scopeText(summary.ref), summary.ref.jobInstanceId) }] } satisfies ContextBlock,
  ];
  if (options.jobUrl) {
    blocks.push({
      type: 'actions',
      block_id: 'joblog_unfurl_actions',
      elements: [{ type: 'button', action_id: ACTION.openInJob, text: { type: 'plain_text', text: truncate(m.openInJob, LIMITS.buttonText), emoji: true }, url: options.jobUrl }],
    } satisfies ActionsBlock);
  }
  return { blocks };
}
