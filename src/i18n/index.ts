/**
 * Every word a user reads, in English and Simplified Chinese (BOT_LANG): the bot's own messages,
 * BlueKing's status labels, and the formats they use.
 */
export type { Lang } from './lang';
export { type Messages, messages } from './messages';
export { hostStatusLabel, stepStatusLabel } from './labels';
export { escapeText, formatDuration } from './format';
