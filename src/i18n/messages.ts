/**
 * The bot's own words in English and Simplified Chinese (BOT_LANG). BlueKing status labels live in
 * `bkjob/status.ts`; everything else a user reads comes from here, so the two languages stay in step.
 */
import type { BkErrorHint, BkJobError } from '../bkjob/errors';
import type { UnmappedReason } from '../bkjob/identity';
import type { Lang } from './lang';
import type { PolicyRefusal, PolicyStop } from '../policy';
import type { WaitKind } from '../summary/state';
import type { JobState } from '../summary/types';

export interface Messages {
  readonly jobState: Readonly<Record<JobState, string>>;
  jobTitle(name: string | null, jobInstanceId: number): string;
  /** `biz` as people type it: `3`, or `set:5` for a business set. */
  bizAndInstance(biz: string, jobInstanceId: number): string;
  /** The job as named in one-line texts: "Job 7 (biz 3)" or "nightly-backup (job 7, biz 3)". */
  jobInline(name: string | null, biz: string, jobInstanceId: number): string;
  steps(count: number): string;
  hosts(count: number): string;
  started(when: string): string;
  ended(when: string): string;
  took(duration: string): string;
  runningFor(duration: string): string;
  hostsFailed(failed: number, total: number): string;
  hostsDone(done: number, total: number): string;
  moreSteps(count: number, breakdown: string): string;
  failingHostsIn(position: number, name: string): string;
  errorsIgnored: string;
  exitCode(code: number): string;
  andMore(count: number): string;
  moreGroups(groups: number, hosts: number): string;
  /** After a failing group's error line: the group's hosts whose lines are known do not all say it. */
  otherHostsDiffer: string;
  /**
   * Under a row of hosts of a split group whose logs were (mostly) not read (v3/v4 read a few logs
   * a group): their line is unknown, not a different one. `unread` of the row's `hosts`.
   */
  logsNotRead(unread: number, hosts: number): string;
  /** Failing groups past the rows shown under a step, by their hosts only: "… 12 more hosts". */
  moreHosts(hosts: number): string;
  /** Unfurl of a pasted JOB link: the step the job failed at. */
  unfurlFailedAt(position: number, name: string, failed: number, total: number): string;
  moreFailingSteps(count: number): string;
  openInJob: string;
  /** Link text to a step's page in the JOB console. */
  openStep: string;
  watch: string;
  stopWatching: string;
  fallbackFailedAt(position: number, name: string, failed: number, total: number): string;
  fallbackWaitingAt(position: number, name: string, kind: WaitKind): string;
  /** What a waiting step needs from a person, short, after its status in the step list. */
  waitNeeds: Readonly<Record<WaitKind, string>>;
  usageTitle: string;
  usageProblem(problem: string): string;
  usageLines: readonly string[];
  usageFooter: string;
  problemMissing(what: string): string;
  problemNotANumber(what: string, text: string): string;
  problemOutOfRange(what: string, text: string, max: number): string;
  problemListTakesNoArguments: string;
  problemNeedsIds(verb: string): string;
  problemBadNotifyOn(values: readonly string[]): string;
  problemUnknownOption(text: string): string;
  problemExpectedTwoNumbers: string;
  problemUnknownCommand(text: string): string;
  /** A button whose value no longer makes sense (old message, tampered payload). */
  staleButton: string;
  couldNotLoad(biz: string, jobInstanceId: number): string;
  /** What went wrong talking to BlueKing, in the bot's language (BlueKing's own message quoted). */
  bkError(err: BkJobError): string;
  /** `username`: the BlueKing user the call was made as, when the error knows it (else: the bot's user). */
  missingPermissions(actions: string, username?: string): string;
  /**
   * What a BlueKing error means and what to do, one sentence per hint (`bkErrorHint` in
   * bkjob/errors.ts maps codes to hints). `parameter` comes escaped and quoted as code.
   */
  readonly bkErrorHints: Readonly<Record<BkErrorHint, (parameter?: string) => string>>;
  transientHint: string;
  /** A person's request waits for the people's BlueKing budget (BK_PEOPLE_CONCURRENCY) with `waiting` requests in line. */
  bkQueued(waiting: number): string;
  tooLargeHint: string;
  requestId(id: string): string;
  internalError(incident: string): string;
  notifyOnLabel: Readonly<Record<'failure' | 'finish' | 'all', string>>;
  watchedBy(user: string, notifyOn: string): string;
  watchEnded(reason: string): string;
  watchPausedNote(reason: string): string;
  eventStepFailed(position: number, name: string, failed: number, total: number): string;
  eventStepWaiting(position: number, name: string, kind: WaitKind): string;
  eventStepFinished(position: number, name: string, status: string): string;
  eventJobFinished(state: string, duration: string | null): string;
  eventJobAbnormal(step: string | null): string;
  eventJobRecovered(duration: string | null): string;
  followingRetriesNote(user: string, until: string): string;
  followingRetriesState(state: string): string;
  reasonNoRetry(window: string): string;
  eventWatchPaused(reason: string): string;
  eventWatchExpired(age: string): string;
  /** The watch ended because the channel policy no longer allows it (`reason`: `reasonPolicy`). */
  eventWatchStopped(reason: string): string;
  /** What to do about a waiting step, as a sentence after the event. */
  waitAction: Readonly<Record<WaitKind, string>>;
  alreadyWatching(user: string): string;
  watchLimit(max: number): string;
  alreadyFinished(state: string): string;
  watchResumed(title: string): string;
  /** The watch is saved but Slack made its status message wait (rate limit, failure): it follows. */
  watchStatusDelayed(title: string): string;
  cannotPostHere: string;
  /** The bot could not open a DM with the user (e.g. DMs with apps turned off in the workspace). */
  cannotDmYou: string;
  /**
   * The user has no BlueKing user (BK_USER_MAPPING), so nothing was asked of BlueKing: why, and
   * how to get one. `email` (the look-up's, when any) and `slackId` come formatted (inline code).
   */
  unmapped(reason: Pick<UnmappedReason, 'mode' | 'why'>, email: string | undefined, slackId: string): string;
  /** A watch's last error when its subscriber has no BlueKing user. */
  reasonUnmapped: string;
  /** The channel policy (CHANNEL_POLICY_FILE) refused, before BlueKing was asked; `biz` as people type it (`3`, `set:5`). */
  policyRefused(why: PolicyRefusal, biz: string): string;
  notWatching(biz: string, jobInstanceId: number): string;
  unwatched(user: string): string;
  unwatchedReply(title: string): string;
  noWatches: string;
  watchListTitle(count: number): string;
  watchListLine(title: string, state: string, user: string, notifyOn: string, age: string, status: string): string;
  pausedStatus(reason: string): string;
  lostChannelAccess(channel: string): string;
  reasonFinished: string;
  /** A subscription run's watch ends with its subscription. */
  reasonUnsubscribed: string;
  reasonExpired(age: string): string;
  reasonErrors(count: number, last: string): string;
  reasonNoAccess(error: string): string;
  /** Why a watch or subscription made before the policy file changed ended; `biz` as people type it. */
  reasonPolicy(why: PolicyStop, biz: string): string;
  /** A poll failed inside the bot (not BlueKing): the short form kept as the watch's last error. */
  pollInternalError: string;
  hostsPickerPlaceholder(count: number): string;
  logOf(host: string, step: string, status: string): string;
  retries(count: number): string;
  errorCode(code: number): string;
  logShowing(shown: number, total: number, cut: boolean): string;
  logEmpty: string;
  shareInChannel: string;
  fullLog: string;
  sharedBy(user: string): string;
  fullLogComment(host: string, step: string, size: string): string;
  fullLogSent: string;
  logUnavailable(host: string): string;
  homeTitle: string;
  homeIntro: string;
  homeEmpty: string;
  homeWatch(title: string, channel: string, state: string, age: string, status: string): string;
}

