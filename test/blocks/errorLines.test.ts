/**
 * "Why it failed" in every place a failure is shown: the /joblog summary (rows with their error
 * lines, escaped, code style, cut to 150; "other hosts differ"; "N more hosts"), the watch
 * step_failed ping (rules carry the lines, blocks render them), the host buttons (every kind of
 * failure gets one), and the link unfurl card (checked against the Block Kit schema).
 */
import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import type { HostResult, JobInstance } from '../../src/bkjob/model';
import { renderHostControls } from '../../src/blocks/hostLog';
import { type RenderOptions, renderJobSummary } from '../../src/blocks/jobSummary';
import { renderJobUnfurl } from '../../src/blocks/unfurl';
import { renderWatchEvent } from '../../src/blocks/watch';
import { buildJobSummary } from '../../src/summary/build';
import { evaluate, fingerprint } from '../../src/watch/rules';
import { blockKitErrors } from '../helpers/blockKit';
import { host, job, step } from '../helpers/jobs';
import { watchOf } from '../helpers/listenerFakes';

const OPTIONS: RenderOptions = { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/100', now: 1_700_000_100_000, watching: false };

function failing(i: number, exitCode: number, logTail?: string): HostResult {
  const h = host({ ipStatus: 104, exitCode }, i);
  return logTail === undefined ? h : { ...h, logTail };
}

/** Step 2 "deploy" fails: exit 1 on 3 hosts (two say "refused", one "disk full"), exit 2 on one. */
function failedJob(): JobInstance {
  return job([
    step(1, 'prepare', 3, [host({ ipStatus: 9 }, 1)]),
    step(2, 'deploy', 4, [
      failing(1, 1, 'start\ncurl: (7) Failed to connect to 10.0.0.5 port 80: Connection refused\n'),
      failing(2, 1, 'start\ncurl: (7) Failed to connect to 10.0.0.6 port 80: Connection refused\n'),
      failing(3, 1, 'cp: error writing <b>/data</b>: No space left on device & `more`\n'),
      failing(4, 2, `fatal: ${'x'.repeat(300)}\n`),
    ]),
  ]);
}

function sectionTexts(blocks: readonly KnownBlock[]): string[] {
  return blocks.filter((b): b is SectionBlock => b.type === 'section').map((b) => b.text?.text ?? '');
}

describe('the /joblog summary', () => {
  it('shows each row with its error line: escaped, in code, cut to 150; rows split by line', () => {
    const message = renderJobSummary(buildJobSummary(failedJob()), OPTIONS);
    const failingSection = sectionTexts(message.blocks).find((t) => t.startsWith('*Failing hosts in step 2'))!;
    expect(failingSection.split('\n')).toEqual([
      '*Failing hosts in step 2 · deploy*',
      '• *exit 1* · Non-zero Exit Code (104) · 2 hosts: `10.0.0.1`, `10.0.0.2`',
      '    ↳ `curl: (7) Failed to connect to 10.0.0.5 port 80: Connection refused`',
      '• *exit 1* · Non-zero Exit Code (104) · 1 host: `10.0.0.3`',
      '    ↳ `cp: error writing &lt;b&gt;/data&lt;/b&gt;: No space left on device &amp; ˋmoreˋ`',
      '• *exit 2* · Non-zero Exit Code (104) · 1 host: `10.0.0.4`',
      `    ↳ \`fatal: ${'x'.repeat(142)}…\``,
    ]);
    expect(blockKitErrors(message.blocks)).toEqual([]);
  });

  it('says "other hosts differ" when a group cannot be split, and folds groups past 5 rows into "N more hosts"', () => {
    // Seven groups, biggest first (exit 1 and 6 have two hosts): 5 rows shown, exit 5 and 7 folded; exit 1 has two lines but no spare row.
    const hosts = [failing(1, 1, 'Error: A'), failing(2, 1, 'Error: B'), ...[2, 3, 4, 5].map((code, i) => failing(10 + i, code, `Error: code ${code}`)), failing(20, 6), failing(21, 6), failing(22, 7)];
    const message = renderJobSummary(buildJobSummary(job([step(2, 'deploy', 4, hosts)])), OPTIONS);
    const lines = sectionTexts(message.blocks).find((t) => t.startsWith('*Failing hosts'))!.split('\n');
    expect(lines[2]).toBe('    ↳ `Error: A` _(other hosts differ)_');
    expect(lines.filter((l) => l.startsWith('• '))).toHaveLength(5);
    expect(lines[lines.length - 1]).toBe('_… 2 more hosts_');
  });

  it('without any known line renders as before (stored summaries, sources that saw no log)', () => {
    const plain = job([step(2, 'deploy', 4, [failing(1, 1), failing(2, 2)])]);
    const summary = buildJobSummary(plain);
    expect(summary.steps[0]!.errorRows).toBeUndefined();
    expect(sectionTexts(renderJobSummary(summary, OPTIONS).blocks).join('\n')).not.toContain('↳');
  });
});

describe('the watch failure ping', () => {
  it('rules carry the rows’ lines into step_failed; the ping shows them escaped', () => {
    const summary = buildJobSummary(failedJob());
    const [failed] = evaluate(null, summary, 'failure').events.filter((e) => e.event.type === 'step_failed');
    expect(failed!.event).toMatchObject({
      type: 'step_failed',
      groups: [
        { exitCode: 1, count: 2, errorLine: 'curl: (7) Failed to connect to 10.0.0.5 port 80: Connection refused' },
        { exitCode: 1, count: 1, errorLine: 'cp: error writing <b>/data</b>: No space left on device & `more`' },
        { exitCode: 2, count: 1 },
      ],
    });
    const watch = watchOf('0b9c3f2e-7a41-4d8e-9f10-2c6b5a4d3e21', summary.ref);
    const ping = renderWatchEvent(failed!, watch, 'en', true);
    const text = sectionTexts(ping.blocks).join('\n');
    expect(text).toContain('\n    ↳ `cp: error writing &lt;b&gt;/data&lt;/b&gt;: No space left on device &amp; ˋmoreˋ`\n');
    expect(blockKitErrors(ping.blocks)).toEqual([]);
  });

  it('the status message changes when a line arrives later (fingerprint)', () => {
    const withLines = buildJobSummary(failedJob());
    const without = buildJobSummary({ ...failedJob(), steps: failedJob().steps.map((s) => ({ ...s, hosts: s.hosts.map(({ logTail: _t, ...h }) => h) })) });
    expect(fingerprint(withLines)).not.toBe(fingerprint(without));
  });
});

describe('host buttons: a button for every kind of failure', () => {
  it('61 hosts in two groups (60 exit 1 + 1 exit 2): the singleton gets a button; the menu lists all 61', () => {
    const hosts = Array.from({ length: 61 }, (_, i) => failing(i + 1, i === 60 ? 2 : 1));
    const blocks = renderHostControls(buildJobSummary(job([step(2, 'deploy', 4, hosts)])), 'en');
    const buttons = (blocks[0] as ActionsBlock).elements as Button[];
    expect(buttons).toHaveLength(20);
    expect(buttons.map((b) => b.text.text)).toContain('10.0.0.61 · exit 2');
    // Round-robin: the first host of each group first.
    expect(buttons.slice(0, 2).map((b) => b.text.text)).toEqual(['10.0.0.1 · exit 1', '10.0.0.61 · exit 2']);
    const menu = (blocks[1] as ActionsBlock).elements[0] as { type: string; options: unknown[] };
    expect(menu.type).toBe('static_select');
    expect(menu.options).toHaveLength(61);
    expect(blockKitErrors(blocks)).toEqual([]);
  });

  it('rows split by error line count as kinds of failure too', () => {
    const hosts = Array.from({ length: 40 }, (_, i) => failing(i + 1, 1, i === 30 ? 'No space left on device' : 'Connection refused'));
    const buttons = (renderHostControls(buildJobSummary(job([step(2, 'deploy', 4, hosts)])), 'en')[0] as ActionsBlock).elements as Button[];
    expect(buttons.slice(0, 2).map((b) => b.text.text)).toEqual(['10.0.0.1 · exit 1', '10.0.0.31 · exit 1']);
  });
});

describe('renderJobUnfurl', () => {
  it('a failed job: state, the failing step, each row’s error line, Open in JOB', () => {
    const summary = buildJobSummary(failedJob());
    const unfurl = renderJobUnfurl(summary, { lang: 'en', jobUrl: 'https://job.example.com/api_execute/100' });
    expect(blockKitErrors(unfurl.blocks)).toEqual([]);
    expect(sectionTexts(unfurl.blocks)[0]!.split('\n')).toEqual([
      ':x: *Job 100* · failed',
      'Failed at step 2 · deploy: 4 of 4 hosts',
      '• *exit 1* · 2 hosts (`10.0.0.1` and 1 more)',
      '    ↳ `curl: (7) Failed to connect to 10.0.0.5 port 80: Connection refused`',
      '• *exit 1* · 1 host (`10.0.0.3`)',
      '    ↳ `cp: error writing &lt;b&gt;/data&lt;/b&gt;: No space left on device &amp; ˋmoreˋ`',
      '• *exit 2* · 1 host (`10.0.0.4`)',
      `    ↳ \`fatal: ${'x'.repeat(142)}…\``,
    ]);
    expect(unfurl.blocks[unfurl.blocks.length - 1]).toEqual({
      type: 'actions',
      block_id: 'joblog_unfurl_actions',
      elements: [{ type: 'button', action_id: 'joblog_open', text: { type: 'plain_text', text: 'Open in JOB', emoji: true }, url: 'https://job.example.com/api_execute/100' }],
    });
  });

  it('a running job with no failure, no console URL, hostile names: escaped, valid, no button', () => {
    const summary = buildJobSummary(job([step(1, '<!channel> *x*', 2, [host({ ipStatus: 7 })])], { bizId: 5, jobInstanceId: 9, scopeType: 'biz_set' }, '<@U123> & deploy'));
    const unfurl = renderJobUnfurl(summary, { lang: 'zh-CN', jobUrl: null });
    expect(blockKitErrors(unfurl.blocks)).toEqual([]);
    expect(unfurl.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(JSON.stringify(unfurl.blocks)).not.toMatch(/<!channel>|<@U123>/);
  });
});

describe('v3/v4: a group whose logs were read on a few hosts only', () => {
  const REFUSED = 'rsync: failed to connect to 10.1.0.9 (111): Connection refused';
  const DISK_FULL = 'cp: error writing /data/<app>.tar: No space left on device';
  /** 40 hosts fail with exit 1; the logs of the first five were read (as JobService reads them). */
  function sampledJob(lines: Record<number, string>): JobInstance {
    return job([step(2, 'deploy', 4, Array.from({ length: 40 }, (_, i) => failing(i + 1, 1, lines[i + 1])))]);
  }
  const split = { 1: REFUSED, 2: REFUSED, 3: DISK_FULL, 4: REFUSED, 5: DISK_FULL };

  it('two lines read: a row per line with the hosts read, then the hosts not read, saying so', () => {
    const message = renderJobSummary(buildJobSummary(sampledJob(split), { sampledLogs: true }), OPTIONS);
    expect(blockKitErrors(message.blocks)).toEqual([]);
    expect(sectionTexts(message.blocks).find((t) => t.startsWith('*Failing hosts'))!.split('\n')).toEqual([
      '*Failing hosts in step 1 · deploy*',
      '• *exit 1* · Non-zero Exit Code (104) · 3 hosts: `10.0.0.1`, `10.0.0.2`, `10.0.0.4`',
      '    ↳ `rsync: failed to connect to 10.1.0.9 (111): Connection refused`',
      '• *exit 1* · Non-zero Exit Code (104) · 2 hosts: `10.0.0.3`, `10.0.0.5`',
      '    ↳ `cp: error writing /data/&lt;app&gt;.tar: No space left on device`',
      '• *exit 1* · Non-zero Exit Code (104) · 35 hosts: `10.0.0.6`, `10.0.0.7`, `10.0.0.8`, `10.0.0.9`, `10.0.0.10` and 30 more',
      '    ↳ _logs not read_',
    ]);
  });

  it('the same in Chinese, and in the unfurl card', () => {
    const summary = buildJobSummary(sampledJob(split), { sampledLogs: true });
    const zh = sectionTexts(renderJobSummary(summary, { ...OPTIONS, lang: 'zh-CN' }).blocks).find((t) => t.includes('的失败主机'))!;
    expect(zh.split('\n').filter((l) => l.startsWith('    ↳ '))).toEqual([
      '    ↳ `rsync: failed to connect to 10.1.0.9 (111): Connection refused`',
      '    ↳ `cp: error writing /data/&lt;app&gt;.tar: No space left on device`',
      '    ↳ _未读取日志_',
    ]);
    const unfurl = renderJobUnfurl(summary, { lang: 'en', jobUrl: null });
    expect(blockKitErrors(unfurl.blocks)).toEqual([]);
    expect(sectionTexts(unfurl.blocks)[0]!.split('\n').slice(2)).toEqual([
      '• *exit 1* · 3 hosts (`10.0.0.1` and 2 more)',
      '    ↳ `rsync: failed to connect to 10.1.0.9 (111): Connection refused`',
      '• *exit 1* · 2 hosts (`10.0.0.3` and 1 more)',
      '    ↳ `cp: error writing /data/&lt;app&gt;.tar: No space left on device`',
      '• *exit 1* · 35 hosts (`10.0.0.6` and 34 more)',
      '    ↳ _logs not read_',
    ]);
  });

  it('the watch failure ping shows the same rows and notes', () => {
    const before = buildJobSummary(job([step(2, 'deploy', 3, [])]));
    const after = buildJobSummary(sampledJob(split), { sampledLogs: true });
    const { events } = evaluate(evaluate(null, before, 'failure').snapshot, after, 'failure');
    const failed = events.find((e) => e.event.type === 'step_failed')!;
    const ping = renderWatchEvent(failed, watchOf('w-1', { bizId: 1, jobInstanceId: 100 }), 'en', true);
    expect(blockKitErrors(ping.blocks)).toEqual([]);
    expect(sectionTexts(ping.blocks).join('\n').split('\n').filter((l) => l.startsWith('    ↳ '))).toEqual([
      '    ↳ `rsync: failed to connect to 10.1.0.9 (111): Connection refused`',
      '    ↳ `cp: error writing /data/&lt;app&gt;.tar: No space left on device`',
      '    ↳ _logs not read_',
    ]);
  });

  it('hosts read with no line beside hosts not read: the row says how many were not read', () => {
    const message = renderJobSummary(buildJobSummary(sampledJob({ 1: REFUSED, 2: '', 3: DISK_FULL, 4: REFUSED, 5: '' }), { sampledLogs: true }), OPTIONS);
    const lines = sectionTexts(message.blocks).find((t) => t.startsWith('*Failing hosts'))!.split('\n');
    expect(lines.slice(-2)).toEqual(['• *exit 1* · Non-zero Exit Code (104) · 37 hosts: `10.0.0.2`, `10.0.0.5`, `10.0.0.6`, `10.0.0.7`, `10.0.0.8` and 32 more', '    ↳ _35 of 37 logs not read, no line in the rest_']);
  });

  it('the read hosts agree: one row with the line, no "other hosts differ", no "not read"', () => {
    const message = renderJobSummary(buildJobSummary(sampledJob({ 1: REFUSED, 2: REFUSED, 3: REFUSED, 4: REFUSED, 5: REFUSED }), { sampledLogs: true }), OPTIONS);
    expect(blockKitErrors(message.blocks)).toEqual([]);
    expect(sectionTexts(message.blocks).find((t) => t.startsWith('*Failing hosts'))!.split('\n')).toEqual([
      '*Failing hosts in step 1 · deploy*',
      '• *exit 1* · Non-zero Exit Code (104) · 40 hosts: `10.0.0.1`, `10.0.0.2`, `10.0.0.3`, `10.0.0.4`, `10.0.0.5` and 35 more',
      '    ↳ `rsync: failed to connect to 10.1.0.9 (111): Connection refused`',
    ]);
  });

  it('v2 (every log seen): hosts with no line are not said to be unread', () => {
    const message = renderJobSummary(buildJobSummary(sampledJob(split)), OPTIONS);
    const lines = sectionTexts(message.blocks).find((t) => t.startsWith('*Failing hosts'))!.split('\n');
    expect(lines[lines.length - 1]).toBe('• *exit 1* · Non-zero Exit Code (104) · 35 hosts: `10.0.0.6`, `10.0.0.7`, `10.0.0.8`, `10.0.0.9`, `10.0.0.10` and 30 more');
  });
});
