/**
 * Readers for BlueKing's JSON: the bot's one reader (`util/json.ts`) with BlueKing's failure,
 * plus BlueKing's time strings. Each reader names the JSON path of what is wrong.
 */
import { type JsonReaders, type PathRef, jsonReaders } from '../util/json';
import { BkJobError } from './errors';

export { type Json, type PathRef, isRecord } from '../util/json';

const BK_READERS: JsonReaders = jsonReaders((where, expected) => {
  throw new BkJobError(`BlueKing JOB returned an unexpected response: ${where} should be ${expected}`, { kind: 'bad_response' });
});

/** BlueKing data that is not what the API promises is a `bad_response`, naming where. */
export const { fail: invalid, readRecord, readArray, readOptionalArray, readInt, readOptionalInt, readOptionalNumber, readString, readOptionalString } = BK_READERS;

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:\s*(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses v2 times: `2024-06-11 10:15:03 +0800` (documented) or `2024-06-11 10:15:03` (current
 * source, no offset: interpreted in `defaultOffsetMinutes`, the BlueKing server's zone).
 * Hand-rolled because it runs for every host of every step on every poll.
 */
export function parseBkTime(value: unknown, path: PathRef, defaultOffsetMinutes: number, field?: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : invalid(path, 'a time', field);
  if (typeof value !== 'string') return invalid(path, 'a time', field);
  // Thousands of hosts share a few hundred distinct times: remember recent answers.
  let recent = recentTimes.get(defaultOffsetMinutes);
  if (!recent) recentTimes.set(defaultOffsetMinutes, (recent = new Map<string, number>()));
  const known = recent.get(value);
  if (known !== undefined) return known;
  const epochMs = parseTimeText(value, path, defaultOffsetMinutes, field);
  if (recent.size >= RECENT_TIMES_MAX) recent.clear();
  recent.set(value, epochMs);
  return epochMs;
}

const RECENT_TIMES_MAX = 10_000;
/** Per default offset: parsed epoch ms by time text. */
const recentTimes = new Map<number, Map<string, number>>();

/** `yyyy-MM-dd HH:mm:ss` read by character codes: the common case, three times faster than the regex. */
function parsePlainTime(value: string, defaultOffsetMinutes: number): number | null {
  if (value.length !== 19 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 32 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return null;
  const num = (from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) {
      const c = value.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return -1;
      n = n * 10 + c;
    }
    return n;
  };
  const y = num(0, 4), mo = num(5, 7), d = num(8, 10), h = num(11, 13), mi = num(14, 16), s = num(17, 19);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Reject impossible days (2024-02-30) by letting the general path report them.
  if (new Date(utc).getUTCDate() !== d) return null;
  return utc - defaultOffsetMinutes * 60_000;
}

function parseTimeText(value: string, path: PathRef, defaultOffsetMinutes: number, field?: string): number {
  const plain = parsePlainTime(value, defaultOffsetMinutes);
  if (plain !== null) return plain;
  const match = TIME_PATTERN.exec(value.trim());
  if (!match) return invalid(path, 'a time like 2024-06-11 10:15:03 +0800', field);
  const [, y, mo, d, h, mi, s, zone] = match;
  let offset = defaultOffsetMinutes;
  let offsetValid = true;
  if (zone === 'Z') offset = 0;
  else if (zone) {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    const zoneMinutes = Number(digits.slice(3, 5));
    offset = sign * (Number(digits.slice(1, 3)) * 60 + zoneMinutes);
    offsetValid = zoneMinutes < 60 && Math.abs(offset) <= 14 * 60;
  }
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC silently rolls 2024-02-30 over to March 1st: reject impossible fields instead.
  const back = new Date(utc);
  const exact = back.getUTCFullYear() === Number(y) && back.getUTCMonth() === Number(mo) - 1 && back.getUTCDate() === Number(d) && back.getUTCHours() === Number(h) && back.getUTCMinutes() === Number(mi) && back.getUTCSeconds() === Number(s);
  if (!exact || !offsetValid) return invalid(path, 'a time like 2024-06-11 10:15:03 +0800', field);
  return utc - offset * 60_000;
}
