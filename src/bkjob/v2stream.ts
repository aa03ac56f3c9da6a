/**
 * Streaming reader for v2 `get_job_instance_log` bodies: fed the HTTP body chunk by chunk as it
 * arrives, it builds the same `JobInstance` as `parseV2JobInstanceLog` without ever holding the
 * whole body. Log strings (`log_content`, by far most of the bytes) are skipped as they pass with
 * `Buffer.indexOf` for the closing quote; only the small values are decoded. Those are gathered
 * into small plain records (a host without its log, a group's header, a step's own fields) and
 * handed to the very functions the tree parser uses (`parseV2Host`, `readV2GroupHeader`,
 * `assembleV2Step`, `assembleV2Job` in v2.ts; `checkEnvelope` in transport.ts), so both paths
 * validate alike and a change to one applies to both.
 *
 * The JSON syntax of everything outside skipped strings is checked as strictly as JSON.parse;
 * bytes inside a skipped string are not validated (control characters, bad escapes, invalid
 * UTF-8): they cannot change the summary. Kept strings are checked and decoded by JSON.parse.
 *
 * Errors follow the order of the buffered path: a syntax error anywhere wins (the body is "not
 * JSON"), then the envelope (`result` missing or false), then the first shape error in `data`.
 */
import { BkJobError } from './errors';
import { type HostLog, type HostLogRef, type HostResult, type JobInstance, type JobRef, LOG_TAIL_BYTES, type StepInstance, formatHostAddress } from './model';
import { isHostFailure } from './status';
import { type BodyReader, ENVELOPE_FIELDS, NOT_JSON_MESSAGE, checkEnvelope } from './transport';
import { type V2GroupHeader, type V2ParseOptions, assembleV2Job, assembleV2Step, decodeHtmlEntities, parseV2Host, readV2GroupHeader } from './v2';
import { type Json, readArray, readOptionalArray, readOptionalInt, readOptionalString, readRecord } from './validate';

/** What a container means; decides what its values are kept for. */
const enum Role {
  Envelope,
  Data,
  Step,
  StepResults,
  Group,
  IpLogs,
  Host,
  /** A value nobody needs (unknown key, or a container where a scalar belongs): syntax only. */
  Skip,
  /** A small value kept whole (the envelope's `permission`). */
  Build,
}

/** What the tokenizer expects next. */
const enum Expect {
  Value,
  ValueOrClose,
  KeyOrClose,
  Key,
  Colon,
  CommaOrClose,
  Done,
}

// Every key any role cares about; 0 is "unknown".
const KEY_NAMES = [
  '',
  ...ENVELOPE_FIELDS,
  'data',
  'step_instance_id',
  'name',
  'status',
  'step_results',
  'ip_status',
  'tag',
  'ip_logs',
  'ip',
  'bk_cloud_id',
  'exit_code',
  'error_code',
  'start_time',
  'end_time',
  'total_time',
  'retry_count',
  'execute_count',
  'log_content',
] as const;
type KeyName = (typeof KEY_NAMES)[number];
const KEY_IDS = new Map<string, number>(KEY_NAMES.map((name, id) => [name, id]));
const keyId = (name: KeyName): number => KEY_IDS.get(name) ?? 0;
const K_DATA = keyId('data');
const K_PERMISSION = keyId('permission');
const K_STEP_INSTANCE_ID = keyId('step_instance_id');
const K_STEP_RESULTS = keyId('step_results');
const K_IP_LOGS = keyId('ip_logs');
/** Keys by byte length, so a key is matched against its bytes without making a string. */
const KEYS_BY_LENGTH: Array<Array<{ readonly id: number; readonly bytes: Buffer }>> = [];
for (const [id, name] of KEY_NAMES.entries()) {
  if (id === 0) continue;
  (KEYS_BY_LENGTH[name.length] ??= []).push({ id, bytes: Buffer.from(name, 'latin1') });
}

/** Every key's bytes by id, for checking a key guessed from its length and first byte. */
const KEY_BYTES: readonly Uint8Array[] = KEY_NAMES.map((name) => new Uint8Array(Buffer.from(name, 'latin1')));
/**
 * Where a run of `length` bytes (≥ 4) is read 4 bytes at a time: 0, 4, … and a last word ending
 * at its last byte (overlapping the one before when the length is not a multiple of 4).
 */
function wordOffsets(length: number): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 4 < length; at += 4) offsets.push(at);
  offsets.push(length - 4);
  return offsets;
}
/** Every key's bytes and closing quote as little-endian 32-bit words (see `wordOffsets`); null when under 4 bytes. */
const KEY_WORDS: ReadonlyArray<Int32Array | null> = KEY_NAMES.map((name) => {
  const bytes = Buffer.from(`${name}"`, 'latin1');
  return bytes.length < 4 ? null : Int32Array.from(wordOffsets(bytes.length), (at) => bytes.readInt32LE(at));
});
const HOST_KEY_NAMES = ['ip', 'bk_cloud_id', 'exit_code', 'error_code', 'start_time', 'end_time', 'total_time', 'retry_count', 'execute_count', 'log_content'] as const;
const K_IP = keyId('ip');
const K_BK_CLOUD_ID = keyId('bk_cloud_id');
const K_EXIT_CODE = keyId('exit_code');
const K_ERROR_CODE = keyId('error_code');
const K_START_TIME = keyId('start_time');
const K_END_TIME = keyId('end_time');
const K_TOTAL_TIME = keyId('total_time');
const K_RETRY_COUNT = keyId('retry_count');
const K_EXECUTE_COUNT = keyId('execute_count');
const K_LOG_CONTENT = keyId('log_content');
/**
 * The fast host loop's key lookup: the host key whose first and third bytes these are, at
 * `first << 8 | third` (0: none; all its bytes and the closing quote are then compared). The
 * third byte of `ip` is its closing quote.
 */
const HOST_KEY_GUESS = new Uint8Array(1 << 16);
for (const name of HOST_KEY_NAMES) {
  const slot = (name.charCodeAt(0) << 8) | (name.length > 2 ? name.charCodeAt(2) : 0x22);
  if (HOST_KEY_GUESS[slot] !== 0) throw new Error(`v2stream: host keys ${name} and ${KEY_NAMES[HOST_KEY_GUESS[slot] ?? 0]} need another lookup`);
  HOST_KEY_GUESS[slot] = keyId(name);
}

/**
 * Kept short ASCII strings (IPs, times) by a hash of their last bytes: thousands of hosts share a
 * few hundred times and each IP recurs once per step (and in every poll of the job), so most are
 * found here (compared 4 bytes at a time) instead of being made again, and the same string object
 * goes on to the time cache and the IP intern table. Direct-mapped, a fixed size (≈ 1 MiB with its
 * strings), shared by all scanners so that none pays for setting it up: a collision or another
 * response's entry only costs a new string, and a hit is always checked against the bytes.
 */
