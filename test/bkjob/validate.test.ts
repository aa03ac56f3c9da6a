/**
 * The untrusted-JSON readers: every failure is a `bad_response` BkJobError that names the JSON
 * path, and BlueKing's time strings become epoch ms in the right zone.
 */
import { BkJobError } from '../../src/bkjob/errors';
import {
  parseBkTime,
  readArray,
  readInt,
  readOptionalArray,
  readOptionalInt,
  readOptionalNumber,
  readOptionalString,
  readRecord,
  readString,
} from '../../src/bkjob/validate';

const SHANGHAI = 480;

/** Runs `fn`, which must throw a path-naming bad_response error, and returns its message. */
function badResponse(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BkJobError);
    expect((err as BkJobError).kind).toBe('bad_response');
    return (err as BkJobError).message;
  }
  throw new Error('expected a bad_response BkJobError');
}

const prefix = 'BlueKing JOB returned an unexpected response: ';

describe('parseBkTime', () => {
  const expected = Date.parse('2024-06-11T10:15:03+08:00');

  it.each([
    ['documented offset +0800', '2024-06-11 10:15:03 +0800'],
    ['offset with colon +08:00', '2024-06-11 10:15:03 +08:00'],
    ['offset without space', '2024-06-11 10:15:03+0800'],
    ['ISO T separator', '2024-06-11T10:15:03+08:00'],
    ['UTC designator Z', '2024-06-11 02:15:03Z'],
    ['fractional seconds (dropped)', '2024-06-11 10:15:03.789 +0800'],
    ['surrounding whitespace', '  2024-06-11 10:15:03 +0800 '],
  ])('%s', (_label, text) => {
    expect(parseBkTime(text, 'x', SHANGHAI)).toBe(expected);
  });

  it('interprets a time without offset in the configured default offset', () => {
    expect(parseBkTime('2024-06-11 10:15:03', 'x', SHANGHAI)).toBe(expected);
    expect(parseBkTime('2024-06-11 10:15:03', 'x', 0)).toBe(Date.parse('2024-06-11T10:15:03Z'));
    expect(parseBkTime('2024-06-11 10:15:03', 'x', -300)).toBe(Date.parse('2024-06-11T10:15:03-05:00'));
  });

  it('lets an explicit offset win over the default', () => {
    expect(parseBkTime('2024-06-11 10:15:03 +0800', 'x', 0)).toBe(expected);
    expect(parseBkTime('2024-06-11 10:15:03 -05:30', 'x', SHANGHAI)).toBe(Date.parse('2024-06-11T10:15:03-05:30'));
    expect(parseBkTime('2024-06-11 10:15:03 +0000', 'x', SHANGHAI)).toBe(Date.parse('2024-06-11T10:15:03Z'));
  });

  it('crosses day and year boundaries correctly', () => {
    expect(parseBkTime('2024-01-01 07:59:59 +0800', 'x', SHANGHAI)).toBe(Date.parse('2023-12-31T23:59:59Z'));
    expect(parseBkTime('2024-02-29 00:00:00', 'x', 0)).toBe(Date.parse('2024-02-29T00:00:00Z'));
  });

  it('passes epoch milliseconds through', () => {
    expect(parseBkTime(1718072109000, 'x', SHANGHAI)).toBe(1718072109000);
  });

  it.each([[undefined], [null], ['']])('treats %p as "no time yet"', (value) => {
    expect(parseBkTime(value, 'x', SHANGHAI)).toBeNull();
  });

  it.each([
    ['2024/06/11 10:15:03'],
    ['2024-06-11'],
    ['10:15:03'],
    ['2024-06-11 10:15:03 +8'],
    ['2024-06-11 10:15:03 CST'],
    ['yesterday'],
  ])('rejects %p naming the path', (text) => {
    expect(badResponse(() => parseBkTime(text, 'data[0].step_results[1].ip_logs[2].start_time', SHANGHAI))).toBe(
      `${prefix}data[0].step_results[1].ip_logs[2].start_time should be a time like 2024-06-11 10:15:03 +0800`,
    );
  });

  it.each([['2024-02-30 10:00:00'], ['2023-02-29 10:00:00'], ['2024-13-01 10:00:00'], ['2024-06-11 24:00:00'], ['2024-06-11 10:60:00'], ['2024-06-11 10:15:61'], ['2024-06-11 10:15:03 +1500'], ['2024-06-11 10:15:03 +08:75']])(
    'rejects the impossible time %p instead of rolling it over',
    (text) => {
      expect(badResponse(() => parseBkTime(text, 'data[0].end_time', SHANGHAI))).toBe(`${prefix}data[0].end_time should be a time like 2024-06-11 10:15:03 +0800`);
    },
  );

  it.each([[true], [{}], [[]], [Number.NaN], [Number.POSITIVE_INFINITY]])('rejects the non-time %p', (value) => {
    expect(badResponse(() => parseBkTime(value, 'data[0].end_time', SHANGHAI))).toBe(`${prefix}data[0].end_time should be a time`);
  });
});

