/**
 * JOB console links: every URL form parsed to exact results (biz, biz_set, pre-scope appId,
 * api_execute, api_execute_step), base URLs with a path prefix, trailing slashes, query strings,
 * fragments, Slack's &amp;; rejected: other hosts, other prefixes, bad ids; and console.ts's
 * builders (the one implementation) read back by the parser.
 */
import { jobConsoleUrl, stepConsoleUrl } from '../../src/bkjob/console';
import { type JobConsoleLink, parseJobConsoleLink } from '../../src/bkjob/consoleLinks';

const BASE = 'https://job.example.com';
const PAAS = 'https://paas.example.com/o/bk_job/';

function link(scope: JobConsoleLink['scope'], jobInstanceId: number, stepInstanceId: number | null = null): JobConsoleLink {
  return { scope, jobInstanceId, stepInstanceId };
}

const biz = (id: number) => ({ type: 'biz' as const, id });
const bizSet = (id: number) => ({ type: 'biz_set' as const, id });

describe('parseJobConsoleLink: the forms', () => {
  it.each([
    ['job detail', `${BASE}/biz/2/execute/task/1001`, link(biz(2), 1001)],
    ['quick-launch detail', `${BASE}/biz/2/execute/quick-launch/1002`, link(biz(2), 1002)],
    ['step detail: the path id is the job instance, the step is the query', `${BASE}/biz/2/execute/step/1003?stepInstanceId=5001`, link(biz(2), 1003, 5001)],
    ['step detail without a step', `${BASE}/biz/2/execute/step/1003`, link(biz(2), 1003)],
    ['business set: job', `${BASE}/biz_set/9991001/execute/task/1004`, link(bizSet(9991001), 1004)],
    ['business set: quick-launch', `${BASE}/biz_set/9991001/execute/quick-launch/1005`, link(bizSet(9991001), 1005)],
    ['business set: step', `${BASE}/biz_set/9991001/execute/step/1006?stepInstanceId=5002`, link(bizSet(9991001), 1006, 5002)],
    ['before scopes: /<appId>/execute/task', `${BASE}/3/execute/task/1007`, link(biz(3), 1007)],
    ['before scopes: quick-launch', `${BASE}/3/execute/quick-launch/1008`, link(biz(3), 1008)],
    ['before scopes: step', `${BASE}/3/execute/step/1009?stepInstanceId=5003`, link(biz(3), 1009, 5003)],
    ['api_execute', `${BASE}/api_execute/1010`, link(null, 1010)],
    ['api_execute with a step (as JOB API responses link)', `${BASE}/api_execute/1010?stepInstanceId=5004&retryCount=0&batch=0`, link(null, 1010, 5004)],
    ['api_execute_step', `${BASE}/api_execute_step/1011/5005`, link(null, 1011, 5005)],
    ['api_execute_step with JOB query params', `${BASE}/api_execute_step/1011/5005?retryCount=1&batch=0`, link(null, 1011, 5005)],
  ])('%s', (_name, url, expected) => {
    expect(parseJobConsoleLink(url, BASE)).toStrictEqual(expected);
  });
});

describe('parseJobConsoleLink: tolerated variations', () => {
  it.each([
    ['trailing slash', `${BASE}/biz/2/execute/task/1001/`, link(biz(2), 1001)],
    ['trailing slash on api_execute_step', `${BASE}/api_execute_step/1011/5005/`, link(null, 1011, 5005)],
    ['doubled slash', `${BASE}//biz/2/execute//task/1001`, link(biz(2), 1001)],
    ['query string before a step id', `${BASE}/biz/2/execute/step/1003?from=home&stepInstanceId=5001`, link(biz(2), 1003, 5001)],
    ['other query parameters', `${BASE}/biz/2/execute/task/1001?pageSize=20`, link(biz(2), 1001)],
    ['fragment', `${BASE}/biz/2/execute/task/1001#log`, link(biz(2), 1001)],
    ['query and fragment', `${BASE}/biz/2/execute/step/1003?stepInstanceId=5001#top`, link(biz(2), 1003, 5001)],
    ["Slack's &amp;", `${BASE}/biz/2/execute/step/1003?retryCount=0&amp;stepInstanceId=5001`, link(biz(2), 1003, 5001)],
    ['surrounding spaces', `  ${BASE}/api_execute/1010  `, link(null, 1010)],
    ['upper-case host', 'https://JOB.Example.COM/api_execute/1010', link(null, 1010)],
    ['http when the base is https (same host)', 'http://job.example.com/api_execute/1010', link(null, 1010)],
    ['explicit default port', 'https://job.example.com:443/api_execute/1010', link(null, 1010)],
    ['largest safe id', `${BASE}/api_execute/9007199254740991`, link(null, 9007199254740991)],
  ])('%s', (_name, url, expected) => {
    expect(parseJobConsoleLink(url, BASE)).toStrictEqual(expected);
  });

  it('base given with a trailing slash, or as a URL', () => {
    expect(parseJobConsoleLink(`${BASE}/api_execute/1`, `${BASE}/`)).toStrictEqual(link(null, 1));
    expect(parseJobConsoleLink(`${BASE}/api_execute/1`, new URL(BASE))).toStrictEqual(link(null, 1));
  });
});

