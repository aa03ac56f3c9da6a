/**
 * The Slack → BlueKing user resolver, per BK_USER_MAPPING mode: what each mode answers, the TTL and
 * negative caches, and outages (the last known answer, never another user).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ActorResolution } from '../../src/bkjob/identity';
import type { BkActor } from '../../src/bkjob/model';
import { ActorResolver, type BkUserDirectory, NEGATIVE_TTL_MS, UserMapFile } from '../../src/bkuser';
import type { ResolverSettings, ResolverSources } from '../../src/bkuser/resolver';

const FIXED: BkActor = { kind: 'username', username: 'admin' };
const HOUR = 3_600_000;

function mapped(username: string): ActorResolution {
  return { kind: 'mapped', actor: { kind: 'username', username }, bkUsername: username };
}

function setup(settings: Partial<ResolverSettings>, sources: ResolverSources) {
  const clock = { now: 1_000_000 };
  const logger = pino({ level: 'silent' });
  const warn = jest.spyOn(logger, 'warn');
  const resolver = new ActorResolver({ mode: 'email', fixedActor: FIXED, emailPattern: null, cacheTtlMs: HOUR, ...settings }, sources, logger, () => clock.now);
  return { resolver, clock, warn };
}

/** A Slack profile look-up answering from a table; `down` makes it throw like an outage. */
function slackEmails(emails: Record<string, string | null>) {
  const state = { down: false };
  const emailOf = jest.fn((id: string) => (state.down ? Promise.reject(new Error('slack down')) : Promise.resolve(emails[id] ?? null)));
  return { emailOf, state };
}

describe('fixed mode', () => {
  it('answers the configured actor for everyone, stored as null, asking nobody', async () => {
    const { emailOf } = slackEmails({});
    const { resolver } = setup({ mode: 'fixed' }, { emailOf });
    expect(await resolver.resolve('U1')).toEqual({ kind: 'mapped', actor: FIXED, bkUsername: null });
    expect(emailOf).not.toHaveBeenCalled();
  });
});

describe('email mode', () => {
  it('takes the local part of the profile email (lower-cased)', async () => {
    const { emailOf } = slackEmails({ U1: 'Alice.Wang@Corp.example.com' });
    const { resolver } = setup({}, { emailOf });
    expect(await resolver.resolve('U1')).toEqual(mapped('alice.wang'));
  });

  it('takes BK_USER_EMAIL_PATTERN capture group, and refuses emails that do not fit', async () => {
    const { emailOf } = slackEmails({ U1: 'alice@corp.example.com', U2: 'mallory@evil.example.org' });
    const { resolver } = setup({ emailPattern: /^([^@]+)@corp\.example\.com$/i }, { emailOf });
    expect(await resolver.resolve('U1')).toEqual(mapped('alice'));
    expect(await resolver.resolve('U2')).toEqual({ kind: 'unmapped', reason: { mode: 'email', why: 'no_match', email: 'mallory@evil.example.org' } });
  });

  it('is unmapped when the profile shows no email', async () => {
    const { emailOf } = slackEmails({ U1: null });
    const { resolver } = setup({}, { emailOf });
    expect(await resolver.resolve('U1')).toEqual({ kind: 'unmapped', reason: { mode: 'email', why: 'no_email' } });
  });

  it('caches an email for the TTL, then asks Slack again', async () => {
    const { emailOf } = slackEmails({ U1: 'alice@corp.example.com' });
    const { resolver, clock } = setup({}, { emailOf });
    await resolver.resolve('U1');
    clock.now += HOUR - 1;
    await resolver.resolve('U1');
    expect(emailOf).toHaveBeenCalledTimes(1);
    clock.now += 1;
    await resolver.resolve('U1');
    expect(emailOf).toHaveBeenCalledTimes(2);
  });

  it('caches "no email" for a shorter while (the negative cache)', async () => {
    const emails: Record<string, string | null> = { U1: null };
    const { emailOf } = slackEmails(emails);
    const { resolver, clock } = setup({}, { emailOf });
    expect((await resolver.resolve('U1')).kind).toBe('unmapped');
    emails.U1 = 'alice@corp.example.com';
    clock.now += NEGATIVE_TTL_MS - 1;
    expect((await resolver.resolve('U1')).kind).toBe('unmapped');
    expect(emailOf).toHaveBeenCalledTimes(1);
    clock.now += 1;
    expect(await resolver.resolve('U1')).toEqual(mapped('alice'));
  });

  it('serves the last known email through a Slack outage, and is unmapped (not someone else) with none', async () => {
    const { emailOf, state } = slackEmails({ U1: 'alice@corp.example.com', U2: 'bob@corp.example.com' });
    const { resolver, clock, warn } = setup({}, { emailOf });
    await resolver.resolve('U1');
    state.down = true;
    clock.now += 2 * HOUR;
    expect(await resolver.resolve('U1')).toEqual(mapped('alice'));
    expect(await resolver.resolve('U2')).toEqual({ kind: 'unmapped', reason: { mode: 'email', why: 'lookup_failed' } });
    expect(warn).toHaveBeenCalled();
  });

  it('asks Slack once for concurrent look-ups of one user', async () => {
    const { emailOf } = slackEmails({ U1: 'alice@corp.example.com' });
    const { resolver } = setup({}, { emailOf });
    const answers = await Promise.all([resolver.resolve('U1'), resolver.resolve('U1'), resolver.resolve('U1')]);
    expect(answers).toEqual([mapped('alice'), mapped('alice'), mapped('alice')]);
    expect(emailOf).toHaveBeenCalledTimes(1);
  });
});

