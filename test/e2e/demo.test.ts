/** `npm run demo` must keep working from a clone: run it and check the story it tells. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

it('runs the offline demo end to end and writes Block Kit JSON', () => {
  const out = mkdtempSync(join(tmpdir(), 'joblog-demo-'));
  try {
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'dev/demo.ts', out], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('@U0ALICE01 :x: Step 1 *Backup data dir* failed on 2 of 5 hosts');
    expect(run.stdout).toContain(":page_facing_up: Log of `10.0.3.33` in *Backup data dir* · Failed");
    // v2 summarises the ≈ 450 MB response as it arrives (it used to be refused over the old 200 MB default).
    const v2Huge = run.stdout.slice(run.stdout.indexOf('A huge job through v2'), run.stdout.indexOf('A huge job through v3'));
    expect(v2Huge).toContain(':x: *20. Batch step 20* · Failed · 3 of 10,000 hosts failed');
    expect(run.stdout).not.toContain('BK_MAX_RESPONSE_MB');
    expect(run.stdout).toContain(':x: *20. Batch step 20* · Failed · 3 of 10,000 hosts failed');
    expect(run.stdout).toContain(':x: *1. Announce <!here> & deploy* · Failed');
    // A retry from Slack fixes a failed job (v3): the click, the thread line, the watch's good news.
    expect(run.stdout).toContain(':repeat: @U0ALICE01 retried the 3 failed hosts of step 2.');
    expect(run.stdout).toContain('@U0ALICE01 :white_check_mark: Job succeeded after');
    // A pasted JOB link unfurls into the compact summary with the error lines.
    expect(run.stdout).toContain('Failed at step 2 · Restart api-server: 3 of 200 hosts');
    expect(existsSync(join(out, '01-a-successful-job.json'))).toBe(true);
    expect(readdirSync(out).length).toBeGreaterThanOrEqual(14);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 150_000);
