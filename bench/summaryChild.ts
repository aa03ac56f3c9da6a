/**
 * Child process of the summary benchmark (one fresh process per response size and mode, so one
 * size's garbage and heap growth never shows in another's memory reading).
 *
 *   direct     reads the generated v2 response from a file into a string (as axios hands it to
 *              parseEnvelope), then: one cold run of the bot's path with a peak-memory reading,
 *              then timed repetitions of bare JSON.parse against the whole path.
 *   transport  serves the file over loopback HTTP and runs the real BkTransport (axios) →
 *              V2JobLogSource → JobService.summarize → renderJobSummary, for its peak memory.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { getHeapSpaceStatistics } from 'node:v8';
import type { AddressInfo } from 'node:net';
import type { AxiosResponse } from 'axios';
import { V2JobLogSource } from '../src/bkjob/source';
import { generateV2Response } from '../dev/generate';
import { BkTransport, parseEnvelope } from '../src/bkjob/transport';
import { parseV2JobInstanceLog } from '../src/bkjob/v2';
import { type RenderOptions, renderJobSummary } from '../src/blocks/jobSummary';
import { JobService } from '../src/jobService';
import { buildJobSummary } from '../src/summary/build';
import type { JobSummary } from '../src/summary/types';
import { type ProfileSummary, forceGc, procStatus, profiled, resetPeakRss, serveRpc } from './lib';

const REF = { bizId: 3, jobInstanceId: 2001899999 };
const PARSE_OPTIONS = { defaultOffsetMinutes: 480 };
const RENDER_OPTIONS: RenderOptions = { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/2001899999', now: Date.UTC(2024, 5, 11, 4), watching: false };

export interface DirectParams {
  readonly file: string;
  readonly reps: number;
}

export interface MemoryReading {
  /** RSS when the child started (before the response was loaded). */
  readonly baselineRss: number;
  /** RSS with the response string loaded (after GC). */
  readonly loadedRss: number;
  /** Peak RSS during the run (VmHWM after a reset, or the sampled maximum when the reset is not allowed). */
  readonly peakRss: number;
  readonly peakSource: 'VmHWM' | 'sampled';
  /** heapUsed + external at the baseline and at the largest stage boundary (no GC in between). */
  readonly baselineHeap: number;
  readonly peakHeapAtStages: number;
  /** Growth of V8's young generation during the run: a fixed cost that dominates small responses. */
  readonly newSpaceGrowth?: number;
}

export interface PathCheck {
  readonly steps: number;
  readonly hosts: number;
  readonly state: string;
  readonly failedHosts: number;
  readonly blocks: number;
  readonly textChars: number;
}

export interface DirectResult {
  readonly bytes: number;
  readonly memory: MemoryReading;
  readonly coldMs: { readonly envelope: number; readonly validate: number; readonly build: number; readonly render: number; readonly total: number };
  readonly check: PathCheck;
  /** Per repetition, ms. */
  readonly bareParse: number[];
  readonly path: number[];
  readonly envelope: number[];
  readonly validate: number[];
  readonly build: number[];
  readonly render: number[];
  readonly byteLength: number[];
  /** validate+build+render on an already GC-settled parse tree, ms. */
  readonly afterSettledParse: number[];
  profile: ProfileSummary | null;
}

export interface TransportResult {
  readonly bytes: number;
  readonly memory: Omit<MemoryReading, 'loadedRss'>;
  readonly ms: number;
  readonly check: PathCheck;
}

const heapNow = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

function fakeResponse(text: string): AxiosResponse<string> {
  // parseEnvelope reads data, status and headers only.
  return { data: text, status: 200, statusText: 'OK', headers: { 'content-type': 'application/json' }, config: {} } as unknown as AxiosResponse<string>;
}

function check(summary: JobSummary, blocks: number, textChars: number): PathCheck {
  return { steps: summary.steps.length, hosts: summary.hostCount, state: summary.state, failedHosts: summary.steps.reduce((n, s) => n + s.failedHostCount, 0), blocks, textChars };
}

