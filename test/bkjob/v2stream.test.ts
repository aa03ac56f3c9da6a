/**
 * The streaming v2 scanner (v2stream.ts) against the tree parser it replaces: for generated jobs
 * and 1,000+ seeded-random small responses written in every legal JSON way (keys in any order,
 * whitespace between every token, every number form, `\u` escapes, surrogate pairs, raw
 * multi-byte UTF-8, escaped quotes and backslashes, unknown nested keys, envelope before or after
 * `data`), fed in chunks of 1 byte to 64 KiB, the Slack message built from the streamed job must
 * equal the one built from JSON.parse byte for byte. Broken bodies fail with the same error kind
 * (and, for shape errors and envelopes, the same message) as the buffered path.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AxiosResponse } from 'axios';
import nock from 'nock';
import { BkJobError } from '../../src/bkjob/errors';
import { type HostLogRef, type JobInstance, type JobRef, LOG_TAIL_BYTES } from '../../src/bkjob/model';
import { V2JobLogSource } from '../../src/bkjob/source';
import { NOT_JSON_MESSAGE, parseEnvelope } from '../../src/bkjob/transport';
import { extractV2HostLog, parseV2JobInstanceLog } from '../../src/bkjob/v2';
import { V2JobLogScanner } from '../../src/bkjob/v2stream';
import { type RenderOptions, renderJobSummary } from '../../src/blocks/jobSummary';
import { buildJobSummary } from '../../src/summary/build';
import { GENERATED_FIRST_STEP_INSTANCE_ID, generateV2Response, generatedHostIp, prng } from '../../dev/generate';
import { APP_SECRET, USER, expectNoSecrets, failure, transport, useNock } from '../helpers/bk';

const REF: JobRef = { bizId: 3, jobInstanceId: 2001893471 };
const OPTIONS = { defaultOffsetMinutes: 480 };
const RENDER: RenderOptions = { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/2001893471', now: Date.UTC(2024, 5, 11, 4), watching: false };
const SMALL_CHUNKS = Array.from({ length: 16 }, (_, i) => i + 1);
const CHUNK_SIZES = [...SMALL_CHUNKS, 17, 23, 64, 100, 255, 1000, 4096, 16_384, 65_536];

function fakeResponse(text: string): AxiosResponse<string> {
  return { data: text, status: 200, statusText: 'OK', headers: {}, config: {} } as unknown as AxiosResponse<string>;
}

function chunked(body: Buffer, size: number | (() => number)): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; ) {
    const n = typeof size === 'number' ? size : size();
    chunks.push(body.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

type Outcome = { readonly message: string } | { readonly error: BkJobError };

const render = (job: JobInstance) => JSON.stringify(renderJobSummary(buildJobSummary(job), RENDER));

/** Today's path: the whole text, JSON.parse (parseEnvelope), the tree parser. */
function viaTree(text: string): Outcome {
  try {
    return { message: render(parseV2JobInstanceLog(parseEnvelope(fakeResponse(text)).data, REF, OPTIONS)) };
  } catch (err) {
    if (err instanceof BkJobError) return { error: err };
    throw err;
  }
}

function viaStream(chunks: readonly Buffer[]): Outcome {
  try {
    const scanner = new V2JobLogScanner(REF, OPTIONS);
    for (const chunk of chunks) scanner.push(chunk);
    return { message: render(withoutTails(scanner.finish())) };
  } catch (err) {
    if (err instanceof BkJobError) return { error: err };
    throw err;
  }
}

/**
 * The job without the failing hosts' log tails, which only the scanner keeps (the tree parser is
 * the reference for everything else); the tails have tests of their own below.
 */
function withoutTails(job: JobInstance): JobInstance {
  return { ...job, steps: job.steps.map((step) => ({ ...step, hosts: step.hosts.map(({ logTail: _tail, ...host }) => host) })) };
}

function scan(chunks: readonly Buffer[]): JobInstance {
  const scanner = new V2JobLogScanner(REF, OPTIONS);
  for (const chunk of chunks) scanner.push(chunk);
  return withoutTails(scanner.finish());
}

