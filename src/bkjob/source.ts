/**
 * `JobLogSource`: what the rest of the bot asks BlueKing JOB. The v2 and v3 adapters implement it
 * and produce the same `JobInstance`; callers never know which API version is in use.
 * Every method takes the acting BlueKing user, so per-user identity needs no rework later.
 */
import { BkJobError } from './errors';
import type { BkActor, HostLog, HostLogRef, JobInstance, JobRef } from './model';
import { type Limiter, createLimiter } from '../util/limit';
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
  /** Most v2 responses downloaded and parsed at once (default 2); see `limit`. Bounds memory to about 3 × BK_MAX_RESPONSE_MB per slot. */
  readonly maxInFlight?: number;
}

export class V2JobLogSource implements JobLogSource {
  /**
   * v2 answers carry every host's log, up to BK_MAX_RESPONSE_MB each, and are parsed on the main
   * thread: unbounded, eight polls and a few clicks on a huge job would multiply memory and stall
   * every Slack ack.
   */
  private readonly limit: Limiter;

  constructor(
    private readonly transport: BkTransport,
    private readonly options: V2SourceOptions,
  ) {
    this.limit = createLimiter(options.maxInFlight ?? 2);
  }

  getJobInstance(actor: BkActor, ref: JobRef): Promise<JobInstance> {
    return this.limit(async () => parseV2JobInstanceLog((await this.fetch(actor, ref)).data, ref, this.options));
  }

  getHostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog> {
    // v2 has no per-host API: the whole job's logs come back and one host's is kept.
    return this.limit(async () => extractV2HostLog((await this.fetch(actor, ref.job)).data, ref, this.options));
  }

  private fetch(actor: BkActor, ref: JobRef) {
    // v2 takes a business id only (a legacy 8000000+ id is JOB's way of naming a business set).
    if (ref.scopeType === 'biz_set') {
      return Promise.reject(new BkJobError(`Business sets (set:${ref.bizId}) need JOB's v3 or v4 API: set BK_JOB_API_VERSION=v3`, { kind: 'unsupported' }));
    }
    return this.transport.call({
      method: 'GET',
      path: V2_JOB_INSTANCE_LOG_PATH,
      actor,
      params: { bk_biz_id: ref.bizId, job_instance_id: ref.jobInstanceId },
    });
  }
}