const STRING_CACHE_SLOTS = 1 << 14;
/** Longest string the cache keeps (its bytes are kept too, in a slot of this size). */
const STRING_CACHE_MAX = 32;
const CACHED_STRINGS: string[] = new Array<string>(STRING_CACHE_SLOTS).fill('');
/** The bytes of each cached string, `STRING_CACHE_MAX` per slot. */
const CACHED_BYTES = new DataView(new ArrayBuffer(STRING_CACHE_SLOTS * STRING_CACHE_MAX));

/** Node's Buffer has `latin1Slice` (what `toString('latin1')` calls after checking its arguments); not in @types/node. */
type LatinSlicing = Buffer & { latin1Slice(start: number, end: number): string };

/** Which keys each role keeps (1), and the one log key it skips or captures (2); the rest are skipped. */
function keyTable(keep: readonly KeyName[]): Uint8Array {
  const table = new Uint8Array(KEY_NAMES.length);
  for (const name of keep) table[keyId(name)] = name === 'log_content' ? 2 : 1;
  return table;
}
const ENVELOPE_KEYS = keyTable([...ENVELOPE_FIELDS, 'data']);
const STEP_KEYS = keyTable(['step_instance_id', 'name', 'status', 'step_results']);
const GROUP_KEYS = keyTable(['ip_status', 'tag', 'ip_logs']);
const HOST_KEYS = keyTable(['ip', 'bk_cloud_id', 'exit_code', 'error_code', 'start_time', 'end_time', 'total_time', 'retry_count', 'execute_count', 'log_content']);
const NO_KEYS = new Uint8Array(KEY_NAMES.length);

function keysOf(role: Role): Uint8Array {
  switch (role) {
    case Role.Envelope:
      return ENVELOPE_KEYS;
    case Role.Step:
      return STEP_KEYS;
    case Role.Group:
      return GROUP_KEYS;
    case Role.Host:
      return HOST_KEYS;
    default:
      return NO_KEYS;
  }
}

/** Stands in for a container where a scalar belongs: the shared readers only look at its type. */
const PLACEHOLDER_OBJECT: Json = Object.freeze({});
const PLACEHOLDER_ARRAY: readonly unknown[] = Object.freeze([]);

class Frame {
  role = Role.Skip;
  isArray = false;
  /** Current key's id (objects). */
  key = 0;
  /** Current key's text (Build objects only). */
  keyName = '';
  /** The value being built (Build only). */
  value: Record<string, unknown> | unknown[] | null = null;
}

/** The small fields of one host, as `parseV2Host` reads them; a fixed shape for speed. */
type HostRecord = {
  ip: unknown;
  bk_cloud_id: unknown;
  exit_code: unknown;
  error_code: unknown;
  start_time: unknown;
  end_time: unknown;
  total_time: unknown;
  retry_count: unknown;
  execute_count: unknown;
  log_content: unknown;
};
const newHostRecord = (): HostRecord => ({
  ip: undefined,
  bk_cloud_id: undefined,
  exit_code: undefined,
  error_code: undefined,
  start_time: undefined,
  end_time: undefined,
  total_time: undefined,
  retry_count: undefined,
  execute_count: undefined,
  log_content: undefined,
});

function clearHostRecord(host: HostRecord): HostRecord {
  host.ip = host.bk_cloud_id = host.exit_code = host.error_code = host.start_time = host.end_time = host.total_time = host.retry_count = host.execute_count = host.log_content = undefined;
  return host;
}

/** One host's log bytes as they passed (still JSON-escaped), bounded. */
interface CapturedLog {
  readonly pieces: Buffer[];
  bytes: number;
  truncated: boolean;
  /** Keep the last `LOG_TAIL_BYTES` rather than the first bytes (a failing host's tail, for its error line). */
  readonly tail?: boolean;
}

interface HostLogMatch {
  stepIndex: number;
  /** Index in the step's `hosts`. */
  readonly hostIndex: number;
  readonly log: CapturedLog | null;
  /** `log_content` when it was not a string (null, or something invalid). */
  readonly logValue: unknown;
  /** The host's JSON path, for errors about its log. */
  readonly path: string;
}

export interface V2StreamOptions extends V2ParseOptions {
  /** Keep this host's log (decoded, at most `maxBytes` bytes of its JSON text) for `hostLog()`. */
  readonly hostLog?: { readonly ref: HostLogRef; readonly maxBytes: number };
  /** `X-Bkapi-Request-Id` of the response, for errors about the body. */
  readonly headerRequestId?: string;
}

/** Longest small value (key, name, time …) the scanner holds while it is split across chunks. */
const MAX_KEPT_TOKEN_BYTES = 64 * 1024 * 1024;

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;

/**
 * The scanner: `push` each chunk of the body, then `finish` for the job (or `hostLog` for the one
 * host asked for). One instance per response.
 */
export class V2JobLogScanner {
  // Tokenizer.
  private expect = Expect.Value;
  private readonly frames: Frame[] = [];
  private depth = 0;
  private carry: Buffer = Buffer.alloc(0);
  private carryLen = 0;
  /** Offset in the body of the first byte of the current buffer (for error messages). */
  private base = 0;
  private received = 0;
  /** Inside a skipped string that continues in the next chunk. */
  private skipping = false;
  /** Backslashes at the end of what was skipped so far (an odd run escapes a quote in the next chunk). */
  private skipBackslashes = 0;
  /** A kept string split across chunks: where in the carried token to resume looking for its end. */
  private resumeStringAt = 0;

  // What the body says.
  private readonly envelope: Record<string, unknown> = {};
  private data: unknown = undefined;
  private steps: StepInstance[] = [];
  /** The first shape error in `data`; reported once the body is known to be JSON with a good envelope. */
  private failure: BkJobError | null = null;

