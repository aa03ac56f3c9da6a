/**
 * What the two `WatchStore` adapters share: SQL fragments, the WatchPatch → SET clauses, the
 * encoding of values written and the checked mapping of rows read back. The adapters keep only
 * what differs between the databases: placeholders (`?` or `$n`), casts, and how a column value
 * arrives (see `ColumnReaders`).
 */
import type { JobRef } from '../bkjob/model';
import type { JobState, JobSummary } from '../summary/types';
import { jsonReaders, parseJsonOrUndefined } from '../util/json';
import type { NewOutboxEntry, NewWatch, NotifyOn, OutboxEntry, RunOf, StepSnapshot, Watch, WatchPatch, WatchSnapshot, WatchStatus } from '../watch/types';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/**
 * The columns a `Watch` is read from: every column but `last_summary`, which can be large and is
 * read only by `lastSummary()`, never on the poller's claim path.
 */
export const WATCH_COLUMN_NAMES: readonly string[] = [
  'id',
  'channel_id',
  'scope_type',
  'biz_id',
  'job_instance_id',
  'subscriber_id',
  'bk_username',
  'notify_on',
  'status',
  'status_reason',
  'status_message_ts',
  'snapshot',
  'fingerprint',
  'created_at',
  'expires_at',
  'last_polled_at',
  'last_changed_at',
  'next_poll_at',
  'consecutive_errors',
  'last_error',
  'run_of',
  'thread_ts',
];
export const WATCH_COLUMNS = WATCH_COLUMN_NAMES.join(', ');

/** The WHERE clause of `findOpen` after `channel_id`, with the job's three key values. */
export function sameJobValues(ref: JobRef): SqlValue[] {
  return [ref.scopeType ?? 'biz', ref.bizId, ref.jobInstanceId];
}

/** Migration SQL both databases run alike (each adapter keeps its own, append-only list). */
export const SCOPE_TYPE_MIGRATION = `
  ALTER TABLE watches ADD COLUMN scope_type TEXT NOT NULL DEFAULT 'biz' CHECK (scope_type IN ('biz', 'biz_set'));
  DROP INDEX watches_one_open_per_job;
  CREATE UNIQUE INDEX watches_one_open_per_job ON watches (channel_id, scope_type, biz_id, job_instance_id)
    WHERE status IN ('active', 'paused');
`;
export const BK_USERNAME_MIGRATION = 'ALTER TABLE watches ADD COLUMN bk_username TEXT;';

/**
 * When the oldest unresolved delivery attempt of an outbox entry started (NULL: none): a crash or
 * a Slack call that timed out leaves it set, and the next delivery first looks for the message.
 */
export function outboxAttemptMigration(bigint: 'INTEGER' | 'BIGINT'): string {
  return `ALTER TABLE watch_outbox ADD COLUMN attempt_started_at ${bigint};`;
}

export const OPEN_STATUSES = `status IN ('active', 'paused')`;
/** Watches people started (not subscription runs): what per-channel lists, limits and "already watched" see. */
export const PEOPLES_WATCHES = 'run_of IS NULL';
/** Rows come back oldest first; id breaks ties so the order is stable. */
export const OLDEST_FIRST = 'ORDER BY created_at, id';

/** WatchPatch field → column. `satisfies` makes adding a WatchPatch field a compile error here. */
const PATCH_COLUMNS = {
  status: 'status',
  statusReason: 'status_reason',
  statusMessageTs: 'status_message_ts',
  snapshot: 'snapshot',
  fingerprint: 'fingerprint',
  lastPolledAt: 'last_polled_at',
  lastChangedAt: 'last_changed_at',
  nextPollAt: 'next_poll_at',
  consecutiveErrors: 'consecutive_errors',
  lastError: 'last_error',
  expiresAt: 'expires_at',
  lastSummary: 'last_summary',
  run: 'run_of',
  threadTs: 'thread_ts',
} as const satisfies Record<keyof WatchPatch, string>;

const JSON_FIELDS: ReadonlySet<keyof WatchPatch> = new Set(['snapshot', 'lastSummary', 'run']);

export interface PatchOptions {
  /**
   * A leased write (saveWithLease, release): status and its reason change only while the watch
   * is still active, so an unwatch that lands during a poll is not undone by the poll's write.
   */
  readonly leased: boolean;
  /** Appended to the snapshot's placeholder, e.g. '::jsonb'. */
  readonly jsonCast?: string;
}

