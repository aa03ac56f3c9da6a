/**
 * Pure: JobSummary → Slack message (Block Kit + plain fallback text).
 * Holds every Block Kit limit for jobs of any size by summarising: long step lists collapse around
 * the steps that matter, failing groups and host lists are capped with "and N more".
 */
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { jobConsoleUrl, stepConsoleUrl } from '../bkjob/console';
import { type JobRef, formatHostAddress, scopeText } from '../bkjob/model';
import { STEP_STATUS, isHostPending, meaningfulExitCode } from '../bkjob/status';
import { type Lang, hostStatusLabel, stepStatusLabel } from '../i18n';
import { messages } from '../i18n';
import { cutToCodePoints, ERROR_LINE_MAX_CHARS } from '../summary/errorLine';
import { waitKindOf } from '../summary/state';
import type { FailingGroup, JobState, JobSummary, StepSummary } from '../summary/types';
import { renderOperations } from './operations';
import { ACTION, encodeJobRef } from './actions';
import { renderHostControls } from './hostLog';
import { LIMITS, bkMrkdwn, escapeText, formatDuration, inlineCode, packLines, safeText, slackDate, truncate } from './text';

export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

export interface RenderOptions {
  readonly lang: Lang;
  /** Zone of fallback times (the BlueKing server's), minutes east of UTC. */
  readonly offsetMinutes: number;
  /** Link to this job in the JOB web console, or null when BK_JOB_WEB_URL is unset. */
  readonly jobUrl: string | null;
  /** For "running for …" on unfinished jobs. */
  readonly now: number;
  /** Show a Watch / Stop watching button; null hides it (e.g. in watch notifications' threads). */
  readonly watching: boolean | null;
  /** Per-host log buttons under the failing groups (default true). */
  readonly hostButtons?: boolean;
  /** Link to a step's page in the JOB console, for the failed or waiting step; absent or null: no link. */
  readonly stepUrl?: (stepInstanceId: number) => string | null;
  /** Buttons that act on the job (retry, confirm, terminate …) where its state allows them (default false). */
  readonly operations?: boolean;
}

const STATE_EMOJI: Readonly<Record<JobState, string>> = {
  pending: ':white_circle:',
  running: ':hourglass_flowing_sand:',
  waiting: ':raised_hand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  stopped: ':octagonal_sign:',
  abnormal: ':exclamation:',
};

const STEP_EMOJI: Readonly<Record<number, string>> = {
  [STEP_STATUS.BLANK]: ':white_circle:',
  [STEP_STATUS.RUNNING]: ':hourglass_flowing_sand:',
  [STEP_STATUS.SUCCESS]: ':white_check_mark:',
  [STEP_STATUS.FAIL]: ':x:',
  [STEP_STATUS.SKIPPED]: ':fast_forward:',
  [STEP_STATUS.IGNORE_ERROR]: ':warning:',
  [STEP_STATUS.WAITING_USER]: ':raised_hand:',
  [STEP_STATUS.TERMINATED]: ':octagonal_sign:',
  [STEP_STATUS.ABNORMAL_STATE]: ':exclamation:',
  [STEP_STATUS.STOPPING]: ':octagonal_sign:',
  [STEP_STATUS.STOP_SUCCESS]: ':octagonal_sign:',
  [STEP_STATUS.STOP_FAILED]: ':exclamation:',
  [STEP_STATUS.CONFIRM_TERMINATED]: ':octagonal_sign:',
  [STEP_STATUS.ABANDONED]: ':wastebasket:',
  [STEP_STATUS.ROLLING_WAITING]: ':raised_hand:',
};

/** Budgets that keep the whole message under 50 blocks whatever the job looks like. */
const BUDGET = {
  stepSections: 6,
  failingSteps: 3,
  groupsPerStep: 8,
  hostsPerGroup: 5,
  failingSections: 6,
  hostBlocks: 2,
} as const;

export function stepEmoji(status: number): string {
  return STEP_EMOJI[status] ?? ':grey_question:';
}

export function stateEmoji(state: JobState): string {
  return STATE_EMOJI[state];
}

