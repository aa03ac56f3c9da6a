/**
 * Text helpers for Block Kit: escaping, length caps, Slack date tokens and durations.
 * Every string that comes from BlueKing passes through `escapeText` before it reaches Slack.
 */
import { tz } from '@date-fns/tz';
import type { MrkdwnElement } from '@slack/types';
import { format } from 'date-fns';
import { escapeText } from '../i18n/format';

/** Block Kit hard limits this bot relies on (https://docs.slack.dev/reference/block-kit). */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  optionText: 75,
  optionValue: 150,
  staticSelectOptions: 100,
  /** chat.postMessage truncates `text` past 40,000 chars; notifications need far less. */
  fallbackText: 3000,
} as const;

export { escapeText, formatDuration } from '../i18n/format';

/**
 * A mrkdwn text object for text that carries BlueKing's words. `verbatim: true` because Slack
 * documents that non-verbatim mrkdwn is pre-processed: bare URLs become links and certain
 * mentions (`@here`, channel and user names) may be parsed automatically. BlueKing text is
 * escaped (`escapeText`); verbatim keeps Slack from reinterpreting it after that. The bot's own
 * explicit `<url|text>` links and `<!date^…>` tokens still render.
 */
export function bkMrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** Inline code must not contain backticks (they would close it early). */
export function inlineCode(text: string): string {
  return `\`${escapeText(text).replace(/`/g, 'ˋ')}\``;
}

/** Cuts `text` to at most `max` characters (code points kept whole), marking the cut with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  // Do not leave half of a surrogate pair or of an &entity; at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  cut = cut.replace(/&[a-z]{0,4}$/, '');
  return `${cut}…`;
}

/** Escape, then cap: the cap counts escaped characters, which is what Slack measures. */
export function safeText(text: string, max: number): string {
  return truncate(escapeText(text), max);
}

/** Formats a time for people who cannot see Slack's localised token (notifications, fallbacks). */
export function formatFallbackTime(epochMs: number, offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  // Shift by the offset and format in UTC: the server's own time zone (and its DST) never matters.
  return `${format(epochMs + offsetMinutes * 60_000, 'yyyy-MM-dd HH:mm:ss', { in: tz('UTC') })} UTC${offset}`;
}

/**
 * A Slack date token: each viewer sees the time in their own zone; clients that cannot render
 * it show the fallback in the BlueKing server's zone.
 */
export function slackDate(epochMs: number, offsetMinutes: number, pattern = '{date_short_pretty} {time_secs}'): string {
  return `<!date^${Math.floor(epochMs / 1000)}^${pattern}|${formatFallbackTime(epochMs, offsetMinutes)}>`;
}

/** "1 host", "3 hosts". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/**
 * Packs lines into as few chunks as possible, each at most `max` characters (joined by "\n").
 * A single over-long line is truncated rather than split mid-way.
 */
export function packLines(lines: readonly string[], max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current === '') current = line;
    else if (current.length + 1 + line.length <= max) current += `\n${line}`;
    else {
      chunks.push(current);
      current = line;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
