/**
 * IPv6-only and address-less hosts (bkjob-source-facts A-1): v3 gives `ip: null` or `ip: ""` with
 * a `bk_host_id`, v2 gives only `ip`. The job is never rejected for them, hosts with different
 * ids are never merged, and their logs are looked up by `bk_host_id`.
 */
import type { ActionsBlock, Button, SectionBlock } from '@slack/types';
import { formatHostAddress, hostKey } from '../../src/bkjob/model';
import { parseV2JobInstanceLog } from '../../src/bkjob/v2';
import { parseV3HostLog, parseV3JobInstanceStatus } from '../../src/bkjob/v3';
import { decodeHostLogAction, encodeHostLogRef } from '../../src/blocks/actions';
import { renderHostControls, searchHostOptions } from '../../src/blocks/hostLog';
import { type RenderOptions, renderJobSummary } from '../../src/blocks/jobSummary';
import { buildJobSummary } from '../../src/summary/build';
import { FAILED_REF, fixtureJson } from '../helpers/jobs';

const OPTIONS: RenderOptions = { lang: 'en', offsetMinutes: 480, jobUrl: null, now: Date.UTC(2024, 5, 11, 4), watching: null };
const dataOf = (name: string) => (fixtureJson(name) as { data: unknown }).data;

describe('v3: IPv6-only hosts (ip null and "")', () => {
  const job = parseV3JobInstanceStatus(dataOf('v3-get_job_instance_status-ipv6.json'), FAILED_REF);
  const summary = buildJobSummary(job);
  const failing = summary.steps[1]!;

  it('accepts the job and keeps each host by its bk_host_id, with an empty address', () => {
    const hosts = job.steps[1]!.hosts.filter((h) => h.bkHostId === 1005 || h.bkHostId === 1006);
    expect(hosts.map((h) => [h.bkHostId, h.ip, h.ipStatus, h.exitCode])).toEqual([
      [1005, '', 104, 1],
      [1006, '', 104, 1],
    ]);
  });

  it('never merges two hosts with different ids: 8 distinct hosts, 3 in the exit-1 group', () => {
    expect(summary.hostCount).toBe(8);
    expect(failing.failedHostCount).toBe(5);
    expect(failing.failingGroups[0]).toEqual({
      ipStatus: 104,
      exitCode: 1,
      hosts: [
        { bkCloudId: 0, ip: '10.0.1.14', bkHostId: 1004 },
        { bkCloudId: 0, ip: '', bkHostId: 1005 },
        { bkCloudId: 0, ip: '', bkHostId: 1006 },
      ],
    });
  });

  it('labels them `host <id>` in the summary', () => {
    const text = renderJobSummary(summary, OPTIONS)
      .blocks.filter((b): b is SectionBlock => b.type === 'section')
      .map((b) => b.text?.text ?? '')
      .join('\n');
    expect(text).toContain('`10.0.1.14`, `host 1005`, `host 1006`');
  });

  it('gives them host buttons whose values carry the host id, and finds them in the type-to-search menu', () => {
    const buttons = (renderHostControls(summary, 'en')[0] as ActionsBlock).elements as Button[];
    expect(buttons.map((b) => b.text.text)).toEqual(['10.0.1.14 · exit 1', 'host 1005 · exit 1', 'host 1006 · exit 1', '10.0.1.17 · Task Timeout', '2:172.16.8.21 · exit 2']);
    expect(decodeHostLogAction(buttons[1]!.value)?.ref).toEqual({ job: FAILED_REF, stepInstanceId: 2003771002, bkCloudId: 0, ip: '', bkHostId: 1005 });
    expect(searchHostOptions(summary, 'host 100', 'en').map((o) => o.text.text)).toEqual(['host 1005 · exit 1', 'host 1006 · exit 1']);
  });

  it('finds the host of an ip_log answer by bk_host_id (JOB echoes no ip)', () => {
    const ref = { job: FAILED_REF, stepInstanceId: 2003771002, bkCloudId: 0, ip: '', bkHostId: 1006 };
    const log = parseV3HostLog({ log_type: 1, log_content: 'connect() failed', bk_host_id: 1006, ip: null }, ref, job);
    expect(log.host).toMatchObject({ bkHostId: 1006, ip: '', exitCode: 1 });
    expect(log.content).toBe('connect() failed');
  });
});

describe('v2: hosts sent without an address', () => {
  const job = parseV2JobInstanceLog(dataOf('v2-get_job_instance_log-no-address.json'), FAILED_REF, { defaultOffsetMinutes: 480 });
  const summary = buildJobSummary(job);

  it('accepts the job and shows each as an unknown host, counted once each', () => {
    const hosts = summary.steps[1]!.failingGroups.flatMap((g) => g.hosts.map(formatHostAddress));
    expect(hosts.sort()).toEqual(['2:172.16.8.21', 'unknown host', 'unknown host']);
    // 6 named hosts and 2 unnamed ones in each step: the unnamed are counted as many as one step has.
    expect(summary.hostCount).toBe(8);
  });

  it('offers no log button for a host that cannot be looked up', () => {
    const buttons = (renderHostControls(summary, 'en')[0] as ActionsBlock).elements as Button[];
    expect(buttons.map((b) => b.text.text)).toEqual(['2:172.16.8.21 · exit 2']);
  });
});

describe('host identity helpers', () => {
  it('keys and labels each kind of host', () => {
    const cases = [
      [{ bkCloudId: 0, ip: '10.0.0.1' }, '0:10.0.0.1', '10.0.0.1'],
      [{ bkCloudId: 2, ip: '10.0.0.1', bkHostId: 7 }, 'h:7', '2:10.0.0.1'],
      [{ bkCloudId: 0, ip: '', bkHostId: 7 }, 'h:7', 'host 7'],
      [{ bkCloudId: 0, ip: '', bkHostId: 7, ipv6: 'fd00::7' }, 'h:7', 'host 7 [fd00::7]'],
      [{ bkCloudId: 0, ip: '', container: { id: 55, name: 'web-0', containerId: 'docker://ab', nodeHostId: 7 } }, 'c:55', 'container web-0'],
      [{ bkCloudId: 0, ip: '' }, null, 'unknown host'],
    ] as const;
    expect(cases.map(([host]) => [hostKey(host), formatHostAddress(host)])).toEqual(cases.map(([, key, label]) => [key, label]));
  });

  it('refuses a log control for a container or a host with neither id nor address', () => {
    const base = { job: FAILED_REF, stepInstanceId: 1, bkCloudId: 0 };
    expect(() => encodeHostLogRef({ ...base, ip: '' })).toThrow('no id or address');
    expect(() => encodeHostLogRef({ ...base, ip: '', container: { id: 1, name: 'c', containerId: '', nodeHostId: null } })).toThrow('no id or address');
    expect(decodeHostLogAction(JSON.stringify({ b: 3, j: 2, s: 1, c: 0, i: '' }))).toBeNull();
  });
});
