/**
 * Benchmark 4: subscriptions (issue 12). 2,000 subscriptions (cron and plan) over 200 businesses
 * in a SQLite file, the fake BlueKing at 20 ms in a child process (subscriptionFakes.ts), a 30 s
 * cycle simulated by moving the bot's clock between `pollNow()` calls. Before each cycle the fake
 * gets new runs (about 5 % of the subscriptions, plus runs nobody follows) and earlier running runs
 * finish. Measured per cycle: list calls ÷ businesses, status calls ÷ runs new or still running,
 * failing run → ping delay from the cycle's start, cycle wall time and the bot's CPU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FakeCronDef, FakePlanDef } from '../dev/fakeCatalog';
import type { FakeBkJob } from '../dev/fakeEsb';
import type { FakeSlackApi } from '../dev/fakeSlack';
import { type Harness, TEST_TEAM, startHarness } from '../dev/harness';
import { pollDelayMs } from '../src/watch/poller';
import type { SubscriptionTarget } from '../src/watch/subscriptionTypes';
import type { WatchSnapshot } from '../src/watch/types';
import { type BenchResult, ChildRpc, type ProfileSummary, fmtMs, fmtRatio, formatProfile, median, profiled, result, round, table } from './lib';
import { FAKE_KEEP_ALIVE_MS } from './remoteFakes';
import type { Mark, RunSpec, RunState, SinceMark, SubFakesInfo } from './subscriptionFakes';

export const SUBSCRIPTION_SETTINGS = {
  businesses: 200,
  perBusiness: 10,
  /** Of the 10 per business: 6 crons (each on its own plan), 4 plans. */
  cronsPerBusiness: 6,
  esbLatencyMs: 20,
  cycleMs: 30_000,
  warmupCycles: 1,
  measuredCycles: 5,
  /** Share of the subscriptions (those without an unfinished run) that get a new run per cycle. */
  newRunShare: 0.05,
  /** New subscribed runs: running / succeeded / failed / waiting for a confirmation (the rest). */
  newRunMix: { running: 0.4, succeeded: 0.5, failed: 0.08 },
  /** A running run fails with this probability when it finishes, one or two cycles later. */
  runningFails: 0.15,
  /** Per cycle, runs nobody follows: other crons, another plan, manual runs of cron-subscribed plans, fast scripts. */
  noise: { otherCrons: 30, otherPlan: 10, manualOfCronPlans: 15, fastScripts: 5 },
  firstBizId: 1000,
  firstJobId: 3_000_000_000,
  seed: 12,
  cycleTimeoutMs: 90_000,
  /** Slack's allowance on top of the cycle (issue 12: "pinged within one cycle + 1 s"). */
  pingSlackMs: 1000,
} as const;

/** The bot's clock at the start: 2026-01-05 03:00 UTC (fixed, so every run is reproducible). */
const T0 = Date.UTC(2026, 0, 5, 3, 0);
const HOUR = 3_600_000;

export interface SubscriptionBenchOutput {
  readonly results: BenchResult[];
  readonly report: string;
  readonly raw: unknown;
}

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SubModel {
  readonly index: number;
  readonly bizId: number;
  readonly channel: string;
  readonly target: SubscriptionTarget;
  readonly createdAt: number;
  /** A run of it is unfinished (running or waiting): no new run until it ends (a cron rarely overlaps itself). */
  busy: boolean;
}

interface RunModel {
  readonly spec: RunSpec;
  readonly sub: SubModel;
  /** What JOB shows now. */
  state: RunState;
  /** What the bot saw at its last poll (null: not yet found). */
  seen: RunState | null;
  finish: { readonly cycle: number; readonly to: 'succeeded' | 'failed' } | null;
}

interface PingSample {
  readonly jobInstanceId: number;
  readonly kind: 'failed' | 'waiting';
  /** Cycle in which JOB first showed the run failed (or waiting). */
  readonly cycle: number;
  /** From that cycle's start to the post, with 30 s per later cycle (the post came in a later one); null: never posted. */
  readonly latencyMs: number | null;
  readonly postedInCycle: number | null;
}