describe('readers', () => {
  it('readInt accepts safe integers and long IDs sent as digit strings', () => {
    expect(readInt(2003771002, 'p')).toBe(2003771002);
    expect(readInt(-1, 'p')).toBe(-1);
    expect(readInt('2003771002', 'p')).toBe(2003771002);
    expect(readInt('-1', 'p')).toBe(-1);
  });

  it.each([[1.5], ['1.5'], [''], ['12a'], [Number.MAX_SAFE_INTEGER + 1], ['1234567890123456'], [null], [undefined], [true]])('readInt rejects %p', (value) => {
    expect(badResponse(() => readInt(value, 'data[0].step_instance_id'))).toBe(`${prefix}data[0].step_instance_id should be an integer`);
  });

  it('optional readers map null and missing to null, and still reject wrong types', () => {
    expect(readOptionalInt(null, 'p')).toBeNull();
    expect(readOptionalInt(undefined, 'p')).toBeNull();
    expect(readOptionalInt(0, 'p')).toBe(0);
    expect(badResponse(() => readOptionalInt('x', 'a.b'))).toBe(`${prefix}a.b should be an integer`);

    expect(readOptionalString(null, 'p')).toBeNull();
    expect(readOptionalString('', 'p')).toBe('');
    expect(badResponse(() => readOptionalString(3, 'a.name'))).toBe(`${prefix}a.name should be a string`);

  });

  it('readOptionalNumber accepts floats and numeric strings', () => {
    expect(readOptionalNumber(60.599, 'p')).toBe(60.599);
    expect(readOptionalNumber('92.0', 'p')).toBe(92);
    expect(readOptionalNumber(null, 'p')).toBeNull();
    expect(badResponse(() => readOptionalNumber('  ', 'a.total_time'))).toBe(`${prefix}a.total_time should be a number`);
    expect(badResponse(() => readOptionalNumber(Number.NaN, 'a.total_time'))).toBe(`${prefix}a.total_time should be a number`);
  });

  it('readString, readRecord and readArray reject the wrong JSON type', () => {
    expect(readString('', 'p')).toBe('');
    expect(badResponse(() => readString(null, 'a.ip'))).toBe(`${prefix}a.ip should be a string`);
    expect(readRecord({ a: 1 }, 'p')).toEqual({ a: 1 });
    expect(badResponse(() => readRecord([], 'data'))).toBe(`${prefix}data should be an object`);
    expect(badResponse(() => readRecord(null, 'data'))).toBe(`${prefix}data should be an object`);
    expect(readArray([1], 'p')).toEqual([1]);
    expect(badResponse(() => readArray({}, 'data'))).toBe(`${prefix}data should be a list`);
  });

  it('readOptionalArray treats null and missing as empty but rejects non-lists', () => {
    expect(readOptionalArray(undefined, 'p')).toEqual([]);
    expect(readOptionalArray(null, 'p')).toEqual([]);
    expect(badResponse(() => readOptionalArray('x', 'data[2].step_results'))).toBe(`${prefix}data[2].step_results should be a list`);
  });
});
