/**
 * Child process hosting the fake BlueKing JOB and the fake Slack for the subscription benchmark
 * (bench/subscriptions.ts): crons, plans and runs of 200 businesses, put in and moved on between
 * cycles over IPC, and what the bot asked and posted, read back per cycle. Like fakesChild.ts, it
 * keeps the fakes' CPU out of the bot's process. Loopback only.
 */
import { Server } from 'node:http';
import type { FakeCronDef, FakePlanDef } from '../dev/fakeCatalog';
import { FakeBkJob } from '../dev/fakeEsb';
import type { FakeJobDef } from '../dev/fakeJobs';
import { FakeSlackApi } from '../dev/fakeSlack';
import { failStep, failedJob, runningJob, succeededJob, waitingForUserJob, shiftedTo } from '../dev/scenarios';
import { serveRpc } from './lib';

let esb: FakeBkJob | undefined;
let slack: FakeSlackApi | undefined;

function fakes(): { esb: FakeBkJob; slack: FakeSlackApi } {
  if (!esb || !slack) throw new Error('fakes not started');
  return { esb, slack };
}

export interface SubFakesInfo {
  readonly esbUrl: string;
  readonly appCode: string;
  readonly appSecret: string;
  readonly slackApiUrl: string;
  readonly slackUrl: string;
  /** keepAliveTimeout of the fakes' HTTP servers. */
  readonly keepAliveMs: number;
}

/** What JOB shows of a run: running (step 1 of 2 running), succeeded, failed (2 of 5 hosts), waiting for a confirmation. */
export type RunState = 'running' | 'succeeded' | 'failed' | 'waiting';

export interface RunSpec {
  readonly bizId: number;
  readonly jobInstanceId: number;
  readonly name: string;
  readonly createTime: number;
  /** 1 web, 2 API, 3 cron. */
  readonly launchMode: 1 | 2 | 3;
  /** -1: a fast script (no plan). */
  readonly jobPlanId: number;
  readonly cronId?: number;
  readonly state: RunState;
}

export interface Mark {
  readonly requests: number;
  readonly slackCalls: number;
}

export interface PostSeen {
  readonly at: number;
  readonly channel: string;
  readonly text: string;
  readonly threadTs: string | null;
  readonly broadcast: boolean;
}

export interface SinceMark {
  /** BlueKing requests by API name (last path segment). */
  readonly bkCalls: Record<string, number>;
  /** Arrival time (epoch ms) of the first and the last request to each API. */
  readonly bkTimes: Record<string, { first: number; last: number }>;
  /** job_instance_id of every get_job_instance_status request, in arrival order. */
  readonly statusIds: number[];
  readonly slackCalls: Record<string, number>;
  readonly posts: PostSeen[];
}


const SCENARIOS: Record<RunState, () => FakeJobDef> = { running: runningJob, succeeded: succeededJob, failed: failedJob, waiting: waitingForUserJob };

function runDef(spec: RunSpec, state: RunState): FakeJobDef {
  const base = shiftedTo(SCENARIOS[state](), spec.createTime);
  return {
    ...base,
    bizId: spec.bizId,
    jobInstanceId: spec.jobInstanceId,
    name: spec.name,
    launchMode: spec.launchMode,
    jobPlanId: spec.jobPlanId,
    jobTemplateId: spec.jobPlanId > 0 ? spec.jobPlanId + 500_000 : -1,
    ...(spec.cronId !== undefined ? { cronId: spec.cronId } : {}),
  };
}

const specs = new Map<number, RunSpec>();

/** See fakesChild.ts: the fakes' own 1 s keep-alive makes Node's agent reconnect for every call. */
function setKeepAlive(fake: object, ms: number): boolean {
  const inner = (fake as { server?: { server?: unknown } }).server?.server;
  if (!(inner instanceof Server)) return false;
  inner.keepAliveTimeout = ms;
  return true;
}

