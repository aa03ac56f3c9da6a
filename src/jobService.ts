/**
 * The one place that turns "show me job X as user U" into a JobSummary: shared by the slash
 * command, the buttons and the watch poller. Knows nothing of Slack.
 */
import { createHash } from 'node:crypto';
import { type BkActor, type HostLog, type HostLogRef, type JobInstance, type JobRef, addressOf, hostKey, logTailOf, scopeText } from './bkjob/model';
import type { JobLogSource } from './bkjob/source';
import { buildJobSummary } from './summary/build';
import { ERROR_ROWS_PER_STEP } from './summary/errorGroups';
import type { JobSummary } from './summary/types';

const CACHE_ENTRIES = 200;
/** Failing steps whose groups get a log fetched: as many as a summary shows. */
const DIAGNOSED_STEPS = 3;

export interface JobServiceOptions {
  /**
   * BK_DIAGNOSIS_BUDGET_MS: how long a summary waits for the one log per failing group its error
   * line comes from, for sources that do not see logs on their own (v3/v4). 0: never fetched.
   */
  readonly diagnosisBudgetMs?: number;
  /** Told about each log left out (late or failed); the app logs it at debug. */
  readonly onDiagnosisMiss?: (ref: HostLogRef, reason: 'late' | 'failed', err?: unknown) => void;
}

type Fetched = { readonly key: string; readonly tail: string } | null;

export class JobService {
  /** Recent summaries for type-to-search menus, which must answer Slack within 3 s. */
  private readonly recent = new Map<string, { at: number; summary: JobSummary }>();

  constructor(
    private readonly source: JobLogSource,
    private readonly now: () => number = Date.now,
    private readonly options: JobServiceOptions = {},
  ) {}

  async summarize(actor: BkActor, ref: JobRef): Promise<JobSummary> {
    const job = await this.source.getJobInstance(actor, ref);
    const first = buildJobSummary(job);
    const summary = this.source.keepsLogTails ? first : await this.withErrorLines(actor, job, first);
    this.remember(actor, ref, summary);
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
   * v3/v4 give no logs with the status: fetch the first host's log of each failing group shown
   * (at most 5 a step), all at once, and wait for them at most the budget. What is late or fails
   * is left out (that group just has no line), so the summary is never held back longer.
   */
  private knownLines(actor: BkActor, summary: JobSummary): Map<string, string> {
    return linesOf(this.recent.get(cacheKey(actor, summary.ref))?.summary, summary);
  }

  private async withErrorLines(actor: BkActor, job: JobInstance, summary: JobSummary): Promise<JobSummary> {
    const budget = this.options.diagnosisBudgetMs ?? 0;
    const refs: HostLogRef[] = summary.steps
      .filter((s) => s.failedHostCount > 0)
      .slice(0, DIAGNOSED_STEPS)
      .flatMap((step) =>
        step.failingGroups
          .slice(0, ERROR_ROWS_PER_STEP)
          .flatMap((group) => (group.hosts[0] ? [{ job: summary.ref, stepInstanceId: step.stepInstanceId, ...addressOf(group.hosts[0]) }] : [])),
      );
    if (budget <= 0 || refs.length === 0) return summary;
    // A watch polls a failed job again and again: lines found for the same run of a step are reused.
    const known = this.knownLines(actor, summary);
    const reused: Fetched[] = refs.flatMap((ref) => {
      const key = tailKey(ref.stepInstanceId, hostKey(ref));
      const line = known.get(key);
      return line === undefined ? [] : [{ key, tail: line }];
    });
    const fresh = refs.filter((ref) => !known.has(tailKey(ref.stepInstanceId, hostKey(ref))));
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
          (content): Fetched => ({ key: tailKey(ref.stepInstanceId, hostKey(ref)), tail: logTailOf(content) }),
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
    const results = [...reused, ...fetched];
    const tails = new Map(results.filter((r): r is NonNullable<Fetched> => r !== null).map((r) => [r.key, r.tail]));
    if (tails.size === 0) return summary;
    return buildJobSummary({
      ...job,
      steps: job.steps.map((step) => ({
        ...step,
        hosts: step.hosts.map((host) => {
          const tail = tails.get(tailKey(step.stepInstanceId, hostKey(host)));
          return tail === undefined ? host : { ...host, logTail: tail };
        }),
      })),
    });
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

  private remember(actor: BkActor, ref: JobRef, summary: JobSummary): void {
    const key = cacheKey(actor, ref);
    this.recent.delete(key);
    this.recent.set(key, { at: this.now(), summary });
    // Map keeps insertion order: the first key is the least recently stored.
    if (this.recent.size > CACHE_ENTRIES) this.recent.delete(this.recent.keys().next().value!);
  }
}

/**
 * The lines the last summary of this job (for this user) had for the first hosts of its rows,
 * by step and host, for steps still in the same run (a retry writes new logs).
 */
function linesOf(cached: JobSummary | undefined, summary: JobSummary): Map<string, string> {
  const lines = new Map<string, string>();
  if (!cached) return lines;
  const runs = new Map(summary.steps.map((s) => [s.stepInstanceId, s.executeCount]));
  for (const step of cached.steps) {
    if (runs.get(step.stepInstanceId) !== step.executeCount) continue;
    for (const row of step.errorRows?.rows ?? []) {
      const first = row.hosts[0];
      if (first && row.errorLine !== null && !row.splitByLine) lines.set(tailKey(step.stepInstanceId, hostKey(first)), row.errorLine);
    }
  }
  return lines;
}

function tailKey(stepInstanceId: number, host: string | null): string {
  return `${stepInstanceId}|${host ?? ''}`;
}

/** Per acting user: once users act as themselves, one user's view must not serve another. */
function cacheKey(actor: BkActor, ref: JobRef): string {
  return `${actorKey(actor)}|${scopeText(ref)}:${ref.jobInstanceId}`;
}

function actorKey(actor: BkActor): string {
  return actor.kind === 'username' ? `u:${actor.username}` : `t:${createHash('sha256').update(actor.token).digest('hex').slice(0, 16)}`;
}
