/** Operation claims as both adapters read them back. */
import type { OperationClaim } from '../operate/types';
import { type Row, readNullable, readText } from './codec';

export function toClaim(row: Row, int: (value: unknown, path: string) => number): OperationClaim {
  return {
    key: readText(row['key'], 'operation_claims.key'),
    slackUserId: readText(row['slack_user_id'], 'operation_claims.slack_user_id'),
    bkUsername: readNullable(row['bk_username'], 'operation_claims.bk_username', readText),
    at: int(row['at'], 'operation_claims.at'),
  };
}
