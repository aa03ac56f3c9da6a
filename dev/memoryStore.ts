/**
 * An in-memory `WatchStore` for unit tests and quick local runs. It follows the same contract as
 * the SQLite and PostgreSQL adapters (test/store/memory.test.ts runs the shared suite against it):
 * leases, the "status applies only while active" rule of leased writes, outbox uniqueness and
 * order, one open watch per channel and job. Values go in and come out as copies (JSON round
 * trips, as a database would do), so callers can never change stored state by accident.
 *
 * Several `MemoryWatchStore`s may share one `MemoryDatabase`, like two replicas on one database.
 * Every method does its work synchronously before its promise settles, so each call is atomic.
 */
import { type JobRef, sameJob } from '../src/bkjob/model';
import { byNextPoll, decodeSummary, encodePayload, outboxTime } from '../src/store/codec';
import type { JobSummary } from '../src/summary/types';
import type { CreateWatchResult, SubscriptionStore, WatchStore } from '../src/watch/ports';
import { type ClaimResult, type OperationClaim, type OperationGuard, staleBefore } from '../src/operate/types';
import { type CreateSubscriptionResult, type NewSubscription, type RunResultRecord, type Subscription, type SubscriptionPatch, type SubscriptionRun, type SubscriptionScope, initialSubscriptionState, subscriptionTargetKey } from '../src/watch/subscriptionTypes';
import type { RequestGuard } from '../src/util/requestGuard';
import type { AuditEntry, AuditFilter, AuditStore } from '../src/audit/types';
import type { NewOutboxEntry, NewWatch, OutboxEntry, Watch, WatchPatch } from '../src/watch/types';

interface WatchRow {
  watch: Watch;
  /** JSON text, as the SQL adapters keep it: read only through `lastSummary()`. */
  lastSummary: string | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  leasedAt: number | null;
}

interface OutboxRow {
  readonly watchId: string;
  readonly key: string;
  /** JSON text: a payload comes back as a fresh value, like a database column. */
  readonly payload: string;
  readonly createdAt: number;
  /** Insertion order: breaks createdAt ties, as SQLite's rowid does. */
  readonly seq: number;
  attempts: number;
  attemptStartedAt: number | null;
  sentAt: number | null;
  slackTs: string | null;
}

/** The shared state: what a database file is to the SQLite adapter. */
export class MemoryDatabase {
  migrated = false;
  readonly watches = new Map<string, WatchRow>();
  readonly outbox: OutboxRow[] = [];
  /** Slack request signature → expiry (epoch ms). */
  readonly signatures = new Map<string, number>();
  readonly subscriptions = new Map<string, Subscription>();
  /** `${subscriptionId}/${jobInstanceId}` → run. */
  readonly runs = new Map<string, SubscriptionRun>();
  /** `${scopeType}:${bizId}` → newest create time seen. */
  readonly cursors = new Map<string, number>();
  /** Operation claims by key. */
  readonly claims = new Map<string, OperationClaim>();
  /** The audit table, in recording order (`seq`, as the SQL adapters' id, orders equal times). */
  readonly audit: { readonly seq: number; readonly entry: AuditEntry }[] = [];
  private counter = 0;

  /** Ids sort in creation order, so ties in `claimDue` are stable and readable in tests. */
  nextId(): string {
    this.counter += 1;
    return `watch-${String(this.counter).padStart(6, '0')}`;
  }

  nextSeq(): number {
    this.counter += 1;
    return this.counter;
  }
}

/** Patchable fields (besides lastSummary) in one list, so every write path applies the same ones. */
const PATCH_FIELDS = ['status', 'statusReason', 'statusMessageTs', 'snapshot', 'fingerprint', 'lastPolledAt', 'lastChangedAt', 'nextPollAt', 'consecutiveErrors', 'lastError', 'expiresAt', 'run', 'threadTs'] as const satisfies readonly Exclude<keyof WatchPatch, 'lastSummary'>[];

/** Integer columns: SQLite STRICT tables and PostgreSQL BIGINT refuse NaN, fractions and the like. */
const INT_FIELDS = ['lastPolledAt', 'lastChangedAt', 'nextPollAt', 'consecutiveErrors', 'expiresAt'] as const satisfies readonly (keyof WatchPatch)[];

