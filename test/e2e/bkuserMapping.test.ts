/**
 * End to end: BK_USER_MAPPING=bkuser. Each Slack user's profile email is looked up in a fake
 * bk-user (dev/fakeBkUser.ts): 2.x through the fake ESB's `usermanage/list_users`, 3.x through its
 * own gateway (tenant users + sensitive-infos). What bk-user and JOB received is read from the
 * fakes' recorded requests. Each test starts its own bot, so the resolver's caches start empty.
 */
import { FakeBkUser } from '../../dev/fakeBkUser';
import { FakeBkJob } from '../../dev/fakeEsb';
import { FakeSlackApi } from '../../dev/fakeSlack';
import { type Harness, type HarnessOptions, TEST_TEAM, startHarness } from '../../dev/harness';
import { failedJob } from '../../dev/scenarios';
import { bkUserOf, messageText, responseTo } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const CAROL = 'U0CAROL01';
const CHANNEL = 'C0OPS0001';
const FAILED = failedJob();
const COMMAND = `${FAILED.bizId} ${FAILED.jobInstanceId}`;
const HEAD = ":no_entry: I don't know your BlueKing user, so I asked BlueKing JOB for nothing.";

const bkUser = new FakeBkUser();
const esb = new FakeBkJob({ bkUser });
const slack = new FakeSlackApi({ teamId: TEST_TEAM });
let h: Harness | undefined;




async function start(env: Record<string, string> = {}, overrides: HarnessOptions['overrides'] = {}): Promise<Harness> {
  // No BK_USERNAME: with a mapping nobody acts as a configured user.
  h = await startHarness({ slack, esb, env: { BK_USER_MAPPING: 'bkuser', BK_USERNAME: '', ...env }, overrides });
  return h;
}

beforeAll(async () => {
  await slack.start();
  await esb.start();
  await bkUser.start();
});

afterAll(async () => {
  await slack.stop();
  await esb.stop();
  await bkUser.stop();
});

beforeEach(() => {
  slack.reset();
  esb.reset();
  bkUser.reset();
  esb.setJob(FAILED);
  slack.setUser(ALICE, { email: 'alice@example.com' });
  slack.setUser(BOB, { email: 'Bob@Example.com' });
  slack.setUser(CAROL, { email: 'carol@example.com' });
  bkUser.setUsers([
    { username: 'alice', email: 'alice@example.com', displayName: 'Alice' },
    { username: 'bob', email: 'bob@example.com', displayName: 'Bob' },
  ]);
});

afterEach(async () => {
  await h?.stop({ keepFakes: true });
  h = undefined;
});

describe('bk-user 2.x through the ESB (BK_USER_API=v2)', () => {
  it('acts as the bk-user user with the Slack email: alice sees the summary, bob hears that his own BlueKing user lacks the permission', async () => {
    const bot = await start();
    esb.denyUser('bob');

    await bot.slash(COMMAND, { userId: ALICE, responseId: 'alice' });
    const [summary] = await slack.waitFor('chat.postMessage');
    expect(summary!.args.channel).toBe(CHANNEL);
    expect(esb.requests().map(bkUserOf)).toEqual(['alice']);
    // bk-user was asked by email with the app's credentials, exactly as directory.ts sends it.
    expect(bkUser.requests().map((r) => [r.via, r.method, r.path, r.query])).toEqual([
      [
        'esb',
        'GET',
        '/api/c/compapi/v2/usermanage/list_users/',
        { bk_app_code: esb.appCode, bk_app_secret: esb.appSecret, lookup_field: 'email', exact_lookups: 'alice@example.com', fields: 'username,email,display_name' },
      ],
    ]);

    await bot.slash(COMMAND, { userId: BOB, responseId: 'bob' });
    const denied = await responseTo(slack, 'bob');
    expect(denied).toMatchObject({ response_type: 'ephemeral' });
    expect(messageText(denied)).toContain('BlueKing user `bob` lacks: access_business (Business access).');
    expect(esb.requests().map(bkUserOf)).toEqual(['alice', 'bob']);
    // The Slack email is normalised before bk-user is asked.
    expect(bkUser.requests().map((r) => r.query.exact_lookups)).toEqual(['alice@example.com', 'bob@example.com']);
    // Bob's refusal went to Bob only: the channel has Alice's summary and nothing else.
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
  });

  it('an email bk-user does not know: the person is told why, privately, and JOB receives nothing', async () => {
    const bot = await start();
    await bot.slash(COMMAND, { userId: CAROL, responseId: 'carol' });
    const reply = await responseTo(slack, 'carol');
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(messageText(reply)).toBe(`${HEAD} No BlueKing user has your email \`carol@example.com\` in bk-user. Ask a BlueKing admin to set it on your BlueKing account, then try again.`);
    expect(bkUser.requests().map((r) => r.query.exact_lookups)).toEqual(['carol@example.com']);
    expect(esb.requests()).toEqual([]);
    expect(slack.calls('chat.postMessage')).toEqual([]);
  });

  it('two bk-user users with the same email: neither is picked, the person is told why, and JOB receives nothing', async () => {
    bkUser.addUser({ username: 'alice@ldap', email: 'Alice@Example.com', displayName: 'Alice (LDAP)' });
    const bot = await start();
    await bot.slash(COMMAND, { userId: ALICE, responseId: 'alice' });
    const reply = await responseTo(slack, 'alice');
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(messageText(reply)).toBe(`${HEAD} Several BlueKing users have your email \`alice@example.com\` in bk-user. Ask a BlueKing admin to leave it on your account only.`);
    expect(bkUser.requestCount('list_users')).toBe(1);
    expect(esb.requests()).toEqual([]);
    expect(slack.calls('chat.postMessage')).toEqual([]);
  });

  it('caches the look-up for BK_USER_CACHE_TTL: two commands, one bk-user request; after the TTL, bk-user is asked again', async () => {
    let clock = Date.now();
    const bot = await start({ BK_USER_CACHE_TTL: '2m' }, { now: () => clock });

    await bot.slash(COMMAND, { userId: ALICE });
    await slack.waitFor('chat.postMessage', 1);
    clock += 60_000;
    await bot.slash(COMMAND, { userId: ALICE });
    await slack.waitFor('chat.postMessage', 2);
    expect(bkUser.requestCount()).toBe(1);
    expect(slack.calls('users.info').map((c) => c.args.user)).toEqual([ALICE]);
    expect(esb.requests().map(bkUserOf)).toEqual(['alice', 'alice']);

    // bk-user changed meanwhile: the cached answer is used until the TTL is over, then the new one.
    bkUser.setUsers([{ username: 'alice2', email: 'alice@example.com' }]);
    clock += 60_000;
    await bot.slash(COMMAND, { userId: ALICE });
    await slack.waitFor('chat.postMessage', 3);
    expect(bkUser.requestCount()).toBe(2);
    expect(esb.requests().map(bkUserOf)).toEqual(['alice', 'alice', 'alice2']);
  });
});

