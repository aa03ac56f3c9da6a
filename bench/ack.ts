/**
 * Benchmark 2: slash-command ack latency while BlueKing is slow. The real bot (startHarness)
 * talks to a fake ESB that answers after 10 s; signed `/joblog <biz> <id>` commands arrive with
 * bounded concurrency and we time each HTTP answer (Bolt's ack). The slow BlueKing calls pile up
 * behind the acks; the harness is stopped at the end with them still pending.
 */
import { TEST_SIGNING_SECRET } from '../src/dev/harness';
import type { SlashLoadResult } from './fakesChild';
import { type BenchResult, fmtMs, fmtRatio, percentile, result, round, table } from './lib';
import { RemoteFakes } from './remoteFakes';

export const ACK_SETTINGS = { esbLatencyMs: 10_000, warmup: 20, count: 200, concurrency: 10, maxMs: 60_000 };
const TARGET = { max: 1 };
const P99_TARGET_MS = 50;

export interface AckOutput {
  readonly results: BenchResult[];
  readonly report: string;
}

export async function runAckBench(log: (line: string) => void): Promise<AckOutput> {
  const s = ACK_SETTINGS;
  const fakes = await RemoteFakes.start();
  let load: SlashLoadResult | null = null;
  let pendingAtEnd: { esbRequests: number } | null = null;
  let stopMs = Number.NaN;
  const cpuBefore = process.cpuUsage();
  try {
    await fakes.rpc.call('setLatency', { ms: s.esbLatencyMs });
    const h = await fakes.startBot({});
    try {
      log(`ack: ${s.warmup} warm-up + ${s.count} signed /joblog commands, ${s.concurrency} at a time, BlueKing answering after ${s.esbLatencyMs / 1000} s …`);
      load = await fakes.rpc.call<SlashLoadResult>(
        'slashLoad',
        { appUrl: h.appUrl, signingSecret: TEST_SIGNING_SECRET, teamId: 'T0TEST001', warmup: s.warmup, count: s.count, concurrency: s.concurrency, bizId: 3, firstJobId: 2_001_900_000, maxMs: s.maxMs },
        s.maxMs + 30_000,
      );
      // Let the last listeners reach BlueKing, then count the calls left hanging.
      await new Promise((resolve) => setTimeout(resolve, 300));
      pendingAtEnd = await fakes.rpc.call<{ esbRequests: number }>('counts');
    } finally {
      const t = performance.now();
      await h.stop({ keepFakes: true });
      stopMs = performance.now() - t;
    }
  } finally {
    await fakes.close();
  }
  const cpu = process.cpuUsage(cpuBefore);
  if (!load) throw new Error('ack load did not run');

  const acks = load.ackMs;
  const p = (q: number) => percentile(acks, q);
  const p99 = p(99);
  const raw = {
    settings: s,
    samples: acks.length,
    p50Ms: round(p(50)),
    p95Ms: round(p(95)),
    p99Ms: round(p99),
    maxMs: round(Math.max(...acks)),
    meanMs: round(acks.reduce((a, b) => a + b, 0) / acks.length),
    warmupMs: load.warmupMs.map((x) => round(x)),
    ackMs: acks.map((x) => round(x)),
    statuses: load.statuses,
    nonEmptyAckBodies: load.nonEmptyBodies,
    loadWallMs: round(load.wallMs),
    stoppedEarly: load.stoppedEarly,
    blueKingCallsReceived: pendingAtEnd?.esbRequests ?? null,
    botCpuMsDuringBench: round((cpu.user + cpu.system) / 1000),
    harnessStopMs: round(stopMs),
  };
  const results = [result('ack.p99', `p99 ack latency / ${P99_TARGET_MS} ms budget`, p99 / P99_TARGET_MS, `p99 ${fmtMs(p99)} (p50 ${fmtMs(p(50))}, p95 ${fmtMs(p(95))}, max ${fmtMs(raw.maxMs)}; n=${acks.length})`, TARGET, raw)];
  const report = [
    `Slash-command ack latency (BlueKing latency ${s.esbLatencyMs / 1000} s, ${acks.length} commands, ${s.concurrency} concurrent; target p99 ≤ ${P99_TARGET_MS} ms)`,
    table([
      ['p50', 'p95', 'p99', 'max', 'p99 / target', 'first warm-up ack', 'HTTP statuses', 'BlueKing calls pending at end', 'harness stop'],
      [fmtMs(p(50)), fmtMs(p(95)), fmtMs(p99), fmtMs(raw.maxMs), fmtRatio(p99 / P99_TARGET_MS), fmtMs(load.warmupMs[0] ?? Number.NaN), JSON.stringify(load.statuses), String(raw.blueKingCallsReceived), fmtMs(stopMs)],
    ]),
  ].join('\n');
  return { results, report };
}
