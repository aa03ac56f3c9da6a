/**
 * `FakeBkJob`: BlueKing JOB as the bot sees it, through the ESB (`/api/c/compapi/...`, credentials
 * as parameters) and through the API gateway (`/api/v3/...`, `/api/v4/...`, credentials only in the
 * `X-Bkapi-Authorization` header; JOB's non-public `/api/v3/system/...` and `/api/v4/system/...`
 * twins take the user from `X-Bk-Username`). Jobs come from `FakeJobDef`s (see fakeJobs.ts) and are
 * serialised per API version; errors use the envelopes JOB, ESB and the gateway really send. The
 * job instance list, crons and plans follow JOB's rules in fakeCatalog.ts; the step and job
 * operations (retry, confirm, terminate …) JOB's state rules in fakeOperate.ts.
 *
 * For tests and the offline demo. Everything the bot sends is recorded verbatim, secrets
 * included, so tests can assert exactly what went over the wire.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { FakeBkUser } from './fakeBkUser';
import { FakeHttpServer, type FakeRequest, sendJson, sendJsonChunks, sendText } from './fakeServer';
import { type CatalogReply, type CatalogRequest, type FakeCronDef, type FakePlanDef, CATALOG_CODES, cronDetail, listCrons, listJobInstances, listPlans, planDetail } from './fakeCatalog';
import { type FakeJobDef, type V2Style, type V3HostQuery, dropNulls, findStep, hasContainerStep, v2ResponseChunks, v3IpLogData, v3StatusData, v4StatusData } from './fakeJobs';
import { type FakeOperation, type OperateReply, type OperateRequest, operateJob, operateStep } from './fakeOperate';

export const FAKE_BK_APP_CODE = 'joblog-bot';
export const FAKE_BK_APP_SECRET = 'fake-bk-app-secret';

export const ESB_V2_JOB_INSTANCE_LOG = '/api/c/compapi/v2/job/get_job_instance_log/';
export const ESB_V3_JOB_INSTANCE_STATUS = '/api/c/compapi/v2/jobv3/get_job_instance_status/';
export const ESB_V3_JOB_INSTANCE_IP_LOG = '/api/c/compapi/v2/jobv3/get_job_instance_ip_log/';
export const ESB_V4_JOB_INSTANCE_STATUS = '/api/c/compapi/v2/jobv4/get_job_instance_status/';
/** The catalog APIs by name; ESB `/api/c/compapi/v2/jobv3/<name>/`, gateway `/api/v3/<name>` and `/api/v3/system/<name>`. */
export const CATALOG_API_NAMES = ['get_job_instance_list', 'get_cron_list', 'get_cron_detail', 'get_job_plan_list', 'get_job_plan_detail'] as const;
export type CatalogApiName = (typeof CATALOG_API_NAMES)[number];
/** The operation APIs (fakeOperate.ts), POST only: ESB `/api/c/compapi/v2/jobv3/<name>/`, gateway `/api/v3/<name>` and `/api/v3/system/<name>`. */
export const OPERATE_API_NAMES = ['operate_step_instance', 'operate_job_instance'] as const;
export type OperateApiName = (typeof OPERATE_API_NAMES)[number];
/** Gateway stage prefix the fake also accepts (`{BK_API_URL}/api/bk-job/prod`); bare `/api/v3/...` works too. */
export const FAKE_GATEWAY_STAGE_PATH = '/api/bk-job/prod';
const GATEWAY_PATH = /^(?:\/api\/bk-job\/[^/]+)?(\/api\/v[34]\/(?:system\/)?[A-Za-z0-9_]+)$/;

/** BlueKing error codes the fake answers with. */
export const BK_CODES = {
  ESB_AUTH_FAILED: 1640001,
  GATEWAY_INVALID_ARGS: 1640001,
  GATEWAY_API_NOT_FOUND: 1640401,
  INTERNAL_ERROR: 1240002,
  BAD_REQUEST: 1240003,
  MISSING_SCOPE_PARAM: 1241004,
  INVALID_SCOPE_PARAM: 1241005,
  INVALID_PARAM: 1241007,
  ILLEGAL_PARAM: CATALOG_CODES.ILLEGAL_PARAM,
  PLAN_NOT_FOUND: CATALOG_CODES.PLAN_NOT_FOUND,
  JOB_INSTANCE_NOT_FOUND: 1244006,
  /** JOB's gateway filter found no user (a system call without X-Bk-Username); HTTP 401. */
  NO_USER: 1247002,
  SCOPE_NOT_FOUND: 1243049,
  PERMISSION_DENIED: 9900403,
} as const;

export type FakeFailureKind =
  /** HTTP 500 with an nginx-style HTML page. */
  | 'http500'
  /** Never answer: the socket is held until the client gives up (or the fake stops). */
  | 'timeout'
  /** HTTP 200 with a truncated, non-JSON body. */
  | 'malformed'
  /** HTTP 200 with `result:false`, code 1240002 (JOB internal error). */
  | 'result_false'
  /** Destroy the connection without answering. */
  | 'reset'
  /**
   * HTTP 200, `result:false` 9900403 echoing the credentials back, as a careless ESB plugin might:
   * the query string (URL-encoded) in the message, the decoded app secret in `job_request_id`
   * and the permission action's name, JSON-escaped in its id.
   */
  | 'echo_credentials';

