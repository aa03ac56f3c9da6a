/**
 * Benchmark 3: the watch poller. 5,000 active watches in a SQLite file, each on its own running
 * job in the fake BlueKing (20 ms latency). One `pollNow()` cycle is timed against the ideal
 * `watches × latency / concurrency`, with the bot's CPU time per watch; then one job fails and
 * we time from the flip to the fake Slack recording the thread reply (the ping).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseEnvelope } from '../src/bkjob/transport';
import { parseV2JobInstanceLog } from '../src/bkjob/v2';
import { v2ResponseChunks } from '../dev/fakeJobs';
import { runningJob } from '../dev/scenarios';
import { SqliteWatchStore } from '../src/store';
import { buildJobSummary } from '../src/summary/build';
import type { WatchStore } from '../src/watch/ports';
import type { PollReport } from '../src/watch/poller';
import { fingerprint, snapshotOf } from '../src/watch/rules';
import type { PingResult } from './fakesChild';
import { type BenchResult, type ProfileSummary, fmtMs, fmtRatio, formatProfile, profiled, result, round, table } from './lib';
import { RemoteFakes } from './remoteFakes';

/** WatchPoller's default claim batch (src/watch/poller.ts). */
const BATCH_SIZE = 200;

export const POLLER_SETTINGS = { watches: 5000, esbLatencyMs: 20, concurrencies: [8, 32], channels: 100, bizId: 3, firstJobId: 2_002_000_000, cycleTimeoutMs: 120_000 };

export interface PollerOutput {
  readonly results: BenchResult[];
  readonly report: string;
  readonly raw: unknown[];
}

interface CycleMeasure {
  readonly report: PollReport | null;
  readonly wallMs: number;
  readonly botCpuMs: number;
  readonly fakesCpuMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly esbRequests: number;
  readonly slackCalls: Record<string, number>;
  readonly store: StoreTimes;
}

/** What the bot computes for an unchanged running job: stored with each watch, so the measured cycle sees "no change". */
function runningJobBaseline(): { snapshot: ReturnType<typeof snapshotOf>; fingerprint: string } {
  const def = runningJob({ bizId: POLLER_SETTINGS.bizId, jobInstanceId: POLLER_SETTINGS.firstJobId });
  const text = [...v2ResponseChunks(def, { style: 'documented', offsetMinutes: 480 }, 'bench')].join('');
  const envelope = parseEnvelope({ data: text, status: 200, headers: {} } as Parameters<typeof parseEnvelope>[0]);
  const summary = buildJobSummary(parseV2JobInstanceLog(envelope.data, { bizId: def.bizId, jobInstanceId: def.jobInstanceId }, { defaultOffsetMinutes: 480 }));
  return { snapshot: snapshotOf(summary), fingerprint: fingerprint(summary) };
}

/** Time spent inside each store method. The SQLite store works synchronously, so this is time the event loop is blocked. */
interface StoreTimes {
  readonly calls: Record<string, number>;
  readonly ms: Record<string, number>;
}

function timedStore<S extends WatchStore>(store: S): { store: S; take: () => StoreTimes } {
  let calls: Record<string, number> = {};
  let ms: Record<string, number> = {};
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          calls[prop] = (calls[prop] ?? 0) + 1;
          ms[prop] = (ms[prop] ?? 0) + performance.now() - start;
        }
      };
    },
  });
  return {
    store: wrapped,
    take: () => {
      const out = { calls, ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round(v)])) };
      calls = {};
      ms = {};
      return out;
    },
  };
}