  private stepIndex = 0;
  private step: Json = {};
  private stepHosts: HostResult[] = [];
  private groupIndex = 0;
  private group: Json = {};
  /** Known once the group's ip_status and tag came before its ip_logs; until then hosts wait. */
  private header: V2GroupHeader | null = null;
  private pending: unknown[] = [];
  private hostIndex = 0;
  private hostPathIndex = 0;
  private host: HostRecord = newHostRecord();
  private readonly ips = new Map<string, string>();
  private readonly scratchHost = newHostRecord();
  /** A 32-bit view of the buffer being scanned (`viewOf`). */
  private viewBuf: Buffer | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));

  // Host-log capture (hostLog option).
  private stepIdKnown = false;
  private stepMatches = false;
  private stepHostCount = 0;
  private capture: CapturedLog | null = null;
  private tentative: HostLogMatch | null = null;
  private match: HostLogMatch | null = null;

  private readonly hostAt = (): string => `data[${this.stepIndex}].step_results[${this.groupIndex}].ip_logs[${this.hostPathIndex}]`;
  private readonly groupAt = (): string => `data[${this.stepIndex}].step_results[${this.groupIndex}]`;

  constructor(
    private readonly ref: JobRef,
    private readonly options: V2StreamOptions,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.received += chunk.length;
    let buf = chunk;
    let len = chunk.length;
    if (this.carryLen > 0) {
      this.ensureCarry(this.carryLen + chunk.length);
      chunk.copy(this.carry, this.carryLen);
      buf = this.carry;
      len = this.carryLen + chunk.length;
      this.carryLen = 0;
    }
    let pos = 0;
    if (this.skipping) {
      pos = this.skipString(buf, 0, len);
      if (pos < 0) {
        this.base += len;
        return;
      }
      this.skipping = false;
      this.afterValue();
    }
    const stop = this.run(buf, pos, len, false);
    if (stop < len) this.keep(buf, stop, len);
    else this.base += len;
  }

  /** The body is complete: its job, or the BkJobError it amounts to. */
  finish(): JobInstance {
    if (this.carryLen > 0) {
      // A number at the very end of the body is only complete now.
      const len = this.carryLen;
      this.carryLen = 0;
      if (this.run(this.carry, 0, len, true) < len) this.truncated();
    }
    if (this.depth === 0 && this.expect === Expect.Value) this.notJson();
    if (this.skipping || this.expect !== Expect.Done) this.truncated();
    // The same order as parseEnvelope then parseV2JobInstanceLog.
    checkEnvelope(this.expectTopObject ? this.envelope : null, this.options.headerRequestId);
    readArray(this.data, 'data');
    if (this.failure) throw this.failure;
    return assembleV2Job(this.steps, this.ref);
  }

  /**
   * `finish`, then the host asked for in `options.hostLog` (not_found when absent). The whole
   * response is validated as for a summary (the buffered `extractV2HostLog` looked only at what
   * came before the host), so a click fails exactly when the job's summary would.
   */
  hostLog(): HostLog {
    const job = this.finish();
    const wanted = this.options.hostLog;
    if (!wanted) throw new Error('V2JobLogScanner.hostLog needs options.hostLog');
    const { ref } = wanted;
    const found = this.match;
    const step = found ? job.steps[found.stepIndex] : undefined;
    const host = found ? step?.hosts[found.hostIndex] : undefined;
    if (!found || !step || !host) {
      throw new BkJobError(`Host ${formatHostAddress(ref)} is not in step ${ref.stepInstanceId} of job ${ref.job.jobInstanceId}`, { kind: 'not_found' });
    }
    let text = found.log ? decodeCapturedLog(found.log, wanted.maxBytes, found.path) : (readOptionalString(found.logValue, found.path, 'log_content') ?? '');
    // A log cut at the cap may end inside an HTML entity ("&am"): drop that piece rather than show it.
    if (found.log && (found.log.truncated || found.log.bytes > wanted.maxBytes)) text = text.replace(/&#?[a-zA-Z0-9]{0,8}$/, '');
    return { ref, content: decodeHtmlEntities(text), step: { name: step.name, status: step.status, executeCount: host.retryCount }, host };
  }

  // ---- tokenizer -------------------------------------------------------------------------

  private expectTopObject = false;

  /** Tokens from `pos`; returns where an incomplete token starts (or `len`). */
  private run(buf: Buffer, pos: number, len: number, final: boolean): number {
    while (pos < len) {
      let c = buf[pos] ?? 0;
      if (WS[c] === 1) {
        pos++;
        while (pos < len && WS[(c = buf[pos] ?? 0)] === 1) pos++;
        if (pos >= len) break;
      }
      switch (this.expect) {
        case Expect.ValueOrClose:
          if (c === 0x5d) {
            pos++;
            this.close();
          } else this.expect = Expect.Value;
          continue;
        case Expect.Value: {
          if (c === 0x7b) {
            if (this.depth > 0 && (this.frames[this.depth - 1] as Frame).role === Role.IpLogs && this.failure === null && !this.mayCapture()) {
              const after = this.fastHost(buf, pos + 1, len);
              if (after >= 0) {
                pos = after;
                continue;
              }
            }
            this.open(false);
            this.expect = Expect.KeyOrClose;
            pos++;
          } else if (c === 0x5b) {
            this.open(true);
            this.expect = Expect.ValueOrClose;
            pos++;
          } else if (c === 0x22) {
            const next = this.stringValue(buf, pos, len);
            if (next < 0) return this.skipping ? len : pos;
            pos = next;
          } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            let end = pos + 1;
            while (end < len && NUMBER_CHARS[buf[end] ?? 0] === 1) end++;
            if (end >= len && !final) return pos;
            this.deliver(this.number(buf, pos, end));
            pos = end;
          } else if (c === 0xef && this.base + pos === 0 && this.depth === 0) {
            // A UTF-8 byte-order mark, which axios strips from text bodies: skip it too.
            if (len - pos < 3 && !final) return pos;
            if (buf[pos + 1] !== 0xbb || buf[pos + 2] !== 0xbf) this.syntax(buf, pos);
            pos += 3;
          } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            const word = c === 0x74 ? TRUE : c === 0x66 ? FALSE : NULL;
            const available = Math.min(word.length, len - pos);
            for (let i = 1; i < available; i++) if (buf[pos + i] !== word[i]) this.syntax(buf, pos + i);
            if (available < word.length) {
              if (final) this.truncated();
              return pos;
            }
            this.deliver(c === 0x74 ? true : c === 0x66 ? false : null);
            pos += word.length;
          } else this.syntax(buf, pos);
          break;
        }
        case Expect.KeyOrClose:
          if (c === 0x7d) {
            pos++;
            this.close();
          } else this.expect = Expect.Key;
          continue;
        case Expect.Key: {
          if (c !== 0x22) this.syntax(buf, pos);
          const end = this.findStringEnd(buf, pos, len);
          if (end < 0) return pos;
          this.setKey(buf, pos + 1, end);
          pos = end + 1;
          this.expect = Expect.Colon;
          break;
        }
        case Expect.Colon:
          if (c !== 0x3a) this.syntax(buf, pos);
          pos++;
          this.expect = Expect.Value;
          break;
        case Expect.CommaOrClose: {
          const frame = this.frames[this.depth - 1] as Frame;
          if (c === 0x2c) {
            this.expect = frame.isArray ? Expect.Value : Expect.Key;
            pos++;
          } else if (c === (frame.isArray ? 0x5d : 0x7d)) {
            pos++;
            this.close();
          } else this.syntax(buf, pos);
          break;
        }
        case Expect.Done:
          this.syntax(buf, pos);
      }
    }
    return len;
  }

  /** A string in value position: skipped, captured or kept. Returns the position after it, or -1 (more bytes needed). */
  private stringValue(buf: Buffer, pos: number, len: number): number {
    const frame = this.depth > 0 ? (this.frames[this.depth - 1] as Frame) : null;
    const role = frame ? frame.role : Role.Skip;
    const mode = role === Role.Build ? 1 : frame ? (keysOf(role)[frame.key] ?? 0) : 0;
    // Roles Data … Host are `data`'s: after a shape error there, nothing in it is kept.
    if (mode !== 1 || (this.failure !== null && role >= Role.Data && role <= Role.Host)) {
      // Log text and unknown values: find the closing quote, keep nothing (but the one host's log).
      this.capture = mode === 2 && this.failure === null ? this.captureFor() : null;
      if (mode === 2 && role === Role.Host) this.host.log_content = '';
      this.skipBackslashes = 0;
      const after = this.skipString(buf, pos + 1, len);
      if (after < 0) {
        this.skipping = true;
        return -1;
      }
      this.afterValue();
      return after;
    }
    const end = this.findStringEnd(buf, pos, len);
    if (end < 0) return -1;
    this.deliver(this.decodeString(buf, pos, end));
    return end + 1;
  }

  /** After a skipped value: array elements get a placeholder (a string where an object belongs). */
  private afterValue(): void {
    const frame = this.depth > 0 ? (this.frames[this.depth - 1] as Frame) : null;
    if (frame && frame.isArray) this.deliver('');
    else {
      if (this.capture) this.endCapture();
      this.expect = this.depth === 0 ? Expect.Done : Expect.CommaOrClose;
    }
  }

  /**
   * Skips string content from `from` to its closing quote: native search for `"`, then an even
   * run of backslashes before it means it really closes (an odd run escapes it). Bytes in
   * between are not looked at. Returns the position after the quote, or -1 at the end of `len`.
   */
  private skipString(buf: Buffer, from: number, len: number): number {
    let search = from;
    for (;;) {
      const q = buf.indexOf(0x22, search);
      if (q < 0 || q >= len) {
        let run = 0;
        let k = len - 1;
        while (k >= from && buf[k] === 0x5c) {
          run++;
          k--;
        }
        this.skipBackslashes = k < from ? this.skipBackslashes + run : run;
        if (this.capture) this.captureBytes(buf, from, len);
        return -1;
      }
      let run = 0;
      let k = q - 1;
      while (k >= from && buf[k] === 0x5c) {
        run++;
        k--;
      }
      if (k < from) run += this.skipBackslashes;
      if ((run & 1) === 0) {
        if (this.capture) this.captureBytes(buf, from, q);
        this.skipBackslashes = 0;
        return q + 1;
      }
      search = q + 1;
    }
  }

  /** Index of the quote closing the string that opens at `pos`, or -1 when it is not all here. */
  private findStringEnd(buf: Buffer, pos: number, len: number): number {
    let search = pos + 1;
    if (this.resumeStringAt > 0) {
      search = pos + this.resumeStringAt;
      this.resumeStringAt = 0;
    }
    for (;;) {
      const q = buf.indexOf(0x22, search);
      if (q < 0 || q >= len) {
        if (len - pos > MAX_KEPT_TOKEN_BYTES) throw this.bodyError(`a value longer than ${MAX_KEPT_TOKEN_BYTES / 1048576} MB at byte ${this.base + pos}`);
        this.resumeStringAt = Math.max(1, len - pos);
        return -1;
      }
      let run = 0;
      let k = q - 1;
      while (k > pos && buf[k] === 0x5c) {
        run++;
        k--;
      }
      if ((run & 1) === 0) return q;
      search = q + 1;
    }
  }

  /** Decodes a complete kept string (quotes at `pos` and `end`), as strictly as JSON.parse. */
  private decodeString(buf: Buffer, pos: number, end: number): string {
    let escaped = false;
    let ascii = true;
    for (let i = pos + 1; i < end; i++) {
      const b = buf[i] ?? 0;
      if (b < 0x20) this.syntax(buf, i);
      else if (b === 0x5c) escaped = true;
      else if (b >= 0x80) ascii = false;
    }
    if (!escaped) return buf.toString(ascii ? 'latin1' : 'utf8', pos + 1, end);
    try {
      return JSON.parse(buf.toString('utf8', pos, end + 1)) as string;
    } catch {
      throw this.bodyError(`a bad escape in a string at byte ${this.base + pos}`);
    }
  }

  private setKey(buf: Buffer, start: number, end: number): void {
    const frame = this.frames[this.depth - 1] as Frame;
    if (frame.role === Role.Build) {
      frame.keyName = this.decodeString(buf, start - 1, end);
      return;
    }
    let id = matchKey(buf, start, end);
    if (id === 0) {
      // An unknown or escaped key ("\u0069p"): decode it (which checks it), then look it up.
      let escaped = false;
      for (let i = start; i < end; i++) {
        const b = buf[i] ?? 0;
        if (b < 0x20) this.syntax(buf, i);
        if (b === 0x5c) escaped = true;
      }
      if (escaped) id = KEY_IDS.get(this.decodeString(buf, start - 1, end)) ?? 0;
    }
    frame.key = id;
  }

  private number(buf: Buffer, start: number, end: number): number {
    // JSON grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
    let i = start;
    if (buf[i] === 0x2d) i++;
    const intStart = i;
    if (buf[i] === 0x30) i++;
    else if (isDigit(buf[i])) while (isDigit(buf[i]) && i < end) i++;
    else this.syntax(buf, i);
    const intEnd = i;
    let simple = true;
    if (i < end && buf[i] === 0x2e) {
      simple = false;
      i++;
      if (!(i < end && isDigit(buf[i]))) this.syntax(buf, i);
      while (i < end && isDigit(buf[i])) i++;
    }
    if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
      simple = false;
      i++;
      if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
      if (!(i < end && isDigit(buf[i]))) this.syntax(buf, i);
      while (i < end && isDigit(buf[i])) i++;
    }
    if (i !== end) this.syntax(buf, i);
    if (simple && intEnd - intStart <= 15) {
      let n = 0;
      for (let j = intStart; j < intEnd; j++) n = n * 10 + ((buf[j] ?? 0) - 0x30);
      return intStart > start ? -n : n;
    }
    return Number(buf.toString('latin1', start, end));
  }

  /** Keeps the incomplete token at `from` for the next chunk. */
  private keep(buf: Buffer, from: number, len: number): void {
    const rest = len - from;
    if (buf === this.carry) this.carry.copyWithin(0, from, len);
    else {
      this.ensureCarry(rest);
      buf.copy(this.carry, 0, from, len);
    }
    this.carryLen = rest;
    this.base += from;
  }

  private ensureCarry(size: number): void {
    if (this.carry.length >= size) return;
    const grown = Buffer.allocUnsafe(Math.max(size, this.carry.length * 2, 4096));
    this.carry.copy(grown, 0, 0, this.carryLen);
    this.carry = grown;
  }

  private syntax(buf: Buffer, at: number): never {
    const offset = this.base + at;
    // Nothing parsed yet: an HTML page, plain text … rather than broken JSON.
    if (this.depth === 0 && this.expect === Expect.Value) this.notJson();
    const byte = buf[at] ?? 0;
    const shown = byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
    throw this.bodyError(`unexpected ${shown} at byte ${offset}`);
  }

  private notJson(): never {
    throw new BkJobError(NOT_JSON_MESSAGE, { kind: 'bad_response', requestId: this.options.headerRequestId });
  }

  private truncated(): never {
    throw this.bodyError(`it ends after ${this.received} bytes, before the JSON is complete (truncated)`);
  }

  private bodyError(detail: string): BkJobError {
    return new BkJobError(`${NOT_JSON_MESSAGE}: ${detail}`, { kind: 'bad_response', requestId: this.options.headerRequestId });
  }

  // ---- structure -------------------------------------------------------------------------

  private open(isArray: boolean): void {
    const parent = this.depth > 0 ? (this.frames[this.depth - 1] as Frame) : null;
    let role = Role.Skip;
    let value: Frame['value'] = null;
    if (!parent) {
      role = isArray ? Role.Skip : Role.Envelope;
      this.expectTopObject = !isArray;
    } else {
      const active = this.failure === null;
      switch (parent.role) {
        case Role.Envelope:
          if (parent.key === K_DATA && isArray) role = Role.Data;
          else if (parent.key === K_PERMISSION) role = Role.Build;
          break;
        case Role.Data:
          if (active && !isArray) role = Role.Step;
          break;
        case Role.Step:
          if (active && parent.key === K_STEP_RESULTS && isArray) role = Role.StepResults;
          break;
        case Role.StepResults:
          if (active && !isArray) role = Role.Group;
          break;
        case Role.Group:
          if (active && parent.key === K_IP_LOGS && isArray) role = Role.IpLogs;
          break;
        case Role.IpLogs:
          if (active && !isArray) role = Role.Host;
          break;
        case Role.Build:
          role = Role.Build;
          break;
        default:
          break;
      }
      if (role === Role.Build) value = isArray ? [] : {};
    }
    let frame = this.frames[this.depth];
    if (!frame) this.frames.push((frame = new Frame()));
    frame.role = role;
    frame.isArray = isArray;
    frame.key = 0;
    frame.value = value;
    this.depth++;
    switch (role) {
      case Role.Data:
        this.data = this.steps = [];
        this.stepIndex = 0;
        break;
      case Role.Step:
        this.step = { step_instance_id: undefined, name: undefined, status: undefined, step_results: undefined };
        this.stepHosts = [];
        this.groupIndex = 0;
        this.stepIdKnown = false;
        this.stepMatches = false;
        this.stepHostCount = 0;
        this.tentative = null;
        break;
      case Role.Group:
        this.group = { ip_status: undefined, tag: undefined, ip_logs: undefined };
        this.header = null;
        this.pending = [];
        this.hostIndex = 0;
        break;
      case Role.IpLogs:
        // Hosts are parsed as they pass once the group's own fields are known (the usual order).
        if (this.group.ip_status !== undefined && this.group.tag !== undefined) this.guard(() => (this.header = readV2GroupHeader(this.group, this.groupAt)));
        break;
      case Role.Host:
        this.host = newHostRecord();
        break;
      default:
        break;
    }
  }

  private close(): void {
    const frame = this.frames[--this.depth] as Frame;
    const role = frame.role;
    const active = this.failure === null;
    switch (role) {
      case Role.Host:
        if (active) this.endHost();
        break;
      case Role.Group:
        if (active) this.endGroup();
        break;
      case Role.Step:
        if (active) this.endStep();
        break;
      case Role.Skip:
        // A container where something else was expected: the shared readers see its type.
        if (this.depth > 0) {
          this.deliver(frame.isArray ? PLACEHOLDER_ARRAY : PLACEHOLDER_OBJECT);
          return;
        }
        break;
      case Role.Build:
        if (this.depth > 0) {
          const value = frame.value;
          frame.value = null;
          this.deliver(value);
          return;
        }
        break;
      default:
        break;
    }
    this.afterContainer(role);
  }

  /** A semantic container ended: count it in its parent. */
  private afterContainer(role: Role): void {
    if (role === Role.Step) this.stepIndex++;
    else if (role === Role.Group) this.groupIndex++;
    else if (role === Role.Host) this.hostIndex++;
    this.expect = this.depth === 0 ? Expect.Done : Expect.CommaOrClose;
  }

  /** A complete scalar or kept value for the current key or array slot. */
  private deliver(value: unknown): void {
    this.expect = this.depth === 0 ? Expect.Done : Expect.CommaOrClose;
    if (this.depth === 0) return;
    const frame = this.frames[this.depth - 1] as Frame;
    const active = this.failure === null;
    switch (frame.role) {
      case Role.Envelope:
        if (frame.key === K_DATA) this.data = value;
        else if (ENVELOPE_KEYS[frame.key] === 1) this.envelope[KEY_NAMES[frame.key] ?? ''] = value;
        break;
      case Role.Data:
        if (active) this.guard(() => readRecord(value, `data[${this.stepIndex}]`));
        this.stepIndex++;
        break;
      case Role.Step:
        if (!active || STEP_KEYS[frame.key] !== 1) break;
        this.step[KEY_NAMES[frame.key] ?? ''] = value;
        if (frame.key === K_STEP_INSTANCE_ID && this.options.hostLog) {
          this.stepIdKnown = true;
          this.stepMatches = safeInt(value) === this.options.hostLog.ref.stepInstanceId;
        }
        break;
      case Role.StepResults:
        if (active) this.guard(() => readRecord(value, this.groupAt));
        this.groupIndex++;
        break;
      case Role.Group:
        if (active && GROUP_KEYS[frame.key] === 1) this.group[KEY_NAMES[frame.key] ?? ''] = value;
        break;
      case Role.IpLogs:
        if (!active) break;
        this.stepHostCount++;
        if (this.header) {
          this.hostPathIndex = this.hostIndex;
          this.guard(() => readRecord(value, this.hostAt));
        } else this.pending.push(value);
        this.hostIndex++;
        break;
      case Role.Host:
        if (active && HOST_KEYS[frame.key] !== 0) setHostField(this.host, frame.key, value);
        break;
      case Role.Build:
        if (frame.value === null) break;
        if (Array.isArray(frame.value)) frame.value.push(value);
        else Object.defineProperty(frame.value, frame.keyName, { value, enumerable: true, writable: true, configurable: true });
        break;
      default:
        break;
    }
  }

  /** The same IP appears once per step: keep one string for all of them. */
  private intern(ip: string): string {
    const known = this.ips.get(ip);
    if (known !== undefined) return known;
    this.ips.set(ip, ip);
    return ip;
  }

  /** A host's record is complete; `ipInterned` when the fast loop already made its IP the shared string. */
  private endHost(ipInterned = false): void {
    const record = this.host;
    if (!ipInterned && typeof record.ip === 'string') record.ip = this.intern(record.ip);
    if (this.options.hostLog) this.considerHost(record, this.stepHostCount);
    const captured = this.hostCapture?.tail ? this.hostCapture : null;
    if (captured) this.hostCapture = null;
    this.stepHostCount++;
    if (this.header) {
      this.hostPathIndex = this.hostIndex;
      try {
        const host = parseV2Host(record, this.hostAt, this.header, this.options);
        // Only a log_content that was a string was captured (null or others are not a log).
        const tail = captured && record.log_content === '' ? decodeLogTail(captured) : undefined;
        const reduce = this.options.reduceLogTail;
        const logTail = tail === undefined || !reduce ? tail : (reduce(tail) ?? '');
        this.stepHosts.push(logTail === undefined ? host : { ...host, logTail });
      } catch (err) {
        this.guard(() => {
          throw err;
        });
      }
    } else this.pending.push(record);
  }

  private endGroup(): void {
    this.guard(() => {
      const header = this.header ?? readV2GroupHeader(this.group, this.groupAt);
      if (!this.header) {
        // ip_logs came before the group's own fields (or it had none): check as the tree parser does.
        readOptionalArray(this.group.ip_logs === undefined || this.group.ip_logs === null ? undefined : Array.isArray(this.group.ip_logs) ? [] : this.group.ip_logs, this.groupAt, 'ip_logs');
      }
      for (let h = 0; h < this.pending.length; h++) {
        this.hostPathIndex = h;
        this.stepHosts.push(parseV2Host(readRecord(this.pending[h], this.hostAt), this.hostAt, header, this.options));
      }
    });
    this.pending = [];
  }

  private endStep(): void {
    const path = `data[${this.stepIndex}]`;
    this.guard(() => {
      const results = this.step.step_results;
      readOptionalArray(Array.isArray(results) ? [] : results, path, 'step_results');
      this.steps.push(assembleV2Step(this.step, this.stepHosts, path));
    });
    if (this.options.hostLog && !this.match && this.tentative && safeInt(this.step.step_instance_id) === this.options.hostLog.ref.stepInstanceId) {
      this.tentative.stepIndex = this.stepIndex;
      this.match = this.tentative;
    }
    this.tentative = null;
  }

  /** Runs shared validation; the first failure is kept and ends all work on `data` (syntax is still checked). */
  private guard(check: () => unknown): void {
    try {
      check();
    } catch (err) {
      if (!(err instanceof BkJobError)) throw err;
      this.failure ??= err;
    }
  }

  /**
   * The common case of one host, all in this buffer with plain values: read in one tight loop,
   * which is most of the scanner's time on big jobs. Returns the position after its `}`, or -1
   * for anything unusual (split across chunks, escapes, nested values …), which the general path
   * then reads again from its `{`: nothing is changed before success.
   */
  private fastHost(buf: Buffer, start: number, len: number): number {
    // Hosts parsed at once (the usual case) need no record of their own: reuse one.
    const record = this.header ? clearHostRecord(this.scratchHost) : newHostRecord();
    let p = start;
    while (p < len && WS[buf[p] as number] === 1) p++;
    if (p >= len) return -1;
    if (buf[p] !== 0x7d) {
      for (;;) {
        if (buf[p] !== 0x22) return -1;
        // Key: a host key is guessed from its first and third bytes, then compared with the
        // closing quote after it; anything else must be a plain key (no escape) to be skipped here.
        let id = p + 3 < len ? (HOST_KEY_GUESS[((buf[p + 1] as number) << 8) | (buf[p + 3] as number)] as number) : 0;
        let q = -1;
        if (id !== 0) {
          // The key's bytes and its closing quote, 4 at a time ("ip": its first and third bytes matched).
          const words = KEY_WORDS[id];
          q = p + (KEY_BYTES[id] as Uint8Array).length + 1;
          if (words === null || words === undefined) {
            if (buf[p + 2] !== (KEY_BYTES[id] as Uint8Array)[1]) id = 0;
          } else if (q < len) {
            const view = this.viewOf(buf);
            const last = words.length - 1;
            let k = 0;
            for (let at = p + 1; k < last; k++, at += 4) if (view.getInt32(at, true) !== words[k]) break;
            if (k < last || view.getInt32(q - 3, true) !== words[last]) id = 0;
          } else id = 0;
        }
        if (id === 0) {
          for (q = p + 1; q < len; q++) {
            const b = buf[q] as number;
            if (b === 0x22) break;
            if (b === 0x5c || b < 0x20) return -1;
          }
          if (q >= len) return -1;
        }
        p = q + 1;
        while (p < len && WS[buf[p] as number] === 1) p++;
        if (p >= len || buf[p] !== 0x3a) return -1;
        p++;
        while (p < len && WS[buf[p] as number] === 1) p++;
        if (p >= len) return -1;
        const c = buf[p] as number;
        let value: unknown;
        if (c === 0x22) {
          if (id === 0 || id === K_LOG_CONTENT) {
            // log_content or an unknown key: find the real closing quote, look at nothing inside.
            let search = p + 1;
            let end = -1;
            while (end < 0) {
              const quote = buf.indexOf(0x22, search);
              if (quote < 0 || quote >= len) return -1;
              let k = quote - 1;
              while (k > p && buf[k] === 0x5c) k--;
              if (((quote - 1 - k) & 1) === 0) end = quote;
              else search = quote + 1;
            }
            value = '';
            p = end + 1;
          } else {
            // A kept value (IP, time …): the quote found natively, the string from the cache when
            // these bytes were seen before (they were checked then), else checked here.
            const e = buf.indexOf(0x22, p + 1);
            if (e < 0 || e >= len) return -1;
            value = this.shortString(buf, p + 1, e, id === K_IP);
            if (value === null) return -1;
            p = e + 1;
          }
        } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          let e = p + 1;
          while (e < len && NUMBER_CHARS[buf[e] as number] === 1) e++;
          if (e >= len) return -1;
          value = this.number(buf, p, e);
          p = e;
        } else if (c === 0x6e && p + 4 <= len && buf[p + 1] === 0x75 && buf[p + 2] === 0x6c && buf[p + 3] === 0x6c) {
          value = null;
          p += 4;
        } else return -1;
        if (id !== 0) setHostField(record, id, value);
        while (p < len && WS[buf[p] as number] === 1) p++;
        if (p >= len) return -1;
        if (buf[p] === 0x2c) {
          p++;
          while (p < len && WS[buf[p] as number] === 1) p++;
          if (p >= len) return -1;
          continue;
        }
        if (buf[p] === 0x7d) break;
        return -1;
      }
    }
    this.host = record;
    this.endHost(true);
    this.afterContainer(Role.Host);
    return p + 1;
  }

  /**
   * The string value `buf[start, end)` (no quotes), from the cache when the same bytes were seen
   * before; null when it has an escape or a control character (the general path reads it).
   */
  private shortString(buf: Buffer, start: number, end: number, isIp: boolean): string | null {
    const length = end - start;
    if (length < 4 || length > STRING_CACHE_MAX) return this.checkedString(buf, start, end);
    const view = this.viewOf(buf);
    // Hash the last bytes only: times and IPs differ at their end (seconds, last octet).
    let hash = Math.imul(length, 0x9e3779b1) ^ view.getInt32(end - 4, true);
    if (length >= 8) hash = Math.imul(hash, 31) ^ view.getInt32(end - 8, true);
    if (length >= 12) hash = Math.imul(hash, 31) ^ view.getInt32(end - 12, true);
    hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
    const slot = (hash ^ (hash >>> 13)) & (STRING_CACHE_SLOTS - 1);
    const known = CACHED_STRINGS[slot] as string;
    const kept = slot * STRING_CACHE_MAX;
    if (known.length === length) {
      const bytes = CACHED_BYTES;
      let at = 0;
      while (at + 4 < length && view.getInt32(start + at, true) === bytes.getInt32(kept + at, true)) at += 4;
      // Equal to a string kept before, so as valid as it was.
      if (at + 4 >= length && view.getInt32(end - 4, true) === bytes.getInt32(kept + length - 4, true)) return known;
    }
    let text = this.checkedString(buf, start, end);
    if (text === null || text.length !== length) return text;
    // The IP as this response's one string for it (a hit from another response's entry is as good).
    if (isIp) text = this.intern(text);
    CACHED_STRINGS[slot] = text;
    buf.copy(new Uint8Array(CACHED_BYTES.buffer, kept, STRING_CACHE_MAX), 0, start, end);
    return text;
  }

  /** `buf[start, end)` as a string; null when it has an escape or a control character (the general path reads it). */
  private checkedString(buf: Buffer, start: number, end: number): string | null {
    let ascii = true;
    for (let i = start; i < end; i++) {
      const b = buf[i] as number;
      if (b === 0x5c || b < 0x20) return null;
      if (b >= 0x80) ascii = false;
    }
    return ascii ? (buf as LatinSlicing).latin1Slice(start, end) : buf.toString('utf8', start, end);
  }

  /** A DataView of `buf` (made once per buffer), for reading 4 bytes at a time. */
  private viewOf(buf: Buffer): DataView {
    if (buf !== this.viewBuf) {
      this.viewBuf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    return this.view;
  }

  // ---- host-log capture ----------------------------------------------------------------------

  /** Whether a host in this step could be the one asked for (then its log may be kept). */
  private mayCapture(): boolean {
    if (this.options.hostLog === undefined) return this.tailsWanted();
    return this.match === null && this.tentative === null && (!this.stepIdKnown || this.stepMatches);
  }

  /**
   * A summary keeps the tail of each failing host's log: hosts of a group whose status came
   * before its hosts (the usual order) and says it failed. Hosts of other groups are still
   * skipped unlooked-at (a group whose status comes after its hosts gets no tails).
   */
  private tailsWanted(): boolean {
    return this.options.hostLog === undefined && this.header !== null && isHostFailure(this.header.ipStatus);
  }

  /** A log worth keeping: the step may be the one asked for and no host matched yet in it. */
  private captureFor(): CapturedLog | null {
    if (!this.options.hostLog) return this.tailsWanted() ? { pieces: [], bytes: 0, truncated: false, tail: true } : null;
    if (this.match || this.tentative) return null;
    if (this.stepIdKnown && !this.stepMatches) return null;
    if (this.host.ip !== undefined && this.host.ip !== this.options.hostLog.ref.ip) return null;
    // ip may come after log_content: keep the log until the host's end says whose it is.
    return { pieces: [], bytes: 0, truncated: false };
  }

  private captureBytes(buf: Buffer, from: number, to: number): void {
    const log = this.capture;
    if (log?.tail) return keepTail(log, buf, from, to);
    if (!log || log.truncated) return;
    const limit = (this.options.hostLog?.maxBytes ?? 0) + CAPTURE_SLACK;
    const take = Math.min(to - from, limit - log.bytes);
    // Copied: the buffer may be the carry, reused for the next chunk.
    if (take > 0) log.pieces.push(Buffer.from(buf.subarray(from, from + take)));
    log.bytes += Math.max(0, take);
    if (take < to - from) log.truncated = true;
  }

  private hostCapture: CapturedLog | null = null;

  private endCapture(): void {
    this.hostCapture = this.capture;
    this.capture = null;
  }

  private considerHost(record: HostRecord, hostIndex: number): void {
    const capture = this.hostCapture;
    this.hostCapture = null;
    const wanted = this.options.hostLog;
    if (!wanted || this.match || this.tentative || (this.stepIdKnown && !this.stepMatches)) return;
    if (record.ip !== wanted.ref.ip || safeInt(record.bk_cloud_id, 0) !== wanted.ref.bkCloudId) return;
    const isString = record.log_content === '';
    const path = `data[${this.stepIndex}].step_results[${this.groupIndex}].ip_logs[${this.hostIndex}]`;
    this.tentative = { stepIndex: -1, hostIndex, log: isString ? (capture ?? { pieces: [], bytes: 0, truncated: false }) : null, logValue: record.log_content, path };
  }
}