function jobIdOf(query: Readonly<Record<string, string>>, body: unknown): number {
  const fromBody = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['job_instance_id'] : undefined;
  return Number(fromBody ?? query['job_instance_id'] ?? Number.NaN);
}

serveRpc({
  async start(params: { teamId: string; keepAliveMs: number }): Promise<SubFakesInfo> {
    slack = new FakeSlackApi({ teamId: params.teamId });
    esb = new FakeBkJob();
    await slack.start();
    await esb.start();
    const set = setKeepAlive(esb, params.keepAliveMs) && setKeepAlive(slack, params.keepAliveMs);
    return { esbUrl: esb.url, appCode: esb.appCode, appSecret: esb.appSecret, slackApiUrl: slack.apiUrl, slackUrl: slack.url, keepAliveMs: set ? params.keepAliveMs : 1000 };
  },
  async stop(): Promise<void> {
    await slack?.stop();
    await esb?.stop();
    slack = undefined;
    esb = undefined;
  },
  setLatency(params: { ms: number }): void {
    fakes().esb.setLatency(params.ms);
  },
  catalog(params: { crons: FakeCronDef[]; plans: FakePlanDef[] }): number {
    const { esb: e } = fakes();
    for (const cron of params.crons) e.setCron(cron);
    for (const plan of params.plans) e.setPlan(plan);
    return params.crons.length + params.plans.length;
  },
  addRuns(params: { runs: RunSpec[] }): number {
    const { esb: e } = fakes();
    for (const spec of params.runs) {
      specs.set(spec.jobInstanceId, spec);
      e.setJob(runDef(spec, spec.state));
    }
    return params.runs.length;
  },
  /** Moves unfinished runs on: a running run fails in its step 1 (hosts 3 and 5, exit 3) or succeeds; a waiting one succeeds. */
  finishRuns(params: { runs: Array<{ bizId: number; jobInstanceId: number; to: 'succeeded' | 'failed' }> }): number {
    const { esb: e } = fakes();
    for (const run of params.runs) {
      const spec = specs.get(run.jobInstanceId);
      if (!spec) throw new Error(`no run ${run.jobInstanceId}`);
      if (run.to === 'failed' && spec.state === 'running') e.updateJob(run.bizId, run.jobInstanceId, (def) => failStep(def, 0, [2, 4], 3));
      else e.setJob(runDef(spec, run.to));
    }
    return params.runs.length;
  },
  mark(): Mark {
    const { esb: e, slack: s } = fakes();
    return { requests: e.requestCount(), slackCalls: s.calls().length };
  },
  since(params: Mark): SinceMark {
    const { esb: e, slack: s } = fakes();
    const bkCalls: Record<string, number> = {};
    const bkTimes: Record<string, { first: number; last: number }> = {};
    const statusIds: number[] = [];
    for (const r of e.requests().slice(params.requests)) {
      const api = r.path.split('/').filter(Boolean).at(-1) ?? r.path;
      bkCalls[api] = (bkCalls[api] ?? 0) + 1;
      const times = bkTimes[api];
      if (times) times.last = r.at;
      else bkTimes[api] = { first: r.at, last: r.at };
      if (api === 'get_job_instance_status') statusIds.push(jobIdOf(r.query, r.body));
    }
    const slackCalls: Record<string, number> = {};
    const posts: PostSeen[] = [];
    for (const c of s.calls().slice(params.slackCalls)) {
      slackCalls[c.method] = (slackCalls[c.method] ?? 0) + 1;
      if (c.method === 'chat.postMessage') {
        posts.push({ at: c.at, channel: String(c.args.channel), text: typeof c.args.text === 'string' ? c.args.text : '', threadTs: typeof c.args.thread_ts === 'string' ? c.args.thread_ts : null, broadcast: String(c.args.reply_broadcast) === 'true' });
      }
    }
    return { bkCalls, bkTimes, statusIds, slackCalls, posts };
  },
  cpu(): NodeJS.CpuUsage {
    return process.cpuUsage();
  },
});
