/**
 * Pure: which failing hosts get one of the few host-log buttons.
 */

/**
 * Up to `slots` hosts, round-robin over the groups in display order: the first host of every
 * group, then the second of every group that has one, and so on. So a host that failed
 * differently from the rest (a group of one) always gets a button when there are at least as many
 * slots as groups, however big the other groups are.
 *
 * Returned in that round-robin order (all first hosts first), which is stable: it depends only on
 * the groups' order and their hosts' order. Generic over the host type so callers can pass hosts
 * tagged with their step; no de-duplication (a host failing in two steps is two entries).
 */
export function hostsForButtons<H>(groups: ReadonlyArray<{ readonly hosts: readonly H[] }>, slots: number): H[] {
  const limit = Math.max(0, Math.floor(slots));
  const picked: H[] = [];
  const longest = groups.reduce((max, g) => Math.max(max, g.hosts.length), 0);
  for (let round = 0; round < longest && picked.length < limit; round++) {
    for (const group of groups) {
      if (picked.length === limit) break;
      // A group with fewer hosts than `round` has nothing more to give.
      if (round < group.hosts.length) picked.push(group.hosts[round] as H);
    }
  }
  return picked;
}
