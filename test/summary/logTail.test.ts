/**
 * tailLog: the last lines of a host log, sized for Slack. Exact results for line endings, blank
 * lines, the line and character budgets, huge single lines (keep the end, never half a surrogate
 * pair), a measure that counts Slack-escaped length, and text decoded from invalid UTF-8.
 */
import { SNIPPET_MAX_CHARS, snippetMeasure } from '../../src/blocks/hostLog';
import { escapeText } from '../../src/blocks/text';
import { type LogTail, tailLog } from '../../src/summary/logTail';

const MB = 1024 * 1024;

/** A lone high surrogate not followed by a low one, or a lone low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function numbered(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}`);
}

function tail(text: string, shownLines: number, totalLines: number, totalChars: number, truncatedLine = false): LogTail {
  return { text, shownLines, totalLines, truncatedLine, totalChars };
}

/** Deterministic pseudo-random bytes (mulberry32). */
function randomBytes(length: number, seed: number): Buffer {
  let state = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

describe('tailLog: line endings and blank lines', () => {
  it.each([
    ['LF', 'a\nb\nc\n', tail('a\nb\nc', 3, 3, 6)],
    ['CRLF', 'a\r\nb\r\nc\r\n', tail('a\nb\nc', 3, 3, 9)],
    ['lone CR', 'a\rb\rc', tail('a\nb\nc', 3, 3, 5)],
    ['mixed CR, CRLF and LF', 'a\r\r\nb\nc\r', tail('a\n\nb\nc', 4, 4, 8)],
    ['no trailing newline', 'a\nb', tail('a\nb', 2, 2, 3)],
    ['one line, no newline', 'only', tail('only', 1, 1, 4)],
    ['trailing blank lines', 'a\nb\n\n\n\n', tail('a\nb', 2, 2, 7)],
    ['trailing blank CRLF lines', 'a\r\n\r\n\r\n', tail('a', 1, 1, 7)],
    ['leading and inner blank lines are kept', '\n\na\n\nb\n', tail('\n\na\n\nb', 5, 5, 7)],
    ['empty log', '', tail('', 0, 0, 0)],
    ['only LF newlines', '\n\n\n', tail('', 0, 0, 3)],
    ['only CRLF newlines', '\r\n\r\n', tail('', 0, 0, 4)],
    ['only CR newlines', '\r\r', tail('', 0, 0, 2)],
  ])('%s', (_name, raw, expected) => {
    expect(tailLog(raw)).toStrictEqual(expected);
  });

  it('counts totalChars in UTF-16 units of the raw text (before normalising)', () => {
    expect(tailLog('😀\r\n').totalChars).toBe(4);
    expect(tailLog('中文\n').totalChars).toBe(3);
  });
});

describe('tailLog: the line budget', () => {
  it('keeps all of exactly 40 lines', () => {
    const lines = numbered(40);
    expect(tailLog(`${lines.join('\n')}\n`)).toStrictEqual(tail(lines.join('\n'), 40, 40, lines.join('\n').length + 1));
  });

  it('keeps the last 40 of 41 lines', () => {
    const lines = numbered(41);
    const raw = lines.join('\n');
    expect(tailLog(raw)).toStrictEqual(tail(lines.slice(1).join('\n'), 40, 41, raw.length));
  });

  it('keeps the last 40 of 10,000 lines', () => {
    const lines = numbered(10_000);
    const raw = `${lines.join('\r\n')}\r\n`;
    const result = tailLog(raw);
    expect(result).toStrictEqual(tail(lines.slice(-40).join('\n'), 40, 10_000, raw.length));
  });

  it.each([
    [1, ['line 41']],
    [5, ['line 37', 'line 38', 'line 39', 'line 40', 'line 41']],
    [41, numbered(41)],
    [100, numbered(41)],
  ])('maxLines %i', (maxLines, expected) => {
    const raw = numbered(41).join('\n');
    expect(tailLog(raw, { maxLines })).toStrictEqual(tail(expected.join('\n'), expected.length, 41, raw.length));
  });
});

describe('tailLog: the character budget', () => {
  it('a line that fills the budget exactly is kept; one character more is not', () => {
    // c (1) + "\n" + bbbb (5) + "\n" + aaa (4) = 10
    expect(tailLog('aaa\nbbbb\nc', { maxChars: 10 })).toStrictEqual(tail('aaa\nbbbb\nc', 3, 3, 10));
    expect(tailLog('aaaa\nbbbb\nc', { maxChars: 10 })).toStrictEqual(tail('bbbb\nc', 2, 3, 11));
  });

  it('stops at a long line in the middle without cutting it (only the newest line is ever cut)', () => {
    const raw = `a\n${'y'.repeat(3000)}\nb\nc`;
    expect(tailLog(raw)).toStrictEqual(tail('b\nc', 2, 4, raw.length));
  });

  it('keeps the end of a long last line after short ones', () => {
    const last = `${'y'.repeat(2999)}Z`;
    const raw = `a\nb\n${last}\n`;
    expect(tailLog(raw)).toStrictEqual(tail(last.slice(-2500), 1, 3, raw.length, true));
  });

  it('keeps the END of a single 1 MB line', () => {
    const line = `START${'0123456789'.repeat(MB / 10)}`.slice(0, MB - 3) + 'END';
    expect(line).toHaveLength(MB);
    const result = tailLog(line);
    expect(result).toStrictEqual(tail(line.slice(-2500), 1, 1, MB, true));
    expect(result.text.endsWith('END')).toBe(true);
  });

  it('keeps the end of a single 1 MB line with a trailing newline', () => {
    const line = 'x'.repeat(MB - 4) + 'END';
    const result = tailLog(`${line}\n`);
    expect(result).toStrictEqual(tail(line.slice(-2500), 1, 1, MB, true));
  });

  it('a 1 MB line of emoji: the cut lands mid-pair and the lone low surrogate is dropped', () => {
    const line = `${'😀'.repeat(MB / 2)}x`; // pairs at even offsets; length - 2500 is odd → a low surrogate
    const result = tailLog(line);
    expect(result).toStrictEqual(tail(`${'😀'.repeat(1249)}x`, 1, 1, MB + 1, true));
    expect(result.text).not.toMatch(LONE_SURROGATE);
    expect(result.text.length).toBeLessThanOrEqual(2500);
  });

  it('a 1 MB line of emoji whose cut lands between pairs keeps the whole budget', () => {
    const line = '😀'.repeat(MB / 2);
    const result = tailLog(line);
    expect(result).toStrictEqual(tail('😀'.repeat(1250), 1, 1, MB, true));
    expect(result.text).not.toMatch(LONE_SURROGATE);
  });

  it('emoji at the cut of a short last line', () => {
    expect(tailLog('ab\n😀😀😀', { maxChars: 5 })).toStrictEqual(tail('😀😀', 1, 2, 9, true));
    expect(tailLog('ab\n😀😀😀', { maxChars: 6 })).toStrictEqual(tail('😀😀😀', 1, 2, 9));
  });

  it('mixed scripts and emoji across many lines never produce a lone surrogate', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `${i} 部署 🚀${'😀'.repeat(i % 7)} ok`);
    const result = tailLog(lines.join('\n'), { maxChars: 301, maxLines: 400 });
    expect(result.text).not.toMatch(LONE_SURROGATE);
    expect(result.text.length).toBeLessThanOrEqual(301);
    expect(result.truncatedLine).toBe(false);
    expect(lines.join('\n').endsWith(result.text)).toBe(true);
  });
});