/** The id of the plain key in `buf[start, end)`, compared byte by byte (no string made); 0 when unknown. */
function matchKey(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  const candidates = KEYS_BY_LENGTH[length];
  if (!candidates) return 0;
  for (const candidate of candidates) {
    const bytes = candidate.bytes;
    let i = 0;
    while (i < length && buf[start + i] === bytes[i]) i++;
    if (i === length) return candidate.id;
  }
  return 0;
}

function setHostField(host: HostRecord, key: number, value: unknown): void {
  // By id (small integers), not by name: this runs for every field of every host.
  if (key === K_IP) host.ip = value;
  else if (key === K_BK_CLOUD_ID) host.bk_cloud_id = value;
  else if (key === K_EXIT_CODE) host.exit_code = value;
  else if (key === K_ERROR_CODE) host.error_code = value;
  else if (key === K_START_TIME) host.start_time = value;
  else if (key === K_END_TIME) host.end_time = value;
  else if (key === K_TOTAL_TIME) host.total_time = value;
  else if (key === K_RETRY_COUNT) host.retry_count = value;
  else if (key === K_EXECUTE_COUNT) host.execute_count = value;
  else if (key === K_LOG_CONTENT) host.log_content = value;
}

/**
 * Keeps the last `LOG_TAIL_BYTES` of a log's JSON text as it passes: only the end of each piece
 * is copied, and older pieces are dropped once the newer ones cover the tail, so a failing host
 * costs at most about twice the tail while its log passes, whatever its size.
 */
