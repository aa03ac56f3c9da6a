/**
 * Writes the audit trail: one structured log line (message `audit`, the entry's fields) and one
 * row in the store per action. Never throws and never fails the user's action: a store failure
 * is logged as a warning and the action goes on.
 */
import type { AuditEntry, AuditStore } from './types';

/** The logging this needs (pino's logger fits); structural, so `audit/` imports no logger module. */
export interface AuditLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What the caller knows; the time is taken here. */
export type AuditRecord = Omit<AuditEntry, 'at'>;

export class AuditLog {
  constructor(
    private readonly store: Pick<AuditStore, 'recordAudit'>,
    private readonly logger: AuditLogger,
    private readonly now: () => number,
  ) {}

  async record(record: AuditRecord): Promise<void> {
    let entry: AuditEntry;
    try {
      // Field by field: the line and the row carry exactly the entry, nothing else the caller's object had.
      entry = {
        at: this.now(),
        slackUserId: record.slackUserId,
        bkUsername: record.bkUsername,
        channelId: record.channelId,
        scopeType: record.scopeType,
        bizId: record.bizId,
        jobInstanceId: record.jobInstanceId,
        action: record.action,
        outcome: record.outcome,
        detail: record.detail,
      };
      this.logger.info({ ...entry }, 'audit');
    } catch {
      // A broken clock or logger must not stop the action either; nothing left to tell it to.
      return;
    }
    try {
      await this.store.recordAudit(entry);
    } catch (error) {
      this.warn({ err: error instanceof Error ? error : new Error(String(error)), action: entry.action, slackUserId: entry.slackUserId, at: entry.at }, 'audit row not stored');
    }
  }

  private warn(obj: object, msg: string): void {
    try {
      this.logger.warn(obj, msg);
    } catch {
      // As above.
    }
  }
}
