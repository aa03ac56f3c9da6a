/**
 * hostsForButtons: the first host of every group gets a button before any group gets a second,
 * so the one host that failed differently is never crowded out by a big group.
 */
import { type HostAddress, hostKey } from '../../src/bkjob/model';
import { groupByErrorLine } from '../../src/summary/errorGroups';
import { hostsForButtons } from '../../src/summary/hostButtons';

function host(n: number): HostAddress {
  return { bkCloudId: 0, ip: `10.0.${Math.floor(n / 256)}.${n % 256}` };
}

function hosts(from: number, count: number): HostAddress[] {
  return Array.from({ length: count }, (_, i) => host(from + i));
}

describe('hostsForButtons', () => {
  it('61 hosts in two groups (60 exit 1, 1 exit 2), 20 slots: the singleton is in, second, and the order is stable', () => {
    const big = { ipStatus: 4, exitCode: 1, hosts: hosts(1, 60) };
    const single = { ipStatus: 4, exitCode: 2, hosts: [host(100)] };
    const picked = hostsForButtons([big, single], 20);
    expect(picked).toStrictEqual([host(1), host(100), ...hosts(2, 18)]);
    expect(hostsForButtons([big, single], 20)).toStrictEqual(picked);
  });

  it('round-robin over three groups of different sizes', () => {
    const groups = [{ hosts: ['a1', 'a2', 'a3', 'a4'] }, { hosts: ['b1'] }, { hosts: ['c1', 'c2'] }];
    expect(hostsForButtons(groups, 6)).toStrictEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  });

  it('more slots than hosts: every host, round-robin', () => {
    expect(hostsForButtons([{ hosts: ['a1', 'a2'] }, { hosts: ['b1'] }], 10)).toStrictEqual(['a1', 'b1', 'a2']);
  });

  it('fewer slots than groups: the first host of the first groups', () => {
    expect(hostsForButtons([{ hosts: ['a1', 'a2'] }, { hosts: ['b1'] }, { hosts: ['c1'] }], 2)).toStrictEqual(['a1', 'b1']);
  });

  it('empty groups are skipped', () => {
    expect(hostsForButtons([{ hosts: [] }, { hosts: ['b1', 'b2'] }, { hosts: [] }], 5)).toStrictEqual(['b1', 'b2']);
  });

  it.each([
    ['no groups', [], 5],
    ['no slots', [{ hosts: ['a1'] }], 0],
    ['negative slots', [{ hosts: ['a1'] }], -3],
  ])('%s → none', (_name, groups: Array<{ hosts: string[] }>, slots) => {
    expect(hostsForButtons(groups, slots)).toStrictEqual([]);
  });

  it('fractional slots round down', () => {
    expect(hostsForButtons([{ hosts: ['a1', 'a2', 'a3'] }], 2.9)).toStrictEqual(['a1', 'a2']);
  });

  it('does not change its input', () => {
    const groups = [{ hosts: ['a1', 'a2'] }, { hosts: ['b1'] }];
    hostsForButtons(groups, 2);
    expect(groups).toStrictEqual([{ hosts: ['a1', 'a2'] }, { hosts: ['b1'] }]);
  });

  it('stops early on a huge group', () => {
    const groups = [{ hosts: hosts(0, 100_000) }, { hosts: [host(999_999)] }];
    const picked = hostsForButtons(groups, 3);
    expect(picked).toStrictEqual([host(0), host(999_999), host(1)]);
  });

  it('over rows split by error line: the one host whose line differs gets a button', () => {
    const all = hosts(1, 60);
    const lines = new Map(all.map((h, i) => [hostKey(h)!, i === 41 ? 'No space left on device' : 'Connection refused']));
    const { rows } = groupByErrorLine([{ ipStatus: 4, exitCode: 1, hosts: all }], lines);
    expect(hostsForButtons(rows, 5)).toStrictEqual([host(1), host(42), host(2), host(3), host(4)]);
  });
});
