/**
 * Secret scrubbing: configured literal secrets (and their URL-encoded forms), secret-looking
 * query/JSON/YAML parameters, and Slack tokens, without touching innocent text.
 */
import { REDACTED, createRedactor } from '../src/redact';

describe('createRedactor: literal secrets', () => {
  const redact = createRedactor(['s3cr3t-App-Value', 'p@ss/w0rd&x=1', undefined, '']);

  it('uses the documented marker', () => {
    expect(REDACTED).toBe('[REDACTED]');
  });

  it('removes every occurrence of a literal secret', () => {
    expect(redact('secret s3cr3t-App-Value and again s3cr3t-App-Value.')).toBe('secret [REDACTED] and again [REDACTED].');
  });

  it('removes the URL-encoded form of a secret', () => {
    expect(encodeURIComponent('p@ss/w0rd&x=1')).toBe('p%40ss%2Fw0rd%26x%3D1');
    expect(redact('GET https://db.example.com/?password=p%40ss%2Fw0rd%26x%3D1&user=joblog')).toBe('GET https://db.example.com/?password=[REDACTED]&user=joblog');
    expect(redact('raw p@ss/w0rd&x=1 end')).toBe('raw [REDACTED] end');
  });

  it('is case-sensitive for literal secrets (only exact values are removed)', () => {
    expect(redact('S3CR3T-APP-VALUE')).toBe('S3CR3T-APP-VALUE');
  });

  it('removes the longer of two overlapping secrets whole', () => {
    const overlapping = createRedactor(['abcd', 'abcdefgh']);
    expect(overlapping('x abcdefgh y abcd z')).toBe('x [REDACTED] y [REDACTED] z');
  });

  it('treats regex characters in secrets literally', () => {
    const special = createRedactor(['a.b*c+d?(e)[f]$']);
    expect(special('v=a.b*c+d?(e)[f]$; axbbccd')).toBe('v=[REDACTED]; axbbccd');
  });

  it('does not redact secrets shorter than 4 characters', () => {
    const short = createRedactor(['abc', 'x', '', undefined]);
    expect(short('abc x abcabc')).toBe('abc x abcabc');
  });

  it('redacts a secret of exactly 4 characters', () => {
    expect(createRedactor(['wxyz'])('a wxyz b')).toBe('a [REDACTED] b');
  });

  it('leaves text without secrets unchanged', () => {
    const text = 'job 20003771002 step deploy failed on 3 hosts: exit code 1 (https://paas.example.com/api/c/compapi/v2/job/get_job_instance_log/?bk_biz_id=2)';
    expect(redact(text)).toBe(text);
    expect(createRedactor([])(text)).toBe(text);
    expect(redact('')).toBe('');
  });
});

describe('createRedactor: secret-looking parameters', () => {
  const redact = createRedactor([]);

  it.each<[string, string]>([
    ['https://paas/api?bk_app_code=joblog&bk_app_secret=abc123&bk_username=admin', 'https://paas/api?bk_app_code=joblog&bk_app_secret=[REDACTED]&bk_username=admin'],
    ['bk_app_secret=abc123', 'bk_app_secret=[REDACTED]'],
    ['BK_APP_SECRET=abc123', 'BK_APP_SECRET=[REDACTED]'],
    ['{"bk_token":"tok-123"}', '{"bk_token":"[REDACTED]"}'],
    ['{"bk_app_code": "joblog", "bk_app_secret": "abc123", "bk_biz_id": 2}', '{"bk_app_code": "joblog", "bk_app_secret": "[REDACTED]", "bk_biz_id": 2}'],
    ["{'bk_token': 'tok-123'}", "{'bk_token': '[REDACTED]'}"],
    ['bk_app_secret: x', 'bk_app_secret: [REDACTED]'],
    ['bk_app_secret:   longer-value here', 'bk_app_secret:   [REDACTED] here'],
    ['access_token=at-1&token=t-2', 'access_token=[REDACTED]&token=[REDACTED]'],
    ['{"app_secret":"as","signing_secret":"ss"}', '{"app_secret":"[REDACTED]","signing_secret":"[REDACTED]"}'],
    ['{bk_token:tok-123}', '{bk_token:[REDACTED]}'],
    ['bk_token=a,bk_username=admin', 'bk_token=[REDACTED],bk_username=admin'],
  ])('%p → %p', (input, output) => {
    expect(redact(input)).toBe(output);
  });

  it('leaves non-secret parameters alone', () => {
    const text = 'bk_app_code=joblog&bk_username=admin&bk_biz_id=2&job_instance_id=100&token_type=bearer';
    expect(redact(text)).toBe(text);
  });

  // The logger scrubs the finished JSON line, where a nested JSON body has escaped quotes.
  it('redacts parameters inside JSON that was itself JSON-encoded (as in a pino log line)', () => {
    const line = JSON.stringify({ level: 30, msg: 'BlueKing call failed', body: JSON.stringify({ bk_app_code: 'joblog', bk_app_secret: 'leakedAppSecret123', bk_token: 'leakedToken456' }) });
    const out = redact(line);
    expect(out).not.toContain('leakedAppSecret123');
    expect(out).not.toContain('leakedToken456');
  });
});

describe('createRedactor: Slack tokens', () => {
  const redact = createRedactor([]);

  it.each<[string, string]>([
    ['token xoxb-1234-5678-AbCdEf is bad', 'token [REDACTED] is bad'],
    ['xapp-1-A0123-456789-abcdef', '[REDACTED]'],
    ['user xoxp-1-2-3-abc and refresh xoxe-1-xyz', 'user [REDACTED] and refresh [REDACTED]'],
    ['config xoxe.xoxp-1 stays', 'config xoxe.[REDACTED] stays'],
    ['Authorization: Bearer xoxb-9-9-Zz', 'Authorization: Bearer [REDACTED]'],
    ['"xoxb-1-2-abc","xapp-1-2-def"', '"[REDACTED]","[REDACTED]"'],
  ])('%p → %p', (input, output) => {
    expect(redact(input)).toBe(output);
  });

  it('does not touch words that merely contain xoxb or xapp', () => {
    expect(redact('fooxoxb-1 xoxb xapp myxapp-2')).toBe('fooxoxb-1 xoxb xapp myxapp-2');
  });
});

describe('createRedactor: combined', () => {
  it('redacts configured secrets, parameters and Slack tokens in one pass', () => {
    const redact = createRedactor(['my-configured-secret']);
    expect(redact('a=my-configured-secret b=my-configured-secret&bk_token=zzz c=xoxb-1-2-q')).toBe('a=[REDACTED] b=[REDACTED]&bk_token=[REDACTED] c=[REDACTED]');
  });

  it('is idempotent', () => {
    const redact = createRedactor(['my-configured-secret']);
    const once = redact('bk_app_secret=my-configured-secret xoxb-1-2-q');
    expect(once).toBe('bk_app_secret=[REDACTED] [REDACTED]');
    expect(redact(once)).toBe(once);
  });
});
