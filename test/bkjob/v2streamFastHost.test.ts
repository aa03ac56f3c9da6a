/**
 * The scanner's fast host loop (v2stream.ts `fastHost`): host keys are guessed from their first
 * and third bytes and compared 4 bytes at a time with their closing quote, and short kept
 * strings (IPs, times) come from a cache shared by every scanner keyed by a hash of their last bytes. Keys
 * that look like host keys but are not, strings that share their last bytes, and strings too
 * short or too long for the cache must still give exactly what the tree parser gives.
 */
import { BkJobError } from '../../src/bkjob/errors';
import { parseV2JobInstanceLog } from '../../src/bkjob/v2';
import { scanV2JobInstanceLog } from '../../src/bkjob/v2stream';

const REF = { bizId: 3, jobInstanceId: 2001893471 };
const OPTIONS = { defaultOffsetMinutes: 480 };

function body(hosts: readonly string[]): string {
  return `{"result":true,"code":0,"data":[{"step_instance_id":1,"name":"s","status":4,"step_results":[{"ip_status":9,"tag":"","ip_logs":[${hosts.join(',')}]}]}]}`;
}

function host(ip: string, start: string, end: string, extra = ''): string {
  return `{"ip":"${ip}","bk_cloud_id":0,"exit_code":0,"error_code":0,"start_time":"${start}","end_time":"${end}","total_time":1,"retry_count":0${extra},"log_content":"ok"}`;
}

function both(text: string, chunkSize: number) {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const tree = parseV2JobInstanceLog((JSON.parse(text) as { data: unknown }).data, REF, OPTIONS);
  return { streamed: scanV2JobInstanceLog(chunks, REF, OPTIONS), tree };
}

describe('v2 scanner fast host loop', () => {
  it('tells host keys from look-alikes (same first and third bytes, longer, shorter, one byte off)', () => {
    const lookAlikes = ',"ipx":"1.2.3.4","i":"x","ix":1,"ip_":"9.9.9.9","exit_codes":7,"exit_cod":8,"exit_codf":9,"execute_countX":5,"end_timE":"2024-01-01 00:00:00","log_contentt":"a","bk_cloud_iD":4';
    const text = body([host('10.0.0.1', '2024-06-11 10:00:00', '2024-06-11 10:00:01', lookAlikes), host('10.0.0.2', '2024-06-11 10:00:00', '2024-06-11 10:00:02')]);
    for (const size of [7, 64, 65_536]) {
      const { streamed, tree } = both(text, size);
      expect(streamed).toEqual(tree);
    }
  });

  it('gives every string its own value when many share their last bytes or their hash slot', () => {
    const hosts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // Same last 12 bytes, different beginnings; different lengths with the same ending; short and long IPs.
      const ip = i % 3 === 0 ? `${i}.0.0.1` : i % 3 === 1 ? `1${'0'.repeat(i % 30)}.0.0.1` : `1.1.${i % 7}.1`;
      const start = `202${i % 10}-06-11 10:00:00`;
      const end = i % 2 === 0 ? `2024-06-11 10:${String(i % 60).padStart(2, '0')}:00 +0800` : `2024-0${1 + (i % 9)}-11 10:00:00 +0800`;
      hosts.push(host(ip, start, end));
    }
    hosts.push(host('', '', ''), host('1.2', '2024-06-11 10:00:00', '2024-06-11 10:00:00'), host('漢字.0.0.1', '2024-06-11 10:00:00', '2024-06-11 10:00:00'));
    const text = body(hosts);
    for (const size of [1000, 65_536]) {
      const { streamed, tree } = both(text, size);
      expect(streamed).toEqual(tree);
    }
  });

  it('still rejects a control character in a kept string after the same bytes were cached without it', () => {
    const good = host('10.0.0.1', '2024-06-11 10:00:00', '2024-06-11 10:00:01');
    const bad = host('10.0.0.1', '2024-06-11 10:00:00', '2024-06-11\t10:00:01');
    const text = body([good, bad]);
    expect(() => JSON.parse(text) as unknown).toThrow();
    let error: unknown;
    try {
      scanV2JobInstanceLog([Buffer.from(text)], REF, OPTIONS);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BkJobError);
    expect((error as BkJobError).kind).toBe('bad_response');
  });
});
