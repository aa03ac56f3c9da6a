/**
 * Benchmark 1: a v2 `get_job_instance_log` response (bytes) to the Slack message, two ways:
 *
 *   stream    the bot's path: bytes as they arrive over a real loopback HTTP stream (server in
 *             its own process) → BkTransport → v2stream.ts scanner → buildJobSummary →
 *             renderJobSummary; its peak memory growth against 32 MiB + 200 B per host entry;
 *             host-log clicks; and a 2 GB response generated on the fly.
 *   buffered  the previous path on the same bytes, from a string in memory: parseEnvelope
 *             (JSON.parse) + parseV2JobInstanceLog + build + render, and its peak memory.
 *
 * Both against a bare JSON.parse of the decoded text. Each size runs in fresh child processes
 * (see summaryChild.ts, summaryServer.ts).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATED_FIRST_STEP_INSTANCE_ID, generateV2ResponseChunks, generatedHostIp } from '../dev/generate';
import { type BenchResult, ChildRpc, TS_NODE_ARGS, fmtBytes, fmtMs, fmtRatio, formatProfile, median, result, round, table } from './lib';
import type { DirectResult, StreamParams, StreamResult } from './summaryChild';
import type { ServeParams } from './summaryServer';

export interface SummarySize {
  readonly hosts: number;
  readonly steps: number;
  readonly logBytes: number;
  readonly reps: number;
  /** Target for streamed path ÷ bare JSON.parse; null = info only. */
  readonly streamTarget: number | null;
  /** Host-log clicks to time (0 = none). */
  readonly hostLogReps: number;
}

export const SUMMARY_SIZES: readonly SummarySize[] = [
  { hosts: 100, steps: 20, logBytes: 2048, reps: 41, streamTarget: 0.75, hostLogReps: 0 },
  { hosts: 1000, steps: 20, logBytes: 2048, reps: 11, streamTarget: 0.5, hostLogReps: 5 },
  { hosts: 10_000, steps: 20, logBytes: 2048, reps: 5, streamTarget: 0.5, hostLogReps: 3 },
  { hosts: 1000, steps: 20, logBytes: 256, reps: 15, streamTarget: 1.5, hostLogReps: 0 },
  { hosts: 100, steps: 20, logBytes: 16_384, reps: 11, streamTarget: null, hostLogReps: 0 },
];

/** The response no buffered path could read (over V8's string limit): 10,000 hosts × 20 steps × 10 KB ≈ 2 GB, streamed only. */
export const HUGE_SIZE = { hosts: 10_000, steps: 20, logBytes: 10_240 } as const;

const TIME_TARGET = { max: 1.5 };
const MEMORY_TARGET = { max: 3 };
const HOST_LOG_TARGET = { max: 0.5 };
/** The streamed path's memory bound: a fixed 32 MiB plus 200 bytes per host entry (host × step). */
const streamMemoryBound = (hosts: number, steps: number) => 32 * 1024 ** 2 + 200 * hosts * steps;
const FAILING_HOSTS = 3;
const SEED = 7;

export interface SummaryOutput {
  readonly results: BenchResult[];
  readonly report: string;
  readonly raw: unknown[];
}

