/**
 * Pure: the App Home tab: the user's watches across channels, each with a Stop button.
 */
import { scopeText } from '../bkjob/model';
import type { HomeView, KnownBlock } from '@slack/types';
import type { Lang } from '../i18n';
import { messages } from '../i18n';
import type { Watch } from '../watch/types';
import { ACTION } from './actions';
import { watchedState } from './watch';
import { LIMITS, escapeText, formatDuration, truncate } from './text';

/** Home tabs hold up to 100 blocks; header, intro, divider and a "more" line take 4. */
const MAX_WATCHES_SHOWN = 95;

export function renderHome(watches: readonly Watch[], now: number, lang: Lang): HomeView {
  const m = messages(lang);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: m.homeTitle } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: m.homeIntro }] },
    { type: 'divider' },
  ];
  if (watches.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: m.homeEmpty } });
  for (const watch of watches.slice(0, MAX_WATCHES_SHOWN)) {
    const state = watchedState(watch, lang);
    const status = watch.status === 'paused' ? m.pausedStatus(truncate(watch.statusReason ?? '', 200)) : '';
    const title = escapeText(m.jobInline(watch.snapshot?.jobName ?? null, scopeText(watch.ref), watch.ref.jobInstanceId));
    blocks.push({
      type: 'section',
      block_id: `joblog_home_watch:${watch.id}`,
      text: { type: 'mrkdwn', text: truncate(m.homeWatch(title, `<#${watch.channelId}>`, state, formatDuration(now - watch.createdAt), status), LIMITS.sectionText) },
      accessory: { type: 'button', action_id: ACTION.stopWatchHome, text: { type: 'plain_text', text: m.stopWatching }, value: watch.id, style: 'danger' },
    });
  }
  if (watches.length > MAX_WATCHES_SHOWN) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: m.andMore(watches.length - MAX_WATCHES_SHOWN) }] });
  return { type: 'home', blocks };
}
