import { decodeHtmlEntities, parseV2JobInstanceLog } from '../../src/bkjob/v2';
import { generatedHostIp, generateV2Response, generateV2ResponseChunks } from '../../dev/generate';

interface V2Host {
  ip: string;
  log_content: string;
  exit_code: number;
  [key: string]: unknown;
}
interface V2Step {
  status: number;
  step_results: { ip_status: number; ip_logs: V2Host[] }[];
}

describe('generateV2Response', () => {
  const options = { hosts: 40, steps: 3, logBytes: 700, failingHosts: 3, seed: 7 };

  it('produces JSON with the requested counts and log sizes', () => {
    const response = JSON.parse(generateV2Response(options));
    expect(response).toMatchObject({ result: true, code: 0, message: '', job_request_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const steps = response.data as V2Step[];
    expect(steps).toHaveLength(3);
    for (const step of steps) expect(step.step_results.flatMap((g) => g.ip_logs)).toHaveLength(40);
    const last = steps[2]!;
    expect(last.status).toBe(4);
    const failing = last.step_results.find((g) => g.ip_status === 104)!.ip_logs;
    expect(failing).toHaveLength(3);
    expect(new Set(failing.map((h) => h.exit_code)).size).toBe(3);
    for (const host of steps.flatMap((s) => s.step_results.flatMap((g) => g.ip_logs))) {
      expect(decodeHtmlEntities(host.log_content)).toHaveLength(700);
    }
    // HTML-escaped like the real v2 API.
    expect(failing[0]!.log_content).toContain('2&gt;&amp;1');
  });

  it('is deterministic, and the seed matters', () => {
    expect(generateV2Response(options)).toBe(generateV2Response(options));
    expect(generateV2Response({ ...options, seed: 8 })).not.toBe(generateV2Response(options));
  });

  it('chunks join to the same text', () => {
    expect([...generateV2ResponseChunks(options)].join('')).toBe(generateV2Response(options));
  });

  it('parses with the bot’s v2 parser, in both styles', () => {
    for (const style of ['documented', 'current'] as const) {
      const response = JSON.parse(generateV2Response({ ...options, style, failingHosts: [0, 39] }));
      const job = parseV2JobInstanceLog(response.data, { bizId: 3, jobInstanceId: 1 }, { defaultOffsetMinutes: 480 });
      expect(job.steps).toHaveLength(3);
      const failed = job.steps[2]!.hosts.filter((h) => h.ipStatus === 104).map((h) => h.ip);
      expect(failed).toEqual([generatedHostIp(0), generatedHostIp(39)]);
      expect(job.startTime).toBe(Date.UTC(2024, 5, 11, 2, 0, 0));
    }
  });

  it('handles zero hosts and tiny logs', () => {
    const response = JSON.parse(generateV2Response({ hosts: 0, steps: 2, logBytes: 0 }));
    expect(response.data).toHaveLength(2);
    expect(response.data[0].step_results).toEqual([]);
    expect(() => generateV2Response({ hosts: 1, steps: 0, logBytes: 10 })).toThrow(/steps/);
  });

  it('builds a 2,000-host × 5-step × 2 KB response (~20 MB) quickly', () => {
    const started = Date.now();
    const text = generateV2Response({ hosts: 2000, steps: 5, logBytes: 2048, failingHosts: 3 });
    expect(text.length).toBeGreaterThan(2000 * 5 * 2048);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(new Set(Array.from({ length: 2000 }, (_, i) => generatedHostIp(i))).size).toBe(2000);
  });
});