/** Writes the generated response to a file in ~1 MB writes (the 10k-host one is ~450 MB). */
function writeResponse(file: string, size: SummarySize): { bytes: number; ms: number } {
  const start = performance.now();
  const fd = openSync(file, 'w');
  let batch: string[] = [];
  let chars = 0;
  let bytes = 0;
  const flush = () => {
    const text = batch.join('');
    bytes += writeSync(fd, text, null, 'utf8');
    batch = [];
    chars = 0;
  };
  try {
    for (const piece of generateV2ResponseChunks({ hosts: size.hosts, steps: size.steps, logBytes: size.logBytes, failingHosts: FAILING_HOSTS, seed: SEED })) {
      batch.push(piece);
      chars += piece.length;
      if (chars >= 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { bytes, ms: performance.now() - start };
}

/** Child flags: GC control, and heap room for the biggest response (string + parsed tree). */
const CHILD_ARGS = [...TS_NODE_ARGS, '--expose-gc', '--max-old-space-size=8192'];

async function inChild<T>(cmd: 'direct' | 'stream', params: unknown, timeoutMs: number): Promise<T> {
  const child = ChildRpc.start(join(__dirname, 'summaryChild.ts'), CHILD_ARGS);
  try {
    return await child.call<T>(cmd, params, timeoutMs);
  } finally {
    await child.close();
  }
}

/** Runs the streamed path in a fresh child against a fresh server child serving `serve`. */
async function streamed(serve: ServeParams, params: Omit<StreamParams, 'port'>, timeoutMs: number): Promise<StreamResult> {
  const server = ChildRpc.start(join(__dirname, 'summaryServer.ts'), TS_NODE_ARGS);
  try {
    const { port } = await server.call<{ port: number }>('serve', serve, 60_000);
    return await inChild<StreamResult>('stream', { ...params, port }, timeoutMs);
  } finally {
    await server.close();
  }
}

/** Peak memory growth of a streamed run: the larger of RSS growth (VmHWM) and sampled heap growth. */
function streamPeak(r: StreamResult): { peak: number; rss: number; heap: number } {
  const rss = r.memory.peakRss - r.memory.baselineRss;
  const heap = r.memory.peakHeapAtStages - r.memory.baselineHeap;
  return { peak: Math.max(rss, heap), rss, heap };
}

/** Median of per-repetition ratios: each pair ran back to back, so load from other processes hits both alike. */
function pairedRatio(numerators: readonly number[], denominators: readonly number[]): number {
  return median(numerators.map((n, i) => n / (denominators[i] ?? Number.NaN)));
}

export async function runSummaryBench(log: (line: string) => void, deadline: number): Promise<SummaryOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'joblog-bench-'));
  const results: BenchResult[] = [];
  const raw: unknown[] = [];
  const profiles: string[] = [];
  const streamRows: string[][] = [['hosts×steps×log', 'bytes', 'bare JSON.parse', 'streamed path', 'ratio', 'target', 'its CPU', 'transfer only (CPU)', 'Node http only', 'fed from memory', 'previous bot (HTTP)', 'peak growth', 'RSS / heap', 'bound', 'buffered path', 'ratio', 'buffered peak', '×size']];
  const split: string[][] = [['hosts×steps×log', 'parseEnvelope', '…of which byteLength', 'validate (v2.ts)', '…of which GC of fresh tree', 'build', 'render', 'cold run']];
  const clicks: string[][] = [['hosts×steps×log', 'log bytes', 'streamed click', 'previous bot (HTTP)', 'ratio', 'target', 'buffered, string in memory', 'ratio']];
  let huge: string[] = [];
  try {
    for (const size of SUMMARY_SIZES) {
      const label = `${size.hosts}×${size.steps}×${fmtBytes(size.logBytes)}`;
      const id = size.logBytes === 2048 ? `${size.hosts}_hosts` : `${size.hosts}_hosts_${size.logBytes}B_logs`;
      const remaining = deadline - Date.now();
      if (remaining < 90_000) {
        log(`summary ${label}: skipped, the time budget is spent`);
        results.push(result(`summary.stream.${id}`, 'streamed path / bare JSON.parse', Number.NaN, 'skipped (time budget)', size.streamTarget === null ? null : { max: size.streamTarget }, {}));
        continue;
      }
      const file = join(dir, `v2-${size.hosts}x${size.steps}x${size.logBytes}.json`);
      const written = writeResponse(file, size);
      log(`summary ${label}: generated ${fmtBytes(written.bytes)} in ${fmtMs(written.ms)}; streamed path, ${size.reps} repetitions …`);
      const clickHost = { stepInstanceId: GENERATED_FIRST_STEP_INSTANCE_ID + size.steps - 1, ip: generatedHostIp(Math.floor(size.hosts / 2)), bkCloudId: 0 };
      const st = await streamed({ file }, { file, reps: size.reps, hostLog: size.hostLogReps > 0 ? clickHost : null, hostLogReps: size.hostLogReps }, Math.min(deadline - Date.now(), 4 * 60_000));
      log(`summary ${label}: buffered path …`);
      const d = await inChild<DirectResult>('direct', { file, reps: size.reps }, Math.min(deadline - Date.now(), 5 * 60_000));
      rmSync(file, { force: true });

      // Streamed path.
      const streamRatio = pairedRatio(st.stream, st.bareParse);
      const cpuRatio = pairedRatio(st.streamCpu, st.bareParse);
      const transferRatio = pairedRatio(st.transfer, st.bareParse);
      const transferCpuRatio = pairedRatio(st.transferCpu, st.bareParse);
      const nodeHttpRatio = pairedRatio(st.nodeHttp, st.bareParse);
      const inMemoryRatio = pairedRatio(st.inMemory, st.bareParse);
      const previousRatio = pairedRatio(st.bufferedHttp, st.bareParse);
      const sp = streamPeak(st);
      const bound = streamMemoryBound(size.hosts, size.steps);
      const streamOk = st.check.hosts === size.hosts && st.check.steps === size.steps && st.check.failedHosts === FAILING_HOSTS;
      // Buffered path (as before this change).
      const bare = median(d.bareParse);
      const path = median(d.path);
      const afterParse = d.path.map((p, i) => p - (d.envelope[i] ?? 0));
      const after = median(afterParse);
      const pathRatio = pairedRatio(d.path, d.bareParse);
      const afterRatio = pairedRatio(afterParse, d.bareParse);
      const envelope = median(d.envelope);
      const gcDebt = after - median(d.afterSettledParse);
      // The response string costs exactly its bytes (one-byte string); everything above the
      // loaded baseline is the path's own.
      const mem = d.memory;
      const rssPeak = mem.peakRss - mem.loadedRss + d.bytes;
      const heapPeak = mem.peakHeapAtStages - mem.baselineHeap;
      const peak = Math.max(rssPeak, heapPeak);
      const peakRatio = peak / d.bytes;
      const checkOk = d.check.hosts === size.hosts && d.check.steps === size.steps && d.check.failedHosts === FAILING_HOSTS;
      // The streamed message also carries the failing hosts' error lines (read as their logs pass),
      // which the buffered path never read: compare it without them.
      const sameMessage = JSON.stringify(d.check) === JSON.stringify(st.checkWithoutErrorLines);

      const rawEntry = {
        size,
        bytes: d.bytes,
        generateMs: round(written.ms),
        streamed: {
          bareParseMs: st.bareParse.map((x) => round(x)),
          streamMs: st.stream.map((x) => round(x)),
          ratioPerRepetition: st.stream.map((p, i) => round(p / (st.bareParse[i] ?? Number.NaN), 3)),
          cpuMs: st.streamCpu.map((x) => round(x)),
          transferOnlyMs: st.transfer.map((x) => round(x)),
          transferOnlyCpuMs: st.transferCpu.map((x) => round(x)),
          nodeHttpOnlyMs: st.nodeHttp.map((x) => round(x)),
          fedFromMemoryMs: st.inMemory.map((x) => round(x)),
          previousBotOverHttpMs: st.bufferedHttp.map((x) => round(x)),
          coldMs: round(st.coldMs),
          memory: { ...st.memory, peakGrowth: sp.peak, rssGrowth: sp.rss, heapGrowth: sp.heap, bound },
          hostLog: st.hostLog,
          check: st.check,
          checkOk: streamOk,
        },
        buffered: {
          repetitions: d.bareParse.length,
          bareParseMs: d.bareParse.map((x) => round(x)),
          pathMs: d.path.map((x) => round(x)),
          stageMs: {
            envelope: d.envelope.map((x) => round(x)),
            validate: d.validate.map((x) => round(x)),
            build: d.build.map((x) => round(x)),
            render: d.render.map((x) => round(x)),
            byteLength: d.byteLength.map((x) => round(x)),
            afterSettledParse: d.afterSettledParse.map((x) => round(x)),
          },
          coldRunMs: Object.fromEntries(Object.entries(d.coldMs).map(([k, v]) => [k, round(v)])),
          memory: { ...mem, rssPeakAboveLoadedPlusResponse: rssPeak, heapPeakAboveBaseline: heapPeak },
          profile: d.profile,
          check: d.check,
          checkOk,
        },
        sameMessage,
      };
      raw.push(rawEntry);
      const streamTarget = size.streamTarget === null ? null : { max: size.streamTarget };
      results.push(result(`summary.stream.${id}`, 'streamed path (loopback HTTP → message) / bare JSON.parse', streamRatio, `${fmtMs(median(st.stream))} vs ${fmtMs(median(st.bareParse))}`, streamTarget, rawEntry.streamed));
      results.push(result(`summary.stream_cpu.${id}`, 'CPU time of the bot process during the streamed path / bare JSON.parse', cpuRatio, `${fmtMs(median(st.streamCpu))} vs ${fmtMs(median(st.bareParse))}`, null, {}));
      results.push(result(`summary.transfer_only.${id}`, 'receiving the same bytes over the same loopback through BkTransport.callStreaming into a reader that drops them / bare JSON.parse (the floor of the streamed path)', transferRatio, `${fmtMs(median(st.transfer))} (CPU ${fmtMs(median(st.transferCpu))}) vs ${fmtMs(median(st.bareParse))}`, null, {}));
      results.push(result(`summary.transfer_only_cpu.${id}`, 'CPU time of the bot process while only receiving (as transfer_only) / bare JSON.parse', transferCpuRatio, `${fmtMs(median(st.transferCpu))} vs ${fmtMs(median(st.bareParse))}`, null, {}));
      results.push(result(`summary.node_http_only.${id}`, "receiving the same bytes with Node's own http client (keep-alive, no axios, data dropped) / bare JSON.parse (the floor of any HTTP path here)", nodeHttpRatio, `${fmtMs(median(st.nodeHttp))} vs ${fmtMs(median(st.bareParse))}`, null, {}));
      results.push(result(`summary.fed_from_memory.${id}`, 'the same scanner → summary → message fed the same bytes from memory in 64 KiB chunks (no network) / bare JSON.parse', inMemoryRatio, `${fmtMs(median(st.inMemory))} vs ${fmtMs(median(st.bareParse))}`, null, {}));
      results.push(result(`summary.previous_bot.${id}`, 'the previous bot end to end (axios text → JSON.parse → tree parser → message) / bare JSON.parse', previousRatio, `${fmtMs(median(st.bufferedHttp))} vs ${fmtMs(median(st.bareParse))}`, null, {}));
      results.push(
        result(`summary.stream_memory.${id}`, 'peak memory growth of the streamed path / (32 MiB + 200 B × host entries)', sp.peak / bound, `${fmtBytes(sp.peak)} (RSS ${fmtBytes(sp.rss)}, heap ${fmtBytes(sp.heap)}) for ${fmtBytes(d.bytes)}; bound ${fmtBytes(bound)}`, { max: 1 }, {
          peakBytes: sp.peak,
          rssGrowthBytes: sp.rss,
          heapGrowthBytes: sp.heap,
          boundBytes: bound,
          responseBytes: d.bytes,
        }),
      );
      results.push(result(`summary.whole_path.${id}`, 'buffered path (string → message) / bare JSON.parse', pathRatio, `${fmtMs(path)} vs ${fmtMs(bare)}`, size.logBytes === 2048 ? TIME_TARGET : null, { bareParseMs: round(bare), pathMs: round(path) }));
      results.push(result(`summary.after_parse.${id}`, '(validate+build+render) / bare JSON.parse', afterRatio, `${fmtMs(after)} vs ${fmtMs(bare)}`, null, { afterParseMs: round(after), bareParseMs: round(bare) }));
      results.push(
        result(`summary.peak_memory.${id}`, 'peak memory of the buffered path (response string included) / response bytes', peakRatio, `${fmtBytes(peak)} for ${fmtBytes(d.bytes)}`, size.logBytes === 2048 ? MEMORY_TARGET : null, {
          peakBytes: peak,
          responseBytes: d.bytes,
          rssPeakRatio: round(rssPeak / d.bytes, 3),
          heapPeakRatio: round(heapPeak / d.bytes, 3),
        }),
      );
      if (st.hostLog) {
        const ratio = pairedRatio(st.hostLog.streamMs, st.hostLog.todayHttpMs);
        const inMemoryRatio = pairedRatio(st.hostLog.streamMs, st.hostLog.todayMs);
        results.push(result(`summary.host_log.${id}`, 'host-log click, streamed / the previous bot (axios text → JSON.parse → extractV2HostLog), both over loopback HTTP', ratio, `${fmtMs(median(st.hostLog.streamMs))} vs ${fmtMs(median(st.hostLog.todayHttpMs))}`, HOST_LOG_TARGET, st.hostLog));
        results.push(result(`summary.host_log_vs_string.${id}`, 'host-log click, streamed / JSON.parse + extractV2HostLog of the string already in memory (no download)', inMemoryRatio, `${fmtMs(median(st.hostLog.streamMs))} vs ${fmtMs(median(st.hostLog.todayMs))}`, null, {}));
        clicks.push([label, fmtBytes(st.hostLog.bytes), fmtMs(median(st.hostLog.streamMs)), fmtMs(median(st.hostLog.todayHttpMs)), fmtRatio(ratio), `≤ ${HOST_LOG_TARGET.max}×`, fmtMs(median(st.hostLog.todayMs)), fmtRatio(inMemoryRatio)]);
      }

      streamRows.push([
        label,
        fmtBytes(d.bytes),
        fmtMs(median(st.bareParse)),
        fmtMs(median(st.stream)),
        fmtRatio(streamRatio),
        size.streamTarget === null ? 'info' : `≤ ${size.streamTarget}×`,
        fmtRatio(cpuRatio),
        `${fmtRatio(transferRatio)} (${fmtRatio(transferCpuRatio)})`,
        fmtRatio(nodeHttpRatio),
        `${fmtMs(median(st.inMemory))} (${fmtRatio(inMemoryRatio)})`,
        `${fmtMs(median(st.bufferedHttp))} (${fmtRatio(previousRatio)})`,
        fmtBytes(sp.peak),
        `${fmtBytes(sp.rss)} / ${fmtBytes(sp.heap)}`,
        fmtBytes(bound),
        fmtMs(path),
        fmtRatio(pathRatio),
        fmtBytes(peak),
        fmtRatio(peakRatio),
      ]);
      const pct = (ms: number) => `${Math.round((ms / path) * 100)}%`;
      split.push([
        label,
        `${fmtMs(envelope)} (${pct(envelope)})`,
        fmtMs(median(d.byteLength)),
        `${fmtMs(median(d.validate))} (${pct(median(d.validate))})`,
        gcDebt > 0 ? fmtMs(gcDebt) : '~0',
        fmtMs(median(d.build)),
        fmtMs(median(d.render)),
        fmtMs(d.coldMs.total),
      ]);
      if (d.profile && size.logBytes === 2048 && pathRatio > TIME_TARGET.max) profiles.push(formatProfile(`${label}: profile of one buffered-path run`, d.profile, 8));
      if (!checkOk || !streamOk || !sameMessage) log(`summary ${label}: WARNING the summaries do not match the generated job: ${JSON.stringify({ buffered: d.check, streamed: st.check, streamedWithoutErrorLines: st.checkWithoutErrorLines })}`);
    }

    // 2 GB: generated on the fly by the server child, never held in memory or written to disk.
    const hugeLabel = `${HUGE_SIZE.hosts}×${HUGE_SIZE.steps}×${fmtBytes(HUGE_SIZE.logBytes)}`;
    if (deadline - Date.now() < 150_000) {
      log(`summary ${hugeLabel}: skipped, the time budget is spent`);
      results.push(result('summary.stream_memory.2gb', 'peak memory growth / bound', Number.NaN, 'skipped (time budget)', { max: 1 }, {}));
    } else {
      log(`summary ${hugeLabel}: streaming a ≈ 2 GB response generated on the fly …`);
      const options = { ...HUGE_SIZE, failingHosts: FAILING_HOSTS, seed: SEED };
      let hugeError: string | null = null;
      let h: StreamResult | null = null;
      try {
        h = await streamed({ generate: options }, { file: null, reps: 0, hostLog: null, hostLogReps: 0 }, Math.min(deadline - Date.now(), 6 * 60_000));
      } catch (err) {
        hugeError = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
      }
      const bound = streamMemoryBound(HUGE_SIZE.hosts, HUGE_SIZE.steps);
      const bytes = estimatedBytes(HUGE_SIZE);
      if (h) {
        const sp = streamPeak(h);
        const ok = h.check.hosts === HUGE_SIZE.hosts && h.check.steps === HUGE_SIZE.steps && h.check.failedHosts === FAILING_HOSTS;
        raw.push({ size: HUGE_SIZE, approximateBytes: bytes, streamed: { coldMs: round(h.coldMs), memory: { ...h.memory, peakGrowth: sp.peak, rssGrowth: sp.rss, heapGrowth: sp.heap, bound }, check: h.check, checkOk: ok } });
        results.push(
          result('summary.stream_memory.2gb', 'peak memory growth of the streamed path / (32 MiB + 200 B × host entries), 2 GB response', sp.peak / bound, `${fmtBytes(sp.peak)} (RSS ${fmtBytes(sp.rss)}, heap ${fmtBytes(sp.heap)}) for ≈ ${fmtBytes(bytes)}; bound ${fmtBytes(bound)}`, { max: 1 }, {
            peakBytes: sp.peak,
            boundBytes: bound,
            summarised: ok,
          }),
        );
        results.push(result('summary.stream_time.2gb', 'streamed path, 2 GB response (info: includes the server generating it)', Number.NaN, `${fmtMs(h.coldMs)} (bot CPU ${fmtMs(h.coldCpuMs)}), ${ok ? 'summarised correctly' : 'WRONG summary'}`, null, { ms: round(h.coldMs), cpuMs: round(h.coldCpuMs), check: h.check }));
        huge = [`2 GB response (${hugeLabel}, ≈ ${fmtBytes(bytes)}, generated on the fly by the server child): summarised ${ok ? 'correctly' : 'WRONGLY'} in ${fmtMs(h.coldMs)} (bot CPU ${fmtMs(h.coldCpuMs)}); peak memory growth ${fmtBytes(sp.peak)} (RSS ${fmtBytes(sp.rss)}, heap ${fmtBytes(sp.heap)}), bound ${fmtBytes(bound)}.`];
      } else {
        results.push(result('summary.stream_memory.2gb', 'peak memory growth / bound, 2 GB response', Number.NaN, `failed: ${hugeError}`, { max: 1 }, { error: hugeError }));
        huge = [`2 GB response: FAILED: ${hugeError}`];
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = [
    'Summary path: streamed (the bot now) and buffered (before) against a bare JSON.parse of the same bytes; ratio = median over repetitions of the paired ratio.',
    table(streamRows),
    'streamed path: loopback HTTP from a server process (64 KiB writes) → BkTransport → v2stream.ts → summary → message (wall time, waiting on the server included). its CPU: the bot process\'s CPU time during it (all threads) / bare JSON.parse. transfer only: the same bytes received through BkTransport.callStreaming and dropped / bare JSON.parse (in brackets: the bot process\'s CPU while receiving), the floor of the bot\'s transport on this machine. Node http only: the same bytes received with Node\'s own http client (keep-alive, no axios) and dropped: the floor of any HTTP client here. fed from memory: the same scanner → summary → message fed the bytes from memory in 64 KiB chunks, no network (info). previous bot (HTTP): the path this replaces, end to end on the same loopback (axios text → JSON.parse → tree parser → message). peak growth: the larger of RSS growth (VmHWM) and sampled heap growth above the warmed-up baseline; bound = 32 MiB + 200 B × hosts × steps. buffered path: the response string → parseEnvelope → parseV2JobInstanceLog → build → render; its peak includes the string.',
    '',
    ...huge,
    '',
    'Host-log click (the response also carries every other host\'s log):',
    table(clicks),
    'streamed: loopback HTTP → scanner keeping one host\'s log. previous bot: axios text → JSON.parse → extractV2HostLog, over the same loopback. buffered, string in memory: the same without its download (favours it).',
    '',
    'Where the time goes in the buffered path (medians):',
    table(split),
    ...profiles,
  ].join('\n');
  return { results, report, raw };
}

/** Size of a generated response without generating it: from a small one, scaled per host entry. */
function estimatedBytes(size: { readonly hosts: number; readonly steps: number; readonly logBytes: number }): number {
  let small = 0;
  for (const piece of generateV2ResponseChunks({ ...size, hosts: 100, failingHosts: FAILING_HOSTS, seed: SEED })) small += Buffer.byteLength(piece);
  return Math.round((small / 100) * size.hosts);
}