/** IAM action JOB reports as missing: business access (checked first) or history view (per job). */
export type FakePermissionAction = 'access_business' | 'view_history';

export type FakeLanguage = 'en' | 'zh';

export interface FakeBkJobOptions {
  readonly appCode?: string;
  readonly appSecret?: string;
  /** Accepted `bk_token` values and the user each stands for; any other token is rejected. */
  readonly tokens?: Readonly<Record<string, string>>;
  /** Users whose calls JOB denies, and which permission it says is missing. */
  readonly deniedUsers?: Readonly<Record<string, FakePermissionAction>>;
  readonly v2Style?: V2Style;
  /** Zone of v2 time strings, minutes east of UTC (JOB server zone). Default 480 (+0800). */
  readonly v2OffsetMinutes?: number;
  /** Language of messages when the request has no `Blueking-Language` header. Default en. */
  readonly language?: FakeLanguage;
  /** Business names for permission errors; default `{ 3: 'blueking' }`. */
  readonly bizNames?: Readonly<Record<number, string>>;
  readonly jobs?: readonly FakeJobDef[];
  readonly crons?: readonly FakeCronDef[];
  readonly plans?: readonly FakePlanDef[];
  /** The clock for the total_time of unfinished jobs in the instance list. Default Date.now. */
  readonly now?: () => number;
  /**
   * bk-user 2.x behind this ESB: `/api/c/compapi/v2/usermanage/…` requests go to it (recorded
   * there, not here). Without it they answer 404, as before.
   */
  readonly bkUser?: FakeBkUser;
}

export interface RecordedBkRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON or form body; the raw text when it does not parse; undefined when empty. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly at: number;
}

interface PendingFailure {
  remaining: number;
  readonly kind: FakeFailureKind;
  readonly path?: string;
}

type Params = Readonly<Record<string, unknown>>;

/** A JOB/ESB business envelope plus the HTTP status it travels with. */
interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

type ApiName = 'v2_log' | 'v3_status' | 'v3_ip_log' | 'v4_status' | CatalogApiName | OperateApiName;

const DEFAULT_BIZ_NAMES: Readonly<Record<number, string>> = { 3: 'blueking' };

export class FakeBkJob {
  private readonly server: FakeHttpServer;
  private readonly jobs = new Map<string, FakeJobDef>();
  private readonly crons = new Map<string, FakeCronDef>();
  private readonly plans = new Map<string, FakePlanDef>();
  private readonly deniedUsers = new Map<string, FakePermissionAction>();
  private readonly recorded: RecordedBkRequest[] = [];
  private readonly operated: FakeOperation[] = [];
  private failures: PendingFailure[] = [];
  private latencyMs = 0;
  /** Requests BlueKing works on at once (setCapacity); the rest wait in arrival order. */
  private capacity = Number.POSITIVE_INFINITY;
  private inFlight = 0;
  private readonly admissionLine: Array<(admitted: boolean) => void> = [];
  private v2Style: V2Style;

  constructor(private readonly options: FakeBkJobOptions = {}) {
    this.server = new FakeHttpServer('FakeBkJob', (request, response) => this.handle(request, response));
    this.v2Style = options.v2Style ?? 'documented';
    this.reset();
  }

  /** ESB base URL (`BK_API_BASE_URL` for ESB transport). */
  get url(): string {
    return this.server.url;
  }

  /** Gateway stage base URL, like `https://bkapi.example.com/api/bk-job/prod`. */
  get gatewayUrl(): string {
    return `${this.server.url}${FAKE_GATEWAY_STAGE_PATH}`;
  }

  get appCode(): string {
    return this.options.appCode ?? FAKE_BK_APP_CODE;
  }

