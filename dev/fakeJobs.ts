/**
 * A neutral description of a BlueKing JOB job instance for the fakes, and its serialisation into
 * the wire shapes BlueKing returns: v2 `get_job_instance_log`, v3 `get_job_instance_status` /
 * `get_job_instance_ip_log` and v4 `get_job_instance_status` (the only one for container steps). One definition feeds both API versions so a test can check that the
 * bot tells the same story whichever it uses. Shapes follow `test/fixtures/bkjob/` exactly.
 *
 * Times are epoch milliseconds. Step and job times left `undefined` are derived from their hosts
 * and steps the way JOB reports them; `null` means "none yet".
 */

/** Host log text, or a function that produces it on demand (huge generated jobs stay small in memory). */
export type FakeLog = string | (() => string);

/** A container JOB ran a step in (feature `containerExecution`); only v4 describes it. */
export interface FakeContainerDef {
  /** JOB's id of the container execute object (v4 `resource_id`, as a string). */
  id: number;
  name: string;
  /** The runtime's id, e.g. `docker://…`. */
  containerId: string;
}

export interface FakeHostDef {
  /** For a container: the CMDB id of the node it runs on (v4 `node_host_id`). */
  bkHostId: number;
  bkCloudId: number;
  ip: string;
  /** Host task status (`ExecuteObjectTaskStatusEnum`): 9 success, 7 running, 104 non-zero exit … */
  ipStatus: number;
  tag: string;
  exitCode: number | null;
  /** GSE-level code: 0 completed, 115 running, 126 force-terminated, -1 other. */
  errorCode: number;
  startTime: number | null;
  endTime: number | null;
  log: FakeLog;
  /** Set: the execute object is this container (on the node host above), not the host. */
  container?: FakeContainerDef;
}

/** 1 script, 2 file, 3 manual confirmation, 4 SQL. */
export type FakeStepType = 1 | 2 | 3 | 4;

/** Where a file step's files come from; only used for the v3 ip_log `file_logs` of file steps. */
export interface FakeFileSource {
  readonly bkHostId: number;
  readonly bkCloudId: number;
  readonly ip: string;
  readonly srcPath: string;
  readonly destPath: string;
}

export interface FakeStepDef {
  stepInstanceId: number;
  name: string;
  /** Step status (`RunStatusEnum`): 1 blank, 2 running, 3 success, 4 failed, 7 waiting for user … */
  status: number;
  type: FakeStepType;
  /** Retry count, 0 on the first run (v2 `retry_count` / `execute_count` on every host). */
  executeCount: number;
  /** Defaults to the job's createTime. */
  createTime?: number;
  /** Undefined: earliest host start. */
  startTime?: number | null;
  /** Undefined: latest host end once the step has finished, else null. */
  endTime?: number | null;
  hosts: FakeHostDef[];
  fileSource?: FakeFileSource;
  /** Manual confirmation (type 3): users who may confirm or terminate it (operate_step_instance 6/9; see fakeOperate.ts). */
  confirmUsers?: string[];
  /**
   * Manual confirmation: roles that may confirm, with their members in the job's business
   * (`{ bk_biz_maintainer: ['bob'] }`); `JOB_RESOURCE_TRIGGER_USER` stands for the job's operator
   * whatever members it lists. JOB refuses a caller (1244016) only when roles are configured.
   */
  confirmRoles?: Record<string, string[]>;
}

export interface FakeJobDef {
  /** The business id, or the business set id when `scopeType` is `biz_set`. */
  bizId: number;
  /** Undefined: a business. */
  scopeType?: 'biz' | 'biz_set';
  jobInstanceId: number;
  name: string;
  /** Undefined: derived from the steps (first step that is not a success decides). */
  status?: number;
  createTime: number;
  /** Undefined: earliest step start. */
  startTime?: number | null;
  /** Undefined: latest step end once the job has finished, else null. */
  endTime?: number | null;
  steps: FakeStepDef[];
  // Fields only get_job_instance_list shows (see fakeCatalog.ts):
  /** 1 web (default), 2 API, 3 cron. */
  launchMode?: 1 | 2 | 3;
  /** The cron that started the job: only the list's `job_cron_id` filter sees it, it is never returned. */
  cronId?: number;
  /** Default -1 (a fast job). */
  jobPlanId?: number;
  /** Default -1. */
  jobTemplateId?: number;
  /** Default 'admin'. */
  operator?: string;
  /** 0 plan job, 1 fast script, 2 fast file; default 0 with a plan, else 1. */
  type?: 0 | 1 | 2;
}

