/**
 * Child process of the summary benchmark (one fresh process per response size and mode, so one
 * size's garbage and heap growth never shows in another's memory reading).
 *
 *   direct     reads the generated v2 response from a file into a string (as axios hands it to
 *              parseEnvelope), then: one cold run of the bot's path with a peak-memory reading,
 *              then timed repetitions of bare JSON.parse against the whole path.
 *   stream     the bot's path today: the response streamed over loopback HTTP by the server child
 *              (summaryServer.ts) into BkTransport → V2JobLogSource (v2stream.ts) → summary →
 *              message; its peak memory, then timings against a bare JSON.parse, and host-log
 *              clicks against the buffered JSON.parse + extractV2HostLog.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { getHeapSpaceStatistics } from 'node:v8';
import type { AxiosResponse } from 'axios';
import { V2JobLogSource } from '../src/bkjob/source';
import { GENERATED_FIRST_STEP_INSTANCE_ID, generateV2Response, generatedHostIp } from '../dev/generate';
import { BkTransport, parseEnvelope } from '../src/bkjob/transport';
import { V2_JOB_INSTANCE_LOG_PATH, extractV2HostLog, parseV2JobInstanceLog } from '../src/bkjob/v2';
import { type RenderOptions, renderJobSummary } from '../src/blocks/jobSummary';
import { buildJobSummary } from '../src/summary/build';
import { pickErrorLine } from '../src/summary/errorLine';
import type { JobSummary } from '../src/summary/types';
import type { JobInstance } from '../src/bkjob/model';
import { scanV2JobInstanceLog } from '../src/bkjob/v2stream';
import { type ProfileSummary, forceGc, procStatus, profiled, resetPeakRss, serveRpc } from './lib';

const REF = { bizId: 3, jobInstanceId: 2001899999 };
const PARSE_OPTIONS = { defaultOffsetMinutes: 480 };
/** The streamed path as app.ts builds it: a failing host's log tail reduced to its error line as it passes. */
const STREAM_OPTIONS = { ...PARSE_OPTIONS, reduceLogTail: pickErrorLine };
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

/** JS heap in use plus memory outside it (Buffers and other ArrayBuffers are part of `external`: Node's docs). */
const heapNow = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
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

/** Heap in use (JS heap + external + array buffers), sampled every millisecond while the event loop runs. */
class HeapSampler {
  max = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.max = heapNow();
    this.timer = setInterval(() => {
      const now = heapNow();
      if (now > this.max) this.max = now;
    }, 1);
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    return Math.max(this.max, heapNow());
  }
}

/**
 * The streaming path as the bot runs it: BkTransport (axios stream) → V2JobLogSource (scanner)
 * → buildJobSummary → renderJobSummary, the bytes coming from the server child over loopback.
 * One cold run for memory first (nothing else loaded), then, when the response also exists as a
 * file, timed repetitions paired with a bare JSON.parse of its text, and host-log clicks against
 * today's JSON.parse + extractV2HostLog.
 */