function en(): Messages {
  const n = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
  return {
    jobState: { pending: 'not started', running: 'running', waiting: 'waiting for a user', succeeded: 'succeeded', failed: 'failed', stopped: 'stopped', abnormal: 'in an abnormal state' },
    jobTitle: (name, id) => name ?? `Job ${id}`,
    bizAndInstance: (biz, id) => `Biz ${biz} · Instance ${id}`,
    jobInline: (name, biz, id) => (name ? `${name} (job ${id}, biz ${biz})` : `Job ${id} (biz ${biz})`),
    steps: (c) => n(c, 'step'),
    hosts: (c) => n(c, 'host'),
    started: (w) => `Started ${w}`,
    ended: (w) => `ended ${w}`,
    took: (d) => `took ${d}`,
    runningFor: (d) => `running for ${d}`,
    hostsFailed: (f, t) => `${f.toLocaleString('en-US')} of ${n(t, 'host')} failed`,
    hostsDone: (d, t) => `${d.toLocaleString('en-US')} of ${n(t, 'host')} done`,
    moreSteps: (c, b) => `… ${n(c, 'more step')}${b ? `: ${b}` : ''}`,
    failingHostsIn: (p, name) => `Failing hosts in step ${p} · ${name}`,
    errorsIgnored: 'errors ignored',
    exitCode: (c) => `exit ${c}`,
    andMore: (c) => `and ${c.toLocaleString('en-US')} more`,
    moreGroups: (g, h) => `… ${n(g, 'more group')} (${n(h, 'host')})`,
    otherHostsDiffer: 'other hosts differ',
    logsNotRead: (u, h) => (u >= h ? (h === 1 ? 'log not read' : 'logs not read') : `${u.toLocaleString('en-US')} of ${h.toLocaleString('en-US')} logs not read, no line in the rest`),
    moreHosts: (h) => `… ${n(h, 'more host')}`,
    unfurlFailedAt: (p, name, f, t) => `Failed at step ${p} · ${name}: ${f.toLocaleString('en-US')} of ${n(t, 'host')}`,
    moreFailingSteps: (c) => `… ${n(c, 'more step')} with failing hosts`,
    openInJob: 'Open in JOB',
    openStep: 'open step in JOB',
    watch: 'Watch this job',
    stopWatching: 'Stop watching',
    fallbackFailedAt: (p, name, f, t) => `step ${p} "${name}": ${f.toLocaleString('en-US')} of ${n(t, 'host')} failed`,
    fallbackWaitingAt: (p, name, kind) => `step ${p} "${name}" ${{ confirmation: 'is waiting for confirmation', rolling_pause: 'is paused between rolling batches', unknown: 'is waiting for a user' }[kind]}`,
    waitNeeds: { confirmation: 'confirm or terminate in JOB', rolling_pause: 'continue rolling in JOB', unknown: 'confirm, terminate or continue rolling in JOB' },
    usageTitle: '*joblog* shows BlueKing JOB job instances in Slack.',
    usageProblem: (problem) => `:warning: I didn't understand that: ${problem}.`,
    staleButton: 'that button is out of date; run `/joblog` again',
    problemMissing: (what) => `${what} is missing`,
    problemNotANumber: (what, text) => `${what} must be a positive whole number, not "${text}"`,
    problemOutOfRange: (what, text, max) => `${what} ${text} is out of range (1–${max})`,
    problemListTakesNoArguments: '`list` takes no arguments',
    problemNeedsIds: (verb) => `\`${verb}\` needs <bk_biz_id> <job_instance_id>`,
    problemBadNotifyOn: (values) => `\`--on\` must be one of ${values.join(', ')}`,
    problemUnknownOption: (text) => `unknown option \`${text}\``,
    problemExpectedTwoNumbers: 'expected exactly two numbers: <bk_biz_id> <job_instance_id>',
    problemUnknownCommand: (text) => `unknown command \`${text}\``,
    usageLines: [
      '`/joblog <bk_biz_id> <job_instance_id>` — summary of a job instance: steps, failing hosts, exit codes',
      '`/joblog watch <bk_biz_id> <job_instance_id> [--on failure|finish|all]` — tell this channel when the job fails, waits for confirmation or ends',
      '`/joblog unwatch <bk_biz_id> <job_instance_id>` — stop watching a job in this channel',
      '`/joblog subscribe <bk_biz_id> cron <cron_id>|plan <job_plan_id> [--on failure|finish|all] [--digest 09:00]` — follow every run of a cron or plan in this channel (`/joblog subscribe` alone opens a form)',
      '`/joblog unsubscribe <subscription_id>` · `/joblog mute <subscription_id> [24h|off]` — stop or silence a subscription',
      '`/joblog retry <bk_biz_id> <job_instance_id> [<step_instance_id>]` · `/joblog confirm <bk_biz_id> <job_instance_id>` — retry failed hosts or confirm a waiting step, as yourself (v3/v4)',
      '`/joblog list` — the watches and subscriptions of this channel',
      '`/joblog help` — this help',
    ],
    usageFooter: 'Example: `/joblog 3 2001893471`. Find both numbers in the JOB console under Execution History.',
    couldNotLoad: (biz, id) => `:warning: Could not load job instance ${id} in business ${biz}.`,
    bkError: (err) => err.message,
    missingPermissions: (actions, user) => `${user ? `BlueKing user ${user}` : "The bot's BlueKing user"} lacks: ${actions}. Ask a BlueKing admin to grant it in the permission center (IAM).`,
    bkErrorHints: {
      jobNotFound: () =>
        'There is no such job instance in this business, or it belongs to another business. Check both numbers: the job instance must belong to that business. (For a host log, it can also mean the step is not in that job.)',
      stepNotFound: () => 'There is no such step in this job (or in this business). Run `/joblog` for the job again to see its current steps.',
      unsupportedOperation: () => "The step's (or job's) current state does not allow that operation. Look at its current state, or act in the JOB console.",
      notConfirmer: () => "Only the step's confirmers may do that. Ask one of them to act on it in the JOB console.",
      bizNotFound: () => 'There is no such business or business set, or it is archived. Check the id; write a business set as `set:` and its id (e.g. `set:5`).',
      internalError: () =>
        "JOB had an internal error. For a job status request, the job may run in containers, which only JOB's v4 API describes: the bot's admin can set BK_JOB_API_VERSION=v4. For a job list, a filter value may be invalid.",
      invalidParameter: (p) => (p ? `JOB says the request parameter ${p} is invalid or missing. Check the value you gave.` : 'JOB says a request parameter is invalid or missing. Check the values you gave.'),
      noUser: () =>
        "The API gateway found no BlueKing user in the request. A BlueKing admin can exempt the bot's app from the gateway's user verification (bk-verified-user-exempted-apps), or the bot's admin can set BK_V3_TRANSPORT=esb to call JOB through the ESB.",
      missingParameter: (p) =>
        `JOB says the request parameter ${p ?? ''} is missing, so this JOB does not accept the bot's request. Give the request id to the bot's admin, who can check BK_JOB_API_VERSION against JOB's version.`,
    },
    transientHint: 'This is usually temporary; try again in a minute.',
    bkQueued: (waiting) => `BlueKing JOB is slow right now: your request waits its turn (${waiting.toLocaleString('en-US')} waiting).`,
    tooLargeHint: "This job's logs are too big to fetch at once. The bot's admin can raise BK_MAX_RESPONSE_MB or switch to BK_JOB_API_VERSION=v3, which fetches logs one host at a time.",
    requestId: (id) => `Request id: \`${id}\``,
    internalError: (incident) => `:warning: Something went wrong on the bot's side. Please try again; if it keeps happening, give your admin this reference: \`${incident}\`.`,
    notifyOnLabel: { failure: 'failures, steps waiting for confirmation and the result', finish: 'the final result', all: 'every step and the result' },
    watchedBy: (user, on) => `:eyes: Watched by ${user} · notifying on ${on}`,
    watchEnded: (reason) => `:eyes: Watch ended: ${reason}`,
    watchPausedNote: (reason) => `:double_vertical_bar: Watch paused: ${reason}`,
    eventStepFailed: (p, name, f, t) => `:x: Step ${p} *${name}* failed on ${f.toLocaleString('en-US')} of ${n(t, 'host')}`,
    eventStepWaiting: (p, name, kind) => `:raised_hand: Step ${p} *${name}* ${{ confirmation: 'is waiting for confirmation', rolling_pause: 'is paused between rolling batches (manual rolling)', unknown: 'is waiting for a user' }[kind]}`,
    eventStepFinished: (p, name, status) => `Step ${p} *${name}*: ${status}`,
    eventJobFinished: (state, d) => `Job ${state}${d ? ` after ${d}` : ''}`,
    eventJobAbnormal: (step) => `:exclamation: The job is in an abnormal state${step ? ` at step ${step}` : ''}; check it in the JOB console`,
    eventJobRecovered: (d) => `Job recovered: it succeeded after the failure${d ? ` (took ${d})` : ''}`,
    followingRetriesNote: (user, until) => `:eyes: Watched by ${user} · following retries on this job until ${until}`,
    followingRetriesState: (state) => `${state}, following retries`,
    reasonNoRetry: (window) => `nobody retried the job within ${window}`,
    eventWatchPaused: (reason) => `:double_vertical_bar: Watch paused: ${reason}. Run \`/joblog watch\` again to resume.`,
    eventWatchExpired: (age) => `:hourglass: Watch expired after ${age}; run \`/joblog watch\` again to keep watching.`,
    eventWatchStopped: (reason) => `:no_entry_sign: Watch stopped: ${reason}.`,
    waitAction: {
      confirmation: 'Confirm or terminate it in the JOB console.',
      rolling_pause: 'Continue rolling in the JOB console when the last batch looks right.',
      unknown: 'Confirm, terminate or continue rolling it in the JOB console.',
    },
    alreadyWatching: (user) => `This channel already watches that job (since ${user} subscribed it).`,
    watchLimit: (max) => `This channel already has ${max} active watches (WATCH_MAX_PER_CHANNEL). Stop one with \`/joblog unwatch\` first.`,
    alreadyFinished: (state) => `That job has already ${state}; there is nothing left to watch.`,
    watchResumed: (title) => `:eyes: Watching ${title} again; the paused watch is active.`,
    watchStatusDelayed: (title) => `:eyes: Watching ${title}. Slack is holding back messages in this channel right now; the status message follows as soon as it lets me post.`,
    cannotPostHere: "I can't post in this channel. Invite me with `/invite @joblog` and try again.",
    cannotDmYou: "I can't send you a direct message, so the full log could not be delivered. Check that messages from apps are allowed for you in this workspace, or use Share in channel.",
    unmapped: ({ mode, why }, email, id) => {
      const head = ':no_entry: I don\'t know your BlueKing user, so I asked BlueKing JOB for nothing.';
      if (why === 'lookup_failed') return `${head} ${mode === 'bkuser' ? 'Slack or bk-user' : 'Slack'} did not answer just now; try again in a minute.`;
      if (why === 'no_email') return `${head} Your Slack profile shows me no email. Ask the bot's admin to check that the app has the \`users:read.email\` scope${mode === 'file' ? `, or to add your Slack id ${id} to BK_USER_MAP_FILE` : ''}.`;
      if (mode === 'file') return `${head} You are not in the bot's user map. Ask the bot's admin to add your Slack id ${id}${email ? ` (or your email ${email})` : ''} with your BlueKing username to BK_USER_MAP_FILE.`;
      if (mode === 'email') return `${head} Your email ${email ?? ''} does not fit the bot's BK_USER_EMAIL_PATTERN. Ask the bot's admin.`;
      if (why === 'ambiguous') return `${head} Several BlueKing users have your email ${email ?? ''} in bk-user. Ask a BlueKing admin to leave it on your account only.`;
      return `${head} No BlueKing user has your email ${email ?? ''} in bk-user. Ask a BlueKing admin to set it on your BlueKing account, then try again.`;
    },
    reasonUnmapped: 'the subscriber has no BlueKing user (BK_USER_MAPPING)',
    policyRefused: (why, biz) =>
      ({
        channel_denied: "I'm not used in this channel. Ask in a channel where I am, or in a direct message with me.",
        business_not_allowed: `This channel does not allow business ${biz}. Ask in a channel that does, or in a direct message with me.`,
        subscriptions_off: 'Subscriptions are turned off in this channel. Subscribe in a channel that allows them, or in a direct message with me.',
        actions_off: 'Operating jobs from Slack is turned off in this channel. Use the JOB console, or a direct message with me.',
        not_allowed_to_act: 'You are not among the people allowed to act on jobs from this channel. Ask one of them, or use the JOB console.',
        unfurl_off: 'Previews of JOB links are turned off.',
      })[why],
    notWatching: (biz, id) => `This channel is not watching job instance ${id} in business ${biz}.`,
    unwatched: (user) => `stopped by ${user}`,
    unwatchedReply: (title) => `Stopped watching ${title}.`,
    noWatches: 'This channel has no active watches. Start one with `/joblog watch <bk_biz_id> <job_instance_id>`.',
    watchListTitle: (c) => `*${n(c, 'watch', 'watches')} in this channel*`,
    watchListLine: (title, state, user, on, age, status) => `• ${title} · ${state} · by ${user} ${age} ago · on ${on}${status ? ` · ${status}` : ''}`,
    pausedStatus: (reason) => `paused: ${reason}`,
    lostChannelAccess: (channel) => `I lost access to ${channel}, so your joblog watch there is paused. Invite me back with \`/invite @joblog\` and run \`/joblog watch\` again.`,
    reasonFinished: 'the job finished',
    reasonUnsubscribed: 'the subscription ended',
    reasonExpired: (age) => `expired after ${age}`,
    reasonErrors: (c, last) => `${c} polls in a row failed (last: ${last})`,
    reasonNoAccess: (e) => `cannot post in the channel (${e})`,
    reasonPolicy: (why, biz) =>
      ({
        channel_denied: 'the channel policy no longer lets me post in this channel',
        business_not_allowed: `the channel policy no longer allows business ${biz} in this channel`,
        subscriptions_off: 'the channel policy turned subscriptions off in this channel',
        private_summaries: 'the channel policy now keeps job summaries out of this channel',
      })[why],
    pollInternalError: 'internal error',
    hostsPickerPlaceholder: (c) => `All ${n(c, 'failing host')}: pick one`,
    logOf: (host, step, status) => `:page_facing_up: Log of ${host} in *${step}* · ${status}`,
    retries: (c) => n(c, 'retry', 'retries'),
    errorCode: (c) => `error code ${c}`,
    logShowing: (shown, total, cut) => `Showing the last ${n(shown, 'line')} of ${total.toLocaleString('en-US')}${cut ? ' (the first shown line is cut at its start)' : ''}`,
    logEmpty: 'The log is empty.',
    shareInChannel: 'Share in channel',
    fullLog: 'Full log',
    sharedBy: (user) => `Shared by ${user}`,
    fullLogComment: (host, step, size) => `Full log of ${host} in ${step} (${size})`,
    fullLogSent: ':inbox_tray: Sent the full log to you in a direct message.',
    logUnavailable: (host) => `:warning: Could not load the log of ${host}.`,
    homeTitle: 'Your joblog watches',
    homeIntro: 'Jobs you are watching, in every channel. Start one with `/joblog watch <bk_biz_id> <job_instance_id>` in the channel that should hear about it.',
    homeEmpty: 'You are not watching any job.',
    homeWatch: (title, channel, state, age, status) => `*${title}* in ${channel}\n${state} · watched for ${age}${status ? ` · ${status}` : ''}`,
  };
}

