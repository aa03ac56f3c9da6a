/**
 * What the two adapters share for subscriptions: the migration (types spelled per database), the
 * columns, inserts with placeholders of either style, and checked row readers.
 */
import type { NotifyOn } from '../watch/types';
import type { NewSubscription, RunResult, Subscription, SubscriptionPatch, SubscriptionRun, SubscriptionScope, SubscriptionState, SubscriptionTarget } from '../watch/subscriptionTypes';
import { initialSubscriptionState } from '../watch/subscriptionTypes';
import type { ColumnReaders, Row, SqlValue } from './codec';
import { corrupt, readInt, readNullable, readText } from './codec';
import { jsonReaders } from '../util/json';

/** How a database spells the column types the subscription tables use. */
export interface SqlDialect {
  readonly bigint: 'INTEGER' | 'BIGINT';
  readonly json: 'TEXT' | 'JSONB';
  /** ' STRICT' for SQLite tables. */
  readonly tableSuffix: string;
}

/**
 * Migration 6: subscriptions, their runs and the scanner's cursors; a watch may follow one run
 * (`run_of`) and thread its events elsewhere (`thread_ts`). Run watches do not take the
 * "one open watch per channel and job" slot that people's watches use.
 */
export function subscriptionMigration(d: SqlDialect): string {
  return `
    ALTER TABLE watches ADD COLUMN run_of ${d.json};
    ALTER TABLE watches ADD COLUMN thread_ts TEXT;
    DROP INDEX watches_one_open_per_job;
    CREATE UNIQUE INDEX watches_one_open_per_job ON watches (channel_id, scope_type, biz_id, job_instance_id)
      WHERE status IN ('active', 'paused') AND run_of IS NULL;

    CREATE TABLE subscriptions (
      id            TEXT       PRIMARY KEY,
      channel_id    TEXT       NOT NULL,
      scope_type    TEXT       NOT NULL CHECK (scope_type IN ('biz', 'biz_set')),
      biz_id        ${d.bigint} NOT NULL,
      kind          TEXT       NOT NULL CHECK (kind IN ('cron', 'plan')),
      target_id     ${d.bigint} NOT NULL,
      target        ${d.json}  NOT NULL,
      subscriber_id TEXT       NOT NULL,
      bk_username   TEXT,
      notify_on     TEXT       NOT NULL CHECK (notify_on IN ('failure', 'finish', 'all')),
      digest_at     TEXT,
      status        TEXT       NOT NULL CHECK (status IN ('active', 'ended')),
      status_reason TEXT,
      created_at    ${d.bigint} NOT NULL,
      version       ${d.bigint} NOT NULL DEFAULT 0,
      state         ${d.json}  NOT NULL
    )${d.tableSuffix};
    -- One active subscription per channel and cron or plan; createSubscription relies on it.
    CREATE UNIQUE INDEX subscriptions_one_per_target ON subscriptions (channel_id, scope_type, biz_id, kind, target_id)
      WHERE status = 'active';
    CREATE INDEX subscriptions_channel ON subscriptions (channel_id, created_at);
    CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber_id, created_at);

    CREATE TABLE subscription_runs (
      subscription_id TEXT       NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
      job_instance_id ${d.bigint} NOT NULL,
      created_at      ${d.bigint} NOT NULL,
      watch_id        TEXT       NOT NULL,
      result          TEXT       CHECK (result IN ('succeeded', 'failed', 'waiting')),
      duration_ms     ${d.bigint},
      finished_at     ${d.bigint},
      muted           INTEGER    NOT NULL DEFAULT 0,
      -- What was decided for the result (which run of the instance, what to announce): a
      -- delivery retried after a crash posts the same thing instead of deciding again.
      outcome         ${d.json},
      -- A run is recorded (and announced) once per subscription, whatever the replicas do.
      PRIMARY KEY (subscription_id, job_instance_id)
    )${d.tableSuffix};
    CREATE INDEX subscription_runs_created ON subscription_runs (subscription_id, created_at);

    CREATE TABLE subscription_cursors (
      scope_type TEXT       NOT NULL,
      biz_id     ${d.bigint} NOT NULL,
      cursor_ms  ${d.bigint} NOT NULL,
      PRIMARY KEY (scope_type, biz_id)
    )${d.tableSuffix};
  `;
}

