/**
 * Pure: the last lines of a host's log, sized for a Slack message. Works on logs of any size
 * without splitting the whole text: it scans backwards from the end for the lines it keeps.
 */

export interface LogTail {
  /** The kept lines, joined with "\n" (CRLF and lone CR normalised). */
  readonly text: string;
  readonly shownLines: number;
  readonly totalLines: number;
  /** The first kept line was cut at its start to fit (a single huge line). */
  readonly truncatedLine: boolean;
  readonly totalChars: number;
}

export interface TailOptions {
  /** Most lines to keep (default 40). */
  readonly maxLines?: number;
  /** Most characters to keep, measured by `measure` (default 2500). */
  readonly maxChars?: number;
  /** How a line's size is counted: the escaped length for Slack (default: plain length). */
  readonly measure?: (line: string) => number;
}

function countLines(text: string): number {
  if (text === '') return 0;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** Keeps the end of `line` so that measure(result) ≤ budget, not splitting a surrogate pair. */
function keepEnd(line: string, budget: number, measure: (s: string) => number): string {
  if (budget <= 0) return '';
  // Walk back from the end one character at a time: escaping makes sizes uneven (`&` is 5).
  let start = line.length;
  let used = 0;
  while (start > 0) {
    const size = measure(line[start - 1]!);
    if (used + size > budget) break;
    used += size;
    start--;
  }
  let kept = line.slice(start);
  // A measure that is not a plain sum (a broken-up ``` run) may still be over: trim the front.
  while (kept.length > 0 && measure(kept) > budget) kept = kept.slice(1);
  if (/^[\uDC00-\uDFFF]/.test(kept)) kept = kept.slice(1);
  return kept;
}

export function tailLog(raw: string, options: TailOptions = {}): LogTail {
  const maxLines = options.maxLines ?? 40;
  const maxChars = options.maxChars ?? 2500;
  const measure = options.measure ?? ((s: string) => s.length);
  const text = raw.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  const totalLines = countLines(text);
  const kept: string[] = [];
  let used = 0;
  let truncatedLine = false;
  let end = text.length;
  let done = text === '';
  while (!done && kept.length < maxLines) {
    const start = end === 0 ? 0 : text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    const size = measure(line) + (kept.length > 0 ? 1 : 0);
    if (used + size > maxChars) {
      // The newest line alone is too big: keep its end rather than show nothing.
      if (kept.length === 0) {
        kept.push(keepEnd(line, maxChars, measure));
        truncatedLine = true;
      }
      break;
    }
    kept.push(line);
    used += size;
    if (start === 0) done = true;
    else end = start - 1;
  }
  kept.reverse();
  return { text: kept.join('\n'), shownLines: kept.length, totalLines, truncatedLine, totalChars: raw.length };
}
