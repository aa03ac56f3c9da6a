/**
 * BlueKing JOB v2 ESB API: `get_job_instance_log` returns every step with every host's log.
 * Parsing keeps only what the summary needs; logs are read for one host on demand.
 *
 * The bot reads these responses as they arrive with the streaming scanner (v2stream.ts), which
 * validates through the shared pieces here (`readV2GroupHeader`, `parseV2Host`, `assembleV2Step`,
 * `assembleV2Job`). The tree parsers below (`parseV2JobInstanceLog`, `extractV2HostLog`) take an
 * already parsed body: they are the reference the scanner is tested against and the buffered path
 * the benchmark compares with.
 */
import { BkJobError } from './errors';
import { type HostLog, type HostLogRef, type HostResult, type JobInstance, type JobRef, type StepInstance, formatHostAddress, sameHost } from './model';
import { type Json, type PathRef, parseBkTime, readArray, readInt, readOptionalArray, readOptionalInt, readOptionalNumber, readOptionalString, readRecord } from './validate';

export const V2_JOB_INSTANCE_LOG_PATH = '/api/c/compapi/v2/job/get_job_instance_log/';

export interface V2ParseOptions {
  /** Offset (minutes east of UTC) for times that arrive without one. */
  readonly defaultOffsetMinutes: number;
  /**
   * The streaming reader: what of a failing host's decoded log tail (≤ 8 KiB) is kept as its
   * `logTail`. The app passes the error-line picker, so each failing host costs its line (≤ 150
   * characters) rather than 8 KiB; null keeps nothing (an empty tail). Absent: the whole tail.
   */
  readonly reduceLogTail?: (tail: string) => string | null;
}

/** What a `step_results` group says about all of its hosts. */
export interface V2GroupHeader {
  readonly ipStatus: number;
  readonly tag: string;
}

/**
 * Validates one `step_results` group's own fields (not its hosts). Shared by the tree parser and
 * the streaming scanner (v2stream.ts), which hands it a record of the group's small fields.
 */
export function readV2GroupHeader(group: Json, at: PathRef): V2GroupHeader {
  return { ipStatus: readInt(group.ip_status, at, 'ip_status'), tag: readOptionalString(group.tag, at, 'tag') ?? '' };
}

/**
 * Validates and normalises one `ip_logs` entry. Reads only the small fields, never `log_content`,
 * so the streaming scanner can pass a record without the log. Shared by both parsers.
 */
export function parseV2Host(log: Json, at: PathRef, group: V2GroupHeader, options: V2ParseOptions): HostResult {
  const totalSeconds = readOptionalNumber(log.total_time, at, 'total_time');
  return {
    // v2 names hosts by address only; a host JOB sent without one is shown as an unknown host.
    ip: readOptionalString(log.ip, at, 'ip') ?? '',
    bkCloudId: readOptionalInt(log.bk_cloud_id, at, 'bk_cloud_id') ?? 0,
    ipStatus: group.ipStatus,
    tag: group.tag,
    exitCode: readOptionalInt(log.exit_code, at, 'exit_code'),
    errorCode: readOptionalInt(log.error_code, at, 'error_code'),
    startTime: parseBkTime(log.start_time, at, options.defaultOffsetMinutes, 'start_time'),
    endTime: parseBkTime(log.end_time, at, options.defaultOffsetMinutes, 'end_time'),
    totalTimeMs: totalSeconds === null ? null : Math.round(totalSeconds * 1000),
    // The documented name is retry_count; the current backend serialises execute_count.
    retryCount: readOptionalInt(log.retry_count ?? log.execute_count, at, 'retry_count') ?? 0,
  };
}

/**
 * Builds a step from its small fields (`step_instance_id`, `name`, `status`; `step_results` is
 * not read) and its already parsed hosts. Shared by both parsers.
 */
export function assembleV2Step(step: Json, hosts: HostResult[], path: string): StepInstance {
  // v2 has no step times: a step spans its hosts' times.
  let startTime: number | null = null;
  let endTime: number | null = null;
  let allEnded = hosts.length > 0;
  let executeCount = 0;
  for (const host of hosts) {
    if (host.startTime !== null && (startTime === null || host.startTime < startTime)) startTime = host.startTime;
    if (host.endTime === null) allEnded = false;
    else if (endTime === null || host.endTime > endTime) endTime = host.endTime;
    if (host.retryCount > executeCount) executeCount = host.retryCount;
  }
  return {
    stepInstanceId: readInt(step.step_instance_id, path, 'step_instance_id'),
    name: readOptionalString(step.name, path, 'name') ?? '',
    status: readInt(step.status, path, 'status'),
    type: null,
    startTime,
    endTime: allEnded ? endTime : null,
    totalTimeMs: allEnded && startTime !== null && endTime !== null ? endTime - startTime : null,
    executeCount,
    hosts,
  };
}

