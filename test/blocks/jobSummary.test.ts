import type { KnownBlock } from '@slack/types';
import { ACTION } from '../../src/blocks/actions';
import { type RenderOptions, renderJobSummary } from '../../src/blocks/jobSummary';
import { jobConsoleUrl, stepConsoleUrl } from '../../src/bkjob/console';
import { LIMITS } from '../../src/blocks/text';
import { buildJobSummary } from '../../src/summary/build';
import { FAILED_FIXTURE_MESSAGE, host, hosts, job, step, v2FixtureJob } from '../helpers/jobs';

const OPTIONS: RenderOptions = {
  lang: 'en',
  offsetMinutes: 480,
  jobUrl: 'https://job.example.com/api_execute/2001893471',
  stepUrl: (step) => stepConsoleUrl('https://job.example.com', { bizId: 3, jobInstanceId: 2001893471 }, step),
  now: Date.UTC(2024, 5, 11, 4),
  watching: false,
};

/** Every Block Kit limit the bot promises to hold. */
function expectWithinLimits(blocks: readonly KnownBlock[]): void {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
  for (const block of blocks) {
    if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (block.type === 'context') {
      expect(block.elements.length).toBeLessThanOrEqual(LIMITS.contextElements);
      for (const element of block.elements) if ('text' in element) expect(element.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    if (block.type === 'actions') {
      expect(block.elements.length).toBeLessThanOrEqual(LIMITS.actionsElements);
      for (const element of block.elements) {
        if (element.type === 'button') {
          expect(element.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
          expect((element.value ?? '').length).toBeLessThanOrEqual(LIMITS.buttonValue);
        }
      }
    }
  }
}

describe('renderJobSummary', () => {
  it('renders the failed fixture exactly', () => {
    const message = renderJobSummary(buildJobSummary(v2FixtureJob('failed')), OPTIONS);
    expect(message).toEqual(FAILED_FIXTURE_MESSAGE);
  });

  it('offers Watch on an unfinished job and Stop watching on a watched one', () => {
    const summary = buildJobSummary(v2FixtureJob('running'));
    const unwatched = renderJobSummary(summary, { ...OPTIONS, jobUrl: null });
    expect(unwatched.blocks.at(-1)).toEqual({
      type: 'actions',
      block_id: 'joblog_job_actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Watch this job', emoji: true }, action_id: ACTION.watch, value: '3:2001893471', style: 'primary' }],
    });
    const watched = renderJobSummary(summary, { ...OPTIONS, jobUrl: null, watching: true });
    expect(watched.blocks.at(-1)).toEqual({
      type: 'actions',
      block_id: 'joblog_job_actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Stop watching', emoji: true }, action_id: ACTION.unwatch, value: '3:2001893471' }],
    });
    expect(unwatched.blocks[1]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Biz 3 · Instance 2001893471 · 2 steps · 5 hosts · Started <!date^1718074950^{date_short_pretty} {time_secs}|2024-06-11 11:02:30 UTC+08:00>, running for 57m 30s' }],
    });
    expect(unwatched.blocks[2]).toEqual({ type: 'section', text: { type: 'mrkdwn', verbatim: true, text: ':hourglass_flowing_sand: 1. Backup data dir · Running · 2 of 5 hosts done\n:white_circle: 2. Rotate old backups · Pending' } });
  });

  it('renders in Chinese with BOT_LANG=zh-CN', () => {
    const message = renderJobSummary(buildJobSummary(v2FixtureJob('failed')), { ...OPTIONS, lang: 'zh-CN' });
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':x: 作业 2001893471 · 执行失败', emoji: true } });
    expect(message.text).toBe(':x: 作业 2001893471（业务 3） 执行失败: 步骤 2「Reload nginx」：8 台主机中 3 台失败');
  });

  it('renders mentions, links and HTML from BlueKing inert', () => {
    const evil = '<!channel> deploy & <@U123> <https://evil.example|click>';
    const summary = buildJobSummary(job([step(1, evil, 4, [host({ ip: '10.0.0.1', ipStatus: 104, exitCode: 3 })])], { bizId: 1, jobInstanceId: 100 }, evil));
    const message = renderJobSummary(summary, OPTIONS);
    const all = JSON.stringify(message);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<@U123>');
    expect(all).not.toContain('<https://evil');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':x: &lt;!channel&gt; deploy &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt; · failed', emoji: true },
    });
    expect(message.text).toBe(
      ':x: &lt;!channel&gt; deploy &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt; (job 100, biz 1) failed: step 1 "&lt;!channel&gt; deploy &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt;": 1 of 1 host failed',
    );
  });

  it('caps a failing group at five hosts and says how many more', () => {
    const summary = buildJobSummary(job([step(1, 'deploy', 4, hosts(20, 12, [7]))]));
    const failing = renderJobSummary(summary, OPTIONS).blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('*Failing hosts'));
    expect(failing).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', verbatim: true, text: '*Failing hosts in step 1 · deploy*\n• *exit 7* · Non-zero Exit Code (104) · 12 hosts: `10.0.0.0`, `10.0.0.1`, `10.0.0.2`, `10.0.0.3`, `10.0.0.4` and 7 more' },
    });
  });

  it('summarises instead of breaking limits: 100 steps × 10,000 hosts with thousands of exit codes', () => {
    const steps = Array.from({ length: 100 }, (_, i) => step(i + 1, `step ${i + 1} ${'x'.repeat(180)}`, i === 40 ? 4 : i < 40 ? 3 : 1, i === 40 ? hosts(10_000, 9_000, Array.from({ length: 3000 }, (_, k) => k + 1)) : []));
    const summary = buildJobSummary(job(steps));
    const message = renderJobSummary(summary, OPTIONS);
    expectWithinLimits(message.blocks);
    const texts = message.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    expect(texts.join('\n')).toContain('*41. step 41');
    expect(texts.join('\n')).toContain('\n_… 39 more steps: 39 Success_\n');
    expect(texts.join('\n')).toContain('\n_… 58 more steps: 58 Pending_\n');
    expect(texts.join('\n')).toContain('… 2,992 more groups (8,976 hosts)');
  });

  it('summarises 100 failing steps and holds every limit', () => {
    const steps = Array.from({ length: 100 }, (_, i) => step(i + 1, `s${i}`, 6, hosts(50, 50, [i + 1, i + 2])));
    const message = renderJobSummary(buildJobSummary(job(steps)), { ...OPTIONS, watching: true });
    expectWithinLimits(message.blocks);
    const texts = message.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    expect(texts.at(-1)).toBe('_… 97 more steps with failing hosts_');
  });

  it('keeps within limits for a single step with a 10,000-character name', () => {
    const message = renderJobSummary(buildJobSummary(job([step(1, 'n'.repeat(10_000), 2, [])], undefined, 'j'.repeat(10_000))), OPTIONS);
    expectWithinLimits(message.blocks);
    expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });
});

