/**
 * groupByErrorLine: failing groups + error lines → the rows shown under a step. One test per rule:
 * the first host's line, unknown lines, lines equal but for digits, splitting (order, unknown
 * hosts, the row budget, earlier groups first), othersDiffer, folding past the limit; and hostKey.
 */
import { type HostAddress, hostKey } from '../../src/bkjob/model';
import { ERROR_ROWS_PER_STEP, type ErrorLineGroup, groupByErrorLine, sameReasonKey } from '../../src/summary/errorGroups';
import type { FailingGroup } from '../../src/summary/types';

/** Host n in cloud area 0 at 10.0.0.n. */
function host(n: number): HostAddress {
  return { bkCloudId: 0, ip: `10.0.0.${n}` };
}

function hosts(from: number, count: number): HostAddress[] {
  return Array.from({ length: count }, (_, i) => host(from + i));
}

function group(members: HostAddress[], exitCode: number | null = 1, ipStatus = 4): FailingGroup {
  return { ipStatus, exitCode, hosts: members };
}

/** Error lines by host number. */
function lines(entries: Record<number, string | null>): Map<string, string | null> {
  return new Map(Object.entries(entries).map(([n, line]) => [hostKey(host(Number(n)))!, line]));
}

function row(members: readonly HostAddress[], errorLine: string | null, extra: Partial<ErrorLineGroup> = {}): ErrorLineGroup {
  return { ipStatus: 4, exitCode: 1, hosts: members, errorLine, othersDiffer: false, splitByLine: false, ...extra };
}

describe('hostKey', () => {
  it.each([
    ['bkHostId when present', { bkCloudId: 0, ip: '10.0.0.1', bkHostId: 123 }, 'h:123'],
    ['bkHostId for an IPv6-only host with no ip', { bkCloudId: 0, ip: '', bkHostId: 77 }, 'h:77'],
    ['cloud:ip without bkHostId', { bkCloudId: 0, ip: '10.0.0.1' }, '0:10.0.0.1'],
    ['cloud:ip in another cloud area', { bkCloudId: 2, ip: '10.0.0.1' }, '2:10.0.0.1'],
  ])('%s', (_name, address: HostAddress, expected) => {
    expect(hostKey(address)).toBe(expected);
  });

  it('the same IP in two cloud areas gives two keys', () => {
    expect(hostKey({ bkCloudId: 1, ip: '10.0.0.1' })).not.toBe(hostKey({ bkCloudId: 2, ip: '10.0.0.1' }));
  });
});

describe('sameReasonKey', () => {
  it('masks runs of digits', () => {
    expect(sameReasonKey('curl: (7) Failed to connect to 10.0.0.5 port 8080')).toBe('curl: (#) Failed to connect to #.#.#.# port #');
  });
});

describe('groupByErrorLine: one row per group', () => {
  it('no groups → no rows', () => {
    expect(groupByErrorLine([], new Map())).toStrictEqual({ rows: [], moreGroups: 0, moreHosts: 0 });
  });

  it('hosts with the same line: one row with that line', () => {
    const members = hosts(1, 3);
    expect(groupByErrorLine([group(members)], lines({ 1: 'disk full', 2: 'disk full', 3: 'disk full' }))).toStrictEqual({
      rows: [row(members, 'disk full')],
      moreGroups: 0,
      moreHosts: 0,
    });
  });

  it("only the first host's line known: the group gets it, nothing differs", () => {
    const members = hosts(1, 60);
    expect(groupByErrorLine([group(members)], lines({ 1: 'disk full' })).rows).toStrictEqual([row(members, 'disk full')]);
  });

  it("the first host's line unknown: the first known line", () => {
    const members = hosts(1, 3);
    expect(groupByErrorLine([group(members)], lines({ 1: null, 3: 'oops' })).rows).toStrictEqual([row(members, 'oops')]);
  });

  it('no line known: errorLine null', () => {
    const members = hosts(1, 2);
    expect(groupByErrorLine([group(members)], new Map()).rows).toStrictEqual([row(members, null)]);
  });

  it("lines equal but for digits are one reason: not split, not 'differ', the first host's own line shown", () => {
    const members = hosts(1, 3);
    const known = lines({ 1: 'Failed to connect to 10.0.0.9 port 80', 2: 'Failed to connect to 10.0.0.10 port 80', 3: 'Failed to connect to 10.0.0.11 port 80' });
    expect(groupByErrorLine([group(members)], known).rows).toStrictEqual([row(members, 'Failed to connect to 10.0.0.9 port 80')]);
  });

  it('keeps host status and exit code of each group, in order', () => {
    const a = group(hosts(1, 2), 1, 4);
    const b = group(hosts(3, 1), null, 403);
    expect(groupByErrorLine([a, b], lines({ 1: 'x', 3: 'y' })).rows).toStrictEqual([
      { ipStatus: 4, exitCode: 1, hosts: a.hosts, errorLine: 'x', othersDiffer: false, splitByLine: false },
      { ipStatus: 403, exitCode: null, hosts: b.hosts, errorLine: 'y', othersDiffer: false, splitByLine: false },
    ]);
  });

  it('keys hosts by bkHostId when they have one', () => {
    const v3 = [
      { bkCloudId: 0, ip: '', bkHostId: 501 },
      { bkCloudId: 0, ip: '', bkHostId: 502 },
    ];
    const known = new Map([
      ['h:501', 'a'],
      ['h:502', 'b'],
    ]);
    expect(groupByErrorLine([group(v3)], known).rows).toStrictEqual([row([v3[0]!], 'a', { splitByLine: true }), row([v3[1]!], 'b', { splitByLine: true })]);
  });
});

