/**
 * BlueKing JOB v3 list/catalog APIs: job instances by time window (and cron), crons and job
 * plans. For "subscribe a channel to a cron or plan": the bot finds new runs by polling
 * `get_job_instance_list` (cron runs never carry a callback), and names crons and plans from
 * their detail and list APIs (bkjob-source-facts C2, C3).
 *
 * Reached like the other v3 APIs: ESB `POST /api/c/compapi/v2/jobv3/<name>/`, gateway
 * `GET /api/v3/<name>`, or JOB's non-public `GET /api/v3/system/<name>` (`gateway-system`).
 * Everything here is read-only. Times come out as epoch ms whatever unit JOB used.
 */
import { isBkJobError } from './errors';
import type { BkActor, BkScope } from './model';
import { scopeOf } from './scope';
import type { BkAuthMode, BkRequest, BkTransport, QueryValue } from './transport';
import { type Json, readInt, readOptionalArray, readOptionalInt, readOptionalString, readRecord } from './validate';

export type { BkScope } from './model';

/** One job instance of a `get_job_instance_list` page (`EsbTaskInstanceV3DTO`). */
export interface JobInstanceListItem {
  readonly jobInstanceId: number;
  readonly name: string;
  /** The plan the job ran; null for fast script/file jobs (JOB sends -1). */
  readonly jobPlanId: number | null;
  /** The plan's template; null for fast jobs (JOB sends -1). */
  readonly jobTemplateId: number | null;
  /** 1 web, 2 API, 3 cron (`TaskStartupModeEnum`). */
  readonly launchMode: number;
  /** The job's `RunStatusEnum` code. */
  readonly status: number;
  readonly operator: string;
  /** 0 plan job, 1 fast script, 2 fast file (`TaskTypeEnum`). */
  readonly type: number;
  /** Epoch ms. */
  readonly createTime: number;
  readonly startTime: number | null;
  readonly endTime: number | null;
  /** ms; for unfinished jobs JOB computes now − start. */
  readonly totalTimeMs: number | null;
}

export interface JobInstancePage {
  /** Newest first (JOB orders by `create_time` DESC). */
  readonly items: readonly JobInstanceListItem[];
  readonly total: number | null;
  readonly start: number;
  readonly length: number;
}

export interface JobInstanceQuery {
  /** Epoch ms, inclusive. JOB requires both bounds, end > start, and at most 30 days between them. */
  readonly createTimeStart: number;
  /** Epoch ms, inclusive. */
  readonly createTimeEnd: number;
  readonly start: number;
  /** 1–1000. */
  readonly length: number;
  /** Only runs of this cron (`job_cron_id`); the cron id is not in the answer. */
  readonly cronId?: number;
  /** 1 web, 2 API, 3 cron. */
  readonly launchMode?: number;
}

export interface CronInfo {
  readonly id: number;
  readonly name: string;
  readonly jobPlanId: number;
  /** `status` 1; JOB's list and detail send 0 for a disabled cron (its docs say 2). */
  readonly enabled: boolean;
  /** The crontab expression; null for a one-off cron. */
  readonly expression: string | null;
  /** IANA zone the cron runs in (`execute_time_zone`). */
  readonly timeZone: string | null;
  readonly creator: string;
  /** Epoch ms (JOB sends seconds for crons). */
  readonly createTime: number | null;
  readonly lastModifyUser: string | null;
  /** Epoch ms (JOB sends seconds for crons). */
  readonly lastModifyTime: number | null;
}

export interface JobPlanInfo {
  readonly id: number;
  readonly name: string;
  readonly jobTemplateId: number | null;
  readonly creator: string;
  /** Epoch ms (see `epochMsOf` on the unit JOB sends). */
  readonly createTime: number | null;
  readonly lastModifyUser: string | null;
  /** Epoch ms (see `epochMsOf` on the unit JOB sends). */
  readonly lastModifyTime: number | null;
}

export interface CatalogPage<T> {
  readonly items: readonly T[];
  readonly total: number | null;
}

export interface CatalogListQuery {
  /** JOB matches names with `LIKE %name%`. */
  readonly name?: string;
  readonly start: number;
  readonly length: number;
}

export interface JobCatalog {
  listJobInstances(actor: BkActor, scope: BkScope, query: JobInstanceQuery): Promise<JobInstancePage>;
  /** null when JOB answers success with no data (unknown id). */
  getCron(actor: BkActor, scope: BkScope, cronId: number): Promise<CronInfo | null>;
  listCrons(actor: BkActor, scope: BkScope, query: CatalogListQuery): Promise<CatalogPage<CronInfo>>;
  /** get_job_plan_detail; null when JOB says the plan does not exist (1243009) or sends no data. */
  getJobPlan(actor: BkActor, scope: BkScope, planId: number): Promise<JobPlanInfo | null>;
  listJobPlans(actor: BkActor, scope: BkScope, query: CatalogListQuery): Promise<CatalogPage<JobPlanInfo>>;
}

