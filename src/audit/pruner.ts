/**
 * Deletes audit entries older than AUDIT_RETENTION. One pass; the caller schedules it (e.g. daily)
 * on one replica or all (a delete is idempotent). Never throws: a failure is logged and the next
 * pass tries again.
 */
import type { AuditLogger } from './auditLog';
import type { AuditStore } from './types';

/** @returns how many entries were deleted (0 when the store failed). */
export async function pruneAuditOnce(store: Pick<AuditStore, 'pruneAudit'>, now: () => number, retentionMs: number, logger: AuditLogger): Promise<number> {
  let before: number | undefined;
  try {
    before = now() - retentionMs;
    const deleted = await store.pruneAudit(before);
    if (deleted > 0) logger.info({ deleted, before }, 'audit entries pruned');
    return deleted;
  } catch (error) {
    try {
      logger.warn({ err: error instanceof Error ? error : new Error(String(error)), before }, 'audit prune failed');
    } catch {
      // Nothing left to tell it to.
    }
    return 0;
  }
}
