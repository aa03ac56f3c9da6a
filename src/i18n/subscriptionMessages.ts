/**
 * The bot's words about subscriptions (crons and plans followed by a channel), in English and
 * Simplified Chinese. Arguments arrive already escaped or formatted (mentions, dates, code).
 */
import type { Lang } from './lang';

type Kind = 'cron' | 'plan';
type Result = 'succeeded' | 'failed' | 'waiting';

export interface SubscriptionMessages {
  kindLabel: Readonly<Record<Kind, string>>;
  resultLabel: Readonly<Record<Result, string>>;
  /** "Cron *nightly-backup* (#12, biz 3)". */
  target(kind: Kind, name: string, id: number, biz: string): string;
  cronDetails(expression: string | null, timeZone: string | null): string;
  planDetails(templateId: number | null): string;
  subscribed(target: string, user: string, notifyOn: string, id: string): string;
  digestAt(time: string, zone: string): string;
  alreadySubscribed(user: string, id: string): string;
  subscriptionLimit(max: number): string;
  targetNotFound(kind: Kind, id: number, biz: string): string;
  needsV3: string;
  /** CHANNEL_POLICY_FILE keeps this channel's summaries private, and watches and subscriptions post in the channel. */
  privateChannel: string;
  couldNotCheck(kind: Kind, id: number, biz: string): string;
  couldNotSearch: string;
  unsubscribed(target: string, user: string): string;
  notSubscribed(id: string): string;
  muted(target: string, until: string, user: string): string;
  unmuted(target: string, user: string): string;
  /** Run announcements. `run` names the run (its time and id). */
  runFailed(user: string, target: string, run: string): string;
  runStillFailing(target: string, run: string, streak: number): string;
  runWaiting(user: string, target: string, run: string): string;
  runRecovered(target: string, run: string, failures: number, since: string | null): string;
  runSucceeded(target: string, run: string, took: string | null): string;
  runStarted(target: string, run: string): string;
  runName(when: string, jobInstanceId: number): string;
  followedBy(user: string, notifyOn: string, id: string): string;
  muteEnded(target: string, mutedFor: string, runs: number, failed: number, last: string | null): string;
  digest(target: string, runs: number, failed: number, rate: number | null, slowest: string | null): string;
  targetGone(target: string, user: string): string;
  /** `reason`: `messages().reasonPolicy`. */
  policyStopped(target: string, user: string, reason: string): string;
  listTitle(count: number): string;
  listLine(target: string, kind: string, last: string, since: string, user: string, notifyOn: string, muted: string): string;
  neverRan: string;
  mutedUntil(until: string): string;
  homeTitle: string;
  homeEmpty: string;
  muteButton: string;
  stopButton: string;
  /** The subscribe modal. */
  modalTitle: string;
  modalSubmit: string;
  modalBusiness: string;
  modalBusinessHint: string;
  modalTarget: string;
  modalTargetPlaceholder: string;
  modalNotifyOn: string;
  notifyOnChoice: Readonly<Record<'failure' | 'finish' | 'all', string>>;
  modalBadBusiness: string;
  modalPickTarget: string;
  modalChannelNote(channel: string): string;
  problemNeedsTarget: string;
  problemBadKind(text: string): string;
  problemBadDigest: string;
  problemNeedsSubscriptionId(verb: string): string;
  problemBadDuration(text: string): string;
}

const nth = (n: number): string => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
};

