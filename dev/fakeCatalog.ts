/**
 * The fake's JOB catalog: `get_job_instance_list` over the fake's jobs, and crons and job plans
 * (`get_cron_list`, `get_cron_detail`, `get_job_plan_list`, `get_job_plan_detail`). Pure: each
 * API is a function from the scope's objects and the request's parameters to JOB's answer, with
 * JOB's own rules and codes (bkjob-source-facts C2, C3), not the ones a client would find handy.
 * FakeBkJob (fakeEsb.ts) does the HTTP, the credentials and the permission check around them.
 */
import { type FakeJobDef, isFinishedRunStatus, jobEndTime, jobStartTime, jobStatus } from './fakeJobs';

/** A cron (`cron_job`). Times are epoch ms here; JOB's API sends them as seconds. */
export interface FakeCronDef {
  bizId: number;
  scopeType?: 'biz' | 'biz_set';
  id: number;
  name: string;
  jobPlanId: number;
  enabled: boolean;
  /** Crontab text; null for a one-off cron. */
  expression: string | null;
  /** IANA zone; default Asia/Shanghai. */
  timeZone?: string;
  /** Default 'admin'. */
  creator?: string;
  createTime: number;
  /** Default: the creator. */
  lastModifyUser?: string;
  /** Default: createTime. */
  lastModifyTime?: number;
  /** `global_var_list` of the detail (the list always sends null). */
  variables?: readonly FakeCronVariable[];
}

export interface FakeCronVariable {
  id: number;
  name: string;
  value: string;
  /** 1 string, 2 namespace, 3 host list … (`TaskVariableTypeEnum`). */
  type: number;
}

/** A job plan. Times are epoch ms here; JOB's API sends them as seconds (per source). */
export interface FakePlanDef {
  bizId: number;
  scopeType?: 'biz' | 'biz_set';
  id: number;
  name: string;
  jobTemplateId: number;
  /** Default 'admin'. */
  creator?: string;
  createTime: number;
  lastModifyUser?: string;
  lastModifyTime?: number;
  /** The template changed since the plan was synced. Default false. */
  needUpdate?: boolean;
}

export type FakeCatalogLanguage = 'en' | 'zh';

/** What a catalog API answers: data, JOB's success without `data` (NON_NULL), or an error. */
export type CatalogReply = { readonly kind: 'data'; readonly data: unknown } | { readonly kind: 'no_data' } | { readonly kind: 'error'; readonly code: number; readonly message: string };

export interface CatalogRequest {
  readonly params: Readonly<Record<string, unknown>>;
  /** GET and POST differ in how a missing required parameter is reported. */
  readonly method: string;
  readonly lang: FakeCatalogLanguage;
  /** For the total_time of unfinished jobs (JOB: now − start). */
  readonly now: number;
  /** The scope as it goes into each item. */
  readonly scope: { readonly type: 'biz' | 'biz_set'; readonly id: number };
}

/** JOB codes the catalog answers with (`ErrorCode.java`, bkjob-source-facts A-8). */
export const CATALOG_CODES = {
  INTERNAL_ERROR: 1240002,
  BAD_REQUEST: 1240003,
  ILLEGAL_PARAM: 1241002,
  INVALID_NAMED_PARAM: 1241007,
  PLAN_NOT_FOUND: 1243009,
} as const;

/** `Consts.MAX_SEARCH_TASK_HISTORY_RANGE_MILLS`. */
export const MAX_JOB_INSTANCE_RANGE_MS = 30 * 86_400_000;

const TEXT = {
  en: {
    badRequest: 'Bad Request',
    internalError: 'Internal Server Error',
    illegalParam: 'Invalid request parameter',
    invalidParam: (name: string) => `Missing or invalid request parameter [${name}]`,
    planNotFound: 'Job plan does not exist',
  },
  zh: {
    badRequest: '错误的请求',
    internalError: '内部服务器异常',
    illegalParam: '请求参数不合法',
    invalidParam: (name: string) => `请求参数[${name}]缺失或不合法`,
    planNotFound: '执行方案不存在',
  },
} as const satisfies Record<FakeCatalogLanguage, unknown>;

/** Bean validation's message for `@Range(min=1, max=1000)` on `length`, as the facts quote it (both languages). */
const LENGTH_RANGE_MESSAGE = "The param 'length' must be in range: [1,1000]";