  get appSecret(): string {
    return this.options.appSecret ?? FAKE_BK_APP_SECRET;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  /** Stops the server; requests held by a `timeout` failure, or waiting for capacity, are cut off. */
  stop(): Promise<void> {
    for (const wake of this.admissionLine.splice(0)) wake(false);
    return this.server.stop();
  }

  // ---- control ------------------------------------------------------------------------------

  /** Adds or replaces a job (keyed by bizId + jobInstanceId). The fake keeps the object itself. */
  setJob(def: FakeJobDef): void {
    this.jobs.set(jobKey(def.bizId, def.jobInstanceId, def.scopeType), def);
  }

  removeJob(bizId: number, jobInstanceId: number, scopeType?: 'biz' | 'biz_set'): void {
    this.jobs.delete(jobKey(bizId, jobInstanceId, scopeType));
  }

  /** Business 5 and business set 5 are different scopes: each holds its own jobs. */
  job(bizId: number, jobInstanceId: number, scopeType?: 'biz' | 'biz_set'): FakeJobDef | undefined {
    return this.jobs.get(jobKey(bizId, jobInstanceId, scopeType));
  }

  /** Changes a job between polls: mutate the def in place, or return a replacement. */
  updateJob(bizId: number, jobInstanceId: number, mutator: (def: FakeJobDef) => FakeJobDef | void): FakeJobDef {
    const current = this.job(bizId, jobInstanceId);
    if (!current) throw new Error(`FakeBkJob has no job ${jobInstanceId} in biz ${bizId}`);
    const next = mutator(current) ?? current;
    if (next.bizId !== bizId || next.jobInstanceId !== jobInstanceId) this.removeJob(bizId, jobInstanceId);
    this.setJob(next);
    return next;
  }

  /** Adds or replaces a cron (keyed by scope + id). Its times are ms; JOB sends seconds. */
  setCron(def: FakeCronDef): void {
    this.crons.set(jobKey(def.bizId, def.id, def.scopeType), def);
  }

  removeCron(bizId: number, id: number, scopeType?: 'biz' | 'biz_set'): void {
    this.crons.delete(jobKey(bizId, id, scopeType));
  }

  /** Adds or replaces a job plan (keyed by scope + id). */
  setPlan(def: FakePlanDef): void {
    this.plans.set(jobKey(def.bizId, def.id, def.scopeType), def);
  }

  removePlan(bizId: number, id: number, scopeType?: 'biz' | 'biz_set'): void {
    this.plans.delete(jobKey(bizId, id, scopeType));
  }

  /** Delay before every answer (failures included). */
  setLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`latency must be a non-negative number of ms, got ${ms}`);
    this.latencyMs = ms;
  }

  /**
   * A BlueKing that works on at most `requests` requests at once (null: no limit, the default):
   * the others wait in arrival order, and each then takes the latency. With a latency this is a
   * slow BlueKing under load, where every caller's requests delay everyone else's.
   */
  setCapacity(requests: number | null): void {
    if (requests !== null && (!Number.isInteger(requests) || requests < 1)) throw new Error(`capacity must be a positive integer or null, got ${requests}`);
    this.capacity = requests ?? Number.POSITIVE_INFINITY;
    while (this.inFlight < this.capacity && this.admissionLine.length > 0) {
      this.inFlight++;
      this.admissionLine.shift()!(true);
    }
  }

  /** Requests waiting for capacity now (see setCapacity). */
  waitingForCapacity(): number {
    return this.admissionLine.length;
  }

  setV2Style(style: V2Style): void {
    this.v2Style = style;
  }

  denyUser(username: string, action: FakePermissionAction = 'access_business'): void {
    this.deniedUsers.set(username, action);
  }

  allowUser(username: string): void {
    this.deniedUsers.delete(username);
  }

  /**
   * The next `count` requests (whose path contains `options.path`, if given) fail this way.
   * Failures queue in the order they were added.
   */
  failNext(count: number, kind: FakeFailureKind, options: { readonly path?: string } = {}): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`failNext count must be a positive integer, got ${count}`);
    this.failures.push({ remaining: count, kind, path: options.path });
  }

  /** Every request received so far, oldest first, exactly as sent (secrets included). */
  requests(): readonly RecordedBkRequest[] {
    return [...this.recorded];
  }

  requestCount(pathSubstring?: string): number {
    return pathSubstring === undefined ? this.recorded.length : this.recorded.filter((r) => r.path.includes(pathSubstring)).length;
  }

  /** Requests to one API by name (`get_job_instance_list`), whichever way they came (ESB, gateway, system). */
  requestsTo(apiName: string): number {
    return this.recorded.filter((r) => r.path.split('/').filter(Boolean).at(-1) === apiName).length;
  }

  /** The operations JOB carried out (operate_step_instance / operate_job_instance answered success), oldest first, with who asked. */
  operations(): readonly FakeOperation[] {
    return [...this.operated];
  }

  /** Back to the constructor's state: jobs, denied users and style from the options; no recordings, operations, failures, latency or capacity limit. */
  reset(): void {
    this.recorded.length = 0;
    this.operated.length = 0;
    this.failures = [];
    this.latencyMs = 0;
    this.setCapacity(null);
    this.v2Style = this.options.v2Style ?? 'documented';
    this.jobs.clear();
    for (const def of this.options.jobs ?? []) this.setJob(def);
    this.crons.clear();
    for (const def of this.options.crons ?? []) this.setCron(def);
    this.plans.clear();
    for (const def of this.options.plans ?? []) this.setPlan(def);
    this.deniedUsers.clear();
    for (const [user, action] of Object.entries(this.options.deniedUsers ?? {})) this.deniedUsers.set(user, action);
  }

  // ---- request handling ---------------------------------------------------------------------

  private async handle(request: FakeRequest, res: http.ServerResponse): Promise<void> {
    // The ESB serves other systems too: bk-user's usermanage components are the fake bk-user's.
    if (this.options.bkUser?.servesEsbPath(request.path)) return this.options.bkUser.handleEsb(request, res);
    const parsedBody = parseBody(request);
    this.recorded.push({
      method: request.method,
      path: request.path,
      query: Object.fromEntries(request.query),
      body: parsedBody.value,
      headers: request.headers,
      at: Date.now(),
    });
    if (!(await this.admit())) return;
    try {
      await this.answer(request, res, parsedBody);
    } finally {
      this.leave();
    }
  }

  /** A slot of the capacity: at once when one is free, else in arrival order; false when the fake stops first. */
  private admit(): Promise<boolean> {
    if (this.inFlight < this.capacity) {
      this.inFlight++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => this.admissionLine.push(resolve));
  }

  /** The slot goes to the first request waiting, if any. */
  private leave(): void {
    const next = this.inFlight <= this.capacity ? this.admissionLine.shift() : undefined;
    if (next) next(true);
    else this.inFlight--;
  }

  /** One request, once admitted: the latency, then the answer. */
  private async answer(request: FakeRequest, res: http.ServerResponse, parsedBody: ParsedBody): Promise<void> {
    if (this.latencyMs > 0 && !(await this.server.sleep(this.latencyMs))) return;

    const lang = this.language(request);
    const failure = this.takeFailure(request.path);
    if (failure) return this.fail(failure, lang, res, request);

    const gateway = GATEWAY_PATH.exec(request.path);
    const reply = gateway ? this.handleGateway(gateway[1] ?? '', request, parsedBody, lang) : this.handleEsb(request, parsedBody, lang);
    if ('stream' in reply) return sendJsonChunks(res, 200, reply.stream, reply.headers);
    if ('text' in reply) return sendText(res, reply.status, reply.text, reply.headers);
    return sendJson(res, reply.status, reply.body, reply.headers);
  }

  private handleEsb(request: FakeRequest, body: ParsedBody, lang: FakeLanguage): Reply | StreamReply | TextReply {
    const api = esbApi(request.path);
    if (!api) return { status: 404, text: '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>', headers: { 'Content-Type': 'text/html' } };
    if (request.method !== 'GET' && request.method !== 'POST') return jobError(BK_CODES.BAD_REQUEST, messages[lang].badRequest);
    // JOB's operate resources are POST-only: Spring's wrong-method answer through the advice.
    if (isOperateApi(api) && request.method !== 'POST') return jobError(BK_CODES.BAD_REQUEST, messages[lang].badRequest);
    if (body.kind === 'invalid') return jobError(BK_CODES.BAD_REQUEST, messages[lang].badRequest);
    // Credentials and parameters come from the query (GET) or the body (POST); ESB reads both.
    const params: Params = { ...Object.fromEntries(request.query), ...(body.kind === 'params' ? body.value : {}) };
    const identity = this.authenticate(params.bk_app_code, params.bk_app_secret, params.bk_username, params.bk_token);
    if (!identity.ok) return { status: 200, body: { result: false, code: BK_CODES.ESB_AUTH_FAILED, message: identity.message, data: null, request_id: requestId() } };
    return this.callApi(api, params, identity.user, lang, request.method);
  }

  private handleGateway(resourcePath: string, request: FakeRequest, body: ParsedBody, lang: FakeLanguage): Reply | StreamReply | TextReply {
    // `/api/v3/system/<name>`: JOB's app-type twin of `/api/v3/<name>` (bkjob-source-facts C5).
    const system = resourcePath.includes('/system/');
    const api = GATEWAY_RESOURCES[resourcePath.replace('/system/', '/')];
    // The operate resources are POST, everything else GET: the other method is no resource of the gateway.
    if (!api || request.method !== (isOperateApi(api) ? 'POST' : 'GET')) {
      return gatewayError(404, BK_CODES.GATEWAY_API_NOT_FOUND, 'API_NOT_FOUND', `API not found [method=${request.method} path=${resourcePath}]`);
    }
    // allow_auth_from_params is false: only the header counts, whatever the query says.
    const header = parseJsonObject(request.headers['x-bkapi-authorization']);
    if (!header || !nonEmptyString(header.bk_app_code)) return gatewayError(400, BK_CODES.GATEWAY_INVALID_ARGS, 'INVALID_ARGS', 'Parameters error [reason="app code cannot be empty"]');
    let user: string;
    if (system) {
      // No user verification on system resources: the app proves itself, X-Bk-Username names the user.
      if (header.bk_app_code !== this.appCode || header.bk_app_secret !== this.appSecret) {
        return gatewayError(400, BK_CODES.GATEWAY_INVALID_ARGS, 'INVALID_ARGS', 'Parameters error [reason="bk_app_code or bk_app_secret is incorrect"]');
      }
      const named = request.headers['x-bk-username'];
      // JOB's gateway filter finds no user: HTTP 401 with an EsbResp body.
      if (!nonEmptyString(named)) return { status: 401, body: { code: BK_CODES.NO_USER, result: false, job_request_id: requestId(), message: messages[lang].noUser } };
      user = named;
    } else {
      const identity = this.authenticate(header.bk_app_code, header.bk_app_secret, header.bk_username, header.bk_token ?? header.access_token);
      if (!identity.ok) return gatewayError(400, BK_CODES.GATEWAY_INVALID_ARGS, 'INVALID_ARGS', `Parameters error [reason="${identity.gatewayReason}"]`);
      user = identity.user;
    }
    const params: Params = { ...Object.fromEntries(request.query), ...(body.kind === 'params' ? body.value : {}) };
    const reply = this.callApi(api, params, user, lang, request.method);
    return { ...reply, headers: { ...reply.headers, 'X-Bkapi-Request-Id': requestId() } };
  }

  private authenticate(appCode: unknown, appSecret: unknown, username: unknown, token: unknown): { ok: true; user: string } | { ok: false; message: string; gatewayReason: string } {
    if (!nonEmptyString(appCode)) return { ok: false, message: 'app code cannot be empty', gatewayReason: 'app code cannot be empty' };
    if (appCode !== this.appCode || appSecret !== this.appSecret) {
      return { ok: false, message: 'app code or app secret is incorrect', gatewayReason: 'bk_app_code or bk_app_secret is incorrect' };
    }
    if (nonEmptyString(username)) return { ok: true, user: username };
    const tokenUser = nonEmptyString(token) ? this.options.tokens?.[token] : undefined;
    if (tokenUser) return { ok: true, user: tokenUser };
    const reason = 'user authentication failed, please provide a valid user identity, such as bk_username, bk_token, access_token';
    return { ok: false, message: reason, gatewayReason: reason };
  }

  private callApi(api: ApiName, params: Params, user: string, lang: FakeLanguage, method: string): Reply | StreamReply {
    if (isCatalogApi(api)) return this.callCatalogApi(api, params, user, lang, method);
    if (isOperateApi(api)) return this.callOperateApi(api, params, user, lang);
    if (api === 'v4_status') {
      const reply = this.callJobApi(api, params, user, lang);
      return 'stream' in reply ? reply : toV4Reply(reply);
    }
    return this.callJobApi(api, params, user, lang);
  }

  /** JOB's answer in the ESB/v3 envelope (`toV4Reply` turns it into v4's). */
  private callJobApi(api: Exclude<ApiName, CatalogApiName | OperateApiName>, params: Params, user: string, lang: FakeLanguage): Reply | StreamReply {
    const text = messages[lang];
    // The business-access interceptor runs before anything looks at the job.
    const denied = this.deniedUsers.get(user);
    const bizForPermission = intParam(params.bk_biz_id) ?? intParam(params.bk_scope_id);
    if (denied === 'access_business') return this.permissionDenied(user, 'access_business', bizForPermission ?? 0, lang);

    let bizId: number;
    let scopeType: 'biz' | 'biz_set';
    if (api === 'v2_log') {
      const biz = intParam(params.bk_biz_id);
      if (biz === null) return jobError(BK_CODES.INVALID_PARAM, text.invalidParam('bk_biz_id'));
      bizId = biz;
      scopeType = isLegacyBizSetId(biz) ? 'biz_set' : 'biz';
    } else {
      const scope = readScope(params);
      if ('error' in scope) return jobError(scope.error === 'missing' ? BK_CODES.MISSING_SCOPE_PARAM : BK_CODES.INVALID_SCOPE_PARAM, scope.error === 'missing' ? text.missingParam(scope.param) : text.invalidScope(scope.param));
      bizId = scope.id;
      scopeType = scope.type;
    }
    // A business set JOB does not know (no job of the fake belongs to it): JOB's scope mapping fails first.
    if (scopeType === 'biz_set' && ![...this.jobs.values()].some((d) => d.scopeType === 'biz_set' && d.bizId === bizId)) {
      return jobError(BK_CODES.SCOPE_NOT_FOUND, text.scopeNotFound);
    }
    const jobInstanceId = intParam(params.job_instance_id);
    if (jobInstanceId === null || jobInstanceId < 1) return jobError(BK_CODES.INVALID_PARAM, text.invalidParam('job_instance_id'));
    const def = this.job(bizId, jobInstanceId, scopeType);
    if (!def) return jobError(BK_CODES.JOB_INSTANCE_NOT_FOUND, text.jobNotFound);
    if (denied === 'view_history') return this.permissionDenied(user, 'view_history', bizId, lang);

    // JOB's v2 log and v3 status take every execute object for a host: a container makes them throw.
    const failsOnContainers = api === 'v2_log' || (api === 'v3_status' && boolParam(params.return_ip_result));
    if (failsOnContainers && hasContainerStep(def)) return jobError(BK_CODES.INTERNAL_ERROR, text.internalError);

    switch (api) {
      case 'v2_log':
        return { stream: v2ResponseChunks(def, { style: this.v2Style, offsetMinutes: this.options.v2OffsetMinutes ?? 480 }, requestId()) };
      case 'v3_status':
        return jobSuccess(v3StatusData(def, boolParam(params.return_ip_result)));
      case 'v3_ip_log': {
        const stepInstanceId = intParam(params.step_instance_id);
        if (stepInstanceId === null || stepInstanceId < 1) return jobError(BK_CODES.INVALID_PARAM, text.invalidParam('step_instance_id'));
        const host = readHostQuery(params);
        if (!host) return jobError(BK_CODES.INVALID_PARAM, text.invalidParam('host_id/(bk_cloud_id+ip)'));
        const step = findStep(def, stepInstanceId);
        if (!step) return jobError(BK_CODES.JOB_INSTANCE_NOT_FOUND, text.jobNotFound);
        return jobSuccess(v3IpLogData(step, host));
      }
      case 'v4_status':
        return jobSuccess(v4StatusData(def, boolParam(params.return_execute_object_result)));
    }
  }

  /** The list/catalog APIs: business access first (the interceptor), then the scope, then JOB's rules (fakeCatalog.ts). */
  private callCatalogApi(api: CatalogApiName, params: Params, user: string, lang: FakeLanguage, method: string): Reply {
    const text = messages[lang];
    if (this.deniedUsers.get(user) === 'access_business') return this.permissionDenied(user, 'access_business', intParam(params.bk_biz_id) ?? intParam(params.bk_scope_id) ?? 0, lang);
    const scope = readScope(params);
    if ('error' in scope) return jobError(scope.error === 'missing' ? BK_CODES.MISSING_SCOPE_PARAM : BK_CODES.INVALID_SCOPE_PARAM, scope.error === 'missing' ? text.missingParam(scope.param) : text.invalidScope(scope.param));
    const inScope = <T extends { bizId: number; scopeType?: 'biz' | 'biz_set' }>(defs: Iterable<T>): T[] => [...defs].filter((d) => d.bizId === scope.id && (d.scopeType ?? 'biz') === scope.type);
    const jobs = inScope(this.jobs.values());
    const crons = inScope(this.crons.values());
    const plans = inScope(this.plans.values());
    // A business set the fake holds nothing for is one JOB does not know.
    if (scope.type === 'biz_set' && jobs.length + crons.length + plans.length === 0) return jobError(BK_CODES.SCOPE_NOT_FOUND, text.scopeNotFound);
    const request: CatalogRequest = { params, method, lang, now: (this.options.now ?? Date.now)(), scope };
    const handlers: Readonly<Record<CatalogApiName, () => CatalogReply>> = {
      get_job_instance_list: () => listJobInstances(jobs, request),
      get_cron_list: () => listCrons(crons, request),
      get_cron_detail: () => cronDetail(crons, request),
      get_job_plan_list: () => listPlans(plans, request),
      get_job_plan_detail: () => planDetail(plans, request),
    };
    const reply = handlers[api]();
    if (reply.kind === 'error') return jobError(reply.code, reply.message);
    // NON_NULL drops a null `data`: success without the key.
    if (reply.kind === 'no_data') return { status: 200, body: { result: true, code: 0, job_request_id: requestId() } };
    return jobSuccess(reply.data);
  }

  /**
   * operate_step_instance / operate_job_instance: business access (the interceptor), the scope,
   * then JOB's rules (fakeOperate.ts), which change the job in place. No view_history check: the
   * v3 operate path has no per-action IAM check (bkjob-source-facts C1).
   */
  private callOperateApi(api: OperateApiName, params: Params, user: string, lang: FakeLanguage): Reply {
    const text = messages[lang];
    if (this.deniedUsers.get(user) === 'access_business') return this.permissionDenied(user, 'access_business', intParam(params.bk_biz_id) ?? intParam(params.bk_scope_id) ?? 0, lang);
    const scope = readScope(params);
    if ('error' in scope) return jobError(scope.error === 'missing' ? BK_CODES.MISSING_SCOPE_PARAM : BK_CODES.INVALID_SCOPE_PARAM, scope.error === 'missing' ? text.missingParam(scope.param) : text.invalidScope(scope.param));
    if (scope.type === 'biz_set' && ![...this.jobs.values()].some((d) => d.scopeType === 'biz_set' && d.bizId === scope.id)) {
      return jobError(BK_CODES.SCOPE_NOT_FOUND, text.scopeNotFound);
    }
    const jobInstanceId = intParam(params.job_instance_id);
    const def = jobInstanceId === null ? undefined : this.job(scope.id, jobInstanceId, scope.type);
    const request: OperateRequest = { params, lang, user, now: (this.options.now ?? Date.now)() };
    const reply: OperateReply = api === 'operate_step_instance' ? operateStep(def, request) : operateJob(def, request);
    if (reply.kind === 'error') return jobError(reply.code, reply.message);
    const stepInstanceId = reply.data.step_instance_id;
    this.operated.push({
      api,
      jobInstanceId: Number(reply.data.job_instance_id),
      stepInstanceId: typeof stepInstanceId === 'number' ? stepInstanceId : null,
      code: intParam(params.operation_code) ?? 0,
      username: user,
    });
    return jobSuccess(reply.data);
  }

  private permissionDenied(user: string, action: FakePermissionAction, bizId: number, lang: FakeLanguage): Reply {
    const zh = lang === 'zh';
    const bizName = this.options.bizNames?.[bizId] ?? DEFAULT_BIZ_NAMES[bizId] ?? `biz-${bizId}`;
    const actionName = action === 'access_business' ? (zh ? '业务访问' : 'Business access') : zh ? '历史任务查看' : 'View history';
    return {
      status: 200,
      body: {
        code: BK_CODES.PERMISSION_DENIED,
        result: false,
        job_request_id: requestId(),
        message: messages[lang].permissionDenied(user),
        permission: {
          system_id: 'bk_job',
          system_name: zh ? '作业平台' : 'Job',
          actions: [
            {
              id: action,
              name: actionName,
              related_resource_types: [
                {
                  system_id: 'bk_cmdb',
                  system_name: zh ? '配置平台' : 'CMDB',
                  type: 'biz',
                  type_name: zh ? '业务' : 'Business',
                  instances: [[{ id: String(bizId), type: 'biz', type_name: zh ? '业务' : 'Business', name: bizName }]],
                },
              ],
            },
          ],
        },
      },
    };
  }

  private takeFailure(path: string): FakeFailureKind | undefined {
    const failure = this.failures.find((f) => f.path === undefined || path.includes(f.path));
    if (!failure) return undefined;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures = this.failures.filter((f) => f !== failure);
    return failure.kind;
  }

  private fail(kind: FakeFailureKind, lang: FakeLanguage, res: http.ServerResponse, request: FakeRequest): void {
    switch (kind) {
      case 'http500':
        sendText(res, 500, '<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n', {
          'Content-Type': 'text/html',
        });
        return;
      case 'timeout':
        // Hold the socket: the client's timeout fires; stop() destroys the connection.
        return;
      case 'malformed':
        sendText(res, 200, '{"result":true,"code":0,"data":[{"step_instance_id":2003771001,"name":"Distr', { 'Content-Type': 'application/json; charset=utf-8' });
        return;
      case 'result_false':
        sendJson(res, 200, { code: BK_CODES.INTERNAL_ERROR, result: false, job_request_id: requestId(), message: messages[lang].internalError });
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'echo_credentials': {
        const secret = request.query.get('bk_app_secret') ?? '';
        sendJson(res, 200, {
          code: BK_CODES.PERMISSION_DENIED,
          result: false,
          job_request_id: `req-${secret}`,
          message: `denied for ${request.query.toString()}`,
          permission: { actions: [{ id: `access_business:${JSON.stringify(secret)}`, name: `Access ${secret}` }] },
        });
        return;
      }
    }
  }

  private language(request: FakeRequest): FakeLanguage {
    const header = request.headers['blueking-language']?.toLowerCase();
    if (header?.startsWith('zh')) return 'zh';
    if (header?.startsWith('en')) return 'en';
    return this.options.language ?? 'en';
  }
}