const EN: SubscriptionMessages = {
  kindLabel: { cron: 'Cron', plan: 'Plan' },
  resultLabel: { succeeded: 'succeeded', failed: 'failed', waiting: 'waiting for a user' },
  target: (kind, name, id, biz) => `${kind === 'cron' ? 'Cron' : 'Plan'} *${name}* (#${id}, biz ${biz})`,
  cronDetails: (expression, zone) => (expression ? `runs \`${expression}\`${zone ? ` (${zone})` : ''}` : 'a one-off cron'),
  planDetails: (templateId) => (templateId === null ? 'a job plan' : `a plan of template #${templateId}`),
  subscribed: (target, user, notifyOn, id) => `:bell: ${user} subscribed this channel to ${target}: ${notifyOn}. Subscription \`${id}\`.`,
  digestAt: (time, zone) => `Daily digest at ${time} (${zone}).`,
  alreadySubscribed: (user, id) => `This channel already follows it: ${user} subscribed (\`${id}\`).`,
  subscriptionLimit: (max) => `This channel already has ${max} subscriptions, the most allowed. Unsubscribe one first (\`/joblog list\`).`,
  targetNotFound: (kind, id, biz) => `There is no ${kind} #${id} in business ${biz}. Check the id in the JOB console (${kind === 'cron' ? 'Cron jobs' : 'Job plans'}).`,
  needsV3: 'Subscriptions need the v3 API of JOB (3.x with `get_job_instance_list`). This bot talks to JOB with v2 only (BK_JOB_API_VERSION=v2): ask its admin to switch to v3.',
  privateChannel: "This channel keeps job summaries private (the bot's channel policy), and watches and subscriptions post them in the channel. Watch or subscribe in a channel that allows it, or in a direct message with me.",
  couldNotCheck: (kind, id, biz) => `:warning: Could not read ${kind} #${id} of business ${biz} from JOB.`,
  couldNotSearch: 'JOB did not answer in time; type again to retry.',
  unsubscribed: (target, user) => `:no_bell: ${user} unsubscribed this channel from ${target}.`,
  notSubscribed: (id) => `No active subscription \`${id}\` in this channel. \`/joblog list\` shows them.`,
  muted: (target, until, user) => `:zzz: ${user} muted ${target} until ${until}. Runs are still recorded; one line will say what happened meanwhile.`,
  unmuted: (target, user) => `:bell: ${user} unmuted ${target}.`,
  runFailed: (user, target, run) => `:red_circle: ${user} ${target}: ${run} failed.`,
  runStillFailing: (target, run, streak) => `:red_circle: Still failing: ${target}, ${run} failed, ${nth(streak)} in a row.`,
  runWaiting: (user, target, run) => `:large_yellow_circle: ${user} ${target}: ${run} is waiting for a user.`,
  runRecovered: (target, run, failures, since) => `:large_green_circle: ${target} recovered: ${run} succeeded after ${failures === 1 ? '1 failed run' : `${failures} failed runs`}${since ? ` (failing since ${since})` : ''}.`,
  runSucceeded: (target, run, took) => `:large_green_circle: ${target}: ${run} succeeded${took ? ` in ${took}` : ''}.`,
  runStarted: (target, run) => `:arrow_forward: ${target}: ${run} started.`,
  runName: (when, id) => `the run of ${when} (job ${id})`,
  followedBy: (user, notifyOn, id) => `Subscription \`${id}\` by ${user} · ${notifyOn}`,
  muteEnded: (target, mutedFor, runs, failed, last) => `:bell: ${target} is no longer muted. In the last ${mutedFor}: ${runs === 1 ? '1 run' : `${runs} runs`}, ${failed} failed${last ? `; the last one ${last}` : ''}.`,
  digest: (target, runs, failed, rate, slowest) =>
    `:bar_chart: Daily digest for ${target}: ${runs === 1 ? '1 run' : `${runs} runs`}, ${failed} failed${rate === null ? '' : `, ${rate}% succeeded`}${slowest ? `; slowest: ${slowest}` : ''}.`,
  targetGone: (target, user) => `:warning: ${target} no longer exists in JOB, so this subscription (by ${user}) has ended.`,
  policyStopped: (target, user, reason) => `:no_entry_sign: The subscription to ${target} (by ${user}) has ended: ${reason}.`,
  listTitle: (count) => `*Subscriptions* (${count})`,
  listLine: (target, kind, last, since, user, notifyOn, muted) => `• ${target} · ${kind} · last run: ${last}${since ? ` since ${since}` : ''} · by ${user} · ${notifyOn}${muted ? ` · ${muted}` : ''}`,
  neverRan: 'none yet',
  mutedUntil: (until) => `muted until ${until}`,
  homeTitle: 'Your subscriptions',
  homeEmpty: 'You have no subscriptions. `/joblog subscribe` in a channel follows every run of a cron or plan there.',
  muteButton: 'Mute 24 h',
  stopButton: 'Stop subscription',
  modalTitle: 'Subscribe to a job',
  modalSubmit: 'Subscribe',
  modalBusiness: 'Business',
  modalBusinessHint: 'A business id such as 3, or set:5 for a business set.',
  modalTarget: 'Cron or plan',
  modalTargetPlaceholder: 'Type to search crons and plans',
  modalNotifyOn: 'Tell the channel about',
  notifyOnChoice: { failure: 'Failures and waits, and the recovery', finish: 'Every finished run', all: 'Every run: start and end' },
  modalBadBusiness: 'Enter a business id (a whole number) or set:<id>.',
  modalPickTarget: 'Pick a cron or a plan from the list.',
  modalChannelNote: (channel) => `Runs will be announced in ${channel}.`,
  problemNeedsTarget: '`subscribe` needs <bk_biz_id> cron <cron_id>, or <bk_biz_id> plan <job_plan_id>',
  problemBadKind: (text) => `\`${text}\` is neither \`cron\` nor \`plan\``,
  problemBadDigest: '`--digest` needs a time of day such as 09:00',
  problemNeedsSubscriptionId: (verb) => `\`${verb}\` needs a subscription id (see \`/joblog list\`)`,
  problemBadDuration: (text) => `\`${text}\` is not a duration like 24h, 90m or 2d`,
};

