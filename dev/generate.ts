/**
 * Fast, deterministic v2 `get_job_instance_log` response text for benchmarks: 10,000 hosts ×
 * 20 steps × 2 KB of log is 400+ MB of JSON, so nothing here builds object trees or calls
 * JSON.stringify per host. Pieces are produced by a generator (stream them, or join them); the
 * log filler is encoded once and sliced per host.
 */
import { escapeV2Log, formatV2Time, shanghaiMs, type V2Style } from './fakeJobs';

export interface GenerateV2Options {
  readonly hosts: number;
  readonly steps: number;
  /** Length of each host's log text before HTML escaping (exact unless smaller than the header and last line). */
  readonly logBytes: number;
  /** Hosts failing (ip_status 104, non-zero exit) in the last step: a count (picked by the seed) or host indexes. */
  readonly failingHosts?: number | readonly number[];
  readonly seed?: number;
  readonly style?: V2Style;
  /** Zone the time strings are written in; default 480 (+0800). */
  readonly offsetMinutes?: number;
}

/** First host of generated jobs is `10.0.0.1`; hosts are numbered from 0. */
export function generatedHostIp(index: number): string {
  const z = (index % 250) + 1;
  const y = Math.floor(index / 250) % 256;
  const x = Math.floor(index / 64_000) % 256;
  return `10.${x}.${y}.${z}`;
}

export const GENERATED_FIRST_STEP_INSTANCE_ID = 3_000_000_001;
const GENERATED_START = shanghaiMs('2024-06-11 10:00:00');
const STEP_NAMES = ['Check disk usage', 'Push release package', 'Stop service', 'Unpack release', 'Render config', 'Start service', 'Health check', 'Warm cache'];
const FILLER_WORDS = ['rsync', 'ok', 'sent', 'bytes', 'received', 'checking', 'upstream', 'worker', 'config', 'reload', 'pid', 'done', 'cache', 'hit', 'miss', 'retry', 'INFO', 'WARN', 'module', 'loaded'];
const EXIT_CODES = [1, 2, 127, 126, 130, 137, 255];
const FILLER_LINE = 64;

