/**
 * Text hygiene (issue 17): the one escape every BlueKing text passes through strips what must
 * never reach Slack (NUL, bidi controls, lone surrogates) and neutralises bare broadcasts; mrkdwn
 * carrying BlueKing text is `verbatim`; the usage reply's own `<bk_biz_id>` is escaped.
 */
import type { KnownBlock } from '@slack/types';
import { BkJobError } from '../src/bkjob/errors';
import { type RenderOptions, renderJobSummary } from '../src/blocks/jobSummary';
import { renderBkError, renderUsage } from '../src/blocks/replies';
import { escapeText } from '../src/blocks/text';
import { buildJobSummary } from '../src/summary/build';
import { hosts, job, step } from './helpers/jobs';

const ZWJ = '\u200D';

describe('escapeText', () => {
  it.each<[string, string, string]>([
    ['NUL and other control characters are removed', 'a\u0000b\u0007c\u001Bd\u007Fe\u0085f', 'abcdef'],
    ['tab, newline and carriage return stay', 'a\tb\nc\r\nd', 'a\tb\nc\r\nd'],
    ['U+202E (right-to-left override) is removed', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['every bidi control is removed', '\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069h\u200Ei\u200Fj\u061Ck', 'abcdefghijk'],
    ['a lone high surrogate becomes U+FFFD', 'x\uD83Dy', 'x\uFFFDy'],
    ['a lone low surrogate becomes U+FFFD', 'x\uDE00y', 'x\uFFFDy'],
    ['whole pairs stay', 'ok 😀', 'ok 😀'],
    ['@here is neutralised', 'ping @here now', `ping @${ZWJ}here now`],
    ['@channel and @everyone too, in any case', '@channel @EVERYONE', `@${ZWJ}channel @${ZWJ}EVERYONE`],
    ['other @words are left alone', '@hereford @alice', '@hereford @alice'],
    ['the special characters are still escaped', '<!here> & <@U1>', '&lt;!here&gt; &amp; &lt;@U1&gt;'],
  ])('%s', (_what, input, output) => {
    expect(escapeText(input)).toBe(output);
  });
});

function mrkdwnTexts(blocks: readonly KnownBlock[]): { text: string; verbatim?: boolean }[] {
  return blocks.flatMap((b) => (b.type === 'section' && b.text?.type === 'mrkdwn' ? [b.text] : []));
}

describe('the usage reply', () => {
  it('escapes its own <bk_biz_id> <job_instance_id> in the blocks', () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const usage = renderUsage(lang);
      const blocksText = JSON.stringify(usage.blocks);
      expect(blocksText).not.toMatch(/<bk_biz_id>|<job_instance_id>/);
      expect(blocksText).toContain('&lt;bk_biz_id&gt; &lt;job_instance_id&gt;');
    }
  });
});

describe('BlueKing text in Slack messages', () => {
  const OPTIONS: RenderOptions = { lang: 'en', offsetMinutes: 480, jobUrl: null, now: Date.UTC(2024, 5, 11, 4), watching: false };

  it('a step name with NUL, U+202E and @channel reaches the summary cleaned, in verbatim mrkdwn', () => {
    const summary = buildJobSummary(job([step(1, 'deploy\u0000 \u202E@channel', 4, hosts(2, 1, [3]))]));
    const message = renderJobSummary(summary, OPTIONS);
    const posted = JSON.stringify(message);
    expect(posted).not.toMatch(/\\u0000|\u202E|@channel/);
    expect(posted).toContain(`deploy @${ZWJ}channel`);
    const texts = mrkdwnTexts(message.blocks);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text.verbatim).toBe(true);
  });

  it('a BlueKing error quoting @here shows it inert, in verbatim mrkdwn, request id too', () => {
    const err = new BkJobError('BlueKing JOB error 1244006: tell @here \u202Enow', { kind: 'api', code: 1244006, bkMessage: 'tell @here now', requestId: 'req-@everyone' });
    const reply = renderBkError(err, { bizId: 3, jobInstanceId: 7 }, 'en');
    const posted = JSON.stringify(reply.blocks);
    expect(posted).not.toMatch(/@here|@everyone|\u202E/);
    for (const text of mrkdwnTexts(reply.blocks)) expect(text.verbatim).toBe(true);
    const context = reply.blocks.at(-1) as { type: string; elements: { verbatim?: boolean }[] };
    expect(context.type).toBe('context');
    expect(context.elements[0]!.verbatim).toBe(true);
  });
});
