/**
 * Pure: the App Home tab: the user's watches across channels, each with a Stop button.
 */
import { scopeText } from '../bkjob/model';
import type { HomeView, KnownBlock } from '@slack/types';
import type { Lang } from '../i18n';
import { messages } from '../i18n';
import { subscriptionMessages } from '../i18n/subscriptionMessages';
import type { Subscription } from '../watch/subscriptionTypes';
import type { Watch } from '../watch/types';
import { subscriptionLines } from './subscription';
import { ACTION } from './actions';
import { watchedState } from './watch';
import { LIMITS, escapeText, formatDuration, truncate } from './text';

/** Home tabs hold up to 100 blocks: 50 watches, 40 subscriptions, headers and "more" lines. */
const MAX_WATCHES_SHOWN = 50;

export interface HomeSubscriptions {
  readonly subscriptions: readonly Subscription[];
  readonly offsetMinutes: number;
}

/** Subscriptions shown on Home at most (each one section; the rest as "and N more"). */
const MAX_SUBSCRIPTIONS_SHOWN = 40;

export function renderHome(watches: readonly Watch[], now: number, lang: Lang, subs: HomeSubscriptions = { subscriptions: [], offsetMinutes: 0 }): HomeView {
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
  const s = subscriptionMessages(lang);
  const shown = subs.subscriptions.slice(0, MAX_SUBSCRIPTIONS_SHOWN);
  const lines = subscriptionLines(shown, lang, subs.offsetMinutes, now);
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: s.homeTitle } });
  if (shown.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: s.homeEmpty } });
  shown.forEach((sub, index) => {
    blocks.push({
      type: 'section',
      block_id: `joblog_home_sub:${sub.id}`,
      text: { type: 'mrkdwn', text: truncate(`${lines[index] ?? ''} · <#${sub.channelId}>`, LIMITS.sectionText) },
      accessory: { type: 'button', action_id: ACTION.stopSubscription, text: { type: 'plain_text', text: s.stopButton }, value: sub.id, style: 'danger' },
    });
  });
  if (subs.subscriptions.length > MAX_SUBSCRIPTIONS_SHOWN) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: m.andMore(subs.subscriptions.length - MAX_SUBSCRIPTIONS_SHOWN) }] });
  // Home tabs hold at most 100 blocks.
  return { type: 'home', blocks: blocks.slice(0, 100) };
}