/** The job's title as people read it: its name (escaped) or "Job <id>". */
export function jobTitle(summary: JobSummary, lang: Lang): string {
  return escapeText(messages(lang).jobTitle(summary.name, summary.ref.jobInstanceId));
}

function stepLine(step: StepSummary, lang: Lang, highlight: boolean, stepUrl?: (stepInstanceId: number) => string | null): string {
  const m = messages(lang);
  const parts = [`${stepEmoji(step.status)} ${highlight ? '*' : ''}${step.position}. ${safeText(step.name || '—', 200)}${highlight ? '*' : ''}`, stepStatusLabel(step.status, lang)];
  if (step.failedHostCount > 0) parts.push(m.hostsFailed(step.failedHostCount, step.hostCount));
  else if (step.hostCounts.some((c) => isHostPending(c.ipStatus))) {
    const pending = step.hostCounts.filter((c) => isHostPending(c.ipStatus)).reduce((sum, c) => sum + c.count, 0);
    parts.push(m.hostsDone(step.hostCount - pending, step.hostCount));
  } else if (step.hostCount > 0) parts.push(m.hosts(step.hostCount));
  if (step.durationMs !== null) parts.push(formatDuration(step.durationMs));
  const waiting = waitKindOf(step);
  if (waiting) parts.push(`_${m.waitNeeds[waiting]}_`);
  // The step someone has to look at next links to its own page in JOB.
  const url = highlight || waiting ? stepUrl?.(step.stepInstanceId) : null;
  if (url) parts.push(`<${url}|${m.openStep}>`);
  return parts.join(' · ');
}

/** Steps worth a line of their own when the list has to be shortened. */
function isNotable(step: StepSummary, index: number, summary: JobSummary): boolean {
  return index === 0 || index === summary.steps.length - 1 || index === summary.currentStep || index === summary.firstFailingStep || step.failedHostCount > 0 || (step.status !== STEP_STATUS.SUCCESS && step.status !== STEP_STATUS.BLANK);
}