async function stream(params: StreamParams): Promise<StreamResult> {
  const transport = (base: string) => new BkTransport({ baseUrl: base, credentials: { appCode: 'bench', appSecret: 'bench' }, timeoutMs: 600_000, maxResponseBytes: 64 * 1024 ** 3, auth: 'esb' });
  const base = `http://127.0.0.1:${params.port}`;
  const source = new V2JobLogSource(transport(base), STREAM_OPTIONS);
  const warm = new V2JobLogSource(transport(`${base}/warm`), STREAM_OPTIONS);
  const actor = { kind: 'username', username: 'alice' } as const;
  const tinyRef = { job: REF, stepInstanceId: GENERATED_FIRST_STEP_INSTANCE_ID + 2, ip: generatedHostIp(0), bkCloudId: 0 };
  for (let i = 0; i < 200; i++) {
    renderJobSummary(buildJobSummary(await warm.getJobInstance(actor, REF)), RENDER_OPTIONS);
    if (params.hostLog) await warm.getHostLog(actor, tinyRef).catch(() => undefined);
  }
  // The previous bot: the whole body as text through axios (BkTransport.call), JSON.parse, the tree parser.
  const t = transport(base);
  const bufferedCall = () => t.call({ method: 'GET', path: V2_JOB_INSTANCE_LOG_PATH, actor, params: { bk_biz_id: REF.bizId, job_instance_id: REF.jobInstanceId } });
  const runPath = async () => {
    const job = await source.getJobInstance(actor, REF);
    const summary = buildJobSummary(job);
    const message = renderJobSummary(summary, RENDER_OPTIONS);
    return check(summary, message.blocks.length, JSON.stringify(message).length);
  };

  // Cold run, alone, for the memory peak.
  const sampler = new RssSampler();
  await sampler.start();
  forceGc();
  const baselineRss = procStatus().rss;
  const baselineHeap = heapNow();
  const heap = new HeapSampler();
  const hwmReset = resetPeakRss();
  sampler.reset();
  heap.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pathCheck = await runPath();
  const coldMs = performance.now() - t0;
  const coldCpu = process.cpuUsage(cpu0);
  const peakHeap = heap.stop();
  const peakRss = hwmReset ? procStatus().hwm : sampler.max;
  await sampler.stop();
  const result: StreamResult = {
    memory: { baselineRss, peakRss, peakSource: hwmReset ? 'VmHWM' : 'sampled', baselineHeap, peakHeapAtStages: peakHeap },
    coldMs,
    coldCpuMs: (coldCpu.user + coldCpu.system) / 1000,
    check: pathCheck,
    bareParse: [],
    stream: [],
    streamCpu: [],
    transfer: [],
    transferCpu: [],
    nodeHttp: [],
    inMemory: [],
    bufferedHttp: [],
    hostLog: null,
    // (Not for the 2 GB response: it would stream it again, and it has no buffered path to compare with.)
    checkWithoutErrorLines: params.file ? withoutErrorLines(await source.getJobInstance(actor, REF)) : pathCheck,
  };
  if (!params.file) return result;

  const bytes = readFileSync(params.file);
  const text = bytes.toString('utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024) chunks.push(bytes.subarray(at, at + 64 * 1024));
  const dropCall = () => t.callStreaming({ method: 'GET', path: V2_JOB_INSTANCE_LOG_PATH, actor, params: { bk_biz_id: REF.bizId, job_instance_id: REF.jobInstanceId } }, () => ({ push: () => undefined, finish: () => null }));
  await dropCall();
  // The floor below that: Node's own http client on a keep-alive connection, no axios, no transport.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const nodeHttpCall = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: params.port, path: V2_JOB_INSTANCE_LOG_PATH, agent }, (res) => {
          res.on('data', () => undefined);
          res.once('end', resolve);
          res.once('error', reject);
        })
        .once('error', reject);
    });
  await nodeHttpCall();
  forceGc();
  for (let r = 0; r < params.reps; r++) {
    const timeBare = () => {
      forceGc();
      const start = performance.now();
      const parsed: unknown = JSON.parse(text);
      result.bareParse.push(performance.now() - start);
      if (parsed === null) throw new Error('unexpected null');
    };
    const timeStream = async () => {
      forceGc();
      const cpu = process.cpuUsage();
      const start = performance.now();
      await runPath();
      result.stream.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      result.streamCpu.push((used.user + used.system) / 1000);
    };
    // The floor: the same bytes over the same loopback through the same transport stack
    // (BkTransport.callStreaming, as the bot reads them), handed to a reader that drops them.
    const timeTransfer = async () => {
      forceGc();
      const cpu = process.cpuUsage();
      const start = performance.now();
      await dropCall();
      result.transfer.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      result.transferCpu.push((used.user + used.system) / 1000);
    };
    const timeNodeHttp = async () => {
      forceGc();
      const start = performance.now();
      await nodeHttpCall();
      result.nodeHttp.push(performance.now() - start);
    };
    // The bot's work without the network: the scanner fed the same bytes from memory in 64 KiB
    // chunks (what arrives over loopback), then summary and message.
    const timeInMemory = () => {
      forceGc();
      const start = performance.now();
      const job = scanV2JobInstanceLog(chunks, REF, STREAM_OPTIONS);
      renderJobSummary(buildJobSummary(job), RENDER_OPTIONS);
      result.inMemory.push(performance.now() - start);
    };
    // Alternate the order so drift does not favour one side.
    if (r % 2 === 0) {
      timeBare();
      await timeStream();
    } else {
      await timeStream();
      timeBare();
    }
    await timeTransfer();
    await timeNodeHttp();
    timeInMemory();
    forceGc();
    const start = performance.now();
    const job = parseV2JobInstanceLog((await bufferedCall()).data, REF, PARSE_OPTIONS);
    renderJobSummary(buildJobSummary(job), RENDER_OPTIONS);
    result.bufferedHttp.push(performance.now() - start);
  }
  if (params.hostLog) {
    const ref = { job: REF, ...params.hostLog };
    const clicks = { streamMs: [] as number[], todayMs: [] as number[], todayHttpMs: [] as number[], bytes: 0 };
    for (let r = 0; r < params.hostLogReps; r++) {
      forceGc();
      let start = performance.now();
      const streamed = await source.getHostLog(actor, ref);
      clicks.streamMs.push(performance.now() - start);
      forceGc();
      start = performance.now();
      const today = extractV2HostLog(parseEnvelope(fakeResponse(text)).data, ref, PARSE_OPTIONS);
      clicks.todayMs.push(performance.now() - start);
      if (today.content !== streamed.content) throw new Error('host log differs between the paths');
      forceGc();
      start = performance.now();
      extractV2HostLog((await bufferedCall()).data, ref, PARSE_OPTIONS);
      clicks.todayHttpMs.push(performance.now() - start);
      clicks.bytes = Buffer.byteLength(streamed.content);
    }
    result.hostLog = clicks;
  }
  return result;
}