describe('parseJobConsoleLink: a base with a path prefix', () => {
  it.each([
    ['job detail', `${PAAS}biz/2/execute/task/1001`, link(biz(2), 1001)],
    ['api_execute_step', `${PAAS}api_execute_step/1011/5005`, link(null, 1011, 5005)],
    ['prefix given without its trailing slash', `${PAAS}api_execute/7`, link(null, 7)],
    ['doubled slash inside the prefix', 'https://paas.example.com/o//bk_job/api_execute/7', link(null, 7)],
  ])('%s', (_name, url, expected) => {
    expect(parseJobConsoleLink(url, PAAS)).toStrictEqual(expected);
    expect(parseJobConsoleLink(url, PAAS.replace(/\/$/, ''))).toStrictEqual(expected);
  });

  it.each([
    ['no prefix', 'https://paas.example.com/biz/2/execute/task/1001'],
    ['another app', 'https://paas.example.com/o/bk_cmdb/biz/2/execute/task/1001'],
    ['a prefix that only starts the same', 'https://paas.example.com/o/bk_job_v2/biz/2/execute/task/1001'],
    ['prefix in another case', 'https://paas.example.com/O/BK_JOB/biz/2/execute/task/1001'],
    ['the prefix alone', PAAS],
  ])('%s → null', (_name, url) => {
    expect(parseJobConsoleLink(url, PAAS)).toBeNull();
  });

  it('a link-template BK_JOB_WEB_URL: the path before its first placeholder is the prefix', () => {
    const template = 'https://paas.example.com/o/bk_job/biz/{bk_biz_id}/execute/task/{job_instance_id}';
    expect(parseJobConsoleLink(`${PAAS}biz/2/execute/task/1001`, template)).toStrictEqual(link(biz(2), 1001));
    expect(parseJobConsoleLink(`${PAAS}api_execute/1001`, template)).toStrictEqual(link(null, 1001));
    expect(parseJobConsoleLink('https://paas.example.com/x/biz/2/execute/task/1001', template)).toBeNull();
  });
});

