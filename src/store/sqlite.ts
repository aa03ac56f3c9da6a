/**
 * SQLite `WatchStore` for a single bot process (the default: `DATABASE_URL=sqlite:./data/joblog.db`).
 * better-sqlite3 is synchronous; each method does its work synchronously and returns a settled
 * promise (a throw becomes a rejection), so callers treat both adapters alike. Write
 * transactions start with BEGIN IMMEDIATE so that a second process on the same file (say, a
 * one-off admin script) waits on `busy_timeout` instead of failing half-way.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { JobRef } from '../bkjob/model';
import type { JobSummary } from '../summary/types';
import type { NewOutboxEntry, NewWatch, OutboxEntry, Watch, WatchPatch } from '../watch/types';
import type { Migration, Row, SqlValue } from './codec';
import { BK_USERNAME_MIGRATION, outboxAttemptMigration, OLDEST_FIRST, OPEN_STATUSES, PEOPLES_WATCHES, SCOPE_TYPE_MIGRATION, WATCH_COLUMNS, decodeSummary, sameJobValues, asRow, byNextPoll, encodePayload, insertWatch, outboxTime, parseJson, patchAssignments, readInt, readNullable, readText, rowReaders } from './codec';
import type { CreateWatchResult, SubscriptionStore, WatchStore } from '../watch/ports';
import { type ClaimResult, type OperationClaim, type OperationGuard, staleBefore } from '../operate/types';
import { operationMigration, toClaim } from './operationCodec';
import type { CreateSubscriptionResult, NewSubscription, RunResultRecord, Subscription, SubscriptionPatch, SubscriptionRun, SubscriptionScope } from '../watch/subscriptionTypes';
import { RUN_COLUMNS, SUBSCRIPTIONS_OLDEST_FIRST, SUBSCRIPTION_COLUMNS, insertSubscription, scopeValues, subscriptionAssignments, subscriptionMigration, toSubscription, toSubscriptionRun } from './subscriptionCodec';
import type { RequestGuard, StorageCheck } from '../util/requestGuard';
import type { AuditEntry, AuditFilter, AuditStore } from '../audit/types';
import { auditMigration, insertAudit, listAuditQuery, toAuditEntry } from './auditCodec';

/** How long a statement waits for another connection's write lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

/** Append only: a released version must never change, later changes get a new version. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE watches (
        id                 TEXT    PRIMARY KEY,
        channel_id         TEXT    NOT NULL,
        biz_id             INTEGER NOT NULL,
        job_instance_id    INTEGER NOT NULL,
        subscriber_id      TEXT    NOT NULL,
        notify_on          TEXT    NOT NULL CHECK (notify_on IN ('failure', 'finish', 'all')),
        status             TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'ended', 'expired')),
        status_reason      TEXT,
        status_message_ts  TEXT,
        snapshot           TEXT,
        fingerprint        TEXT,
        created_at         INTEGER NOT NULL,
        expires_at         INTEGER NOT NULL,
        last_polled_at     INTEGER,
        last_changed_at    INTEGER NOT NULL,
        next_poll_at       INTEGER NOT NULL,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error         TEXT,
        lease_owner        TEXT,
        lease_until        INTEGER,
        leased_at          INTEGER
      ) STRICT;
      -- At most one open watch per channel and job; create() relies on it to be atomic.
      CREATE UNIQUE INDEX watches_one_open_per_job ON watches (channel_id, biz_id, job_instance_id)
        WHERE status IN ('active', 'paused');
      CREATE INDEX watches_due ON watches (status, next_poll_at);
      CREATE INDEX watches_channel ON watches (channel_id, created_at);
      CREATE INDEX watches_subscriber ON watches (subscriber_id, created_at);

      CREATE TABLE watch_outbox (
        watch_id   TEXT    NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
        key        TEXT    NOT NULL,
        payload    TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        sent_at    INTEGER,
        slack_ts   TEXT,
        PRIMARY KEY (watch_id, key)
      ) STRICT;
      CREATE INDEX watch_outbox_pending ON watch_outbox (watch_id, created_at) WHERE sent_at IS NULL;
    `,
  },
  {
    version: 2,
    // The summary the status message shows, to re-render it without another BlueKing call.
    sql: `ALTER TABLE watches ADD COLUMN last_summary TEXT;`,
  },
  {
    version: 3,
    // Business sets: a job id is unique within its business or business set.
    sql: SCOPE_TYPE_MIGRATION,
  },
  {
    version: 4,
    // Signatures of recent Slack requests: a replay inside the 5-minute window is answered, not acted on.
    sql: `
      CREATE TABLE slack_request_signatures (
        signature  TEXT    PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX slack_request_signatures_expiry ON slack_request_signatures (expires_at);
    `,
  },
  {
    version: 5,
    // The BlueKing user a watch polls as (its creator's); NULL for the configured user and older watches.
    sql: BK_USERNAME_MIGRATION,
  },
  {
    version: 6,
    // Subscriptions to crons and plans, their runs, the scanner's cursors; watches that follow one run.
    sql: subscriptionMigration({ bigint: 'INTEGER', json: 'TEXT', tableSuffix: ' STRICT' }),
  },
  {
    version: 7,
    // The audit trail: who did what, as whom, where, and how it went (kept AUDIT_RETENTION).
    sql: auditMigration({ id: 'INTEGER PRIMARY KEY AUTOINCREMENT', bigint: 'INTEGER', tableSuffix: ' STRICT' }),
  },
  {
    version: 8,
    // One operation per click: the first claim of a job/step/run/operation key wins, across replicas.
    sql: operationMigration({ bigint: 'INTEGER', tableSuffix: ' STRICT' }),
  },
  {
    version: 9,
    // Exactly-once delivery: when an attempt whose outcome is unknown started (see OutboxEntry.attemptStartedAt).
    sql: outboxAttemptMigration('INTEGER'),
  },
];

/** SQLite hands back INTEGER columns as numbers and keeps JSON as TEXT. */
const COLUMNS = {
  int: readInt,
  json: (value: unknown, path: string) => parseJson(readText(value, path), path),
};
const ROWS = rowReaders(COLUMNS);

