/**
 * Several replicas against one database share the watches: each due watch is polled by one
 * replica per cycle and each event reaches Slack exactly once. Runs against a shared SQLite file
 * always, and against PostgreSQL when TEST_DATABASE_URL is set (as .ci/run does).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type Harness, startHarness } from '../../dev/harness';
import { failStep, runningJob } from '../../dev/scenarios';
import { PostgresWatchStore, SqliteWatchStore } from '../../src/store';
import type { BotStore as WatchStore } from '../../src/store';
import { newFakes, startFakes, stopFakes } from '../helpers/fakes';

const JOBS = 12;
const CHANNEL = 'C0OPS0001';
const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) process.stderr.write('Replica test against PostgreSQL SKIPPED: set TEST_DATABASE_URL=postgres://… (scripts/ci-postgres.sh prints one) to run it.\n');

interface Backend {
  readonly name: string;
  open(): Promise<WatchStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'joblog-replicas-'));
  return {
    name: 'SQLite file',
    async open() {
      const store = new SqliteWatchStore(join(dir, 'joblog.db'));
      await store.migrate();
      return store;
    },
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

function postgresBackend(url: string): Backend {
  const schema = `joblog_replicas_${process.pid}_${Date.now()}`;
  return {
    name: 'PostgreSQL',
    async open() {
      const store = new PostgresWatchStore(url, { schema });
      await store.migrate();
      return store;
    },
    async cleanup() {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

const backends: Array<[string, () => Backend]> = [['SQLite file', sqliteBackend]];
if (pgUrl) backends.push(['PostgreSQL', () => postgresBackend(pgUrl)]);

describe.each(backends)('two replicas on one %s', (_name, makeBackend) => {
  let backend: Backend;
  const fakes = newFakes();
  const { slack, esb } = fakes;
  let replicas: Harness[];
  let clock: number;

  beforeAll(async () => {
    backend = makeBackend();
    await startFakes(fakes);
    clock = Date.UTC(2024, 5, 11, 3, 5);
    replicas = [];
    for (const owner of ['replica-a', 'replica-b']) {
      replicas.push(await startHarness({ slack, esb, overrides: { now: () => clock, owner, store: await backend.open(), pollBatchSize: 2 } }));
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.stop({ keepFakes: true });
    await stopFakes(fakes);
    await backend.cleanup();
  });

  it('polls each watch once per cycle and posts each event exactly once', async () => {
    const jobs = Array.from({ length: JOBS }, (_, i) => runningJob({ jobInstanceId: 7_000_000 + i }));
    for (const job of jobs) esb.setJob(job);
    // Subscribe through both replicas, alternating, as a load balancer would.
    for (const [i, job] of jobs.entries()) {
      await replicas[i % 2]!.slash(`watch ${job.bizId} ${job.jobInstanceId}`);
    }
    await slack.waitFor('chat.postMessage', JOBS);
    // Each watch is reserved, then its message posted, then it is due: wait for all three.
    for (let i = 0; i < 500 && (await replicas[0]!.bot.store.listOpenByChannel(CHANNEL)).filter((w) => w.statusMessageTs !== null).length < JOBS; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await replicas[0]!.bot.store.listOpenByChannel(CHANNEL)).toHaveLength(JOBS);

    for (const job of jobs) esb.updateJob(job.bizId, job.jobInstanceId, (def) => failStep(def, 0, [3], 2));
    esb.setLatency(20); // long enough for the two replicas' claims to interleave
    clock += 30_000;
    const [a, b] = await Promise.all(replicas.map((r) => r.bot.pollNow()));
    esb.setLatency(0);

    expect(a!.polled + b!.polled).toBe(JOBS);
    expect(a!.polled).toBeGreaterThan(0);
    expect(b!.polled).toBeGreaterThan(0);
    expect(a!.eventsSent + b!.eventsSent).toBe(JOBS * 2);

    const replies = slack.calls('chat.postMessage').filter((c) => c.args.thread_ts !== undefined);
    expect(replies).toHaveLength(JOBS * 2);
    const perThread = new Map<string, string[]>();
    for (const reply of replies) perThread.set(String(reply.args.thread_ts), [...(perThread.get(String(reply.args.thread_ts)) ?? []), String(reply.args.text)]);
    expect(perThread.size).toBe(JOBS);
    for (const texts of perThread.values()) {
      expect(texts).toHaveLength(2);
      expect(texts[0]).toMatch(/failed on 1 of 5 hosts/);
      expect(texts[1]).toMatch(/Job failed after/);
    }
    expect(esb.requestCount('get_job_instance_log')).toBe(JOBS * 2);

    // Another cycle on both replicas: every watch has ended, nothing more is sent.
    clock += 30_000;
    await Promise.all(replicas.map((r) => r.bot.pollNow()));
    expect(slack.calls('chat.postMessage').filter((c) => c.args.thread_ts !== undefined)).toHaveLength(JOBS * 2);
  });
});