function keepTail(log: CapturedLog, buf: Buffer, from: number, to: number): void {
  const start = Math.max(from, to - LOG_TAIL_BYTES);
  if (start > from) log.truncated = true;
  if (to > start) {
    log.pieces.push(Buffer.from(buf.subarray(start, to)));
    log.bytes += to - start;
  }
  while (log.pieces.length > 1 && log.bytes - (log.pieces[0]?.length ?? 0) >= LOG_TAIL_BYTES) {
    log.bytes -= log.pieces.shift()?.length ?? 0;
    log.truncated = true;
  }
  // Tiny chunks would make many tiny pieces: join them now and then.
  if (log.pieces.length > 64) {
    const joined = Buffer.concat(log.pieces);
    log.pieces.length = 0;
    log.pieces.push(joined.subarray(Math.max(0, joined.length - LOG_TAIL_BYTES)));
    log.bytes = log.pieces[0]?.length ?? 0;
  }
}

/**
 * A captured tail as text: JSON-unescaped, HTML entities undone (JOB escapes v2 logs). A tail
 * cut from a longer log starts after its first whole escaped newline (`\n` not itself escaped),
 * so it holds whole lines and never starts inside an escape or a UTF-8 character. Undefined when
 * it does not decode (the bytes of skipped strings are not validated): no line, no error.
 */
