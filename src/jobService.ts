/**
 * The one place that turns "show me job X as user U" into a JobSummary: shared by the slash
 * command, the buttons and the watch poller. Knows nothing of Slack.
 */
import { createHash } from 'node:crypto';
import { type BkActor, type HostLog, type HostLogRef, type JobRef, scopeText } from './bkjob/model';
import type { JobLogSource } from './bkjob/source';
import { buildJobSummary } from './summary/build';
import type { JobSummary } from './summary/types';

const CACHE_ENTRIES = 200;

export class JobService {
  /** Recent summaries for type-to-search menus, which must answer Slack within 3 s. */
  private readonly recent = new Map<string, { at: number; summary: JobSummary }>();

  constructor(
    private readonly source: JobLogSource,
    private readonly now: () => number = Date.now,
  ) {}

  async summarize(actor: BkActor, ref: JobRef): Promise<JobSummary> {
    const summary = buildJobSummary(await this.source.getJobInstance(actor, ref));
    this.remember(actor, ref, summary);
    return summary;
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

/** Per acting user: once users act as themselves, one user's view must not serve another. */
function cacheKey(actor: BkActor, ref: JobRef): string {
  const who = actor.kind === 'username' ? `u:${actor.username}` : `t:${createHash('sha256').update(actor.token).digest('hex').slice(0, 16)}`;
  return `${who}|${scopeText(ref)}:${ref.jobInstanceId}`;
}
