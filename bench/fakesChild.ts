/**
 * Child process hosting the fake BlueKing JOB and the fake Slack for the ack and poller
 * benchmarks, plus the slash-command load generator. Keeping them out of the bot's process means
 * the bot's CPU time and event loop carry only the bot's work, as in production where BlueKing
 * and Slack are other machines. Controlled over IPC (see lib.ts `serveRpc`); loopback only.
 */
import { Server } from 'node:http';
import { FakeBkJob } from '../dev/fakeEsb';
import { FakeSlackApi, type SlackCall } from '../dev/fakeSlack';
import { failStep, runningJob } from '../dev/scenarios';
import { postSigned, slashCommandBody } from '../dev/slackRequests';
import { serveRpc } from './lib';

let esb: FakeBkJob | undefined;
let slack: FakeSlackApi | undefined;

function fakes(): { esb: FakeBkJob; slack: FakeSlackApi } {
  if (!esb || !slack) throw new Error('fakes not started');
  return { esb, slack };
}

export interface FakesInfo {
  readonly esbUrl: string;
  readonly appCode: string;
  readonly appSecret: string;
  readonly slackApiUrl: string;
  readonly slackUrl: string;
  /** keepAliveTimeout of the fakes' HTTP servers. */
  readonly keepAliveMs: number | null;
}

export interface SlashLoad {
  readonly appUrl: string;
  readonly signingSecret: string;
  readonly teamId: string;
  readonly warmup: number;
  readonly count: number;
  readonly concurrency: number;
  readonly bizId: number;
  readonly firstJobId: number;
  /** Stop sending after this many ms, whatever is left. */
  readonly maxMs: number;
}

export interface SlashLoadResult {
  readonly warmupMs: number[];
  /** Ack latency per measured command, in send order, ms. */
  readonly ackMs: number[];
  readonly statuses: Record<string, number>;
  readonly nonEmptyBodies: number;
  /** Wall time of the measured commands (warm-up excluded). */
  readonly wallMs: number;
  readonly stoppedEarly: boolean;
}

export interface PingWait {
  readonly bizId: number;
  readonly jobInstanceId: number;
  readonly threadTs: string;
  readonly timeoutMs: number;
}

export interface PingResult {
  readonly flipAt: number;
  /** When the bot's v2 request for the flipped job arrived at the fake ESB (first after the flip). */
  readonly requestAt: number | null;
  /** Requests for other jobs the fake ESB received between the flip and that request. */
  readonly requestsBefore: number;
  readonly pingAt: number;
  readonly pingText: string;
  readonly broadcast: boolean;
}

let pendingPing: Promise<PingResult> | null = null;

async function runLoad(load: SlashLoad): Promise<SlashLoadResult> {
  const { slack: s } = fakes();
  const started = performance.now();
  const statuses: Record<string, number> = {};
  let nonEmptyBodies = 0;
  let stoppedEarly = false;
  const send = async (i: number) => {
    const body = slashCommandBody({
      text: `${load.bizId} ${load.firstJobId + i}`,
      userId: 'U0ALICE01',
      channelId: 'C0OPS0001',
      teamId: load.teamId,
      responseUrl: s.responseUrl(`ack-${load.firstJobId + i}`),
      triggerId: `trigger-${load.firstJobId + i}`,
    });
    const answer = await postSigned(load.appUrl, body, load.signingSecret);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.body.length > 0) nonEmptyBodies++;
    return answer.elapsedMs;
  };
  /** `count` commands from index `first`, at most `concurrency` in flight; latencies in send order. */
  const burst = async (first: number, count: number): Promise<number[]> => {
    const latencies = new Array<number>(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        if (performance.now() - started > load.maxMs) {
          stoppedEarly = true;
          return;
        }
        const i = next++;
        latencies[i] = await send(first + i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(load.concurrency, count) }, worker));
    return latencies.filter((x) => typeof x === 'number');
  };
  // Warm-up at the same concurrency, so JIT and connection pools see the measured pattern.
  const warmupMs = await burst(0, load.warmup);
  const measuredStart = performance.now();
  const ackMs = await burst(load.warmup, load.count);
  return { warmupMs, ackMs, statuses, nonEmptyBodies, wallMs: performance.now() - measuredStart, stoppedEarly };
}