interface CycleRecord {
  readonly cycle: number;
  readonly warmup: boolean;
  readonly clock: number;
  readonly wallStart: number;
  readonly wallMs: number;
  readonly botCpuMs: number;
  readonly fakesCpuMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly report: unknown;
  readonly bk: Record<string, number>;
  readonly slack: Record<string, number>;
  readonly businesses: number;
  readonly listCalls: number;
  readonly newSubscribedRuns: number;
  readonly stillRunning: number;
  readonly expected: number;
  readonly statusCalls: number;
  /** Status calls for runs new or still running (should be each exactly once). */
  readonly statusForExpected: number;
  readonly missed: number;
  /** Further status calls for those runs in the same cycle, by what JOB shows (v3: each failing group's host log re-reads the status). */
  readonly repeats: number;
  readonly repeatsByState: Record<string, number>;
  /** Status calls for runs that had failed before this cycle (the watch follows them for retries: WATCH_RESUME_WINDOW). */
  readonly statusForFailedFollowed: number;
  /** How many such runs were asked about. */
  readonly followedRuns: number;
  readonly ipLogCalls: number;
  /** From the cycle's start: the last list call's arrival (the scan), the last cron/plan detail call (upkeep), the first status call (the poll). */
  readonly phases: { readonly lastListMs: number | null; readonly lastDetailMs: number | null; readonly firstStatusMs: number | null };
  /** Status calls for anything else (finished and succeeded runs, runs nobody follows): should be 0. */
  readonly statusOther: number;
  readonly noiseRuns: number;
  readonly failingVisible: number;
  readonly waitingVisible: number;
  readonly posts: number;
  readonly postsForUnfollowedRuns: number;
  readonly worstPingMs: number | null;
  readonly medianPingMs: number | null;
}

const FOLLOWED_RUN = { subscriptionId: 'bench', kind: 'cron' as const, targetId: 1, targetName: 'bench', streak: 1 };

