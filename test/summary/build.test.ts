import { buildJobSummary } from '../../src/summary/build';
import { stateOfStatus } from '../../src/summary/state';
import { FAILED_REF, host, hosts, job, step, v2FixtureJob } from '../helpers/jobs';

describe('buildJobSummary on the fixtures', () => {
  it('summarises the failed deploy-nginx-config job', () => {
    const summary = buildJobSummary(v2FixtureJob('failed'));
    expect(summary.ref).toEqual(FAILED_REF);
    expect(summary.state).toBe('failed');
    expect(summary.finished).toBe(true);
    expect(summary.hostCount).toBe(8);
    expect(summary.firstFailingStep).toBe(1);
    expect(summary.currentStep).toBeNull();
    expect(summary.startTime).toBe(Date.UTC(2024, 5, 11, 2, 15, 3));
    expect(summary.endTime).toBe(Date.UTC(2024, 5, 11, 2, 25, 9));
    expect(summary.durationMs).toBe(606_000);
    expect(summary.steps.map((s) => [s.position, s.name, s.status, s.hostCount, s.failedHostCount])).toEqual([
      [1, 'Distribute nginx.conf', 3, 8, 0],
      [2, 'Reload nginx', 4, 8, 3],
      [3, 'Health check', 1, 0, 0],
    ]);
    expect(summary.steps[1]!.hostCounts).toEqual([
      { ipStatus: 9, count: 5 },
      { ipStatus: 104, count: 2 },
      { ipStatus: 13, count: 1 },
    ]);
    expect(summary.steps[1]!.failingGroups).toEqual([
      { ipStatus: 13, exitCode: 0, hosts: [{ bkCloudId: 0, ip: '10.0.1.17' }] },
      { ipStatus: 104, exitCode: 1, hosts: [{ bkCloudId: 0, ip: '10.0.1.14' }] },
      { ipStatus: 104, exitCode: 2, hosts: [{ bkCloudId: 2, ip: '172.16.8.21' }] },
    ]);
  });

  it('summarises the running job (current-source variant: no offset, execute_count, nulls)', () => {
    const summary = buildJobSummary(v2FixtureJob('running'));
    expect(summary.state).toBe('running');
    expect(summary.finished).toBe(false);
    expect(summary.currentStep).toBe(0);
    expect(summary.endTime).toBeNull();
    expect(summary.durationMs).toBeNull();
    expect(summary.steps[0]!.hostCounts).toEqual([
      { ipStatus: 7, count: 3 },
      { ipStatus: 9, count: 2 },
    ]);
    expect(summary.steps[0]!.failedHostCount).toBe(0);
    expect(summary.steps[0]!.durationMs).toBeNull();
  });

  it('summarises the successful job with tag groups merged per step', () => {
    const summary = buildJobSummary(v2FixtureJob('success'));
    expect(summary.state).toBe('succeeded');
    expect(summary.steps[0]!.hostCounts).toEqual([{ ipStatus: 9, count: 5 }]);
    expect(summary.steps.every((s) => s.failingGroups.length === 0)).toBe(true);
  });
});

describe('job state derived from steps (v2 has no job status)', () => {
  const cases: Array<[string, number[], string]> = [
    ['nothing started', [1, 1], 'pending'],
    ['first step running', [2, 1], 'running'],
    ['between steps', [3, 1], 'running'],
    ['all succeeded', [3, 3], 'succeeded'],
    ['skipped and ignored count as done', [5, 6], 'succeeded'],
    ['waiting for user', [3, 7, 1], 'waiting'],
    ['failed stops the job', [3, 4, 1], 'failed'],
    ['terminated by hand', [3, 8, 1], 'stopped'],
    ['abnormal', [9, 1], 'abnormal'],
    ['rolling waiting (automatic: the job runs on)', [15, 1], 'running'],
  ];
  it.each(cases)('%s', (_name, statuses, expected) => {
    const summary = buildJobSummary(job(statuses.map((s, i) => step(i + 1, `s${i}`, s, []))));
    expect(summary.state).toBe(expected);
  });

  it('prefers the job status when the API gives one (v3)', () => {
    const summary = buildJobSummary({ ...job([step(1, 'a', 3, [])]), status: 4 });
    expect(summary.state).toBe('failed');
  });

  it('maps unknown codes to abnormal rather than guessing', () => {
    expect(stateOfStatus(99)).toBe('abnormal');
  });
});

describe('failing groups', () => {
  it('groups 10,000 hosts by (status, exit code), biggest first, keeping cloud ids', () => {
    const many = hosts(10_000, 3_000, [1, 2, 127]);
    const summary = buildJobSummary(job([step(1, 'big', 4, [...many, host({ ip: '10.9.9.9', bkCloudId: 5, ipStatus: 1, exitCode: null })])]));
    const groups = summary.steps[0]!.failingGroups;
    expect(groups.map((g) => [g.ipStatus, g.exitCode, g.hosts.length])).toEqual([
      [104, 1, 1000],
      [104, 2, 1000],
      [104, 127, 1000],
      [1, null, 1],
    ]);
    expect(groups[3]!.hosts).toEqual([{ bkCloudId: 5, ip: '10.9.9.9' }]);
    expect(summary.steps[0]!.failedHostCount).toBe(3001);
    expect(summary.hostCount).toBe(10_001);
  });

  it('counts each host once across steps by its identity: CMDB id, cloud area + IP, container, IPv6; unnamed hosts as the most in one step', () => {
    const container = { id: 7, name: 'web-0', containerId: 'docker://7', nodeHostId: null };
    const first = [
      host({ ip: '10.0.0.1', ipStatus: 9 }),
      host({ ip: '10.0.0.1', bkCloudId: 2, ipStatus: 9 }),
      { ...host({ ip: '10.0.0.1', ipStatus: 9 }), bkHostId: 1 },
      { ...host({ ip: '10.0.0.9', ipStatus: 9 }), bkHostId: 1 },
      { ...host({ ip: '', ipStatus: 9 }), container },
      { ...host({ ip: '', ipStatus: 9 }), ipv6: 'fe80::1' },
      host({ ip: '', ipStatus: 9 }),
      host({ ip: '', ipStatus: 9 }),
    ];
    const second = [
      host({ ip: '10.0.0.1', ipStatus: 9 }),
      { ...host({ ip: '10.0.0.1', ipStatus: 9 }), bkHostId: 1 },
      { ...host({ ip: '', ipStatus: 9 }), container },
      { ...host({ ip: '', ipStatus: 9 }), ipv6: 'fe80::1' },
      { ...host({ ip: '', ipStatus: 9 }), ipv6: 'fe80::1', bkCloudId: 3 },
      host({ ip: '', ipStatus: 9 }),
      host({ ip: '', ipStatus: 9 }),
      host({ ip: '', ipStatus: 9 }),
    ];
    const summary = buildJobSummary(job([step(1, 'first', 3, first), step(2, 'second', 3, second)]));
    // id 1; 0:10.0.0.1; 2:10.0.0.1; container 7; fe80::1 in cloud 0 and in cloud 3; 3 unnamed.
    expect(summary.hostCount).toBe(9);
  });

  it('counts ignore-error steps as failing hosts without making the job fail', () => {
    const summary = buildJobSummary(job([step(1, 'lenient', 6, hosts(4, 2)), step(2, 'next', 3, hosts(4))]));
    expect(summary.state).toBe('succeeded');
    expect(summary.firstFailingStep).toBeNull();
    expect(summary.steps[0]!.failedHostCount).toBe(2);
  });
});
