/**
 * The bot's one reader of untrusted JSON: BlueKing envelopes and job data, stored outbox rows and
 * summaries, Slack button values. Hand-written rather than schema-library based because a big
 * job's answer has hundreds of thousands of host objects and this runs on every poll.
 *
 * `jsonReaders(fail)` gives a set of readers whose failures go through `fail`: each caller decides
 * what bad input means to it (a BlueKing `bad_response`, a damaged database row, a stale button),
 * and every reader names the JSON path of what is wrong.
 */
export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Where a value sits, for error messages only. A function, so that hot loops over hundreds of
 * thousands of hosts build no path strings unless something is actually wrong.
 */
export type PathRef = string | (() => string);

/** Called with the full path (`data[0].ip`) and what was expected there; never returns. */
export type ReadFailure = (where: string, expected: string) => never;

export interface JsonReaders {
  readonly fail: (path: PathRef, expected: string, field?: string) => never;
  readonly readRecord: (value: unknown, path: PathRef, field?: string) => Json;
  readonly readArray: (value: unknown, path: PathRef, field?: string) => unknown[];
  /** Missing or null lists are treated as empty (JOB omits empty collections in places). */
  readonly readOptionalArray: (value: unknown, path: PathRef, field?: string) => unknown[];
  /** A safe integer; decimal strings of up to 15 digits too (older ESB versions send long ids as strings). */
  readonly readInt: (value: unknown, path: PathRef, field?: string) => number;
  readonly readOptionalInt: (value: unknown, path: PathRef, field?: string) => number | null;
  readonly readOptionalNumber: (value: unknown, path: PathRef, field?: string) => number | null;
  readonly readString: (value: unknown, path: PathRef, field?: string) => string;
  readonly readOptionalString: (value: unknown, path: PathRef, field?: string) => string | null;
  readonly readBoolean: (value: unknown, path: PathRef, field?: string) => boolean;
  /** One of the keys of `allowed` (a Record rather than an array: adding a union member fails to compile there). */
  readonly readEnum: <T extends string>(value: unknown, allowed: Readonly<Record<T, true>>, path: PathRef, field?: string) => T;
}

export function jsonReaders(onFailure: ReadFailure): JsonReaders {
  const fail = (path: PathRef, expected: string, field?: string): never => {
    const where = typeof path === 'function' ? path() : path;
    return onFailure(field ? `${where}.${field}` : where, expected);
  };
  const readArray = (value: unknown, path: PathRef, field?: string): unknown[] => (Array.isArray(value) ? value : fail(path, 'a list', field));
  const readInt = (value: unknown, path: PathRef, field?: string): number => {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
    return fail(path, 'an integer', field);
  };
  const readString = (value: unknown, path: PathRef, field?: string): string => (typeof value === 'string' ? value : fail(path, 'a string', field));
  return {
    fail,
    readRecord: (value, path, field) => (isRecord(value) ? value : fail(path, 'an object', field)),
    readArray,
    readOptionalArray: (value, path, field) => (value === undefined || value === null ? [] : readArray(value, path, field)),
    readInt,
    readOptionalInt: (value, path, field) => (value === undefined || value === null ? null : readInt(value, path, field)),
    readOptionalNumber: (value, path, field) => {
      if (value === undefined || value === null) return null;
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      return fail(path, 'a number', field);
    },
    readString,
    readOptionalString: (value, path, field) => (value === undefined || value === null ? null : readString(value, path, field)),
    readBoolean: (value, path, field) => (typeof value === 'boolean' ? value : fail(path, 'true or false', field)),
    readEnum: <T extends string>(value: unknown, allowed: Readonly<Record<T, true>>, path: PathRef, field?: string): T =>
      typeof value === 'string' && Object.hasOwn(allowed, value) ? (value as T) : fail(path, `one of ${Object.keys(allowed).join(', ')}`, field),
  };
}

/** Thrown by `shapeReaders`: the value is not what was expected; callers that return null on junk catch it. */
export class JsonShapeError extends Error {
  constructor(
    readonly where: string,
    readonly expected: string,
  ) {
    super(`${where} should be ${expected}`);
    this.name = 'JsonShapeError';
  }
}

/** Readers that throw `JsonShapeError`, for inputs where junk means "ignore it" (e.g. stale buttons). */
export const shapeReaders: JsonReaders = jsonReaders((where, expected) => {
  throw new JsonShapeError(where, expected);
});

/** JSON.parse that answers undefined for text that is not JSON. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
