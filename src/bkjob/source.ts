/**
 * `JobLogSource`: what the rest of the bot asks BlueKing JOB. The v2 and v3 adapters implement it
 * and produce the same `JobInstance`; callers never know which API version is in use.
 * Every method takes the acting BlueKing user, so per-user identity needs no rework later.
 */
import { BkJobError } from './errors';
import type { BkActor, HostLog, HostLogRef, JobInstance, JobRef } from './model';
import type { BkRequest, BkTransport } from './transport';
import { V2_JOB_INSTANCE_LOG_PATH, type V2ParseOptions } from './v2';
import { v2HostLogReader, v2JobReader } from './v2stream';

export interface JobLogSource {
  /** Steps and host results of a job instance (no log text). */
  getJobInstance(actor: BkActor, ref: JobRef): Promise<JobInstance>;
  /** One host's full log for one step, decoded to plain text. */
  getHostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog>;
  /** Just the log text, when the source can fetch it without also re-reading the job (v3). */
  getHostLogText?(actor: BkActor, ref: HostLogRef): Promise<string>;
  /** `getJobInstance` fills in failing hosts' `logTail` itself (v2 sees every log); else JobService fetches them. */
  readonly keepsLogTails?: boolean;
}

export interface V2SourceOptions extends V2ParseOptions {
  /** Longest host log kept for a log click, in bytes of its JSON text (default 128 MiB); longer logs are cut to their start. */
  readonly maxHostLogBytes?: number;
}

/** Below V8's string limit with room for decoding: a host log is decoded into one string. */
export const DEFAULT_MAX_HOST_LOG_BYTES = 128 * 1024 * 1024;

/**
 * v2 has one API for everything: every step with every host's whole log. Responses are read as
 * they arrive (v2stream.ts) and logs skipped as their bytes pass, so a response costs about its
 * summary in memory, not its size: no limit on responses in flight is needed.
 */
export class V2JobLogSource implements JobLogSource {
  readonly keepsLogTails = true;

  constructor(
    private readonly transport: BkTransport,
    private readonly options: V2SourceOptions,
  ) {}

  async getJobInstance(actor: BkActor, ref: JobRef): Promise<JobInstance> {
    return this.transport.callStreaming(this.request(actor, ref), v2JobReader(ref, this.options));
  }

  async getHostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog> {
    // v2 has no per-host API: the whole job's logs come back and one host's is kept.
    return this.transport.callStreaming(this.request(actor, ref.job), v2HostLogReader(ref, this.options.maxHostLogBytes ?? DEFAULT_MAX_HOST_LOG_BYTES, this.options));
  }

  private request(actor: BkActor, ref: JobRef): BkRequest {
    // v2 takes a business id only (a legacy 8000000+ id is JOB's way of naming a business set).
    if (ref.scopeType === 'biz_set') throw new BkJobError(`Business sets (set:${ref.bizId}) need JOB's v3 or v4 API: set BK_JOB_API_VERSION=v3`, { kind: 'unsupported' });
    return { method: 'GET', path: V2_JOB_INSTANCE_LOG_PATH, actor, params: { bk_biz_id: ref.bizId, job_instance_id: ref.jobInstanceId } };
  }
}
