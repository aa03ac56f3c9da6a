/**
 * The one place that turns "show me job X as user U" into a JobSummary: shared by the slash
 * command, the buttons and the watch poller. Knows nothing of Slack.
 */
import type { BkActor, HostLog, HostLogRef, JobRef } from './bkjob/model';
import type { JobLogSource } from './bkjob/source';
import { buildJobSummary } from './summary/build';
import type { JobSummary } from './summary/types';

export class JobService {
  constructor(private readonly source: JobLogSource) {}

  async summarize(actor: BkActor, ref: JobRef): Promise<JobSummary> {
    return buildJobSummary(await this.source.getJobInstance(actor, ref));
  }

  hostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog> {
    return this.source.getHostLog(actor, ref);
  }
}
