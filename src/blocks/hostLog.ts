/**
 * Pure builders for per-host logs: the host buttons/menu under a summary's failing groups, the
 * options of the type-to-search menu, and the log snippet a click shows.
 */
import type { ActionsBlock, Button, ContextBlock, ExternalSelect, KnownBlock, PlainTextOption, SectionBlock, StaticSelect } from '@slack/types';
import { type HostAddress, type HostLog, type JobRef, addressOf, formatHostAddress } from '../bkjob/model';
import { meaningfulExitCode } from '../bkjob/status';
import { type Lang, hostStatusLabel, stepStatusLabel } from '../i18n';
import { messages } from '../i18n';
import { hostsForButtons } from '../summary/hostButtons';
import type { LogTail } from '../summary/logTail';
import type { JobSummary } from '../summary/types';
import { ACTION, type ShareTarget, decodeHostLogAction, encodeHostLogRef, encodeJobRef, hostPickerBlockId } from './actions';
import { LIMITS, bkMrkdwn, escapeText, formatDuration, slackDate, truncate } from './text';

/** A failing host with what is needed to fetch its log and label it. */
export interface FailingHost extends HostAddress {
  readonly stepInstanceId: number;
  readonly stepPosition: number;
  readonly ipStatus: number;
  readonly exitCode: number | null;
}

/** Buttons shown when everything fits in one actions block; past that, buttons plus a menu. */
export const MAX_BUTTONS_ALONE = LIMITS.actionsElements;
export const BUTTONS_BEFORE_MENU = 20;

/** Every failing host of every failing step, the first failing step first, biggest groups first. */
export function failingHosts(summary: JobSummary): FailingHost[] {
  const steps = summary.steps.filter((s) => s.failedHostCount > 0);
  const first = summary.firstFailingStep === null ? undefined : summary.steps[summary.firstFailingStep];
  const ordered = first ? [first, ...steps.filter((s) => s !== first)] : steps;
  return ordered.flatMap((step) =>
    step.failingGroups.flatMap((group) => group.hosts.map((h) => ({ ...h, stepInstanceId: step.stepInstanceId, stepPosition: step.position, ipStatus: group.ipStatus, exitCode: group.exitCode }))),
  );
}

/**
 * The failing hosts by the rows the summary shows (split by error line when known, then the
 * groups folded past them), the first failing step first: what the buttons are shared out over.
 */
export function failingHostGroups(summary: JobSummary): FailingHost[][] {
  const steps = summary.steps.filter((s) => s.failedHostCount > 0);
  const first = summary.firstFailingStep === null ? undefined : summary.steps[summary.firstFailingStep];
  const ordered = first ? [first, ...steps.filter((s) => s !== first)] : steps;
  return ordered.flatMap((step) => {
    const folded = step.errorRows ? step.failingGroups.slice(step.failingGroups.length - step.errorRows.moreGroups) : [];
    const groups = step.errorRows ? [...step.errorRows.rows, ...folded] : step.failingGroups;
    return groups.map((group) => group.hosts.map((h) => ({ ...h, stepInstanceId: step.stepInstanceId, stepPosition: step.position, ipStatus: group.ipStatus, exitCode: group.exitCode })));
  });
}

function hostLabel(host: FailingHost, lang: Lang, withStep: boolean): string {
  const m = messages(lang);
  const exit = meaningfulExitCode(host.ipStatus, host.exitCode);
  const outcome = exit !== null ? m.exitCode(exit) : hostStatusLabel(host.ipStatus, lang);
  return `${withStep ? `#${host.stepPosition} ` : ''}${formatHostAddress(host)} · ${outcome}`;
}

function refOf(job: JobRef, host: FailingHost) {
  return { job, stepInstanceId: host.stepInstanceId, ...addressOf(host) };
}

/**
 * The value a host's button or option carries, or null for a host it cannot name (an address
 * BlueKing sent that does not fit or would not read back): such hosts get no control rather
 * than breaking the whole message.
 */
function controlValue(job: JobRef, host: FailingHost): string | null {
  try {
    const value = encodeHostLogRef(refOf(job, host));
    return decodeHostLogAction(value) ? value : null;
  } catch {
    return null;
  }
}

function hostOption(job: JobRef, host: FailingHost, lang: Lang, withStep: boolean): PlainTextOption | null {
  const value = controlValue(job, host);
  return value === null ? null : { text: { type: 'plain_text', text: truncate(hostLabel(host, lang, withStep), LIMITS.optionText), emoji: false }, value };
}

