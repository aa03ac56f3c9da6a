/**
 * Opens the watch store named by DATABASE_URL:
 *   sqlite:./data/joblog.db      a file, relative to the working directory (its directory is created)
 *   sqlite:/var/lib/joblog/db    an absolute file path
 *   sqlite::memory:              in memory, gone on exit (tests, trying the bot out)
 *   postgres://user:pass@host:5432/db  (or postgresql://…) for several replicas
 */
import { resolve } from 'node:path';
import { PostgresWatchStore } from './postgres';
import { SqliteWatchStore } from './sqlite';
import type { SubscriptionStore, WatchStore } from '../watch/ports';
import type { RequestGuard } from '../util/requestGuard';
import type { AuditStore } from '../audit/types';
import type { OperationGuard } from '../operate/types';

/** What the bot needs from its database: the watches, the subscriptions, the audit trail, and the Slack replay guard shared by replicas. */
export type BotStore = WatchStore & SubscriptionStore & OperationGuard & AuditStore & RequestGuard;

export { PostgresWatchStore, type PostgresWatchStoreOptions } from './postgres';
export { SqliteWatchStore } from './sqlite';
export type { CreateWatchResult, WatchStore } from '../watch/ports';

export type DatabaseTarget = { readonly kind: 'sqlite'; readonly filename: string } | { readonly kind: 'postgres'; readonly connectionString: string };

const SQLITE_PREFIX = 'sqlite:';
const SQLITE_MEMORY = ':memory:';

/** Reads DATABASE_URL; the error names the variable but never echoes the value (it may hold a password). */
export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  if (databaseUrl.startsWith(SQLITE_PREFIX)) {
    const location = databaseUrl.slice(SQLITE_PREFIX.length);
    if (location === SQLITE_MEMORY) return { kind: 'sqlite', filename: SQLITE_MEMORY };
    if (location.trim() === '') throw new Error('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/joblog.db');
    return { kind: 'sqlite', filename: resolve(location) };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return { kind: 'postgres', connectionString: databaseUrl };
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(databaseUrl)?.[0] ?? '(no scheme)';
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${scheme})`);
}

/** Opens and migrates the store; the caller owns it and must close() it on shutdown. */
export async function openWatchStore(databaseUrl: string, options: { onIdleClientError?: (error: Error) => void } = {}): Promise<BotStore> {
  const target = parseDatabaseUrl(databaseUrl);
  const store = target.kind === 'sqlite' ? new SqliteWatchStore(target.filename) : new PostgresWatchStore(target.connectionString, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
