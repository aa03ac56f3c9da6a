/**
 * What the two adapters share for the audit table (`AuditStore`): the migration (types spelled
 * per database), the insert, the list query and the checked row reader.
 */
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditEntry, type AuditFilter } from '../audit/types';
import { jsonReaders } from '../util/json';
import type { ColumnReaders, Row, SqlValue } from './codec';
import { corrupt, readNullable, readText } from './codec';

/**
 * Migration 7: the audit table, pruned by time (AUDIT_RETENTION), hence the index on `at`.
 * `id` orders entries recorded in the same millisecond.
 */
export function auditMigration(d: { readonly id: string; readonly bigint: 'INTEGER' | 'BIGINT'; readonly tableSuffix: string }): string {
  return `
    CREATE TABLE audit (
      id              ${d.id},
      at              ${d.bigint} NOT NULL,
      slack_user_id   TEXT    NOT NULL,
      bk_username     TEXT,
      channel_id      TEXT,
      scope_type      TEXT    CHECK (scope_type IN ('biz', 'biz_set')),
      biz_id          ${d.bigint},
      job_instance_id ${d.bigint},
      action          TEXT    NOT NULL,
      outcome         TEXT    NOT NULL,
      detail          TEXT
    )${d.tableSuffix};
    CREATE INDEX audit_at ON audit (at);
  `;
}

export const AUDIT_COLUMNS = 'at, slack_user_id, bk_username, channel_id, scope_type, biz_id, job_instance_id, action, outcome, detail';

export function insertAudit(entry: AuditEntry, placeholder: (index: number) => string): { sql: string; values: SqlValue[] } {
  const values: SqlValue[] = [entry.at, entry.slackUserId, entry.bkUsername, entry.channelId, entry.scopeType, entry.bizId, entry.jobInstanceId, entry.action, entry.outcome, entry.detail];
  return { sql: `INSERT INTO audit (${AUDIT_COLUMNS}) VALUES (${values.map((_, index) => placeholder(index)).join(', ')})`, values };
}

/** The port's order: newest first, the later recorded first among equal times. */
export function listAuditQuery(filter: AuditFilter, placeholder: (index: number) => string): { sql: string; values: SqlValue[] } {
  const values: SqlValue[] = [filter.from, filter.to];
  let where = `at >= ${placeholder(0)} AND at < ${placeholder(1)}`;
  if (filter.slackUserId !== undefined) {
    where += ` AND slack_user_id = ${placeholder(values.length)}`;
    values.push(filter.slackUserId);
  }
  const limit = placeholder(values.length);
  values.push(filter.limit);
  return { sql: `SELECT ${AUDIT_COLUMNS} FROM audit WHERE ${where} ORDER BY at DESC, id DESC LIMIT ${limit}`, values };
}

const STORED = jsonReaders(corrupt);

export function toAuditEntry(row: Row, columns: ColumnReaders): AuditEntry {
  const nullableInt = (column: string): number | null => readNullable(row[column], `audit.${column}`, columns.int);
  const nullableText = (column: string): string | null => readNullable(row[column], `audit.${column}`, readText);
  return {
    at: columns.int(row['at'], 'audit.at'),
    slackUserId: readText(row['slack_user_id'], 'audit.slack_user_id'),
    bkUsername: nullableText('bk_username'),
    channelId: nullableText('channel_id'),
    scopeType: readNullable(row['scope_type'], 'audit.scope_type', (value, path) => STORED.readEnum(value, { biz: true, biz_set: true }, path)),
    bizId: nullableInt('biz_id'),
    jobInstanceId: nullableInt('job_instance_id'),
    action: STORED.readEnum(row['action'], AUDIT_ACTIONS, 'audit.action'),
    outcome: STORED.readEnum(row['outcome'], AUDIT_OUTCOMES, 'audit.outcome'),
    detail: nullableText('detail'),
  };
}