/**
 * The streamed job's message without its error lines (which only the streamed path reads, as the
 * log tails pass): what the buffered path's message must equal.
 */
function withoutErrorLines(job: JobInstance): PathCheck {
  const bare: JobInstance = { ...job, steps: job.steps.map((step) => ({ ...step, hosts: step.hosts.map(({ logTail: _tail, ...host }) => host) })) };
  const summary = buildJobSummary(bare);
  const message = renderJobSummary(summary, RENDER_OPTIONS);
  return check(summary, message.blocks.length, JSON.stringify(message).length);
}

export interface StreamParams {
  readonly port: number;
  /** The same response as a file, for the bare JSON.parse reference; null for the 2 GB run (memory and time only). */
  readonly file: string | null;
  readonly reps: number;
  /** A host to click (its log), and how many times. */
  readonly hostLog: { readonly stepInstanceId: number; readonly ip: string; readonly bkCloudId: number } | null;
  readonly hostLogReps: number;
}

export interface StreamResult {
  readonly memory: Omit<MemoryReading, 'loadedRss'>;
  readonly coldMs: number;
  readonly coldCpuMs: number;
  readonly check: PathCheck;
  /** The same job's message without the error lines the streamed path adds: must equal the buffered path's. */
  readonly checkWithoutErrorLines: PathCheck;
  readonly bareParse: number[];
  readonly stream: number[];
  /** CPU time of this process (all its threads: GC helpers, libuv) during each streamed run, ms. */
  readonly streamCpu: number[];
  /** Receiving the same response through BkTransport.callStreaming into a reader that drops it, ms: the loopback transfer alone. */
  readonly transfer: number[];
  /** This process's CPU time during each `transfer`, ms. */
  readonly transferCpu: number[];
  /** Receiving the same response with Node's own http client (keep-alive, data dropped), ms: the floor without axios. */
  readonly nodeHttp: number[];
  /** The scanner fed the same bytes from memory in 64 KiB chunks → summary → message, ms (no network). */
  readonly inMemory: number[];
  /** The previous bot end to end on the same loopback: axios text → JSON.parse → tree parser → message, ms. */
  readonly bufferedHttp: number[];
  hostLog: { readonly streamMs: number[]; readonly todayMs: number[]; readonly todayHttpMs: number[]; bytes: number } | null;
}

serveRpc({ direct, stream });