describe('tailLog with the Slack-escaped measure (snippetMeasure)', () => {
  it('counts &, < and > at their escaped length', () => {
    expect(snippetMeasure('a&b<c>')).toBe(escapeText('a&b<c>').length);
    expect(snippetMeasure('&<>')).toBe(13);
    // A ``` run costs an extra character when it is broken up in the snippet.
    expect(snippetMeasure('a```b')).toBe(7);
  });

  it('keeps &<>-heavy lines within SNIPPET_MAX_CHARS once escaped', () => {
    const line = '&<>'.repeat(100); // 300 chars, 1300 escaped
    const lines = Array.from({ length: 10 }, (_, i) => `${line}${i}`);
    const raw = lines.join('\n');
    const result = tailLog(raw, { maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure });
    // 1301 + 1 + 1301 = 2603; a third line would need 3905.
    expect(result).toStrictEqual(tail(lines.slice(-2).join('\n'), 2, 10, raw.length));
    expect(escapeText(result.text).length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    // The plain measure would have kept far more than fits once escaped.
    expect(tailLog(raw, { maxChars: SNIPPET_MAX_CHARS }).shownLines).toBe(9);
  });

  it('keeps 40 short &-heavy lines when they fit escaped', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `${i} a&&b <x> y`);
    const result = tailLog(lines.join('\n'), { maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure });
    expect(result.text).toBe(lines.slice(-40).join('\n'));
    expect(escapeText(result.text).length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
  });

  it.each([
    ['all &', '&'],
    ['&<>', '&<>'],
    ['ab&', 'ab&'],
    ['plain with an & now and then', 'abcdefghi&'],
  ])('a single 1 MB line (%s) keeps its end within the escaped budget', (_name, unit) => {
    const line = unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB - 3) + 'END';
    const result = tailLog(line, { maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure });
    expect(result.truncatedLine).toBe(true);
    expect(result.shownLines).toBe(1);
    expect(result.text).not.toMatch(LONE_SURROGATE);
    expect(snippetMeasure(result.text)).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    // Escaping makes sizes uneven (& is 5 units): the kept end must still use the budget well.
    expect(result.text.endsWith('END')).toBe(true);
    expect(line.endsWith(result.text)).toBe(true);
    expect(snippetMeasure(result.text)).toBeGreaterThanOrEqual(SNIPPET_MAX_CHARS / 2);
  });
});

describe('tailLog on text decoded from invalid UTF-8', () => {
  it('tails U+FFFD replacement characters without throwing', () => {
    const bytes = Buffer.concat([Buffer.from('ok line\n'), Buffer.from([0xff, 0xfe, 0x0a, 0x61, 0xc3, 0x0a]), Buffer.from('last ✓\n')]);
    const decoded = bytes.toString('utf8');
    expect(decoded).toBe('ok line\n\uFFFD\uFFFD\na\uFFFD\nlast ✓\n');
    expect(tailLog(decoded)).toStrictEqual(tail('ok line\n\uFFFD\uFFFD\na\uFFFD\nlast ✓', 4, 4, 21));
  });

  it('tails a truncated multi-byte sequence at the very end', () => {
    const decoded = Buffer.concat([Buffer.from('done\n中'), Buffer.from([0xe6, 0x96])]).toString('utf8');
    expect(tailLog(decoded)).toStrictEqual(tail('done\n中\uFFFD', 2, 2, decoded.length));
  });

  it('tails 1 MB of random bytes within the budgets', () => {
    const decoded = randomBytes(MB, 7).toString('utf8');
    const plain = tailLog(decoded);
    expect(plain.text.length).toBeLessThanOrEqual(2500);
    expect(plain.shownLines).toBeLessThanOrEqual(40);
    expect(plain.totalChars).toBe(decoded.length);
    expect(plain.text).not.toMatch(LONE_SURROGATE);
    const escaped = tailLog(decoded, { maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure });
    expect(snippetMeasure(escaped.text)).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(escaped.text).not.toMatch(LONE_SURROGATE);
  });
});
