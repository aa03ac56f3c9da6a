/**
 * The bot's own view of a BlueKing JOB job instance, independent of API version.
 * The v2 and v3 adapters both produce these shapes; nothing past `bkjob/` sees raw responses.
 * Times are epoch milliseconds (or null when BlueKing has none yet), durations milliseconds.
 */

/** Who the bot acts as towards BlueKing. Every call takes one; today it comes from config. */
export type BkActor = { readonly kind: 'username'; readonly username: string } | { readonly kind: 'token'; readonly token: string };

export interface JobRef {
  /** The business id, or the business set id when `scopeType` is `biz_set`. */
  readonly bizId: number;
  readonly jobInstanceId: number;
  /** Set for a job of a business set (`/joblog set:<id> …`); absent for a business. */
  readonly scopeType?: 'biz_set';
}

/** A business or business set, without a job: what list and catalog calls are scoped to. */
export type BkScope = Pick<JobRef, 'bizId' | 'scopeType'>;

/**
 * JOB's legacy `bk_biz_id` values 8000000–9999999 stand for business sets (EsbAppScopeReq):
 * such an id typed as a plain number is passed as `bk_biz_id` alone, and JOB resolves it.
 */
export function isLegacyBizSetId(bizId: number): boolean {
  return bizId >= 8_000_000 && bizId <= 9_999_999;
}

/** The scope as people type and read it: `3`, or `set:5` for a business set. */
export function scopeText(ref: Pick<JobRef, 'bizId' | 'scopeType'>): string {
  return ref.scopeType === 'biz_set' ? `set:${ref.bizId}` : String(ref.bizId);
}

/** The same job: same id in the same business or business set. */
export function sameJob(a: JobRef, b: JobRef): boolean {
  return a.bizId === b.bizId && a.jobInstanceId === b.jobInstanceId && a.scopeType === b.scopeType;
}

/** A container JOB ran a step in (JOB with container execution; described by v4 only). */
export interface ContainerRef {
  /** JOB's id of the container execute object. */
  readonly id: number;
  readonly name: string;
  /** The container runtime's id (e.g. docker://…), when given. */
  readonly containerId: string;
  /** The CMDB host id of the node the container runs on, when given. */
  readonly nodeHostId: number | null;
}

/**
 * Where a step ran: a host (by IPv4 address and cloud area, and by CMDB host id where the API
 * gives one) or a container. IPv6-only hosts come with an empty `ip` and their `bkHostId`.
 */
export interface HostAddress {
  readonly bkCloudId: number;
  /** IPv4 address; '' when JOB gave none (IPv6-only hosts, or v2 hosts without an address). */
  readonly ip: string;
  /** CMDB host id: v3 (JOB 3.7+) and v4 give it; v2 never does. */
  readonly bkHostId?: number;
  /** IPv6 address, when the API gives one (v4). */
  readonly ipv6?: string;
  /** Set when the execute object is a container rather than a host (v4). */
  readonly container?: ContainerRef;
}

export interface HostResult extends HostAddress {
  /** Host task status (v2 `ip_status`, v3 `status`). */
  readonly ipStatus: number;
  readonly tag: string;
  readonly exitCode: number | null;
  readonly errorCode: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly totalTimeMs: number | null;
  readonly retryCount: number;
  /**
   * The end of the host's log (at most `LOG_TAIL_BYTES`, whole lines, decoded), for failing
   * hosts only and only where the source saw it: v2 keeps it as the log streams past (the app
   * has it reduced to its error line there, `reduceLogTail`), JobService adds it from one fetched
   * v3 log per failing group. The summary picks the error line from it and drops it
   * (`addressOf`), so whole logs are never kept.
   */
  readonly logTail?: string;
}

/** How much of a failing host's log is kept for its error line: 8 KiB of its end. */
export const LOG_TAIL_BYTES = 8 * 1024;

/**
 * The last `maxChars` characters of `text` from a line start (the cut line is dropped, unless the
 * text is one huge line, whose end is kept). For logs already in memory (v3); v2 keeps bytes.
 */
