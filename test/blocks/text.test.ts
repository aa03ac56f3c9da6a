/**
 * Block Kit text helpers: escaping (no pings from BlueKing text), length caps that never split a
 * character or an entity, Slack date tokens with a fallback in the BlueKing zone, durations,
 * and line packing under a size limit.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { escapeText, formatDuration, formatFallbackTime, inlineCode, packLines, plural, safeText, slackDate, truncate } from '../../src/blocks/text';

const ROOT = path.resolve(__dirname, '../..');

describe('escapeText', () => {
  it.each<[string, string]>([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here> <@U123> <#C1|general>', '&lt;!here&gt; &lt;@U123&gt; &lt;#C1|general&gt;'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    ['a & b', 'a &amp; b'],
    ['&lt;', '&amp;lt;'],
    ['&amp;&gt;', '&amp;amp;&amp;gt;'],
    ['x > 1 && y < 2', 'x &gt; 1 &amp;&amp; y &lt; 2'],
    ['plain *bold* _it_ `code` "quotes" \'s', 'plain *bold* _it_ `code` "quotes" \'s'],
    ['', ''],
    ['中文 <b>', '中文 &lt;b&gt;'],
  ])('%p → %p', (input, output) => {
    expect(escapeText(input)).toBe(output);
  });
});

describe('inlineCode', () => {
  it.each<[string, string]>([
    ['ls -la', '`ls -la`'],
    ['echo `date`', '`echo ˋdateˋ`'],
    ['```', '`ˋˋˋ`'],
    ['<!channel> & co', '`&lt;!channel&gt; &amp; co`'],
    ['', '``'],
  ])('%p → %p', (input, output) => {
    expect(inlineCode(input)).toBe(output);
  });

  it('never contains a backtick except the two delimiters', () => {
    const out = inlineCode('a`b``c```d');
    expect(out.startsWith('`') && out.endsWith('`')).toBe(true);
    expect(out.slice(1, -1)).not.toContain('`');
    expect(out).toBe('`aˋbˋˋcˋˋˋd`');
  });
});

describe('truncate', () => {
  it('returns text at or under the limit unchanged', () => {
    expect(truncate('hello', 10)).toBe('hello');
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('', 0)).toBe('');
  });

  it('cuts to exactly max characters, marking the cut with …', () => {
    expect(truncate('hello world', 5)).toBe('hell…');
    expect(truncate('hello world', 5)).toHaveLength(5);
    expect(truncate('abcdef', 1)).toBe('…');
    expect(truncate('abcdef', 2)).toBe('a…');
  });

  it('does not leave half of a surrogate pair', () => {
    // 'ab😀cd' is a, b, \uD83D, \uDE00, c, d: cutting at 3 would keep a lone high surrogate.
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('ab😀cd', 5)).toBe('ab😀…');
    const out = truncate('😀'.repeat(10), 8);
    expect(out).toBe('😀😀😀…');
    expect(out.length).toBeLessThanOrEqual(8);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it.each<[string, number, string]>([
    ['x&amp;yyy', 5, 'x…'],
    ['x&amp;yyy', 4, 'x…'],
    ['x&amp;yyy', 3, 'x…'],
    ['x&amp;yyy', 6, 'x…'],
    ['x&amp;yyy', 7, 'x&amp;…'],
    ['ab&lt;cd', 4, 'ab…'],
    ['&gt;&gt;&gt;', 6, '&gt;…'],
  ])('does not cut an entity in half: truncate(%p, %i) → %p', (text, max, out) => {
    expect(truncate(text, max)).toBe(out);
    expect(truncate(text, max).length).toBeLessThanOrEqual(max);
  });

  it('never exceeds max for any cut of escaped text', () => {
    const text = escapeText('<!channel> a&b <@U1> 😀 x'.repeat(5));
    for (let max = 1; max <= text.length + 2; max++) {
      const out = truncate(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      if (out !== text) expect(out.endsWith('…')).toBe(true);
      expect(out).not.toMatch(/&[a-z]*…$/);
    }
  });
});

describe('safeText', () => {
  it('escapes first, then caps on the escaped length', () => {
    expect(safeText('<!channel>', 100)).toBe('&lt;!channel&gt;');
    expect(safeText('<!channel>', 8)).toBe('&lt;!ch…');
    expect(safeText('<<<<', 6)).toBe('&lt;…');
  });
});

describe('slackDate / formatFallbackTime', () => {
  const EPOCH_MS = 1_718_072_103_000; // 2024-06-11T02:15:03Z

  it('gives the exact Slack date token with a UTC+08:00 fallback', () => {
    expect(slackDate(EPOCH_MS, 480)).toBe('<!date^1718072103^{date_short_pretty} {time_secs}|2024-06-11 10:15:03 UTC+08:00>');
  });

  it('drops milliseconds in the token', () => {
    expect(slackDate(EPOCH_MS + 999, 480)).toBe('<!date^1718072103^{date_short_pretty} {time_secs}|2024-06-11 10:15:03 UTC+08:00>');
  });

  it('uses a custom pattern', () => {
    expect(slackDate(EPOCH_MS, 0, '{date_num}')).toBe('<!date^1718072103^{date_num}|2024-06-11 02:15:03 UTC+00:00>');
  });

  it.each<[number, string]>([
    [0, '2024-06-11 02:15:03 UTC+00:00'],
    [480, '2024-06-11 10:15:03 UTC+08:00'],
    [330, '2024-06-11 07:45:03 UTC+05:30'],
    [-300, '2024-06-10 21:15:03 UTC-05:00'],
    [-330, '2024-06-10 20:45:03 UTC-05:30'],
    [-30, '2024-06-11 01:45:03 UTC-00:30'],
    [-720, '2024-06-10 14:15:03 UTC-12:00'],
    [840, '2024-06-11 16:15:03 UTC+14:00'],
  ])('formats the fallback at offset %i as %p', (offset, text) => {
    expect(formatFallbackTime(EPOCH_MS, offset)).toBe(text);
    expect(slackDate(EPOCH_MS, offset)).toBe(`<!date^1718072103^{date_short_pretty} {time_secs}|${text}>`);
  });

  it('crosses a year boundary with a negative offset', () => {
    expect(formatFallbackTime(Date.UTC(2025, 0, 1, 3, 0, 0), -300)).toBe('2024-12-31 22:00:00 UTC-05:00');
  });

  // The fallback must not move when the host runs in a zone with DST (spring-forward gap).
  // The result must depend only on (epochMs, offsetMinutes), never on the host's TZ.
  it('does not depend on the time zone of the host process', () => {
    const script = [
      "const { slackDate, formatFallbackTime } = require('./src/blocks/text');",
      'process.stdout.write(JSON.stringify([',
      '  slackDate(Date.UTC(2024, 2, 9, 18, 30, 0), 480),',
      '  formatFallbackTime(Date.UTC(2024, 2, 10, 2, 30, 0), 0),',
      '  formatFallbackTime(Date.UTC(2024, 5, 11, 2, 15, 3), 480),',
      ']));',
    ].join('\n');
    const run = (tz: string): unknown =>
      JSON.parse(execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: ROOT, env: { ...process.env, TZ: tz }, encoding: 'utf8' }));
    const expected = ['<!date^1710009000^{date_short_pretty} {time_secs}|2024-03-10 02:30:00 UTC+08:00>', '2024-03-10 02:30:00 UTC+00:00', '2024-06-11 10:15:03 UTC+08:00'];
    expect(run('UTC')).toEqual(expected);
    expect(run('America/New_York')).toEqual(expected);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [-5, '0ms'],
    [1, '1ms'],
    [350, '350ms'],
    [999, '999ms'],
    [1000, '1s'],
    [6000, '6s'],
    [6400, '6s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [606_000, '10m 6s'],
    [3_599_000, '59m 59s'],
    [3_600_000, '1h'],
    [3_630_000, '1h'],
    [7_500_000, '2h 5m'],
    [86_400_000, '1d'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d 4h'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, '3d 4h'],
  ])('%i ms → %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('plural', () => {
  it.each<[number, string]>([
    [0, '0 hosts'],
    [1, '1 host'],
    [2, '2 hosts'],
    [12345, '12,345 hosts'],
  ])('%i → %p', (count, text) => {
    expect(plural(count, 'host')).toBe(text);
  });

  it('takes an irregular plural', () => {
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
  });
});

describe('packLines', () => {
  it('packs lines into as few chunks as fit, in order', () => {
    expect(packLines(['aaa', 'bbb', 'ccc'], 7)).toEqual(['aaa\nbbb', 'ccc']);
    expect(packLines(['aaa', 'bbb', 'ccc'], 11)).toEqual(['aaa\nbbb\nccc']);
    expect(packLines(['aaa', 'bbb', 'ccc'], 10)).toEqual(['aaa\nbbb', 'ccc']);
    expect(packLines(['aaa', 'bbb', 'ccc'], 3)).toEqual(['aaa', 'bbb', 'ccc']);
  });

  it('returns no chunks for no lines', () => {
    expect(packLines([], 100)).toEqual([]);
  });

  it('truncates a single over-long line instead of splitting it', () => {
    expect(packLines(['short', 'x'.repeat(20), 'end'], 10)).toEqual(['short', `${'x'.repeat(9)}…`, 'end']);
    expect(packLines(['y'.repeat(50)], 10)).toEqual([`${'y'.repeat(9)}…`]);
  });

  it('never exceeds max and keeps every line in order', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'z'.repeat((i * 37) % 23)}`);
    for (const max of [12, 25, 40, 100, 3000]) {
      const chunks = packLines(lines, max);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(max);
      const rejoined = chunks.join('\n').split('\n');
      expect(rejoined).toEqual(lines.map((l) => truncate(l, max)));
    }
  });
});
