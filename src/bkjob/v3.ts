/**
 * BlueKing JOB v3 API: `get_job_instance_status` (steps and host results, no log text) and
 * `get_job_instance_ip_log` (one host's log for one step). Reached through the ESB
 * (`/api/c/compapi/v2/jobv3/…`, POST with credentials in the JSON body) or the API gateway
 * (`/api/v3/…`, GET with credentials in the `X-Bkapi-Authorization` header, which BkTransport adds).
 * Unlike v2, times are epoch ms, durations ms, and log text is raw (no HTML escaping).
 */
import { BK_INTERNAL_ERROR, BkJobError, isBkJobError } from './errors';
import { type BkActor, type HostAddress, type HostLog, type HostLogRef, type JobInstance, type JobRef, formatHostAddress, sameHost, scopeText } from './model';
import { scopeParams } from './scope';
import { type StatusDialect, readJobStatusData } from './statusData';
import type { JobLogSource } from './source';
import type { BkAuthMode, BkRequest, BkTransport, QueryValue } from './transport';
import { type Json, readOptionalArray, readOptionalInt, readOptionalString, readRecord } from './validate';
import { fetchV4JobInstance } from './v4';

/** How JOB is reached; the same word as the transport's `auth`. */
export type V3Via = BkAuthMode;

export interface V3SourceOptions {
  /** Must match the transport's `auth`: the ESB and the gateway use different paths and methods. */
  readonly via: V3Via;
  /**
   * Which API answers status questions. `v3` (default): v3 `get_job_instance_status`, and v4 when
   * v3 fails with 1240002 (a container job; later reads of that job go to v4 directly). `v4`: v4
   * from the start. Host logs are v3 `ip_log` either way.
   */
  readonly statusApi?: 'v3' | 'v4';
  /** Where the v4 fallback is noted (a structural pino subset: bkjob does not import the logger). */
  readonly logger?: { info(fields: Record<string, unknown>, message: string): void };
}

interface V3Endpoint {
  readonly method: BkRequest['method'];
  readonly path: string;
}

/**
 * ESB suggests POST for jobv3 components (GET support there is unconfirmed); the gateway resources
 * are GET. `gateway-system`: JOB's non-public twins (`/api/v3/system/…`, bkjob-source-facts C5).
 */
export const V3_ENDPOINTS: Readonly<Record<V3Via, { readonly status: V3Endpoint; readonly ipLog: V3Endpoint }>> = {
  esb: {
    status: { method: 'POST', path: '/api/c/compapi/v2/jobv3/get_job_instance_status/' },
    ipLog: { method: 'POST', path: '/api/c/compapi/v2/jobv3/get_job_instance_ip_log/' },
  },
  gateway: {
    status: { method: 'GET', path: '/api/v3/get_job_instance_status' },
    ipLog: { method: 'GET', path: '/api/v3/get_job_instance_ip_log' },
  },
  'gateway-system': {
    status: { method: 'GET', path: '/api/v3/system/get_job_instance_status' },
    ipLog: { method: 'GET', path: '/api/v3/system/get_job_instance_ip_log' },
  },
};

/** v3 log types (`get_job_instance_ip_log` `data.log_type`). */
export const V3_LOG_TYPE = { SCRIPT: 1, FILE: 2 } as const;

/** `file_logs[].mode`: 0 upload (read from a source host), 1 download (written to a target host). */
export const V3_FILE_MODE = { UPLOAD: 0, DOWNLOAD: 1 } as const;

export class V3JobLogSource implements JobLogSource {
  private readonly endpoints: (typeof V3_ENDPOINTS)[V3Via];
  /** Jobs v3 could not read but v4 could: polls of them go to v4 at once instead of failing on v3 first. */
  private readonly readThroughV4 = new Set<string>();

  constructor(
    private readonly transport: BkTransport,
    private readonly options: V3SourceOptions,
  ) {
    this.endpoints = V3_ENDPOINTS[options.via];
  }

