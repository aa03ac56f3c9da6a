/**
 * The one place that turns "show me job X as user U" into a JobSummary: shared by the slash
 * command, the buttons and the watch poller. Knows nothing of Slack.
 */
import { createHash } from 'node:crypto';
import { type BkActor, type HostAddress, type HostLog, type HostLogRef, type JobInstance, type JobRef, addressOf, hostKey, logTailOf, scopeText } from './bkjob/model';
import type { JobLogSource } from './bkjob/source';
import { buildJobSummary } from './summary/build';
import { ERROR_ROWS_PER_STEP } from './summary/errorGroups';
import { pickErrorLine } from './summary/errorLine';
import type { JobSummary } from './summary/types';

const CACHE_ENTRIES = 200;
/** Failing steps whose groups get a log fetched: as many as a summary shows. */
const DIAGNOSED_STEPS = 3;
/** Most logs read per failing step for its error lines: the first host of each group, then more. */
export const LOGS_PER_STEP = 5;

export interface JobServiceOptions {
  /**
   * BK_DIAGNOSIS_BUDGET_MS: how long a summary waits for the logs its error lines come from (see
   * `logPicks`), for sources that do not see logs on their own (v3/v4). 0: never fetched.
   */
  readonly diagnosisBudgetMs?: number;
  /** Told about each log left out (late or failed); the app logs it at debug. */
  readonly onDiagnosisMiss?: (ref: HostLogRef, reason: 'late' | 'failed', err?: unknown) => void;
  /**
   * Recent summaries (see `newSummaryCache`), shared by the people's and the poller's services:
   * a watch's first poll reuses the error lines its command read, a menu the poller's summary.
   */
  readonly cache?: SummaryCache;
}

/** Recent summaries and the error lines read for them, per acting user and job. */
export type SummaryCache = Map<string, { at: number; summary: JobSummary; lines?: KnownLines }>;

export function newSummaryCache(): SummaryCache {
  return new Map();
}

type Fetched = { readonly key: string; readonly line: string | null } | null;

/**
 * The error lines of the logs read for a summary, by step, run (execute count) and host: null when
 * the log was read but had no line. Kept beside the summary rather than worked out from its rows,
 * which cannot say whose logs were read (a row's line may be any of its read hosts', and a row
 * whose read hosts agree does not name them).
 */
type KnownLines = ReadonlyMap<string, string | null>;

export class JobService {
  /** Recent summaries for type-to-search menus, which must answer Slack within 3 s. */
  private readonly recent: SummaryCache;

  constructor(
    private readonly source: JobLogSource,
    private readonly now: () => number = Date.now,
    private readonly options: JobServiceOptions = {},
  ) {
    this.recent = options.cache ?? newSummaryCache();
  }

  async summarize(actor: BkActor, ref: JobRef): Promise<JobSummary> {
    const job = await this.source.getJobInstance(actor, ref);
    const first = buildJobSummary(job);
    const { summary, lines } = this.source.keepsLogTails ? { summary: first, lines: undefined } : await this.withErrorLines(actor, job, first);
    this.remember(actor, ref, summary, lines);
    return summary;
  }

  /**
   * The job with this instance id this user recently looked at (its business or business set),
   * for links that name no business; null when none, or when two scopes have it.
   */
  recentRef(actor: BkActor, jobInstanceId: number): JobRef | null {
    const who = actorKey(actor);
    let found: JobRef | null = null;
    for (const [key, { summary }] of this.recent) {
      if (!key.startsWith(`${who}|`) || summary.ref.jobInstanceId !== jobInstanceId) continue;
      if (found && (found.bizId !== summary.ref.bizId || found.scopeType !== summary.ref.scopeType)) return null;
      found = summary.ref;
    }
    return found;
  }