export const SUBSCRIPTION_COLUMNS = 'id, channel_id, scope_type, biz_id, kind, target_id, target, subscriber_id, bk_username, notify_on, digest_at, status, status_reason, created_at, version, state';
export const RUN_COLUMNS = 'subscription_id, job_instance_id, created_at, watch_id, result, duration_ms, finished_at, muted, outcome';
export const SUBSCRIPTIONS_OLDEST_FIRST = 'ORDER BY created_at, id';

/** The scope's key columns (scope_type, biz_id). */
export function scopeValues(scope: SubscriptionScope): [string, number] {
  return [scope.scopeType ?? 'biz', scope.bizId];
}

export function insertSubscription(id: string, s: NewSubscription, placeholder: (index: number) => string, jsonCast = ''): { sql: string; values: SqlValue[] } {
  const row: Readonly<Record<string, SqlValue>> = {
    id,
    channel_id: s.channelId,
    scope_type: s.scope.scopeType ?? 'biz',
    biz_id: s.scope.bizId,
    kind: s.target.kind,
    target_id: s.target.id,
    target: JSON.stringify(s.target),
    subscriber_id: s.subscriberId,
    bk_username: s.bkUsername,
    notify_on: s.notifyOn,
    digest_at: s.digestAt,
    status: 'active',
    created_at: s.createdAt,
    state: JSON.stringify(initialSubscriptionState(s.createdAt)),
  };
  const columns = Object.keys(row);
  const params = columns.map((column, index) => placeholder(index) + (column === 'target' || column === 'state' ? jsonCast : ''));
  return { sql: `INSERT INTO subscriptions (${columns.join(', ')}) VALUES (${params.join(', ')})`, values: Object.values(row) };
}

/** SET clauses of a subscription patch (the version is bumped by the caller's statement). */
export function subscriptionAssignments(patch: SubscriptionPatch, placeholder: (index: number) => string, jsonCast = ''): { assignments: string[]; values: SqlValue[] } {
  const assignments: string[] = [];
  const values: SqlValue[] = [];
  const set = (column: string, value: SqlValue, json = false): void => {
    assignments.push(`${column} = ${placeholder(values.length)}${json ? jsonCast : ''}`);
    values.push(value);
  };
  if (patch.status !== undefined) set('status', patch.status);
  if (patch.statusReason !== undefined) set('status_reason', patch.statusReason);
  if (patch.target !== undefined) set('target', JSON.stringify(patch.target), true);
  if (patch.notifyOn !== undefined) set('notify_on', patch.notifyOn);
  if (patch.digestAt !== undefined) set('digest_at', patch.digestAt);
  if (patch.state !== undefined) set('state', JSON.stringify(patch.state), true);
  return { assignments, values };
}

const STORED = jsonReaders(corrupt);
const NOTIFY_ON: Readonly<Record<NotifyOn, true>> = { failure: true, finish: true, all: true };
const RESULTS: Readonly<Record<RunResult, true>> = { succeeded: true, failed: true, waiting: true };