// ---- helpers ------------------------------------------------------------------------------

interface StreamReply {
  readonly stream: Iterable<string>;
  readonly headers?: Readonly<Record<string, string>>;
}

interface TextReply {
  readonly status: number;
  readonly text: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const GATEWAY_RESOURCES: Readonly<Record<string, ApiName>> = {
  '/api/v3/get_job_instance_status': 'v3_status',
  '/api/v3/get_job_instance_ip_log': 'v3_ip_log',
  '/api/v4/get_job_instance_status': 'v4_status',
  ...Object.fromEntries(CATALOG_API_NAMES.map((name) => [`/api/v3/${name}`, name])),
  ...Object.fromEntries(OPERATE_API_NAMES.map((name) => [`/api/v3/${name}`, name])),
};

function isCatalogApi(api: ApiName): api is CatalogApiName {
  return (CATALOG_API_NAMES as readonly string[]).includes(api);
}

function isOperateApi(api: ApiName): api is OperateApiName {
  return (OPERATE_API_NAMES as readonly string[]).includes(api);
}

function esbApi(path: string): ApiName | undefined {
  const catalog = /^\/api\/c\/compapi\/v2\/jobv3\/([a-z_]+)\/$/.exec(path)?.[1];
  if (catalog !== undefined && (CATALOG_API_NAMES as readonly string[]).includes(catalog)) return catalog as CatalogApiName;
  if (catalog !== undefined && (OPERATE_API_NAMES as readonly string[]).includes(catalog)) return catalog as OperateApiName;
  if (path === ESB_V2_JOB_INSTANCE_LOG) return 'v2_log';
  if (path === ESB_V3_JOB_INSTANCE_STATUS) return 'v3_status';
  if (path === ESB_V3_JOB_INSTANCE_IP_LOG) return 'v3_ip_log';
  if (path === ESB_V4_JOB_INSTANCE_STATUS) return 'v4_status';
  return undefined;
}

const messages = {
  en: {
    jobNotFound: 'Task instance does not exist',
    scopeNotFound: 'Business/business set does not exist or has been archived',
    badRequest: 'Bad Request',
    internalError: 'Internal Server Error',
    invalidParam: (name: string) => `Missing or invalid request parameter [${name}]`,
    missingParam: (name: string) => `Missing request parameter [${name}]`,
    invalidScope: (name: string) => `Invalid request parameter [${name}]`,
    permissionDenied: (user: string) => `User (${user}) permission not allowed, please confirm and apply permission in IAM and try again`,
    noUser: 'Missing valid user info',
  },
  zh: {
    jobNotFound: '作业实例不存在',
    scopeNotFound: '业务/业务集不存在或已被归档',
    badRequest: '错误的请求',
    internalError: '内部服务器异常',
    invalidParam: (name: string) => `请求参数[${name}]缺失或不合法`,
    missingParam: (name: string) => `请求参数[${name}]缺失`,
    invalidScope: (name: string) => `请求参数[${name}]不合法`,
    permissionDenied: (user: string) => `用户(${user})权限不足，请前往权限中心确认并申请补充后重试`,
    noUser: '缺少有效的用户信息',
  },
} as const satisfies Record<FakeLanguage, unknown>;

/** JOB's EsbAppScopeReq: legacy `bk_biz_id` values 8000000–9999999 are business sets. */
function isLegacyBizSetId(bizId: number): boolean {
  return bizId >= 8_000_000 && bizId <= 9_999_999;
}

function jobKey(bizId: number, jobInstanceId: number, scopeType: 'biz' | 'biz_set' = 'biz'): string {
  return `${scopeType === 'biz_set' ? 'set:' : ''}${bizId}/${jobInstanceId}`;
}

function requestId(): string {
  return randomBytes(16).toString('hex');
}

/** JOB success envelope: `EsbResp` is NON_NULL, so there is no `message` key. */
function jobSuccess(data: unknown): Reply {
  return { status: 200, body: { result: true, code: 0, job_request_id: requestId(), data } };
}

/** JOB business error: HTTP 200, no `data` key (NON_NULL). */
function jobError(code: number, message: string): Reply {
  return { status: 200, body: { code, result: false, job_request_id: requestId(), message } };
}

/** JOB's numeric codes as v4 reports them (`V4ErrorCodeEnum`): a name and its HTTP status. */
const V4_ERRORS: Readonly<Record<number, { readonly code: string; readonly status: number }>> = {
  [BK_CODES.PERMISSION_DENIED]: { code: 'NO_PERMISSION', status: 403 },
  [BK_CODES.JOB_INSTANCE_NOT_FOUND]: { code: 'NOT_FOUND', status: 404 },
  [BK_CODES.INTERNAL_ERROR]: { code: 'INTERNAL', status: 500 },
};

/**
 * A JOB answer in the v4 envelope (`EsbV4Response`): `{data, job_request_id}` or
 * `{error: {code, message, data?}, job_request_id}` with the error's HTTP status, never a
 * `result` key, nulls dropped. The IAM permission object moves to `error.data`.
 */
function toV4Reply(reply: Reply): Reply {
  const { body } = reply;
  const jobRequestId = typeof body.job_request_id === 'string' ? body.job_request_id : requestId();
  if (body.result === true) return { status: 200, body: { data: dropNulls(body.data), job_request_id: jobRequestId }, headers: reply.headers };
  const known = typeof body.code === 'number' ? V4_ERRORS[body.code] : undefined;
  const v4 = known ?? { code: 'INVALID_ARGUMENT', status: 400 };
  const error = dropNulls({ code: v4.code, message: body.message, data: body.permission });
  return { status: v4.status, body: { error, job_request_id: jobRequestId }, headers: reply.headers };
}

function gatewayError(status: number, code: number, codeName: string, message: string): Reply {
  return {
    status,
    body: { code, code_name: codeName, message, data: null, result: false },
    headers: { 'X-Bkapi-Error-Code': String(code), 'X-Bkapi-Error-Message': encodeURIComponent(message), 'X-Bkapi-Request-Id': requestId() },
  };
}

type ParsedBody = { kind: 'empty'; value: undefined } | { kind: 'params'; value: Params } | { kind: 'invalid'; value: string };

function parseBody(request: FakeRequest): ParsedBody {
  if (request.body.length === 0) return { kind: 'empty', value: undefined };
  const text = request.body.toString('utf8');
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.includes('application/x-www-form-urlencoded')) return { kind: 'params', value: Object.fromEntries(new URLSearchParams(text)) };
  const json = parseJsonObject(text);
  return json ? { kind: 'params', value: json } : { kind: 'invalid', value: text };
}

