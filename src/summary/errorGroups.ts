/**
 * Pure: a step's failing groups (by host status and exit code) + each host's error line → the
 * rows a summary shows under the step, each with the line that says why its hosts failed.
 * Plain data, no Slack: the renderer words and escapes it.
 */
import { type HostAddress, hostKey } from '../bkjob/model';
import type { FailingGroup } from './types';

/** Most rows shown per step; the failing groups past it are folded into "N more hosts". */
export const ERROR_ROWS_PER_STEP = 5;

/** One row under a failing step: hosts that share host status, exit code and (usually) error line. */
export interface ErrorLineGroup {
  readonly ipStatus: number;
  readonly exitCode: number | null;
  readonly hosts: readonly HostAddress[];
  /** The line of the row's first host whose line is known (normally the first host); null when none is known. */
  readonly errorLine: string | null;
  /**
   * Hosts of this row whose lines are known do not all have `errorLine` (the row was not split by
   * line): the renderer says "other hosts differ".
   */
  readonly othersDiffer: boolean;
  /** The row is one part of a (host status, exit code) group that was split by error line. */
  readonly splitByLine: boolean;
  /**
   * Only where logs are sampled (v3/v4 read a few a group), on the row of a split group's hosts
   * with no known line: how many of its hosts had their logs not read (their line is unknown, not
   * a different one). Absent elsewhere, and always where every log is seen (v2).
   */
  readonly unread?: number;
}

export interface ErrorLineOptions {
  /**
   * Hosts missing from `errorLines` had their logs not read (v3/v4: a few logs a group are read),
   * rather than having no log (v2, where every log passes by): a split group's row of hosts with
   * no known line says how many were not read. Default false.
   */
  readonly sampled?: boolean;
}

export interface StepErrorGroups {
  /** At most `maxRows`, in the failing groups' order; a split group's rows stay together. */
  readonly rows: readonly ErrorLineGroup[];
  /** Failing groups past the row limit, not shown. */
  readonly moreGroups: number;
  /** Hosts in those groups: "N more hosts". */
  readonly moreHosts: number;
}

/**
 * When two lines count as the same reason: equal once every run of digits is masked, so
 * "Failed to connect to 10.0.0.5 port 80" and "… 10.0.0.6 port 80" (or differing PIDs, times,
 * host names like web-01/web-02) do not make hosts "differ".
 */
export function sameReasonKey(line: string): string {
  return line.replace(/\d+/g, '#');
}

/** A host's known line; a host JOB named neither way (hostKey null) has none. */
function lineOf(host: HostAddress, errorLines: ReadonlyMap<string, string | null>): string | null {
  const key = hostKey(host);
  return key === null ? null : (errorLines.get(key) ?? null);
}

/** The host's log was read (its line may still be null: nothing in it looked like a reason). */
function isRead(host: HostAddress, errorLines: ReadonlyMap<string, string | null>): boolean {
  const key = hostKey(host);
  return key !== null && errorLines.has(key);
}

interface LinePart {
  readonly line: string;
  readonly hosts: HostAddress[];
}

/** A group's hosts by reason, in order of each reason's first host; hosts with no known line apart. */
function partsByLine(hosts: readonly HostAddress[], errorLines: ReadonlyMap<string, string | null>): { known: LinePart[]; unknown: HostAddress[] } {
  const byReason = new Map<string, LinePart>();
  const unknown: HostAddress[] = [];
  for (const host of hosts) {
    const line = lineOf(host, errorLines);
    if (line === null) {
      unknown.push(host);
      continue;
    }
    const reason = sameReasonKey(line);
    const part = byReason.get(reason);
    if (part) part.hosts.push(host);
    else byReason.set(reason, { line, hosts: [host] });
  }
  return { known: [...byReason.values()], unknown };
}

/**
 * The rows to show under one failing step.
 *
 * - Each failing group is one row whose line is its first host's (or, when that host's line is
 *   unknown, the first host's whose line is known).
 * - A group whose known lines differ is split into one row per line, biggest first (ties: the
 *   order the lines first appear), plus a row for its hosts with no known line, when those extra
 *   rows fit in `maxRows`; groups are considered in order, so earlier (bigger) groups split first.
 *   A group that does not fit stays whole and is marked `othersDiffer`.
 * - Past `maxRows` failing groups, the rest are folded into `moreGroups` / `moreHosts`.
 *
 * `errorLines` is keyed by `hostKey`; a host missing from it, or mapped to null, has no known line.
 * A host missing from it was not read, when `options.sampled` says logs were read for only some
 * hosts: only the hosts read are split by line; the row of the others says how many were not read.
 * A group whose read hosts agree stays one row (nothing is known to differ).
 */
export function groupByErrorLine(
  groups: readonly FailingGroup[],
  errorLines: ReadonlyMap<string, string | null>,
  maxRows: number = ERROR_ROWS_PER_STEP,
  options: ErrorLineOptions = {},
): StepErrorGroups {
  const limit = Math.max(0, Math.floor(maxRows));
  const shown = groups.slice(0, limit);
  const folded = groups.slice(limit);
  let spareRows = limit - shown.length;
  const rows: ErrorLineGroup[] = [];
  for (const group of shown) {
    const { known, unknown } = partsByLine(group.hosts, errorLines);
    const extraRows = known.length - 1 + (unknown.length > 0 ? 1 : 0);
    const base = { ipStatus: group.ipStatus, exitCode: group.exitCode };
    if (known.length >= 2 && extraRows <= spareRows) {
      spareRows -= extraRows;
      // Stable sort: equal sizes keep the order their lines first appear in.
      const bySize = [...known].sort((a, b) => b.hosts.length - a.hosts.length);
      for (const part of bySize) rows.push({ ...base, hosts: part.hosts, errorLine: part.line, othersDiffer: false, splitByLine: true });
      if (unknown.length > 0) {
        const unread = options.sampled ? unknown.filter((h) => !isRead(h, errorLines)).length : 0;
        rows.push({ ...base, hosts: unknown, errorLine: null, othersDiffer: false, splitByLine: true, ...(unread > 0 ? { unread } : {}) });
      }
      continue;
    }
    const first = group.hosts[0];
    const firstLine = first === undefined ? null : lineOf(first, errorLines);
    rows.push({ ...base, hosts: group.hosts, errorLine: firstLine ?? known[0]?.line ?? null, othersDiffer: known.length >= 2, splitByLine: false });
  }
  return { rows, moreGroups: folded.length, moreHosts: folded.reduce((sum, g) => sum + g.hosts.length, 0) };
}
