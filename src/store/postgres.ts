/**
 * PostgreSQL `WatchStore`, for running several bot replicas against one database.
 * Replicas coordinate through row locks and leases only: claimDue hands each due watch to one
 * replica (FOR UPDATE SKIP LOCKED), and a replica writes results only while it still holds the lease.
 *
 * Schema option: `new PostgresWatchStore(url, { schema: 'joblog' })` puts every table in that
 * schema (created by migrate() when missing) by setting `search_path` on each pooled connection.
 * Tests use it to get a fresh, disposable schema; deployments may use it to share a database.
 */
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import type { JobRef } from '../bkjob/model';
import type { JobSummary } from '../summary/types';
import type { NewOutboxEntry, NewWatch, OutboxEntry, Watch, WatchPatch } from '../watch/types';
import type { Migration, Row, SqlValue } from './codec';
import { BK_USERNAME_MIGRATION, outboxAttemptMigration, OLDEST_FIRST, OPEN_STATUSES, PEOPLES_WATCHES, SCOPE_TYPE_MIGRATION, WATCH_COLUMNS, WATCH_COLUMN_NAMES, decodeSummary, sameJobValues, byNextPoll, corrupt, encodePayload, insertWatch, outboxTime, patchAssignments, readNullable, rowReaders } from './codec';
import type { CreateWatchResult, SubscriptionStore, WatchStore } from '../watch/ports';
import { type ClaimResult, type OperationClaim, type OperationGuard, staleBefore } from '../operate/types';
import { operationMigration, toClaim } from './operationCodec';
import type { CreateSubscriptionResult, NewSubscription, RunResultRecord, Subscription, SubscriptionPatch, SubscriptionRun, SubscriptionScope } from '../watch/subscriptionTypes';
import { RUN_COLUMNS, SUBSCRIPTIONS_OLDEST_FIRST, SUBSCRIPTION_COLUMNS, insertSubscription, scopeValues, subscriptionAssignments, subscriptionMigration, toSubscription, toSubscriptionRun } from './subscriptionCodec';
import type { RequestGuard } from '../util/requestGuard';
import type { AuditEntry, AuditFilter, AuditStore } from '../audit/types';
import { auditMigration, insertAudit, listAuditQuery, toAuditEntry } from './auditCodec';

export interface PostgresWatchStoreOptions {
  /** Schema holding the tables (lower-case letters, digits, underscores); default: the server's search_path. */
  readonly schema?: string;
  /** Most connections this store opens (default 10). */
  readonly poolSize?: number;
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted). The pool drops the
   * connection and the next query opens a new one; without a listener the error would crash the process.
   */
  readonly onIdleClientError?: (error: Error) => void;
}