describe('parseJobConsoleLink: not a console link', () => {
  it.each([
    ['another host', 'https://evil.example.com/api_execute/1010'],
    ['a subdomain of the host', 'https://job.example.com.evil.net/api_execute/1010'],
    ['another port', 'https://job.example.com:8443/api_execute/1010'],
    ['not http(s)', 'ftp://job.example.com/api_execute/1010'],
    ['javascript:', 'javascript:alert(1)//job.example.com/api_execute/1'],
    ['not a URL', 'api_execute/1010'],
    ['empty', ''],
    ['the console home', `${BASE}/`],
    ['a job list', `${BASE}/biz/2/execute/list`],
    ['a job template, not an instance', `${BASE}/biz/2/task_manage/1001`],
    ['an unknown execute page', `${BASE}/biz/2/execute/redo_task/1001`],
    ['extra path segment', `${BASE}/biz/2/execute/task/1001/log`],
    ['api_execute without an id', `${BASE}/api_execute`],
    ['api_execute with two ids', `${BASE}/api_execute/1/2`],
    ['api_execute_step without a step', `${BASE}/api_execute_step/1011`],
    ['api_execute_step with three ids', `${BASE}/api_execute_step/1/2/3`],
    ['unknown scope type', `${BASE}/tenant/2/execute/task/1001`],
    ['scope without execute', `${BASE}/biz/2/task/1001`],
  ])('%s → null', (_name, url) => {
    expect(parseJobConsoleLink(url, BASE)).toBeNull();
  });

  it.each([
    ['non-numeric job id', `${BASE}/biz/2/execute/task/abc`],
    ['non-numeric business id', `${BASE}/biz/abc/execute/task/1001`],
    ['non-numeric app id', `${BASE}/app/execute/task/1001`],
    ['zero job id', `${BASE}/api_execute/0`],
    ['zero business id', `${BASE}/biz/0/execute/task/1001`],
    ['negative id', `${BASE}/api_execute/-5`],
    ['leading zero', `${BASE}/api_execute/0123`],
    ['plus sign', `${BASE}/api_execute/+5`],
    ['decimal', `${BASE}/api_execute/1.5`],
    ['exponent', `${BASE}/api_execute/1e3`],
    ['hex', `${BASE}/api_execute/0x10`],
    ['huge job id', `${BASE}/api_execute/9007199254740992`],
    ['huge business id', `${BASE}/biz/99999999999999999999/execute/task/1`],
    ['huge step id in the path', `${BASE}/api_execute_step/1/123456789012345678901234567890`],
    ['non-numeric step id in the path', `${BASE}/api_execute_step/1/x`],
    ['non-numeric step id in the query', `${BASE}/biz/2/execute/step/1003?stepInstanceId=abc`],
    ['empty step id in the query', `${BASE}/biz/2/execute/step/1003?stepInstanceId=`],
    ['zero step id in the query', `${BASE}/api_execute/1003?stepInstanceId=0`],
    ['huge step id in the query', `${BASE}/biz/2/execute/step/1003?stepInstanceId=9007199254740993`],
    ['encoded digits', `${BASE}/api_execute/%31%32`],
  ])('%s → null', (_name, url) => {
    expect(parseJobConsoleLink(url, BASE)).toBeNull();
  });

  it('a base that is not an http(s) URL matches nothing', () => {
    expect(parseJobConsoleLink(`${BASE}/api_execute/1`, 'not a url')).toBeNull();
    expect(parseJobConsoleLink(`${BASE}/api_execute/1`, 'ftp://job.example.com')).toBeNull();
    expect(parseJobConsoleLink(`${BASE}/api_execute/1`, new URL('ftp://job.example.com'))).toBeNull();
  });
});

const REF = { bizId: 3, jobInstanceId: 1001 };

describe('jobConsoleUrl and stepConsoleUrl (bkjob/console.ts)', () => {
  it.each([
    [BASE, `${BASE}/api_execute/1001`],
    [`${BASE}/`, `${BASE}/api_execute/1001`],
    [`${BASE}///`, `${BASE}/api_execute/1001`],
    [PAAS, `${PAAS}api_execute/1001`],
    ['https://paas.example.com/o/bk_job', `${PAAS}api_execute/1001`],
  ])('jobConsoleUrl(%s)', (base, expected) => {
    expect(jobConsoleUrl(base, REF)).toBe(expected);
  });

  it.each([
    [BASE, `${BASE}/api_execute_step/1001/5001`],
    [`${BASE}/`, `${BASE}/api_execute_step/1001/5001`],
    [PAAS, `${PAAS}api_execute_step/1001/5001`],
  ])('stepConsoleUrl(%s)', (base, expected) => {
    expect(stepConsoleUrl(base, REF, 5001)).toBe(expected);
  });

  it('a link template fills in the business, and parses back with it', () => {
    const template = `${BASE}/biz/{bk_biz_id}/execute/task/{job_instance_id}`;
    expect(parseJobConsoleLink(jobConsoleUrl(template, REF)!, template)).toStrictEqual(link(biz(3), 1001));
  });

  it('round-trips through the parser', () => {
    expect(parseJobConsoleLink(jobConsoleUrl(PAAS, REF)!, PAAS)).toStrictEqual(link(null, 1001));
    expect(parseJobConsoleLink(stepConsoleUrl(PAAS, REF, 5001)!, PAAS)).toStrictEqual(link(null, 1001, 5001));
  });
});