export class SqliteWatchStore implements WatchStore, SubscriptionStore, OperationGuard, AuditStore, RequestGuard, StorageCheck {
  private readonly db: Database.Database;
  /** The file's identity at open (null in memory): a file deleted or replaced underneath is noticed by storageProblem(). */
  private readonly fileIdentity: { readonly filename: string; readonly dev: number; readonly ino: number } | null = null;
  /** Prepared lazily: statements on tables cannot be prepared before migrate() created them. */
  private readonly statements = new Map<string, Database.Statement<SqlValue[], unknown>>();

  /** @param filename a database file (its directory is created when missing) or ':memory:'. */
  constructor(filename: string) {
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    this.db = new Database(filename);
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL lets readers run while the poller writes; NORMAL sync is durable enough with WAL
    // (a power cut may lose the last transactions, never corrupt the file).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    if (filename !== ':memory:') {
      const stat = statSync(filename);
      this.fileIdentity = { filename, dev: stat.dev, ino: stat.ino };
    }
  }

  /**
   * SQLite keeps writing to the open (possibly unlinked) inode, so a database file deleted or
   * replaced while running loses every later write on restart: compare the path with the file we opened.
   */
  storageProblem(): string | null {
    const opened = this.fileIdentity;
    if (opened === null) return null;
    try {
      const now = statSync(opened.filename);
      return now.dev === opened.dev && now.ino === opened.ino ? null : 'the SQLite database file was replaced while the bot was running';
    } catch {
      return 'the SQLite database file was deleted while the bot was running';
    }
  }

  seenSignature(signature: string, now: number, ttlMs: number): Promise<boolean> {
    return promised(() => {
      this.run('DELETE FROM slack_request_signatures WHERE expires_at <= ?', now);
      // An expired row (not pruned yet by a racing writer) counts as unseen and is renewed.
      const changes = this.run(
        `INSERT INTO slack_request_signatures (signature, expires_at) VALUES (?, ?)
         ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at WHERE slack_request_signatures.expires_at <= ?`,
        signature,
        now + ttlMs,
        now,
      );
      return changes === 0;
    });
  }

  migrate(): Promise<void> {
    return promised(() => this.migrateSync());
  }

  close(): Promise<void> {
    return promised(() => {
      if (this.db.open) this.db.close();
    });
  }

  private migrateSync(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
    ) STRICT`);
    // IMMEDIATE: another process migrating the same file waits instead of applying twice.
    this.db
      .transaction(() => {
        const applied = new Set(
          this.db
            .prepare<[], unknown>('SELECT version FROM schema_migrations')
            .pluck()
            .all()
            .map((version) => ROWS.int(version, 'schema_migrations.version')),
        );
        for (const migration of MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          this.db.exec(migration.sql);
          this.db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(migration.version);
        }
      })
      .immediate();
  }

  create(watch: NewWatch, limit?: { readonly maxActiveInChannel: number }): Promise<CreateWatchResult> {
    return promised(() => this.createSync(watch, limit));
  }

  private createSync(watch: NewWatch, limit?: { readonly maxActiveInChannel: number }): CreateWatchResult {
    return this.db
      .transaction((): CreateWatchResult => {
        // BEGIN IMMEDIATE holds the write lock: the count and the insert see the same channel.
        const open = this.findOpenSync(watch.channelId, watch.ref);
        if (open !== null) return { created: false, existing: open };
        if (limit && this.count(`SELECT count(*) AS n FROM watches WHERE channel_id = ? AND status = 'active' AND ${PEOPLES_WATCHES}`, watch.channelId) >= limit.maxActiveInChannel) {
          return { created: false, existing: null, max: limit.maxActiveInChannel };
        }
        const id = randomUUID();
        const insert = insertWatch(id, watch, () => '?');
        // The partial unique index turns a second open watch on the job into "no row inserted".
        const inserted = this.run(`${insert.sql} ON CONFLICT DO NOTHING`, ...insert.values);
        if (inserted > 0) return { created: true, watch: this.getSync(id) ?? missing(id) };
        const existing = this.findOpenSync(watch.channelId, watch.ref);
        if (existing === null) throw new Error(`watch store: insert of a watch for ${watch.channelId} was ignored but no open watch exists`);
        return { created: false, existing };
      })
      .immediate();
  }

  get(id: string): Promise<Watch | null> {
    return promised(() => this.getSync(id));
  }

  findOpen(channelId: string, ref: JobRef): Promise<Watch | null> {
    return promised(() => this.findOpenSync(channelId, ref));
  }

  findOpenRun(channelId: string, ref: JobRef): Promise<Watch | null> {
    return promised(() => {
      const row = this.one(
        `SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = ? AND scope_type = ? AND biz_id = ? AND job_instance_id = ? AND ${OPEN_STATUSES} AND run_of IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
        channelId,
        ...sameJobValues(ref),
      );
      return row === undefined ? null : ROWS.watch(row);
    });
  }

  listOpenByChannel(channelId: string): Promise<Watch[]> {
    return promised(() => this.all(`SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = ? AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES} ${OLDEST_FIRST}`, channelId).map(ROWS.watch));
  }

  listOpenBySubscriber(subscriberId: string): Promise<Watch[]> {
    return promised(() => this.all(`SELECT ${WATCH_COLUMNS} FROM watches WHERE subscriber_id = ? AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES} ${OLDEST_FIRST}`, subscriberId).map(ROWS.watch));
  }

  countActiveInChannel(channelId: string): Promise<number> {
    return promised(() => this.count(`SELECT count(*) AS n FROM watches WHERE channel_id = ? AND status = 'active' AND ${PEOPLES_WATCHES}`, channelId));
  }

  countActive(): Promise<number> {
    return promised(() => this.count(`SELECT count(*) AS n FROM watches WHERE status = 'active'`));
  }

  lastSummary(id: string): Promise<JobSummary | null> {
    return promised(() => {
      const row = this.one('SELECT last_summary FROM watches WHERE id = ?', id);
      const text = row?.['last_summary'];
      return text === undefined || text === null ? null : decodeSummary(parseJson(readText(text, 'watches.last_summary'), 'watches.last_summary'));
    });
  }

  update(id: string, patch: WatchPatch): Promise<Watch | null> {
    return promised(() => {
      const { assignments, values } = patchSql(patch, false);
      if (assignments.length === 0) return this.getSync(id);
      const row = this.one(`UPDATE watches SET ${assignments.join(', ')} WHERE id = ? RETURNING ${WATCH_COLUMNS}`, ...values, id);
      return row === undefined ? null : ROWS.watch(row);
    });
  }

  claimDue(now: number, limit: number, owner: string, leaseMs: number): Promise<Watch[]> {
    return promised(() => this.claimDueSync(now, limit, owner, leaseMs));
  }

  private claimDueSync(now: number, limit: number, owner: string, leaseMs: number): Watch[] {
    if (limit <= 0) return [];
    // One statement, so the pick and the lease are atomic (the file is write-locked meanwhile).
    const rows = this.all(
      `UPDATE watches SET lease_owner = ?, lease_until = ?, leased_at = ?
       WHERE id IN (
         SELECT id FROM watches
         WHERE status = 'active' AND next_poll_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY next_poll_at, id
         LIMIT ?)
       RETURNING ${WATCH_COLUMNS}`,
      owner,
      now + leaseMs,
      now,
      now,
      now,
      limit,
    );
    // RETURNING order is unspecified.
    return rows.map(ROWS.watch).sort(byNextPoll);
  }

  saveWithLease(id: string, owner: string, patch: WatchPatch, entries: readonly NewOutboxEntry[]): Promise<boolean> {
    return promised(() => this.saveWithLeaseSync(id, owner, patch, entries));
  }

  private saveWithLeaseSync(id: string, owner: string, patch: WatchPatch, entries: readonly NewOutboxEntry[]): boolean {
    return this.db
      .transaction((): boolean => {
        const lease = this.one("SELECT leased_at FROM watches WHERE id = ? AND lease_owner = ? AND status = 'active'", id, owner);
        if (lease === undefined) return false;
        const { assignments, values } = patchSql(patch, true);
        if (assignments.length > 0) this.run(`UPDATE watches SET ${assignments.join(', ')} WHERE id = ?`, ...values, id);
        const createdAt = outboxTime(patch, readNullable(lease['leased_at'], 'watches.leased_at', ROWS.int));
        for (const entry of entries) {
          this.run(
            `INSERT INTO watch_outbox (watch_id, key, payload, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (watch_id, key) DO NOTHING`,
            id,
            entry.key,
            encodePayload(entry),
            createdAt,
          );
        }
        return true;
      })
      .immediate();
  }

  releaseLeasesOf(ownerPrefix: string, currentOwner: string): Promise<number> {
    return promised(() =>
      this.run(
        `UPDATE watches SET lease_owner = NULL, lease_until = NULL, leased_at = NULL WHERE substr(lease_owner, 1, ?) = ? AND lease_owner <> ?`,
        ownerPrefix.length,
        ownerPrefix,
        currentOwner,
      ),
    );
  }

  release(id: string, owner: string, patch: WatchPatch): Promise<boolean> {
    return promised(() => {
      const { assignments, values } = patchSql(patch, true);
      const set = [...assignments, 'lease_owner = NULL', 'lease_until = NULL', 'leased_at = NULL'];
      return this.run(`UPDATE watches SET ${set.join(', ')} WHERE id = ? AND lease_owner = ?`, ...values, id, owner) > 0;
    });
  }

  pendingOutbox(watchId: string): Promise<OutboxEntry[]> {
    return promised(() =>
      this.all('SELECT * FROM watch_outbox WHERE watch_id = ? AND sent_at IS NULL ORDER BY created_at, rowid', watchId).map(ROWS.outboxEntry),
    );
  }

  markOutboxAttempt(watchId: string, key: string, startedAt: number): Promise<void> {
    return promised(() => {
      this.run('UPDATE watch_outbox SET attempts = attempts + 1, attempt_started_at = COALESCE(attempt_started_at, ?) WHERE watch_id = ? AND key = ?', startedAt, watchId, key);
    });
  }

  endOutboxAttempt(watchId: string, key: string, outcome: { readonly counted: boolean; readonly resolved: boolean }): Promise<void> {
    const set = [...(outcome.resolved ? ['attempt_started_at = NULL'] : []), ...(outcome.counted ? [] : ['attempts = MAX(attempts - 1, 0)'])];
    if (set.length === 0) return Promise.resolve();
    return promised(() => {
      this.run(`UPDATE watch_outbox SET ${set.join(', ')} WHERE watch_id = ? AND key = ?`, watchId, key);
    });
  }

  markOutboxSent(watchId: string, key: string, sentAt: number, slackTs: string | null): Promise<void> {
    // The first delivery is the one recorded; a repeated call does not rewrite it.
    return promised(() => {
      this.run('UPDATE watch_outbox SET sent_at = ?, slack_ts = ?, attempt_started_at = NULL WHERE watch_id = ? AND key = ? AND sent_at IS NULL', sentAt, slackTs, watchId, key);
    });
  }

  listOutbox(watchId: string): Promise<OutboxEntry[]> {
    return promised(() => this.all('SELECT * FROM watch_outbox WHERE watch_id = ? ORDER BY created_at, rowid', watchId).map(ROWS.outboxEntry));
  }

  // ---- subscriptions ----

  createSubscription(subscription: NewSubscription): Promise<CreateSubscriptionResult> {
    return promised(() =>
      this.db
        .transaction((): CreateSubscriptionResult => {
          const id = randomUUID();
          const insert = insertSubscription(id, subscription, () => '?');
          if (this.run(`${insert.sql} ON CONFLICT DO NOTHING`, ...insert.values) > 0) return { created: true, subscription: this.subscriptionSync(id) ?? missing(id) };
          const existing = this.one(
            `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE channel_id = ? AND scope_type = ? AND biz_id = ? AND kind = ? AND target_id = ? AND status = 'active'`,
            subscription.channelId,
            ...scopeValues(subscription.scope),
            subscription.target.kind,
            subscription.target.id,
          );
          if (existing === undefined) throw new Error(`subscription store: insert for ${subscription.channelId} was ignored but no active subscription exists`);
          return { created: false, existing: toSubscription(existing, COLUMNS) };
        })
        .immediate(),
    );
  }

  getSubscription(id: string): Promise<Subscription | null> {
    return promised(() => this.subscriptionSync(id));
  }

  listSubscriptionsByChannel(channelId: string): Promise<Subscription[]> {
    return promised(() => this.subscriptions(`WHERE channel_id = ? AND status = 'active'`, channelId));
  }

  listSubscriptionsBySubscriber(subscriberId: string): Promise<Subscription[]> {
    return promised(() => this.subscriptions(`WHERE subscriber_id = ? AND status = 'active'`, subscriberId));
  }

  countSubscriptionsInChannel(channelId: string): Promise<number> {
    return promised(() => this.count(`SELECT count(*) AS n FROM subscriptions WHERE channel_id = ? AND status = 'active'`, channelId));
  }

  listActiveSubscriptions(): Promise<Subscription[]> {
    return promised(() => this.subscriptions(`WHERE status = 'active'`));
  }

  updateSubscription(id: string, version: number | null, patch: SubscriptionPatch): Promise<Subscription | null> {
    return promised(() => {
      const { assignments, values } = subscriptionAssignments(patch, () => '?');
      const condition = version === null ? '' : ' AND version = ?';
      const row = this.one(
        `UPDATE subscriptions SET ${[...assignments, 'version = version + 1'].join(', ')} WHERE id = ?${condition} RETURNING ${SUBSCRIPTION_COLUMNS}`,
        ...values,
        id,
        ...(version === null ? [] : [version]),
      );
      return row === undefined ? null : toSubscription(row, COLUMNS);
    });
  }

  scanCursor(scope: SubscriptionScope): Promise<number | null> {
    return promised(() => {
      const row = this.one('SELECT cursor_ms FROM subscription_cursors WHERE scope_type = ? AND biz_id = ?', ...scopeValues(scope));
      return row === undefined ? null : ROWS.int(row['cursor_ms'], 'subscription_cursors.cursor_ms');
    });
  }

  advanceScanCursor(scope: SubscriptionScope, createTime: number): Promise<void> {
    return promised(() => {
      this.run(
        `INSERT INTO subscription_cursors (scope_type, biz_id, cursor_ms) VALUES (?, ?, ?)
         ON CONFLICT (scope_type, biz_id) DO UPDATE SET cursor_ms = max(cursor_ms, excluded.cursor_ms)`,
        ...scopeValues(scope),
        createTime,
      );
    });
  }

  addRun(run: Pick<SubscriptionRun, 'subscriptionId' | 'jobInstanceId' | 'createdAt'>, watch: NewWatch): Promise<boolean> {
    return promised(() =>
      this.db
        .transaction((): boolean => {
          const watchId = randomUUID();
          const added = this.run(
            `INSERT INTO subscription_runs (subscription_id, job_instance_id, created_at, watch_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
            run.subscriptionId,
            run.jobInstanceId,
            run.createdAt,
            watchId,
          );
          if (added === 0) return false;
          const insert = insertWatch(watchId, watch, () => '?');
          this.run(insert.sql, ...insert.values);
          return true;
        })
        .immediate(),
    );
  }

  getRun(subscriptionId: string, jobInstanceId: number): Promise<SubscriptionRun | null> {
    return promised(() => {
      const row = this.one(`SELECT ${RUN_COLUMNS} FROM subscription_runs WHERE subscription_id = ? AND job_instance_id = ?`, subscriptionId, jobInstanceId);
      return row === undefined ? null : toSubscriptionRun(row, COLUMNS);
    });
  }

  recordRunResult(subscriptionId: string, version: number, jobInstanceId: number, result: RunResultRecord, patch: SubscriptionPatch): Promise<boolean> {
    return promised(() =>
      this.db
        .transaction((): boolean => {
          const { assignments, values } = subscriptionAssignments(patch, () => '?');
          const changed = this.run(`UPDATE subscriptions SET ${[...assignments, 'version = version + 1'].join(', ')} WHERE id = ? AND version = ?`, ...values, subscriptionId, version);
          if (changed === 0) return false;
          this.run(
            'UPDATE subscription_runs SET result = ?, duration_ms = ?, finished_at = ?, muted = ?, outcome = ? WHERE subscription_id = ? AND job_instance_id = ?',
            result.result,
            result.durationMs,
            result.finishedAt,
            result.muted ? 1 : 0,
            JSON.stringify(result.outcome ?? null),
            subscriptionId,
            jobInstanceId,
          );
          return true;
        })
        .immediate(),
    );
  }

  listRuns(subscriptionId: string, from: number, to: number): Promise<SubscriptionRun[]> {
    return promised(() =>
      this.all(`SELECT ${RUN_COLUMNS} FROM subscription_runs WHERE subscription_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, job_instance_id`, subscriptionId, from, to).map((row) =>
        toSubscriptionRun(row, COLUMNS),
      ),
    );
  }

  // ---- audit ----

  recordAudit(entry: AuditEntry): Promise<void> {
    return promised(() => {
      const insert = insertAudit(entry, () => '?');
      this.run(insert.sql, ...insert.values);
    });
  }

  listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    return promised(() => {
      // A negative LIMIT means "no limit" in SQLite.
      if (filter.limit <= 0) return [];
      const query = listAuditQuery(filter, () => '?');
      return this.all(query.sql, ...query.values).map((row) => toAuditEntry(row, COLUMNS));
    });
  }

  pruneAudit(before: number): Promise<number> {
    return promised(() => this.run('DELETE FROM audit WHERE at < ?', before));
  }

  claimOperation(claim: OperationClaim, holdMs?: number): Promise<ClaimResult> {
    return promised(() =>
      this.db
        .transaction((): ClaimResult => {
          const inserted = this.run(
            `INSERT INTO operation_claims (key, slack_user_id, bk_username, at) VALUES (?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET slack_user_id = excluded.slack_user_id, bk_username = excluded.bk_username, at = excluded.at WHERE operation_claims.at <= ?`,
            claim.key,
            claim.slackUserId,
            claim.bkUsername,
            claim.at,
            staleBefore(claim, holdMs),
          );
          if (inserted > 0) return { claimed: true };
          const row = this.one('SELECT key, slack_user_id, bk_username, at FROM operation_claims WHERE key = ?', claim.key);
          if (row === undefined) throw new Error(`operation claim ${claim.key} was refused but is not there`);
          return { claimed: false, by: toClaim(row, ROWS.int) };
        })
        .immediate(),
    );
  }

  releaseOperation(key: string, slackUserId: string): Promise<void> {
    return promised(() => {
      this.run('DELETE FROM operation_claims WHERE key = ? AND slack_user_id = ?', key, slackUserId);
    });
  }

  pruneOperationClaims(before: number): Promise<number> {
    return promised(() => this.run('DELETE FROM operation_claims WHERE at < ?', before));
  }

  private subscriptionSync(id: string): Subscription | null {
    const row = this.one(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?`, id);
    return row === undefined ? null : toSubscription(row, COLUMNS);
  }

  private subscriptions(where: string, ...params: SqlValue[]): Subscription[] {
    return this.all(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions ${where} ${SUBSCRIPTIONS_OLDEST_FIRST}`, ...params).map((row) => toSubscription(row, COLUMNS));
  }

  private getSync(id: string): Watch | null {
    const row = this.one(`SELECT ${WATCH_COLUMNS} FROM watches WHERE id = ?`, id);
    return row === undefined ? null : ROWS.watch(row);
  }

  private findOpenSync(channelId: string, ref: JobRef): Watch | null {
    const row = this.one(
      `SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = ? AND scope_type = ? AND biz_id = ? AND job_instance_id = ? AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES}`,
      channelId,
      ...sameJobValues(ref),
    );
    return row === undefined ? null : ROWS.watch(row);
  }

  private statement(sql: string): Database.Statement<SqlValue[], unknown> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<SqlValue[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a write; returns the number of rows changed. */
  private run(sql: string, ...params: SqlValue[]): number {
    return this.statement(sql).run(...params).changes;
  }

  private one(sql: string, ...params: SqlValue[]): Row | undefined {
    const row = this.statement(sql).get(...params);
    return row === undefined ? undefined : asRow(row);
  }

  private all(sql: string, ...params: SqlValue[]): Row[] {
    return this.statement(sql).all(...params).map(asRow);
  }

  private count(sql: string, ...params: SqlValue[]): number {
    const row = this.one(sql, ...params);
    return row === undefined ? 0 : ROWS.int(row['n'], 'count');
  }
}

/** Runs synchronous store work as a promise: a throw becomes a rejection, never a synchronous throw. */
function promised<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function missing(id: string): never {
  throw new Error(`watch store: watch ${id} vanished inside its own transaction`);
}

/** SET clauses for a patch, with `?` parameters. */
function patchSql(patch: WatchPatch, leased: boolean): { assignments: string[]; values: SqlValue[] } {
  return patchAssignments(patch, () => '?', { leased });
}
