/**
 * BlueKing JOB v2 ESB API: `get_job_instance_log` returns every step with every host's log.
 * Parsing keeps only what the summary needs; logs are read for one host on demand.
 */
import { BkJobError } from './errors';
import { type HostLog, type HostLogRef, type HostResult, type JobInstance, type JobRef, type StepInstance, formatHostAddress, sameHost } from './model';
import { type Json, type PathRef, parseBkTime, readArray, readInt, readOptionalArray, readOptionalInt, readOptionalNumber, readOptionalString, readRecord } from './validate';

export const V2_JOB_INSTANCE_LOG_PATH = '/api/c/compapi/v2/job/get_job_instance_log/';

export interface V2ParseOptions {
  /** Offset (minutes east of UTC) for times that arrive without one. */
  readonly defaultOffsetMinutes: number;
}

function parseHost(log: Json, at: PathRef, ipStatus: number, tag: string, options: V2ParseOptions): HostResult {
  const totalSeconds = readOptionalNumber(log.total_time, at, 'total_time');
  return {
    // v2 names hosts by address only; a host JOB sent without one is shown as an unknown host.
    ip: readOptionalString(log.ip, at, 'ip') ?? '',
    bkCloudId: readOptionalInt(log.bk_cloud_id, at, 'bk_cloud_id') ?? 0,
    ipStatus,
    tag,
    exitCode: readOptionalInt(log.exit_code, at, 'exit_code'),
    errorCode: readOptionalInt(log.error_code, at, 'error_code'),
    startTime: parseBkTime(log.start_time, at, options.defaultOffsetMinutes, 'start_time'),
    endTime: parseBkTime(log.end_time, at, options.defaultOffsetMinutes, 'end_time'),
    totalTimeMs: totalSeconds === null ? null : Math.round(totalSeconds * 1000),
    // The documented name is retry_count; the current backend serialises execute_count.
    retryCount: readOptionalInt(log.retry_count ?? log.execute_count, at, 'retry_count') ?? 0,
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
    const ipStatus = readInt(group.ip_status, groupPath, 'ip_status');
    const tag = readOptionalString(group.tag, groupPath, 'tag') ?? '';
    const logs = readOptionalArray(group.ip_logs, groupPath, 'ip_logs');
    for (let h = 0; h < logs.length; h++) {
      // The fast pass allocates nothing per host for error paths; the precise pass names them.
      const at = precise ? () => `${groupPath()}.ip_logs[${h}]` : FAST_PASS;
      hosts.push(parseHost(readRecord(logs[h], at), at, ipStatus, tag, options));
    }
  }
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
  const steps = readArray(data, 'data').map((stepValue, i) => parseStep(stepValue, i, options, precise));
  if (steps.length === 0) {
    throw new BkJobError(`BlueKing JOB returned no steps for job ${ref.jobInstanceId}`, { kind: 'bad_response' });
  }
  const started = steps.map((s) => s.startTime).filter((t): t is number => t !== null);
  const ended = steps.map((s) => s.endTime).filter((t): t is number => t !== null);
  return {
    ref,
    name: null,
    status: null,
    startTime: started.length ? Math.min(...started) : null,
    endTime: ended.length ? Math.max(...ended) : null,
    steps,
  };
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
          const result = parseHost(host, path, readInt(group.ip_status, groupPath, 'ip_status'), readOptionalString(group.tag, groupPath, 'tag') ?? '', options);
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