// ---------------------------------------------------------------------------------------------
// Status rules (kept here rather than imported from src/bkjob so the fake is an independent
// witness of what BlueKing does, not a copy of what the bot believes).

/** `RunStatusEnum` values after which a job or step will not change on its own (v3 `finished`). */
const FINISHED_RUN_STATUSES: ReadonlySet<number> = new Set([3, 4, 5, 6, 8, 9, 11, 12, 13, 14]);
/** Step statuses a job moves past: success, skipped, ignore-error. */
const PASSED_STEP_STATUSES: ReadonlySet<number> = new Set([3, 5, 6]);

export function isFinishedRunStatus(status: number): boolean {
  return FINISHED_RUN_STATUSES.has(status);
}

export function readLog(host: FakeHostDef): string {
  return typeof host.log === 'function' ? host.log() : host.log;
}

export function jobStatus(def: FakeJobDef): number {
  if (def.status !== undefined) return def.status;
  for (const [index, step] of def.steps.entries()) {
    if (PASSED_STEP_STATUSES.has(step.status)) continue;
    // A blank step after finished ones means JOB is about to start it: the job is running.
    if (step.status === 1) return index === 0 ? 1 : 2;
    return step.status;
  }
  return def.steps.length === 0 ? 1 : 3;
}

export function stepStartTime(step: FakeStepDef): number | null {
  if (step.startTime !== undefined) return step.startTime;
  let start: number | null = null;
  for (const host of step.hosts) if (host.startTime !== null && (start === null || host.startTime < start)) start = host.startTime;
  return start;
}

export function stepEndTime(step: FakeStepDef): number | null {
  if (step.endTime !== undefined) return step.endTime;
  if (!isFinishedRunStatus(step.status)) return null;
  let end: number | null = null;
  for (const host of step.hosts) if (host.endTime !== null && (end === null || host.endTime > end)) end = host.endTime;
  return end;
}

export function jobStartTime(def: FakeJobDef): number | null {
  if (def.startTime !== undefined) return def.startTime;
  const starts = def.steps.map(stepStartTime).filter((t): t is number => t !== null);
  return starts.length ? Math.min(...starts) : null;
}

export function jobEndTime(def: FakeJobDef): number | null {
  if (def.endTime !== undefined) return def.endTime;
  if (!isFinishedRunStatus(jobStatus(def))) return null;
  const ends = def.steps.map(stepEndTime).filter((t): t is number => t !== null);
  return ends.length ? Math.max(...ends) : null;
}

function span(start: number | null, end: number | null): number | null {
  return start === null || end === null ? null : end - start;
}

// ---------------------------------------------------------------------------------------------
// Time and text helpers shared with the response generator.

/** Epoch ms of a wall-clock time in Asia/Shanghai (+08:00, no DST): `shanghaiMs('2024-06-11 10:15:03')`. */
export function shanghaiMs(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) throw new Error(`shanghaiMs expects "yyyy-MM-dd HH:mm:ss", got "${text}"`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - 8 * 3_600_000;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `+0800` for 480. */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** v2 time: `2024-06-11 10:15:03 +0800` (documented) or `2024-06-11 10:15:03` (current source). */
export function formatV2Time(ms: number, offsetMinutes: number, withOffset: boolean): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const text = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return withOffset ? `${text} ${formatOffset(offsetMinutes)}` : text;
}

