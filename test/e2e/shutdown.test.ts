/**
 * Graceful shutdown of the real process: SIGTERM while a poll waits on BlueKing lets that poll
 * finish (its events are posted), then the process exits 0; a restart sends nothing twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { botEnv } from '../../dev/harness';
import { failStep, runningJob } from '../../dev/scenarios';
import { SqliteWatchStore } from '../../src/store';
import { useFakes } from '../helpers/fakes';

const ROOT = join(__dirname, '..', '..');
const CHANNEL = 'C0OPS0001';
const { slack, esb } = useFakes();
let dir: string;

function startBot(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ...botEnv(slack, esb),
      DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`,
      POLL_CRON: '* * * * * *',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(probe: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-shutdown-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('finishes the in-flight poll on SIGTERM, exits 0, and a restart sends nothing twice', async () => {
  const job = runningJob();
  esb.setJob(failStep(job, 0, [2], 1));
  const store = new SqliteWatchStore(join(dir, 'joblog.db'));
  await store.migrate();
  const now = Date.now();
  await store.create({ channelId: CHANNEL, ref: { bizId: job.bizId, jobInstanceId: job.jobInstanceId }, subscriberId: 'U0ALICE01', notifyOn: 'failure', createdAt: now, expiresAt: now + 86_400_000, statusMessageTs: '1700000000.000100', snapshot: { state: 'running', steps: [] }, fingerprint: null, nextPollAt: now });
  await store.close();

  esb.setLatency(2500);
  const first = startBot();
  // The poll is in flight once BlueKing has the request; stop the process right then.
  await until(() => esb.requestCount('get_job_instance_log') > 0, 'the first poll to reach BlueKing');
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain('"msg":"shutting down"');

  const replies = () => slack.calls('chat.postMessage').filter((c) => c.args.thread_ts === '1700000000.000100');
  expect(replies().map((c) => String(c.args.text).replace(/ after .*$/, ''))).toEqual([
    '<@U0ALICE01> :x: Step 1 *Backup data dir* failed on 1 of 5 hosts • *exit 1* · Non-zero Exit Code (104) · 1 host: `10.0.3.33`     ↳ `command exited with code 1`',
    '<@U0ALICE01> :x: Job failed',
  ]);

  // Restart: the watch ended with the job, and nothing is sent again.
  esb.setLatency(0);
  const second = startBot();
  await until(() => second.output().includes('joblog-bot started'), 'the restarted bot');
  await new Promise((resolve) => setTimeout(resolve, 2500)); // two poll ticks
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(replies()).toHaveLength(2);
  expect(first.output() + second.output()).not.toContain(esb.appSecret);
}, 90_000);
