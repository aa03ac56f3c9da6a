/**
 * Formats a reader sees in both languages, and the one escape every text from BlueKing passes
 * through before it becomes Slack mrkdwn (here, low in the layers, so the watch domain can build
 * its stored reasons without importing the Block Kit renderers).
 */
/** Compact duration: 350ms, 6s, 10m 6s, 2h 5m, 3d 4h. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1000);
  const days = Math.floor(totalSeconds / 86400);
  const hours = Math.floor((totalSeconds % 86400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (days > 0) return hours ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return seconds ? `${minutes}m ${seconds}s` : `${minutes}m`;
  return `${seconds}s`;
}

/** Control characters (NUL and the rest of C0/C1) except tab, newline and carriage return. */
const CONTROL_CHARS = /[^\P{Cc}\t\n\r]/gu;
/** Bidi embeddings, overrides, isolates and marks (U+202E and friends): they make a log line read as something else. */
const BIDI_CONTROLS = /\p{Bidi_Control}/gu;
/** Half of a surrogate pair with no other half: not Unicode text, and Slack may reject or mangle it. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/**
 * Bare `@here`, `@channel` and `@everyone`: Slack may turn them into real broadcasts in mrkdwn
 * that is not `verbatim`. A zero-width joiner after the `@` keeps them readable but inert.
 */
const BARE_BROADCASTS = /@(here|channel|everyone)\b/gi;

/**
 * The one escape for text from BlueKing on its way into Slack mrkdwn:
 * - Slack's three control characters (`&`, `<`, `>`), so `<!channel>`, `<@U1>` and
 *   `<https://x|y>` render literally and cannot ping or link anyone;
 * - bare broadcasts (`@here` …) neutralised (see above);
 * - control characters and bidi controls removed, lone surrogates replaced with U+FFFD.
 */
export function escapeText(text: string): string {
  return text
    .replace(CONTROL_CHARS, '')
    .replace(BIDI_CONTROLS, '')
    .replace(LONE_SURROGATES, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(BARE_BROADCASTS, '@\u200D$1');
}