function decodeLogTail(log: CapturedLog): string | undefined {
  const raw = log.pieces.length === 1 ? (log.pieces[0] as Buffer) : Buffer.concat(log.pieces);
  const tail = raw.length > LOG_TAIL_BYTES ? raw.subarray(raw.length - LOG_TAIL_BYTES) : raw;
  const attempt = (from: number): string | undefined => {
    try {
      return decodeHtmlEntities(JSON.parse(`"${tail.toString('utf8', from)}"`) as string);
    } catch {
      return undefined;
    }
  };
  if (!log.truncated && tail === raw) return attempt(0);
  for (let i = tail.indexOf('\\n'), tries = 0; i !== -1 && tries < 32; i = tail.indexOf('\\n', i + 1), tries++) {
    // A real escape is an odd run of backslashes; a run reaching the tail's start is unknown.
    let k = i;
    while (k > 0 && tail[k - 1] === 0x5c) k--;
    if (k === 0 || ((i - k) & 1) === 1) continue;
    const text = attempt(i + 2);
    if (text !== undefined) return text;
  }
  // One huge line: the first start that decodes (a whole character, outside an escape).
  for (let from = 0; from < Math.min(tail.length, 16); from++) {
    if (((tail[from] ?? 0) & 0xc0) === 0x80) continue;
    const text = attempt(from);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** Extra raw bytes captured past the cap, so an escape cut at the cap can still be decoded. */
const CAPTURE_SLACK = 16;

/** The captured log's JSON string text, decoded; cut to at most `maxBytes` bytes at a character boundary. */
function decodeCapturedLog(log: CapturedLog, maxBytes: number, path: string): string {
  const raw = Buffer.concat(log.pieces);
  const cut = log.truncated || raw.length > maxBytes;
  if (!cut) return decodeJsonString(raw, path);
  // Back off to a whole escape and a whole UTF-8 character (the byte after the cut starts one).
  for (let end = Math.min(raw.length, maxBytes), tries = 0; end > 0 && tries < 16; end--, tries++) {
    if (((raw[end] ?? 0) & 0xc0) === 0x80) continue;
    try {
      return decodeJsonString(raw.subarray(0, end), path);
    } catch {
      // try a shorter prefix
    }
  }
  return decodeJsonString(raw.subarray(0, 0), path);
}

function decodeJsonString(raw: Buffer, path: string): string {
  try {
    return JSON.parse(`"${raw.toString('utf8')}"`) as string;
  } catch {
    throw new BkJobError(`BlueKing JOB returned an unexpected response: ${path}.log_content should be a string (bad escape or control character)`, { kind: 'bad_response' });
  }
}

/** An integer for matching only (validation happens in the shared readers). */
function safeInt(value: unknown, fallback: number | null = null): number | null {
  try {
    return readOptionalInt(value, '') ?? fallback;
  } catch {
    return null;
  }
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

const NUMBER_CHARS = new Uint8Array(256);
for (const c of '0123456789+-.eE') NUMBER_CHARS[c.charCodeAt(0)] = 1;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** A `BodyReader` for `BkTransport.callStreaming` that yields the job. */
export function v2JobReader(ref: JobRef, options: V2ParseOptions): (headerRequestId: string | undefined) => BodyReader<JobInstance> {
  return (headerRequestId) => {
    const scanner = new V2JobLogScanner(ref, { ...options, headerRequestId });
    return { push: (chunk) => scanner.push(chunk), finish: () => scanner.finish() };
  };
}

/** A `BodyReader` that yields one host's log, skipping every other host's. */
export function v2HostLogReader(ref: HostLogRef, maxBytes: number, options: V2ParseOptions): (headerRequestId: string | undefined) => BodyReader<HostLog> {
  return (headerRequestId) => {
    const scanner = new V2JobLogScanner(ref.job, { ...options, headerRequestId, hostLog: { ref, maxBytes } });
    return { push: (chunk) => scanner.push(chunk), finish: () => scanner.hostLog() };
  };
}

/** Scans a whole body given as chunks (tests, benchmarks). */
export function scanV2JobInstanceLog(chunks: Iterable<Buffer>, ref: JobRef, options: V2ParseOptions): JobInstance {
  const scanner = new V2JobLogScanner(ref, options);
  for (const chunk of chunks) scanner.push(chunk);
  return scanner.finish();
}

/**
 * V8 drops a class's optimised code once no instance of it survives a full GC, and the next big
 * response then runs 3–6× slower until it is re-optimised: keep one instance alive.
 */
export const KEEP_WARM: readonly unknown[] = keepWarm();

/** A scanner that read a tiny response (holding its records) and the job it built (holding the result shapes). */
function keepWarm(): unknown[] {
  const scanner = new V2JobLogScanner({ bizId: 0, jobInstanceId: 0 }, { defaultOffsetMinutes: 0 });
  const host = '{"ip":"10.0.0.1","bk_cloud_id":0,"exit_code":0,"error_code":0,"start_time":"2024-06-11 10:00:00","end_time":"2024-06-11 10:00:01","total_time":1,"retry_count":0,"log_content":"ok"}';
  scanner.push(Buffer.from(`{"result":true,"code":0,"data":[{"step_instance_id":1,"name":"a","status":3,"step_results":[{"ip_status":9,"tag":"","ip_logs":[${host},${host}]}]}]}`));
  return [scanner, scanner.finish(), new Frame()];
}
