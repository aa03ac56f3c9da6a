/**
 * Pure: the one line of a host's log that most likely says why the host failed, for "why it
 * failed, at a glance" next to each failing group.
 *
 * The result is plain text: escaping it for Slack mrkdwn is the renderer's job.
 *
 * Works on logs of any size without splitting the whole text: it walks lines backwards from the
 * end and stops at the first (i.e. last) error-like line.
 */

/** Most characters (code points, the ellipsis included) of a picked line. */
export const ERROR_LINE_MAX_CHARS = 150;

/**
 * English words and phrases that mark an error line, each form listed as accepted. Matched
 * case-insensitively as whole words: a letter or digit right before or after is a different word
 * ("terror", "errorless", "failover" do not count), while `_`, `-`, `.`, `/` and the like are
 * boundaries (so "job_fail", "E_FAIL" and "error.log" count).
 */
export const ERROR_WORDS: readonly string[] = [
  'error',
  'errors',
  'errored',
  'fail',
  'fails',
  'failed',
  'failing',
  'failure',
  'failures',
  'fatal',
  'exception',
  'exceptions',
  'denied',
  'refused',
  'not found',
  'no such',
  'timeout',
  'timeouts',
  'timed out',
  'killed',
  'cannot',
  "can't",
  'can’t',
  'could not',
  "couldn't",
  'couldn’t',
  'unable to',
  'segmentation fault',
  'aborted',
  'panic',
  'not recognized',
];

/** Words that end exception class names: `ValueError`, `IOError`, `NullPointerException`. */
export const CLASS_NAME_SUFFIXES: readonly string[] = ['Error', 'Exception'];

/** Chinese words that mark an error line, matched anywhere (Chinese has no word spaces). */
export const ERROR_WORDS_ZH: readonly string[] = ['错误', '失败', '异常', '超时', '拒绝', '不存在'];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Longest first, so "errors" is matched whole rather than as "error" + "s".
const byLengthDesc = (a: string, b: string) => b.length - a.length;
const WORD = new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...ERROR_WORDS].sort(byLengthDesc).map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
// Case-sensitive on purpose: the capital letter is what says "end of a CamelCase class name".
const CLASS_NAME = new RegExp(`(?<=\\p{L})(?:${CLASS_NAME_SUFFIXES.map(escapeRegExp).join('|')})s?(?![\\p{L}\\p{N}])`, 'gu');
const WORD_ZH = new RegExp(ERROR_WORDS_ZH.map(escapeRegExp).join('|'), 'u');

/** Just before a word: what may precede "no", "0" or a count (so "v1.2 failed" is not "2 failed"). */
const BEFORE = String.raw`[\s(,;|[]`;
/** "no errors", "without error", "zero failures", "0 failed": the word is denied, not reported. */
const NEGATED_BEFORE = new RegExp(`${BEFORE}(?:no|zero|without|0)\\s+$`, 'iu');
/** A number just before: with a noun, a count ("3 errors generated", "(2 failures)"). */
const NUMBER_BEFORE = new RegExp(`${BEFORE}\\d+\\s+$`, 'u');
/** Nouns among the words; "step 3 failed" reports a failure, "3 failures" counts them. */
const COUNTED_NOUNS: ReadonlySet<string> = new Set(['error', 'errors', 'failure', 'failures', 'exception', 'exceptions', 'timeout', 'timeouts']);
/**
 * A number just after: a counter or setting, whatever the number: `failed=1` (Ansible's recap),
 * `errors=3`, `timeout=30`, `failed: 0` (a colon only when the number ends the item, so
 * "Error: 3 files missing" is still an error).
 */
const COUNT_AFTER = /^(?:\s*=\s*\d+(?![\p{L}\p{N}.])|\s*:\s*\d+\s*(?:$|[,;)\]|]))/u;

/** `[2024-05-01 03:00:01][PID:12345]`: the prefix of the lines JOB's script templates print. */
const JOB_MARKER_PREFIX = String.raw`\[[^[\]]+\]\s*\[PID:\s*\d+\]\s*`;
/**
 * JOB's own bookkeeping: the template functions `job_start`, `job_success` and `job_fail` print
 * `[time][PID:n] job_start`, `… job_success:[msg]` and `… job_fail:[msg]`. Only the bare marker (no
 * message) is bookkeeping; a `job_fail:[disk full]` carries the script author's reason and is kept.
 */
const JOB_BOOKKEEPING = new RegExp(`^${JOB_MARKER_PREFIX}job_(?:start|success|fail)(?::\\[\\s*\\])?$`);