function statusTs(i: number): string {
  return `1700000001.${String(i).padStart(6, '0')}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function runPollerBench(log: (line: string) => void, deadline: number): Promise<PollerOutput> {
  const s = POLLER_SETTINGS;
  const baseline = runningJobBaseline();
  const results: BenchResult[] = [];
  const raw: unknown[] = [];
  const profiles: string[] = [];
  const rows: string[][] = [['concurrency', 'ideal', 'warm-up cycle', 'measured cycle', 'ratio', 'bot CPU / watch', 'fakes CPU / watch', 'loop delay p99', 'flip → ping', 'queue wait', 'reaction']];

  const fakes = await RemoteFakes.start();
  log(`poller: fakes' HTTP keep-alive ${fakes.info.keepAliveMs} ms`);
  const keepAlive = fakes.info.keepAliveMs;
  try {
    for (const concurrency of s.concurrencies) {
      if (deadline - Date.now() < 90_000) {
        log(`poller c=${concurrency}: skipped, the time budget is spent`);
        results.push(result(`poller.cycle.c${concurrency}`, 'cycle wall time / ideal', Number.NaN, 'skipped (time budget)', null, {}));
        continue;
      }
      const dir = mkdtempSync(join(tmpdir(), 'joblog-bench-poller-'));
      try {
        await fakes.rpc.call('reset');
        await fakes.rpc.call('setLatency', { ms: s.esbLatencyMs });
        await fakes.rpc.call('addRunningJobs', { bizId: s.bizId, firstId: s.firstJobId, count: s.watches }, 60_000);

        const sqlite = new SqliteWatchStore(join(dir, 'watches.db'));
        await sqlite.migrate();
        const timed = timedStore(sqlite);
        const store = timed.store;
        const insertStart = performance.now();
        const created = Date.now();
        const ids: string[] = [];
        for (let i = 0; i < s.watches; i++) {
          const r = await store.create({
            channelId: `C0BENCH${String(i % s.channels).padStart(3, '0')}`,
            ref: { bizId: s.bizId, jobInstanceId: s.firstJobId + i },
            subscriberId: 'U0ALICE01',
            notifyOn: 'failure',
            createdAt: created,
            expiresAt: created + 7 * 24 * 3600_000,
            statusMessageTs: statusTs(i),
            snapshot: baseline.snapshot,
            fingerprint: baseline.fingerprint,
            nextPollAt: created,
          });
          if (r.created) ids.push(r.watch.id);
        }
        const insertMs = performance.now() - insertStart;
        log(`poller c=${concurrency}: ${ids.length} watches stored in ${fmtMs(insertMs)}; polling …`);

        // Real clock: a frozen `now` would make every released watch due again within the same cycle.
        const h = await fakes.startBot({ POLL_CONCURRENCY: String(concurrency) }, { store });
        try {
          timed.take();
          const cycle = async (what: string): Promise<CycleMeasure> => {
            const before = await fakes.rpc.call<{ esbRequests: number; slackCalls: Record<string, number> }>('counts');
            const fakesCpu0 = await fakes.rpc.call<NodeJS.CpuUsage>('cpu');
            const loop = monitorEventLoopDelay({ resolution: 10 });
            loop.enable();
            const cpu0 = process.cpuUsage();
            const t0 = performance.now();
            const report = await withTimeout(h.bot.pollNow(), Math.min(s.cycleTimeoutMs, Math.max(10_000, deadline - Date.now())), what);
            const wallMs = performance.now() - t0;
            const cpu = process.cpuUsage(cpu0);
            loop.disable();
            const fakesCpu1 = await fakes.rpc.call<NodeJS.CpuUsage>('cpu');
            const after = await fakes.rpc.call<{ esbRequests: number; slackCalls: Record<string, number> }>('counts');
            const slackCalls: Record<string, number> = {};
            for (const [m, n] of Object.entries(after.slackCalls)) if (n - (before.slackCalls[m] ?? 0) > 0) slackCalls[m] = n - (before.slackCalls[m] ?? 0);
            return {
              report,
              wallMs,
              botCpuMs: (cpu.user + cpu.system) / 1000,
              fakesCpuMs: (fakesCpu1.user + fakesCpu1.system - fakesCpu0.user - fakesCpu0.system) / 1000,
              loopDelayP99Ms: loop.percentile(99) / 1e6,
              loopDelayMaxMs: loop.max / 1e6,
              esbRequests: after.esbRequests - before.esbRequests,
              slackCalls,
              store: timed.take(),
            };
          };
          const warm = await cycle('warm-up poll cycle');
          log(`poller c=${concurrency}: warm-up cycle ${fmtMs(warm.wallMs)} ${JSON.stringify(warm.report)}`);
          const measured = await cycle('measured poll cycle');
          log(`poller c=${concurrency}: measured cycle ${fmtMs(measured.wallMs)} ${JSON.stringify(measured.report)}`);

          // End to end: one job fails; the next cycle must ping its thread.
          const target = Math.floor(s.watches / 2);
          await fakes.rpc.call('failJob', { bizId: s.bizId, jobInstanceId: s.firstJobId + target, threadTs: statusTs(target), timeoutMs: s.cycleTimeoutMs });
          const e2eCycle = await cycle('end-to-end poll cycle');
          const ping = await fakes.rpc.call<PingResult>('awaitPing', {}, s.cycleTimeoutMs);
          const flipToPing = ping.pingAt - ping.flipAt;
          const queueWait = ping.requestAt === null ? Number.NaN : ping.requestAt - ping.flipAt;
          const reaction = ping.requestAt === null ? Number.NaN : ping.pingAt - ping.requestAt - s.esbLatencyMs;
          log(`poller c=${concurrency}: end-to-end cycle ${fmtMs(e2eCycle.wallMs)}; ping after ${fmtMs(flipToPing)} (${ping.requestsBefore} other jobs polled first)`);

          // Where the time goes: one more unchanged cycle under the sampling profiler (kept apart from the timed ones).
          let profile: { cycle: CycleMeasure; profile: ProfileSummary } | null = null;
          if (deadline - Date.now() > 60_000) {
            const p = await profiled(() => cycle('profiled poll cycle'));
            profile = { cycle: p.value, profile: p.profile };
          }

          const ideal = (s.watches * s.esbLatencyMs) / concurrency;
          const batches = Math.ceil(s.watches / BATCH_SIZE);
          const idealWithBatches = batches * Math.ceil(Math.min(BATCH_SIZE, s.watches) / concurrency) * s.esbLatencyMs;
          const storeMs = Object.values(measured.store.ms).reduce((a, b) => a + b, 0);
          const ratio = measured.wallMs / ideal;
          const entry = {
            concurrency,
            fakesKeepAliveMs: keepAlive,
            watches: ids.length,
            esbLatencyMs: s.esbLatencyMs,
            idealMs: ideal,
            idealWithBatchBarriersMs: idealWithBatches,
            storeMsPerWatch: round(storeMs / ids.length, 3),
            profiledCycle: profile ? { wallMs: round(profile.cycle.wallMs), botCpuMs: round(profile.cycle.botCpuMs), profile: profile.profile } : null,
            insertMs: round(insertMs),
            warmup: { ...warm, wallMs: round(warm.wallMs), botCpuMs: round(warm.botCpuMs), fakesCpuMs: round(warm.fakesCpuMs) },
            measured: { ...measured, wallMs: round(measured.wallMs), botCpuMs: round(measured.botCpuMs), fakesCpuMs: round(measured.fakesCpuMs) },
            botCpuMsPerWatch: round(measured.botCpuMs / ids.length, 3),
            botCpuShareOfWall: round(measured.botCpuMs / measured.wallMs, 3),
            fakesCpuMsPerWatch: round(measured.fakesCpuMs / ids.length, 3),
            endToEnd: {
              cycle: { ...e2eCycle, wallMs: round(e2eCycle.wallMs) },
              flipToPingMs: flipToPing,
              queueWaitMs: queueWait,
              reactionMs: reaction,
              otherJobsPolledFirst: ping.requestsBefore,
              pingText: ping.pingText,
              broadcast: ping.broadcast,
            },
          };
          raw.push(entry);
          results.push(result(`poller.cycle.c${concurrency}`, `cycle wall time / ideal (${s.watches} × ${s.esbLatencyMs} ms / ${concurrency})`, ratio, `${fmtMs(measured.wallMs)} vs ${fmtMs(ideal)}`, null, entry));
          results.push(
            result(`poller.ping.c${concurrency}`, 'flip → ping / measured cycle time (info)', flipToPing / measured.wallMs, `${fmtMs(flipToPing)} (queue ${fmtMs(queueWait)} + BlueKing ${s.esbLatencyMs} ms + reaction ${fmtMs(reaction)})`, null, entry.endToEnd),
          );
          profiles.push(
            [
              `c=${concurrency}: ${fmtMs(measured.wallMs)} per cycle = ${fmtMs((measured.wallMs * concurrency) / ids.length)} per watch per slot (BlueKing ${s.esbLatencyMs} ms); ` +
                `batch barriers (claims of ${BATCH_SIZE}, each batch drained before the next) alone give ${fmtMs(idealWithBatches)}; ` +
                `bot CPU ${fmtMs(measured.botCpuMs)} (${Math.round((measured.botCpuMs / measured.wallMs) * 100)}% of one core), of which SQLite ${fmtMs(storeMs)} (${Object.entries(measured.store.ms)
                  .sort((a, b) => b[1] - a[1])
                  .slice(0, 4)
                  .map(([k, v]) => `${k} ${fmtMs(v)}/${measured.store.calls[k] ?? 0}`)
                  .join(', ')}); event-loop delay p99 ${fmtMs(measured.loopDelayP99Ms)}, max ${fmtMs(measured.loopDelayMaxMs)}`,
              `  checks: measured cycle ${JSON.stringify(measured.report)}, Slack calls ${JSON.stringify(measured.slackCalls)}; end-to-end cycle ${JSON.stringify(e2eCycle.report)}, Slack calls ${JSON.stringify(e2eCycle.slackCalls)}; ping ${ping.broadcast ? 'broadcast' : 'NOT broadcast'}: "${ping.pingText.slice(0, 90)}…"` +
                (measured.report?.polled !== ids.length || measured.report.errors > 0 ? ' — WARNING: not every watch was polled cleanly' : ''),
              profile ? formatProfile(`  c=${concurrency} profiled cycle (${fmtMs(profile.cycle.wallMs)})`, profile.profile, 6) : '',
            ]
              .filter(Boolean)
              .join('\n'),
          );
          rows.push([
            String(concurrency),
            fmtMs(ideal),
            fmtMs(warm.wallMs),
            fmtMs(measured.wallMs),
            fmtRatio(ratio),
            fmtMs(measured.botCpuMs / ids.length),
            fmtMs(measured.fakesCpuMs / ids.length),
            fmtMs(measured.loopDelayP99Ms),
            fmtMs(flipToPing),
            fmtMs(queueWait),
            fmtMs(reaction),
          ]);
        } finally {
          await h.stop({ keepFakes: true });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await fakes.close();
  }
  const report = [
    `Watch poller (${s.watches} watches, SQLite file, BlueKing latency ${s.esbLatencyMs} ms, fakes' keep-alive ${keepAlive} ms; ratio = cycle / (watches × latency / concurrency); no target given)`,
    table(rows),
    'bot CPU = this process (bot only); fakes CPU = the child serving BlueKing and Slack. flip → ping = queue wait (jobs polled before it) + BlueKing latency + reaction (parse, save, chat.update, thread reply).',
    'Where the time goes:',
    ...profiles,
  ].join('\n');
  return { results, report, raw };
}