/**
 * SET clauses for the fields present in the patch; `undefined` means "leave as is", null is stored.
 * `placeholder(index)` spells the parameter for `values[index]` (`?`, or `$n` numbered after the
 * statement's other parameters).
 */
export function patchAssignments(
  patch: WatchPatch,
  placeholder: (index: number) => string,
  options: PatchOptions,
): { assignments: string[]; values: SqlValue[] } {
  const assignments: string[] = [];
  const values: SqlValue[] = [];
  for (const field of Object.keys(PATCH_COLUMNS) as (keyof WatchPatch)[]) {
    const value = patch[field];
    if (value === undefined) continue;
    const param = placeholder(values.length);
    const column = PATCH_COLUMNS[field];
    if (options.leased && (field === 'status' || field === 'statusReason')) assignments.push(`${column} = CASE WHEN status = 'active' THEN ${param} ELSE ${column} END`);
    else if (JSON_FIELDS.has(field)) assignments.push(`${column} = ${param}${options.jsonCast ?? ''}`);
    else assignments.push(`${column} = ${param}`);
    values.push(field === 'snapshot' ? encodeJson(patch.snapshot ?? null) : field === 'lastSummary' ? encodeJson(patch.lastSummary ?? null) : field === 'run' ? encodeJson(patch.run ?? null) : (value as SqlValue));
  }
  return { assignments, values };
}

/**
 * INSERT of a new, active watch (last changed when created), without the ON CONFLICT clause the
 * adapter appends; `placeholder` and `jsonCast` as for patchAssignments.
 */
export function insertWatch(
  id: string,
  watch: NewWatch,
  placeholder: (index: number) => string,
  options: Pick<PatchOptions, 'jsonCast'> = {},
): { sql: string; values: SqlValue[] } {
  const row: Readonly<Record<string, SqlValue>> = {
    id,
    channel_id: watch.channelId,
    scope_type: watch.ref.scopeType ?? 'biz',
    biz_id: watch.ref.bizId,
    job_instance_id: watch.ref.jobInstanceId,
    subscriber_id: watch.subscriberId,
    bk_username: watch.bkUsername ?? null,
    notify_on: watch.notifyOn,
    status: 'active',
    status_message_ts: watch.statusMessageTs,
    snapshot: encodeJson(watch.snapshot),
    last_summary: encodeJson(watch.lastSummary ?? null),
    run_of: encodeJson(watch.run ?? null),
    lease_owner: watch.lease?.owner ?? null,
    lease_until: watch.lease?.until ?? null,
    leased_at: watch.lease ? watch.createdAt : null,
    fingerprint: watch.fingerprint,
    created_at: watch.createdAt,
    expires_at: watch.expiresAt,
    last_changed_at: watch.createdAt,
    next_poll_at: watch.nextPollAt,
  };
  const columns = Object.keys(row);
  const params = columns.map((column, index) => placeholder(index) + (column === 'snapshot' || column === 'last_summary' || column === 'run_of' ? (options.jsonCast ?? '') : ''));
  return { sql: `INSERT INTO watches (${columns.join(', ')}) VALUES (${params.join(', ')})`, values: Object.values(row) };
}