export function logTailOf(text: string, maxChars: number = LOG_TAIL_BYTES): string {
  if (text.length <= maxChars) return text;
  let tail = text.slice(text.length - maxChars);
  if (/^[\uDC00-\uDFFF]/.test(tail)) tail = tail.slice(1);
  const newline = tail.indexOf('\n');
  return newline === -1 || newline === tail.length - 1 ? tail : tail.slice(newline + 1);
}

export interface StepInstance {
  readonly stepInstanceId: number;
  readonly name: string;
  readonly status: number;
  /** v3 step type: 1 script, 2 file, 3 manual confirmation, 4 SQL; null when the API does not say (v2). */
  readonly type: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly totalTimeMs: number | null;
  /** How many times the step was re-run (0 on the first run): a retried step can fail again. */
  readonly executeCount: number;
  readonly hosts: readonly HostResult[];
}

export interface JobInstance {
  readonly ref: JobRef;
  /** The job's name; v2 `get_job_instance_log` does not return it. */
  readonly name: string | null;
  /** The job's own status when the API returns it (v3); v2 only has step statuses. */
  readonly status: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly steps: readonly StepInstance[];
}

export interface HostLogRef extends HostAddress {
  readonly job: JobRef;
  readonly stepInstanceId: number;
}

export interface HostLog {
  readonly ref: HostLogRef;
  /** Decoded log text (v2 HTML entities already undone). */
  readonly content: string;
  /** The step the log belongs to, as it is now. */
  readonly step: { readonly name: string; readonly status: number; readonly executeCount: number };
  /** The host's result in that step: status, exit code, times. */
  readonly host: HostResult;
}

/**
 * A host's identity, to count and group hosts: the container, else the CMDB host id, else cloud
 * area + IP. Null for a host JOB named neither way (v2 without an address): it is one of its own.
 */
export function hostKey(host: HostAddress): string | null {
  if (host.container) return `c:${host.container.id}`;
  if (host.bkHostId !== undefined) return `h:${host.bkHostId}`;
  if (host.ip !== '') return `${host.bkCloudId}:${host.ip}`;
  return host.ipv6 ? `6:${host.bkCloudId}:${host.ipv6}` : null;
}

/** The same host: by CMDB id when both sides have one, else by cloud area and a non-empty IP. */
export function sameHost(a: HostAddress, b: HostAddress): boolean {
  if (a.bkHostId !== undefined && b.bkHostId !== undefined) return a.bkHostId === b.bkHostId;
  return a.ip !== '' && a.ip === b.ip && a.bkCloudId === b.bkCloudId;
}

/** Only the identifying fields of a host (a HostResult carries much more). */
export function addressOf(host: HostAddress): HostAddress {
  return {
    bkCloudId: host.bkCloudId,
    ip: host.ip,
    ...(host.bkHostId !== undefined ? { bkHostId: host.bkHostId } : {}),
    ...(host.ipv6 !== undefined ? { ipv6: host.ipv6 } : {}),
    ...(host.container !== undefined ? { container: host.container } : {}),
  };
}

/**
 * A host as operators name it, the same in both languages (it is an identifier, like an IP):
 * `10.0.0.1`, `2:10.0.0.1` outside cloud area 0, `host 12345` for an IPv6-only host (with its
 * IPv6 address when the API gave one), `container web-0`, `unknown host` when JOB named it
 * neither way (v2 hosts without an address).
 */
export function formatHostAddress(host: HostAddress): string {
  if (host.container) return `container ${host.container.name || host.container.id}`;
  if (host.ip !== '') return host.bkCloudId === 0 ? host.ip : `${host.bkCloudId}:${host.ip}`;
  if (host.bkHostId !== undefined) return `host ${host.bkHostId}${host.ipv6 ? ` [${host.ipv6}]` : ''}`;
  return host.ipv6 || 'unknown host';
}