export type CatalogApi = 'get_job_instance_list' | 'get_cron_detail' | 'get_cron_list' | 'get_job_plan_detail' | 'get_job_plan_list';

/** JOB's "does not exist" codes for crons and plans (`ErrorCode.java`, bkjob-source-facts A-8). */
export const CATALOG_NOT_FOUND_CODES = { CRON: 1245001, PLAN: 1243009 } as const;

/** Where each catalog API lives for each way of reaching JOB (same pattern as `V3_ENDPOINTS`). */
export function catalogEndpoint(via: BkAuthMode, api: CatalogApi): Pick<BkRequest, 'method' | 'path'> {
  switch (via) {
    case 'esb':
      return { method: 'POST', path: `/api/c/compapi/v2/jobv3/${api}/` };
    case 'gateway':
      return { method: 'GET', path: `/api/v3/${api}` };
    case 'gateway-system':
      return { method: 'GET', path: `/api/v3/system/${api}` };
  }
}

export class V3JobCatalog implements JobCatalog {
  constructor(
    private readonly transport: BkTransport,
    private readonly options: { readonly via: BkAuthMode },
  ) {}

  async listJobInstances(actor: BkActor, scope: BkScope, query: JobInstanceQuery): Promise<JobInstancePage> {
    const params: Record<string, QueryValue> = {
      ...scopeOf(scope),
      create_time_start: query.createTimeStart,
      create_time_end: query.createTimeEnd,
      start: query.start,
      length: query.length,
      ...(query.cronId !== undefined ? { job_cron_id: query.cronId } : {}),
      ...(query.launchMode !== undefined ? { launch_mode: query.launchMode } : {}),
    };
    const data = await this.call('get_job_instance_list', actor, params);
    return parseJobInstancePage(data, query);
  }

  async getCron(actor: BkActor, scope: BkScope, cronId: number): Promise<CronInfo | null> {
    const data = await this.callOrNull('get_cron_detail', actor, { ...scopeOf(scope), id: cronId }, CATALOG_NOT_FOUND_CODES.CRON);
    // An unknown id comes back as success without `data` (the DAO returns null, NON_NULL drops it).
    return data === undefined || data === null ? null : parseCron(data, 'data');
  }

  async listCrons(actor: BkActor, scope: BkScope, query: CatalogListQuery): Promise<CatalogPage<CronInfo>> {
    const data = await this.call('get_cron_list', actor, listParams(scope, query));
    return parseCatalogPage(data, parseCron);
  }

  async getJobPlan(actor: BkActor, scope: BkScope, planId: number): Promise<JobPlanInfo | null> {
    const data = await this.callOrNull('get_job_plan_detail', actor, { ...scopeOf(scope), job_plan_id: planId }, CATALOG_NOT_FOUND_CODES.PLAN);
    return data === undefined || data === null ? null : parseJobPlan(data, 'data');
  }

  async listJobPlans(actor: BkActor, scope: BkScope, query: CatalogListQuery): Promise<CatalogPage<JobPlanInfo>> {
    const data = await this.call('get_job_plan_list', actor, listParams(scope, query));
    return parseCatalogPage(data, parseJobPlan);
  }

  private async call(api: CatalogApi, actor: BkActor, params: Record<string, QueryValue>): Promise<unknown> {
    const { data } = await this.transport.call({ ...catalogEndpoint(this.options.via, api), actor, params });
    return data;
  }

  /** Like `call`, with JOB's "does not exist" error for this kind of object as `undefined`. */
  private async callOrNull(api: CatalogApi, actor: BkActor, params: Record<string, QueryValue>, notFoundCode: number): Promise<unknown> {
    try {
      return await this.call(api, actor, params);
    } catch (err) {
      if (isBkJobError(err) && err.kind === 'api' && err.code === notFoundCode) return undefined;
      throw err;
    }
  }
}

function listParams(scope: BkScope, query: CatalogListQuery): Record<string, QueryValue> {
  return { ...scopeOf(scope), ...(query.name !== undefined && query.name !== '' ? { name: query.name } : {}), start: query.start, length: query.length };
}

/**
 * Epoch ms from a JOB timestamp that may be seconds or ms. Crons store seconds (confirmed in the
 * source); for plans the source says seconds but the gateway doc's example looks like ms
 * (unconfirmed). A value below 1e11 is read as seconds (1e11 s is the year 5138, 1e11 ms is
 * 1973), anything else as ms, so either unit gives the right instant.
 */