/** What JOB's `Utils.htmlEncode` does to v2 log_content: only &, < and > (quotes stay as they are). */
export function escapeV2Log(text: string): string {
  if (!/[&<>]/.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------
// v2 get_job_instance_log

/**
 * `documented`: the API docs' shape (`message: ""`, `retry_count`, times with ` +0800`).
 * `current`: what the current JOB source serialises (no `message`, `execute_count`, times without
 * an offset, and nulls for what a running host does not have yet).
 */
export type V2Style = 'documented' | 'current';

export interface V2SerializeOptions {
  readonly style: V2Style;
  /** Zone the v2 time strings are written in (JOB server's zone); 480 for Asia/Shanghai. */
  readonly offsetMinutes: number;
}

function v2Time(ms: number | null, options: V2SerializeOptions): string | null {
  return ms === null ? null : formatV2Time(ms, options.offsetMinutes, options.style === 'documented');
}

function v2HostJson(host: FakeHostDef, executeCount: number, options: V2SerializeOptions): string {
  const total = span(host.startTime, host.endTime);
  const totalSeconds = total === null ? null : total / 1000;
  const logContent = escapeV2Log(readLog(host));
  // Key order mirrors each variant's fixture, so diffs against them stay readable.
  if (options.style === 'documented') {
    return JSON.stringify({
      retry_count: executeCount,
      total_time: totalSeconds,
      start_time: v2Time(host.startTime, options),
      end_time: v2Time(host.endTime, options),
      ip: host.ip,
      bk_cloud_id: host.bkCloudId,
      error_code: host.errorCode,
      exit_code: host.exitCode,
      log_content: logContent,
    });
  }
  return JSON.stringify({
    start_time: v2Time(host.startTime, options),
    end_time: v2Time(host.endTime, options),
    total_time: totalSeconds,
    execute_count: executeCount,
    error_code: host.errorCode,
    exit_code: host.exitCode,
    log_content: logContent,
    bk_cloud_id: host.bkCloudId,
    ip: host.ip,
  });
}

/** Hosts grouped by (ip_status, tag) in order of first appearance, as JOB groups `step_results`. */
export function groupHostsByResult(hosts: readonly FakeHostDef[]): { ipStatus: number; tag: string; hosts: FakeHostDef[] }[] {
  const groups = new Map<string, { ipStatus: number; tag: string; hosts: FakeHostDef[] }>();
  for (const host of hosts) {
    const key = `${host.ipStatus}\u0000${host.tag}`;
    let group = groups.get(key);
    if (!group) {
      group = { ipStatus: host.ipStatus, tag: host.tag, hosts: [] };
      groups.set(key, group);
    }
    group.hosts.push(host);
  }
  return [...groups.values()];
}

/** The JSON text of a v2 response's `data` array, in pieces (one per host), so huge jobs can stream. */
export function* v2DataChunks(def: FakeJobDef, options: V2SerializeOptions): Generator<string, void, undefined> {
  yield '[';
  for (const [s, step] of def.steps.entries()) {
    const head = JSON.stringify({ is_finished: isFinishedRunStatus(step.status), step_instance_id: step.stepInstanceId, name: step.name, status: step.status });
    yield `${s > 0 ? ',' : ''}${head.slice(0, -1)},"step_results":[`;
    for (const [g, group] of groupHostsByResult(step.hosts).entries()) {
      yield `${g > 0 ? ',' : ''}{"ip_status":${group.ipStatus},"tag":${JSON.stringify(group.tag)},"ip_logs":[`;
      for (const [h, host] of group.hosts.entries()) yield (h > 0 ? ',' : '') + v2HostJson(host, step.executeCount, options);
      yield ']}';
    }
    yield ']}';
  }
  yield ']';
}

/** The whole v2 success envelope, in pieces. */
export function* v2ResponseChunks(def: FakeJobDef, options: V2SerializeOptions, jobRequestId: string): Generator<string, void, undefined> {
  yield options.style === 'documented' ? '{"result":true,"code":0,"message":"","data":' : `{"code":0,"result":true,"job_request_id":${JSON.stringify(jobRequestId)},"data":`;
  yield* v2DataChunks(def, options);
  yield options.style === 'documented' ? `,"job_request_id":${JSON.stringify(jobRequestId)}}` : '}';
}

// ---------------------------------------------------------------------------------------------
// v3 get_job_instance_status / get_job_instance_ip_log

export interface V3StepIpResult {
  bk_host_id: number;
  ip: string;
  bk_cloud_id: number;
  status: number;
  tag: string;
  exit_code: number | null;
  error_code: number;
  start_time: number | null;
  end_time: number | null;
  total_time: number | null;
}

export interface V3StepInstance {
  status: number;
  total_time: number | null;
  name: string;
  step_instance_id: number;
  execute_count: number;
  create_time: number;
  end_time: number | null;
  type: number;
  start_time: number | null;
  step_ip_result_list?: V3StepIpResult[];
}

export interface V3JobInstanceStatusData {
  finished: boolean;
  job_instance: {
    job_instance_id: number;
    bk_scope_type: 'biz';
    bk_scope_id: string;
    name: string;
    create_time: number;
    status: number;
    start_time: number | null;
    end_time: number | null;
    total_time: number | null;
  };
  step_instance_list: V3StepInstance[];
}

export function v3StatusData(def: FakeJobDef, returnIpResult: boolean): V3JobInstanceStatusData {
  const status = jobStatus(def);
  const start = jobStartTime(def);
  const end = jobEndTime(def);
  return {
    finished: isFinishedRunStatus(status),
    job_instance: {
      job_instance_id: def.jobInstanceId,
      bk_scope_type: 'biz',
      bk_scope_id: String(def.bizId),
      name: def.name,
      create_time: def.createTime,
      status,
      start_time: start,
      end_time: end,
      total_time: span(start, end),
    },
    step_instance_list: def.steps.map((step) => {
      const stepStart = stepStartTime(step);
      const stepEnd = stepEndTime(step);
      const out: V3StepInstance = {
        status: step.status,
        total_time: span(stepStart, stepEnd),
        name: step.name,
        step_instance_id: step.stepInstanceId,
        execute_count: step.executeCount,
        create_time: step.createTime ?? def.createTime,
        end_time: stepEnd,
        type: step.type,
        start_time: stepStart,
      };
      if (returnIpResult) {
        out.step_ip_result_list = step.hosts.map((host) => ({
          bk_host_id: host.bkHostId,
          ip: host.ip,
          bk_cloud_id: host.bkCloudId,
          status: host.ipStatus,
          tag: host.tag,
          exit_code: host.exitCode,
          error_code: host.errorCode,
          start_time: host.startTime,
          end_time: host.endTime,
          total_time: span(host.startTime, host.endTime),
        }));
      }
      return out;
    }),
  };
}

export interface V3HostRef {
  readonly ip: string;
  readonly bkCloudId: number;
  readonly bkHostId: number;
}

export interface V3FileLog {
  mode: 0 | 1;
  src_ip: { bk_host_id: number; bk_cloud_id: number; ip: string };
  src_path: string;
  dest_ip?: { bk_host_id: number; bk_cloud_id: number; ip: string };
  dest_path?: string;
  /** 1 waiting, 2 uploading, 3 downloading, 4 success, 5 failed. */
  status: number;
  log_content: string;
}

export interface V3IpLogData {
  log_type: 1 | 2;
  bk_host_id: number | null;
  bk_cloud_id: number | null;
  ip: string | null;
  log_content: string | null;
  file_logs: V3FileLog[] | null;
}

/** How the ip_log request named the host: JOB prefers bk_host_id when both are given. */
export type V3HostQuery = { readonly bkHostId: number } | { readonly bkCloudId: number; readonly ip: string };

export function findStep(def: FakeJobDef, stepInstanceId: number): FakeStepDef | undefined {
  return def.steps.find((step) => step.stepInstanceId === stepInstanceId);
}

export function findHost(step: FakeStepDef, query: V3HostQuery): FakeHostDef | undefined {
  return 'bkHostId' in query ? step.hosts.find((h) => h.bkHostId === query.bkHostId) : step.hosts.find((h) => h.ip === query.ip && h.bkCloudId === query.bkCloudId);
}

const DEFAULT_FILE_SOURCE: FakeFileSource = { bkHostId: 900001, bkCloudId: 0, ip: '10.0.0.2', srcPath: '/data/release/package.tar.gz', destPath: '/tmp/' };

function fileTaskStatus(ipStatus: number): number {
  if (ipStatus === 9 || ipStatus === 3) return 4;
  if (ipStatus === 5) return 1;
  if (ipStatus === 7) return 3;
  return 5;
}

/**
 * `data` of get_job_instance_ip_log. `bk_cloud_id`/`ip` are echoed from the request, so they are
 * null when the caller asked by `bk_host_id` only (JOB source behaviour, see the v3 spec §4).
 * An empty script log is null. A host outside the step answers an empty log (JOB does not check).
 */
export function v3IpLogData(step: FakeStepDef, query: V3HostQuery): V3IpLogData {
  const host = findHost(step, query);
  const echoed = 'bkHostId' in query ? { bk_cloud_id: null, ip: null } : { bk_cloud_id: query.bkCloudId, ip: query.ip };
  const bkHostId = host?.bkHostId ?? ('bkHostId' in query ? query.bkHostId : null);
  const text = host ? readLog(host) : '';
  if (step.type !== 2) {
    return { log_type: 1, bk_host_id: bkHostId, ...echoed, log_content: text === '' ? null : text, file_logs: null };
  }
  const source = step.fileSource ?? DEFAULT_FILE_SOURCE;
  const srcIp = { bk_host_id: source.bkHostId, bk_cloud_id: source.bkCloudId, ip: source.ip };
  const fileLogs: V3FileLog[] = [];
  if (host) {
    fileLogs.push({
      mode: 1,
      src_ip: srcIp,
      src_path: source.srcPath,
      dest_ip: { bk_host_id: host.bkHostId, bk_cloud_id: host.bkCloudId, ip: host.ip },
      dest_path: source.destPath,
      status: fileTaskStatus(host.ipStatus),
      log_content: text,
    });
  }
  // The single-host API also appends the source host's upload log.
  fileLogs.push({ mode: 0, src_ip: srcIp, src_path: source.srcPath, status: 4, log_content: `FileName: ${source.srcPath} State: source agent upload file success Progress: 100%` });
  return { log_type: 2, bk_host_id: bkHostId, ...echoed, log_content: null, file_logs: fileLogs };
}

// ---------------------------------------------------------------------------------------------
// Container steps and v4 get_job_instance_status

/**
 * A job with a container step: JOB's v2 get_job_instance_log and v3 get_job_instance_status
 * (`return_ip_result=true`) read every execute object as a host and fail with 1240002 on it.
 */
export function hasContainerStep(def: FakeJobDef): boolean {
  return def.steps.some((step) => step.hosts.some((host) => host.container !== undefined));
}

/** `ExecuteObjectTypeEnum`: 1 host, 2 container. */
const EXECUTE_OBJECT_TYPE = { HOST: 1, CONTAINER: 2 } as const;

function v4ExecuteObject(host: FakeHostDef): Record<string, unknown> {
  if (host.container) {
    const { id, containerId, name } = host.container;
    return { type: EXECUTE_OBJECT_TYPE.CONTAINER, resource_id: String(id), container: { id, container_id: containerId, node_host_id: host.bkHostId, name } };
  }
  return {
    type: EXECUTE_OBJECT_TYPE.HOST,
    resource_id: String(host.bkHostId),
    host: { bk_host_id: host.bkHostId, bk_cloud_id: host.bkCloudId, bk_cloud_name: host.bkCloudId === 0 ? 'Default Area' : `cloud-${host.bkCloudId}`, ip: host.ip, alive: 1 },
  };
}

/** JOB's v4 converter drops nulls at every level (`EsbV4Jackson2HttpMessageConverter`). */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([key, inner]) => (inner === null || inner === undefined ? [] : [[key, dropNulls(inner)]])));
}

/**
 * `data` of v4 get_job_instance_status (`V4JobInstanceStatusResp`), nulls already dropped. Unlike
 * v3 the per-object result has no `error_code`.
 */
export function v4StatusData(def: FakeJobDef, returnExecuteObjectResult: boolean): unknown {
  const v3 = v3StatusData(def, false);
  return dropNulls({
    ...v3,
    step_instance_list: v3.step_instance_list.map((step, s) => {
      const hosts = def.steps[s]?.hosts ?? [];
      return {
        ...step,
        ...(returnExecuteObjectResult
          ? {
              step_execute_object_result_list: hosts.map((host) => ({
                execute_object: v4ExecuteObject(host),
                status: host.ipStatus,
                tag: host.tag,
                exit_code: host.exitCode,
                start_time: host.startTime,
                end_time: host.endTime,
                total_time: span(host.startTime, host.endTime),
              })),
            }
          : {}),
      };
    }),
  });
}
