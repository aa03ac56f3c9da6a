/**
 * `JobLogSource`: what the rest of the bot asks BlueKing JOB. The v2 and v3 adapters implement it
 * and produce the same `JobInstance`; callers never know which API version is in use.
 * Every method takes the acting BlueKing user, so per-user identity needs no rework later.
 */
import type { BkActor, HostLog, HostLogRef, JobInstance, JobRef } from './model';
import type { BkTransport } from './transport';
import { V2_JOB_INSTANCE_LOG_PATH, extractV2HostLog, parseV2JobInstanceLog } from './v2';

export interface JobLogSource {
  /** Steps and host results of a job instance (no log text). */
  getJobInstance(actor: BkActor, ref: JobRef): Promise<JobInstance>;
  /** One host's full log for one step, decoded to plain text. */
  getHostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog>;
}

export interface V2SourceOptions {
  readonly defaultOffsetMinutes: number;
}

export class V2JobLogSource implements JobLogSource {
  constructor(
    private readonly transport: BkTransport,
    private readonly options: V2SourceOptions,
  ) {}

  async getJobInstance(actor: BkActor, ref: JobRef): Promise<JobInstance> {
    const { data } = await this.fetch(actor, ref);
    return parseV2JobInstanceLog(data, ref, this.options);
  }

  async getHostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog> {
    // v2 has no per-host API: the whole job's logs come back and one host's is kept.
    const { data } = await this.fetch(actor, ref.job);
    return extractV2HostLog(data, ref, this.options);
  }

  private fetch(actor: BkActor, ref: JobRef) {
    return this.transport.call({
      method: 'GET',
      path: V2_JOB_INSTANCE_LOG_PATH,
      actor,
      params: { bk_biz_id: ref.bizId, job_instance_id: ref.jobInstanceId },
    });
  }
}