export class MemoryWatchStore implements WatchStore, SubscriptionStore, OperationGuard, AuditStore, RequestGuard {
  private closed = false;

  /** @param db shared state; pass the same one to several stores to act as replicas. */
  constructor(private readonly db: MemoryDatabase = new MemoryDatabase()) {}

  migrate(): Promise<void> {
    return this.run(() => {
      this.db.migrated = true;
    }, false);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  create(input: NewWatch, limit?: { readonly maxActiveInChannel: number }): Promise<CreateWatchResult> {
    return this.run((): CreateWatchResult => {
      const existing = this.findOpenRow(input.channelId, input.ref);
      if (existing) return { created: false, existing: copy(existing.watch) };
      if (limit && this.watchList().filter((w) => w.status === 'active' && w.channelId === input.channelId && w.run === null).length >= limit.maxActiveInChannel) {
        return { created: false, existing: null, max: limit.maxActiveInChannel };
      }
      return { created: true, watch: this.insertWatch(this.db.nextId(), input) };
    });
  }

  private insertWatch(id: string, input: NewWatch): Watch {
    {
      const watch: Watch = {
        id,
        channelId: input.channelId,
        ref: {
          bizId: checkInt(input.ref.bizId, 'ref.bizId'),
          jobInstanceId: checkInt(input.ref.jobInstanceId, 'ref.jobInstanceId'),
          ...(input.ref.scopeType === 'biz_set' ? { scopeType: 'biz_set' as const } : {}),
        },
        subscriberId: input.subscriberId,
        bkUsername: input.bkUsername ?? null,
        notifyOn: input.notifyOn,
        status: 'active',
        statusReason: null,
        statusMessageTs: input.statusMessageTs,
        snapshot: input.snapshot,
        fingerprint: input.fingerprint,
        createdAt: checkInt(input.createdAt, 'createdAt'),
        expiresAt: checkInt(input.expiresAt, 'expiresAt'),
        lastPolledAt: null,
        lastChangedAt: input.createdAt,
        nextPollAt: checkInt(input.nextPollAt, 'nextPollAt'),
        consecutiveErrors: 0,
        lastError: null,
        run: input.run ?? null,
        threadTs: null,
      };
      const stored = copy(watch);
      this.db.watches.set(watch.id, { watch: stored, lastSummary: encodeSummary(input.lastSummary), leaseOwner: input.lease?.owner ?? null, leaseUntil: input.lease?.until ?? null, leasedAt: input.lease ? input.createdAt : null });
      return copy(stored);
    }
  }

  get(id: string): Promise<Watch | null> {
    return this.run(() => {
      const row = this.db.watches.get(id);
      return row ? copy(row.watch) : null;
    });
  }

  findOpen(channelId: string, ref: JobRef): Promise<Watch | null> {
    return this.run(() => {
      const row = this.findOpenRow(channelId, ref);
      return row ? copy(row.watch) : null;
    });
  }

  findOpenRun(channelId: string, ref: JobRef): Promise<Watch | null> {
    return this.run(() => {
      const found = this.watchList()
        .filter((w) => isOpen(w) && w.run !== null && w.channelId === channelId && sameJob(w.ref, ref))
        .sort((a, b) => b.createdAt - a.createdAt)[0];
      return found ? copy(found) : null;
    });
  }

  listOpenByChannel(channelId: string): Promise<Watch[]> {
    return this.run(() => this.openWatches((w) => w.channelId === channelId));
  }

  listOpenBySubscriber(subscriberId: string): Promise<Watch[]> {
    return this.run(() => this.openWatches((w) => w.subscriberId === subscriberId));
  }

  countActiveInChannel(channelId: string): Promise<number> {
    return this.run(() => this.watchList().filter((w) => w.status === 'active' && w.channelId === channelId && w.run === null).length);
  }

  seenSignature(signature: string, now: number, ttlMs: number): Promise<boolean> {
    return this.run(() => {
      for (const [key, expiresAt] of this.db.signatures) if (expiresAt <= now) this.db.signatures.delete(key);
      if (this.db.signatures.has(signature)) return true;
      this.db.signatures.set(signature, now + ttlMs);
      return false;
    });
  }

  countActive(): Promise<number> {
    return this.run(() => this.watchList().filter((w) => w.status === 'active').length);
  }

  lastSummary(id: string): Promise<JobSummary | null> {
    return this.run(() => {
      const text = this.db.watches.get(id)?.lastSummary ?? null;
      return text === null ? null : decodeSummary(JSON.parse(text));
    });
  }

  update(id: string, patch: WatchPatch): Promise<Watch | null> {
    return this.run(() => {
      const row = this.db.watches.get(id);
      if (!row) return null;
      const next = applyPatch(row, patch, false);
      // The SQL adapters' partial unique index: reopening must not make a second open watch.
      if (isOpen(next.watch) && !isOpen(row.watch)) {
        const other = this.findOpenRow(next.watch.channelId, next.watch.ref);
        if (other && other.watch.id !== id) throw new Error(`watch store: another open watch on the job exists (${other.watch.id})`);
      }
      Object.assign(row, next);
      return copy(row.watch);
    });
  }

  claimDue(now: number, limit: number, owner: string, leaseMs: number): Promise<Watch[]> {
    return this.run(() => {
      if (limit <= 0) return [];
      const due = [...this.db.watches.values()]
        .filter((row) => row.watch.status === 'active' && row.watch.nextPollAt <= now && (row.leaseUntil === null || row.leaseUntil <= now))
        .sort((a, b) => byNextPoll(a.watch, b.watch))
        .slice(0, limit);
      for (const row of due) {
        row.leaseOwner = owner;
        row.leaseUntil = now + leaseMs;
        row.leasedAt = now;
      }
      return due.map((row) => copy(row.watch));
    });
  }

  saveWithLease(id: string, owner: string, patch: WatchPatch, entries: readonly NewOutboxEntry[]): Promise<boolean> {
    return this.run(() => {
      const row = this.db.watches.get(id);
      if (!row || row.leaseOwner !== owner || row.watch.status !== 'active') return false;
      // Everything that can throw runs before the first change, so a failed save changes nothing (one transaction).
      const next = applyPatch(row, patch, true);
      const createdAt = entries.length === 0 ? 0 : outboxTime(patch, row.leasedAt);
      const fresh = new Map<string, string>();
      for (const entry of entries) {
        if (!fresh.has(entry.key) && !this.outboxRow(id, entry.key)) fresh.set(entry.key, encodePayload(entry));
      }
      Object.assign(row, next);
      for (const [key, payload] of fresh) {
        this.db.outbox.push({ watchId: id, key, payload, createdAt, seq: this.db.nextSeq(), attempts: 0, attemptStartedAt: null, sentAt: null, slackTs: null });
      }
      return true;
    });
  }

  releaseLeasesOf(ownerPrefix: string, currentOwner: string): Promise<number> {
    return this.run(() => {
      let freed = 0;
      for (const row of this.db.watches.values()) {
        if (row.leaseOwner === null || !row.leaseOwner.startsWith(ownerPrefix) || row.leaseOwner === currentOwner) continue;
        Object.assign(row, { leaseOwner: null, leaseUntil: null, leasedAt: null });
        freed++;
      }
      return freed;
    });
  }

  release(id: string, owner: string, patch: WatchPatch): Promise<boolean> {
    return this.run(() => {
      const row = this.db.watches.get(id);
      if (!row || row.leaseOwner !== owner) return false;
      Object.assign(row, applyPatch(row, patch, true), { leaseOwner: null, leaseUntil: null, leasedAt: null });
      return true;
    });
  }

  pendingOutbox(watchId: string): Promise<OutboxEntry[]> {
    return this.run(() => this.outboxOf(watchId, true));
  }

  markOutboxAttempt(watchId: string, key: string, startedAt: number): Promise<void> {
    return this.run(() => {
      const row = this.outboxRow(watchId, key);
      if (!row) return;
      row.attempts += 1;
      row.attemptStartedAt ??= checkInt(startedAt, 'startedAt');
    });
  }

  endOutboxAttempt(watchId: string, key: string, outcome: { readonly counted: boolean; readonly resolved: boolean }): Promise<void> {
    return this.run(() => {
      const row = this.outboxRow(watchId, key);
      if (!row) return;
      if (outcome.resolved) row.attemptStartedAt = null;
      if (!outcome.counted) row.attempts = Math.max(row.attempts - 1, 0);
    });
  }

  markOutboxSent(watchId: string, key: string, sentAt: number, slackTs: string | null): Promise<void> {
    return this.run(() => {
      const row = this.outboxRow(watchId, key);
      // The first delivery is the one recorded.
      if (!row || row.sentAt !== null) return;
      row.sentAt = checkInt(sentAt, 'sentAt');
      row.slackTs = slackTs;
      row.attemptStartedAt = null;
    });
  }

  listOutbox(watchId: string): Promise<OutboxEntry[]> {
    return this.run(() => this.outboxOf(watchId, false));
  }

  // ---- subscriptions ----

  createSubscription(input: NewSubscription): Promise<CreateSubscriptionResult> {
    return this.run((): CreateSubscriptionResult => {
      const key = subscriptionTargetKey(input.scope, input.target);
      const existing = [...this.db.subscriptions.values()].find((s) => s.status === 'active' && s.channelId === input.channelId && subscriptionTargetKey(s.scope, s.target) === key);
      if (existing) return { created: false, existing: copy(existing) };
      const subscription: Subscription = {
        id: this.db.nextId().replace('watch-', 'sub-'),
        channelId: input.channelId,
        scope: { bizId: checkInt(input.scope.bizId, 'scope.bizId'), ...(input.scope.scopeType === 'biz_set' ? { scopeType: 'biz_set' as const } : {}) },
        target: input.target,
        subscriberId: input.subscriberId,
        bkUsername: input.bkUsername,
        notifyOn: input.notifyOn,
        digestAt: input.digestAt,
        status: 'active',
        statusReason: null,
        createdAt: checkInt(input.createdAt, 'createdAt'),
        version: 0,
        state: initialSubscriptionState(input.createdAt),
      };
      this.db.subscriptions.set(subscription.id, copy(subscription));
      return { created: true, subscription: copy(subscription) };
    });
  }

  getSubscription(id: string): Promise<Subscription | null> {
    return this.run(() => {
      const found = this.db.subscriptions.get(id);
      return found ? copy(found) : null;
    });
  }

  listSubscriptionsByChannel(channelId: string): Promise<Subscription[]> {
    return this.run(() => this.activeSubscriptions((s) => s.channelId === channelId));
  }

  listSubscriptionsBySubscriber(subscriberId: string): Promise<Subscription[]> {
    return this.run(() => this.activeSubscriptions((s) => s.subscriberId === subscriberId));
  }

  countSubscriptionsInChannel(channelId: string): Promise<number> {
    return this.run(() => this.activeSubscriptions((s) => s.channelId === channelId).length);
  }

  listActiveSubscriptions(): Promise<Subscription[]> {
    return this.run(() => this.activeSubscriptions(() => true));
  }

  updateSubscription(id: string, version: number | null, patch: SubscriptionPatch): Promise<Subscription | null> {
    return this.run(() => {
      const current = this.db.subscriptions.get(id);
      if (!current || (version !== null && current.version !== version)) return null;
      const next = copy({ ...current, ...defined(patch), version: current.version + 1 });
      this.db.subscriptions.set(id, next);
      return copy(next);
    });
  }

  scanCursor(scope: SubscriptionScope): Promise<number | null> {
    return this.run(() => this.db.cursors.get(cursorKey(scope)) ?? null);
  }

  advanceScanCursor(scope: SubscriptionScope, createTime: number): Promise<void> {
    return this.run(() => {
      const key = cursorKey(scope);
      this.db.cursors.set(key, Math.max(this.db.cursors.get(key) ?? createTime, checkInt(createTime, 'createTime')));
    });
  }

  addRun(run: Pick<SubscriptionRun, 'subscriptionId' | 'jobInstanceId' | 'createdAt'>, watch: NewWatch): Promise<boolean> {
    return this.run(() => {
      const key = `${run.subscriptionId}/${run.jobInstanceId}`;
      if (this.db.runs.has(key)) return false;
      const created = this.insertWatch(this.db.nextId(), watch);
      this.db.runs.set(key, { subscriptionId: run.subscriptionId, jobInstanceId: run.jobInstanceId, createdAt: checkInt(run.createdAt, 'createdAt'), watchId: created.id, result: null, durationMs: null, finishedAt: null, muted: false, outcome: null });
      return true;
    });
  }

  getRun(subscriptionId: string, jobInstanceId: number): Promise<SubscriptionRun | null> {
    return this.run(() => {
      const found = this.db.runs.get(`${subscriptionId}/${jobInstanceId}`);
      return found ? copy(found) : null;
    });
  }

  recordRunResult(subscriptionId: string, version: number, jobInstanceId: number, result: RunResultRecord, patch: SubscriptionPatch): Promise<boolean> {
    return this.run(() => {
      const current = this.db.subscriptions.get(subscriptionId);
      if (!current || current.version !== version) return false;
      this.db.subscriptions.set(subscriptionId, copy({ ...current, ...defined(patch), version: current.version + 1 }));
      const key = `${subscriptionId}/${jobInstanceId}`;
      const run = this.db.runs.get(key);
      if (run) this.db.runs.set(key, copy({ ...run, ...result, outcome: result.outcome ?? null }));
      return true;
    });
  }

  listRuns(subscriptionId: string, from: number, to: number): Promise<SubscriptionRun[]> {
    return this.run(() =>
      [...this.db.runs.values()]
        .filter((r) => r.subscriptionId === subscriptionId && r.createdAt >= from && r.createdAt < to)
        .sort((a, b) => a.createdAt - b.createdAt || a.jobInstanceId - b.jobInstanceId)
        .map(copy),
    );
  }

  // ---- audit ----

  claimOperation(claim: OperationClaim, holdMs?: number): Promise<ClaimResult> {
    return this.run((): ClaimResult => {
      const held = this.db.claims.get(claim.key);
      if (held && held.at > staleBefore(claim, holdMs)) return { claimed: false, by: copy(held) };
      this.db.claims.set(claim.key, { ...claim, at: checkInt(claim.at, 'at') });
      return { claimed: true };
    });
  }

  releaseOperation(key: string, slackUserId: string): Promise<void> {
    return this.run(() => {
      if (this.db.claims.get(key)?.slackUserId === slackUserId) this.db.claims.delete(key);
    });
  }

  pruneOperationClaims(before: number): Promise<number> {
    return this.run(() => {
      let deleted = 0;
      for (const [key, claim] of this.db.claims) {
        if (claim.at < before) {
          this.db.claims.delete(key);
          deleted++;
        }
      }
      return deleted;
    });
  }

  recordAudit(entry: AuditEntry): Promise<void> {
    return this.run(() => {
      checkInt(entry.at, 'at');
      if (entry.bizId !== null) checkInt(entry.bizId, 'bizId');
      if (entry.jobInstanceId !== null) checkInt(entry.jobInstanceId, 'jobInstanceId');
      const stored: AuditEntry = {
        at: entry.at,
        slackUserId: entry.slackUserId,
        bkUsername: entry.bkUsername,
        channelId: entry.channelId,
        scopeType: entry.scopeType,
        bizId: entry.bizId,
        jobInstanceId: entry.jobInstanceId,
        action: entry.action,
        outcome: entry.outcome,
        detail: entry.detail,
      };
      this.db.audit.push({ seq: this.db.nextSeq(), entry: copy(stored) });
    });
  }

  listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.run(() =>
      filter.limit <= 0
        ? []
        : this.db.audit
            .filter(({ entry }) => entry.at >= filter.from && entry.at < filter.to && (filter.slackUserId === undefined || entry.slackUserId === filter.slackUserId))
            // Newest first; the later recorded first among equal times.
            .sort((a, b) => b.entry.at - a.entry.at || b.seq - a.seq)
            .slice(0, filter.limit)
            .map(({ entry }) => copy(entry)),
    );
  }

