/**
 * Benchmark 2: slash-command ack latency while BlueKing is slow. The real bot (startHarness)
 * talks to a fake ESB that answers after 10 s; signed `/joblog <biz> <id>` commands arrive with
 * bounded concurrency (closed loop: a new command as soon as one is acked) and we time each HTTP
 * answer (Bolt's ack). The slow BlueKing calls pile up behind the acks; the harness is stopped
 * at the end with them still pending. The fakes and the load generator run in a child process.
 */
import { TEST_SIGNING_SECRET, TEST_TEAM } from '../dev/harness';
import type { SlashLoadResult } from './fakesChild';
import { type BenchResult, type ProfileSummary, fmtMs, fmtRatio, formatProfile, percentile, profiled, result, round, table } from './lib';
import { RemoteFakes } from './remoteFakes';

export const ACK_SETTINGS = { esbLatencyMs: 10_000, warmup: 100, count: 200, concurrency: 10, unloadedCount: 50, maxMs: 60_000 };
const P99_TARGET_MS = 50;
const TARGET = { max: 1 };

export interface AckOutput {
  readonly results: BenchResult[];
  readonly report: string;
}

interface Pass {
  readonly load: SlashLoadResult;
  readonly botCpuMs: number;
}

function stats(values: readonly number[]) {
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: Math.max(...values) };
}