/** mulberry32: tiny seeded PRNG, so the same options always give the same bytes. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** JSON string body (no quotes) of already HTML-escaped text. */
function jsonInner(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Log filler: lines of exactly 64 characters (63 plain + "\n"), so the first n characters encode
 * to a prefix of the encoded text that is easy to compute: 65 encoded characters per full line.
 */
function buildFiller(maxChars: number, random: () => number): { encoded: string; encodedLength: (chars: number) => number } {
  const lines: string[] = [];
  const count = Math.ceil(maxChars / FILLER_LINE);
  for (let i = 0; i < count; i++) {
    let line = `${String(i).padStart(5, '0')}`;
    while (line.length < FILLER_LINE - 1) line += ` ${FILLER_WORDS[Math.floor(random() * FILLER_WORDS.length)] ?? 'ok'}`;
    lines.push(`${line.slice(0, FILLER_LINE - 1)}\\n`);
  }
  return { encoded: lines.join(''), encodedLength: (chars) => Math.floor(chars / FILLER_LINE) * (FILLER_LINE + 1) + (chars % FILLER_LINE) };
}

function pickFailing(options: GenerateV2Options, random: () => number): Set<number> {
  const { failingHosts, hosts } = options;
  if (failingHosts === undefined) return new Set();
  if (typeof failingHosts !== 'number') return new Set(failingHosts.filter((i) => Number.isInteger(i) && i >= 0 && i < hosts));
  const wanted = Math.min(Math.max(0, Math.floor(failingHosts)), hosts);
  const chosen = new Set<number>();
  while (chosen.size < wanted) chosen.add(Math.floor(random() * hosts));
  return chosen;
}

function validate(options: GenerateV2Options): void {
  for (const key of ['hosts', 'steps', 'logBytes'] as const) {
    const value = options[key];
    if (!Number.isInteger(value) || value < 0) throw new Error(`generateV2Response: ${key} must be a non-negative integer, got ${value}`);
  }
  if (options.steps < 1) throw new Error('generateV2Response: steps must be at least 1 (JOB never returns a job without steps)');
}

/** The response text in pieces (about one per host); `join('')` gives `generateV2Response`. */
export function* generateV2ResponseChunks(options: GenerateV2Options): Generator<string, void, undefined> {
  validate(options);
  const random = prng(options.seed ?? 1);
  const style = options.style ?? 'documented';
  const offset = options.offsetMinutes ?? 480;
  const documented = style === 'documented';
  const failing = pickFailing(options, random);
  const exitCodes = new Map<number, number>();
  [...failing].sort((a, b) => a - b).forEach((host, i) => exitCodes.set(host, EXIT_CODES[i % EXIT_CODES.length] ?? 1));
  const filler = buildFiller(options.logBytes, random);
  const requestId = Array.from({ length: 4 }, () => Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0')).join('');

  const timeCache = new Map<number, string>();
  const time = (ms: number): string => {
    let text = timeCache.get(ms);
    if (text === undefined) {
      text = formatV2Time(ms, offset, documented);
      timeCache.set(ms, text);
    }
    return text;
  };

  const hostJson = (hostIndex: number, stepIndex: number, stepStart: number, exitCode: number): string => {
    const ip = generatedHostIp(hostIndex);
    const seconds = 1 + Math.floor(random() * 30);
    const start = time(stepStart);
    const end = time(stepStart + seconds * 1000);
    const header = `[${start.slice(0, 19)}][PID:${10_000 + ((hostIndex * 7 + stepIndex) % 50_000)}] job_start step ${stepIndex + 1} on ${ip}\n`;
    const last = exitCode === 0 ? 'done\n' : `command failed with exit code ${exitCode} (stderr: 2>&1 | tail -n 20)\n`;
    const fillerChars = Math.max(0, options.logBytes - header.length - last.length);
    const log = `${jsonInner(escapeV2Log(header))}${filler.encoded.slice(0, filler.encodedLength(fillerChars))}${jsonInner(escapeV2Log(last))}`;
    const status = `"error_code":0,"exit_code":${exitCode},"log_content":"${log}"`;
    return documented
      ? `{"retry_count":0,"total_time":${seconds},"start_time":"${start}","end_time":"${end}","ip":"${ip}","bk_cloud_id":0,${status}}`
      : `{"start_time":"${start}","end_time":"${end}","total_time":${seconds},"execute_count":0,${status},"bk_cloud_id":0,"ip":"${ip}"}`;
  };

  yield documented ? '{"result":true,"code":0,"message":"","data":[' : `{"code":0,"result":true,"job_request_id":"${requestId}","data":[`;
  for (let s = 0; s < options.steps; s++) {
    const lastStep = s === options.steps - 1;
    const stepFailing = lastStep && failing.size > 0;
    const stepStart = GENERATED_START + s * 120_000;
    const name = jsonInner(`${STEP_NAMES[s % STEP_NAMES.length] ?? 'Step'} (${s + 1})`);
    yield `${s > 0 ? ',' : ''}{"is_finished":true,"step_instance_id":${GENERATED_FIRST_STEP_INSTANCE_ID + s},"name":"${name}","status":${stepFailing ? 4 : 3},"step_results":[`;
    const okCount = stepFailing ? options.hosts - failing.size : options.hosts;
    if (okCount > 0) {
      yield '{"ip_status":9,"tag":"","ip_logs":[';
      let first = true;
      for (let h = 0; h < options.hosts; h++) {
        if (stepFailing && failing.has(h)) continue;
        yield (first ? '' : ',') + hostJson(h, s, stepStart, 0);
        first = false;
      }
      yield ']}';
    }
    if (stepFailing) {
      yield `${okCount > 0 ? ',' : ''}{"ip_status":104,"tag":"","ip_logs":[`;
      let first = true;
      for (let h = 0; h < options.hosts; h++) {
        if (!failing.has(h)) continue;
        yield (first ? '' : ',') + hostJson(h, s, stepStart, exitCodes.get(h) ?? 1);
        first = false;
      }
      yield ']}';
    }
    yield ']}';
  }
  yield documented ? `],"job_request_id":"${requestId}"}` : ']}';
}

/** The whole v2 response as one string (mind V8's ~512 MB string limit for huge jobs). */
export function generateV2Response(options: GenerateV2Options): string {
  const pieces: string[] = [];
  for (const piece of generateV2ResponseChunks(options)) pieces.push(piece);
  return pieces.join('');
}