/** get_job_instance_status calls one failed run costs while its watch follows it for retries, at one poll per cycle at most. */
function followPollsPerFailedRun(resumeWindowMs: number, cycleMs: number): number {
  if (resumeWindowMs <= 0) return 0;
  const snapshot = { followingRetriesUntil: resumeWindowMs } as unknown as WatchSnapshot;
  let polls = 0;
  // The poll that found it failed is at 0 (counted among the new or running runs); later polls follow.
  let t = 0;
  for (;;) {
    // A subscription run's watch (its own, slower schedule for following retries).
    const next = t + Math.max(1, pollDelayMs({ snapshot, lastChangedAt: 0, run: FOLLOWED_RUN }, t));
    t = Math.ceil(next / cycleMs) * cycleMs;
    polls++;
    // The poll at or after the window's end is the one that ends the watch.
    if (t >= resumeWindowMs) return polls;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const JOB_ID_IN_TEXT = /\(job (\d+)\)/;

export async function runSubscriptionBench(log: (line: string) => void, deadline: number): Promise<SubscriptionBenchOutput> {
  const s = SUBSCRIPTION_SETTINGS;
  const random = prng(s.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const dir = mkdtempSync(join(tmpdir(), 'joblog-bench-subs-'));
  const rpc = ChildRpc.start(join(__dirname, 'subscriptionFakes.ts'));
  let h: Harness | null = null;
  try {
    const info = await rpc.call<SubFakesInfo>('start', { teamId: TEST_TEAM, keepAliveMs: FAKE_KEEP_ALIVE_MS }, 60_000);
    await rpc.call('setLatency', { ms: s.esbLatencyMs });

    // ---- the catalog: per business 6 subscribed crons (own plans), 4 subscribed plans, 2 other crons, 1 other plan
    const crons: FakeCronDef[] = [];
    const plans: FakePlanDef[] = [];
    const subs: SubModel[] = [];
    const otherCrons: FakeCronDef[] = [];
    const otherPlans: FakePlanDef[] = [];
    const cronPlans: FakePlanDef[] = [];
    const total = s.businesses * s.perBusiness;
    for (let b = 0; b < s.businesses; b++) {
      const bizId = s.firstBizId + b;
      const channel = `C0SUB${String(b).padStart(4, '0')}`;
      const plan = (k: number, name: string): FakePlanDef => ({ bizId, id: bizId * 100 + k, name, jobTemplateId: bizId * 100 + k + 500_000, createTime: T0 - 90 * 86_400_000 });
      for (let k = 1; k <= 8; k++) {
        const p = plan(k, `biz${bizId} cron plan ${k}`);
        const cron: FakeCronDef = { bizId, id: bizId * 100 + k, name: `biz${bizId}-cron-${k}`, jobPlanId: p.id, enabled: true, expression: `${k} * * * *`, timeZone: 'Asia/Shanghai', createTime: T0 - 60 * 86_400_000 };
        plans.push(p);
        crons.push(cron);
        if (k <= s.cronsPerBusiness) cronPlans.push(p);
        else otherCrons.push(cron);
      }
      for (let k = 11; k <= 15; k++) {
        const p = plan(k, `biz${bizId} plan ${k}`);
        plans.push(p);
        if (k === 15) otherPlans.push(p);
      }
      for (let i = 0; i < s.perBusiness; i++) {
        const index = b * s.perBusiness + i;
        // Created over the hour before T0 (shuffled): their hourly target refreshes spread over the cycles.
        const createdAt = T0 - HOUR + 1000 + Math.floor((((index * 7919) % total) / total) * (HOUR - 2000));
        const target: SubscriptionTarget =
          i < s.cronsPerBusiness
            ? { kind: 'cron', id: bizId * 100 + i + 1, name: `biz${bizId}-cron-${i + 1}`, planId: bizId * 100 + i + 1, expression: `${i + 1} * * * *`, timeZone: 'Asia/Shanghai', templateId: null }
            : { kind: 'plan', id: bizId * 100 + 11 + (i - s.cronsPerBusiness), name: `biz${bizId} plan ${11 + (i - s.cronsPerBusiness)}`, planId: bizId * 100 + 11 + (i - s.cronsPerBusiness), expression: null, timeZone: null, templateId: bizId * 100 + 11 + (i - s.cronsPerBusiness) + 500_000 };
        subs.push({ index, bizId, channel, target, createdAt, busy: false });
      }
    }
    await rpc.call('catalog', { crons, plans }, 60_000);

    let clock = T0;
    h = await startHarness({
      // WATCH_RESUME_WINDOW=0 npm run bench -- --only=subscriptions: failed runs are not followed for retries (a control run).
      env: { LOG_LEVEL: 'silent', DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, BK_JOB_API_VERSION: 'v3', ...(process.env.WATCH_RESUME_WINDOW !== undefined ? { WATCH_RESUME_WINDOW: process.env.WATCH_RESUME_WINDOW } : {}) },
      overrides: { now: () => clock },
      slack: { apiUrl: info.slackApiUrl, responseUrl: (id: string) => `${info.slackUrl}/respond/${encodeURIComponent(id)}` } as FakeSlackApi,
      esb: { url: info.esbUrl, appCode: info.appCode, appSecret: info.appSecret } as FakeBkJob,
    });
    const bot = h.bot;
    const insertStart = performance.now();
    for (const sub of subs) {
      const r = await bot.store.createSubscription({ channelId: sub.channel, scope: { bizId: sub.bizId }, target: sub.target, subscriberId: 'U0ALICE01', bkUsername: null, notifyOn: 'failure', digestAt: null, createdAt: sub.createdAt });
      if (!r.created) throw new Error(`subscription ${sub.index} was not created`);
    }
    const insertMs = performance.now() - insertStart;
    const active = await bot.store.listActiveSubscriptions();
    log(`subscriptions: ${active.length} subscriptions over ${new Set(active.map((x) => x.scope.bizId)).size} businesses stored in ${fmtMs(insertMs)}; fakes' keep-alive ${info.keepAliveMs} ms, POLL_CONCURRENCY ${h.config.watch.pollConcurrency}, WATCH_RESUME_WINDOW ${h.config.watch.resumeWindowMs / HOUR} h`);

    // ---- cycles
    const runs = new Map<number, RunModel>();
    const noiseIds = new Set<number>();
    let nextJobId: number = s.firstJobId;
    const cycles: CycleRecord[] = [];
    const cycleStarts: number[] = [];
    const allPosts: Array<{ cycle: number; at: number; jobId: number | null; text: string }> = [];
    const pingWanted: Array<{ jobInstanceId: number; kind: 'failed' | 'waiting'; cycle: number }> = [];
    const totalCycles = s.warmupCycles + s.measuredCycles;
    let profile: { cycle: number; wallMs: number; profile: ProfileSummary } | null = null;
    // One more cycle under the sampling profiler (where the bot's CPU goes), kept out of the figures.
    for (let c = 0; c <= totalCycles; c++) {
      const profiling = c === totalCycles;
      if (deadline - Date.now() < (profiling ? 60_000 : 30_000)) {
        log(`subscriptions: cycle ${c} skipped, the time budget is spent`);
        break;
      }
      clock = T0 + (c + 1) * s.cycleMs;
      // Runs the bot must ask about this cycle: those it last saw unfinished (they may have finished since) …
      const stillRunning = [...runs.values()].filter((r) => r.seen === 'running' || r.seen === 'waiting');
      // … earlier runs finish now (JOB moves on between cycles) …
      const finishing = [...runs.values()].filter((r) => r.finish !== null && r.finish.cycle === c);
      for (const r of finishing) {
        r.state = r.finish!.to;
        r.finish = null;
        r.sub.busy = false;
      }
      // … and new runs appear.
      const idle = subs.filter((x) => !x.busy);
      const count = Math.round(total * s.newRunShare);
      const chosen = new Set<SubModel>();
      while (chosen.size < Math.min(count, idle.length)) chosen.add(pick(idle));
      const createTime = () => clock - 1000 - Math.floor(random() * (s.cycleMs - 2000));
      const fresh: RunModel[] = [];
      for (const sub of chosen) {
        const x = random();
        const mix = s.newRunMix;
        const state: RunState = x < mix.running ? 'running' : x < mix.running + mix.succeeded ? 'succeeded' : x < mix.running + mix.succeeded + mix.failed ? 'failed' : 'waiting';
        const spec: RunSpec =
          sub.target.kind === 'cron'
            ? { bizId: sub.bizId, jobInstanceId: nextJobId++, name: sub.target.name, createTime: createTime(), launchMode: 3, jobPlanId: sub.target.planId, cronId: sub.target.id, state }
            : { bizId: sub.bizId, jobInstanceId: nextJobId++, name: sub.target.name, createTime: createTime(), launchMode: random() < 0.5 ? 1 : 2, jobPlanId: sub.target.planId, state };
        const finish = state === 'running' ? { cycle: c + (random() < 0.5 ? 1 : 2), to: random() < s.runningFails ? ('failed' as const) : ('succeeded' as const) } : state === 'waiting' ? { cycle: c + 2, to: 'succeeded' as const } : null;
        if (finish) sub.busy = true;
        const run: RunModel = { spec, sub, state, seen: null, finish };
        runs.set(spec.jobInstanceId, run);
        fresh.push(run);
      }
      const noise: RunSpec[] = [];
      const noiseState = (): RunState => (random() < 0.3 ? 'running' : random() < 0.9 ? 'succeeded' : 'failed');
      for (let i = 0; i < s.noise.otherCrons; i++) {
        const cron = pick(otherCrons);
        noise.push({ bizId: cron.bizId, jobInstanceId: nextJobId++, name: cron.name, createTime: createTime(), launchMode: 3, jobPlanId: cron.jobPlanId, cronId: cron.id, state: noiseState() });
      }
      for (let i = 0; i < s.noise.otherPlan; i++) {
        const plan = pick(otherPlans);
        noise.push({ bizId: plan.bizId, jobInstanceId: nextJobId++, name: plan.name, createTime: createTime(), launchMode: 2, jobPlanId: plan.id, state: noiseState() });
      }
      for (let i = 0; i < s.noise.manualOfCronPlans; i++) {
        const plan = pick(cronPlans);
        noise.push({ bizId: plan.bizId, jobInstanceId: nextJobId++, name: plan.name, createTime: createTime(), launchMode: 1, jobPlanId: plan.id, state: noiseState() });
      }
      for (let i = 0; i < s.noise.fastScripts; i++) {
        const bizId = s.firstBizId + Math.floor(random() * s.businesses);
        noise.push({ bizId, jobInstanceId: nextJobId++, name: `ad-hoc script ${i}`, createTime: createTime(), launchMode: 1, jobPlanId: -1, state: noiseState() });
      }
      for (const n of noise) noiseIds.add(n.jobInstanceId);
      await rpc.call('finishRuns', { runs: finishing.map((r) => ({ bizId: r.spec.bizId, jobInstanceId: r.spec.jobInstanceId, to: r.state })) });
      await rpc.call('addRuns', { runs: [...fresh.map((r) => r.spec), ...noise] });

      // Every run the bot should ask JOB about, and the failing (or waiting) ones it should ping about now.
      const expected = new Set<number>([...fresh, ...stillRunning].map((r) => r.spec.jobInstanceId));
      for (const id of expected) {
        const r = runs.get(id)!;
        if ((r.state === 'failed' || r.state === 'waiting') && r.seen !== r.state) pingWanted.push({ jobInstanceId: id, kind: r.state, cycle: c });
      }

      const mark = await rpc.call<Mark>('mark');
      const fakesCpu0 = await rpc.call<NodeJS.CpuUsage>('cpu');
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const cpu0 = process.cpuUsage();
      const wallStart = Date.now();
      const t0 = performance.now();
      const runCycle = () => withTimeout(bot.pollNow(), Math.min(s.cycleTimeoutMs, Math.max(10_000, deadline - Date.now())), `cycle ${c}`);
      let report: Awaited<ReturnType<typeof runCycle>>;
      if (profiling) {
        const p = await profiled(runCycle);
        report = p.value;
        profile = { cycle: c, wallMs: performance.now() - t0, profile: p.profile };
      } else {
        report = await runCycle();
      }
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      loop.disable();
      const fakesCpu1 = await rpc.call<NodeJS.CpuUsage>('cpu');
      const seen = await rpc.call<SinceMark>('since', mark, 60_000);
      cycleStarts.push(wallStart);

      // Status calls, sorted by what the run was to the bot.
      const perRun = new Map<number, number>();
      for (const id of seen.statusIds) perRun.set(id, (perRun.get(id) ?? 0) + 1);
      let statusForExpected = 0;
      let missed = 0;
      let repeats = 0;
      const repeatsByState: Record<string, number> = {};
      for (const id of expected) {
        const n = perRun.get(id) ?? 0;
        statusForExpected += n;
        if (n === 0) missed++;
        if (n > 1) {
          const state = runs.get(id)!.state;
          repeats += n - 1;
          repeatsByState[state] = (repeatsByState[state] ?? 0) + n - 1;
        }
      }
      let statusForFailedFollowed = 0;
      let followedRuns = 0;
      let statusOther = 0;
      for (const [id, n] of perRun) {
        if (expected.has(id)) continue;
        if (runs.get(id)?.seen === 'failed') {
          statusForFailedFollowed += n;
          followedRuns++;
        } else statusOther += n;
      }
      for (const id of expected) {
        const r = runs.get(id)!;
        // Polled: the bot now knows what JOB shows (a miss leaves it where it was).
        if ((perRun.get(id) ?? 0) > 0) r.seen = r.state;
      }
      let postsForUnfollowedRuns = 0;
      for (const p of seen.posts) {
        const m = JOB_ID_IN_TEXT.exec(p.text);
        const jobId = m ? Number(m[1]) : null;
        if (jobId !== null && noiseIds.has(jobId)) postsForUnfollowedRuns++;
        allPosts.push({ cycle: c, at: p.at, jobId, text: p.text });
      }
      const businesses = new Set(subs.map((x) => x.bizId)).size;
      const record: CycleRecord = {
        cycle: c,
        warmup: c < s.warmupCycles,
        clock,
        wallStart,
        wallMs: round(wallMs),
        botCpuMs: round((cpu.user + cpu.system) / 1000),
        fakesCpuMs: round((fakesCpu1.user + fakesCpu1.system - fakesCpu0.user - fakesCpu0.system) / 1000),
        loopDelayP99Ms: round(loop.percentile(99) / 1e6),
        loopDelayMaxMs: round(loop.max / 1e6),
        report,
        bk: seen.bkCalls,
        slack: seen.slackCalls,
        businesses,
        listCalls: seen.bkCalls['get_job_instance_list'] ?? 0,
        newSubscribedRuns: fresh.length,
        stillRunning: stillRunning.length,
        expected: expected.size,
        statusCalls: seen.statusIds.length,
        statusForExpected,
        missed,
        repeats,
        repeatsByState,
        statusForFailedFollowed,
        followedRuns,
        ipLogCalls: seen.bkCalls['get_job_instance_ip_log'] ?? 0,
        phases: {
          lastListMs: seen.bkTimes['get_job_instance_list'] ? seen.bkTimes['get_job_instance_list'].last - wallStart : null,
          lastDetailMs: Math.max(seen.bkTimes['get_cron_detail']?.last ?? 0, seen.bkTimes['get_job_plan_detail']?.last ?? 0) - wallStart || null,
          firstStatusMs: seen.bkTimes['get_job_instance_status'] ? seen.bkTimes['get_job_instance_status'].first - wallStart : null,
        },
        statusOther,
        noiseRuns: noise.length,
        failingVisible: pingWanted.filter((p) => p.cycle === c && p.kind === 'failed').length,
        waitingVisible: pingWanted.filter((p) => p.cycle === c && p.kind === 'waiting').length,
        posts: seen.posts.length,
        postsForUnfollowedRuns,
        worstPingMs: null,
        medianPingMs: null,
      };
      if (profiling) {
        log(`subscriptions: profiled cycle ${c}: ${fmtMs(wallMs)} (not counted)`);
        continue;
      }
      cycles.push(record);
      log(
        `subscriptions: cycle ${c}${record.warmup ? ' (warm-up)' : ''}: ${fmtMs(wallMs)}, bot CPU ${fmtMs(record.botCpuMs)}; list calls ${record.listCalls} for ${businesses} businesses; ` +
          `status calls ${record.statusCalls} for ${record.expected} runs new (${fresh.length}) or still running (${stillRunning.length}) + ${statusForFailedFollowed} for failed runs followed for retries + ${statusOther} other; ` +
          `${seen.posts.length} posts; BlueKing ${JSON.stringify(seen.bkCalls)}`,
      );
    }

    // ---- pings: the first post naming each run that JOB showed failed (or waiting)
    const pings: PingSample[] = pingWanted.map((w) => {
      const post = allPosts.find((p) => p.jobId === w.jobInstanceId && p.cycle >= w.cycle);
      if (!post) return { ...w, latencyMs: null, postedInCycle: null };
      const latencyMs = (post.cycle - w.cycle) * s.cycleMs + (post.at - cycleStarts[post.cycle]!);
      return { ...w, latencyMs, postedInCycle: post.cycle };
    });
    const measured = cycles.filter((x) => !x.warmup);
    const measuredWithPings = measured.map((x) => {
      const lat = pings.filter((p) => p.cycle === x.cycle && p.kind === 'failed').map((p) => p.latencyMs ?? Number.POSITIVE_INFINITY);
      return { ...x, worstPingMs: lat.length ? Math.max(...lat) : null, medianPingMs: lat.length ? median(lat) : null };
    });
    if (measuredWithPings.length === 0) throw new Error('no measured cycle ran (time budget)');
    const counted = (p: PingSample) => p.cycle >= s.warmupCycles && p.cycle < totalCycles;
    const failedPings = pings.filter((p) => p.kind === 'failed' && counted(p));
    const waitingPings = pings.filter((p) => p.kind === 'waiting' && counted(p));
    const unpinged = failedPings.filter((p) => p.latencyMs === null).length;
    const late = failedPings.filter((p) => p.postedInCycle !== null && p.postedInCycle > p.cycle).length;

    // ---- ratios (worst measured cycle)
    const worst = <T>(items: readonly T[], f: (x: T) => number): T => items.reduce((a, b) => (f(b) > f(a) ? b : a));
    const sum = (f: (x: CycleRecord) => number) => measuredWithPings.reduce((a, x) => a + f(x), 0);
    const listWorst = worst(measuredWithPings, (x) => x.listCalls / x.businesses);
    const statusWorst = worst(measuredWithPings, (x) => x.statusCalls / x.expected);
    const askedWorst = worst(measuredWithPings, (x) => (x.expected - x.missed) / x.expected);
    const withPing = measuredWithPings.filter((x) => x.worstPingMs !== null);
    const pingWorst = withPing.length ? worst(withPing, (x) => x.worstPingMs! / (x.wallMs + s.pingSlackMs)) : null;
    const worstDelay = withPing.length ? Math.max(...withPing.map((x) => x.worstPingMs!)) : Number.NaN;
    const cpuWorst = worst(measuredWithPings, (x) => x.botCpuMs);
    const wallWorst = worst(measuredWithPings, (x) => x.wallMs);
    const resumeWindowMs = h.config.watch.resumeWindowMs;
    const followPolls = followPollsPerFailedRun(resumeWindowMs, s.cycleMs);
    const failuresPerCycle = median(measuredWithPings.map((x) => x.failingVisible));
    const expectedPerCycle = median(measuredWithPings.map((x) => x.expected));
    // Status calls one poll of a followed failed run costs, as measured (1 + host-log re-reads when the summary cache no longer has its lines).
    const followedRunPolls = sum((x) => x.followedRuns);
    const callsPerFollowPoll = followedRunPolls > 0 ? sum((x) => x.statusForFailedFollowed) / followedRunPolls : 1;
    const steadyRatio = (expectedPerCycle + failuresPerCycle * followPolls * callsPerFollowPoll) / expectedPerCycle;
    const detail = (x: CycleRecord) => (x.bk['get_cron_detail'] ?? 0) + (x.bk['get_job_plan_detail'] ?? 0);

    const results: BenchResult[] = [];
    const n = measuredWithPings.length;
    results.push(
      result(
        'subscriptions.list_calls',
        'get_job_instance_list calls per cycle / businesses with subscriptions (worst cycle)',
        listWorst.listCalls / listWorst.businesses,
        `${listWorst.listCalls} calls / ${listWorst.businesses} businesses (cycle ${listWorst.cycle}; worst of ${n})`,
        { max: 1.05 },
        { perCycle: measuredWithPings.map((x) => x.listCalls) },
      ),
    );
    const w = statusWorst;
    results.push(
      result(
        'subscriptions.status_calls',
        'get_job_instance_status calls per cycle / runs new or still running (worst cycle)',
        w.statusCalls / w.expected,
        `${w.statusCalls} / ${w.expected} (cycle ${w.cycle}: ${w.newSubscribedRuns} new + ${w.stillRunning} still running) = ${w.expected - w.missed} first asks + ${w.repeats} repeats in the same cycle ${JSON.stringify(w.repeatsByState)} + ${w.statusForFailedFollowed} for ${w.followedRuns} failed runs followed for retries + ${w.statusOther} other`,
        { max: 1.0 },
        { perCycle: measuredWithPings.map((x) => ({ cycle: x.cycle, status: x.statusCalls, expected: x.expected, forExpected: x.statusForExpected, repeats: x.repeats, repeatsByState: x.repeatsByState, followed: x.statusForFailedFollowed, followedRuns: x.followedRuns, other: x.statusOther, missed: x.missed })) },
      ),
    );
    results.push(
      result(
        'subscriptions.status_calls.runs_asked',
        'runs new or still running asked about at least once / runs new or still running (info; 1.00 = none missed)',
        (askedWorst.expected - askedWorst.missed) / askedWorst.expected,
        `${sum((x) => x.expected - x.missed)} of ${sum((x) => x.expected)} over ${n} cycles; ${sum((x) => x.statusOther)} calls for succeeded or unfollowed runs`,
        null,
        {},
      ),
    );
    results.push(
      result(
        'subscriptions.status_calls.steady_state',
        `estimate once failed runs are followed for the whole WATCH_RESUME_WINDOW (info): (runs new or running + failures/cycle × ${followPolls} follow-up polls × status calls per poll) / runs new or running`,
        steadyRatio,
        `(${expectedPerCycle} + ${failuresPerCycle} × ${followPolls} × ${callsPerFollowPoll.toFixed(2)}) / ${expectedPerCycle}`,
        null,
        { followPollsPerFailedRun: followPolls, callsPerFollowPoll, failuresPerCycle, expectedPerCycle, resumeWindowMs },
      ),
    );
    results.push(
      result(
        'subscriptions.ping.in_cycle',
        'failing run → ping, from the start of the cycle in which JOB shows it failed / (that cycle wall time + 1 s) (worst cycle)',
        pingWorst ? pingWorst.worstPingMs! / (pingWorst.wallMs + s.pingSlackMs) : Number.NaN,
        pingWorst ? `${fmtMs(pingWorst.worstPingMs!)} vs ${fmtMs(pingWorst.wallMs)} + 1 s (cycle ${pingWorst.cycle}; ${failedPings.length} failing runs, ${unpinged} never pinged, ${late} in a later cycle)` : 'no failing run',
        { max: 1.0 },
        { pings: failedPings, waiting: waitingPings },
      ),
    );
    results.push(
      result(
        'subscriptions.ping.end_to_end',
        'worst case from JOB showing the failure (just after a scan: + one 30 s interval) → ping / (30 s + 1 s)',
        (s.cycleMs + worstDelay) / (s.cycleMs + s.pingSlackMs),
        `30 s + ${fmtMs(worstDelay)} vs 31 s`,
        { max: 1.0 },
        {},
      ),
    );
    results.push(
      result(
        'subscriptions.cpu_per_cycle',
        'bot CPU per cycle (process.cpuUsage, bot only) / 30 s interval (info)',
        cpuWorst.botCpuMs / s.cycleMs,
        `worst ${fmtMs(cpuWorst.botCpuMs)} (cycle ${cpuWorst.cycle}), median ${fmtMs(median(measuredWithPings.map((x) => x.botCpuMs)))}; cycle wall worst ${fmtMs(wallWorst.wallMs)}, median ${fmtMs(median(measuredWithPings.map((x) => x.wallMs)))}`,
        null,
        {},
      ),
    );

    const ms = (v: number | null) => (v === null ? '—' : fmtMs(v));
    const rows = [['cycle', 'wall', 'scan done', 'upkeep done', 'poll starts', 'bot CPU', 'loop p99', 'list / biz', 'new', 'running', 'status calls', 'first asks', 'repeats', 'failed followed', 'other', 'ip_log', 'detail', 'failing', 'ping worst', 'ping median', 'posts']];
    for (const x of [...cycles.filter((y) => y.warmup), ...measuredWithPings]) {
      rows.push([
        `${x.cycle}${x.warmup ? ' (warm-up)' : ''}`,
        fmtMs(x.wallMs),
        ms(x.phases.lastListMs),
        ms(x.phases.lastDetailMs),
        ms(x.phases.firstStatusMs),
        fmtMs(x.botCpuMs),
        fmtMs(x.loopDelayP99Ms),
        `${x.listCalls} / ${x.businesses}`,
        String(x.newSubscribedRuns),
        String(x.stillRunning),
        `${x.statusCalls} (${fmtRatio(x.statusCalls / x.expected)})`,
        String(x.expected - x.missed),
        String(x.repeats),
        `${x.statusForFailedFollowed} (${x.followedRuns} runs)`,
        String(x.statusOther),
        String(x.ipLogCalls),
        String(detail(x)),
        String(x.failingVisible),
        ms(x.worstPingMs),
        ms(x.medianPingMs),
        String(x.posts),
      ]);
    }
    const checks: string[] = [];
    const totalMissed = sum((x) => x.missed);
    const totalOther = sum((x) => x.statusOther);
    const unfollowedPosts = cycles.reduce((a, x) => a + x.postsForUnfollowedRuns, 0);
    if (totalMissed) checks.push(`${totalMissed} runs new or still running were not asked about in their cycle`);
    if (totalOther) checks.push(`${totalOther} status calls for succeeded or unfollowed runs`);
    if (unfollowedPosts) checks.push(`${unfollowedPosts} posts about runs nobody follows`);
    if (unpinged) checks.push(`${unpinged} failing runs never pinged`);
    if (late) checks.push(`${late} failing runs pinged only in a later cycle`);
    const report = [
      `Subscriptions (${total} subscriptions: ${s.cronsPerBusiness} crons + ${s.perBusiness - s.cronsPerBusiness} plans in each of ${s.businesses} businesses; SQLite file; fake BlueKing at ${s.esbLatencyMs} ms and fake Slack in a child process, keep-alive ${info.keepAliveMs} ms; POLL_CONCURRENCY ${h.config.watch.pollConcurrency}; ` +
        `30 s cycles simulated with the bot's clock, ${s.warmupCycles} warm-up + ${measured.length} measured; per cycle ~${Math.round(s.newRunShare * 100)} % of the idle subscriptions get a new run ` +
        `(${s.newRunMix.running * 100} % running for 1–2 cycles, then ${s.runningFails * 100} % fail; ${s.newRunMix.succeeded * 100} % succeeded; ${s.newRunMix.failed * 100} % failed; the rest waiting 2 cycles) ` +
        `and ${Object.values(s.noise).reduce((a, b) => a + b, 0)} runs nobody follows; subscriptions stored with store.createSubscription in ${fmtMs(insertMs)})`,
      table(rows),
      `status calls = get_job_instance_status. first asks: runs new this cycle or unfinished at the last one, asked about (each should be, once). repeats: further status calls for them in the same cycle — the v3 source's getHostLog re-reads the job's status for each failing group's error line (src/bkjob/v3.ts). ` +
        `failed followed: polls of runs that had failed earlier; the run's watch follows them for retries for WATCH_RESUME_WINDOW (${resumeWindowMs / HOUR} h: every cycle for 10 min, every minute to 1 h, then every 5 min = ${followPolls} polls per failed run at a 30 s cycle), ` +
        `and when JobService's summary cache (200 entries) has dropped the run, each poll fetches its error lines again (ip_log + status). ` +
        `scan done / upkeep done / poll starts: arrival at the fake of the last list call, the last cron/plan detail call (hourly refreshes, one after another, after the scan) and the first status call, from the cycle's start. ` +
        `ping = first chat.postMessage naming the run, from the cycle's start (Date.now before pollNow; the fake Slack's 'at').`,
      checks.length ? `Checks: ${checks.join('; ')}.` : 'Checks: every run new or still running was asked about, no call or post for runs nobody follows or that succeeded earlier, every failing run pinged in its cycle.',
      profile ? formatProfile(`Where the bot's CPU goes (one more cycle, profiled, ${fmtMs(profile.wallMs)})`, profile.profile, 8) : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { results, report, raw: { settings: s, insertMs: round(insertMs), cycles: [...cycles.filter((y) => y.warmup), ...measuredWithPings], pings, profile } };
  } finally {
    if (h) await h.stop({ keepFakes: true }).catch(() => undefined);
    await rpc.call('stop', {}, 30_000).catch(() => undefined);
    await rpc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