export async function runAckBench(log: (line: string) => void): Promise<AckOutput> {
  const s = ACK_SETTINGS;
  const fakes = await RemoteFakes.start();
  let measured: Pass | undefined;
  let unloaded: Pass | undefined;
  let profile: { pass: Pass; profile: ProfileSummary } | undefined;
  let pendingAtEnd: number | undefined;
  let stopMs: number | undefined;
  const keepAlive = fakes.info.keepAliveMs;
  try {
    await fakes.rpc.call('setLatency', { ms: s.esbLatencyMs });
    const h = await fakes.startBot({});
    try {
      let nextJob = 2_001_900_000;
      const pass = async (warmup: number, count: number, concurrency = s.concurrency): Promise<Pass> => {
        const cpu0 = process.cpuUsage();
        const load = await fakes.rpc.call<SlashLoadResult>(
          'slashLoad',
          { appUrl: h.appUrl, signingSecret: TEST_SIGNING_SECRET, teamId: TEST_TEAM, warmup, count, concurrency, bizId: 3, firstJobId: nextJob, maxMs: s.maxMs },
          s.maxMs + 30_000,
        );
        const cpu = process.cpuUsage(cpu0);
        nextJob += warmup + count;
        return { load, botCpuMs: (cpu.user + cpu.system) / 1000 };
      };
      log(`ack: ${s.warmup} warm-up + ${s.count} measured signed /joblog commands, ${s.concurrency} at a time, BlueKing answering after ${s.esbLatencyMs / 1000} s …`);
      measured = await pass(s.warmup, s.count);
      // The same bot with one command at a time: latency without queueing behind other commands.
      unloaded = await pass(0, s.unloadedCount, 1);
      // Where the bot's time goes per command: the same load again under the sampling profiler.
      const p = await profiled(() => pass(0, s.count));
      profile = { pass: p.value, profile: p.profile };
      // Let the last listeners reach BlueKing, then count the calls left hanging.
      await new Promise((resolve) => setTimeout(resolve, 300));
      pendingAtEnd = (await fakes.rpc.call<{ esbRequests: number }>('counts')).esbRequests;
    } finally {
      const t = performance.now();
      await h.stop({ keepFakes: true });
      stopMs = performance.now() - t;
    }
  } finally {
    await fakes.close();
  }
  if (!measured) throw new Error('ack load did not run');

  const acks = measured.load.ackMs;
  const m = stats(acks);
  const cold = stats(measured.load.warmupMs);
  const commands = acks.length + measured.load.warmupMs.length;
  const one = unloaded ? stats(unloaded.load.ackMs) : null;
  const raw = {
    settings: s,
    fakesKeepAliveMs: keepAlive,
    measured: { ...Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)])), meanMs: round(acks.reduce((a, b) => a + b, 0) / acks.length), ackMs: acks.map((x) => round(x)), wallMs: round(measured.load.wallMs) },
    warmup: { ...Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, round(v)])), ackMs: measured.load.warmupMs.map((x) => round(x)) },
    throughputPerSecond: round(acks.length / (measured.load.wallMs / 1000)),
    botCpuMsPerCommand: round(measured.botCpuMs / commands, 3),
    statuses: measured.load.statuses,
    nonEmptyAckBodies: measured.load.nonEmptyBodies,
    stoppedEarly: measured.load.stoppedEarly,
    oneAtATime: one ? { ...Object.fromEntries(Object.entries(one).map(([k, v]) => [k, round(v)])), ackMs: unloaded?.load.ackMs.map((x) => round(x)), botCpuMsPerCommand: round((unloaded?.botCpuMs ?? Number.NaN) / one.n, 3) } : null,
    profiledPass: profile ? { ...stats(profile.pass.load.ackMs), botCpuMsPerCommand: round(profile.pass.botCpuMs / profile.pass.load.ackMs.length, 3), profile: profile.profile } : null,
    blueKingCallsPendingAtEnd: pendingAtEnd ?? null,
    harnessStopMs: round(stopMs ?? Number.NaN),
  };
  const ratio = m.p99 / P99_TARGET_MS;
  const results = [result('ack.p99', `p99 ack latency / ${P99_TARGET_MS} ms`, ratio, `p99 ${fmtMs(m.p99)} (p50 ${fmtMs(m.p50)}, p95 ${fmtMs(m.p95)}, max ${fmtMs(m.max)}; n=${m.n})`, TARGET, raw)];
  const lines = [
    `Slash-command ack latency (BlueKing latency ${s.esbLatencyMs / 1000} s; closed loop, ${s.concurrency} in flight; target p99 ≤ ${P99_TARGET_MS} ms)`,
    table([
      ['pass', 'n', 'p50', 'p95', 'p99', 'max', 'p99 / target', 'throughput', 'bot CPU / command'],
      ['warm-up (cold start)', String(cold.n), fmtMs(cold.p50), fmtMs(cold.p95), fmtMs(cold.p99), fmtMs(cold.max), fmtRatio(cold.p99 / P99_TARGET_MS), '', ''],
      ['measured', String(m.n), fmtMs(m.p50), fmtMs(m.p95), fmtMs(m.p99), fmtMs(m.max), fmtRatio(ratio), `${raw.throughputPerSecond}/s`, fmtMs(raw.botCpuMsPerCommand)],
      ...(one ? [['one at a time (info)', String(one.n), fmtMs(one.p50), fmtMs(one.p95), fmtMs(one.p99), fmtMs(one.max), fmtRatio(one.p99 / P99_TARGET_MS), '', fmtMs(raw.oneAtATime?.botCpuMsPerCommand ?? Number.NaN)]] : []),
    ]),
    `HTTP statuses ${JSON.stringify(measured.load.statuses)}; BlueKing calls pending when the harness stopped: ${pendingAtEnd ?? 'n/a'}; harness stop took ${fmtMs(stopMs ?? Number.NaN)}.`,
    `Closed loop: each ack waits behind the other ${s.concurrency - 1} commands' work, so latency ≈ ${s.concurrency} × bot CPU per command when the bot is the bottleneck.`,
  ];
  if (profile && (ratio > TARGET.max || !Number.isFinite(ratio))) lines.push(formatProfile(`Where the bot's time goes (profiled pass of ${s.count} commands, p99 ${fmtMs(percentile(profile.pass.load.ackMs, 99))})`, profile.profile));
  return { results, report: lines.join('\n') };
}
