/**
 * Runs the WatchStore contract against a real PostgreSQL named by TEST_DATABASE_URL, e.g.
 *   export "$(scripts/ci-postgres.sh | tail -n 1)" && npx jest test/store
 *
 * Isolation: every test gets its own fresh schema (joblog_test_<run>_<n>, via the store's
 * `schema` option, i.e. search_path), dropped after the test. Nothing touches "public", so the
 * suite can run repeatedly, and from several CI jobs at once, against the same database.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresWatchStore, openWatchStore } from '../../src/store';
import type { WatchStore } from '../../src/watch/ports';
import type { NewWatch } from '../../src/watch/types';
import { describeWatchStoreContract } from './contract';
import { describeSubscriptionStoreContract } from './subscriptionContract';
import { describeAuditStoreContract } from './auditContract';
import { describeOperationGuardContract } from './operationContract';

const databaseUrl = process.env['TEST_DATABASE_URL'];

if (!databaseUrl) {
  // Written straight to stderr, not console.warn: jest drops the console output of a test file
  // whose tests are all skipped whenever it runs more than one file, and hides it under --silent.
  process.stderr.write(
    'PostgreSQL store tests SKIPPED: set TEST_DATABASE_URL=postgres://… to run them ' +
      '(scripts/ci-postgres.sh installs and starts a local server and prints the URL)\n',
  );
}

const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
let schemaNumber = 0;

function nextSchema(): string {
  schemaNumber += 1;
  return `joblog_test_${runId}_${schemaNumber}`;
}

/** Runs one admin statement on its own connection (outside any store's pool). */
async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

(databaseUrl ? describe : describe.skip)('PostgreSQL', () => {
  // Only reached when the suite runs, i.e. databaseUrl is set.
  const url = databaseUrl ?? '';
  let currentSchema = nextSchema();
  const usedSchemas = new Set<string>();

  afterAll(async () => {
    // Tests drop their schema as they go; this catches any left by a failed cleanup.
    for (const schema of usedSchemas) await admin(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  describeWatchStoreContract(
    'PostgreSQL (schema per test)',
    () => {
      usedSchemas.add(currentSchema);
      return Promise.resolve(new PostgresWatchStore(url, { schema: currentSchema, poolSize: 5 }));
    },
    async () => {
      await admin(url, `DROP SCHEMA IF EXISTS ${currentSchema} CASCADE`);
      usedSchemas.delete(currentSchema);
      currentSchema = nextSchema();
    },
  );

  describeSubscriptionStoreContract(
    'PostgreSQL (schema per test)',
    () => {
      usedSchemas.add(currentSchema);
      return Promise.resolve(new PostgresWatchStore(url, { schema: currentSchema, poolSize: 5 }));
    },
    async () => {
      await admin(url, `DROP SCHEMA IF EXISTS ${currentSchema} CASCADE`);
      usedSchemas.delete(currentSchema);
      currentSchema = nextSchema();
    },
  );

  describeAuditStoreContract(
    'PostgreSQL (schema per test)',
    () => {
      usedSchemas.add(currentSchema);
      return Promise.resolve(new PostgresWatchStore(url, { schema: currentSchema, poolSize: 5 }));
    },
    async () => {
      await admin(url, `DROP SCHEMA IF EXISTS ${currentSchema} CASCADE`);
      usedSchemas.delete(currentSchema);
      currentSchema = nextSchema();
    },
  );

  describeOperationGuardContract(
    'PostgreSQL (schema per test)',
    () => {
      usedSchemas.add(currentSchema);
      return Promise.resolve(new PostgresWatchStore(url, { schema: currentSchema, poolSize: 5 }));
    },
    async () => {
      await admin(url, `DROP SCHEMA IF EXISTS ${currentSchema} CASCADE`);
      usedSchemas.delete(currentSchema);
      currentSchema = nextSchema();
    },
  );

  describe('PostgresWatchStore', () => {
    const stores: WatchStore[] = [];
    let schema: string;

    beforeEach(() => {
      schema = nextSchema();
      usedSchemas.add(schema);
    });

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await admin(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    });

    async function tablesIn(inSchema: string): Promise<string[]> {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const result = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
          [inSchema],
        );
        return result.rows.map((row) => row.table_name);
      } finally {
        await client.end();
      }
    }

    test('keeps its tables in the given schema, created by migrate()', async () => {
      const store = new PostgresWatchStore(url, { schema });
      stores.push(store);
      await store.migrate();
      expect(await tablesIn(schema)).toEqual(['audit', 'operation_claims', 'schema_migrations', 'slack_request_signatures', 'subscription_cursors', 'subscription_runs', 'subscriptions', 'watch_outbox', 'watches']);
    });

    test('five replicas migrating a fresh schema at once apply each migration once', async () => {
      const replicas = Array.from({ length: 5 }, () => new PostgresWatchStore(url, { schema, poolSize: 1 }));
      stores.push(...replicas);
      await Promise.all(replicas.map((replica) => replica.migrate()));

      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const versions = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
        expect(versions.rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }, { version: 7 }, { version: 8 }, { version: 9 }]);
      } finally {
        await client.end();
      }
    });

    test('rejects a schema name that would need quoting', () => {
      expect(() => new PostgresWatchStore(url, { schema: 'Bad-Name; DROP' })).toThrow(/schema/);
    });

    test('openWatchStore opens a postgres:// URL (schema chosen through the URL options)', async () => {
      await admin(url, `CREATE SCHEMA ${schema}`);
      const withSchema = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const store = await openWatchStore(withSchema);
      stores.push(store);
      expect(store).toBeInstanceOf(PostgresWatchStore);
      const watch: NewWatch = {
        channelId: 'C1',
        ref: { bizId: 2, jobInstanceId: 3 },
        subscriberId: 'U1',
        notifyOn: 'all',
        createdAt: 1,
        expiresAt: 2,
        statusMessageTs: null,
        snapshot: null,
        fingerprint: null,
        nextPollAt: 1,
      };
      expect((await store.create(watch)).created).toBe(true);
      expect(await tablesIn(schema)).toContain('watches');
    });
  });
});