describe('bkuser mode', () => {
  function directory(table: Record<string, readonly string[]>) {
    const state = { down: false };
    const usernamesByEmail = jest.fn((email: string) => (state.down ? Promise.reject(new Error('bk-user down')) : Promise.resolve(table[email] ?? [])));
    const dir: BkUserDirectory = { usernamesByEmail };
    return { dir, usernamesByEmail, state };
  }

  it('maps the email to the one bk-user user with it (the opaque 3.x bk_username as is)', async () => {
    const { emailOf } = slackEmails({ U1: 'Alice@corp.example.com' });
    const { dir } = directory({ 'alice@corp.example.com': ['q9k6bhqks0ckl5ew'] });
    const { resolver } = setup({ mode: 'bkuser' }, { emailOf, directory: dir });
    expect(await resolver.resolve('U1')).toEqual(mapped('q9k6bhqks0ckl5ew'));
  });

  it('is unmapped when nobody or several users have the email', async () => {
    const { emailOf } = slackEmails({ U1: 'nobody@corp.example.com', U2: 'shared@corp.example.com' });
    const { dir } = directory({ 'shared@corp.example.com': ['ops1', 'ops2'] });
    const { resolver } = setup({ mode: 'bkuser' }, { emailOf, directory: dir });
    expect(await resolver.resolve('U1')).toEqual({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'not_found', email: 'nobody@corp.example.com' } });
    expect(await resolver.resolve('U2')).toEqual({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'ambiguous', email: 'shared@corp.example.com' } });
    // From the negative cache, still with the reason.
    expect(await resolver.resolve('U2')).toEqual({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'ambiguous', email: 'shared@corp.example.com' } });
  });

  it('caches hits for the TTL and misses for the negative TTL', async () => {
    const table: Record<string, readonly string[]> = { 'alice@corp.example.com': ['alice'] };
    const { emailOf } = slackEmails({ U1: 'alice@corp.example.com', U2: 'new@corp.example.com' });
    const { dir, usernamesByEmail } = directory(table);
    const { resolver, clock } = setup({ mode: 'bkuser' }, { emailOf, directory: dir });
    await resolver.resolve('U1');
    await resolver.resolve('U2');
    table['new@corp.example.com'] = ['newbie'];
    clock.now += NEGATIVE_TTL_MS - 1;
    await resolver.resolve('U1');
    expect((await resolver.resolve('U2')).kind).toBe('unmapped');
    expect(usernamesByEmail).toHaveBeenCalledTimes(2);
    clock.now += 1;
    expect(await resolver.resolve('U2')).toEqual(mapped('newbie'));
    expect(usernamesByEmail).toHaveBeenCalledTimes(3);
  });

  it('serves the last known user through a bk-user outage; unknown users stay unmapped', async () => {
    const { emailOf } = slackEmails({ U1: 'alice@corp.example.com', U2: 'bob@corp.example.com' });
    const { dir, state } = directory({ 'alice@corp.example.com': ['alice'], 'bob@corp.example.com': ['bob'] });
    const { resolver, clock } = setup({ mode: 'bkuser' }, { emailOf, directory: dir });
    await resolver.resolve('U1');
    state.down = true;
    clock.now += 3 * HOUR;
    expect(await resolver.resolve('U1')).toEqual(mapped('alice'));
    expect(await resolver.resolve('U2')).toEqual({ kind: 'unmapped', reason: { mode: 'bkuser', why: 'lookup_failed', email: 'bob@corp.example.com' } });
  });
});

describe('file mode', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-usermap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps by Slack id without asking Slack, else by email; others are unmapped', async () => {
    const file = join(dir, 'users.yml');
    writeFileSync(file, 'users:\n  U0ALICE01: alice\n  Bob@Example.com: bob\n');
    const { emailOf } = slackEmails({ U0BOB0001: 'bob@example.com', U0EVE0001: 'eve@example.com' });
    const { resolver } = setup({ mode: 'file' }, { emailOf, mapFile: new UserMapFile(file, pino({ level: 'silent' })) });
    expect(await resolver.resolve('U0ALICE01')).toEqual(mapped('alice'));
    expect(emailOf).not.toHaveBeenCalled();
    expect(await resolver.resolve('U0BOB0001')).toEqual(mapped('bob'));
    expect(await resolver.resolve('U0EVE0001')).toEqual({ kind: 'unmapped', reason: { mode: 'file', why: 'not_found', email: 'eve@example.com' } });
  });

  it('does not ask Slack at all when the file lists no emails', async () => {
    const file = join(dir, 'users.yml');
    writeFileSync(file, 'users:\n  U0ALICE01: alice\n');
    const { emailOf } = slackEmails({});
    const { resolver } = setup({ mode: 'file' }, { emailOf, mapFile: new UserMapFile(file, pino({ level: 'silent' })) });
    expect(await resolver.resolve('U0NOBODY1')).toEqual({ kind: 'unmapped', reason: { mode: 'file', why: 'not_found' } });
    expect(emailOf).not.toHaveBeenCalled();
  });
});