  pruneAudit(before: number): Promise<number> {
    return this.run(() => {
      const kept = this.db.audit.filter(({ entry }) => entry.at >= before);
      const deleted = this.db.audit.length - kept.length;
      this.db.audit.splice(0, this.db.audit.length, ...kept);
      return deleted;
    });
  }

  private activeSubscriptions(filter: (s: Subscription) => boolean): Subscription[] {
    return [...this.db.subscriptions.values()]
      .filter((s) => s.status === 'active' && filter(s))
      .sort((a, b) => a.createdAt - b.createdAt || compareText(a.id, b.id))
      .map(copy);
  }

  /** Runs one call's work atomically; a throw becomes a rejection, like the SQL adapters' errors. */
  private run<T>(work: () => T, needsSchema = true): Promise<T> {
    try {
      if (this.closed) throw new Error('watch store: the store is closed');
      if (needsSchema && !this.db.migrated) throw new Error('watch store: not migrated (call migrate() first)');
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private watchList(): Watch[] {
    return [...this.db.watches.values()].map((row) => row.watch);
  }

  private findOpenRow(channelId: string, ref: JobRef): WatchRow | undefined {
    for (const row of this.db.watches.values()) {
      const w = row.watch;
      if (isOpen(w) && w.run === null && w.channelId === channelId && sameJob(w.ref, ref)) return row;
    }
    return undefined;
  }

  /** Open watches matching `filter`, oldest first (id breaks ties, as `ORDER BY created_at, id`). */
  private openWatches(filter: (watch: Watch) => boolean): Watch[] {
    return this.watchList()
      .filter((w) => isOpen(w) && w.run === null && filter(w))
      .sort((a, b) => a.createdAt - b.createdAt || compareText(a.id, b.id))
      .map(copy);
  }

  private outboxRow(watchId: string, key: string): OutboxRow | undefined {
    return this.db.outbox.find((row) => row.watchId === watchId && row.key === key);
  }

  private outboxOf(watchId: string, pendingOnly: boolean): OutboxEntry[] {
    return this.db.outbox
      .filter((row) => row.watchId === watchId && (!pendingOnly || row.sentAt === null))
      .sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq)
      .map((row) => ({ watchId: row.watchId, key: row.key, payload: JSON.parse(row.payload) as unknown, createdAt: row.createdAt, attempts: row.attempts, attemptStartedAt: row.attemptStartedAt, sentAt: row.sentAt, slackTs: row.slackTs }));
  }
}

/** The patch without its undefined fields: as in the SQL adapters, undefined means "leave as is", not "remove". */
function defined(patch: SubscriptionPatch): SubscriptionPatch {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
}

function cursorKey(scope: SubscriptionScope): string {
  return `${scope.scopeType ?? 'biz'}:${scope.bizId}`;
}

function isOpen(watch: Watch): boolean {
  return watch.status === 'active' || watch.status === 'paused';
}

/**
 * The row after `patch`, without changing `row`. For a leased write (saveWithLease, release),
 * status and statusReason change only while the watch is active: an unwatch that landed during
 * the poll stays in force. Both are judged by the status before the patch, as SQL's SET does.
 */
function applyPatch(row: WatchRow, patch: WatchPatch, leased: boolean): Pick<WatchRow, 'watch' | 'lastSummary'> {
  const wasActive = row.watch.status === 'active';
  for (const field of INT_FIELDS) {
    const value = patch[field];
    if (value !== undefined && value !== null) checkInt(value, field);
  }
  const applied = PATCH_FIELDS.filter((field) => patch[field] !== undefined && (wasActive || !leased || (field !== 'status' && field !== 'statusReason')));
  const changes = Object.fromEntries(applied.map((field) => [field, patch[field]])) as Partial<Watch>;
  const watch = copy({ ...row.watch, ...changes });
  return { watch, lastSummary: patch.lastSummary === undefined ? row.lastSummary : encodeSummary(patch.lastSummary) };
}

function encodeSummary(summary: JobSummary | null | undefined): string | null {
  return summary === undefined || summary === null ? null : JSON.stringify(summary);
}

/** A deep copy through JSON: what a database hands back (no shared objects, no undefined fields). */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function checkInt(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new TypeError(`watch store: ${field} must be an integer, got ${String(value)}`);
  return value;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
