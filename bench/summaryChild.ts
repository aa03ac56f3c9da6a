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
import type { AddressInfo } from 'node:net';
import type { AxiosResponse } from 'axios';
import { V2JobLogSource } from '../src/bkjob/source';
import { BkTransport, parseEnvelope } from '../src/bkjob/transport';
import { parseV2JobInstanceLog } from '../src/bkjob/v2';
import { type RenderOptions, renderJobSummary } from '../src/blocks/jobSummary';
import { JobService } from '../src/jobService';
import { buildJobSummary } from '../src/summary/build';
import type { JobSummary } from '../src/summary/types';
import { forceGc, procStatus, resetPeakRss, serveRpc } from './lib';

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

  async start(): Promise<void> {
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

async function direct(params: DirectParams): Promise<DirectResult> {
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
  const hwmReset = resetPeakRss();
  sampler.reset();
  let peakHeap = heapNow();
  const t0 = performance.now();
  let envelope: ReturnType<typeof parseEnvelope> | null = parseEnvelope(fakeResponse(text));
  const t1 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  let job: ReturnType<typeof parseV2JobInstanceLog> | null = parseV2JobInstanceLog(envelope.data, REF, PARSE_OPTIONS);
  const t2 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  const summary = buildJobSummary(job);
  const t3 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  const message = renderJobSummary(summary, RENDER_OPTIONS);
  const t4 = performance.now();
  peakHeap = Math.max(peakHeap, heapNow());
  const peakRss = hwmReset ? procStatus().hwm : sampler.max;
  const pathCheck = check(summary, message.blocks.length, JSON.stringify(message).length);
  envelope = null;
  job = null;
  await sampler.stop();

  const result: DirectResult = {
    bytes,
    memory: { baselineRss, loadedRss, peakRss: Math.max(peakRss, loadedRss), peakSource: hwmReset ? 'VmHWM' : 'sampled', baselineHeap, peakHeapAtStages: peakHeap },
    coldMs: { envelope: t1 - t0, validate: t2 - t1, build: t3 - t2, render: t4 - t3, total: t4 - t0 },
    check: pathCheck,
    bareParse: [],
    path: [],
    envelope: [],
    validate: [],
    build: [],
    render: [],
    byteLength: [],
  };

  const timeBare = () => {
    forceGc();
    const start = performance.now();
    const parsed: unknown = JSON.parse(text);
    const ms = performance.now() - start;
    if (parsed === null) throw new Error('unexpected null');
    result.bareParse.push(ms);
  };
  const timePath = () => {
    forceGc();
    const a = performance.now();
    const env = parseEnvelope(fakeResponse(text));
    const b = performance.now();
    const parsedJob = parseV2JobInstanceLog(env.data, REF, PARSE_OPTIONS);
    const c = performance.now();
    const built = buildJobSummary(parsedJob);
    const d = performance.now();
    const rendered = renderJobSummary(built, RENDER_OPTIONS);
    const e = performance.now();
    if (rendered.blocks.length !== pathCheck.blocks) throw new Error('render changed between runs');
    result.path.push(e - a);
    result.envelope.push(b - a);
    result.validate.push(c - b);
    result.build.push(d - c);
    result.render.push(e - d);
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
    const s = performance.now();
    Buffer.byteLength(text);
    result.byteLength.push(performance.now() - s);
  }
  return result;
}

async function transport(params: { readonly file: string }): Promise<TransportResult> {
  const size = statSync(params.file).size;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(size) });
    createReadStream(params.file, { highWaterMark: 64 * 1024 }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const jobs = new JobService(
    new V2JobLogSource(
      new BkTransport({ baseUrl: `http://127.0.0.1:${port}`, credentials: { appCode: 'bench', appSecret: 'bench' }, timeoutMs: 600_000, maxResponseBytes: 4 * 1024 ** 3, auth: 'esb' }),
      PARSE_OPTIONS,
    ),
  );
  const sampler = new RssSampler();
  await sampler.start();
  forceGc();
  const baselineRss = procStatus().rss;
  const baselineHeap = heapNow();
  const hwmReset = resetPeakRss();
  sampler.reset();
  const start = performance.now();
  const summary = await jobs.summarize({ kind: 'username', username: 'alice' }, REF);
  const message = renderJobSummary(summary, RENDER_OPTIONS);
  const ms = performance.now() - start;
  const peakHeap = heapNow();
  const peakRss = hwmReset ? procStatus().hwm : sampler.max;
  await sampler.stop();
  server.close();
  return { bytes: size, memory: { baselineRss, peakRss, peakSource: hwmReset ? 'VmHWM' : 'sampled', baselineHeap, peakHeapAtStages: peakHeap }, ms, check: check(summary, message.blocks.length, JSON.stringify(message).length) };
}

serveRpc({ direct, transport });