describe('bk-user 3.x through its gateway (BK_USER_API=v3)', () => {
  it('pages the tenant and reads sensitive-infos with the tenant and app credentials headers, then acts as the opaque bk_username', async () => {
    bkUser.setUsers([
      { username: 'q9k6bhqks0ckl5ew', loginName: 'alice', displayName: 'Alice', email: 'alice@example.com' },
      { username: 'er0ugcammqwf1q5w', loginName: 'bob', displayName: 'Bob', email: 'bob@example.com' },
      // Another tenant's user with Alice's email: only seen with that tenant's header.
      { username: 'zz0othertenant01', email: 'alice@example.com', tenantId: 'other' },
    ]);
    const bot = await start({ BK_USER_API: 'v3', BK_USER_API_URL: bkUser.gatewayUrl, BK_TENANT_ID: 'default' });

    await bot.slash(COMMAND, { userId: ALICE });
    await slack.waitFor('chat.postMessage', 1);
    expect(esb.requests().map(bkUserOf)).toEqual(['q9k6bhqks0ckl5ew']);
    expect(bkUser.requests().map((r) => [r.via, r.api, r.method, r.path, r.query])).toEqual([
      ['gateway', 'tenant_users', 'GET', '/api/bk-user/prod/api/v3/open/tenant/users/', { page: '1', page_size: '1000' }],
      ['gateway', 'sensitive_infos', 'GET', '/api/bk-user/prod/api/v3/open/tenant/users/-/sensitive-infos/', { bk_usernames: 'q9k6bhqks0ckl5ew,er0ugcammqwf1q5w' }],
    ]);
    for (const request of bkUser.requests()) {
      expect(request.headers['x-bk-tenant-id']).toBe('default');
      expect(request.headers['x-bkapi-authorization']).toBe(JSON.stringify({ bk_app_code: esb.appCode, bk_app_secret: esb.appSecret }));
      // The secret travels only in the header, never in the query.
      expect(JSON.stringify(request.query)).not.toContain(esb.appSecret);
    }

    // The tenant map is reused for the next person: no new bk-user request.
    await bot.slash(COMMAND, { userId: BOB });
    await slack.waitFor('chat.postMessage', 2);
    expect(esb.requests().map(bkUserOf)).toEqual(['q9k6bhqks0ckl5ew', 'er0ugcammqwf1q5w']);
    expect(bkUser.requestCount()).toBe(2);
  });

  it('an email the tenant does not have: the person is told why, and JOB receives nothing', async () => {
    bkUser.setUsers([{ username: 'zz0othertenant01', email: 'carol@example.com', tenantId: 'other' }]);
    const bot = await start({ BK_USER_API: 'v3', BK_USER_API_URL: bkUser.gatewayUrl, BK_TENANT_ID: 'default' });
    await bot.slash(COMMAND, { userId: CAROL, responseId: 'carol' });
    expect(messageText(await responseTo(slack, 'carol'))).toBe(`${HEAD} No BlueKing user has your email \`carol@example.com\` in bk-user. Ask a BlueKing admin to set it on your BlueKing account, then try again.`);
    expect(bkUser.requests('tenant_users')).toHaveLength(1);
    expect(esb.requests()).toEqual([]);
  });
});