function omittedBreakdown(steps: readonly StepSummary[], lang: Lang): string {
  const counts = new Map<number, number>();
  for (const step of steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${count} ${stepStatusLabel(status, lang)}`).join(', ');
}

function stepLines(summary: JobSummary, lang: Lang, stepUrl?: (stepInstanceId: number) => string | null): string[] {
  const all = summary.steps.map((step, i) => stepLine(step, lang, i === summary.firstFailingStep, stepUrl));
  if (packLines(all, LIMITS.sectionText).length <= BUDGET.stepSections) return all;
  // Too many steps: keep the notable ones and fold each run of the rest into one line.
  const m = messages(lang);
  const lines: string[] = [];
  let run: StepSummary[] = [];
  const flush = () => {
    if (run.length) lines.push(`_${m.moreSteps(run.length, omittedBreakdown(run, lang))}_`);
    run = [];
  };
  summary.steps.forEach((step, i) => {
    if (isNotable(step, i, summary)) {
      flush();
      lines.push(all[i]!);
    } else run.push(step);
  });
  flush();
  // Still too long (hundreds of notable steps): keep the head and say how many are left.
  let packed = packLines(lines, LIMITS.sectionText);
  let kept = lines.length;
  while (packed.length > BUDGET.stepSections && kept > 1) {
    kept = Math.max(1, Math.floor(kept * 0.8));
    packed = packLines([...lines.slice(0, kept), `_${m.moreSteps(lines.length - kept, '')}_`], LIMITS.sectionText);
  }
  return kept === lines.length ? lines : [...lines.slice(0, kept), `_${m.moreSteps(lines.length - kept, '')}_`];
}

/**
 * A failing group's error line as its row shows it, under the row: BlueKing's text escaped, in
 * code style, at most 150 characters; "other hosts differ" when the row's known lines differ.
 * A row with no line whose logs were not read (`unread` of its `hosts`, v3/v4) says so; any other
 * row with no line gives ''. Shared by the summary, the watch ping and the unfurl.
 */
export function errorLineText(errorLine: string | null | undefined, othersDiffer: boolean | undefined, lang: Lang, notRead?: { readonly unread?: number; readonly hostCount: number }): string {
  if (!errorLine) return notRead?.unread ? `    ↳ _${messages(lang).logsNotRead(notRead.unread, notRead.hostCount)}_` : '';
  const differ = othersDiffer ? ` _(${messages(lang).otherHostsDiffer})_` : '';
  return `    ↳ ${inlineCode(cutToCodePoints(errorLine, ERROR_LINE_MAX_CHARS))}${differ}`;
}

/** The rows under a failing step: its error rows when lines are known, else its groups. */
function failingRowLines(step: StepSummary, lang: Lang): string[] {
  const m = messages(lang);
  const lines: string[] = [];
  if (step.errorRows) {
    for (const row of step.errorRows.rows) {
      lines.push(groupLine(row, lang));
      const why = errorLineText(row.errorLine, row.othersDiffer, lang, { hostCount: row.hosts.length, ...(row.unread ? { unread: row.unread } : {}) });
      if (why) lines.push(why);
    }
    if (step.errorRows.moreHosts > 0) lines.push(`_${m.moreHosts(step.errorRows.moreHosts)}_`);
    return lines;
  }
  for (const group of step.failingGroups.slice(0, BUDGET.groupsPerStep)) lines.push(groupLine(group, lang));
  const hiddenGroups = step.failingGroups.slice(BUDGET.groupsPerStep);
  if (hiddenGroups.length) lines.push(`_${m.moreGroups(hiddenGroups.length, hiddenGroups.reduce((sum, g) => sum + g.hosts.length, 0))}_`);
  return lines;
}

function groupLine(group: FailingGroup, lang: Lang): string {
  const m = messages(lang);
  const label = `${hostStatusLabel(group.ipStatus, lang)} (${group.ipStatus})`;
  const exit = meaningfulExitCode(group.ipStatus, group.exitCode);
  const head = exit !== null ? `*${m.exitCode(exit)}* · ${label}` : `*${label}*`;
  const shown = group.hosts.slice(0, BUDGET.hostsPerGroup).map((h) => inlineCode(formatHostAddress(h)));
  const rest = group.hosts.length - shown.length;
  return `• ${head} · ${m.hosts(group.hosts.length)}: ${shown.join(', ')}${rest > 0 ? ` ${m.andMore(rest)}` : ''}`;
}

function failingSteps(summary: JobSummary): StepSummary[] {
  return summary.steps.filter((s) => s.failedHostCount > 0);
}

function failingSectionTexts(summary: JobSummary, lang: Lang): string[] {
  const m = messages(lang);
  const steps = failingSteps(summary);
  const texts: string[] = [];
  for (const step of steps.slice(0, BUDGET.failingSteps)) {
    const ignored = step.status === STEP_STATUS.IGNORE_ERROR ? ` _(${m.errorsIgnored})_` : '';
    const lines = [`*${safeText(m.failingHostsIn(step.position, step.name || '—'), 300)}*${ignored}`, ...failingRowLines(step, lang)];
    texts.push(...packLines(lines, LIMITS.sectionText));
  }
  if (steps.length > BUDGET.failingSteps) texts.push(`_${m.moreFailingSteps(steps.length - BUDGET.failingSteps)}_`);
  return texts.slice(0, BUDGET.failingSections);
}

function contextText(summary: JobSummary, options: RenderOptions): string {
  const m = messages(options.lang);
  const parts = [m.bizAndInstance(scopeText(summary.ref), summary.ref.jobInstanceId), m.steps(summary.steps.length), m.hosts(summary.hostCount)];
  if (summary.startTime !== null) {
    let timing = m.started(slackDate(summary.startTime, options.offsetMinutes));
    if (summary.endTime !== null) timing += `, ${m.ended(slackDate(summary.endTime, options.offsetMinutes))}`;
    if (summary.durationMs !== null) timing += `, ${m.took(formatDuration(summary.durationMs))}`;
    else if (!summary.finished) timing += `, ${m.runningFor(formatDuration(options.now - summary.startTime))}`;
    parts.push(timing);
  }
  return parts.join(' · ');
}

/** One-line plain summary: the notification text and the fallback for clients without blocks. */
export function summaryFallbackText(summary: JobSummary, lang: Lang): string {
  const m = messages(lang);
  const title = escapeText(m.jobInline(summary.name, scopeText(summary.ref), summary.ref.jobInstanceId));
  let text = `${stateEmoji(summary.state)} ${title} ${m.jobState[summary.state]}`;
  const failing = summary.firstFailingStep !== null ? summary.steps[summary.firstFailingStep] : undefined;
  const current = summary.currentStep !== null ? summary.steps[summary.currentStep] : undefined;
  if (failing) text += `: ${escapeText(m.fallbackFailedAt(failing.position, failing.name, failing.failedHostCount, failing.hostCount))}`;
  else if (summary.state === 'waiting' && current) text += `: ${escapeText(m.fallbackWaitingAt(current.position, current.name, waitKindOf(current) ?? 'unknown'))}`;
  return truncate(text, LIMITS.fallbackText);
}

function button(text: string, actionId: string, extra: Partial<Button> = {}): Button {
  return { type: 'button', text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true }, action_id: actionId, ...extra };
}

export function renderJobSummary(summary: JobSummary, options: RenderOptions): SlackMessage {
  const m = messages(options.lang);
  const { lang } = options;
  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: truncate(`${stateEmoji(summary.state)} ${jobTitle(summary, lang)} · ${m.jobState[summary.state]}`, LIMITS.headerText), emoji: true },
  };
  const context: ContextBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(contextText(summary, options), LIMITS.sectionText) }] };
  const blocks: KnownBlock[] = [header, context];
  for (const text of packLines(stepLines(summary, lang, options.stepUrl), LIMITS.sectionText)) {
    // Step names and host details come from BlueKing (see bkMrkdwn for why verbatim).
    blocks.push({ type: 'section', text: bkMrkdwn(text) } satisfies SectionBlock);
  }
  const failing = failingSectionTexts(summary, lang);
  if (failing.length) {
    blocks.push({ type: 'divider' });
    for (const text of failing) blocks.push({ type: 'section', text: bkMrkdwn(text) } satisfies SectionBlock);
  }
  const operations = options.operations ? renderOperations(summary, lang) : null;
  // Right under why it failed, and never cut off by the block limit (a host row gives way instead).
  if (operations) blocks.push(operations);
  if (options.hostButtons ?? true) blocks.push(...renderHostControls(summary, lang).slice(0, BUDGET.hostBlocks - (operations ? 1 : 0)));
  const buttons: Button[] = [];
  if (options.jobUrl) buttons.push(button(m.openInJob, ACTION.openInJob, { url: options.jobUrl }));
  if (options.watching === false && !summary.finished) buttons.push(button(m.watch, ACTION.watch, { value: encodeJobRef(summary.ref), style: 'primary' }));
  if (options.watching === true) buttons.push(button(m.stopWatching, ACTION.unwatch, { value: encodeJobRef(summary.ref) }));
  if (buttons.length) blocks.push({ type: 'actions', block_id: 'joblog_job_actions', elements: buttons } satisfies ActionsBlock);
  return { text: summaryFallbackText(summary, lang), blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}

/** What every rendering of a job needs from the bot's configuration. */
export interface RenderSettings {
  readonly lang: Lang;
  readonly offsetMinutes: number;
  /** BK_JOB_WEB_URL, for "Open in JOB" links; null when unset. */
  readonly jobWebUrl: string | null;
  /** Buttons that act on jobs (v3/v4 only: JOB's v2 API has no step operations). */
  readonly operationsEnabled?: boolean;
}

/** The one builder of render options: the listeners and the watch notifier both come here. */
export function renderOptionsFor(settings: RenderSettings, ref: JobRef, now: number, watching: boolean | null): RenderOptions {
  return {
    lang: settings.lang,
    offsetMinutes: settings.offsetMinutes,
    jobUrl: jobConsoleUrl(settings.jobWebUrl, ref),
    stepUrl: (stepInstanceId) => stepConsoleUrl(settings.jobWebUrl, ref, stepInstanceId),
    now,
    watching,
    operations: settings.operationsEnabled ?? false,
  };
}
