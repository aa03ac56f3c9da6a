/**
 * Pure builders for watch messages: the status message (job summary + who watches it) that is
 * updated in place, the event replies in its thread, and the `/joblog list` answer.
 */
import { scopeText } from '../bkjob/model';
import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { meaningfulExitCode } from '../bkjob/status';
import { hostStatusLabel, stepStatusLabel, type Lang } from '../i18n';
import { messages } from '../i18n';
import { waitKindOf } from '../summary/state';
import type { JobSummary } from '../summary/types';
import type { KeyedEvent, WatchEvent } from '../watch/rules';
import type { Watch } from '../watch/types';
import { type RenderOptions, type SlackMessage, errorLineText, renderJobSummary, stateEmoji } from './jobSummary';
import { LIMITS, escapeText, formatDuration, inlineCode, packLines, safeText, slackDate, truncate } from './text';

const mention = (userId: string) => `<@${userId}>`;

/** When an active watch follows a failed, stopped or abnormal job for retries: until when; else null. */
function followingRetriesUntil(watch: Watch): number | null {
  return watch.status === 'active' && watch.snapshot?.followingRetriesUntil !== undefined ? watch.snapshot.followingRetriesUntil : null;
}

/** The job's state as a watch list shows it: "failed, following retries" while a retry may still come. */
export function watchedState(watch: Watch, lang: Lang): string {
  const m = messages(lang);
  if (!watch.snapshot) return '…';
  const state = `${stateEmoji(watch.snapshot.state)} ${m.jobState[watch.snapshot.state]}`;
  return followingRetriesUntil(watch) !== null ? m.followingRetriesState(state) : state;
}

function watchNote(watch: Watch, lang: Lang, offsetMinutes: number): string {
  const m = messages(lang);
  const until = followingRetriesUntil(watch);
  if (until !== null) return m.followingRetriesNote(mention(watch.subscriberId), slackDate(until, offsetMinutes));
  if (watch.status === 'active') return m.watchedBy(mention(watch.subscriberId), m.notifyOnLabel[watch.notifyOn]);
  // Reasons are stored as safe mrkdwn (they may mention the user who unwatched).
  if (watch.status === 'paused') return m.watchPausedNote(truncate(watch.statusReason ?? '', 300));
  return m.watchEnded(truncate(watch.statusReason ?? '', 300));
}

/** The watch's status message: the latest summary plus a line saying who watches and how. */
export function renderWatchStatus(summary: JobSummary, watch: Watch, options: Omit<RenderOptions, 'watching'>): SlackMessage {
  const open = watch.status === 'active' || watch.status === 'paused';
  const message = renderJobSummary(summary, { ...options, watching: open ? true : null });
  const note: ContextBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: watchNote(watch, options.lang, options.offsetMinutes) }] };
  // The note goes right under the header's context line, where people look first.
  const blocks: KnownBlock[] = [...message.blocks.slice(0, 2), note, ...message.blocks.slice(2)];
  return { text: message.text, blocks: blocks.slice(0, LIMITS.blocksPerMessage) };
}

function eventText(event: WatchEvent, lang: Lang): string {
  const m = messages(lang);
  switch (event.type) {
    case 'step_failed': {
      const lines = [m.eventStepFailed(event.step.position, safeText(event.step.name || '—', 200), event.step.failedHostCount, event.step.hostCount)];
      for (const group of event.groups) {
        const code = meaningfulExitCode(group.ipStatus, group.exitCode);
        const exit = code !== null ? `*${m.exitCode(code)}* · ` : '';
        const rest = group.count - group.hosts.length;
        lines.push(`• ${exit}${hostStatusLabel(group.ipStatus, lang)} (${group.ipStatus}) · ${m.hosts(group.count)}: ${group.hosts.map(inlineCode).join(', ')}${rest > 0 ? ` ${m.andMore(rest)}` : ''}`);
        const why = errorLineText(group.errorLine, group.othersDiffer, lang, { hostCount: group.count, ...(group.unread ? { unread: group.unread } : {}) });
        if (why) lines.push(why);
      }
      return lines.join('\n');
    }
    case 'step_waiting': {
      const kind = waitKindOf({ status: event.step.status, type: event.step.type ?? null }) ?? 'unknown';
      return `${m.eventStepWaiting(event.step.position, safeText(event.step.name || '—', 200), kind)}. ${m.waitAction[kind]}`;
    }
    case 'step_finished':
      return m.eventStepFinished(event.step.position, safeText(event.step.name || '—', 200), stepStatusLabel(event.step.status, lang));
    case 'job_finished':
      return `${stateEmoji(event.state)} ${m.eventJobFinished(m.jobState[event.state], event.durationMs === null ? null : formatDuration(event.durationMs))}`;
    case 'job_recovered':
      return `${stateEmoji('succeeded')} ${m.eventJobRecovered(event.durationMs === null ? null : formatDuration(event.durationMs))}`;
    case 'job_abnormal':
      return m.eventJobAbnormal(event.step ? `${event.step.position} ${safeText(event.step.name, 200)}` : null);
    case 'watch_paused':
      return m.eventWatchPaused(truncate(event.reason, 500));
    case 'watch_expired':
      return m.eventWatchExpired(formatDuration(event.ageMs));
    case 'watch_stopped':
      return m.eventWatchStopped(truncate(event.reason, 500));
  }
}

/**
 * A thread reply for one event. Urgent events mention the subscriber (a real ping); the
 * job's end mentions them too, since they asked to hear when it ends.
 */
export function renderWatchEvent(keyed: KeyedEvent, watch: Watch, lang: Lang, urgent: boolean): SlackMessage {
  const body = eventText(keyed.event, lang);
  const ping = urgent || keyed.event.type === 'job_finished' || keyed.event.type === 'job_recovered' ? `${mention(watch.subscriberId)} ` : '';
  const text = truncate(`${ping}${body}`, LIMITS.sectionText);
  const blocks: KnownBlock[] = packLines([`${ping}${body}`], LIMITS.sectionText).map((t): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } }));
  return { text: truncate(text.replace(/\n/g, ' '), LIMITS.fallbackText), blocks };
}

/** `/joblog list`: the channel's watches with state and age, newest last. */
export function renderWatchList(watches: readonly Watch[], now: number, lang: Lang, hasSubscriptions = false): SlackMessage {
  const m = messages(lang);
  // With subscriptions listed below, an empty watch list says nothing.
  if (watches.length === 0 && hasSubscriptions) return { text: m.noWatches, blocks: [] };
  if (watches.length === 0) return { text: m.noWatches, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: m.noWatches } }] };
  const lines = watches.map((w) => {
    const title = escapeText(m.jobInline(w.snapshot?.jobName ?? null, scopeText(w.ref), w.ref.jobInstanceId));
    const state = watchedState(w, lang);
    const status = w.status === 'paused' ? m.pausedStatus(truncate(w.statusReason ?? '', 200)) : '';
    return m.watchListLine(title, state, mention(w.subscriberId), m.notifyOnLabel[w.notifyOn], formatDuration(now - w.createdAt), status);
  });
  const chunks = packLines([m.watchListTitle(watches.length), ...lines], LIMITS.sectionText).slice(0, LIMITS.blocksPerMessage);
  return { text: truncate([m.watchListTitle(watches.length), ...lines].join('\n'), LIMITS.fallbackText), blocks: chunks.map((t): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: t } })) };
}

/** DM to a subscriber whose watch's channel the bot can no longer post in. */
export function renderLostAccess(watch: Watch, lang: Lang): SlackMessage {
  const text = messages(lang).lostChannelAccess(`<#${watch.channelId}>`);
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