export function toSubscription(row: Row, columns: ColumnReaders): Subscription {
  const int = (column: string): number => columns.int(row[column], `subscriptions.${column}`);
  const scopeType = STORED.readEnum(row['scope_type'], { biz: true, biz_set: true }, 'subscriptions.scope_type');
  const scope: SubscriptionScope = scopeType === 'biz_set' ? { bizId: int('biz_id'), scopeType } : { bizId: int('biz_id') };
  return {
    id: readText(row['id'], 'subscriptions.id'),
    channelId: readText(row['channel_id'], 'subscriptions.channel_id'),
    scope,
    target: decodeTarget(columns.json(row['target'], 'subscriptions.target')),
    subscriberId: readText(row['subscriber_id'], 'subscriptions.subscriber_id'),
    bkUsername: readNullable(row['bk_username'], 'subscriptions.bk_username', readText),
    notifyOn: STORED.readEnum(row['notify_on'], NOTIFY_ON, 'subscriptions.notify_on'),
    digestAt: readNullable(row['digest_at'], 'subscriptions.digest_at', readText),
    status: STORED.readEnum(row['status'], { active: true, ended: true }, 'subscriptions.status'),
    statusReason: readNullable(row['status_reason'], 'subscriptions.status_reason', readText),
    createdAt: int('created_at'),
    version: int('version'),
    state: decodeState(columns.json(row['state'], 'subscriptions.state')),
  };
}

export function toSubscriptionRun(row: Row, columns: ColumnReaders): SubscriptionRun {
  const int = (column: string): number => columns.int(row[column], `subscription_runs.${column}`);
  const nullableInt = (column: string): number | null => readNullable(row[column], `subscription_runs.${column}`, columns.int);
  return {
    subscriptionId: readText(row['subscription_id'], 'subscription_runs.subscription_id'),
    jobInstanceId: int('job_instance_id'),
    createdAt: int('created_at'),
    watchId: readText(row['watch_id'], 'subscription_runs.watch_id'),
    result: readNullable(row['result'], 'subscription_runs.result', (value, path) => STORED.readEnum(value, RESULTS, path)),
    durationMs: nullableInt('duration_ms'),
    finishedAt: nullableInt('finished_at'),
    muted: int('muted') !== 0,
    outcome: row['outcome'] === null || row['outcome'] === undefined ? null : columns.json(row['outcome'], 'subscription_runs.outcome'),
  };
}

function decodeTarget(raw: unknown): SubscriptionTarget {
  const path = 'subscriptions.target';
  const value = STORED.readRecord(raw, path);
  const nullableString = (key: string): string | null => (value[key] === null || value[key] === undefined ? null : STORED.readString(value[key], `${path}.${key}`));
  return {
    kind: STORED.readEnum(value['kind'], { cron: true, plan: true }, `${path}.kind`),
    id: readInt(value['id'], `${path}.id`),
    name: STORED.readString(value['name'], `${path}.name`),
    planId: readInt(value['planId'], `${path}.planId`),
    expression: nullableString('expression'),
    timeZone: nullableString('timeZone'),
    templateId: value['templateId'] === null || value['templateId'] === undefined ? null : readInt(value['templateId'], `${path}.templateId`),
  };
}

function decodeState(raw: unknown): SubscriptionState {
  const path = 'subscriptions.state';
  const value = STORED.readRecord(raw, path);
  const nullableInt = (key: string): number | null => (value[key] === null || value[key] === undefined ? null : readInt(value[key], `${path}.${key}`));
  const nullableString = (key: string): string | null => (value[key] === null || value[key] === undefined ? null : STORED.readString(value[key], `${path}.${key}`));
  const lastResult = value['lastResult'];
  return {
    failStreak: readInt(value['failStreak'], `${path}.failStreak`),
    failThreadTs: nullableString('failThreadTs'),
    failThreadPendingSince: nullableInt('failThreadPendingSince'),
    failStreakRunId: nullableInt('failStreakRunId'),
    lastRunId: nullableInt('lastRunId'),
    lastRunAt: nullableInt('lastRunAt'),
    lastResult: lastResult === null || lastResult === undefined ? null : STORED.readEnum(lastResult, RESULTS, `${path}.lastResult`),
    resultSince: nullableInt('resultSince'),
    mutedUntil: nullableInt('mutedUntil'),
    mutedAt: nullableInt('mutedAt'),
    mutedBy: nullableString('mutedBy'),
    lastDigestAt: nullableInt('lastDigestAt'),
    targetCheckedAt: readInt(value['targetCheckedAt'], `${path}.targetCheckedAt`),
  };
}