function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Integers arrive as JSON numbers or as query-string text. */
function intParam(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return null;
}

function boolParam(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

type Scope = { type: 'biz' | 'biz_set'; id: number } | { error: 'missing' | 'invalid'; param: string };

/** `bk_scope_type` + `bk_scope_id`, or the deprecated `bk_biz_id` (8000000–9999999 are business sets). */
function readScope(params: Params): Scope {
  if (params.bk_scope_type === undefined && params.bk_scope_id === undefined) {
    const legacy = intParam(params.bk_biz_id);
    if (legacy !== null) return { type: isLegacyBizSetId(legacy) ? 'biz_set' : 'biz', id: legacy };
    return { error: 'missing', param: 'bk_scope_type' };
  }
  if (params.bk_scope_type === undefined || params.bk_scope_type === '') return { error: 'missing', param: 'bk_scope_type' };
  if (params.bk_scope_type !== 'biz' && params.bk_scope_type !== 'biz_set') return { error: 'invalid', param: 'bk_scope_type' };
  if (params.bk_scope_id === undefined || params.bk_scope_id === '') return { error: 'missing', param: 'bk_scope_id' };
  const id = intParam(params.bk_scope_id);
  if (id === null) return { error: 'invalid', param: 'bk_scope_id' };
  return { type: params.bk_scope_type, id };
}

/** `bk_host_id` wins over `bk_cloud_id` + `ip`, as in JOB. */
function readHostQuery(params: Params): V3HostQuery | undefined {
  const hostId = intParam(params.bk_host_id);
  if (hostId !== null && hostId > 0) return { bkHostId: hostId };
  const cloud = intParam(params.bk_cloud_id);
  if (cloud !== null && nonEmptyString(params.ip)) return { bkCloudId: cloud, ip: params.ip };
  return undefined;
}