/**
 * FakeHttpServer sets `keepAliveTimeout = 1000`, so it answers `Keep-Alive: timeout=1`; Node's
 * http.Agent keeps a socket only for (hint − 1 s), i.e. not at all, and every bot → fake call would
 * open a new TCP connection. Real BlueKing/Slack front ends keep connections for much longer, so
 * the benchmark raises the fakes' timeout (reaching into the private server; see the report).
 * Returns whether it could.
 */
function setKeepAlive(fake: object, ms: number): boolean {
  const inner = (fake as { server?: { server?: unknown } }).server?.server;
  if (!(inner instanceof Server)) return false;
  inner.keepAliveTimeout = ms;
  return true;
}

serveRpc({
  async start(params: { teamId: string; keepAliveMs: number | null }): Promise<FakesInfo> {
    slack = new FakeSlackApi({ teamId: params.teamId });
    esb = new FakeBkJob();
    await slack.start();
    await esb.start();
    const keepAliveSet = params.keepAliveMs === null ? false : setKeepAlive(esb, params.keepAliveMs) && setKeepAlive(slack, params.keepAliveMs);
    return { esbUrl: esb.url, appCode: esb.appCode, appSecret: esb.appSecret, slackApiUrl: slack.apiUrl, slackUrl: slack.url, keepAliveMs: keepAliveSet ? params.keepAliveMs : 1000 };
  },
  async stop(): Promise<void> {
    await slack?.stop();
    await esb?.stop();
    slack = undefined;
    esb = undefined;
  },
  reset(): void {
    const f = fakes();
    f.esb.reset();
    f.slack.reset();
    pendingPing = null;
  },
  setLatency(params: { ms: number }): void {
    fakes().esb.setLatency(params.ms);
  },
  /** `count` copies of the running scenario job (5 hosts, step 1 running) with consecutive ids. */
  addRunningJobs(params: { bizId: number; firstId: number; count: number }): number {
    const { esb: e } = fakes();
    for (let i = 0; i < params.count; i++) e.setJob(runningJob({ bizId: params.bizId, jobInstanceId: params.firstId + i }));
    return params.count;
  },
  /** Fails step 1 of a job (hosts 2 and 4, exit 3) and starts waiting for the bot's thread reply. */
  failJob(params: PingWait): { flipAt: number } {
    const { esb: e, slack: s } = fakes();
    const flipAt = Date.now();
    e.updateJob(params.bizId, params.jobInstanceId, (def) => failStep(def, 0, [2, 4], 3));
    const isPing = (c: SlackCall) => c.method === 'chat.postMessage' && c.args.thread_ts === params.threadTs;
    pendingPing = s.waitFor((calls) => calls.some(isPing), params.timeoutMs).then(() => {
      const ping = s.calls('chat.postMessage').find(isPing)!;
      const v2 = e.requests().filter((r) => r.path.includes('get_job_instance_log') && r.at >= flipAt);
      const index = v2.findIndex((r) => r.query.job_instance_id === String(params.jobInstanceId));
      return {
        flipAt,
        requestAt: index === -1 ? null : v2[index]!.at,
        requestsBefore: index === -1 ? v2.length : index,
        pingAt: ping.at,
        pingText: String(ping.args.text),
        broadcast: String(ping.args.reply_broadcast) === 'true',
      };
    });
    // Reported through awaitPing; keep an unobserved rejection from crashing the child.
    pendingPing.catch(() => undefined);
    return { flipAt };
  },
  awaitPing(): Promise<PingResult> {
    if (!pendingPing) throw new Error('no failJob pending');
    return pendingPing;
  },
  counts(): { esbRequests: number; slackCalls: Record<string, number>; responsePosts: number } {
    const { esb: e, slack: s } = fakes();
    const slackCalls: Record<string, number> = {};
    for (const call of s.calls()) slackCalls[call.method] = (slackCalls[call.method] ?? 0) + 1;
    return { esbRequests: e.requestCount(), slackCalls, responsePosts: s.responses().length };
  },
  cpu(): NodeJS.CpuUsage {
    return process.cpuUsage();
  },
  slashLoad: runLoad,
});
