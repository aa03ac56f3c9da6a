/**
 * /readyz (readiness) beside /healthz (liveness): the store's write round trip (rate-limited,
 * cached), a SQLite file deleted or replaced underneath, and BlueKing's reachability as the last
 * call found it. 503 names the cause without secrets.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type Harness, startHarness } from '../../dev/harness';
import { MemoryWatchStore } from '../../dev/memoryStore';
import { failedJob } from '../../dev/scenarios';
import { createReadinessCheck } from '../../src/app';

interface ReadyAnswer {
  status: number;
  body: { status: string; problems?: string[] };
}

async function readyz(h: Harness): Promise<ReadyAnswer> {
  const response = await fetch(`${h.appUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyAnswer['body'] };
}

describe('/readyz against a SQLite file', () => {
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-readyz-'));
    h = await startHarness({ env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}` }, overrides: { readinessIntervalSeconds: 0 } });
  });

  afterAll(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready when the store answers and BlueKing has not failed; /healthz stays a plain liveness check', async () => {
    expect(await readyz(h)).toEqual({ status: 200, body: { status: 'ready' } });
    const health = await fetch(`${h.appUrl}/healthz`);
    expect(health.status).toBe(200);
  });

  it('is not ready while the last BlueKing call could not reach it, and ready again after a success', async () => {
    h.esb.setJob(failedJob());
    h.esb.failNext(1, 'reset');
    await h.slash('3 2001893471');
    await h.slack.waitForResponses(1);
    const down = await readyz(h);
    expect(down.status).toBe(503);
    expect(down.body.problems).toEqual(['BlueKing JOB could not be reached on the last call (network)']);
    expect(JSON.stringify(down.body)).not.toContain(h.esb.appSecret);

    await h.slash('3 2001893471');
    await h.slack.waitFor('chat.postMessage');
    expect((await readyz(h)).status).toBe(200);
  });

  it('notices the database file deleted while running (503, named), while /healthz still answers 200', async () => {
    unlinkSync(join(dir, 'joblog.db'));
    const answer = await readyz(h);
    expect(answer.status).toBe(503);
    expect(answer.body.problems).toContain('the SQLite database file was deleted while the bot was running');
    expect((await fetch(`${h.appUrl}/healthz`)).status).toBe(200);
  });
});

describe('createReadinessCheck', () => {
  const silent = pino({ level: 'silent' });

  it('checks the store at most once per interval and caches the answer', async () => {
    const store = new MemoryWatchStore();
    await store.migrate();
    const spy = jest.spyOn(store, 'seenSignature');
    let clock = 1_000_000;
    const check = createReadinessCheck({ store, now: () => clock, logger: silent, lastBkOutcome: () => 'ok', intervalMs: 10_000 });
    await Promise.all([check(), check(), check()]);
    expect(spy).toHaveBeenCalledTimes(1);
    clock += 9_999;
    expect(await check()).toEqual({ ready: true, problems: [] });
    expect(spy).toHaveBeenCalledTimes(1);
    clock += 1;
    await check();
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('answers not ready, with the cause, when the store cannot write', async () => {
    const store = new MemoryWatchStore();
    await store.migrate();
    await store.close();
    const check = createReadinessCheck({ store, now: () => 0, logger: silent, lastBkOutcome: () => 'timeout', intervalMs: 10_000 });
    expect(await check()).toEqual({ ready: false, problems: ['the database did not answer a write', 'BlueKing JOB could not be reached on the last call (timeout)'] });
  });
});