/**
 * Host log controls for a summary: one button per failing host when they fit in one actions
 * block (25), else buttons for the first 20 and a menu with all of them: a static menu up to
 * 100, an external_select with type-to-search by IP beyond that.
 */
export function renderHostControls(summary: JobSummary, lang: Lang): KnownBlock[] {
  const all = failingHosts(summary);
  const withStep = new Set(all.map((h) => h.stepInstanceId)).size > 1;
  // Values are checked only for the hosts that get a control (the first few, or up to 100).
  const named = (limit: number) => {
    const found: Array<{ host: FailingHost; value: string }> = [];
    for (const host of all) {
      const value = controlValue(summary.ref, host);
      if (value !== null) found.push({ host, value });
      if (found.length === limit) break;
    }
    return found;
  };
  const listed = all.length <= LIMITS.staticSelectOptions ? named(LIMITS.staticSelectOptions) : null;
  const count = listed ? listed.length : all.length;
  if (count === 0) return [];
  // Fewer buttons than hosts: the first host of every group (every kind of failure) gets one
  // before any group gets a second; the menu below still lists every host.
  const withButtons = count <= MAX_BUTTONS_ALONE ? (listed ?? named(MAX_BUTTONS_ALONE)) : spreadButtons(summary, BUTTONS_BEFORE_MENU);
  const buttons: Button[] = withButtons.map(({ host, value }, i) => ({
    type: 'button',
    action_id: `${ACTION.hostLog}:${i}`,
    text: { type: 'plain_text', text: truncate(hostLabel(host, lang, withStep), LIMITS.buttonText), emoji: false },
    value,
  }));
  const blocks: KnownBlock[] = [{ type: 'actions', block_id: `joblog_host_buttons:${encodeJobRef(summary.ref)}`, elements: buttons } satisfies ActionsBlock];
  if (count <= MAX_BUTTONS_ALONE) return blocks;

  const placeholder = { type: 'plain_text' as const, text: truncate(messages(lang).hostsPickerPlaceholder(count), 150) };
  const menu: StaticSelect | ExternalSelect = listed
    ? { type: 'static_select', action_id: ACTION.hostLogSelect, placeholder, options: listed.map(({ host, value }) => ({ text: { type: 'plain_text', text: truncate(hostLabel(host, lang, withStep), LIMITS.optionText), emoji: false }, value })) }
    : { type: 'external_select', action_id: ACTION.hostLogSelect, placeholder, min_query_length: 0 };
  blocks.push({ type: 'actions', block_id: hostPickerBlockId(summary.ref), elements: [menu] } satisfies ActionsBlock);
  return blocks;
}

/** Up to `slots` nameable hosts, shared out over the failing groups round-robin (`hostsForButtons`). */
function spreadButtons(summary: JobSummary, slots: number): Array<{ host: FailingHost; value: string }> {
  const groups = failingHostGroups(summary).map((hosts) => ({ hosts }));
  const picked: Array<{ host: FailingHost; value: string }> = [];
  const seen = new Set<FailingHost>();
  const take = (host: FailingHost): void => {
    if (picked.length === slots || seen.has(host)) return;
    seen.add(host);
    const value = controlValue(summary.ref, host);
    if (value !== null) picked.push({ host, value });
  };
  // Spare picks make up for hosts that cannot be named; if still short, the rest in order.
  for (const host of hostsForButtons(groups, slots * 2)) take(host);
  for (const group of groups) {
    if (picked.length === slots) break;
    for (const host of group.hosts) {
      if (picked.length === slots) break;
      take(host);
    }
  }
  return picked;
}

/** Options for the type-to-search menu: hosts whose address contains the query, at most 100. */
export function searchHostOptions(summary: JobSummary, query: string, lang: Lang): PlainTextOption[] {
  const needle = query.trim().toLowerCase();
  const hosts = failingHosts(summary);
  const withStep = new Set(hosts.map((h) => h.stepInstanceId)).size > 1;
  const options: PlainTextOption[] = [];
  for (const host of hosts) {
    if (needle && !formatHostAddress(host).toLowerCase().includes(needle)) continue;
    const option = hostOption(summary.ref, host, lang, withStep);
    if (option) options.push(option);
    if (options.length === LIMITS.staticSelectOptions) break;
  }
  return options;
}

/** Inside a ``` block a run of three or more backticks can close it: put a zero-width space between every backtick of such runs. */
function neutraliseFences(text: string): string {
  return text.replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
}