describe('groupByErrorLine: splitting a group by line', () => {
  it('two lines: two rows, the bigger first', () => {
    const members = hosts(1, 4);
    const known = lines({ 1: 'timeout', 2: 'disk full', 3: 'disk full', 4: 'disk full' });
    expect(groupByErrorLine([group(members)], known).rows).toStrictEqual([
      row([host(2), host(3), host(4)], 'disk full', { splitByLine: true }),
      row([host(1)], 'timeout', { splitByLine: true }),
    ]);
  });

  it('equal sizes keep the order the lines first appear in', () => {
    const known = lines({ 1: 'b', 2: 'a', 3: 'a', 4: 'b' });
    expect(groupByErrorLine([group(hosts(1, 4))], known).rows).toStrictEqual([
      row([host(1), host(4)], 'b', { splitByLine: true }),
      row([host(2), host(3)], 'a', { splitByLine: true }),
    ]);
  });

  it('hosts with no known line get their own row, last', () => {
    const known = lines({ 1: 'a', 3: 'b' });
    expect(groupByErrorLine([group(hosts(1, 4))], known).rows).toStrictEqual([
      row([host(1)], 'a', { splitByLine: true }),
      row([host(3)], 'b', { splitByLine: true }),
      row([host(2), host(4)], null, { splitByLine: true }),
    ]);
  });

  it('the split rows stay where their group was', () => {
    const first = group(hosts(1, 3), 1);
    const second = group(hosts(4, 2), 2);
    const third = group(hosts(6, 1), 3);
    const known = lines({ 1: 'x', 4: 'a', 5: 'b', 6: 'z' });
    expect(groupByErrorLine([first, second, third], known).rows).toStrictEqual([
      row(first.hosts, 'x'),
      row([host(4)], 'a', { exitCode: 2, splitByLine: true }),
      row([host(5)], 'b', { exitCode: 2, splitByLine: true }),
      row(third.hosts, 'z', { exitCode: 3 }),
    ]);
  });

  it('a split that would pass the row limit is not made: the group is marked othersDiffer', () => {
    const members = hosts(1, 60);
    const known = new Map(members.map((h, i) => [hostKey(h)!, `error ${String.fromCharCode(65 + (i % 26))}`]));
    expect(groupByErrorLine([group(members)], known).rows).toStrictEqual([row(members, 'error A', { othersDiffer: true })]);
  });

  it('exactly filling the limit is allowed', () => {
    const known = lines({ 1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e' });
    expect(groupByErrorLine([group(hosts(1, 5))], known).rows).toHaveLength(ERROR_ROWS_PER_STEP);
  });

  it('one over the limit is not', () => {
    const known = lines({ 1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e', 6: 'f' });
    expect(groupByErrorLine([group(hosts(1, 6))], known).rows).toStrictEqual([row(hosts(1, 6), 'a', { othersDiffer: true })]);
  });

  it("the unknown hosts' row counts towards the limit", () => {
    // 4 lines + unknown hosts = 5 rows: fits; 5 lines + unknown = 6: does not.
    expect(groupByErrorLine([group(hosts(1, 5))], lines({ 1: 'a', 2: 'b', 3: 'c', 4: 'd' })).rows).toHaveLength(5);
    expect(groupByErrorLine([group(hosts(1, 6))], lines({ 1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e' })).rows).toStrictEqual([row(hosts(1, 6), 'a', { othersDiffer: true })]);
  });

  it('groups split in order while rows are left; a later group that fits still splits', () => {
    // 4 groups leave 1 spare row: the first needs 2 (3 lines), the second needs 1 (2 lines).
    const g1 = group(hosts(1, 3), 1);
    const g2 = group(hosts(4, 2), 2);
    const g3 = group(hosts(6, 2), 3);
    const g4 = group(hosts(8, 1), 4);
    const known = lines({ 1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e', 6: 'f', 7: 'g', 8: 'h' });
    expect(groupByErrorLine([g1, g2, g3, g4], known).rows).toStrictEqual([
      row(g1.hosts, 'a', { othersDiffer: true }),
      row([host(4)], 'd', { exitCode: 2, splitByLine: true }),
      row([host(5)], 'e', { exitCode: 2, splitByLine: true }),
      row(g3.hosts, 'f', { exitCode: 3, othersDiffer: true }),
      row(g4.hosts, 'h', { exitCode: 4 }),
    ]);
  });

  it('a group whose only other hosts are unknown is not split (nothing is known to differ)', () => {
    const members = hosts(1, 3);
    expect(groupByErrorLine([group(members)], lines({ 1: 'a' })).rows).toStrictEqual([row(members, 'a')]);
  });
});

describe('groupByErrorLine: the row limit', () => {
  it('past 5 groups the rest fold into "N more hosts", and nothing splits', () => {
    const groups = Array.from({ length: 7 }, (_, i) => group(hosts(i * 10 + 1, i + 1), i + 1));
    const known = lines({ 1: 'a', 11: 'b', 12: 'c' });
    expect(groupByErrorLine(groups, known)).toStrictEqual({
      rows: [
        row(groups[0]!.hosts, 'a', { exitCode: 1 }),
        row(groups[1]!.hosts, 'b', { exitCode: 2, othersDiffer: true }),
        row(groups[2]!.hosts, null, { exitCode: 3 }),
        row(groups[3]!.hosts, null, { exitCode: 4 }),
        row(groups[4]!.hosts, null, { exitCode: 5 }),
      ],
      moreGroups: 2,
      moreHosts: 6 + 7,
    });
  });

  it('a custom limit', () => {
    const groups = [group(hosts(1, 2), 1), group(hosts(3, 4), 2)];
    expect(groupByErrorLine(groups, lines({ 1: 'a', 2: 'b' }), 1)).toStrictEqual({ rows: [row(groups[0]!.hosts, 'a', { othersDiffer: true })], moreGroups: 1, moreHosts: 4 });
    expect(groupByErrorLine(groups, lines({ 1: 'a', 2: 'b' }), 3).rows).toStrictEqual([
      row([host(1)], 'a', { splitByLine: true }),
      row([host(2)], 'b', { splitByLine: true }),
      row(groups[1]!.hosts, null, { exitCode: 2 }),
    ]);
  });

  it('a limit of 0 folds everything', () => {
    expect(groupByErrorLine([group(hosts(1, 2))], new Map(), 0)).toStrictEqual({ rows: [], moreGroups: 1, moreHosts: 2 });
  });
});

describe('groupByErrorLine: sampled logs (v3/v4 read a few hosts a group)', () => {
  const sampled = { sampled: true } as const;

  it('hosts not read are unknown, not different: the split row of the others counts them', () => {
    const members = hosts(1, 40);
    expect(groupByErrorLine([group(members)], lines({ 1: 'refused', 2: 'refused', 3: 'disk full', 4: 'refused', 5: 'disk full' }), ERROR_ROWS_PER_STEP, sampled).rows).toStrictEqual([
      row([host(1), host(2), host(4)], 'refused', { splitByLine: true }),
      row([host(3), host(5)], 'disk full', { splitByLine: true }),
      row(hosts(6, 35), null, { splitByLine: true, unread: 35 }),
    ]);
  });

  it('read hosts that agree: one row with their line, not "differ", nothing counted', () => {
    const members = hosts(1, 40);
    expect(groupByErrorLine([group(members)], lines({ 1: 'refused', 2: 'refused', 3: 'refused' }), ERROR_ROWS_PER_STEP, sampled).rows).toStrictEqual([row(members, 'refused')]);
  });

  it('a host read with no line in its log is not counted as not read', () => {
    expect(groupByErrorLine([group(hosts(1, 5))], lines({ 1: 'a', 2: null, 3: 'b' }), ERROR_ROWS_PER_STEP, sampled).rows).toStrictEqual([
      row([host(1)], 'a', { splitByLine: true }),
      row([host(3)], 'b', { splitByLine: true }),
      row([host(2), host(4), host(5)], null, { splitByLine: true, unread: 2 }),
    ]);
  });

  it('without `sampled` (v2) the same input gives the rows it always gave', () => {
    expect(groupByErrorLine([group(hosts(1, 4))], lines({ 1: 'a', 3: 'b' })).rows).toStrictEqual(
      groupByErrorLine([group(hosts(1, 4))], lines({ 1: 'a', 3: 'b' }), ERROR_ROWS_PER_STEP, {}).rows,
    );
    expect(groupByErrorLine([group(hosts(1, 4))], lines({ 1: 'a', 3: 'b' })).rows[2]).not.toHaveProperty('unread');
  });

  it('a split that does not fit still says "other hosts differ" (the read hosts do differ)', () => {
    const members = hosts(1, 40);
    const known = lines({ 1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e' });
    expect(groupByErrorLine([group(members)], known, ERROR_ROWS_PER_STEP, sampled).rows).toStrictEqual([row(members, 'a', { othersDiffer: true })]);
  });
});
