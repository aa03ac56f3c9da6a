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

/**
 * Escapes Slack's three control characters. With them escaped, `<!channel>`, `<@U1>` and
 * `<https://x|y>` in BlueKing text render literally and cannot ping or link anyone.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