/** A command echoed by `set -x` (`+ cp a b`, nested `++ …`): its words are arguments, not outcomes. */
const XTRACE = /^\++\s/;
/**
 * Where an error happened, not what: an indented stack frame (Java/JavaScript `\tat pkg.f(F.java:10)`,
 * Java's `... 5 more`, Python's `  File "x.py", line 3, in fail_over`) or PowerShell's
 * `    + CategoryInfo : …ItemNotFoundException` / `+ FullyQualifiedErrorId : …` detail lines.
 */
const STACK_FRAME = /^\s+(?:at\s|\.\.\.\s+\d+\s+more\s*$|File\s+".*",\s+line\s+\d+|\+\s+(?:CategoryInfo|FullyQualifiedErrorId)\s*:)/;

// Terminal colour and cursor codes (CSI sequences), which would otherwise glue onto words.
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]/g;

/**
 * A match of `pattern` in `line` that reports an error: not denied ("no errors"), not a count or
 * setting ("errors=3", "3 errors generated"). Counts are statistics; the reason is on another line.
 */
function reportsError(line: string, pattern: RegExp, isNoun: (word: string) => boolean): boolean {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
    // Small windows around the match, not the rest of the line: a 1 MB line may have many matches.
    const from = Math.max(0, m.index - 16);
    const before = `${from === 0 ? ' ' : ''}${line.slice(from, m.index)}`;
    const after = line.slice(m.index + m[0].length, m.index + m[0].length + 16);
    const counted = COUNT_AFTER.test(after) || (NUMBER_BEFORE.test(before) && isNoun(m[0]));
    if (!counted && !NEGATED_BEFORE.test(before)) return true;
  }
  return false;
}

/** The line (ANSI codes already stripped, not trimmed) says an error happened. */
export function isErrorLike(line: string): boolean {
  if (XTRACE.test(line) || STACK_FRAME.test(line)) return false;
  return WORD_ZH.test(line) || reportsError(line, WORD, (word) => COUNTED_NOUNS.has(word.toLowerCase())) || reportsError(line, CLASS_NAME, () => true);
}

/** The line (trimmed) is one of JOB's `[time][PID:n] job_start`-style markers. */
export function isJobBookkeeping(trimmedLine: string): boolean {
  return JOB_BOOKKEEPING.test(trimmedLine);
}

/** Cuts to `max` code points including a trailing "…" when cut; never splits a surrogate pair. */
export function cutToCodePoints(text: string, max: number): string {
  if (text.length <= max) return text; // UTF-16 length ≥ code points
  let count = 0;
  let cutAt = 0;
  for (let i = 0; i < text.length; count++) {
    if (count === max - 1) cutAt = i;
    if (count === max) return `${text.slice(0, cutAt).trimEnd()}…`;
    const code = text.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return text;
}

/**
 * Walks the lines of `text` from the last to the first, treating CRLF, lone CR and LF each as
 * one line break. Each terminator's previous position is searched for once per step back, never
 * from the end again, so a log with no CR at all costs one scan, not one per line.
 */
function* linesBackwards(text: string): Generator<string> {
  let end = text.length;
  let lf = text.lastIndexOf('\n');
  let cr = text.lastIndexOf('\r');
  for (;;) {
    while (lf >= end) lf = lf === 0 ? -1 : text.lastIndexOf('\n', lf - 1);
    while (cr >= end) cr = cr === 0 ? -1 : text.lastIndexOf('\r', cr - 1);
    const brk = Math.max(lf, cr);
    yield text.slice(brk + 1, end);
    if (brk < 0) return;
    end = text[brk] === '\n' && brk > 0 && text[brk - 1] === '\r' ? brk - 1 : brk;
  }
}

/**
 * The line of a host's log most likely to say why it failed: the last error-like line (see
 * `ERROR_WORDS`, `CLASS_NAME_SUFFIXES`, `ERROR_WORDS_ZH`), else the last non-empty line that is not
 * JOB's bookkeeping; trimmed, ANSI codes removed, cut to `ERROR_LINE_MAX_CHARS`. Null when the log
 * has no such line (empty, blank, or bookkeeping only).
 */
export function pickErrorLine(log: string): string | null {
  let fallback: string | null = null;
  for (const raw of linesBackwards(log)) {
    const line = raw.includes('\u001b') ? raw.replace(ANSI_ESCAPE, '') : raw;
    const trimmed = line.trim();
    if (trimmed === '' || isJobBookkeeping(trimmed)) continue;
    if (isErrorLike(line)) return cutToCodePoints(trimmed, ERROR_LINE_MAX_CHARS);
    fallback ??= trimmed;
  }
  return fallback === null ? null : cutToCodePoints(fallback, ERROR_LINE_MAX_CHARS);
}