/** `TaskStartupModeEnum`: 1 web, 2 API, 3 cron. */
const LAUNCH_MODES: ReadonlySet<number> = new Set([1, 2, 3]);
/** `TaskTypeEnum`: 0 plan, 1 fast script, 2 fast file. */
const TASK_TYPES: ReadonlySet<number> = new Set([0, 1, 2]);
/** `RunStatusEnum` codes (12 is not one: bkjob-source-facts C2 names it as an invalid filter). */
const RUN_STATUSES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15]);

function error(code: number, message: string): CatalogReply {
  return { kind: 'error', code, message };
}

/** Integers arrive as JSON numbers or as query-string text. */
function intParam(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return null;
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function stringParam(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * An optional integer filter: absent → null; present but not an integer → `bad` (on GET Spring's
 * conversion fails, on POST Jackson's: both 1240003).
 */
function optionalInt(params: CatalogRequest['params'], name: string): number | null | 'bad' {
  const value = params[name];
  if (!given(value)) return null;
  return intParam(value) ?? 'bad';
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function scopeFields(scope: CatalogRequest['scope']): Record<string, unknown> {
  // bk_biz_id comes with feature bkBizIdCompatible (chart default on).
  return { bk_biz_id: scope.id, bk_scope_type: scope.type, bk_scope_id: String(scope.id) };
}

/** `start`/`length` of a list request with their defaults; null for non-integers. */
function paging(params: CatalogRequest['params']): { start: number; length: number } | null {
  const start = optionalInt(params, 'start');
  const length = optionalInt(params, 'length');
  if (start === 'bad' || length === 'bad') return null;
  return { start: Math.max(0, start ?? 0), length: length ?? 20 };
}

function page(items: readonly unknown[], start: number, length: number): Record<string, unknown> {
  return { start, length, total: items.length, data: items.slice(start, start + Math.max(0, length)) };
}

// ---- get_job_instance_list ------------------------------------------------------------------

/** Defaults of the list-only fields of a FakeJobDef. */
export function jobListFields(def: FakeJobDef): { launchMode: number; jobPlanId: number; jobTemplateId: number; operator: string; type: number } {
  const jobPlanId = def.jobPlanId ?? -1;
  return {
    launchMode: def.launchMode ?? 1,
    jobPlanId,
    jobTemplateId: def.jobTemplateId ?? -1,
    operator: def.operator ?? 'admin',
    type: def.type ?? (jobPlanId > 0 ? 0 : 1),
  };
}

/** One `EsbTaskInstanceV3DTO`. The cron id is never in it. */
export function jobInstanceListItem(def: FakeJobDef, scope: CatalogRequest['scope'], now: number): Record<string, unknown> {
  const fields = jobListFields(def);
  const status = jobStatus(def);
  const start = jobStartTime(def);
  const end = jobEndTime(def);
  // TaskResultServiceImpl.computeTotalTime: unfinished jobs count up to now.
  const total = start === null ? null : end !== null ? end - start : isFinishedRunStatus(status) ? null : Math.max(0, now - start);
  return {
    ...scopeFields(scope),
    job_instance_id: def.jobInstanceId,
    job_plan_id: fields.jobPlanId,
    job_template_id: fields.jobTemplateId,
    name: def.name,
    operator: fields.operator,
    launch_mode: fields.launchMode,
    status,
    start_time: start,
    end_time: end,
    total_time: total,
    create_time: def.createTime,
    type: fields.type,
  };
}

/**
 * `get_job_instance_list` over one scope's jobs (EsbGetJobInstanceListV3ResourceImpl and
 * TaskInstanceDAOImpl): the time window is required and validated first; `job_instance_id` makes
 * every other filter moot; both bounds inclusive on create_time; newest first; no plan filter.
 */
export function listJobInstances(jobs: Iterable<FakeJobDef>, request: CatalogRequest): CatalogReply {
  const { params, lang } = request;
  const text = TEXT[lang];
  const get = request.method === 'GET';
  const bounds: number[] = [];
  for (const name of ['create_time_start', 'create_time_end'] as const) {
    const value = params[name];
    // A missing GET parameter is Spring's MissingServletRequestParameterException (1240003); in a POST body it is checkRequest's 1241007.
    if (!given(value)) return get ? error(CATALOG_CODES.BAD_REQUEST, text.badRequest) : error(CATALOG_CODES.INVALID_NAMED_PARAM, text.invalidParam(name));
    const ms = intParam(value);
    if (ms === null) return error(CATALOG_CODES.BAD_REQUEST, text.badRequest);
    if (ms < 1) return error(CATALOG_CODES.INVALID_NAMED_PARAM, text.invalidParam(name));
    bounds.push(ms);
  }
  const [from, to] = bounds as [number, number];
  if (to <= from) return error(CATALOG_CODES.INVALID_NAMED_PARAM, text.invalidParam('create_time_end'));
  if (to - from > MAX_JOB_INSTANCE_RANGE_MS) return error(CATALOG_CODES.ILLEGAL_PARAM, text.illegalParam);
  const paged = paging(params);
  if (!paged) return error(CATALOG_CODES.BAD_REQUEST, text.badRequest);
  if (paged.length < 1 || paged.length > 1000) return error(CATALOG_CODES.BAD_REQUEST, LENGTH_RANGE_MESSAGE);

  const filters = {
    jobInstanceId: optionalInt(params, 'job_instance_id'),
    cronId: optionalInt(params, 'job_cron_id'),
    launchMode: optionalInt(params, 'launch_mode'),
    type: optionalInt(params, 'type'),
    status: optionalInt(params, 'status'),
  };
  if (Object.values(filters).includes('bad')) return error(CATALOG_CODES.BAD_REQUEST, text.badRequest);
  const { jobInstanceId, cronId, launchMode, type, status } = filters as { [K in keyof typeof filters]: number | null };
  // Enum valueOf throws for an unknown launch mode or status (1240002); the type is checked (1241002).
  if (launchMode !== null && !LAUNCH_MODES.has(launchMode)) return error(CATALOG_CODES.INTERNAL_ERROR, text.internalError);
  if (status !== null && !RUN_STATUSES.has(status)) return error(CATALOG_CODES.INTERNAL_ERROR, text.internalError);
  if (type !== null && !TASK_TYPES.has(type)) return error(CATALOG_CODES.ILLEGAL_PARAM, text.illegalParam);
  const operator = stringParam(params.operator);
  const name = stringParam(params.name);
  const ip = stringParam(params.ip);

  const matches = (def: FakeJobDef): boolean => {
    // The DAO returns early on an id: no other filter applies, the time window included (it is only validated).
    if (jobInstanceId !== null && jobInstanceId > 0) return def.jobInstanceId === jobInstanceId;
    if (def.createTime < from || def.createTime > to) return false;
    const fields = jobListFields(def);
    if (cronId !== null && cronId > 0 && def.cronId !== cronId) return false;
    if (launchMode !== null && fields.launchMode !== launchMode) return false;
    if (type !== null && fields.type !== type) return false;
    if (status !== null && jobStatus(def) !== status) return false;
    if (operator !== null && fields.operator !== operator) return false;
    if (name !== null && !def.name.includes(name)) return false;
    if (ip !== null && !def.steps.some((step) => step.hosts.some((host) => host.ip === ip))) return false;
    return true;
  };
  const found = [...jobs].filter(matches).sort((a, b) => b.createTime - a.createTime || b.jobInstanceId - a.jobInstanceId);
  return { kind: 'data', data: page(found.map((def) => jobInstanceListItem(def, request.scope, request.now)), paged.start, paged.length) };
}

// ---- crons ---------------------------------------------------------------------------------

/** `EsbCronInfoV3DTO` as `toEsbCronInfoV3` builds it: status 1/0, times in seconds. */
export function cronData(def: FakeCronDef, scope: CatalogRequest['scope'], detail: boolean): Record<string, unknown> {
  const creator = def.creator ?? 'admin';
  return {
    ...scopeFields(scope),
    job_plan_id: def.jobPlanId,
    id: def.id,
    name: def.name,
    status: def.enabled ? 1 : 0,
    expression: def.expression,
    global_var_list: detail ? (def.variables ?? []).map((v) => ({ id: v.id, name: v.name, value: v.value, server: null, description: null, type: v.type, required: null })) : null,
    creator,
    create_time: seconds(def.createTime),
    last_modify_user: def.lastModifyUser ?? creator,
    last_modify_time: seconds(def.lastModifyTime ?? def.createTime),
    execute_time_zone: def.timeZone ?? 'Asia/Shanghai',
  };
}

/** Both bounds or none (JOB ignores a half-open range); values compared in seconds, as stored. */
function inRange(params: CatalogRequest['params'], startName: string, endName: string, valueSeconds: number): boolean {
  const start = intParam(params[startName]);
  const end = intParam(params[endName]);
  if (start === null || end === null) return true;
  return valueSeconds >= start && valueSeconds <= end;
}

/**
 * `get_cron_list` over one scope's crons. An `id` > 0 ignores the other filters, and an unknown
 * one NPEs into 1240002. `status` filters only for 1 or 0: anything else (the documented 2
 * included) is dropped. No maximum length. Order: by id (JOB's own order is unconfirmed).
 */
export function listCrons(crons: Iterable<FakeCronDef>, request: CatalogRequest): CatalogReply {
  const { params, lang } = request;
  const paged = paging(params);
  if (!paged) return error(CATALOG_CODES.BAD_REQUEST, TEXT[lang].badRequest);
  const all = [...crons].sort((a, b) => a.id - b.id);
  const id = intParam(params.id);
  if (id !== null && id > 0) {
    const cron = all.find((c) => c.id === id);
    if (!cron) return error(CATALOG_CODES.INTERNAL_ERROR, TEXT[lang].internalError);
    return { kind: 'data', data: page([cronData(cron, request.scope, false)], paged.start, paged.length) };
  }
  const name = stringParam(params.name);
  const status = intParam(params.status);
  const creator = stringParam(params.creator);
  const modifier = stringParam(params.last_modify_user);
  const found = all.filter((cron) => {
    if (name !== null && !cron.name.includes(name)) return false;
    if ((status === 1 || status === 0) && cron.enabled !== (status === 1)) return false;
    if (creator !== null && (cron.creator ?? 'admin') !== creator) return false;
    if (modifier !== null && (cron.lastModifyUser ?? cron.creator ?? 'admin') !== modifier) return false;
    if (!inRange(params, 'create_time_start', 'create_time_end', seconds(cron.createTime))) return false;
    return inRange(params, 'last_modify_time_start', 'last_modify_time_end', seconds(cron.lastModifyTime ?? cron.createTime));
  });
  return { kind: 'data', data: page(found.map((cron) => cronData(cron, request.scope, false)), paged.start, paged.length) };
}

/** `get_cron_detail`: an unknown id is success with no `data` (the DAO's null, dropped by NON_NULL). */
export function cronDetail(crons: Iterable<FakeCronDef>, request: CatalogRequest): CatalogReply {
  const id = intParam(request.params.id);
  if (id === null || id < 1) return error(CATALOG_CODES.INVALID_NAMED_PARAM, TEXT[request.lang].invalidParam('id'));
  const cron = [...crons].find((c) => c.id === id);
  return cron ? { kind: 'data', data: cronData(cron, request.scope, true) } : { kind: 'no_data' };
}

// ---- job plans ------------------------------------------------------------------------------

/** `EsbPlanBasicInfoV3DTO`; times in seconds per source (the unit is unconfirmed, see the facts). */
export function planData(def: FakePlanDef, scope: CatalogRequest['scope']): Record<string, unknown> {
  const creator = def.creator ?? 'admin';
  return {
    ...scopeFields(scope),
    id: def.id,
    job_template_id: def.jobTemplateId,
    name: def.name,
    creator,
    create_time: seconds(def.createTime),
    last_modify_user: def.lastModifyUser ?? creator,
    last_modify_time: seconds(def.lastModifyTime ?? def.createTime),
    need_update: def.needUpdate ?? false,
  };
}

/** `get_job_plan_list`: `checkRequest` is a TODO, so nothing is validated. Order: newest id first (as the fixture). */
export function listPlans(plans: Iterable<FakePlanDef>, request: CatalogRequest): CatalogReply {
  const { params } = request;
  const paged = paging(params) ?? { start: 0, length: 20 };
  const templateId = intParam(params.job_template_id);
  const name = stringParam(params.name);
  const creator = stringParam(params.creator);
  const modifier = stringParam(params.last_modify_user);
  const found = [...plans]
    .filter((plan) => {
      if (templateId !== null && templateId > 0 && plan.jobTemplateId !== templateId) return false;
      if (name !== null && !plan.name.includes(name)) return false;
      if (creator !== null && (plan.creator ?? 'admin') !== creator) return false;
      return modifier === null || (plan.lastModifyUser ?? plan.creator ?? 'admin') === modifier;
    })
    .sort((a, b) => b.id - a.id);
  return { kind: 'data', data: page(found.map((plan) => planData(plan, request.scope)), paged.start, paged.length) };
}

/** `get_job_plan_detail`: an unknown plan is 1243009. The detail adds variables and steps (empty here). */
export function planDetail(plans: Iterable<FakePlanDef>, request: CatalogRequest): CatalogReply {
  const text = TEXT[request.lang];
  const id = intParam(request.params.job_plan_id);
  if (id === null || id < 1) return error(CATALOG_CODES.INVALID_NAMED_PARAM, text.invalidParam('job_plan_id'));
  const plan = [...plans].find((p) => p.id === id);
  if (!plan) return error(CATALOG_CODES.PLAN_NOT_FOUND, text.planNotFound);
  return { kind: 'data', data: { ...planData(plan, request.scope), global_var_list: [], step_list: [] } };
}
