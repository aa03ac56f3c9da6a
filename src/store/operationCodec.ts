/** Operation claims: the migration both databases run (types spelled per database), and the row reader. */
import type { OperationClaim } from '../operate/types';
import { type Row, readNullable, readText } from './codec';

/** Migration 8: one operation per click, the first claim of a job/step/run/operation key wins, across replicas. */
export function operationMigration(d: { readonly bigint: 'INTEGER' | 'BIGINT'; readonly tableSuffix: string }): string {
  return `
    CREATE TABLE operation_claims (
      key           TEXT    PRIMARY KEY,
      slack_user_id TEXT    NOT NULL,
      bk_username   TEXT,
      at            ${d.bigint} NOT NULL
    )${d.tableSuffix};
  `;
}

export function toClaim(row: Row, int: (value: unknown, path: string) => number): OperationClaim {
  return {
    key: readText(row['key'], 'operation_claims.key'),
    slackUserId: readText(row['slack_user_id'], 'operation_claims.slack_user_id'),
    bkUsername: readNullable(row['bk_username'], 'operation_claims.bk_username', readText),
    at: int(row['at'], 'operation_claims.at'),
  };
}
