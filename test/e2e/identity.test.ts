/**
 * End to end: each person acts as their own BlueKing user (BK_USER_MAPPING=file), against the
 * real app and the fakes. What BlueKing received is read from the fake's recorded requests.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, runningJob } from '../../dev/scenarios';
import { bkUserOf, messageText, responseTo, useFakes } from '../helpers/fakes';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
/** Mapped by email: the bot asks Slack for the profile email. */
const CAROL = 'U0CAROL01';
const NOBODY = 'U0NOBODY1';
const CHANNEL = 'C0OPS0001';
const FAILED = failedJob();
const RUNNING = runningJob();
const HOST_14 = `{"b":${FAILED.bizId},"j":${FAILED.jobInstanceId},"s":2003771002,"c":0,"i":"10.0.1.14"}`;

const { slack, esb } = useFakes();
let dir: string;
let mapFile: string;
let h: Harness;

function writeMap(users: Record<string, string>): void {
  writeFileSync(mapFile, `users:\n${Object.entries(users).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`);
  // A later modification time, so a rewrite within the same second still counts as a change.
  const at = Date.now() / 1000 + Math.random() * 100;
  utimesSync(mapFile, at, at);
}




beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'joblog-identity-'));
  mapFile = join(dir, 'users.yml');
  writeMap({ [ALICE]: 'alice', [BOB]: 'bob', 'carol@example.com': 'carol' });
  h = await startHarness({ slack, esb, env: { BK_USER_MAPPING: 'file', BK_USER_MAP_FILE: mapFile } });
});

afterAll(async () => {
  await h.stop({ keepFakes: true });
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  esb.setJob(FAILED);
  esb.setJob(RUNNING);
  slack.setUser(CAROL, { email: 'Carol@Example.com' });
  slack.setUser(NOBODY, { email: 'nobody@example.com' });
});

it('two Slack users act as two BlueKing users: the denied one hears whose permission is missing, the other sees the summary', async () => {
  esb.denyUser('bob');
  await h.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: ALICE, responseId: 'alice' });
  const [summary] = await slack.waitFor('chat.postMessage');
  expect(summary!.args.channel).toBe(CHANNEL);
  expect(esb.requests().map(bkUserOf)).toEqual(['alice']);

  await h.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: BOB, responseId: 'bob' });
  const denied = await responseTo(slack, 'bob');
  expect(denied).toMatchObject({ response_type: 'ephemeral' });
  expect(messageText(denied)).toContain('BlueKing user `bob` lacks: access_business (Business access).');
  expect(esb.requests().map(bkUserOf)).toEqual(['alice', 'bob']);
  // Bob's refusal went to Bob only: the channel has Alice's summary and nothing else.
  expect(slack.calls('chat.postMessage')).toHaveLength(1);
});

