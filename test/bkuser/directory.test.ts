/**
 * bk-user look-ups over HTTP (nock): 2.x `usermanage/list_users` by email through ESB, and 3.x's
 * tenant paging + `sensitive-infos` email map. Errors never carry the URL or the app secret.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { BkUserLookupError, EsbBkUserDirectory, TenantBkUserDirectory } from '../../src/bkuser';

const ESB = 'https://paas.example.com';
const GATEWAY = 'https://bkapi.example.com/api/bk-user/prod';
const CREDENTIALS = { appCode: 'joblog', appSecret: 'app-secret-0123456789' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('bk-user 2.x (ESB list_users)', () => {
  const directory = new EsbBkUserDirectory(ESB, CREDENTIALS, 2000);
  const query = { bk_app_code: 'joblog', bk_app_secret: CREDENTIALS.appSecret, lookup_field: 'email', exact_lookups: 'alice@corp.com', fields: 'username,email,display_name' };

  it('looks the email up with the app credentials and reads the paged answer', async () => {
    nock(ESB)
      .get('/api/c/compapi/v2/usermanage/list_users/')
      .query(query)
      .reply(200, { result: true, code: 0, message: 'success', data: { count: 1, results: [{ username: 'alice', email: 'Alice@corp.com', display_name: 'Alice' }] }, request_id: 'r1' });
    expect(await directory.usernamesByEmail('alice@corp.com')).toEqual(['alice']);
  });

  it('reads an unpaged answer, keeps `name@domain` usernames, and drops rows with another email', async () => {
    nock(ESB)
      .get('/api/c/compapi/v2/usermanage/list_users/')
      .query(query)
      .reply(200, { result: true, code: 0, data: [{ username: 'alice@ldap', email: 'alice@corp.com' }, { username: 'other', email: 'other@corp.com' }] });
    expect(await directory.usernamesByEmail('alice@corp.com')).toEqual(['alice@ldap']);
  });

  it('never maps to a user whose own email is missing or different (an answer that ignored the filter)', async () => {
    nock(ESB).get('/api/c/compapi/v2/usermanage/list_users/').query(true).reply(200, { result: true, code: 0, data: [{ username: 'nobody-email' }, { username: 'null-email', email: null }] });
    expect(await directory.usernamesByEmail('alice@corp.com')).toEqual([]);
  });

  it('answers [] for no match and every user for a shared email', async () => {
    nock(ESB).get('/api/c/compapi/v2/usermanage/list_users/').query(true).reply(200, { result: true, code: 0, data: { count: 0, results: [] } });
    expect(await directory.usernamesByEmail('alice@corp.com')).toEqual([]);
    nock(ESB)
      .get('/api/c/compapi/v2/usermanage/list_users/')
      .query(true)
      .reply(200, { result: true, code: 0, data: { count: 2, results: [{ username: 'a1', email: 'alice@corp.com' }, { username: 'a2', email: 'alice@corp.com' }] } });
    expect(await directory.usernamesByEmail('alice@corp.com')).toEqual(['a1', 'a2']);
  });

  it.each([
    ['a refusal', () => nock(ESB).get('/api/c/compapi/v2/usermanage/list_users/').query(true).reply(200, { result: false, code: 1306000, message: 'app not allowed', data: null }), /refused \(code 1306000: app not allowed\)/],
    ['an HTTP error', () => nock(ESB).get('/api/c/compapi/v2/usermanage/list_users/').query(true).reply(502, '<html>bad gateway</html>'), /answered HTTP 502/],
    ['junk', () => nock(ESB).get('/api/c/compapi/v2/usermanage/list_users/').query(true).reply(200, '<html>'), /not JSON/],
    ['a bad shape', () => nock(ESB).get('/api/c/compapi/v2/usermanage/list_users/').query(true).reply(200, { result: true, data: { results: [{ email: 'alice@corp.com' }] } }), /data\.results\[0\]\.username should be a string/],
  ])('turns %s into a BkUserLookupError without the URL or secret', async (_name, mock, message) => {
    mock();
    const error = await directory.usernamesByEmail('alice@corp.com').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BkUserLookupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(CREDENTIALS.appSecret);
    expect((error as Error).message).not.toContain('paas.example.com');
  });

  it('names only the error code when bk-user cannot be reached', async () => {
    // A port that was just free: bind, read the port, close, then call it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    nock.enableNetConnect('127.0.0.1');
    try {
      const error = await new EsbBkUserDirectory(`http://127.0.0.1:${port}`, CREDENTIALS, 2000).usernamesByEmail('alice@corp.com').catch((err: unknown) => err);
      expect(error).toEqual(new BkUserLookupError('bk-user list_users could not be reached (ECONNREFUSED)'));
    } finally {
      nock.disableNetConnect();
    }
  });
});

describe('bk-user 3.x (tenant users + sensitive-infos)', () => {
  const headers = { 'x-bk-tenant-id': 'default' };
  function directory(now: () => number = () => 0) {
    return new TenantBkUserDirectory({ gatewayUrl: GATEWAY, credentials: CREDENTIALS, tenantId: 'default', timeoutMs: 2000, maxAgeMs: 3_600_000, missMaxAgeMs: 300_000, now });
  }

  function users(page: number, pageSize: number, list: readonly string[], count: number) {
    return nock(GATEWAY, { reqheaders: headers })
      .matchHeader('x-bkapi-authorization', (value: string) => JSON.parse(value).bk_app_code === 'joblog')
      .get('/api/v3/open/tenant/users/')
      .query({ page: String(page), page_size: String(pageSize) })
      .reply(200, { data: { count, results: list.map((u) => ({ bk_username: u, login_name: `login-${u}`, full_name: u })) } });
  }

  it('pages the tenant, reads emails 100 at a time and maps email → the opaque bk_username', async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => `id${String(i).padStart(6, '0')}`);
    users(1, 1000, ids.slice(0, 1000), 1500);
    users(2, 1000, ids.slice(1000), 1500);
    const batches: string[][] = [];
    nock(GATEWAY, { reqheaders: headers })
      .get('/api/v3/open/tenant/users/-/sensitive-infos/')
      .query(true)
      .times(15)
      .reply((uri) => {
        const wanted = (new URL(uri, GATEWAY).searchParams.get('bk_usernames') ?? '').split(',');
        batches.push(wanted);
        return [200, { data: wanted.map((u) => ({ bk_username: u, email: u === 'id000042' ? 'Alice@Corp.com' : u === 'id001200' ? null : `${u}@corp.com`, phone: '' })) }];
      });
    const dir = directory();
    expect(await dir.usernamesByEmail('alice@corp.com')).toEqual(['id000042']);
    expect(batches).toHaveLength(15);
    expect(batches.every((b) => b.length === 100)).toBe(true);
    // The map is reused: no more HTTP calls (nock would refuse them).
    expect(await dir.usernamesByEmail('id001499@corp.com')).toEqual(['id001499']);
    expect(await dir.usernamesByEmail('nobody@corp.com')).toEqual([]);
    expect(nock.isDone()).toBe(true);
  });

  it('rebuilds after maxAge; a failed rebuild throws (the resolver then serves what it knew)', async () => {
    const clock = { now: 0 };
    const dir = directory(() => clock.now);
    users(1, 1000, ['q9k6bhqks0ckl5ew'], 1);
    nock(GATEWAY).get('/api/v3/open/tenant/users/-/sensitive-infos/').query({ bk_usernames: 'q9k6bhqks0ckl5ew' }).reply(200, { data: [{ bk_username: 'q9k6bhqks0ckl5ew', email: 'alice@corp.com' }] });
    expect(await dir.usernamesByEmail('alice@corp.com')).toEqual(['q9k6bhqks0ckl5ew']);
    clock.now = 3_600_000;
    nock(GATEWAY).get('/api/v3/open/tenant/users/').query(true).reply(403, { error: { code: 'NO_PERMISSION', message: 'app has no permission' } });
    await expect(dir.usernamesByEmail('alice@corp.com')).rejects.toThrow(new BkUserLookupError('bk-user tenant users answered HTTP 403'));
  });

  it('an email the map lacks rebuilds it once the map is older than a miss may be remembered, so a user just added is found', async () => {
    const clock = { now: 0 };
    const dir = directory(() => clock.now);
    const tenant = (list: readonly string[]) => {
      users(1, 1000, list, list.length);
      nock(GATEWAY)
        .get('/api/v3/open/tenant/users/-/sensitive-infos/')
        .query({ bk_usernames: list.join(',') })
        .reply(200, { data: list.map((u) => ({ bk_username: u, email: `${u}@corp.com` })) });
    };
    tenant(['alice']);
    expect(await dir.usernamesByEmail('carol@corp.com')).toEqual([]);
    // A miss in a map younger than 5 minutes: no new build (nock would refuse it), a hit never rebuilds.
    clock.now = 299_999;
    expect(await dir.usernamesByEmail('carol@corp.com')).toEqual([]);
    expect(await dir.usernamesByEmail('alice@corp.com')).toEqual(['alice']);
    // Carol was added to bk-user meanwhile: the next miss after 5 minutes builds the map again.
    tenant(['alice', 'carol']);
    clock.now = 300_000;
    expect(await dir.usernamesByEmail('carol@corp.com')).toEqual(['carol']);
    expect(nock.isDone()).toBe(true);
    // The rebuilt map serves alice without another build until its own age runs out.
    clock.now = 3_000_000;
    expect(await dir.usernamesByEmail('alice@corp.com')).toEqual(['alice']);
  });

  it('refuses a bad shape by path', async () => {
    nock(GATEWAY).get('/api/v3/open/tenant/users/').query(true).reply(200, { data: { count: 1, results: [{ login_name: 'alice' }] } });
    await expect(directory().usernamesByEmail('alice@corp.com')).rejects.toThrow(/data\.results\[0\]\.bk_username should be a string/);
  });
});
