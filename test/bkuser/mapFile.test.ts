/**
 * BK_USER_MAP_FILE: parsing (each problem names its entry), reloading on change, and a bad edit
 * keeping the last good map.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { UserMapFile, UserMapFileError, parseUserMap } from '../../src/bkuser';

describe('parseUserMap', () => {
  it('reads Slack ids as written and emails lower-cased', () => {
    const map = parseUserMap('users:\n  U0123ABCD: alice\n  Bob@Example.com: bob\n  W0ENTERPRISE: dept@corp\n');
    expect([...map.bySlackId]).toEqual([
      ['U0123ABCD', 'alice'],
      ['W0ENTERPRISE', 'dept@corp'],
    ]);
    expect([...map.byEmail]).toEqual([['bob@example.com', 'bob']]);
  });

  it('reads the flow style of the README', () => {
    expect(parseUserMap('users: { U0123ABCD: alice, bob@example.com: bob }').byEmail.get('bob@example.com')).toBe('bob');
  });

  it.each([
    ['users:\n  alice: alice\n', 'users.alice: a key must be a Slack user id (U…) or an email'],
    ['users:\n  U0123ABCD: [alice]\n', 'users.U0123ABCD: the BlueKing username must be text'],
    ['users:\n  U0123ABCD: "ali ce"\n', 'users.U0123ABCD: the BlueKing username must be text'],
    ['users:\n  a@x.com: a\n  A@X.com: b\n', 'users.A@X.com: the email is listed twice'],
    ['people:\n  U0123ABCD: alice\n', 'must have a `users:` map'],
    ['users: [\n', 'not valid YAML'],
  ])('names the problem in %j', (text, problem) => {
    expect(() => parseUserMap(text)).toThrow(problem);
  });
});

describe('UserMapFile', () => {
  let dir: string;
  let file: string;
  const logger = pino({ level: 'silent' });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-usermap-'));
    file = join(dir, 'users.yml');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  /** Writes and moves the modification time on, so a same-second rewrite still counts as a change. */
  let tick = 1_700_000_000;
  function write(text: string): void {
    writeFileSync(file, text);
    tick += 10;
    utimesSync(file, tick, tick);
  }

  it('a bad or missing file at start is an error naming the file and the entry', () => {
    write('users:\n  nobody: x\n');
    expect(() => new UserMapFile(file, logger)).toThrow(new UserMapFileError(file, 'users.nobody: a key must be a Slack user id (U…) or an email'));
    expect(() => new UserMapFile(join(dir, 'missing.yml'), logger)).toThrow(/missing\.yml: cannot be read \(ENOENT\)/);
  });

  it('reloads when the file changes', () => {
    write('users:\n  U0ALICE01: alice\n');
    const map = new UserMapFile(file, logger);
    expect(map.current().bySlackId.get('U0ALICE01')).toBe('alice');
    write('users:\n  U0ALICE01: alice2\n  U0BOB0001: bob\n');
    expect(map.current().bySlackId.get('U0ALICE01')).toBe('alice2');
    expect(map.current().bySlackId.get('U0BOB0001')).toBe('bob');
  });

  it('keeps the last good map when an edit is bad, logs why once, and takes the next good edit', () => {
    const warn = jest.spyOn(logger, 'warn');
    write('users:\n  U0ALICE01: alice\n');
    const map = new UserMapFile(file, logger);
    write('users:\n  U0ALICE01: alice\n  typo: bob\n');
    expect(map.current().bySlackId.get('U0ALICE01')).toBe('alice');
    expect(map.current().bySlackId.get('U0ALICE01')).toBe('alice');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith({ file, problem: 'users.typo: a key must be a Slack user id (U…) or an email' }, 'BK_USER_MAP_FILE is bad; keeping the last good user map');
    write('users:\n  U0BOB0001: bob\n');
    expect(map.current().bySlackId.get('U0ALICE01')).toBeUndefined();
    expect(map.current().bySlackId.get('U0BOB0001')).toBe('bob');
  });

  it('keeps the last good map when the file disappears', () => {
    write('users:\n  U0ALICE01: alice\n');
    const map = new UserMapFile(file, logger);
    rmSync(file);
    expect(map.current().bySlackId.get('U0ALICE01')).toBe('alice');
  });
});