  async getJobInstance(actor: BkActor, ref: JobRef): Promise<JobInstance> {
    if (this.options.statusApi === 'v4' || this.readThroughV4.has(jobKey(ref))) return fetchV4JobInstance(this.transport, this.options.via, actor, ref);
    let data: unknown;
    try {
      ({ data } = await this.transport.call({
        ...this.endpoints.status,
        actor,
        params: { ...scopeParams(ref), return_ip_result: true },
      }));
    } catch (err) {
      if (isBkJobError(err) && err.kind === 'api' && err.code === BK_INTERNAL_ERROR) return this.getJobInstanceViaV4(actor, ref, err);
      throw err;
    }
    return parseV3JobInstanceStatus(data, ref);
  }

  /**
   * JOB's v3 status answers 1240002 for a job with container steps (it assumes every execute
   * object is a host; bkjob-source-facts A-4). v4 describes such jobs; when it fails too, the
   * error keeps v3's code, saying the job may run in containers.
   */
  private async getJobInstanceViaV4(actor: BkActor, ref: JobRef, v3Error: BkJobError): Promise<JobInstance> {
    let job: JobInstance;
    try {
      job = await fetchV4JobInstance(this.transport, this.options.via, actor, ref);
    } catch (v4Error) {
      const v4Detail = v4Error instanceof Error ? v4Error.message : String(v4Error);
      throw new BkJobError(`${v3Error.message} (the job may run in containers, which only JOB's v4 API describes; v4 failed too: ${v4Detail})`, {
        kind: v3Error.kind,
        code: v3Error.code,
        bkMessage: v3Error.bkMessage,
        requestId: v3Error.requestId,
        missingPermissions: v3Error.missingPermissions,
      });
    }
    this.options.logger?.info({ bizId: ref.bizId, jobInstanceId: ref.jobInstanceId }, 'v3 get_job_instance_status failed with 1240002 (container job?); read the job through v4');
    // Bounded: a replica that watches many such jobs only forgets them (and re-learns) now and then.
    if (this.readThroughV4.size >= READ_THROUGH_V4_MAX) this.readThroughV4.clear();
    this.readThroughV4.add(jobKey(ref));
    return job;
  }

  async getHostLog(actor: BkActor, ref: HostLogRef): Promise<HostLog> {
    // bk_host_id identifies the host unambiguously (and wins server-side when both are sent);
    // cloud area + IP is the fallback for refs that came from a v2-shaped address.
    const host: Record<string, QueryValue> = ref.bkHostId !== undefined ? { bk_host_id: ref.bkHostId } : { bk_cloud_id: ref.bkCloudId, ip: ref.ip };
    // The ip_log API has the text only; the host's status, exit code and times come from the status API.
    const [log, job] = await Promise.all([
      this.transport.call({ ...this.endpoints.ipLog, actor, params: { ...scopeParams(ref.job), step_instance_id: ref.stepInstanceId, ...host } }),
      this.getJobInstance(actor, ref.job),
    ]);
    return parseV3HostLog(log.data, ref, job);
  }

  /** The log text alone (one ip_log call): for error lines, whose step and host the caller already knows. */
  async getHostLogText(actor: BkActor, ref: HostLogRef): Promise<string> {
    const host: Record<string, QueryValue> = ref.bkHostId !== undefined ? { bk_host_id: ref.bkHostId } : { bk_cloud_id: ref.bkCloudId, ip: ref.ip };
    // Only for error lines (see JobService): read at once or not at all, never ahead of people in line.
    const log = await this.transport.call({ ...this.endpoints.ipLog, actor, params: { ...scopeParams(ref.job), step_instance_id: ref.stepInstanceId, ...host }, optional: true });
    return v3LogContent(log.data);
  }
}

const READ_THROUGH_V4_MAX = 10_000;

function jobKey(ref: JobRef): string {
  return `${scopeText(ref)}/${ref.jobInstanceId}`;
}


/** Where a v3 result ran: a host by address and CMDB id. */
function readV3Host(host: Json, path: string): HostAddress {
  const bkHostId = readOptionalInt(host.bk_host_id, `${path}.bk_host_id`);
  const ipv6 = readOptionalString(host.ipv6, `${path}.ipv6`);
  // IPv6-only hosts come with `ip` null or "" and their bk_host_id (v3 has no ipv6 field): they
  // are named and looked up by that id, never merged with each other.
  return {
    ip: readOptionalString(host.ip, `${path}.ip`) ?? '',
    bkCloudId: readOptionalInt(host.bk_cloud_id, `${path}.bk_cloud_id`) ?? 0,
    ...(bkHostId !== null ? { bkHostId } : {}),
    ...(ipv6 ? { ipv6 } : {}),
  };
}