function zh(): Messages {
  return {
    jobState: { pending: '未开始', running: '执行中', waiting: '等待确认', succeeded: '执行成功', failed: '执行失败', stopped: '已终止', abnormal: '状态异常' },
    jobTitle: (name, id) => name ?? `作业 ${id}`,
    bizAndInstance: (biz, id) => `业务 ${biz} · 实例 ${id}`,
    jobInline: (name, biz, id) => (name ? `${name}（作业 ${id}，业务 ${biz}）` : `作业 ${id}（业务 ${biz}）`),
    steps: (c) => `${c} 个步骤`,
    hosts: (c) => `${c} 台主机`,
    started: (w) => `开始于 ${w}`,
    ended: (w) => `结束于 ${w}`,
    took: (d) => `耗时 ${d}`,
    runningFor: (d) => `已执行 ${d}`,
    hostsFailed: (f, t) => `${t} 台主机中 ${f} 台失败`,
    hostsDone: (d, t) => `${t} 台主机中 ${d} 台已完成`,
    moreSteps: (c, b) => `… 另有 ${c} 个步骤${b ? `：${b}` : ''}`,
    failingHostsIn: (p, name) => `步骤 ${p} · ${name} 的失败主机`,
    errorsIgnored: '已忽略错误',
    exitCode: (c) => `退出码 ${c}`,
    andMore: (c) => `等另 ${c} 台`,
    moreGroups: (g, h) => `… 另有 ${g} 组（${h} 台主机）`,
    otherHostsDiffer: '其他主机的报错不同',
    logsNotRead: (u, h) => (u >= h ? '未读取日志' : `${h} 台中 ${u} 台未读取日志，其余的日志中没有报错行`),
    moreHosts: (h) => `… 另有 ${h} 台主机`,
    unfurlFailedAt: (p, name, f, t) => `失败于步骤 ${p} · ${name}：${t} 台主机中 ${f} 台`,
    moreFailingSteps: (c) => `… 另有 ${c} 个步骤有失败主机`,
    openInJob: '在作业平台中查看',
    openStep: '在作业平台中查看该步骤',
    watch: '关注此作业',
    stopWatching: '取消关注',
    fallbackFailedAt: (p, name, f, t) => `步骤 ${p}「${name}」：${t} 台主机中 ${f} 台失败`,
    fallbackWaitingAt: (p, name, kind) => `步骤 ${p}「${name}」${{ confirmation: '等待确认', rolling_pause: '滚动暂停，等待继续', unknown: '等待用户操作' }[kind]}`,
    waitNeeds: { confirmation: '请在作业平台确认或终止', rolling_pause: '请在作业平台继续滚动', unknown: '请在作业平台确认、终止或继续滚动' },
    usageTitle: '*joblog* 在 Slack 中查看蓝鲸作业平台的作业实例。',
    usageProblem: (problem) => `:warning: 无法识别该命令：${problem}。`,
    staleButton: '该按钮已过期，请重新运行 `/joblog`',
    problemMissing: (what) => `缺少 ${what}`,
    problemNotANumber: (what, text) => `${what} 必须是正整数，而不是“${text}”`,
    problemOutOfRange: (what, text, max) => `${what} ${text} 超出范围（1–${max}）`,
    problemListTakesNoArguments: '`list` 不需要参数',
    problemNeedsIds: (verb) => `\`${verb}\` 需要 <bk_biz_id> <job_instance_id>`,
    problemBadNotifyOn: (values) => `\`--on\` 只能是 ${values.join('、')}`,
    problemUnknownOption: (text) => `未知选项 \`${text}\``,
    problemExpectedTwoNumbers: '需要两个数字：<bk_biz_id> <job_instance_id>',
    problemUnknownCommand: (text) => `未知命令 \`${text}\``,
    usageLines: [
      '`/joblog <bk_biz_id> <job_instance_id>` — 作业实例概要：步骤、失败主机、退出码',
      '`/joblog watch <bk_biz_id> <job_instance_id> [--on failure|finish|all]` — 作业失败、等待确认或结束时通知本频道',
      '`/joblog unwatch <bk_biz_id> <job_instance_id>` — 在本频道取消关注该作业',
      '`/joblog subscribe <bk_biz_id> cron <cron_id>|plan <job_plan_id> [--on failure|finish|all] [--digest 09:00]` — 在本频道关注定时任务或执行方案的每次执行（只输入 `/joblog subscribe` 会打开表单）',
      '`/joblog unsubscribe <订阅ID>` · `/joblog mute <订阅ID> [24h|off]` — 取消或静音订阅',
      '`/joblog retry <bk_biz_id> <job_instance_id> [<step_instance_id>]` · `/joblog confirm <bk_biz_id> <job_instance_id>` — 以你自己的身份重做失败主机或确认等待中的步骤（v3/v4）',
      '`/joblog list` — 本频道的关注和订阅列表',
      '`/joblog help` — 显示本帮助',
    ],
    usageFooter: '示例：`/joblog 3 2001893471`。两个数字可在作业平台的“执行历史”中找到。',
    couldNotLoad: (biz, id) => `:warning: 无法加载业务 ${biz} 的作业实例 ${id}。`,
    bkError: (err) => {
      switch (err.kind) {
        case 'api':
          return `蓝鲸作业平台错误${err.code !== undefined ? ` ${err.code}` : ''}：${err.bkMessage ?? ''}`;
        case 'http':
          return `蓝鲸作业平台返回 HTTP ${err.code ?? ''}${err.bkMessage ? `：${err.bkMessage}` : ''}`;
        case 'timeout':
          return '蓝鲸作业平台未在超时时间（BK_TIMEOUT_MS）内响应';
        case 'network':
          return '无法连接蓝鲸作业平台';
        case 'too_large':
          return '蓝鲸作业平台的响应超过了 BK_MAX_RESPONSE_MB 限制';
        case 'not_found':
          return `找不到该主机或步骤（${err.message}）`;
        case 'bad_response':
          return `蓝鲸作业平台返回了无法识别的响应（${err.message}）`;
        case 'unsupported':
          return `当前配置的作业平台 API 不支持该操作（${err.message}）`;
        case 'busy':
          return err.ownLine ? '蓝鲸作业平台当前响应较慢，你已有多个请求在排队。' : '蓝鲸作业平台正忙于处理其他人的请求。';
      }
    },
    missingPermissions: (actions, user) => `${user ? `蓝鲸用户 ${user} ` : '机器人使用的蓝鲸用户'}缺少权限：${actions}。请联系蓝鲸管理员在权限中心申请。`,
    bkErrorHints: {
      jobNotFound: () => '该业务下没有这个作业实例，或它属于其他业务。请检查两个数字：作业实例必须属于该业务。（查看主机日志时，也可能是该步骤不在这个作业中。）',
      stepNotFound: () => '该作业（或该业务）中没有这个步骤。请重新运行 `/joblog` 查看作业当前的步骤。',
      unsupportedOperation: () => '步骤（或作业）当前的状态不允许该操作。请查看它的最新状态，或在作业平台中操作。',
      notConfirmer: () => '只有该步骤的确认人可以执行此操作。请联系确认人在作业平台中处理。',
      bizNotFound: () => '没有这个业务或业务集，或它已被归档。请检查 ID；业务集请写成 `set:` 加 ID（例如 `set:5`）。',
      internalError: () => '作业平台内部错误。如果是查询作业状态，该作业可能在容器中执行，只有作业平台的 v4 API 能描述：机器人管理员可以设置 BK_JOB_API_VERSION=v4。如果是查询作业列表，可能是某个筛选值不合法。',
      invalidParameter: (p) => (p ? `作业平台认为请求参数 ${p} 缺失或不合法，请检查填写的值。` : '作业平台认为某个请求参数缺失或不合法，请检查填写的值。'),
      noUser: () => 'API 网关未在请求中找到蓝鲸用户。蓝鲸管理员可以在网关上为机器人的应用开启免用户认证（bk-verified-user-exempted-apps），或由机器人管理员设置 BK_V3_TRANSPORT=esb，改为通过 ESB 调用作业平台。',
      missingParameter: (p) => `作业平台认为缺少请求参数 ${p ?? ''}，即该作业平台不接受机器人发出的请求。请把请求 ID 告诉机器人管理员，由其核对 BK_JOB_API_VERSION 与作业平台的版本。`,
    },
    transientHint: '通常是暂时性问题，请稍后重试。',
    bkQueued: (waiting) => `蓝鲸作业平台当前响应较慢：你的请求正在排队（共有 ${waiting} 个请求在等待）。`,
    tooLargeHint: '该作业的日志太大，无法一次获取。机器人管理员可以调大 BK_MAX_RESPONSE_MB，或改用 BK_JOB_API_VERSION=v3（按主机单独获取日志）。',
    requestId: (id) => `请求 ID：\`${id}\``,
    internalError: (incident) => `:warning: 机器人内部出错，请重试；如果持续出现，请把此编号告诉管理员：\`${incident}\`。`,
    notifyOnLabel: { failure: '失败、等待确认的步骤和最终结果', finish: '最终结果', all: '每个步骤和最终结果' },
    watchedBy: (user, on) => `:eyes: ${user} 关注中 · 通知：${on}`,
    watchEnded: (reason) => `:eyes: 关注已结束：${reason}`,
    watchPausedNote: (reason) => `:double_vertical_bar: 关注已暂停：${reason}`,
    eventStepFailed: (p, name, f, t) => `:x: 步骤 ${p} *${name}* 失败：${t} 台主机中 ${f} 台失败`,
    eventStepWaiting: (p, name, kind) => `:raised_hand: 步骤 ${p} *${name}* ${{ confirmation: '等待确认', rolling_pause: '滚动暂停（手动滚动），等待继续', unknown: '等待用户操作' }[kind]}`,
    eventStepFinished: (p, name, status) => `步骤 ${p} *${name}*：${status}`,
    eventJobFinished: (state, d) => `作业${state}${d ? `，耗时 ${d}` : ''}`,
    eventJobAbnormal: (step) => `:exclamation: 作业状态异常${step ? `（步骤 ${step}）` : ''}，请在作业平台中查看`,
    eventJobRecovered: (d) => `作业已恢复：失败后重新执行成功${d ? `（耗时 ${d}）` : ''}`,
    followingRetriesNote: (user, until) => `:eyes: ${user} 关注中 · 将跟踪该作业的重试，直到 ${until}`,
    followingRetriesState: (state) => `${state}，跟踪重试中`,
    reasonNoRetry: (window) => `${window} 内无人重试该作业`,
    eventWatchPaused: (reason) => `:double_vertical_bar: 关注已暂停：${reason}。再次运行 \`/joblog watch\` 可恢复。`,
    eventWatchExpired: (age) => `:hourglass: 关注已在 ${age} 后过期；如需继续，请再次运行 \`/joblog watch\`。`,
    eventWatchStopped: (reason) => `:no_entry_sign: 关注已停止：${reason}。`,
    waitAction: {
      confirmation: '请在作业平台中确认或终止。',
      rolling_pause: '确认上一批无误后，请在作业平台中继续滚动。',
      unknown: '请在作业平台中确认、终止或继续滚动。',
    },
    alreadyWatching: (user) => `本频道已在关注该作业（由 ${user} 订阅）。`,
    watchLimit: (max) => `本频道已有 ${max} 个关注（WATCH_MAX_PER_CHANNEL），请先用 \`/joblog unwatch\` 取消一个。`,
    alreadyFinished: (state) => `该作业已${state}，无需关注。`,
    watchResumed: (title) => `:eyes: 已恢复关注 ${title}。`,
    watchStatusDelayed: (title) => `:eyes: 已关注 ${title}。Slack 暂时限制本频道的消息，状态消息会在允许发送后立即补上。`,
    cannotPostHere: '我无法在本频道发消息。请用 `/invite @joblog` 邀请我后重试。',
    cannotDmYou: '我无法给你发私信，完整日志未能送达。请确认工作区允许应用给你发消息，或使用“分享到频道”。',
    unmapped: ({ mode, why }, email, id) => {
      const head = ':no_entry: 我不知道你对应的蓝鲸用户，因此没有向作业平台查询任何内容。';
      if (why === 'lookup_failed') return `${head}${mode === 'bkuser' ? 'Slack 或用户管理（bk-user）' : 'Slack'}暂时没有响应，请稍后重试。`;
      if (why === 'no_email') return `${head}你的 Slack 资料中没有可读取的邮箱。请联系机器人管理员确认应用拥有 \`users:read.email\` 权限${mode === 'file' ? `，或把你的 Slack ID ${id} 加入 BK_USER_MAP_FILE` : ''}。`;
      if (mode === 'file') return `${head}你不在机器人的用户映射中。请联系机器人管理员把你的 Slack ID ${id}${email ? `（或邮箱 ${email}）` : ''}和你的蓝鲸用户名加入 BK_USER_MAP_FILE。`;
      if (mode === 'email') return `${head}你的邮箱 ${email ?? ''} 不符合机器人的 BK_USER_EMAIL_PATTERN，请联系机器人管理员。`;
      if (why === 'ambiguous') return `${head}用户管理（bk-user）中有多个蓝鲸用户使用你的邮箱 ${email ?? ''}，请联系蓝鲸管理员只在你的账号上保留该邮箱。`;
      return `${head}用户管理（bk-user）中没有邮箱为 ${email ?? ''} 的蓝鲸用户。请联系蓝鲸管理员在你的蓝鲸账号上设置该邮箱后重试。`;
    },
    reasonUnmapped: '订阅者没有对应的蓝鲸用户（BK_USER_MAPPING）',
    policyRefused: (why, biz) =>
      ({
        channel_denied: '本频道不能使用我。请在允许使用的频道中，或在与我的私信中查询。',
        business_not_allowed: `本频道不允许查询业务 ${biz}。请在允许该业务的频道中，或在与我的私信中查询。`,
        subscriptions_off: '本频道已关闭订阅。请在允许订阅的频道中，或在与我的私信中订阅。',
        actions_off: '本频道已关闭在 Slack 中操作作业。请使用作业平台，或在与我的私信中操作。',
        not_allowed_to_act: '你不在可以从本频道操作作业的人员之列。请联系其中一位，或使用作业平台。',
        unfurl_off: '作业平台链接预览已关闭。',
      })[why],
    notWatching: (biz, id) => `本频道没有关注业务 ${biz} 的作业实例 ${id}。`,
    unwatched: (user) => `已由 ${user} 取消`,
    unwatchedReply: (title) => `已取消关注 ${title}。`,
    noWatches: '本频道没有关注。用 `/joblog watch <bk_biz_id> <job_instance_id>` 开始关注。',
    watchListTitle: (c) => `*本频道的 ${c} 个关注*`,
    watchListLine: (title, state, user, on, age, status) => `• ${title} · ${state} · ${user} 于 ${age} 前订阅 · 通知：${on}${status ? ` · ${status}` : ''}`,
    pausedStatus: (reason) => `已暂停：${reason}`,
    lostChannelAccess: (channel) => `我失去了 ${channel} 的访问权限，你在那里的 joblog 关注已暂停。请用 \`/invite @joblog\` 重新邀请我，并再次运行 \`/joblog watch\`。`,
    reasonFinished: '作业已结束',
    reasonUnsubscribed: '订阅已结束',
    reasonExpired: (age) => `已在 ${age} 后过期`,
    reasonErrors: (c, last) => `连续 ${c} 次查询失败（最后一次：${last}）`,
    reasonNoAccess: (e) => `无法在频道中发消息（${e}）`,
    reasonPolicy: (why, biz) =>
      ({
        channel_denied: '频道策略已不再允许我在本频道发消息',
        business_not_allowed: `频道策略已不再允许本频道使用业务 ${biz}`,
        subscriptions_off: '频道策略已关闭本频道的订阅',
        private_summaries: '频道策略已不再允许在本频道发布作业摘要',
      })[why],
    pollInternalError: '机器人内部错误',
    hostsPickerPlaceholder: (c) => `全部 ${c} 台失败主机：选择一台`,
    logOf: (host, step, status) => `:page_facing_up: ${host} 在 *${step}* 的日志 · ${status}`,
    retries: (c) => `重试 ${c} 次`,
    errorCode: (c) => `错误码 ${c}`,
    logShowing: (shown, total, cut) => `显示最后 ${shown} 行，共 ${total} 行${cut ? '（首行开头已截断）' : ''}`,
    logEmpty: '日志为空。',
    shareInChannel: '分享到频道',
    fullLog: '完整日志',
    sharedBy: (user) => `由 ${user} 分享`,
    fullLogComment: (host, step, size) => `${host} 在 ${step} 的完整日志（${size}）`,
    fullLogSent: ':inbox_tray: 已通过私信把完整日志发给你。',
    logUnavailable: (host) => `:warning: 无法加载 ${host} 的日志。`,
    homeTitle: '我关注的作业',
    homeIntro: '你在各个频道关注的作业。在需要接收通知的频道中使用 `/joblog watch <bk_biz_id> <job_instance_id>` 开始关注。',
    homeEmpty: '你还没有关注任何作业。',
    homeWatch: (title, channel, state, age, status) => `*${title}*，频道 ${channel}\n${state} · 已关注 ${age}${status ? ` · ${status}` : ''}`,
  };
}

const CATALOG: Readonly<Record<Lang, Messages>> = { en: en(), 'zh-CN': zh() };

export function messages(lang: Lang): Messages {
  return CATALOG[lang];
}
