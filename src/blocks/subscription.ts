/**
 * Pure builders for subscription messages: a run's announcement (the run's summary under a line
 * saying what happened, with Mute and Stop buttons), the one-line notes, the confirmation, and
 * the lines of `/joblog list` and App Home.
 */
import type { ActionsBlock, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { scopeText } from '../bkjob/model';
import type { Lang } from '../i18n';
import { formatDuration, messages } from '../i18n';
import { type SubscriptionMessages, subscriptionMessages } from '../i18n/subscriptionMessages';
import { scopeKey as policyScopeKey } from '../policy';
import type { JobSummary } from '../summary/types';
import type { SubscriptionNote } from '../watch/subscriptionScanner';
import type { RunMessage } from '../watch/subscriptionRuns';
import type { Subscription, SubscriptionScope } from '../watch/subscriptionTypes';
import type { RunOf, Watch } from '../watch/types';
import { ACTION } from './actions';
import { type RenderOptions, type SlackMessage, renderJobSummary, stateEmoji } from './jobSummary';
import { utcOffsetZone } from '../util/duration';
import { LIMITS, escapeText, packLines, slackDate, truncate } from './text';

const mention = (userId: string) => `<@${userId}>`;

/** "Cron *nightly-backup* (#12, biz 3)", the name escaped (it comes from BlueKing). */
export function targetText(lang: Lang, scope: SubscriptionScope, target: { readonly kind: 'cron' | 'plan'; readonly id: number; readonly name: string }): string {
  return subscriptionMessages(lang).target(target.kind, escapeText(truncate(target.name, 200)), target.id, scopeText(scope));
}

function runTarget(lang: Lang, watch: Watch & { readonly run: RunOf }): string {
  return targetText(lang, watch.ref, { kind: watch.run.kind, id: watch.run.targetId, name: watch.run.targetName });
}

function runName(s: SubscriptionMessages, watch: Watch, summary: JobSummary | null, offsetMinutes: number): string {
  const started = summary?.startTime ?? watch.createdAt;
  return s.runName(slackDate(started, offsetMinutes, '{date_short} {time}'), watch.ref.jobInstanceId);
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

/** Mute 24 h and Stop, on every message about a subscription's run. */
export function subscriptionButtons(subscriptionId: string, lang: Lang): ActionsBlock {
  const s = subscriptionMessages(lang);
  return {
    type: 'actions',
    block_id: `joblog_sub:${subscriptionId}`,
    elements: [
      { type: 'button', action_id: ACTION.muteSubscription, text: { type: 'plain_text', text: s.muteButton }, value: subscriptionId },
      { type: 'button', action_id: ACTION.stopSubscription, text: { type: 'plain_text', text: s.stopButton }, value: subscriptionId, style: 'danger' },
    ],
  };
}

/** The headline of a run's summary message: the announcement when first posted, the run's state on later updates. */
function headline(watch: Watch & { readonly run: RunOf }, message: RunMessage | null, summary: JobSummary, options: Pick<RenderOptions, 'lang' | 'offsetMinutes'>): string {
  const s = subscriptionMessages(options.lang);
  const target = runTarget(options.lang, watch);
  const run = runName(s, watch, summary, options.offsetMinutes);
  if (message?.kind === 'failure') return s.runFailed(mention(watch.subscriberId), target, run);
  if (message?.kind === 'still_failing') return s.runStillFailing(target, run, message.streak);
  if (message?.kind === 'waiting') return s.runWaiting(mention(watch.subscriberId), target, run);
  return `${stateEmoji(summary.state)} ${target}: ${run} · ${messages(options.lang).jobState[summary.state]}`;
}

/**
 * A run's summary message: what happened, the run's summary (failing step, host groups, exit
 * codes, error lines, log buttons), who subscribed, Mute and Stop. `message` null: an update in place.
 */
export function renderRunSummary(watch: Watch & { readonly run: RunOf }, message: RunMessage | null, summary: JobSummary, options: Omit<RenderOptions, 'watching'>): SlackMessage {
  const s = subscriptionMessages(options.lang);
  const head = headline(watch, message, summary, options);
  const body = renderJobSummary(summary, { ...options, watching: null });
  const by: ContextBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: s.followedBy(mention(watch.subscriberId), s.notifyOnChoice[watch.notifyOn], watch.run.subscriptionId) }] };
  const room = LIMITS.blocksPerMessage - 3;
  const blocks: KnownBlock[] = [section(head), ...body.blocks.slice(0, room), by, subscriptionButtons(watch.run.subscriptionId, options.lang)];
  return { text: truncate(`${head} ${body.text}`.replace(/\n/g, ' '), LIMITS.fallbackText), blocks };
}