describe('stepConsoleUrl', () => {
  it('links the failed or waiting step as JOB does, with any site path prefix kept', () => {
    expect(stepConsoleUrl('https://paas.example.com/o/bk_job/', { bizId: 3, jobInstanceId: 7 }, 9)).toBe('https://paas.example.com/o/bk_job/api_execute_step/7/9');
    expect(stepConsoleUrl(null, { bizId: 3, jobInstanceId: 7 }, 9)).toBeNull();
    expect(stepConsoleUrl('https://job.example.com/biz/{bk_biz_id}/execute/task/{job_instance_id}', { bizId: 3, jobInstanceId: 7 }, 9)).toBeNull();
  });
});

describe('jobConsoleUrl', () => {
  it('appends /api_execute/<id> or fills a template', () => {
    expect(jobConsoleUrl(null, { bizId: 3, jobInstanceId: 7 })).toBeNull();
    expect(jobConsoleUrl('https://job.example.com/', { bizId: 3, jobInstanceId: 7 })).toBe('https://job.example.com/api_execute/7');
    expect(jobConsoleUrl('https://job.example.com/biz/{bk_biz_id}/execute/task/{job_instance_id}', { bizId: 3, jobInstanceId: 7 })).toBe('https://job.example.com/biz/3/execute/task/7');
  });
});


describe('host controls never break the message', () => {
  it('leaves out a host whose address cannot be carried in a button, and keeps the rest', () => {
    const odd = host({ ip: 'x'.repeat(126), ipStatus: 104, exitCode: 5 });
    const summary = buildJobSummary(job([step(1, 'deploy', 4, [odd, host({ ip: '10.0.0.9', ipStatus: 104, exitCode: 1 })])]));
    const message = renderJobSummary(summary, OPTIONS);
    const buttons = message.blocks.find((b) => b.type === 'actions' && b.block_id?.startsWith('joblog_host_buttons:'));
    expect(buttons).toEqual({
      type: 'actions',
      block_id: 'joblog_host_buttons:1:100',
      elements: [{ type: 'button', action_id: 'joblog_host_log:0', text: { type: 'plain_text', text: '10.0.0.9 · exit 1', emoji: false }, value: '{"b":1,"j":100,"s":1,"c":0,"i":"10.0.0.9"}' }],
    });
  });
});
