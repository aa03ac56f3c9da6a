/**
 * Benchmark 1: the bot's path from a v2 `get_job_instance_log` response (bytes) to the Slack
 * message — parseEnvelope (JSON.parse) + parseV2JobInstanceLog + buildJobSummary +
 * renderJobSummary — against a bare JSON.parse of the same bytes, and its peak memory against
 * the response size. Each size runs in fresh child processes (see summaryChild.ts).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateV2ResponseChunks } from '../dev/generate';
import { type BenchResult, ChildRpc, TS_NODE_ARGS, fmtBytes, fmtMs, fmtRatio, formatProfile, median, result, round, table } from './lib';
import type { DirectResult, TransportResult } from './summaryChild';

export interface SummarySize {
  readonly hosts: number;
  readonly steps: number;
  readonly logBytes: number;
  readonly reps: number;
}

export const SUMMARY_SIZES: readonly SummarySize[] = [
  { hosts: 100, steps: 20, logBytes: 2048, reps: 61 },
  { hosts: 1000, steps: 20, logBytes: 2048, reps: 15 },
  { hosts: 10_000, steps: 20, logBytes: 2048, reps: 5 },
];

const TIME_TARGET = { max: 1.5 };
const MEMORY_TARGET = { max: 3 };
/** BK_MAX_RESPONSE_MB default (src/config.ts). */
const DEFAULT_MAX_RESPONSE_BYTES = 200 * 1024 * 1024;

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
    for (const piece of generateV2ResponseChunks({ hosts: size.hosts, steps: size.steps, logBytes: size.logBytes, failingHosts: 3, seed: 7 })) {
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

async function inChild<T>(cmd: 'direct' | 'transport', params: unknown, timeoutMs: number): Promise<T> {
  const child = ChildRpc.start(join(__dirname, 'summaryChild.ts'), CHILD_ARGS);
  try {
    return await child.call<T>(cmd, params, timeoutMs);
  } finally {
    await child.close();
  }
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
  const rows: string[][] = [
    ['hosts×steps', 'bytes', 'bare JSON.parse', 'whole path', 'ratio', 'after parse', 'ratio', 'peak', '×size', 'RSS ×size', 'heap ×size', 'via axios', '×size'],
  ];
  const split: string[][] = [['hosts×steps', 'parseEnvelope', '…of which byteLength', 'validate (v2.ts)', '…of which GC of fresh tree', 'build', 'render', 'cold run']];
  try {
    for (const size of SUMMARY_SIZES) {
      const label = `${size.hosts}×${size.steps}`;
      const remaining = deadline - Date.now();
      if (remaining < 60_000) {
        log(`summary ${label}: skipped, the time budget is spent`);
        results.push(result(`summary.whole_path.${size.hosts}_hosts`, 'whole path / bare JSON.parse', Number.NaN, 'skipped (time budget)', TIME_TARGET, {}));
        continue;
      }
      const file = join(dir, `v2-${size.hosts}x${size.steps}.json`);
      const written = writeResponse(file, size);
      log(`summary ${label}: generated ${fmtBytes(written.bytes)} in ${fmtMs(written.ms)}; timing ${size.reps} repetitions …`);
      const d = await inChild<DirectResult>('direct', { file, reps: size.reps }, Math.min(remaining, 5 * 60_000));
      log(`summary ${label}: measuring the axios path …`);
      let t: TransportResult | null = null;
      let transportError: string | null = null;
      try {
        t = await inChild<TransportResult>('transport', { file }, Math.min(deadline - Date.now(), 3 * 60_000));
      } catch (err) {
        transportError = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
      }
      rmSync(file, { force: true });

      const bare = median(d.bareParse);
      const path = median(d.path);
      const afterParse = d.path.map((p, i) => p - (d.envelope[i] ?? 0));
      const after = median(afterParse);
      const pathRatio = pairedRatio(d.path, d.bareParse);
      const afterRatio = pairedRatio(afterParse, d.bareParse);
      const envelope = median(d.envelope);
      const gcDebt = after - median(d.afterSettledParse);
      // The response string costs exactly its bytes (one-byte string); everything above the
      // loaded baseline is the path's own. Reading the file may leave allocator slack in the
      // loaded baseline, so the raw "peak − pre-load baseline" is kept too.
      const mem = d.memory;
      const rssPeak = mem.peakRss - mem.loadedRss + d.bytes;
      const heapPeak = mem.peakHeapAtStages - mem.baselineHeap;
      // Judged on the larger of the two readings: RSS misses allocations that land in memory V8
      // already holds (small responses), the heap reading misses transients inside a stage.
      const peak = Math.max(rssPeak, heapPeak);
      const peakRatio = peak / d.bytes;
      const transportPeak = t ? t.memory.peakRss - t.memory.baselineRss : Number.NaN;
      const checkOk = d.check.hosts === size.hosts && d.check.steps === size.steps && d.check.failedHosts === 3;

      const rawEntry = {
        size,
        bytes: d.bytes,
        generateMs: round(written.ms),
        repetitions: d.bareParse.length,
        bareParseMs: d.bareParse.map((x) => round(x)),
        pathMs: d.path.map((x) => round(x)),
        pathRatioPerRepetition: d.path.map((p, i) => round(p / (d.bareParse[i] ?? Number.NaN), 3)),
        stageMs: {
          envelope: d.envelope.map((x) => round(x)),
          validate: d.validate.map((x) => round(x)),
          build: d.build.map((x) => round(x)),
          render: d.render.map((x) => round(x)),
          byteLength: d.byteLength.map((x) => round(x)),
          afterSettledParse: d.afterSettledParse.map((x) => round(x)),
        },
        coldRunMs: Object.fromEntries(Object.entries(d.coldMs).map(([k, v]) => [k, round(v)])),
        memory: { ...mem, rssPeakAboveLoadedPlusResponse: rssPeak, peakAbovePreLoadBaseline: mem.peakRss - mem.baselineRss, heapPeakAboveBaseline: heapPeak },
        profile: d.profile,
        check: d.check,
        checkOk,
        transport: t ?? { error: transportError },
        rejectedByDefaultLimit: d.bytes > DEFAULT_MAX_RESPONSE_BYTES,
      };
      raw.push(rawEntry);
      results.push(result(`summary.whole_path.${size.hosts}_hosts`, 'whole path / bare JSON.parse', pathRatio, `${fmtMs(path)} vs ${fmtMs(bare)}`, TIME_TARGET, rawEntry));
      results.push(result(`summary.after_parse.${size.hosts}_hosts`, '(validate+build+render) / bare JSON.parse', afterRatio, `${fmtMs(after)} vs ${fmtMs(bare)}`, null, { afterParseMs: round(after), bareParseMs: round(bare) }));
      results.push(
        result(`summary.peak_memory.${size.hosts}_hosts`, 'peak memory of the path (max of RSS and heap readings, response string included) / response bytes', peakRatio, `${fmtBytes(peak)} for ${fmtBytes(d.bytes)}`, MEMORY_TARGET, {
          peakBytes: peak,
          responseBytes: d.bytes,
          rssSource: mem.peakSource,
          rssPeakRatio: round(rssPeak / d.bytes, 3),
          heapPeakRatio: round(heapPeak / d.bytes, 3),
          peakAbovePreLoadBaselineRatio: round((mem.peakRss - mem.baselineRss) / d.bytes, 3),
          newSpaceGrowthBytes: mem.newSpaceGrowth ?? null,
        }),
      );
      results.push(
        result(`summary.peak_memory_via_axios.${size.hosts}_hosts`, 'peak RSS of BkTransport (axios) → summary → render / response bytes', transportPeak / d.bytes, t ? `${fmtBytes(transportPeak)}, ${fmtMs(t.ms)}` : `failed: ${transportError}`, null, {
          peakRssBytes: transportPeak,
          responseBytes: d.bytes,
        }),
      );

      rows.push([
        label,
        fmtBytes(d.bytes),
        fmtMs(bare),
        fmtMs(path),
        fmtRatio(pathRatio),
        fmtMs(after),
        fmtRatio(afterRatio),
        fmtBytes(peak),
        fmtRatio(peakRatio),
        fmtRatio(rssPeak / d.bytes),
        fmtRatio(heapPeak / d.bytes),
        t ? fmtBytes(transportPeak) : 'failed',
        fmtRatio(transportPeak / d.bytes),
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
      if (d.profile && pathRatio > TIME_TARGET.max) profiles.push(formatProfile(`${label}: profile of one whole-path run`, d.profile, 8));
      if (peakRatio > MEMORY_TARGET.max && mem.newSpaceGrowth !== undefined) {
        profiles.push(
          `${label}: peak ${fmtBytes(peak)} for ${fmtBytes(d.bytes)} (RSS ${fmtRatio(rssPeak / d.bytes)}, heap ${fmtRatio(heapPeak / d.bytes)}); V8's young generation grew by ${fmtBytes(mem.newSpaceGrowth)} during the run (a fixed cost, not proportional to the response).`,
        );
      }
      if (!checkOk) log(`summary ${label}: WARNING the summary does not match the generated job: ${JSON.stringify(d.check)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = [
    'Summary path: ratio = median over repetitions of (whole path / bare JSON.parse of the same bytes), target ≤ 1.5×; peak memory of one run (response string included), target ≤ 3× response bytes',
    table(rows),
    'RSS ×size: response bytes + RSS growth above the loaded baseline (kernel VmHWM). heap ×size: heapUsed+external at stage boundaries above the pre-load baseline. peak = the larger. via axios: the real BkTransport over loopback HTTP (chunks + Buffer.concat + toString + JSON.parse), peak RSS above the pre-request baseline, info only.',
    '',
    'Where the time goes (medians):',
    table(split),
    'GC of fresh tree: validate+build+render on a fresh parse tree minus the same on a tree a full GC already promoted — the young-generation GC work the path pays for JSON.parse\'s output.',
    ...profiles,
  ].join('\n');
  return { results, report, raw };
}
