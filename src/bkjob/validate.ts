/**
 * Small runtime readers for untrusted JSON. Hand-written rather than schema-library based because
 * a big job's response has hundreds of thousands of host objects and this runs on every poll.
 * Each reader names the JSON path of what is wrong, so a bad response gives a useful error.
 */
import { BkJobError } from './errors';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function invalid(path: string, expected: string): never {
  throw new BkJobError(`BlueKing JOB returned an unexpected response: ${path} should be ${expected}`, { kind: 'bad_response' });
}

export function readRecord(value: unknown, path: string): Json {
  return isRecord(value) ? value : invalid(path, 'an object');
}

export function readArray(value: unknown, path: string): unknown[] {
  return Array.isArray(value) ? value : invalid(path, 'a list');
}

/** Missing or null lists are treated as empty (JOB omits empty collections in places). */
export function readOptionalArray(value: unknown, path: string): unknown[] {
  return value === undefined || value === null ? [] : readArray(value, path);
}

export function readInt(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  // Long IDs sometimes arrive as strings from older ESB versions.
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return invalid(path, 'an integer');
}

export function readOptionalInt(value: unknown, path: string): number | null {
  return value === undefined || value === null ? null : readInt(value, path);
}

export function readOptionalNumber(value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return invalid(path, 'a number');
}

export function readString(value: unknown, path: string): string {
  return typeof value === 'string' ? value : invalid(path, 'a string');
}

export function readOptionalString(value: unknown, path: string): string | null {
  return value === undefined || value === null ? null : readString(value, path);
}

export function readOptionalBoolean(value: unknown, path: string): boolean | null {
  return value === undefined || value === null ? null : typeof value === 'boolean' ? value : invalid(path, 'true or false');
}

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:\s*(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses v2 times: `2024-06-11 10:15:03 +0800` (documented) or `2024-06-11 10:15:03` (current
 * source, no offset: interpreted in `defaultOffsetMinutes`, the BlueKing server's zone).
 * Hand-rolled because it runs for every host of every step on every poll.
 */
export function parseBkTime(value: unknown, path: string, defaultOffsetMinutes: number): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : invalid(path, 'a time');
  if (typeof value !== 'string') return invalid(path, 'a time');
  const match = TIME_PATTERN.exec(value.trim());
  if (!match) return invalid(path, 'a time like 2024-06-11 10:15:03 +0800');
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
  if (!exact || !offsetValid) return invalid(path, 'a time like 2024-06-11 10:15:03 +0800');
  return utc - offset * 60_000;
}