function scanWithTails(chunks: readonly Buffer[]): JobInstance {
  const scanner = new V2JobLogScanner(REF, OPTIONS);
  for (const chunk of chunks) scanner.push(chunk);
  return scanner.finish();
}

/** The job as text, -0 and all (JSON.stringify alone would write -0 as 0). */
const jobKey = (job: JobInstance) => JSON.stringify(job, (_key, value: unknown) => (Object.is(value, -0) ? '-0' : value));

function hostLogViaStream(chunks: readonly Buffer[], ref: HostLogRef, maxBytes = 1 << 30): unknown {
  try {
    const scanner = new V2JobLogScanner(ref.job, { ...OPTIONS, hostLog: { ref, maxBytes } });
    for (const chunk of chunks) scanner.push(chunk);
    return scanner.hostLog();
  } catch (err) {
    if (err instanceof BkJobError) return { kind: err.kind, message: err.message };
    throw err;
  }
}

function hostLogViaTree(text: string, ref: HostLogRef): unknown {
  try {
    return extractV2HostLog(parseEnvelope(fakeResponse(text)).data, ref, OPTIONS);
  } catch (err) {
    if (err instanceof BkJobError) return { kind: err.kind, message: err.message };
    throw err;
  }
}

/** Same message, or errors of the same kind (and the same words unless the body is not JSON). */
function expectSame(streamed: Outcome, tree: Outcome, context: string): void {
  if ('message' in tree) {
    if (!('message' in streamed)) throw new Error(`${context}: the stream failed (${streamed.error.message}) where the tree parser did not`);
    if (streamed.message !== tree.message) expect({ context, message: streamed.message }).toEqual({ context, message: tree.message });
    return;
  }
  if (!('error' in streamed)) throw new Error(`${context}: the stream succeeded where the tree parser failed with ${tree.error.message}`);
  const a = streamed.error;
  const b = tree.error;
  expect({ context, kind: a.kind }).toEqual({ context, kind: b.kind });
  if (b.message === NOT_JSON_MESSAGE) expect(a.message.startsWith(NOT_JSON_MESSAGE)).toBe(true);
  else expect({ context, message: a.message, code: a.code, bkMessage: a.bkMessage, requestId: a.requestId, missing: a.missingPermissions }).toEqual({ context, message: b.message, code: b.code, bkMessage: b.bkMessage, requestId: b.requestId, missing: b.missingPermissions });
}

// ---- a JSON writer that uses every freedom JSON gives --------------------------------------