/**
 * Samples RSS from a worker thread every millisecond while the main thread is blocked in
 * JSON.parse: a cross-check of VmHWM, and the fallback where /proc/self/clear_refs is read-only.
 */
class RssSampler {
  private readonly shared = new Float64Array(new SharedArrayBuffer(16));
  private worker: import('node:worker_threads').Worker | undefined;

  /** Starts sampling unless VmHWM can be reset (then the kernel's exact peak is used, and no thread adds noise). */
  async start(): Promise<void> {
    if (resetPeakRss()) return;
    const { Worker } = await import('node:worker_threads');
    const code = `
      const { workerData } = require('node:worker_threads');
      const shared = new Float64Array(workerData);
      setInterval(() => { const rss = process.memoryUsage.rss(); if (rss > shared[0]) shared[0] = rss; }, 1);
    `;
    this.worker = new Worker(code, { eval: true, workerData: this.shared.buffer });
    this.worker.unref();
  }

  reset(): void {
    this.shared[0] = process.memoryUsage.rss();
  }

  get max(): number {
    return Math.max(this.shared[0] ?? 0, process.memoryUsage.rss());
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}

interface ColdRun {
  readonly peakRss: number;
  readonly peakSource: MemoryReading['peakSource'];
  readonly peakHeap: number;
  readonly newSpaceGrowth: number;
  readonly ms: DirectResult['coldMs'];
  readonly check: PathCheck;
}

const newSpaceSize = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;

/** The first run of the path, alone, with its memory peak. References die with this frame. */
function coldRun(text: string, sampler: RssSampler): ColdRun {
  const hwmReset = resetPeakRss();
  sampler.reset();
  const newSpaceBefore = newSpaceSize();
  let peakHeap = heapNow();
  const t0 = performance.now();
  const envelope = parseEnvelope(fakeResponse(text));
  const t1 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  const job = parseV2JobInstanceLog(envelope.data, REF, PARSE_OPTIONS);
  const t2 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  const summary = buildJobSummary(job);
  const t3 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  const message = renderJobSummary(summary, RENDER_OPTIONS);
  const t4 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  return {
    peakRss: hwmReset ? procStatus().hwm : sampler.max,
    peakSource: hwmReset ? 'VmHWM' : 'sampled',
    peakHeap,
    newSpaceGrowth: newSpaceSize() - newSpaceBefore,
    ms: { envelope: t1 - t0, validate: t2 - t1, build: t3 - t2, render: t4 - t3, total: t4 - t0 },
    check: check(summary, message.blocks.length, JSON.stringify(message).length),
  };
}

/**
 * Runs the path on a tiny response until it is compiled, so the memory reading is not charged
 * with JIT code and feedback a running bot already has.
 */
function warmUp(): void {
  const tiny = generateV2Response({ hosts: 3, steps: 3, logBytes: 128, failingHosts: 1, seed: 3 });
  for (let i = 0; i < 200; i++) renderJobSummary(buildJobSummary(parseV2JobInstanceLog(parseEnvelope(fakeResponse(tiny)).data, REF, PARSE_OPTIONS)), RENDER_OPTIONS);
}

async function direct(params: DirectParams): Promise<DirectResult> {
  warmUp();
  const sampler = new RssSampler();
  await sampler.start();
  forceGc();
  const baselineRss = procStatus().rss;
  const baselineHeap = heapNow();

  const text = readFileSync(params.file, 'utf8');
  const bytes = Buffer.byteLength(text);
  forceGc();
  const loadedRss = procStatus().rss;

  // One cold run, alone, for the memory peak (repetitions would only add garbage to the heap).
  const cold = coldRun(text, sampler);
  await sampler.stop();

  const result: DirectResult = {
    bytes,
    memory: {
      baselineRss,
      loadedRss,
      peakRss: Math.max(cold.peakRss, loadedRss),
      peakSource: cold.peakSource,
      baselineHeap,
      peakHeapAtStages: cold.peakHeap,
      newSpaceGrowth: cold.newSpaceGrowth,
    },
    coldMs: cold.ms,
    check: cold.check,
    bareParse: [],
    path: [],
    envelope: [],
    validate: [],
    build: [],
    render: [],
    byteLength: [],
    afterSettledParse: [],
    profile: null,
  };

  const timeBare = () => {
    forceGc();
    const start = performance.now();
    const parsed: unknown = JSON.parse(text);
    const ms = performance.now() - start;
    if (parsed === null) throw new Error('unexpected null');
    result.bareParse.push(ms);
  };
  const runPath = () => {
    const a = performance.now();
    const env = parseEnvelope(fakeResponse(text));
    const b = performance.now();
    const parsedJob = parseV2JobInstanceLog(env.data, REF, PARSE_OPTIONS);
    const c = performance.now();
    const built = buildJobSummary(parsedJob);
    const d = performance.now();
    const rendered = renderJobSummary(built, RENDER_OPTIONS);
    const e = performance.now();
    if (rendered.blocks.length !== cold.check.blocks) throw new Error('render changed between runs');
    return { a, b, c, d, e };
  };
  const timePath = () => {
    forceGc();
    const { a, b, c, d, e } = runPath();
    result.path.push(e - a);
    result.envelope.push(b - a);
    result.validate.push(c - b);
    result.build.push(d - c);
    result.render.push(e - d);
  };
  // validate+build+render on a tree that a full GC has already moved out of the young
  // generation: the difference to the in-path numbers is the GC cost of the fresh parse tree.
  const timeSettled = () => {
    forceGc();
    const body = JSON.parse(text) as { data: unknown };
    forceGc();
    const start = performance.now();
    renderJobSummary(buildJobSummary(parseV2JobInstanceLog(body.data, REF, PARSE_OPTIONS)), RENDER_OPTIONS);
    result.afterSettledParse.push(performance.now() - start);
  };
  for (let r = 0; r < params.reps; r++) {
    // Alternate the order so drift (heap growth, CPU frequency) does not favour one side.
    if (r % 2 === 0) {
      timeBare();
      timePath();
    } else {
      timePath();
      timeBare();
    }
    timeSettled();
    const s = performance.now();
    Buffer.byteLength(text);
    result.byteLength.push(performance.now() - s);
  }
  // Where the time goes inside the path: one more run under the sampling profiler.
  forceGc();
  result.profile = (await profiled(runPath, 100)).profile;
  return result;
}

async function transport(params: { readonly file: string }): Promise<TransportResult> {
  const size = statSync(params.file).size;
  const tiny = generateV2Response({ hosts: 3, steps: 3, logBytes: 128, failingHosts: 1, seed: 3 });
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/warm/')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(tiny)) });
      res.end(tiny);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(size) });
    createReadStream(params.file, { highWaterMark: 64 * 1024 }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const service = (base: string) =>
    new JobService(
      new V2JobLogSource(new BkTransport({ baseUrl: base, credentials: { appCode: 'bench', appSecret: 'bench' }, timeoutMs: 600_000, maxResponseBytes: 4 * 1024 ** 3, auth: 'esb' }), PARSE_OPTIONS),
    );
  const actor = { kind: 'username', username: 'alice' } as const;
  const warm = service(`http://127.0.0.1:${port}/warm`);
  for (let i = 0; i < 50; i++) renderJobSummary(await warm.summarize(actor, REF), RENDER_OPTIONS);
  const jobs = service(`http://127.0.0.1:${port}`);
  const sampler = new RssSampler();
  await sampler.start();
  forceGc();
  const baselineRss = procStatus().rss;
  const baselineHeap = heapNow();
  const hwmReset = resetPeakRss();
  sampler.reset();
  const start = performance.now();
  const summary = await jobs.summarize(actor, REF);
  const message = renderJobSummary(summary, RENDER_OPTIONS);
  const ms = performance.now() - start;
  const peakHeap = heapNow();
  const peakRss = hwmReset ? procStatus().hwm : sampler.max;
  await sampler.stop();
  server.close();
  return { bytes: size, memory: { baselineRss, peakRss, peakSource: hwmReset ? 'VmHWM' : 'sampled', baselineHeap, peakHeapAtStages: peakHeap }, ms, check: check(summary, message.blocks.length, JSON.stringify(message).length) };
}

serveRpc({ direct, transport });