const ZH: SubscriptionMessages = {
  kindLabel: { cron: '定时任务', plan: '执行方案' },
  resultLabel: { succeeded: '成功', failed: '失败', waiting: '等待用户' },
  target: (kind, name, id, biz) => `${kind === 'cron' ? '定时任务' : '执行方案'} *${name}*（#${id}，业务 ${biz}）`,
  cronDetails: (expression, zone) => (expression ? `执行周期 \`${expression}\`${zone ? `（${zone}）` : ''}` : '单次执行的定时任务'),
  planDetails: (templateId) => (templateId === null ? '执行方案' : `作业模板 #${templateId} 的执行方案`),
  subscribed: (target, user, notifyOn, id) => `:bell: ${user} 已为本频道订阅 ${target}：${notifyOn}。订阅 \`${id}\`。`,
  digestAt: (time, zone) => `每日摘要时间 ${time}（${zone}）。`,
  alreadySubscribed: (user, id) => `本频道已订阅：由 ${user} 订阅（\`${id}\`）。`,
  subscriptionLimit: (max) => `本频道已有 ${max} 个订阅，已达上限。请先取消一个（\`/joblog list\`）。`,
  targetNotFound: (kind, id, biz) => `业务 ${biz} 中没有${kind === 'cron' ? '定时任务' : '执行方案'} #${id}。请在作业平台中核对 ID。`,
  needsV3: '订阅需要作业平台 v3 API（3.x，含 `get_job_instance_list`）。本机器人目前只用 v2（BK_JOB_API_VERSION=v2），请联系管理员切换到 v3。',
  privateChannel: '本频道的作业概要仅私下显示（机器人的频道策略），而关注和订阅会在频道中发布概要。请在允许的频道或与我的私信中关注或订阅。',
  couldNotCheck: (kind, id, biz) => `:warning: 无法从作业平台读取业务 ${biz} 的${kind === 'cron' ? '定时任务' : '执行方案'} #${id}。`,
  couldNotSearch: '作业平台未及时响应，请重新输入以重试。',
  unsubscribed: (target, user) => `:no_bell: ${user} 已取消本频道对 ${target} 的订阅。`,
  notSubscribed: (id) => `本频道没有有效的订阅 \`${id}\`。\`/joblog list\` 可查看。`,
  muted: (target, until, user) => `:zzz: ${user} 已将 ${target} 静音至 ${until}。执行记录照常保存，结束后会汇总一条。`,
  unmuted: (target, user) => `:bell: ${user} 已取消 ${target} 的静音。`,
  runFailed: (user, target, run) => `:red_circle: ${user} ${target}：${run}失败。`,
  runStillFailing: (target, run, streak) => `:red_circle: 仍在失败：${target}，${run}失败，已连续 ${streak} 次。`,
  runWaiting: (user, target, run) => `:large_yellow_circle: ${user} ${target}：${run}正在等待用户操作。`,
  runRecovered: (target, run, failures, since) => `:large_green_circle: ${target} 已恢复：${run}成功，此前连续失败 ${failures} 次${since ? `（自 ${since} 起）` : ''}。`,
  runSucceeded: (target, run, took) => `:large_green_circle: ${target}：${run}成功${took ? `，耗时 ${took}` : ''}。`,
  runStarted: (target, run) => `:arrow_forward: ${target}：${run}已开始。`,
  runName: (when, id) => `${when} 的执行（作业 ${id}）`,
  followedBy: (user, notifyOn, id) => `订阅 \`${id}\`，由 ${user} 订阅 · ${notifyOn}`,
  muteEnded: (target, mutedFor, runs, failed, last) => `:bell: ${target} 已结束静音。过去 ${mutedFor} 内：执行 ${runs} 次，失败 ${failed} 次${last ? `；最后一次${last}` : ''}。`,
  digest: (target, runs, failed, rate, slowest) => `:bar_chart: ${target} 每日摘要：执行 ${runs} 次，失败 ${failed} 次${rate === null ? '' : `，成功率 ${rate}%`}${slowest ? `；最慢：${slowest}` : ''}。`,
  targetGone: (target, user) => `:warning: ${target} 在作业平台中已不存在，${user} 的此订阅已结束。`,
  policyStopped: (target, user, reason) => `:no_entry_sign: ${user} 对 ${target} 的订阅已结束：${reason}。`,
  listTitle: (count) => `*订阅*（${count}）`,
  listLine: (target, kind, last, since, user, notifyOn, muted) => `• ${target} · ${kind} · 最近执行：${last}${since ? `，自 ${since}` : ''} · ${user} · ${notifyOn}${muted ? ` · ${muted}` : ''}`,
  neverRan: '暂无',
  mutedUntil: (until) => `静音至 ${until}`,
  homeTitle: '我的订阅',
  homeEmpty: '你还没有订阅。在频道中使用 `/joblog subscribe` 可关注定时任务或执行方案的每次执行。',
  muteButton: '静音 24 小时',
  stopButton: '取消订阅',
  modalTitle: '订阅作业',
  modalSubmit: '订阅',
  modalBusiness: '业务',
  modalBusinessHint: '业务 ID，如 3；业务集写作 set:5。',
  modalTarget: '定时任务或执行方案',
  modalTargetPlaceholder: '输入以搜索定时任务和执行方案',
  modalNotifyOn: '通知内容',
  notifyOnChoice: { failure: '失败、等待及恢复', finish: '每次执行结束', all: '每次执行的开始与结束' },
  modalBadBusiness: '请输入业务 ID（整数）或 set:<id>。',
  modalPickTarget: '请从列表中选择定时任务或执行方案。',
  modalChannelNote: (channel) => `执行情况将发到 ${channel}。`,
  problemNeedsTarget: '`subscribe` 需要 <bk_biz_id> cron <cron_id> 或 <bk_biz_id> plan <job_plan_id>',
  problemBadKind: (text) => `\`${text}\` 既不是 \`cron\` 也不是 \`plan\``,
  problemBadDigest: '`--digest` 需要一天中的时间，如 09:00',
  problemNeedsSubscriptionId: (verb) => `\`${verb}\` 需要订阅 ID（见 \`/joblog list\`）`,
  problemBadDuration: (text) => `\`${text}\` 不是 24h、90m、2d 这样的时长`,
};

export function subscriptionMessages(lang: Lang): SubscriptionMessages {
  return lang === 'zh-CN' ? ZH : EN;
}