it('a watch polls as its creator (stored, not looked up again); a host button on its message is fetched as whoever clicks', async () => {
  await h.slash(`watch ${RUNNING.bizId} ${RUNNING.jobInstanceId}`, { userId: ALICE });
  await slack.waitFor('chat.postMessage');
  for (let i = 0; i < 500 && !(await h.bot.store.listOpenByChannel(CHANNEL)).some((w) => w.statusMessageTs !== null); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const [stored] = await h.bot.store.listOpenByChannel(CHANNEL);
  expect(stored).toMatchObject({ subscriberId: ALICE, bkUsername: 'alice' });

  // Alice's mapping changes afterwards: the watch keeps polling as the user it was created as.
  writeMap({ [ALICE]: 'alice-new', [BOB]: 'bob', 'carol@example.com': 'carol' });
  esb.reset();
  esb.setJob(FAILED);
  esb.setJob(RUNNING);
  await h.bot.pollNow();
  expect(esb.requests().map(bkUserOf)).toEqual(['alice']);

  // Carol (mapped by her Slack email) clicks a host button on the watch's message.
  esb.reset();
  esb.setJob(FAILED);
  await h.click({ actionId: 'joblog_host_log:1', value: HOST_14, userId: CAROL, channelId: CHANNEL, messageTs: stored!.statusMessageTs!, responseId: 'carol' });
  const log = await responseTo(slack, 'carol');
  expect(log).toMatchObject({ response_type: 'ephemeral' });
  expect(messageText(log)).toContain('10.0.1.14');
  expect(esb.requests().map(bkUserOf)).toEqual(['carol']);
  expect(slack.calls('users.info').map((c) => c.args.user)).toContain(CAROL);
});

it('an unmapped user is told how to get a mapping, and BlueKing receives nothing', async () => {
  await h.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: NOBODY, responseId: 'show' });
  await h.slash(`watch ${RUNNING.bizId} ${RUNNING.jobInstanceId}`, { userId: NOBODY, responseId: 'watch' });
  await h.click({ actionId: 'joblog_host_log:1', value: HOST_14, userId: NOBODY, channelId: CHANNEL, responseId: 'click' });
  for (const id of ['show', 'watch', 'click']) {
    const reply = await responseTo(slack, id);
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(messageText(reply)).toBe(
      ":no_entry: I don't know your BlueKing user, so I asked BlueKing JOB for nothing. You are not in the bot's user map. Ask the bot's admin to add your Slack id `U0NOBODY1` (or your email `nobody@example.com`) with your BlueKing username to BK_USER_MAP_FILE.",
    );
  }
  expect(esb.requests()).toEqual([]);
  expect(slack.calls('chat.postMessage')).toEqual([]);
  expect((await h.bot.store.listOpenByChannel(CHANNEL)).filter((w) => w.subscriberId === NOBODY)).toEqual([]);
});

it('a bad BK_USER_MAP_FILE stops the start, naming the entry', async () => {
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'users:\n  U0ALICE01: alice\n  alice: alice\n');
  await expect(startHarness({ slack, esb, env: { BK_USER_MAPPING: 'file', BK_USER_MAP_FILE: bad } })).rejects.toThrow(`BK_USER_MAP_FILE ${bad}: users.alice: a key must be a Slack user id (U…) or an email`);
});

describe('email mode', () => {
  let mail: Harness;
  beforeAll(async () => {
    mail = await startHarness({ slack, esb, env: { BK_USER_MAPPING: 'email', BK_USER_EMAIL_PATTERN: '^([^@]+)@corp\\.example\\.com$' } });
  });
  afterAll(() => mail.stop({ keepFakes: true }));

  it('acts as the Slack email pattern says, and refuses an email outside it without asking BlueKing', async () => {
    slack.setUser(ALICE, { email: 'Alice@Corp.Example.com' });
    slack.setUser(NOBODY, { email: 'nobody@elsewhere.example.org' });
    await mail.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: ALICE });
    await slack.waitFor('chat.postMessage');
    expect(esb.requests().map(bkUserOf)).toEqual(['alice']);

    await mail.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: NOBODY, responseId: 'outside' });
    expect(messageText(await responseTo(slack, 'outside'))).toContain("Your email `nobody@elsewhere.example.org` does not fit the bot's BK_USER_EMAIL_PATTERN.");
    expect(esb.requests()).toHaveLength(1);
  });
});