/** claimDue's order: RETURNING order is unspecified, so rows are sorted after the fact. */
export function byNextPoll(a: Watch, b: Watch): number {
  return a.nextPollAt - b.nextPollAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The store never reads a clock and NewOutboxEntry carries no time, so an entry is stamped with
 * the poll time of the save (patch.lastPolledAt), else with the time the lease was claimed.
 */
export function outboxTime(patch: WatchPatch, leasedAt: number | null): number {
  const time = patch.lastPolledAt ?? leasedAt;
  if (time === null) throw new Error('watch store: cannot time an outbox entry: no lastPolledAt in the patch and no lease time');
  return time;
}

/**
 * JSON text: SQLite stores it as TEXT, PostgreSQL gets it as a `::jsonb` parameter (pg would turn
 * a JS array into a PostgreSQL array).
 */
function encodeJson(value: WatchSnapshot | JobSummary | RunOf | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

export function encodePayload(entry: NewOutboxEntry): string {
  const json: unknown = JSON.stringify(entry.payload);
  if (typeof json !== 'string') throw new TypeError(`watch store: outbox payload of ${entry.key} is not JSON-serialisable`);
  return json;
}

// ---- Row → domain mapping. Everything read back is checked: a bad row fails loudly, by column. ----

/** How one database hands back the column values whose JS shape depends on the driver. */
export interface ColumnReaders {
  /** An integer column (pg returns BIGINT as a decimal string). */
  readonly int: (value: unknown, path: string) => number;
  /** A non-NULL JSON column, as the parsed value (SQLite keeps TEXT to parse, pg returns JSONB parsed). */
  readonly json: (value: unknown, path: string) => unknown;
}

/** Row readers for one database: plain functions, so they can be passed to `map`. */
export interface RowReaders {
  readonly watch: (row: Row) => Watch;
  readonly outboxEntry: (row: Row) => OutboxEntry;
  readonly int: (value: unknown, path: string) => number;
}

export function rowReaders(columns: ColumnReaders): RowReaders {
  return { watch: (row) => toWatch(row, columns), outboxEntry: (row) => toOutboxEntry(row, columns), int: columns.int };
}

function toWatch(row: Row, columns: ColumnReaders): Watch {
  const int = (column: string): number => columns.int(row[column], `watches.${column}`);
  const scopeType = readEnum(row['scope_type'], SCOPE_TYPES, 'watches.scope_type');
  const ref: JobRef = scopeType === 'biz_set' ? { bizId: int('biz_id'), jobInstanceId: int('job_instance_id'), scopeType } : { bizId: int('biz_id'), jobInstanceId: int('job_instance_id') };
  const snapshot = row['snapshot'];
  return {
    id: readText(row['id'], 'watches.id'),
    channelId: readText(row['channel_id'], 'watches.channel_id'),
    ref,
    subscriberId: readText(row['subscriber_id'], 'watches.subscriber_id'),
    bkUsername: readNullableText(row['bk_username'], 'watches.bk_username'),
    notifyOn: readEnum(row['notify_on'], NOTIFY_ON, 'watches.notify_on'),
    status: readEnum(row['status'], WATCH_STATUSES, 'watches.status'),
    statusReason: readNullableText(row['status_reason'], 'watches.status_reason'),
    statusMessageTs: readNullableText(row['status_message_ts'], 'watches.status_message_ts'),
    snapshot: snapshot === null ? null : decodeSnapshot(columns.json(snapshot, 'watches.snapshot')),
    fingerprint: readNullableText(row['fingerprint'], 'watches.fingerprint'),
    createdAt: int('created_at'),
    expiresAt: int('expires_at'),
    lastPolledAt: readNullable(row['last_polled_at'], 'watches.last_polled_at', columns.int),
    lastChangedAt: int('last_changed_at'),
    nextPollAt: int('next_poll_at'),
    consecutiveErrors: int('consecutive_errors'),
    lastError: readNullableText(row['last_error'], 'watches.last_error'),
    run: row['run_of'] === null || row['run_of'] === undefined ? null : decodeRunOf(columns.json(row['run_of'], 'watches.run_of')),
    threadTs: readNullableText(row['thread_ts'] ?? null, 'watches.thread_ts'),
  };
}

function decodeRunOf(raw: unknown): RunOf {
  const path = 'watches.run_of';
  const value = asRecord(raw, path);
  return {
    subscriptionId: readText(value['subscriptionId'], `${path}.subscriptionId`),
    kind: readEnum(value['kind'], { cron: true, plan: true }, `${path}.kind`),
    targetId: readInt(value['targetId'], `${path}.targetId`),
    targetName: readText(value['targetName'], `${path}.targetName`),
    streak: readInt(value['streak'], `${path}.streak`),
  };
}

function toOutboxEntry(row: Row, columns: ColumnReaders): OutboxEntry {
  const int = (column: string): number => columns.int(row[column], `watch_outbox.${column}`);
  return {
    watchId: readText(row['watch_id'], 'watch_outbox.watch_id'),
    key: readText(row['key'], 'watch_outbox.key'),
    payload: columns.json(row['payload'], 'watch_outbox.payload'),
    createdAt: int('created_at'),
    attempts: int('attempts'),
    attemptStartedAt: readNullable(row['attempt_started_at'], 'watch_outbox.attempt_started_at', columns.int),
    sentAt: readNullable(row['sent_at'], 'watch_outbox.sent_at', columns.int),
    slackTs: readNullableText(row['slack_ts'], 'watch_outbox.slack_ts'),
  };
}

/** Record<Union, true> rather than an array: adding a member to the union fails to compile here. */
const NOTIFY_ON: Readonly<Record<NotifyOn, true>> = { failure: true, finish: true, all: true };
const SCOPE_TYPES: Readonly<Record<'biz' | 'biz_set', true>> = { biz: true, biz_set: true };
const WATCH_STATUSES: Readonly<Record<WatchStatus, true>> = { active: true, paused: true, ended: true, expired: true };
const JOB_STATES: Readonly<Record<JobState, true>> = {
  pending: true,
  running: true,
  waiting: true,
  succeeded: true,
  failed: true,
  stopped: true,
  abnormal: true,
};

/** A stored snapshot, already parsed from JSON; numbers inside JSON are JSON numbers, never strings. */
function decodeSnapshot(raw: unknown): WatchSnapshot {
  const path = 'watches.snapshot';
  const value = asRecord(raw, path);
  const steps = value['steps'];
  if (!Array.isArray(steps)) return corrupt(`${path}.steps`, 'a list');
  const jobName = value['jobName'];
  if (jobName !== undefined && typeof jobName !== 'string') return corrupt(`${path}.jobName`, 'a string');
  const hadFailure = value['hadFailure'] === undefined ? undefined : STORED.readBoolean(value['hadFailure'], path, 'hadFailure');
  const followingRetriesUntil = value['followingRetriesUntil'] === undefined ? undefined : readInt(value['followingRetriesUntil'], `${path}.followingRetriesUntil`);
  return {
    ...(jobName === undefined ? {} : { jobName }),
    ...(hadFailure === undefined ? {} : { hadFailure }),
    ...(followingRetriesUntil === undefined ? {} : { followingRetriesUntil }),
    state: readEnum(value['state'], JOB_STATES, `${path}.state`),
    steps: steps.map((item: unknown, index): StepSnapshot => {
      const step = asRecord(item, `${path}.steps[${index}]`);
      return {
        stepInstanceId: readInt(step['stepInstanceId'], `${path}.steps[${index}].stepInstanceId`),
        status: readInt(step['status'], `${path}.steps[${index}].status`),
        executeCount: readInt(step['executeCount'], `${path}.steps[${index}].executeCount`),
        failedHostCount: readInt(step['failedHostCount'], `${path}.steps[${index}].failedHostCount`),
      };
    }),
  };
}

/**
 * A stored summary, already parsed from JSON. The bot wrote it itself, from a validated BlueKing
 * answer: the checks here catch a damaged row, not hostile input, so they stop at the shape the
 * renderers rely on first.
 */
export function decodeSummary(raw: unknown): JobSummary {
  const path = 'watches.last_summary';
  const value = asRecord(raw, path);
  const ref = asRecord(value['ref'], `${path}.ref`);
  readInt(ref['bizId'], `${path}.ref.bizId`);
  readInt(ref['jobInstanceId'], `${path}.ref.jobInstanceId`);
  readEnum(value['state'], JOB_STATES, `${path}.state`);
  if (!Array.isArray(value['steps'])) return corrupt(`${path}.steps`, 'a list');
  if (typeof value['finished'] !== 'boolean') return corrupt(`${path}.finished`, 'true or false');
  return value as unknown as JobSummary;
}

export function corrupt(path: string, expected: string): never {
  throw new Error(`watch store: stored ${path} should be ${expected}`);
}

/** A row that is not what the store wrote fails loudly, naming the column (the bot's one JSON reader). */
const STORED = jsonReaders(corrupt);

export function parseJson(text: string, path: string): unknown {
  const value = parseJsonOrUndefined(text);
  return value === undefined ? corrupt(path, 'valid JSON') : value;
}

export function asRow(value: unknown): Row {
  return asRecord(value, 'row');
}

function asRecord(value: unknown, path: string): Record<string, unknown> {
  return STORED.readRecord(value, path);
}

export function readText(value: unknown, path: string): string {
  return STORED.readString(value, path);
}

function readNullableText(value: unknown, path: string): string | null {
  return readNullable(value, path, readText);
}

export function readNullable<T>(value: unknown, path: string, read: (value: unknown, path: string) => T): T | null {
  return value === null ? null : read(value, path);
}

/** An integer within ±2^53 (SQLite INTEGER columns, numbers inside JSON). */
export function readInt(value: unknown, path: string): number {
  return STORED.readInt(value, path);
}

function readEnum<T extends string>(value: unknown, allowed: Readonly<Record<T, true>>, path: string): T {
  return STORED.readEnum(value, allowed, path);
}