  /**
   * v3/v4 give no logs with the status: read a few failing hosts' logs per failing step shown (at
   * most `LOGS_PER_STEP`, see `logPicks`), all at once, and wait for them at most the budget. What
   * is late or fails is left out (that host's line is just unknown), so the summary is never held
   * back longer. A watch polls a failed job again and again: lines read for the same run of a step
   * are reused, not fetched again.
   */
  private async withErrorLines(actor: BkActor, job: JobInstance, summary: JobSummary): Promise<{ summary: JobSummary; lines?: KnownLines }> {
    const budget = this.options.diagnosisBudgetMs ?? 0;
    const refs = logPicks(summary);
    if (budget <= 0 || refs.length === 0) return { summary };
    const runs = new Map(summary.steps.map((s) => [s.stepInstanceId, s.executeCount]));
    const runKey = (ref: HostLogRef) => lineKey(ref.stepInstanceId, runs.get(ref.stepInstanceId) ?? 0, hostKey(ref));
    const known = this.recent.get(cacheKey(actor, summary.ref))?.lines;
    const lines = new Map<string, string | null>();
    const fresh: HostLogRef[] = [];
    for (const ref of refs) {
      const key = runKey(ref);
      const line = known?.get(key);
      if (line === undefined) fresh.push(ref);
      else lines.set(key, line);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      if (fresh.length > 0) timer = setTimeout(() => resolve('late'), budget);
    });
    const fetched = await Promise.all(
      fresh.map(async (ref): Promise<Fetched> => {
        // Settled either way, so a fetch that ends after the budget never rejects unobserved.
        // The summary already has the step and host: only the text is fetched where the source can.
        const text = this.source.getHostLogText ? this.source.getHostLogText(actor, ref) : this.source.getHostLog(actor, ref).then((log) => log.content);
        const fetch = text.then(
          (content): Fetched => ({ key: runKey(ref), line: pickErrorLine(logTailOf(content)) }),
          (err: unknown): Fetched => {
            this.options.onDiagnosisMiss?.(ref, 'failed', err);
            return null;
          },
        );
        const outcome = await Promise.race([fetch, late]);
        if (outcome !== 'late') return outcome;
        this.options.onDiagnosisMiss?.(ref, 'late');
        return null;
      }),
    );
    clearTimeout(timer);
    for (const result of fetched) if (result) lines.set(result.key, result.line);
    if (lines.size === 0) return { summary };
    // The picked line stands in for the tail: picking it again gives the same line ('' gives none).
    const withLines = buildJobSummary(
      {
        ...job,
        steps: job.steps.map((step) => ({
          ...step,
          hosts: step.hosts.map((host) => {
            const line = lines.get(lineKey(step.stepInstanceId, step.executeCount, hostKey(host)));
            return line === undefined ? host : { ...host, logTail: line ?? '' };
          }),
        })),
      },
      { sampledLogs: true },
    );
    return { summary: withLines, lines };
  }

  /** A summary at most `maxAgeMs` old: from the cache when possible, else fresh from BlueKing. */
  async recentSummary(actor: BkActor, ref: JobRef, maxAgeMs: number): Promise<JobSummary> {
    const cached = this.recent.get(cacheKey(actor, ref));
    if (cached && this.now() - cached.at <= maxAgeMs) return cached.summary;
    return this.summarize(actor, ref);
  }

  /** One host's log, fetched fresh (the job may still be running), with its step and result. */
  hostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog> {
    return this.source.getHostLog(actor, ref);
  }

  private remember(actor: BkActor, ref: JobRef, summary: JobSummary, lines: KnownLines | undefined): void {
    const key = cacheKey(actor, ref);
    this.recent.delete(key);
    this.recent.set(key, { at: this.now(), summary, ...(lines ? { lines } : {}) });
    // Map keeps insertion order: the first key is the least recently stored.
    if (this.recent.size > CACHE_ENTRIES) this.recent.delete(this.recent.keys().next().value!);
  }
}

/**
 * The failing hosts whose logs a v3/v4 summary reads, for the first `DIAGNOSED_STEPS` failing
 * steps: in each, the first host of every group shown (at most `ERROR_ROWS_PER_STEP` groups), then,
 * while the step has fewer than `LOGS_PER_STEP`, more hosts of its groups with more than one host,
 * round-robin over them, biggest group first (every such group's second host, then third …), so
 * a group whose hosts fail for different reasons can be split. First hosts of every step come
 * first in the list.
 */
export function logPicks(summary: JobSummary): HostLogRef[] {
  const firsts: HostLogRef[] = [];
  const extras: HostLogRef[] = [];
  for (const step of summary.steps.filter((s) => s.failedHostCount > 0).slice(0, DIAGNOSED_STEPS)) {
    const ref = (host: HostAddress): HostLogRef => ({ job: summary.ref, stepInstanceId: step.stepInstanceId, ...addressOf(host) });
    const groups = step.failingGroups.slice(0, ERROR_ROWS_PER_STEP);
    let count = 0;
    for (const group of groups) {
      if (!group.hosts[0] || count >= LOGS_PER_STEP) continue;
      firsts.push(ref(group.hosts[0]));
      count++;
    }
    // failingGroups are biggest first; hosts JOB named neither way cannot be told apart: not read.
    for (let i = 1; count < LOGS_PER_STEP && groups.some((g) => g.hosts.length > i); i++) {
      for (const group of groups) {
        const host = group.hosts[i];
        if (count >= LOGS_PER_STEP) break;
        if (host === undefined || hostKey(host) === null) continue;
        extras.push(ref(host));
        count++;
      }
    }
  }
  return [...firsts, ...extras];
}

function lineKey(stepInstanceId: number, executeCount: number, host: string | null): string {
  return `${stepInstanceId}:${executeCount}|${host ?? ''}`;
}

/** Per acting user: once users act as themselves, one user's view must not serve another. */
function cacheKey(actor: BkActor, ref: JobRef): string {
  return `${actorKey(actor)}|${scopeText(ref)}:${ref.jobInstanceId}`;
}

function actorKey(actor: BkActor): string {
  return actor.kind === 'username' ? `u:${actor.username}` : `t:${createHash('sha256').update(actor.token).digest('hex').slice(0, 16)}`;
}