function parseStep(value: unknown, i: number, options: V2ParseOptions, precise: boolean): StepInstance {
  const path = `data[${i}]`;
  const step = readRecord(value, path);
  const hosts: HostResult[] = [];
  const groups = readOptionalArray(step.step_results, path, 'step_results');
  for (let g = 0; g < groups.length; g++) {
    const groupPath = () => `${path}.step_results[${g}]`;
    const group = readRecord(groups[g], groupPath);
    const header = readV2GroupHeader(group, groupPath);
    const logs = readOptionalArray(group.ip_logs, groupPath, 'ip_logs');
    for (let h = 0; h < logs.length; h++) {
      // The fast pass allocates nothing per host for error paths; the precise pass names them.
      const at = precise ? () => `${groupPath()}.ip_logs[${h}]` : FAST_PASS;
      hosts.push(parseV2Host(readRecord(logs[h], at), at, header, options));
    }
  }
  return assembleV2Step(step, hosts, path);
}

/** Stands in for host paths in the fast pass; never shown (a failure re-runs the precise pass). */
const FAST_PASS = '';

/**
 * Validates and normalises the `data` of a v2 `get_job_instance_log` response. Big jobs have
 * hundreds of thousands of hosts, so the first pass keeps per-host allocations to the result;
 * if it finds something wrong, a second pass finds it again and names its exact path.
 */
export function parseV2JobInstanceLog(data: unknown, ref: JobRef, options: V2ParseOptions): JobInstance {
  try {
    return parseJob(data, ref, options, false);
  } catch (err) {
    if (err instanceof BkJobError && err.kind === 'bad_response') return parseJob(data, ref, options, true);
    throw err;
  }
}

function parseJob(data: unknown, ref: JobRef, options: V2ParseOptions, precise: boolean): JobInstance {
  return assembleV2Job(
    readArray(data, 'data').map((stepValue, i) => parseStep(stepValue, i, options, precise)),
    ref,
  );
}

/** The job from its steps (v2 has no job-level fields). Shared by both parsers. */
export function assembleV2Job(steps: StepInstance[], ref: JobRef): JobInstance {
  if (steps.length === 0) {
    throw new BkJobError(`BlueKing JOB returned no steps for job ${ref.jobInstanceId}`, { kind: 'bad_response' });
  }
  let startTime: number | null = null;
  let endTime: number | null = null;
  for (const step of steps) {
    if (step.startTime !== null && (startTime === null || step.startTime < startTime)) startTime = step.startTime;
    if (step.endTime !== null && (endTime === null || step.endTime > endTime)) endTime = step.endTime;
  }
  return { ref, name: null, status: null, startTime, endTime, steps };
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** v2 log text is HTML-escaped by the JOB backend (`Utils.htmlEncode`); v3 returns raw text. */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});/g, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return safeCodePoint(parseInt(entity.slice(2), 16)) ?? whole;
    if (entity.startsWith('#')) return safeCodePoint(parseInt(entity.slice(1), 10)) ?? whole;
    return HTML_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** Finds one host's log in a v2 response for the given step; not_found when absent. */
export function extractV2HostLog(data: unknown, ref: HostLogRef, options: V2ParseOptions): HostLog {
  const steps = readArray(data, 'data');
  for (const [i, stepValue] of steps.entries()) {
    const step = readRecord(stepValue, `data[${i}]`);
    if (readInt(step.step_instance_id, `data[${i}].step_instance_id`) !== ref.stepInstanceId) continue;
    for (const [g, groupValue] of readOptionalArray(step.step_results, `data[${i}].step_results`).entries()) {
      const groupPath = `data[${i}].step_results[${g}]`;
      const group = readRecord(groupValue, groupPath);
      for (const [h, hostValue] of readOptionalArray(group.ip_logs, `${groupPath}.ip_logs`).entries()) {
        const path = `${groupPath}.ip_logs[${h}]`;
        const host = readRecord(hostValue, path);
        const cloud = readOptionalInt(host.bk_cloud_id, `${path}.bk_cloud_id`) ?? 0;
        if (sameHost({ ip: readOptionalString(host.ip, `${path}.ip`) ?? '', bkCloudId: cloud }, ref)) {
          const result = parseV2Host(host, path, readV2GroupHeader(group, groupPath), options);
          return {
            ref,
            content: decodeHtmlEntities(readOptionalString(host.log_content, `${path}.log_content`) ?? ''),
            step: { name: readOptionalString(step.name, `data[${i}].name`) ?? '', status: readInt(step.status, `data[${i}].status`), executeCount: result.retryCount },
            host: result,
          };
        }
      }
    }
  }
  throw new BkJobError(`Host ${formatHostAddress(ref)} is not in step ${ref.stepInstanceId} of job ${ref.job.jobInstanceId}`, { kind: 'not_found' });
}
