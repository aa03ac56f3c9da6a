/**
 * Benchmark 1: the bot's path from a v2 `get_job_instance_log` response (bytes) to the Slack
 * message — parseEnvelope (JSON.parse) + parseV2JobInstanceLog + buildJobSummary +
 * renderJobSummary — against a bare JSON.parse of the same bytes, and its peak memory against
 * the response size. Each size runs in fresh child processes (see summaryChild.ts).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateV2ResponseChunks } from '../src/dev/generate';
import { type BenchResult, ChildRpc, TS_NODE_ARGS, fmtBytes, fmtMs, fmtRatio, median, result, round, table } from './lib';
import type { DirectResult, TransportResult } from './summaryChild';

export interface SummarySize {
  readonly hosts: number;
  readonly steps: number;
  readonly logBytes: number;
  readonly reps: number;
}

export const SUMMARY_SIZES: readonly SummarySize[] = [
  { hosts: 100, steps: 20, logBytes: 2048, reps: 25 },
  { hosts: 1000, steps: 20, logBytes: 2048, reps: 9 },
  { hosts: 10_000, steps: 20, logBytes: 2048, reps: 3 },
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

export async function runSummaryBench(log: (line: string) => void, deadline: number): Promise<SummaryOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'joblog-bench-'));
  const results: BenchResult[] = [];
  const raw: unknown[] = [];
  const rows: string[][] = [['hosts×steps', 'bytes', 'bare JSON.parse', 'whole path', 'ratio', 'after parse', 'ratio', 'peak RSS − base', '×size', 'via axios', '×size']];
  const split: string[][] = [['hosts×steps', 'envelope (JSON.parse+byteLength)', 'of which byteLength', 'validate (v2.ts)', 'build', 'render', 'cold total']];
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
        transportError = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      }
      rmSync(file, { force: true });

      const bare = median(d.bareParse);
      const path = median(d.path);
      const after = median(d.path.map((p, i) => p - (d.envelope[i] ?? 0)));
      const envelope = median(d.envelope);
      const peak = d.memory.peakRss - d.memory.baselineRss;
      const peakRatio = peak / d.bytes;
      const transportPeak = t ? t.memory.peakRss - t.memory.baselineRss : Number.NaN;
      const expectedHosts = size.hosts;
      const checkOk = d.check.hosts === expectedHosts && d.check.steps === size.steps && d.check.failedHosts === 3;

      const rawEntry = {
        size,
        bytes: d.bytes,
        generateMs: round(written.ms),
        repetitions: d.bareParse.length,
        bareParseMs: d.bareParse.map((x) => round(x)),
        pathMs: d.path.map((x) => round(x)),
        stageMs: {
          envelope: d.envelope.map((x) => round(x)),
          validate: d.validate.map((x) => round(x)),
          build: d.build.map((x) => round(x)),
          render: d.render.map((x) => round(x)),
          byteLength: d.byteLength.map((x) => round(x)),
        },
        coldRunMs: Object.fromEntries(Object.entries(d.coldMs).map(([k, v]) => [k, round(v)])),
        memory: d.memory,
        check: d.check,
        checkOk,
        transport: t ?? { error: transportError },
        rejectedByDefaultLimit: d.bytes > DEFAULT_MAX_RESPONSE_BYTES,
      };
      raw.push(rawEntry);
      results.push(result(`summary.whole_path.${size.hosts}_hosts`, 'whole path / bare JSON.parse', path / bare, `${fmtMs(path)} vs ${fmtMs(bare)}`, TIME_TARGET, rawEntry));
      results.push(result(`summary.after_parse.${size.hosts}_hosts`, '(validate+build+render) / bare JSON.parse', after / bare, `${fmtMs(after)} vs ${fmtMs(bare)}`, null, { afterParseMs: round(after), bareParseMs: round(bare) }));
      results.push(
        result(`summary.peak_memory.${size.hosts}_hosts`, 'peak RSS above the pre-load baseline / response bytes', peakRatio, `${fmtBytes(peak)} for ${fmtBytes(d.bytes)}`, MEMORY_TARGET, {
          peakRssBytes: peak,
          responseBytes: d.bytes,
          source: d.memory.peakSource,
          loadedRssAboveBaseline: d.memory.loadedRss - d.memory.baselineRss,
          heapPeakAtStagesAboveBaseline: d.memory.peakHeapAtStages - d.memory.baselineHeap,
        }),
      );
      results.push(
        result(`summary.peak_memory_via_axios.${size.hosts}_hosts`, 'peak RSS of BkTransport→summary→render / response bytes (info)', transportPeak / d.bytes, t ? `${fmtBytes(transportPeak)} in ${fmtMs(t.ms)}` : `failed: ${transportError}`, null, {
          peakRssBytes: transportPeak,
          responseBytes: d.bytes,
        }),
      );

      rows.push([
        label,
        fmtBytes(d.bytes),
        fmtMs(bare),
        fmtMs(path),
        fmtRatio(path / bare),
        fmtMs(after),
        fmtRatio(after / bare),
        fmtBytes(peak),
        fmtRatio(peakRatio),
        t ? fmtBytes(transportPeak) : 'failed',
        fmtRatio(transportPeak / d.bytes),
      ]);
      split.push([
        label,
        `${fmtMs(envelope)} (${Math.round((envelope / path) * 100)}%)`,
        fmtMs(median(d.byteLength)),
        `${fmtMs(median(d.validate))} (${Math.round((median(d.validate) / path) * 100)}%)`,
        fmtMs(median(d.build)),
        fmtMs(median(d.render)),
        fmtMs(d.coldMs.total),
      ]);
      if (!checkOk) log(`summary ${label}: WARNING the summary does not match the generated job: ${JSON.stringify(d.check)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = [
    'Summary path (median of repetitions; ratio = whole path / bare JSON.parse; target ≤ 1.5×; memory target ≤ 3× response bytes)',
    table(rows),
    '',
    'Where the time goes (medians):',
    table(split),
  ].join('\n');
  return { results, report, raw };
}