function preformatted(text: string): string {
  return `\`\`\`\n${neutraliseFences(escapeText(text))}\n\`\`\``;
}

/** Size of a log line as the snippet shows it (what Slack's 3000-char limit counts). */
export function snippetMeasure(line: string): number {
  return neutraliseFences(escapeText(line)).length;
}

/** Budget for the log text: a section's 3000 chars minus the fence and newlines. */
export const SNIPPET_MAX_CHARS = LIMITS.sectionText - 8;

function kilobytes(chars: number): string {
  return chars < 1024 ? `${chars} B` : chars < 1024 * 1024 ? `${(chars / 1024).toFixed(1)} KB` : `${(chars / 1048576).toFixed(1)} MB`;
}

export interface SnippetOptions {
  readonly lang: Lang;
  readonly offsetMinutes: number;
  /** Where Share/Full log go; null hides those buttons (e.g. in the shared copy itself). */
  readonly actions: ShareTarget | null;
  /** "Shared by <@U>" line for the copy posted in the channel. */
  readonly sharedBy?: string;
}

/** One host's log, ready to show: what happened to the host, then the tail of its log. */
export function renderHostLog(log: HostLog, tail: LogTail, options: SnippetOptions): { text: string; blocks: KnownBlock[] } {
  const m = messages(options.lang);
  const host = escapeText(formatHostAddress(log.host));
  const title = m.logOf(`\`${host}\``, escapeText(truncate(log.step.name || '—', 200)), stepStatusLabel(log.step.status, options.lang));
  const facts = [`${hostStatusLabel(log.host.ipStatus, options.lang)} (${log.host.ipStatus})`];
  if (log.host.exitCode !== null) facts.push(m.exitCode(log.host.exitCode));
  if (log.host.errorCode !== null && log.host.errorCode !== 0) facts.push(m.errorCode(log.host.errorCode));
  if (log.host.startTime !== null) facts.push(m.started(slackDate(log.host.startTime, options.offsetMinutes)));
  if (log.host.endTime !== null) facts.push(m.ended(slackDate(log.host.endTime, options.offsetMinutes)));
  const duration = log.host.totalTimeMs ?? (log.host.startTime !== null && log.host.endTime !== null ? log.host.endTime - log.host.startTime : null);
  if (duration !== null) facts.push(m.took(formatDuration(duration)));
  facts.push(m.retries(log.host.retryCount));

  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(title, LIMITS.sectionText) } } satisfies SectionBlock,
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(facts.join(' · '), LIMITS.sectionText) }] } satisfies ContextBlock,
  ];
  if (tail.shownLines === 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: m.logEmpty }] } satisfies ContextBlock);
  } else {
    // The log is BlueKing's (see bkMrkdwn for why verbatim).
    blocks.push({ type: 'section', text: bkMrkdwn(truncate(preformatted(tail.text), LIMITS.sectionText)) } satisfies SectionBlock);
    const showing = `${m.logShowing(tail.shownLines, tail.totalLines, tail.truncatedLine)} · ${kilobytes(tail.totalChars)}`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: showing }] } satisfies ContextBlock);
  }
  if (options.sharedBy) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: m.sharedBy(options.sharedBy) }] } satisfies ContextBlock);
  if (options.actions) {
    const value = encodeHostLogRef(log.ref, options.actions);
    blocks.push({
      type: 'actions',
      block_id: 'joblog_log_actions',
      elements: [
        { type: 'button', action_id: ACTION.shareLog, text: { type: 'plain_text', text: m.shareInChannel }, value },
        { type: 'button', action_id: ACTION.fullLog, text: { type: 'plain_text', text: m.fullLog }, value },
      ],
    } satisfies ActionsBlock);
  }
  const lastLine = tail.text.slice(tail.text.lastIndexOf('\n') + 1);
  const text = truncate(`${formatHostAddress(log.host)} · ${log.step.name}: ${lastLine}`, 300);
  return { text: escapeText(text), blocks };
}

export function fullLogFilename(log: HostLog): string {
  const host = formatHostAddress(log.host).replace(/[^0-9A-Za-z.]+/g, '_');
  return `joblog-${log.ref.job.jobInstanceId}-step${log.ref.stepInstanceId}-${host}.log`;
}

export function fullLogComment(log: HostLog, lang: Lang): string {
  return messages(lang).fullLogComment(`\`${escapeText(formatHostAddress(log.host))}\``, escapeText(truncate(log.step.name || '—', 200)), kilobytes(Buffer.byteLength(log.content)));
}