const DEFAULT_POOL_SIZE = 10;
/** Advisory lock key serialising migrations across replicas (arbitrary, fixed for this application). */
const MIGRATION_LOCK_KEY = 727_465_291;
/** create() retries when the conflicting open watch is closed between its insert and its read. */
const CREATE_ATTEMPTS = 3;
/** First key of the advisory lock that serialises watch creation per channel (arbitrary, fixed). */
const CHANNEL_LOCK_CLASS = 727_465_292;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Append only: a released version must never change, later changes get a new version. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE watches (
        id                 TEXT    PRIMARY KEY,
        channel_id         TEXT    NOT NULL,
        biz_id             BIGINT  NOT NULL,
        job_instance_id    BIGINT  NOT NULL,
        subscriber_id      TEXT    NOT NULL,
        notify_on          TEXT    NOT NULL CHECK (notify_on IN ('failure', 'finish', 'all')),
        status             TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'ended', 'expired')),
        status_reason      TEXT,
        status_message_ts  TEXT,
        snapshot           JSONB,
        fingerprint        TEXT,
        created_at         BIGINT  NOT NULL,
        expires_at         BIGINT  NOT NULL,
        last_polled_at     BIGINT,
        last_changed_at    BIGINT  NOT NULL,
        next_poll_at       BIGINT  NOT NULL,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error         TEXT,
        lease_owner        TEXT,
        lease_until        BIGINT,
        leased_at          BIGINT
      );
      -- At most one open watch per channel and job; create() relies on it to be atomic.
      CREATE UNIQUE INDEX watches_one_open_per_job ON watches (channel_id, biz_id, job_instance_id)
        WHERE status IN ('active', 'paused');
      CREATE INDEX watches_due ON watches (status, next_poll_at);
      CREATE INDEX watches_channel ON watches (channel_id, created_at);
      CREATE INDEX watches_subscriber ON watches (subscriber_id, created_at);

      CREATE TABLE watch_outbox (
        watch_id   TEXT    NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
        key        TEXT    NOT NULL,
        payload    JSONB   NOT NULL,
        created_at BIGINT  NOT NULL,
        -- Insertion order, to keep entries saved in one poll (same created_at) in the order given.
        seq        BIGINT  GENERATED ALWAYS AS IDENTITY,
        attempts   INTEGER NOT NULL DEFAULT 0,
        sent_at    BIGINT,
        slack_ts   TEXT,
        PRIMARY KEY (watch_id, key)
      );
      CREATE INDEX watch_outbox_pending ON watch_outbox (watch_id, created_at, seq) WHERE sent_at IS NULL;
    `,
  },
  {
    version: 2,
    // The summary the status message shows, to re-render it without another BlueKing call.
    sql: `ALTER TABLE watches ADD COLUMN last_summary JSONB;`,
  },
  {
    version: 3,
    // Business sets: a job id is unique within its business or business set.
    sql: SCOPE_TYPE_MIGRATION,
  },
  {
    version: 4,
    // Signatures of recent Slack requests, shared by the replicas: a replay inside the 5-minute window is answered, not acted on.
    sql: `
      CREATE TABLE slack_request_signatures (
        signature  TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
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
    sql: subscriptionMigration({ bigint: 'BIGINT', json: 'JSONB', tableSuffix: '' }),
  },
  {
    version: 7,
    // The audit trail: who did what, as whom, where, and how it went (kept AUDIT_RETENTION).
    sql: auditMigration({ id: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', bigint: 'BIGINT', tableSuffix: '' }),
  },
  {
    version: 8,
    // One operation per click: the first claim of a job/step/run/operation key wins, across replicas.
    sql: operationMigration({ bigint: 'BIGINT', tableSuffix: '' }),
  },
  {
    version: 9,
    // Exactly-once delivery: when an attempt whose outcome is unknown started (see OutboxEntry.attemptStartedAt).
    sql: outboxAttemptMigration('BIGINT'),
  },
];

/** pg hands back INTEGER columns as numbers, BIGINT (and count(*)) as decimal strings, and JSONB parsed. */
const COLUMNS = { int: readBigInt, json: (value: unknown) => value };
const ROWS = rowReaders(COLUMNS);
/** JSON goes to pg as text cast to JSONB (pg would turn a JS array into a PostgreSQL array). */
const JSONB = { jsonCast: '::jsonb' };

export class PostgresWatchStore implements WatchStore, SubscriptionStore, OperationGuard, AuditStore, RequestGuard {
  private readonly pool: Pool;
  private readonly schema: string | null;
  private closed = false;

  constructor(connectionString: string, options: PostgresWatchStoreOptions = {}) {
    const schema = options.schema ?? null;
    if (schema !== null && !SCHEMA_NAME.test(schema)) {
      throw new Error(`PostgresWatchStore: schema "${schema}" must be lower-case letters, digits and underscores`);
    }
    this.schema = schema;
    this.pool = new Pool({
      connectionString,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      // A startup parameter rather than a SET after connecting: every connection has it from the
      // first query on. Only this schema is searched, so nothing lands in "public" by mistake.
      ...(schema === null ? {} : { options: `-c search_path=${schema}` }),
    });
    const onIdleClientError = options.onIdleClientError ?? (() => undefined);
    this.pool.on('error', onIdleClientError);
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      // Held until commit: replicas starting together migrate one after another, and the later
      // ones find every version already applied.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      if (this.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER     PRIMARY KEY,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const applied = new Set((await client.query<Row>('SELECT version FROM schema_migrations')).rows.map((row) => ROWS.int(row['version'], 'schema_migrations.version')));
      // DDL is transactional in PostgreSQL: a failing migration leaves no half-built schema.
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async create(watch: NewWatch, limit?: { readonly maxActiveInChannel: number }): Promise<CreateWatchResult> {
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const result = await this.transaction(async (client): Promise<CreateWatchResult | null> => {
        // Each statement sees what committed before it (whatever the server's default isolation).
        await client.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        // Requests for one channel take turns (until commit), so the count and the insert agree.
        if (limit) await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CHANNEL_LOCK_CLASS, watch.channelId]);
        const open = (await client.query<Row>(`SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = $1 AND scope_type = $2 AND biz_id = $3 AND job_instance_id = $4 AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES}`, [watch.channelId, ...sameJobValues(watch.ref)])).rows[0];
        if (open !== undefined) return { created: false, existing: ROWS.watch(open) };
        if (limit) {
          const counted = (await client.query<Row>(`SELECT count(*) AS n FROM watches WHERE channel_id = $1 AND status = 'active' AND ${PEOPLES_WATCHES}`, [watch.channelId])).rows[0];
          if (counted !== undefined && ROWS.int(counted['n'], 'count') >= limit.maxActiveInChannel) return { created: false, existing: null, max: limit.maxActiveInChannel };
        }
        // The partial unique index turns a second open watch on the job into "no row inserted";
        // a concurrent insert of the same job waits for the other transaction, then does nothing.
        const insert = insertWatch(randomUUID(), watch, dollars(0), JSONB);
        const inserted = (await client.query<Row>(`${insert.sql} ON CONFLICT (channel_id, scope_type, biz_id, job_instance_id) WHERE ${OPEN_STATUSES} AND ${PEOPLES_WATCHES} DO NOTHING RETURNING ${WATCH_COLUMNS}`, insert.values)).rows[0];
        return inserted === undefined ? null : { created: true, watch: ROWS.watch(inserted) };
      });
      if (result !== null) return result;
      // Lost the insert to a concurrent request for the same job: read its watch (next attempt).
    }
    throw new Error(`watch store: could not create a watch for ${watch.channelId}: the open watch on the job kept changing`);
  }

  async get(id: string): Promise<Watch | null> {
    return this.oneWatch(`SELECT ${WATCH_COLUMNS} FROM watches WHERE id = $1`, [id]);
  }

  async findOpen(channelId: string, ref: JobRef): Promise<Watch | null> {
    return this.oneWatch(`SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = $1 AND scope_type = $2 AND biz_id = $3 AND job_instance_id = $4 AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES}`, [channelId, ...sameJobValues(ref)]);
  }

  async findOpenRun(channelId: string, ref: JobRef): Promise<Watch | null> {
    return this.oneWatch(
      `SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = $1 AND scope_type = $2 AND biz_id = $3 AND job_instance_id = $4 AND ${OPEN_STATUSES} AND run_of IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
      [channelId, ...sameJobValues(ref)],
    );
  }

  async listOpenByChannel(channelId: string): Promise<Watch[]> {
    return (await this.rows(`SELECT ${WATCH_COLUMNS} FROM watches WHERE channel_id = $1 AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES} ${OLDEST_FIRST}`, [channelId])).map(ROWS.watch);
  }

  async listOpenBySubscriber(subscriberId: string): Promise<Watch[]> {
    return (await this.rows(`SELECT ${WATCH_COLUMNS} FROM watches WHERE subscriber_id = $1 AND ${OPEN_STATUSES} AND ${PEOPLES_WATCHES} ${OLDEST_FIRST}`, [subscriberId])).map(ROWS.watch);
  }

  async countActiveInChannel(channelId: string): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM watches WHERE channel_id = $1 AND status = 'active' AND ${PEOPLES_WATCHES}`, [channelId]);
  }

  async seenSignature(signature: string, now: number, ttlMs: number): Promise<boolean> {
    await this.pool.query('DELETE FROM slack_request_signatures WHERE expires_at <= $1', [now]);
    // One statement, so two replicas receiving the same bytes at once cannot both see "new".
    const result = await this.pool.query(
      `INSERT INTO slack_request_signatures (signature, expires_at) VALUES ($1, $2)
       ON CONFLICT (signature) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE slack_request_signatures.expires_at <= $3`,
      [signature, now + ttlMs, now],
    );
    return result.rowCount === 0;
  }

  async countActive(): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM watches WHERE status = 'active'`, []);
  }

  async lastSummary(id: string): Promise<JobSummary | null> {
    const row = (await this.rows('SELECT last_summary FROM watches WHERE id = $1', [id]))[0];
    return row === undefined || row['last_summary'] === null ? null : decodeSummary(row['last_summary']);
  }

  async update(id: string, patch: WatchPatch): Promise<Watch | null> {
    const { assignments, values } = patchSql(patch, 1, false);
    if (assignments.length === 0) return this.get(id);
    return this.oneWatch(`UPDATE watches SET ${assignments.join(', ')} WHERE id = $1 RETURNING ${WATCH_COLUMNS}`, [id, ...values]);
  }

  async claimDue(now: number, limit: number, owner: string, leaseMs: number): Promise<Watch[]> {
    if (limit <= 0) return [];
    // One statement is one transaction: the SELECT locks the rows it picks and skips rows another
    // replica is claiming right now; its WHERE is re-checked on rows changed since the snapshot,
    // so a watch leased meanwhile is not picked. The UPDATE then records the lease.
    const rows = await this.rows(
      `WITH due AS (
         SELECT id FROM watches
         WHERE status = 'active' AND next_poll_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_poll_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE watches AS w SET lease_owner = $3, lease_until = $4, leased_at = $1
       FROM due WHERE w.id = due.id
       RETURNING ${WATCH_COLUMN_NAMES.map((column) => `w.${column}`).join(', ')}`,
      [now, limit, owner, now + leaseMs],
    );
    // RETURNING order is unspecified.
    return rows.map(ROWS.watch).sort(byNextPoll);
  }

  async saveWithLease(id: string, owner: string, patch: WatchPatch, entries: readonly NewOutboxEntry[]): Promise<boolean> {
    return this.transaction(async (client) => {
      // FOR UPDATE: while we write, no other replica can re-claim the watch (its claim skips locked rows).
      const lease = (await client.query<Row>("SELECT leased_at FROM watches WHERE id = $1 AND lease_owner = $2 AND status = 'active' FOR UPDATE", [id, owner])).rows[0];
      if (lease === undefined) return false;
      const { assignments, values } = patchSql(patch, 1, true);
      if (assignments.length > 0) await client.query(`UPDATE watches SET ${assignments.join(', ')} WHERE id = $1`, [id, ...values]);
      const createdAt = outboxTime(patch, readNullable(lease['leased_at'], 'watches.leased_at', ROWS.int));
      for (const entry of entries) {
        await client.query(
          `INSERT INTO watch_outbox (watch_id, key, payload, created_at) VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (watch_id, key) DO NOTHING`,
          [id, entry.key, encodePayload(entry), createdAt],
        );
      }
      return true;
    });
  }

  async releaseLeasesOf(ownerPrefix: string, currentOwner: string): Promise<number> {
    const result = await this.pool.query('UPDATE watches SET lease_owner = NULL, lease_until = NULL, leased_at = NULL WHERE left(lease_owner, $1) = $2 AND lease_owner <> $3', [ownerPrefix.length, ownerPrefix, currentOwner]);
    return result.rowCount ?? 0;
  }

  async release(id: string, owner: string, patch: WatchPatch): Promise<boolean> {
    const { assignments, values } = patchSql(patch, 2, true);
    const set = [...assignments, 'lease_owner = NULL', 'lease_until = NULL', 'leased_at = NULL'];
    const result = await this.pool.query(`UPDATE watches SET ${set.join(', ')} WHERE id = $1 AND lease_owner = $2`, [id, owner, ...values]);
    return (result.rowCount ?? 0) > 0;
  }

  async pendingOutbox(watchId: string): Promise<OutboxEntry[]> {
    return (await this.rows('SELECT * FROM watch_outbox WHERE watch_id = $1 AND sent_at IS NULL ORDER BY created_at, seq', [watchId])).map(ROWS.outboxEntry);
  }

  async markOutboxAttempt(watchId: string, key: string, startedAt: number): Promise<void> {
    await this.pool.query('UPDATE watch_outbox SET attempts = attempts + 1, attempt_started_at = COALESCE(attempt_started_at, $3) WHERE watch_id = $1 AND key = $2', [watchId, key, startedAt]);
  }

  async endOutboxAttempt(watchId: string, key: string, outcome: { readonly counted: boolean; readonly resolved: boolean }): Promise<void> {
    const set = [...(outcome.resolved ? ['attempt_started_at = NULL'] : []), ...(outcome.counted ? [] : ['attempts = GREATEST(attempts - 1, 0)'])];
    if (set.length === 0) return;
    await this.pool.query(`UPDATE watch_outbox SET ${set.join(', ')} WHERE watch_id = $1 AND key = $2`, [watchId, key]);
  }

  async markOutboxSent(watchId: string, key: string, sentAt: number, slackTs: string | null): Promise<void> {
    // The first delivery is the one recorded; a repeated call does not rewrite it.
    await this.pool.query('UPDATE watch_outbox SET sent_at = $3, slack_ts = $4, attempt_started_at = NULL WHERE watch_id = $1 AND key = $2 AND sent_at IS NULL', [
      watchId,
      key,
      sentAt,
      slackTs,
    ]);
  }

  async listOutbox(watchId: string): Promise<OutboxEntry[]> {
    return (await this.rows('SELECT * FROM watch_outbox WHERE watch_id = $1 ORDER BY created_at, seq', [watchId])).map(ROWS.outboxEntry);
  }

  // ---- subscriptions ----

  async createSubscription(subscription: NewSubscription): Promise<CreateSubscriptionResult> {
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const insert = insertSubscription(randomUUID(), subscription, dollars(0), '::jsonb');
      const inserted = await this.rows(
        `${insert.sql} ON CONFLICT (channel_id, scope_type, biz_id, kind, target_id) WHERE status = 'active' DO NOTHING RETURNING ${SUBSCRIPTION_COLUMNS}`,
        insert.values,
      );
      const row = inserted[0];
      if (row !== undefined) return { created: true, subscription: toSubscription(row, COLUMNS) };
      const existing = (
        await this.rows(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE channel_id = $1 AND scope_type = $2 AND biz_id = $3 AND kind = $4 AND target_id = $5 AND status = 'active'`, [
          subscription.channelId,
          ...scopeValues(subscription.scope),
          subscription.target.kind,
          subscription.target.id,
        ])
      )[0];
      if (existing !== undefined) return { created: false, existing: toSubscription(existing, COLUMNS) };
    }
    throw new Error(`subscription store: could not subscribe ${subscription.channelId}: the active subscription kept changing`);
  }

  async getSubscription(id: string): Promise<Subscription | null> {
    return (await this.subscriptions('WHERE id = $1', [id]))[0] ?? null;
  }

  async listSubscriptionsByChannel(channelId: string): Promise<Subscription[]> {
    return this.subscriptions(`WHERE channel_id = $1 AND status = 'active'`, [channelId]);
  }

  async listSubscriptionsBySubscriber(subscriberId: string): Promise<Subscription[]> {
    return this.subscriptions(`WHERE subscriber_id = $1 AND status = 'active'`, [subscriberId]);
  }

  async countSubscriptionsInChannel(channelId: string): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM subscriptions WHERE channel_id = $1 AND status = 'active'`, [channelId]);
  }

  async listActiveSubscriptions(): Promise<Subscription[]> {
    return this.subscriptions(`WHERE status = 'active'`, []);
  }

  async updateSubscription(id: string, version: number | null, patch: SubscriptionPatch): Promise<Subscription | null> {
    const { assignments, values } = subscriptionAssignments(patch, dollars(2), '::jsonb');
    const rows = await this.rows(
      `UPDATE subscriptions SET ${[...assignments, 'version = version + 1'].join(', ')} WHERE id = $1 AND ($2::bigint IS NULL OR version = $2) RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, version, ...values],
    );
    return rows[0] === undefined ? null : toSubscription(rows[0], COLUMNS);
  }

  async scanCursor(scope: SubscriptionScope): Promise<number | null> {
    const row = (await this.rows('SELECT cursor_ms FROM subscription_cursors WHERE scope_type = $1 AND biz_id = $2', scopeValues(scope)))[0];
    return row === undefined ? null : ROWS.int(row['cursor_ms'], 'subscription_cursors.cursor_ms');
  }

  async advanceScanCursor(scope: SubscriptionScope, createTime: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO subscription_cursors (scope_type, biz_id, cursor_ms) VALUES ($1, $2, $3)
       ON CONFLICT (scope_type, biz_id) DO UPDATE SET cursor_ms = GREATEST(subscription_cursors.cursor_ms, EXCLUDED.cursor_ms)`,
      [...scopeValues(scope), createTime],
    );
  }

  async addRun(run: Pick<SubscriptionRun, 'subscriptionId' | 'jobInstanceId' | 'createdAt'>, watch: NewWatch): Promise<boolean> {
    return this.transaction(async (client) => {
      const watchId = randomUUID();
      // A replica recording the same run at the same moment waits on the key, then inserts nothing.
      const added = await client.query(`INSERT INTO subscription_runs (subscription_id, job_instance_id, created_at, watch_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
        run.subscriptionId,
        run.jobInstanceId,
        run.createdAt,
        watchId,
      ]);
      if ((added.rowCount ?? 0) === 0) return false;
      const insert = insertWatch(watchId, watch, dollars(0), JSONB);
      await client.query(insert.sql, insert.values);
      return true;
    });
  }

  async getRun(subscriptionId: string, jobInstanceId: number): Promise<SubscriptionRun | null> {
    const row = (await this.rows(`SELECT ${RUN_COLUMNS} FROM subscription_runs WHERE subscription_id = $1 AND job_instance_id = $2`, [subscriptionId, jobInstanceId]))[0];
    return row === undefined ? null : toSubscriptionRun(row, COLUMNS);
  }

  async recordRunResult(subscriptionId: string, version: number, jobInstanceId: number, result: RunResultRecord, patch: SubscriptionPatch): Promise<boolean> {
    return this.transaction(async (client) => {
      const { assignments, values } = subscriptionAssignments(patch, dollars(2), '::jsonb');
      const changed = await client.query(`UPDATE subscriptions SET ${[...assignments, 'version = version + 1'].join(', ')} WHERE id = $1 AND version = $2`, [subscriptionId, version, ...values]);
      if ((changed.rowCount ?? 0) === 0) return false;
      await client.query('UPDATE subscription_runs SET result = $3, duration_ms = $4, finished_at = $5, muted = $6, outcome = $7::jsonb WHERE subscription_id = $1 AND job_instance_id = $2', [
        subscriptionId,
        jobInstanceId,
        result.result,
        result.durationMs,
        result.finishedAt,
        result.muted ? 1 : 0,
        JSON.stringify(result.outcome ?? null),
      ]);
      return true;
    });
  }

  async listRuns(subscriptionId: string, from: number, to: number): Promise<SubscriptionRun[]> {
    const rows = await this.rows(`SELECT ${RUN_COLUMNS} FROM subscription_runs WHERE subscription_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, job_instance_id`, [subscriptionId, from, to]);
    return rows.map((row) => toSubscriptionRun(row, COLUMNS));
  }

  // ---- audit ----

  async recordAudit(entry: AuditEntry): Promise<void> {
    const insert = insertAudit(entry, dollars(0));
    await this.pool.query(insert.sql, insert.values);
  }

  async listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    // PostgreSQL refuses a negative LIMIT.
    if (filter.limit <= 0) return [];
    const query = listAuditQuery(filter, dollars(0));
    return (await this.rows(query.sql, query.values)).map((row) => toAuditEntry(row, COLUMNS));
  }

  async pruneAudit(before: number): Promise<number> {
    return (await this.pool.query('DELETE FROM audit WHERE at < $1', [before])).rowCount ?? 0;
  }

  async claimOperation(claim: OperationClaim, holdMs?: number): Promise<ClaimResult> {
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      // One statement: a concurrent claim of the same key waits for this one, then sees it (fresh) and does nothing.
      const inserted = await this.pool.query(
        `INSERT INTO operation_claims (key, slack_user_id, bk_username, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET slack_user_id = EXCLUDED.slack_user_id, bk_username = EXCLUDED.bk_username, at = EXCLUDED.at WHERE operation_claims.at <= $5`,
        [claim.key, claim.slackUserId, claim.bkUsername, claim.at, staleBefore(claim, holdMs)],
      );
      if ((inserted.rowCount ?? 0) > 0) return { claimed: true };
      const row = (await this.rows('SELECT key, slack_user_id, bk_username, at FROM operation_claims WHERE key = $1', [claim.key]))[0];
      // Released between the insert and the read: try again.
      if (row !== undefined) return { claimed: false, by: toClaim(row, ROWS.int) };
    }
    throw new Error(`operation claim ${claim.key} kept changing`);
  }

  async releaseOperation(key: string, slackUserId: string): Promise<void> {
    await this.pool.query('DELETE FROM operation_claims WHERE key = $1 AND slack_user_id = $2', [key, slackUserId]);
  }

  async pruneOperationClaims(before: number): Promise<number> {
    return (await this.pool.query('DELETE FROM operation_claims WHERE at < $1', [before])).rowCount ?? 0;
  }

  private async subscriptions(where: string, values: SqlValue[]): Promise<Subscription[]> {
    return (await this.rows(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions ${where} ${SUBSCRIPTIONS_OLDEST_FIRST}`, values)).map((row) => toSubscription(row, COLUMNS));
  }

  private async rows(sql: string, values: SqlValue[]): Promise<Row[]> {
    return (await this.pool.query<Row>(sql, values)).rows;
  }

  private async oneWatch(sql: string, values: SqlValue[]): Promise<Watch | null> {
    const row = (await this.rows(sql, values))[0];
    return row === undefined ? null : ROWS.watch(row);
  }

  private async count(sql: string, values: SqlValue[]): Promise<number> {
    const row = (await this.rows(sql, values))[0];
    return row === undefined ? 0 : ROWS.int(row['n'], 'count');
  }

  /** Runs `work` in BEGIN … COMMIT on one connection; rolls back on any error. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable; tell the pool to discard it rather than reuse it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** `$n` placeholders, numbered after the statement's first `before` parameters. */
function dollars(before: number): (index: number) => string {
  return (index) => `$${before + index + 1}`;
}

/** SET clauses for a patch, its parameters numbered after the statement's first `before` ones. */
function patchSql(patch: WatchPatch, before: number, leased: boolean): { assignments: string[]; values: SqlValue[] } {
  return patchAssignments(patch, dollars(before), { leased, ...JSONB });
}

/** A JS number, or a decimal string, that is an integer within ±2^53. */
function readBigInt(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) {
    const number = Number(value);
    if (Number.isSafeInteger(number)) return number;
  }
  return corrupt(path, 'an integer within ±2^53');
}
