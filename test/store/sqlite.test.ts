import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteWatchStore, openWatchStore, parseDatabaseUrl } from '../../src/store';
import type { WatchStore } from '../../src/watch/ports';
import type { NewWatch } from '../../src/watch/types';
import { describeWatchStoreContract } from './contract';
import { describeSubscriptionStoreContract } from './subscriptionContract';
import { describeAuditStoreContract } from './auditContract';
import { describeOperationGuardContract } from './operationContract';

const tempRoot = mkdtempSync(join(tmpdir(), 'joblog-store-'));
let testNumber = 0;

/** A path in a directory that does not exist yet: the store must create it. */
function nextFile(): string {
  testNumber += 1;
  return join(tempRoot, `t${testNumber}`, 'nested', 'watches.db');
}

let currentFile = nextFile();

afterAll(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});

describeWatchStoreContract(
  'SQLite (temp file)',
  () => Promise.resolve(new SqliteWatchStore(currentFile)),
  () => {
    // A new file per test; the temp root goes in afterAll.
    currentFile = nextFile();
    return Promise.resolve();
  },
);

describeSubscriptionStoreContract(
  'SQLite (temp file)',
  () => Promise.resolve(new SqliteWatchStore(currentFile)),
  () => {
    currentFile = nextFile();
    return Promise.resolve();
  },
);

describeAuditStoreContract(
  'SQLite (temp file)',
  () => Promise.resolve(new SqliteWatchStore(currentFile)),
  () => {
    currentFile = nextFile();
    return Promise.resolve();
  },
);

describeOperationGuardContract(
  'SQLite (temp file)',
  () => Promise.resolve(new SqliteWatchStore(currentFile)),
  () => {
    currentFile = nextFile();
    return Promise.resolve();
  },
);

const T0 = 1_700_000_000_000;

function newWatch(overrides: Partial<NewWatch> = {}): NewWatch {
  return {
    channelId: 'C1',
    ref: { bizId: 2, jobInstanceId: 20_000_000_123 },
    subscriberId: 'U1',
    notifyOn: 'all',
    createdAt: T0,
    expiresAt: T0 + 86_400_000,
    statusMessageTs: '1700000000.000100',
    snapshot: { state: 'running', steps: [{ stepInstanceId: 7, status: 2, executeCount: 0, failedHostCount: 0 }] },
    fingerprint: 'fp',
    nextPollAt: T0,
    ...overrides,
  };
}

describe('SqliteWatchStore', () => {
  const stores: WatchStore[] = [];
  async function open(file: string): Promise<WatchStore> {
    const store = new SqliteWatchStore(file);
    stores.push(store);
    await store.migrate();
    return store;
  }
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  test('watches, leases and the outbox survive a restart', async () => {
    const file = nextFile();
    const first = await open(file);
    const result = await first.create(newWatch());
    if (!result.created) throw new Error('expected a new watch');
    await first.claimDue(T0, 10, 'poller-a', 60_000);
    await first.saveWithLease(result.watch.id, 'poller-a', { lastPolledAt: T0 + 1 }, [{ key: 'k', payload: { a: 1 } }]);
    const before = await first.get(result.watch.id);
    const outboxBefore = await first.listOutbox(result.watch.id);
    await first.close();

    const second = await open(file);
    expect(await second.get(result.watch.id)).toStrictEqual(before);
    expect(await second.listOutbox(result.watch.id)).toStrictEqual(outboxBefore);
    // The lease is persisted too: a restarted poller with a new owner id waits for it to expire.
    expect(await second.claimDue(T0 + 1, 10, 'poller-b', 60_000)).toEqual([]);
    expect(await second.saveWithLease(result.watch.id, 'poller-a', {}, [])).toBe(true);
  });

  test('uses WAL and records each migration once', async () => {
    const file = nextFile();
    const store = await open(file);
    await store.migrate();
    await store.close();
    await (await open(file)).migrate();

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      db.close();
    }
  });

  test('storageProblem notices the database file deleted or replaced while open', async () => {
    const file = nextFile();
    const store = new SqliteWatchStore(file);
    await store.migrate();
    try {
      expect(store.storageProblem()).toBeNull();
      renameSync(file, `${file}.old`);
      expect(store.storageProblem()).toMatch(/deleted/);
      writeFileSync(file, '');
      expect(store.storageProblem()).toMatch(/replaced/);
    } finally {
      await store.close();
    }
  });

  test('works in memory', async () => {
    const store = await open(':memory:');
    const result = await store.create(newWatch());
    expect(result.created).toBe(true);
    expect(await store.countActive()).toBe(1);
  });

  test('a corrupt row fails loudly, naming the column', async () => {
    const file = nextFile();
    const store = await open(file);
    const result = await store.create(newWatch());
    if (!result.created) throw new Error('expected a new watch');
    const db = new Database(file);
    try {
      db.prepare(`UPDATE watches SET snapshot = '{"state":"exploded","steps":[]}' WHERE id = ?`).run(result.watch.id);
    } finally {
      db.close();
    }
    await expect(store.get(result.watch.id)).rejects.toThrow(/watches\.snapshot\.state/);
  });
});

describe('openWatchStore', () => {
  test('opens and migrates sqlite::memory:', async () => {
    const store = await openWatchStore('sqlite::memory:');
    try {
      expect((await store.create(newWatch())).created).toBe(true);
    } finally {
      await store.close();
    }
  });

  test('opens sqlite:/absolute/path, creating the directory', async () => {
    const file = nextFile();
    expect(existsSync(file)).toBe(false);
    const store = await openWatchStore(`sqlite:${file}`);
    try {
      expect(store).toBeInstanceOf(SqliteWatchStore);
      expect(existsSync(file)).toBe(true);
    } finally {
      await store.close();
    }
  });

  test('reads every DATABASE_URL form', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', filename: ':memory:' });
    expect(parseDatabaseUrl('sqlite:./data/joblog.db')).toEqual({ kind: 'sqlite', filename: resolve('data/joblog.db') });
    expect(parseDatabaseUrl('sqlite:/var/lib/joblog/joblog.db')).toEqual({ kind: 'sqlite', filename: '/var/lib/joblog/joblog.db' });
    expect(parseDatabaseUrl('postgres://u:p@db:5432/joblog')).toEqual({ kind: 'postgres', connectionString: 'postgres://u:p@db:5432/joblog' });
    expect(parseDatabaseUrl('postgresql://u:p@db/joblog')).toEqual({ kind: 'postgres', connectionString: 'postgresql://u:p@db/joblog' });
  });

  test.each(['mysql://root:hunter2@db/joblog', 'sqlite:', 'joblog.db', ''])('rejects %j, naming DATABASE_URL', async (url) => {
    await expect(openWatchStore(url)).rejects.toThrow(/DATABASE_URL/);
    await expect(openWatchStore(url)).rejects.not.toThrow(/hunter2/);
  });
});
