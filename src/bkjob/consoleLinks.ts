/**
 * Pure: reading a job (and step) out of a JOB web console URL someone pasted in Slack. The
 * builders of console URLs are in console.ts; this file only parses.
 *
 * The console's routes (bk-job frontend, history mode), under its base URL:
 * - `biz/<bizId>/execute/task/<jobInstanceId>`: a job's execution detail;
 * - `biz/<bizId>/execute/quick-launch/<jobInstanceId>`: a quick-launch (fast execution) detail;
 * - `biz/<bizId>/execute/step/<jobInstanceId>?stepInstanceId=<n>`: a step's detail. The path id
 *   is the job (task) instance id (the route's param is `:taskInstanceId`); the step is the query;
 * - `biz_set/<bizSetId>/…`: the same three under a business set;
 * - `<appId>/execute/…`: the same three in JOB before scopes (3.x), where appId is the business id;
 * - `api_execute/<jobInstanceId>[?stepInstanceId=<n>]` and `api_execute_step/<jobInstanceId>/<stepInstanceId>`:
 *   the redirecting entry points JOB's own API responses and notifications link to; no business.
 */

export interface JobScope {
  readonly type: 'biz' | 'biz_set';
  readonly id: number;
}

export interface JobConsoleLink {
  /** The business or business set in the path; null for `api_execute…` links, which have none. */
  readonly scope: JobScope | null;
  readonly jobInstanceId: number;
  /** From `?stepInstanceId=` or the `api_execute_step` path; null when the link is to the whole job. */
  readonly stepInstanceId: number | null;
}

/** A decimal id that is a positive safe integer, else null: no sign, no leading zero, no exponent. */
function parseId(text: string | undefined | null): number | null {
  if (text === undefined || text === null || !/^[1-9][0-9]*$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

function parseHttpUrl(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

/** Where a console route starts, after the console's own path. */
const ROUTE_HEADS: ReadonlySet<string> = new Set(['biz', 'biz_set', 'api_execute', 'api_execute_step']);

/** The path segments of a URL, ignoring empty ones (doubled and trailing slashes). */
function pathSegments(url: URL): string[] {
  return url.pathname.split('/').filter((s) => s !== '');
}

/**
 * The path segments every console link starts with. A BK_JOB_WEB_URL that is a link
 * template (`…/biz/{bk_biz_id}/execute/task/{job_instance_id}`, which `jobConsoleUrl` in
 * bkjob/console.ts also accepts) contributes only its path before the route: before the first
 * placeholder, and before a `biz`/`biz_set`/`api_execute…` segment ahead of it.
 */
function consolePrefix(base: URL): string[] {
  const segments = pathSegments(base);
  const placeholder = segments.findIndex((s) => /\{|%7B/i.test(s));
  let kept = segments;
  if (placeholder !== -1) {
    kept = segments.slice(0, placeholder);
    const route = kept.findIndex((s) => ROUTE_HEADS.has(s));
    if (route !== -1) kept = kept.slice(0, route);
  }
  return kept;
}

const EXECUTE_PAGES: ReadonlySet<string> = new Set(['task', 'quick-launch', 'step']);

/**
 * The job (and step) a JOB console link points at, or null when it is not one: not http(s), not
 * on the console's host (host and port as in `jobWebUrl`), not under its path, not one of the
 * forms above, or an id that is not a positive safe integer. `jobWebUrl` is BK_JOB_WEB_URL.
 *
 * Query parameters other than `stepInstanceId` and any fragment are ignored; trailing and doubled
 * slashes are tolerated. `&amp;` is read as `&`, since Slack escapes `&` in message text.
 */
export function parseJobConsoleLink(link: string, jobWebUrl: string | URL): JobConsoleLink | null {
  const base = parseHttpUrl(typeof jobWebUrl === 'string' ? jobWebUrl : jobWebUrl.href);
  const url = parseHttpUrl(link.trim().replace(/&amp;/g, '&'));
  if (!base || !url || url.host !== base.host) return null;
  const prefix = consolePrefix(base);
  const all = pathSegments(url);
  if (prefix.some((segment, i) => all[i] !== segment)) return null;
  const segments = all.slice(prefix.length);
  const queryStep = url.searchParams.get('stepInstanceId');
  // A step id that is there but bad makes the link bad, rather than silently the whole job.
  const stepFromQuery = queryStep === null ? null : parseId(queryStep);
  if (queryStep !== null && stepFromQuery === null) return null;

  const [first, second, third] = segments;
  if (first === 'api_execute' && segments.length === 2) {
    const jobInstanceId = parseId(second);
    return jobInstanceId === null ? null : { scope: null, jobInstanceId, stepInstanceId: stepFromQuery };
  }
  if (first === 'api_execute_step' && segments.length === 3) {
    const jobInstanceId = parseId(second);
    const stepInstanceId = parseId(third);
    return jobInstanceId === null || stepInstanceId === null ? null : { scope: null, jobInstanceId, stepInstanceId };
  }

  // biz/<id>/execute/<page>/<jobInstanceId>, biz_set/…, or (before scopes) <appId>/execute/<page>/<jobInstanceId>.
  const scoped = first === 'biz' || first === 'biz_set';
  const scopeId = parseId(scoped ? second : first);
  const [execute, page, instance, ...extra] = segments.slice(scoped ? 2 : 1);
  if (scopeId === null || execute !== 'execute' || page === undefined || !EXECUTE_PAGES.has(page) || extra.length > 0) return null;
  const jobInstanceId = parseId(instance);
  if (jobInstanceId === null) return null;
  return { scope: { type: scoped ? first : 'biz', id: scopeId }, jobInstanceId, stepInstanceId: stepFromQuery };
}
