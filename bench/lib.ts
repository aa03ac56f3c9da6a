/**
 * Small helpers shared by the benchmarks: statistics, formatting, memory readings and a
 * request/response channel to child processes (fork + IPC).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

// ---- statistics ---------------------------------------------------------------------------

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0–100): the smallest sample with at least p % of samples ≤ it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---- formatting ---------------------------------------------------------------------------

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const abs = Math.abs(bytes);
  if (abs >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (abs >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function fmtRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
}

/** Left-aligned text table; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(rows[0] ?? [])];
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) out.push(line(row));
  return out.join('\n');
}

// ---- results ------------------------------------------------------------------------------

export interface Target {
  /** The measured ratio must be at most this. */
  readonly max: number;
}

export interface BenchResult {
  /** e.g. `summary.whole_path.10000_hosts` */
  readonly id: string;
  /** What the ratio compares, in words. */
  readonly ratioOf: string;
  readonly ratio: number;
  /** Absolute numbers behind the ratio, shown next to it. */
  readonly absolute: string;
  readonly target: Target | null;
  readonly pass: boolean | null;
  readonly raw: Record<string, unknown>;
}

export function result(id: string, ratioOf: string, ratio: number, absolute: string, target: Target | null, raw: Record<string, unknown>): BenchResult {
  return { id, ratioOf, ratio: round(ratio, 3), absolute, target, pass: target === null ? null : Number.isFinite(ratio) && ratio <= target.max, raw };
}

// ---- memory -------------------------------------------------------------------------------

export interface ProcStatus {
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Peak resident set size since start or the last resetPeakRss(), bytes. */
  readonly hwm: number;
}

export function procStatus(): ProcStatus {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the kernel's peak-RSS counter (VmHWM) to the current RSS; false when not allowed. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run bench does)');
  gc();
  gc();
}

// ---- child processes ----------------------------------------------------------------------

/** ts-node flags for forked TypeScript children. */
export const TS_NODE_ARGS = ['-r', 'ts-node/register/transpile-only'];

interface RpcRequest {
  readonly id: number;
  readonly cmd: string;
  readonly params: unknown;
}

interface RpcReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

function isReply(message: unknown): message is RpcReply {
  return typeof message === 'object' && message !== null && 'id' in message && 'ok' in message;
}

/** Parent side of a request/response channel over IPC; the child uses `serveRpc`. */
export class ChildRpc {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: unknown) => {
      if (!isReply(message)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error ?? 'child error'));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const [, waiter] of this.pending) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`child exited (code ${code}, signal ${signal}) before answering`));
      }
      this.pending.clear();
    });
  }

  static start(modulePath: string, execArgv: readonly string[] = TS_NODE_ARGS): ChildRpc {
    return new ChildRpc(fork(modulePath, [], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T>(cmd: string, params: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`child is gone; cannot ${cmd}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`child did not answer ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const request: RpcRequest = { id, cmd, params };
      this.child.send(request);
    });
  }

  /** Asks the child to exit, then kills it (by its own handle) if it has not gone after `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call('exit', {}, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** Child side: answers `ChildRpc.call`s with `handlers[cmd](params)`; `exit` ends the process. */
export function serveRpc(handlers: Record<string, (params: never) => unknown>): void {
  const send = (reply: RpcReply) => process.send?.(reply);
  process.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null || !('cmd' in message) || !('id' in message)) return;
    const { id, cmd, params } = message as RpcRequest;
    if (cmd === 'exit') {
      send({ id, ok: true });
      setTimeout(() => process.exit(0), 20);
      return;
    }
    const handler = handlers[cmd];
    if (!handler) {
      send({ id, ok: false, error: `unknown command ${cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(params as never))
      .then(
        (value) => send({ id, ok: true, result: value }),
        (err: unknown) => send({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The parent going away must not leave this child running.
  process.on('disconnect', () => process.exit(0));
}

// ---- CPU profile --------------------------------------------------------------------------

export interface ProfileSummary {
  /** Sampled CPU time (idle excluded), ms. */
  readonly totalMs: number;
  /** Self time by area: `src/<file>`, an npm package, `node core`, `GC` … (ms, largest first). */
  readonly byArea: ReadonlyArray<{ readonly area: string; readonly ms: number }>;
  /** Functions with the most self time (ms, largest first). */
  readonly top: ReadonlyArray<{ readonly fn: string; readonly ms: number }>;
}

function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(root)') return 'V8/native';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(src|bench)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node core';
  return url === '' ? 'V8/native' : url;
}

/** Runs `work` under the V8 sampling profiler (this thread only) and summarises self time. */
export async function profiled<T>(work: () => Promise<T> | T, intervalUs = 250): Promise<{ value: T; profile: ProfileSummary }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    const value = await work();
    const { profile } = await session.post('Profiler.stop');
    const selfUs = new Map<number, number>();
    // The first sample's delta runs from the profiler's start time and lands on the inspector's own
    // `dispatch` (often 100+ ms): skip it.
    profile.samples?.forEach((id, i) => {
      if (i > 0) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
    });
    const byArea = new Map<string, number>();
    const byFn = new Map<string, number>();
    let total = 0;
    for (const node of profile.nodes) {
      const us = selfUs.get(node.id) ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (us === 0 || functionName === '(idle)') continue;
      total += us;
      const area = areaOf(url, functionName);
      byArea.set(area, (byArea.get(area) ?? 0) + us);
      const fn = `${functionName || '(anonymous)'} ${area}${url ? `:${lineNumber + 1}` : ''}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    }
    const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
    return {
      value,
      profile: {
        totalMs: round(total / 1000),
        byArea: sorted(byArea).slice(0, 12).map(([area, us]) => ({ area, ms: round(us / 1000) })),
        top: sorted(byFn).slice(0, 12).map(([fn, us]) => ({ fn, ms: round(us / 1000) })),
      },
    };
  } finally {
    session.disconnect();
  }
}

export function formatProfile(title: string, p: ProfileSummary, lines = 8): string {
  const pct = (ms: number) => `${((ms / p.totalMs) * 100).toFixed(0)}%`;
  return [
    `${title} (sampled ${fmtMs(p.totalMs)} of CPU):`,
    `  by area:  ${p.byArea.slice(0, lines).map((a) => `${a.area} ${pct(a.ms)}`).join(', ')}`,
    '  hottest functions (self time):',
    ...p.top.slice(0, lines).map((f) => `    ${pct(f.ms).padStart(4)}  ${fmtMs(f.ms).padStart(8)}  ${f.fn}`),
  ].join('\n');
}