class Writer {
  constructor(readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  ws(): string {
    if (this.chance(0.5)) return '';
    let out = '';
    const n = 1 + Math.floor(this.random() * 3);
    for (let i = 0; i < n; i++) out += this.pick([' ', '\t', '\n', '\r\n', '  ']);
    return out;
  }

  number(n: number): string {
    if (Number.isInteger(n) && Math.abs(n) < 1e15) {
      const forms = [String(n), String(n), `${n}.0`, `${n}e0`, `${n}E+0`, `${n}.000e+00`];
      if (n !== 0) forms.push(`${n}0e-1`, `${n}0E-1`);
      if (n === 0) forms.push('-0', '0.0e5', '0E-3');
      return this.pick(forms);
    }
    return this.pick([String(n), n.toExponential(), n.toExponential().toUpperCase()]);
  }

  string(s: string): string {
    let out = '"';
    for (const ch of s) {
      const code = ch.codePointAt(0) ?? 0;
      if (ch === '"') out += this.pick(['\\"', '\\u0022']);
      else if (ch === '\\') out += this.pick(['\\\\', '\\u005c', '\\u005C']);
      else if (code < 0x20) out += ({ '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' } as Record<string, string>)[ch] ?? `\\u${code.toString(16).padStart(4, '0')}`;
      else if (ch === '/' && this.chance(0.3)) out += '\\/';
      else if (this.chance(0.12)) {
        const hex = (u: number) => `\\u${u.toString(16).padStart(4, '0')}`;
        const escaped = code > 0xffff ? hex(0xd800 + ((code - 0x10000) >> 10)) + hex(0xdc00 + ((code - 0x10000) & 0x3ff)) : hex(code);
        out += this.chance(0.5) ? escaped : escaped.toUpperCase().replace(/\\U/g, '\\u');
      } else out += ch;
    }
    return `${out}"`;
  }

  value(v: unknown): string {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'number') return this.number(v);
    if (typeof v === 'string') return this.string(v);
    if (Array.isArray(v)) return `[${this.ws()}${v.map((x) => this.value(x)).join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    // Keys in any order.
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
    }
    return `{${this.ws()}${entries.map(([k, x]) => `${this.string(k)}${this.ws()}:${this.ws()}${this.value(x)}`).join(`${this.ws()},${this.ws()}`)}${this.ws()}}`;
  }
}

const TEXT_PIECES = ['ok', ' ', '"', '\\', '\\\\', '\\"', '"\\', '&quot;', '&amp;', '&lt;b&gt;', '中文', '日志', 'é', '😀', '𝄞', '\n', '\t', '/', 'exit 1', '\u2028', '\u007f', '{"x":[1,2]}', ']}', '\\u0041'];

function randomText(w: Writer, maxPieces: number): string {
  let out = '';
  const n = Math.floor(w.pick([0, 1, 2, 3, 5, 8, maxPieces]));
  for (let i = 0; i < n; i++) out += w.pick(TEXT_PIECES);
  return out;
}

/** Junk under unknown keys: nested objects and arrays, strings full of quotes and backslashes. */
function junk(w: Writer, depth: number): unknown {
  const kind = Math.floor(w.chance(0.2) ? 0 : 1 + (depth > 2 ? w.chance(0.5) ? 0 : 1 : w.chance(0.3) ? 3 + Math.floor(w.chance(0.5) ? 0 : 1) : w.chance(0.5) ? 1 : 2));
  switch (kind) {
    case 0:
      return w.pick([null, true, false, 0, -12.5e3, 1e-7, 123456789012]);
    case 1:
      return randomText(w, 12);
    case 2:
      return w.pick([0, 1, -1, 3.25, 2e21, -0.001]);
    case 3:
      return Array.from({ length: Math.floor(w.chance(0.3) ? 0 : 3) }, () => junk(w, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(w.chance(0.3) ? 0 : 3) }, (_, i) => [`${w.pick(['k', 'step_results', 'ip_logs', 'ip', 'data', 'log_content', '中'])}${i}`, junk(w, depth + 1)]));
  }
}

function withJunk<T extends Record<string, unknown>>(w: Writer, record: T): T {
  const extra: Record<string, unknown> = {};
  const n = w.pick([0, 0, 1, 2]);
  for (let i = 0; i < n; i++) extra[w.pick(['is_finished', 'extra', 'type', 'meta', '名字', 'x\\y'])] = junk(w, 0);
  return { ...extra, ...record };
}

const maybe = <T>(w: Writer, value: T, absent = 0.1, nullish = 0.1): T | null | undefined => (w.chance(absent) ? undefined : w.chance(nullish) ? null : value);

function randomTime(w: Writer): unknown {
  const second = Math.floor(w.random() * 60);
  const plain = `2024-06-11 10:${String(Math.floor(w.random() * 60)).padStart(2, '0')}:${String(second).padStart(2, '0')}`;
  return w.pick([plain, plain, `${plain} +0800`, `${plain}+08:00`, `${plain}Z`, '', null, undefined, 1_718_071_200_000 + second * 1000]);
}

function randomHost(w: Writer, index: number): Record<string, unknown> {
  const countKey = w.chance(0.5) ? 'retry_count' : 'execute_count';
  return withJunk(w, {
    ip: w.pick([`10.0.0.${index + 1}`, `10.0.0.${index + 1}`, `::ffff:${index}`, `主机-${index}`]),
    bk_cloud_id: w.pick([0, 0, 2, '3', null, undefined]),
    exit_code: maybe(w, w.pick([0, 0, 1, 127, 255])),
    error_code: maybe(w, w.pick([0, 0, 9])),
    start_time: randomTime(w),
    end_time: randomTime(w),
    total_time: maybe(w, w.pick([1, 2.5, 0.001, 30, '1.5', '4'])),
    [countKey]: maybe(w, w.pick([0, 0, 1, 2])),
    log_content: w.chance(0.1) ? null : w.chance(0.1) ? undefined : w.chance(0.1) ? '' : randomText(w, 40),
  });
}

function randomResponse(seed: number): string {
  const w = new Writer(prng(seed));
  const steps = Array.from({ length: 1 + Math.floor(w.random() * 3) }, (_, s) =>
    withJunk(w, {
      step_instance_id: w.pick([3_000_000_001 + s, String(3_000_000_001 + s)]),
      name: maybe(w, randomText(w, 6) || `Step ${s + 1}`),
      status: w.pick([1, 2, 3, 3, 4, 4, 9, 10, '3']),
      step_results: w.chance(0.1)
        ? w.pick([null, undefined, []])
        : Array.from({ length: 1 + Math.floor(w.random() * 3) }, () =>
            withJunk(w, {
              ip_status: w.pick([9, 9, 104, 11, 1, 7, '9']),
              tag: w.pick(['', 'disk_ok', null, undefined, '标签"\\']),
              ip_logs: w.chance(0.05) ? w.pick([null, undefined, []]) : Array.from({ length: Math.floor(w.random() * 5) }, (_, h) => randomHost(w, h)),
            }),
          ),
    }),
  );
  const envelope = withJunk(w, { result: true, code: w.pick([0, '0', undefined]), message: w.pick(['', 'success', undefined]), request_id: maybe(w, 'req-123'), data: steps });
  return `${w.ws()}${w.value(envelope)}${w.ws()}`;
}

// ---- tests ------------------------------------------------------------------------------------

// nock hooks http when imported: unhook it after this file, as the other BlueKing tests do.
useNock();

describe('the streamed summary equals the tree-parsed one', () => {
  it.each([
    ['documented', { hosts: 40, steps: 4, logBytes: 700, failingHosts: 3 }],
    ['current', { hosts: 25, steps: 3, logBytes: 3000, failingHosts: 2 }],
    ['documented', { hosts: 3, steps: 2, logBytes: 70_000, failingHosts: 1 }],
  ] as const)('generated %s responses, every chunk size from 1 byte to 64 KiB', (style, size) => {
    const text = generateV2Response({ ...size, style, seed: 11 });
    const body = Buffer.from(text);
    const tree = viaTree(text);
    expect('message' in tree).toBe(true);
    for (const chunkSize of CHUNK_SIZES) expectSame(viaStream(chunked(body, chunkSize)), tree, `${style} ${size.hosts} hosts, chunks of ${chunkSize}`);
  });

  // 1,200 responses in four parts, so each stays well inside jest's timeout on a loaded machine.
  it.each([1, 301, 601, 901])('300 seeded-random responses from seed %i, written every legal way, in chunks of every small size and a spread up to 64 KiB', (first) => {
    let bytes = 0;
    let hostsSeen = 0;
    for (let seed = first; seed < first + 300; seed++) {
      const text = randomResponse(seed);
      const body = Buffer.from(text);
      bytes += body.length;
      const tree = viaTree(text);
      if (!('message' in tree)) throw new Error(`seed ${seed}: the generator wrote a response the tree parser refuses: ${tree.error.message}`);
      hostsSeen += (JSON.parse(text) as { data: Array<{ step_results?: Array<{ ip_logs?: unknown[] } | null> | null }> }).data.reduce((n, s) => n + (s.step_results ?? []).reduce((m, g) => m + (g?.ip_logs?.length ?? 0), 0), 0);
      // Every small size over the run, three per response; plus random-sized chunks.
      const random = prng(seed * 7919);
      const sizes = [SMALL_CHUNKS[seed % 16] as number, SMALL_CHUNKS[(seed * 5 + 3) % 16] as number, CHUNK_SIZES[16 + (seed % (CHUNK_SIZES.length - 16))] as number];
      // The message for one chunking; the job itself (from which the message follows) for the others.
      expectSame(viaStream(chunked(body, sizes[0] as number)), tree, `seed ${seed}, chunks of ${sizes[0]}`);
      const job = jobKey(parseV2JobInstanceLog(parseEnvelope(fakeResponse(text)).data, REF, OPTIONS));
      for (const size of sizes.slice(1)) expect({ seed, size, job: jobKey(scan(chunked(body, size))) }).toEqual({ seed, size, job });
      expect({ seed, job: jobKey(scan(chunked(body, () => 1 + Math.floor(random() * 40)))) }).toEqual({ seed, job });
    }
    // The responses really are varied and non-trivial.
    expect(bytes).toBeGreaterThan(250_000);
    expect(hostsSeen).toBeGreaterThan(750);
  });

  it('skips a UTF-8 byte-order mark, as axios does for text bodies', () => {
    const text = generateV2Response({ hosts: 3, steps: 2, logBytes: 100, failingHosts: 1, seed: 2 });
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const tree = viaTree(text);
    for (const size of [1, 2, 3, 4, 65_536]) expectSame(viaStream(chunked(body, size)), tree, `BOM, chunks of ${size}`);
    expectSame(viaStream([Buffer.from([0xef, 0xbb, 0x00]), Buffer.from(text)]), viaTree('\u00ef'), 'a broken BOM');
  });

  it('every chunk size over responses dense with escapes at every position', () => {
    for (let seed = 5000; seed < 5040; seed++) {
      const text = randomResponse(seed);
      const body = Buffer.from(text);
      const tree = viaTree(text);
      for (const size of SMALL_CHUNKS) expectSame(viaStream(chunked(body, size)), tree, `seed ${seed}, chunks of ${size}`);
    }
  });
});

describe('failing hosts’ log tails (for their error lines)', () => {
  it('keep the end of each failing host’s log, whole lines, at most 8 KiB; none for the others', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const text = generateV2Response({ hosts: 12, steps: 2, logBytes: seed % 2 === 0 ? 20_000 : 300, failingHosts: 3, seed });
      const body = Buffer.from(text);
      const job = scanWithTails(chunked(body, CHUNK_SIZES[seed % CHUNK_SIZES.length] as number));
      let tails = 0;
      for (const step of job.steps) {
        for (const host of step.hosts) {
          const label = `seed ${seed} step ${step.stepInstanceId} host ${host.ip}`;
          if (host.ipStatus === 9) {
            expect({ label, tail: host.logTail }).toEqual({ label, tail: undefined });
            continue;
          }
          tails++;
          const full = hostLogViaTree(text, { job: REF, stepInstanceId: step.stepInstanceId, ip: host.ip, bkCloudId: host.bkCloudId }) as { content: string };
          const tail = host.logTail ?? '';
          expect({ label, suffix: full.content.endsWith(tail), bounded: Buffer.byteLength(tail) <= LOG_TAIL_BYTES, whole: tail === full.content || full.content[full.content.length - tail.length - 1] === '\n' }).toEqual({ label, suffix: true, bounded: true, whole: true });
          expect(tail.length).toBeGreaterThan(0);
        }
      }
      expect(tails).toBe(3);
    }
  });
});

describe('one host log, the others skipped', () => {
  it('equals the tree extraction for random hosts of random responses, at any chunk size', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomResponse(seed);
      const body = Buffer.from(text);
      const job = parseV2JobInstanceLog(parseEnvelope(fakeResponse(text)).data, REF, OPTIONS);
      const random = prng(seed);
      const step = job.steps[Math.floor(random() * job.steps.length)];
      const host = step?.hosts[Math.floor(random() * step.hosts.length)];
      const ref: HostLogRef = host && step ? { job: REF, stepInstanceId: step.stepInstanceId, ip: host.ip, bkCloudId: host.bkCloudId } : { job: REF, stepInstanceId: 42, ip: '10.9.9.9', bkCloudId: 0 };
      const size = CHUNK_SIZES[seed % CHUNK_SIZES.length] as number;
      expect({ seed, log: hostLogViaStream(chunked(body, size), ref) }).toEqual({ seed, log: hostLogViaTree(text, ref) });
    }
  });

  it('finds a host whose ip and step id come after its log (current key order)', () => {
    const text = generateV2Response({ hosts: 30, steps: 3, logBytes: 5000, failingHosts: 2, style: 'current', seed: 3 });
    const ref: HostLogRef = { job: REF, stepInstanceId: GENERATED_FIRST_STEP_INSTANCE_ID + 2, ip: generatedHostIp(17), bkCloudId: 0 };
    const expected = hostLogViaTree(text, ref);
    expect((expected as { content: string }).content.length).toBeGreaterThan(4000);
    for (const size of [1, 7, 1000, 65_536]) expect(hostLogViaStream(chunked(Buffer.from(text), size), ref)).toEqual(expected);
  });

  it('cuts a log longer than the cap to its start, at a whole character', () => {
    const log = `${'é😀\\"&amp;'.repeat(200)}`;
    const text = JSON.stringify({ result: true, data: [{ step_instance_id: 1, name: 'a', status: 3, step_results: [{ ip_status: 9, ip_logs: [{ ip: '10.0.0.1', log_content: log }] }] }] });
    const ref: HostLogRef = { job: REF, stepInstanceId: 1, ip: '10.0.0.1', bkCloudId: 0 };
    const full = 'é😀\\"&'.repeat(200);
    for (const cap of [1, 2, 3, 5, 100, 333, 1001]) {
      const got = hostLogViaStream(chunked(Buffer.from(text), 13), ref, cap) as { content: string };
      expect(full.startsWith(got.content)).toBe(true);
      expect(Buffer.byteLength(got.content)).toBeLessThanOrEqual(cap);
      // The cap counts JSON text; decoding shrinks it (here 17 bytes of JSON are 11 of text), and a cut escape, character or entity is dropped.
      if (cap >= 100) expect(Buffer.byteLength(got.content)).toBeGreaterThan(cap * 0.55);
    }
  });
});

describe('broken bodies fail as they do today', () => {
  const good = generateV2Response({ hosts: 4, steps: 2, logBytes: 300, failingHosts: 1, seed: 5 });

  function expectBoth(text: string, context: string, sizes: readonly number[] = [1, 3, 64, 65_536]): BkJobError {
    const tree = viaTree(text);
    if (!('error' in tree)) throw new Error(`${context}: the tree parser accepted it`);
    for (const size of sizes) expectSame(viaStream(chunked(Buffer.from(text), size)), tree, `${context}, chunks of ${size}`);
    const streamed = viaStream([Buffer.from(text)]);
    return (streamed as { error: BkJobError }).error;
  }

  it('truncated anywhere: not JSON, saying it is truncated', () => {
    const last = good.trimEnd().length;
    for (let cut = 1; cut < last; cut += 7) expectBoth(good.slice(0, cut), `cut at ${cut}`, [1, 65_536]);
    const err = expectBoth(good.slice(0, last - 1), 'missing the last brace');
    expect(err.message).toMatch(/^BlueKing JOB answered with something that is not JSON: it ends after \d+ bytes, before the JSON is complete \(truncated\)$/);
    expect(err.kind).toBe('bad_response');
  });

  it.each([
    ['a missing brace inside', good.replace('}]},{', ']},{')],
    ['a missing comma', good.replace(',"ip":', '"ip":')],
    ['a missing colon', good.replace('"ip":', '"ip"')],
    ['a trailing comma', good.replace(']}]', ',]}]')],
    ['garbage after the end', `${good} x`],
    ['two top-level values', `${good}{}`],
    ['a bad literal', good.replace('"result":true', '"result":tru')],
    ['a bad number', good.replace('"bk_cloud_id":0', '"bk_cloud_id":01')],
    ['a number without digits', good.replace('"bk_cloud_id":0', '"bk_cloud_id":-')],
    ['a bad exponent', good.replace('"bk_cloud_id":0', '"bk_cloud_id":1e')],
    ['a bad escape in a kept string', good.replace('"ip":"10.0.0.1"', '"ip":"10.0.0.\\x1"')],
    ['a short \\u escape in a kept string', good.replace('"ip":"10.0.0.1"', '"ip":"10.0.0.\\u12"')],
    ['a raw control character in a kept string', good.replace('"ip":"10.0.0.1"', '"ip":"10.0.\u00010.1"')],
    ['a bad escape in a key', good.replace('"ip":"10.0.0.1"', '"i\\p":"10.0.0.1"')],
    ['an unterminated string', '{"result":true,"data":[{"name":"abc'],
    ['single quotes', "{'result':true}"],
  ])('%s: not JSON', (name, text) => {
    expect(text).not.toBe(good);
    const err = expectBoth(text, name);
    expect(err.message.startsWith(NOT_JSON_MESSAGE)).toBe(true);
  });

  it.each([
    ['an HTML login page', '<!DOCTYPE html><html><body>蓝鲸智云 登录</body></html>'],
    ['an empty body', ''],
    ['only whitespace', ' \n\t '],
    ['plain text', 'Service Unavailable'],
  ])('%s: exactly the message of today', (name, text) => {
    const err = expectBoth(text, name);
    expect(err.message).toBe(NOT_JSON_MESSAGE);
  });

  it.each([
    ['a top-level list', '[1,2]'],
    ['a top-level string', '"ok"'],
    ['a top-level number', '42'],
    ['no result field', '{"code":0,"data":[]}'],
    ['result as a string', '{"result":"true","data":[]}'],
    ['data missing', '{"result":true}'],
    ['data an object', '{"data":{"steps":[]},"result":true}'],
    ['data a string', '{"result":true,"data":"[]"}'],
    ['no steps', '{"result":true,"data":[]}'],
    ['a step that is a list', '{"result":true,"data":[[1]]}'],
    ['a step that is a string', '{"result":true,"data":["step"]}'],
    ['step_results a string', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":"x"}]}'],
    ['a group that is null', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[null]}]}'],
    ['ip_logs an object', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"ip_logs":{}}]}]}'],
    ['ip_logs before a bad ip_status', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_logs":[{"ip":"a"}],"ip_status":"x"}]}]}'],
    ['a host that is a number', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"tag":"","ip_logs":[1]}]}]}'],
    ['a host that is a string, header after', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_logs":["h"],"ip_status":9}]}]}'],
    ['ip a number', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"tag":"","ip_logs":[{"ip":5}]}]}]}'],
    ['ip an object', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"tag":"","ip_logs":[{"ip":{"v4":"1"}}]}]}]}'],
    ['a bad time in the second group', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"ip_logs":[{"ip":"a"}]},{"tag":"t","ip_status":9,"ip_logs":[{"ip":"b","start_time":"11/06/2024"}]}]}]}'],
    ['a float exit code', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"tag":"","ip_logs":[{"ip":"a","exit_code":1.5}]}]}]}'],
    ['total_time a list', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"tag":"","ip_logs":[{"ip":"a","total_time":[]}]}]}]}'],
    ['status missing', '{"result":true,"data":[{"step_instance_id":1,"step_results":[]}]}'],
    ['step_instance_id a list', '{"result":true,"data":[{"step_instance_id":[1],"status":3}]}'],
    ['step_instance_id too long a string', '{"result":true,"data":[{"step_instance_id":"1234567890123456","status":3}]}'],
    ['name a number, after its hosts', '{"result":true,"data":[{"step_results":[],"status":3,"step_instance_id":1,"name":7}]}'],
    ['tag a number', '{"result":true,"data":[{"step_instance_id":1,"status":3,"step_results":[{"ip_status":9,"tag":1,"ip_logs":[]}]}]}'],
    ['the first of two errors wins', '{"result":true,"data":[{"step_instance_id":"x","status":3},{"step_instance_id":1}]}'],
  ])('%s: the same bad_response as today', (name, text) => {
    const err = expectBoth(text, name);
    expect(err.kind).toBe('bad_response');
    expect(err.message.startsWith(NOT_JSON_MESSAGE)).toBe(false);
  });

  it('a syntax error after a shape error still reads as not JSON (as JSON.parse would)', () => {
    const err = expectBoth('{"result":true,"data":[{"step_instance_id":"x","status":3}]', 'shape error, then truncated');
    expect(err.message.startsWith(NOT_JSON_MESSAGE)).toBe(true);
  });

  const permission = {
    result: false,
    code: 9900403,
    message: '用户(alice)权限不足',
    permission: { system_id: 'bk_job', actions: [{ id: 'access_business', name: '业务访问', related_resource_types: [{ id: 'biz', instances: [[{ id: '3', name: '"x\\y"' }]] }] }, { id: 'view_job' }] },
    request_id: '5d6e7f80',
  };
  it.each([
    ['data null before', JSON.stringify({ data: null, ...permission })],
    ['data null after', JSON.stringify({ ...permission, data: null })],
    ['a full data list before result:false', `{"data":${JSON.stringify(JSON.parse(good).data)},${JSON.stringify(permission).slice(1)}`],
    ['a bad data list before result:false', `{"data":[{"step_instance_id":"x"}],${JSON.stringify(permission).slice(1)}`],
    ['a code as a string', JSON.stringify({ result: false, code: '1244006', message: 'Job instance not exist', job_request_id: 'abc', data: null })],
    ['no message', JSON.stringify({ result: false, code: 1 })],
    ['odd envelope values', '{"result":false,"code":{"a":1},"message":["m"],"request_id":7,"permission":"none"}'],
  ])('result:false (%s): the same api error, permissions and request id', (name, text) => {
    const err = expectBoth(text, name);
    expect(err.kind).toBe('api');
  });

  it('result:false with a permission object names the missing actions', () => {
    const err = expectBoth(JSON.stringify({ data: null, ...permission }), 'permission');
    expect(err.missingPermissions).toStrictEqual(['access_business (业务访问)', 'view_job']);
    expect(err.requestId).toBe('5d6e7f80');
  });
});

describe('streaming over HTTP (BkTransport.callStreaming)', () => {
  let server: Server;
  let base = '';
  let handler: (res: import('node:http').ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    nock.enableNetConnect('127.0.0.1');
    server = createServer((_req, res) => handler(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    nock.disableNetConnect();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const source = (maxResponseBytes = 1024 * 1024, timeoutMs = 5000) => new V2JobLogSource(transport({ baseUrl: base, maxResponseBytes, timeoutMs }), OPTIONS);
  const text = generateV2Response({ hosts: 50, steps: 3, logBytes: 2000, failingHosts: 2, seed: 9 });

  it('summarises a chunked (no content-length) response as the tree parser does', async () => {
    handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = Buffer.from(text);
      let i = 0;
      const next = () => {
        if (i >= body.length) return res.end();
        res.write(body.subarray(i, (i += 997)), next);
      };
      next();
    };
    const job = await source().getJobInstance(USER, REF);
    expect(render(withoutTails(job))).toBe((viaTree(text) as { message: string }).message);
  });

  it('a silence mid-body longer than the timeout → timeout, transient', async () => {
    handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(text.slice(0, 5000));
    };
    const started = Date.now();
    const err = await failure(source(1024 * 1024, 300).getJobInstance(USER, REF));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.message).toBe('BlueKing JOB did not answer within 0.3 s');
    expect([err.kind, err.transient]).toEqual(['timeout', true]);
    expectNoSecrets(err, [APP_SECRET]);
  });

  it('a connection dropped mid-body → network error, transient', async () => {
    handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, 5000), () => res.destroy());
    };
    const err = await failure(source().getJobInstance(USER, REF));
    expect([err.kind, err.transient]).toEqual(['network', true]);
    expectNoSecrets(err, [APP_SECRET]);
  });

  it('a chunked response passing the limit is cut off as too_large', async () => {
    handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const write = (): void => {
        if (!res.destroyed) res.write(Buffer.alloc(64 * 1024, 0x20), () => setImmediate(write));
      };
      res.write('{"result":true,"data":[{"x":"');
      write();
    };
    const err = await failure(source(1024 * 1024).getJobInstance(USER, REF));
    expect(err.message).toBe("BlueKing JOB's response is larger than the 1 MB limit (BK_MAX_RESPONSE_MB)");
    expect(err.kind).toBe('too_large');
  });

  it('an HTTP error with a gateway JSON body reads as in the buffered path', async () => {
    handler = (res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'x-bkapi-request-id': 'gw-1' });
      res.end(JSON.stringify({ result: false, code: 1642902, message: `rate limited (bk_app_secret=${APP_SECRET})` }));
    };
    const err = await failure(source().getJobInstance(USER, REF));
    // The redactor takes the parameter's value up to the next delimiter, ")" included, as in the buffered path.
    expect(err.message).toBe('BlueKing JOB answered HTTP 429: rate limited (bk_app_secret=[REDACTED] (code 1642902)');
    expect([err.kind, err.code, err.requestId, err.transient]).toEqual(['http', 429, 'gw-1', true]);
    expectNoSecrets(err, [APP_SECRET]);
  });
});