export function epochMsOf(value: number | null): number | null {
  if (value === null) return null;
  return Math.abs(value) < 1e11 ? value * 1000 : value;
}

/** JOB's "no plan / no template" id (-1 for fast jobs) as null. */
function optionalId(value: unknown, path: string): number | null {
  const id = readOptionalInt(value, path);
  return id === null || id < 1 ? null : id;
}

function nonEmpty(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}

/** `data` of `get_job_instance_list` (`EsbPageDataV3`): `{start, length, total, data:[…]}`. */
export function parseJobInstancePage(data: unknown, query: Pick<JobInstanceQuery, 'start' | 'length'>): JobInstancePage {
  const page = readRecord(data, 'data');
  return {
    items: readOptionalArray(page.data, 'data.data').map((item, i) => parseJobInstanceItem(item, `data.data[${i}]`)),
    total: readOptionalInt(page.total, 'data.total'),
    start: readOptionalInt(page.start, 'data.start') ?? query.start,
    length: readOptionalInt(page.length, 'data.length') ?? query.length,
  };
}

function parseJobInstanceItem(value: unknown, path: string): JobInstanceListItem {
  const item: Json = readRecord(value, path);
  return {
    jobInstanceId: readInt(item.job_instance_id, `${path}.job_instance_id`),
    name: readOptionalString(item.name, `${path}.name`) ?? '',
    jobPlanId: optionalId(item.job_plan_id, `${path}.job_plan_id`),
    jobTemplateId: optionalId(item.job_template_id, `${path}.job_template_id`),
    launchMode: readInt(item.launch_mode, `${path}.launch_mode`),
    status: readInt(item.status, `${path}.status`),
    operator: readOptionalString(item.operator, `${path}.operator`) ?? '',
    type: readInt(item.type, `${path}.type`),
    createTime: readInt(item.create_time, `${path}.create_time`),
    startTime: readOptionalInt(item.start_time, `${path}.start_time`),
    endTime: readOptionalInt(item.end_time, `${path}.end_time`),
    totalTimeMs: readOptionalInt(item.total_time, `${path}.total_time`),
  };
}

/** A `get_cron_list` item or the `get_cron_detail` data (`EsbCronInfoV3DTO`). */
export function parseCron(value: unknown, path: string): CronInfo {
  const cron: Json = readRecord(value, path);
  return {
    id: readInt(cron.id, `${path}.id`),
    name: readOptionalString(cron.name, `${path}.name`) ?? '',
    jobPlanId: readInt(cron.job_plan_id, `${path}.job_plan_id`),
    // 1 enabled; 0 (what list/detail send) or 2 (what the docs say) disabled.
    enabled: readInt(cron.status, `${path}.status`) === 1,
    expression: nonEmpty(readOptionalString(cron.expression, `${path}.expression`)),
    timeZone: nonEmpty(readOptionalString(cron.execute_time_zone, `${path}.execute_time_zone`)),
    creator: readOptionalString(cron.creator, `${path}.creator`) ?? '',
    createTime: epochMsOf(readOptionalInt(cron.create_time, `${path}.create_time`)),
    lastModifyUser: nonEmpty(readOptionalString(cron.last_modify_user, `${path}.last_modify_user`)),
    lastModifyTime: epochMsOf(readOptionalInt(cron.last_modify_time, `${path}.last_modify_time`)),
  };
}

/** A `get_job_plan_list` item (`EsbPlanBasicInfoV3DTO`) or the `get_job_plan_detail` data. */
export function parseJobPlan(value: unknown, path: string): JobPlanInfo {
  const plan: Json = readRecord(value, path);
  return {
    id: readInt(plan.id, `${path}.id`),
    name: readOptionalString(plan.name, `${path}.name`) ?? '',
    jobTemplateId: optionalId(plan.job_template_id, `${path}.job_template_id`),
    creator: readOptionalString(plan.creator, `${path}.creator`) ?? '',
    createTime: epochMsOf(readOptionalInt(plan.create_time, `${path}.create_time`)),
    lastModifyUser: nonEmpty(readOptionalString(plan.last_modify_user, `${path}.last_modify_user`)),
    lastModifyTime: epochMsOf(readOptionalInt(plan.last_modify_time, `${path}.last_modify_time`)),
  };
}

/** `EsbPageDataV3` of crons or plans; a bad item fails the whole page, naming where. */
function parseCatalogPage<T>(data: unknown, parseItem: (value: unknown, path: string) => T): CatalogPage<T> {
  const page = readRecord(data, 'data');
  return {
    items: readOptionalArray(page.data, 'data.data').map((item, i) => parseItem(item, `data.data[${i}]`)),
    total: readOptionalInt(page.total, 'data.total'),
  };
}