describe('channel policy and audit', () => {
  const OPS_ONLY_3 = 'C0OPS0003';
  const PRIVATE = 'C0PRIVATE';
  let guarded: Harness;
  beforeAll(async () => {
    const policyFile = join(dir, 'policy.yml');
    writeFileSync(policyFile, `default: deny\nchannels:\n  ${OPS_ONLY_3}:\n    businesses: [3]\n  ${PRIVATE}:\n    post_in_channel: false\n`);
    // No BK_USERNAME: with a user map nobody acts as a configured user.
    guarded = await startHarness({ slack, esb, env: { BK_USER_MAPPING: 'file', BK_USER_MAP_FILE: mapFile, CHANNEL_POLICY_FILE: policyFile, BK_USERNAME: '' } });
  });
  afterAll(() => guarded.stop({ keepFakes: true }));

  it('refuses a business the channel does not allow before any BlueKing call, and audits each action with who, as whom, where and how it went', async () => {
    writeMap({ [ALICE]: 'alice', [BOB]: 'bob', 'carol@example.com': 'carol' });
    const other = failedJob({ bizId: 2 });
    esb.setJob(other);
    esb.denyUser('bob');
    await guarded.slash(`2 ${other.jobInstanceId}`, { userId: ALICE, channelId: OPS_ONLY_3, responseId: 'biz2' });
    expect(messageText(await responseTo(slack, 'biz2'))).toBe('This channel does not allow business 2. Ask in a channel that does, or in a direct message with me.');
    await guarded.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: ALICE, channelId: 'C0UNLISTED', responseId: 'unlisted' });
    expect(messageText(await responseTo(slack, 'unlisted'))).toBe("I'm not used in this channel. Ask in a channel where I am, or in a direct message with me.");
    expect(esb.requests()).toEqual([]);

    // Allowed: Alice sees the summary in the channel; Bob is denied by BlueKing; Nobody is unmapped.
    await guarded.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: ALICE, channelId: OPS_ONLY_3 });
    await slack.waitFor('chat.postMessage');
    await guarded.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: BOB, channelId: OPS_ONLY_3, responseId: 'bob3' });
    await responseTo(slack, 'bob3');
    await guarded.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: NOBODY, channelId: OPS_ONLY_3, responseId: 'nobody3' });
    await responseTo(slack, 'nobody3');
    // A channel whose summaries stay private: the summary goes to Alice alone.
    await guarded.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: ALICE, channelId: PRIVATE, responseId: 'private' });
    expect(await responseTo(slack, 'private')).toMatchObject({ response_type: 'ephemeral' });
    expect(slack.calls('chat.postMessage').map((c) => c.args.channel)).toEqual([OPS_ONLY_3]);
    // A host log click, as Carol.
    await guarded.click({ actionId: 'joblog_host_log:1', value: HOST_14, userId: CAROL, channelId: OPS_ONLY_3, responseId: 'carol3' });
    await responseTo(slack, 'carol3');

    let rows: Awaited<ReturnType<typeof guarded.bot.store.listAudit>> = [];
    for (let i = 0; i < 200 && rows.length < 7; i++) {
      rows = await guarded.bot.store.listAudit({ from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const seen = rows
      .map((r) => [r.slackUserId, r.bkUsername, r.channelId, r.bizId, r.jobInstanceId, r.action, r.outcome, r.detail])
      .reverse();
    expect(seen).toEqual([
      [ALICE, null, OPS_ONLY_3, 2, other.jobInstanceId, 'lookup', 'refused', 'policy: business_not_allowed'],
      [ALICE, null, 'C0UNLISTED', FAILED.bizId, FAILED.jobInstanceId, 'lookup', 'refused', 'policy: channel_denied'],
      [ALICE, 'alice', OPS_ONLY_3, FAILED.bizId, FAILED.jobInstanceId, 'lookup', 'ok', null],
      [BOB, 'bob', OPS_ONLY_3, FAILED.bizId, FAILED.jobInstanceId, 'lookup', 'denied', 'BlueKing 9900403'],
      [NOBODY, null, OPS_ONLY_3, FAILED.bizId, FAILED.jobInstanceId, 'lookup', 'unmapped', null],
      [ALICE, 'alice', PRIVATE, FAILED.bizId, FAILED.jobInstanceId, 'lookup', 'ok', null],
      [CAROL, 'carol', OPS_ONLY_3, FAILED.bizId, FAILED.jobInstanceId, 'log_view', 'ok', 'step 2003771002 host 10.0.1.14'],
    ]);
  });
});
