/**
 * The audit trail (issue 13): who did what, as whom, where, and how it went. Every lookup,
 * watch, subscription, log view, share and file download is one structured log line and one row
 * in the store (`AuditLog` writes both). The port is implemented by the store adapters.
 */

export type AuditAction = 'lookup' | 'watch' | 'unwatch' | 'subscribe' | 'unsubscribe' | 'mute' | 'log_view' | 'share' | 'file_download' | 'unfurl' | 'operate';
export type AuditOutcome = 'ok' | 'denied' | 'refused' | 'error' | 'unmapped';

/** Record<Union, true> rather than arrays: adding a member to a union fails to compile where these are used. */
export const AUDIT_ACTIONS: Readonly<Record<AuditAction, true>> = {
  lookup: true,
  watch: true,
  unwatch: true,
  subscribe: true,
  unsubscribe: true,
  mute: true,
  log_view: true,
  share: true,
  file_download: true,
  unfurl: true,
  operate: true,
};
export const AUDIT_OUTCOMES: Readonly<Record<AuditOutcome, true>> = { ok: true, denied: true, refused: true, error: true, unmapped: true };

export interface AuditEntry {
  /** When it happened (epoch ms). */
  readonly at: number;
  readonly slackUserId: string;
  /** The BlueKing user the Slack user acted as; null when unmapped or not resolved yet. */
  readonly bkUsername: string | null;
  /** Null in places without a channel (App Home, a modal). */
  readonly channelId: string | null;
  readonly scopeType: 'biz' | 'biz_set' | null;
  readonly bizId: number | null;
  readonly jobInstanceId: number | null;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** Free text: why it was denied, the BlueKing error code, the cron id… Never a secret or a log's content. */
  readonly detail: string | null;
}

export interface AuditFilter {
  /** Entries with `from <= at < to`. */
  readonly from: number;
  readonly to: number;
  /** Only this Slack user's entries. */
  readonly slackUserId?: string;
  /** At most this many entries (0 or less: none). */
  readonly limit: number;
}

/**
 * `AuditStore`: the audit table. Times are epoch milliseconds passed in by the caller (the store
 * never reads a clock). Implemented by every store adapter (one contract suite).
 */
export interface AuditStore {
  recordAudit(entry: AuditEntry): Promise<void>;
  /**
   * Entries in [from, to), optionally of one Slack user, NEWEST FIRST (by `at`, then the most
   * recently recorded first among equal times), at most `limit`: the latest activity, the usual
   * question when reading an audit trail.
   */
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  /** deletes entries older than `before` (`at < before`); returns how many */
  pruneAudit(before: number): Promise<number>;
}