const V3_STATUS: StatusDialect = { resultList: 'step_ip_result_list', readWhere: readV3Host };

/** Validates and normalises the `data` of a v3 `get_job_instance_status` response (`return_ip_result=true`). */
export function parseV3JobInstanceStatus(data: unknown, ref: JobRef): JobInstance {
  return readJobStatusData(data, ref, V3_STATUS);
}

/**
 * Validates a v3 `get_job_instance_ip_log` response's `data` into plain log text, joined with the
 * step and host result from the same job's status (the ip_log API returns neither).
 */
/** The text of an ip_log answer: a script's output, or one line per file transfer. */
function v3LogContent(data: unknown): string {
  const log = readRecord(data, 'data');
  const logType = readOptionalInt(log.log_type, 'data.log_type');
  return logType === V3_LOG_TYPE.FILE ? formatFileLogs(readOptionalArray(log.file_logs, 'data.file_logs')) : (readOptionalString(log.log_content, 'data.log_content') ?? '');
}

export function parseV3HostLog(data: unknown, ref: HostLogRef, job: JobInstance): HostLog {
  const content = v3LogContent(data);
  const step = job.steps.find((s) => s.stepInstanceId === ref.stepInstanceId);
  // Queried by bk_host_id, JOB echoes null ip/cloud: match on whatever the ref identifies the host by.
  const host = step?.hosts.find((h) => sameHost(h, ref));
  if (!step || !host) {
    throw new BkJobError(`Host ${formatHostAddress(ref)} is not in step ${ref.stepInstanceId} of job ${ref.job.jobInstanceId}`, { kind: 'not_found' });
  }
  return { ref, content, step: { name: step.name, status: step.status, executeCount: step.executeCount }, host };
}

/**
 * File steps have no script output: each `file_logs` entry is one transfer with its own log.
 * One line per entry keeps a file step's "log" readable next to a script step's:
 *   download: `[10.0.0.1 → 10.0.0.2] /src/a.tar → /dest/: <log>`
 *   upload:   `[10.0.0.1 upload] /src/a.tar: <log>`
 */
function formatFileLogs(entries: readonly unknown[]): string {
  return entries
    .map((value, i) => {
      const path = `data.file_logs[${i}]`;
      const entry = readRecord(value, path);
      const mode = readOptionalInt(entry.mode, `${path}.mode`);
      const src = formatFileHost(entry.src_ip, `${path}.src_ip`);
      const srcPath = readOptionalString(entry.src_path, `${path}.src_path`) ?? '';
      // Each entry's log may end in a newline; trimmed so entries do not get blank lines between them.
      const text = (readOptionalString(entry.log_content, `${path}.log_content`) ?? '').trimEnd();
      const suffix = text ? `: ${text}` : '';
      if (mode === V3_FILE_MODE.UPLOAD) return `[${src} upload] ${srcPath}${suffix}`;
      const dest = formatFileHost(entry.dest_ip, `${path}.dest_ip`);
      const destPath = readOptionalString(entry.dest_path, `${path}.dest_path`);
      return `[${src} → ${dest}] ${srcPath}${destPath ? ` → ${destPath}` : ''}${suffix}`;
    })
    .join('\n');
}

/** `src_ip`/`dest_ip` are `{bk_host_id, bk_cloud_id, ip}` objects; any part may be missing. */
function formatFileHost(value: unknown, path: string): string {
  if (value === undefined || value === null) return '?';
  const host: Json = readRecord(value, path);
  const ip = readOptionalString(host.ip, `${path}.ip`);
  const bkHostId = readOptionalInt(host.bk_host_id, `${path}.bk_host_id`);
  if (ip) {
    const address: HostAddress = { ip, bkCloudId: readOptionalInt(host.bk_cloud_id, `${path}.bk_cloud_id`) ?? 0 };
    return formatHostAddress(address);
  }
  return bkHostId !== null ? `host ${bkHostId}` : '?';
}
