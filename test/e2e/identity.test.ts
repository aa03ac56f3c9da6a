/**
 * End to end: each person acts as their own BlueKing user (BK_USER_MAPPING=file), against the
 * real app and the fakes. What BlueKing received is read from the fake's recorded requests.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedBkRequest } from '../../dev/fakeEsb';
import { type Harness, startHarness } from '../../dev/harness';
import { failedJob, runningJob } from '../../dev/scenarios';
import { useFakes } from '../helpers/fakes';

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

/** The BlueKing user a recorded request was made as (ESB: query or body). */
function bkUserOf(request: RecordedBkRequest): unknown {
  const body = request.body as Record<string, unknown> | undefined;
  return request.query.bk_username ?? body?.bk_username;
}

function textOf(body: unknown): string {
  const message = body as { blocks?: Array<{ text?: { text: string }; elements?: Array<{ text: string }> }>; text?: string };
  return (message.blocks ?? []).map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '').join('\n') || (message.text ?? '');
}

async function responseTo(id: string): Promise<unknown> {
  for (let i = 0; i < 500; i++) {
    const found = slack.responses().find((r) => r.id === id);
    if (found) return found.body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no response to ${id} within 5 s`);
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
  const denied = await responseTo('bob');
  expect(denied).toMatchObject({ response_type: 'ephemeral' });
  expect(textOf(denied)).toContain('BlueKing user `bob` lacks: access_business (Business access).');
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
  const log = await responseTo('carol');
  expect(log).toMatchObject({ response_type: 'ephemeral' });
  expect(textOf(log)).toContain('10.0.1.14');
  expect(esb.requests().map(bkUserOf)).toEqual(['carol']);
  expect(slack.calls('users.info').map((c) => c.args.user)).toContain(CAROL);
});

it('an unmapped user is told how to get a mapping, and BlueKing receives nothing', async () => {
  await h.slash(`${FAILED.bizId} ${FAILED.jobInstanceId}`, { userId: NOBODY, responseId: 'show' });
  await h.slash(`watch ${RUNNING.bizId} ${RUNNING.jobInstanceId}`, { userId: NOBODY, responseId: 'watch' });
  await h.click({ actionId: 'joblog_host_log:1', value: HOST_14, userId: NOBODY, channelId: CHANNEL, responseId: 'click' });
  for (const id of ['show', 'watch', 'click']) {
    const reply = await responseTo(id);
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(textOf(reply)).toBe(
      ":no_entry: I don't know your BlueKing user, so I asked BlueKing for nothing. You are not in the bot's user map. Ask the bot's admin to add your Slack id `U0NOBODY1` (or your email `nobody@example.com`) with your BlueKing username to BK_USER_MAP_FILE.",
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
    expect(textOf(await responseTo('outside'))).toContain("Your email `nobody@elsewhere.example.org` does not fit the bot's BK_USER_EMAIL_PATTERN.");
    expect(esb.requests()).toHaveLength(1);
  });
});