/** One-line run messages (recovered, succeeded, started) and summary messages, by kind. */
export function renderRunMessage(watch: Watch & { readonly run: RunOf }, message: RunMessage, summary: JobSummary | null, options: Omit<RenderOptions, 'watching'>): SlackMessage {
  if ((message.kind === 'failure' || message.kind === 'still_failing' || message.kind === 'waiting') && summary !== null) return renderRunSummary(watch, message, summary, options);
  const s = subscriptionMessages(options.lang);
  const target = runTarget(options.lang, watch);
  const run = runName(s, watch, summary, options.offsetMinutes);
  const took = summary?.durationMs === null || summary?.durationMs === undefined ? null : formatDuration(summary.durationMs);
  let text: string;
  switch (message.kind) {
    case 'recovered':
      text = s.runRecovered(target, run, message.failures, message.failingSince === null ? null : slackDate(message.failingSince, options.offsetMinutes, '{date_short} {time}'));
      break;
    case 'succeeded':
      text = s.runSucceeded(target, run, took);
      break;
    case 'started':
      text = s.runStarted(target, run);
      break;
    case 'failure':
      text = s.runFailed(mention(watch.subscriberId), target, run);
      break;
    case 'still_failing':
      text = s.runStillFailing(target, run, message.streak);
      break;
    case 'waiting':
      text = s.runWaiting(mention(watch.subscriberId), target, run);
      break;
  }
  const blocks: KnownBlock[] = [section(text)];
  if (message.kind !== 'started') blocks.push(subscriptionButtons(watch.run.subscriptionId, options.lang));
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}

/** A note outside any one run: the end of a mute, the daily digest, a cron or plan gone from JOB. */
export function renderSubscriptionNote(sub: Subscription, note: SubscriptionNote, lang: Lang, offsetMinutes: number): SlackMessage {
  const s = subscriptionMessages(lang);
  const target = targetText(lang, sub.scope, sub.target);
  let text: string;
  switch (note.kind) {
    case 'mute_ended':
      text = s.muteEnded(target, formatDuration(note.mutedForMs), note.period.runs, note.period.failed, note.period.lastResult === null ? null : s.resultLabel[note.period.lastResult]);
      break;
    case 'digest': {
      const slow = note.digest.slowest;
      const slowest = slow === null || slow.durationMs === null ? null : `${slackDate(slow.createdAt, offsetMinutes, '{date_short} {time}')} (${formatDuration(slow.durationMs)})`;
      text = s.digest(target, note.digest.runs, note.digest.failed, note.digest.successRate, slowest);
      break;
    }
    case 'target_gone':
      text = s.targetGone(target, mention(sub.subscriberId));
      break;
    case 'policy_stopped':
      text = s.policyStopped(target, mention(sub.subscriberId), messages(lang).reasonPolicy(note.stop, policyScopeKey(sub.scope)));
      break;
  }
  const blocks: KnownBlock[] = [section(text)];
  // An ended subscription has nothing left to mute or stop.
  if (note.kind !== 'target_gone' && note.kind !== 'policy_stopped') blocks.push(subscriptionButtons(sub.id, lang));
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}

/** The channel's confirmation of a new subscription: what it follows, how, who subscribed. */
export function renderSubscribed(sub: Subscription, lang: Lang, offsetMinutes: number): SlackMessage {
  const s = subscriptionMessages(lang);
  const target = targetText(lang, sub.scope, sub.target);
  const details = sub.target.kind === 'cron' ? s.cronDetails(sub.target.expression === null ? null : escapeText(truncate(sub.target.expression, 100)), sub.target.timeZone === null ? null : escapeText(sub.target.timeZone)) : s.planDetails(sub.target.templateId);
  const lines = [s.subscribed(target, mention(sub.subscriberId), s.notifyOnChoice[sub.notifyOn], sub.id), details];
  if (sub.digestAt !== null) lines.push(s.digestAt(sub.digestAt, escapeText(sub.target.timeZone ?? utcOffsetZone(offsetMinutes))));
  return { text: truncate(lines.join(' '), LIMITS.fallbackText), blocks: [section(lines.join('\n')), subscriptionButtons(sub.id, lang)] };
}

/** One line per subscription: target, kind, last run and result, since when, who, mute. */
export function subscriptionLines(subs: readonly Subscription[], lang: Lang, offsetMinutes: number, now: number): string[] {
  const s = subscriptionMessages(lang);
  const date = (ms: number) => slackDate(ms, offsetMinutes, '{date_short} {time}');
  return subs.map((sub) => {
    const { state } = sub;
    const last = state.lastRunAt === null || state.lastResult === null ? s.neverRan : `${date(state.lastRunAt)} ${s.resultLabel[state.lastResult]}`;
    const since = state.resultSince !== null && state.lastResult !== null && state.resultSince !== state.lastRunAt ? date(state.resultSince) : '';
    const muted = state.mutedUntil !== null && state.mutedUntil > now ? s.mutedUntil(date(state.mutedUntil)) : '';
    return s.listLine(`${targetText(lang, sub.scope, sub.target)} \`${sub.id}\``, s.kindLabel[sub.target.kind], last, since, mention(sub.subscriberId), s.notifyOnChoice[sub.notifyOn], muted);
  });
}

/** `/joblog list`'s subscriptions part (the watches part is renderWatchList's). */
export function renderSubscriptionList(subs: readonly Subscription[], lang: Lang, offsetMinutes: number, now: number): KnownBlock[] {
  if (subs.length === 0) return [];
  const s = subscriptionMessages(lang);
  return packLines([s.listTitle(subs.length), ...subscriptionLines(subs, lang, offsetMinutes, now)], LIMITS.sectionText).map(section);
}
