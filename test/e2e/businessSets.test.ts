/**
 * Business sets and older JOB (bkjob-source-facts ): `/joblog set:<id> <job>` sends
 * bk_scope_type=biz_set; businesses go with bk_biz_id too (JOB 3.3–3.4 need it); a legacy id
 * 8000000–9999999 goes as bk_biz_id alone; v2 cannot name a business set and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import type { FakeJobDef } from '../../dev/fakeJobs';
import { failedJob, runningJob } from '../../dev/scenarios';
import { scopeOf } from '../../src/bkjob/scope';
import { decodeHostLogAction, decodeJobRef, encodeHostLogRef, encodeJobRef } from '../../src/blocks/actions';
import { parseJoblogCommand } from '../../src/slack/parseCommand';
import { useFakes } from '../helpers/fakes';

const CHANNEL = 'C0OPS0001';
const inSet = (def: FakeJobDef): FakeJobDef => ({ ...def, bizId: 5, scopeType: 'biz_set' });

describe('business sets: parsing and values', () => {
  it('reads set:<id> wherever a business id goes', () => {
    expect(parseJoblogCommand('set:5 2001893471')).toEqual({ kind: 'show', ref: { bizId: 5, jobInstanceId: 2001893471, scopeType: 'biz_set' } });
    expect(parseJoblogCommand('watch SET:5 2001893471 --on all')).toEqual({ kind: 'watch', ref: { bizId: 5, jobInstanceId: 2001893471, scopeType: 'biz_set' }, notifyOn: 'all' });
    expect(parseJoblogCommand('unwatch set:5 7')).toEqual({ kind: 'unwatch', ref: { bizId: 5, jobInstanceId: 7, scopeType: 'biz_set' } });
    expect(parseJoblogCommand('set:x 7')).toEqual({ kind: 'invalid', problem: { code: 'not_a_number', what: 'bk_biz_id', text: 'x' } });
  });

  it('sends the scope each JOB version understands', () => {
    expect(scopeOf({ bizId: 3, jobInstanceId: 1 })).toEqual({ bk_scope_type: 'biz', bk_scope_id: '3', bk_biz_id: 3 });
    expect(scopeOf({ bizId: 5, jobInstanceId: 1, scopeType: 'biz_set' })).toEqual({ bk_scope_type: 'biz_set', bk_scope_id: '5' });
    expect(scopeOf({ bizId: 8_000_001, jobInstanceId: 1 })).toEqual({ bk_biz_id: 8_000_001 });
  });

  it('keeps the scope in button values', () => {
    const ref = { bizId: 5, jobInstanceId: 7, scopeType: 'biz_set' as const };
    expect(encodeJobRef(ref)).toBe('s5:7');
    expect(decodeJobRef('s5:7')).toEqual(ref);
    expect(decodeJobRef('5:7')).toEqual({ bizId: 5, jobInstanceId: 7 });
    const host = { job: ref, stepInstanceId: 9, bkCloudId: 0, ip: '10.0.0.1' };
    expect(decodeHostLogAction(encodeHostLogRef(host))?.ref).toEqual(host);
    expect(decodeHostLogAction(JSON.stringify({ b: 5, j: 7, s: 9, c: 0, i: '10.0.0.1', bs: 2 }))).toBeNull();
  });
});

describe('business sets end to end', () => {
  const { slack, esb } = useFakes();
  let dir: string;
  let h: Harness | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-sets-'));
  });

  afterEach(async () => {
    await h?.stop({ keepFakes: true });
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (version: 'v2' | 'v3') => {
    h = await startHarness({ slack, esb, env: { DATABASE_URL: `sqlite:${join(dir, 'joblog.db')}`, BK_JOB_API_VERSION: version } });
    return h;
  };

  it('shows a job of a business set through v3, asking with bk_scope_type=biz_set', async () => {
    const job = inSet(failedJob());
    esb.setJob(job);
    const bot = await start('v3');
    await bot.slash(`set:5 ${job.jobInstanceId}`);
    const [post] = await slack.waitFor('chat.postMessage');
    expect(JSON.stringify(post!.args.blocks)).toContain(`Biz set:5 · Instance ${job.jobInstanceId}`);
    expect(esb.requests()[0]!.body).toMatchObject({ bk_scope_type: 'biz_set', bk_scope_id: '5', job_instance_id: job.jobInstanceId });
    expect(esb.requests()[0]!.body).not.toHaveProperty('bk_biz_id');
  });

  it('watches a business-set job and a business job with the same ids as two watches', async () => {
    const running = runningJob({ bizId: 5 });
    esb.setJob(running);
    esb.setJob(inSet(runningJob()));
    const bot = await start('v3');
    await bot.slash(`watch set:5 ${running.jobInstanceId}`);
    await slack.waitFor('chat.postMessage');
    await bot.slash(`watch 5 ${running.jobInstanceId}`);
    await slack.waitFor('chat.postMessage', 2);
    // Reserved, then posted, then saved with the message: wait for both to be complete.
    for (let i = 0; i < 500 && (await bot.bot.store.listOpenByChannel(CHANNEL)).filter((w) => w.statusMessageTs !== null).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const watches = await bot.bot.store.listOpenByChannel(CHANNEL);
    expect(watches.map((w) => w.ref)).toEqual([
      { bizId: 5, jobInstanceId: running.jobInstanceId, scopeType: 'biz_set' },
      { bizId: 5, jobInstanceId: running.jobInstanceId },
    ]);
  });

  it('answers an unknown business set with BlueKing 1243049, and v2 with a clear "needs v3"', async () => {
    const bot = await start('v3');
    await bot.slash('set:6 2001893471', { responseId: 'unknown' });
    const [unknown] = await slack.waitForResponses(1);
    expect(JSON.stringify(unknown!.body)).toContain('1243049');
    await bot.stop({ keepFakes: true });
    slack.reset();
    esb.reset();

    const v2 = await start('v2');
    await v2.slash('set:5 2001893471', { responseId: 'v2' });
    const [refused] = await slack.waitForResponses(1);
    expect(JSON.stringify(refused!.body)).toContain('Business sets (set:5) need JOB&#39;s v3 or v4 API'.replace('&#39;', "'"));
    expect(esb.requests()).toEqual([]);
  });
});
