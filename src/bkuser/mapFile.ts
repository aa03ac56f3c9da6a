/**
 * BK_USER_MAP_FILE: a YAML map from Slack user id or email to BlueKing username,
 *
 *   users:
 *     U0123ABCD: alice
 *     bob@example.com: bob
 *
 * read at start (a bad file stops the start, naming the entry) and again whenever its
 * modification time or size changes, checked on use: a bad edit keeps the last good map and is
 * logged once, so a typo never unmaps everyone.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import type { AppLogger } from '../logger';
import { isRecord } from '../util/json';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** BlueKing usernames: letters, digits and . _ - @ (2.x names from other directories are `name@domain`). */
const BK_USERNAME = /^[A-Za-z0-9._@-]{1,128}$/;

export class UserMapFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'UserMapFileError';
  }
}

/** Slack user ids as written, emails lower-cased. */
export interface UserMap {
  readonly bySlackId: ReadonlyMap<string, string>;
  readonly byEmail: ReadonlyMap<string, string>;
}

/** Parses the file's text; throws a message naming the first bad entry. */
export function parseUserMap(text: string): UserMap {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : 'unreadable'})`, { cause: err });
  }
  if (!isRecord(doc) || !isRecord(doc['users'])) throw new Error('must have a `users:` map of Slack user id or email → BlueKing username');
  const bySlackId = new Map<string, string>();
  const byEmail = new Map<string, string>();
  for (const [key, value] of Object.entries(doc['users'])) {
    if (typeof value !== 'string' || !BK_USERNAME.test(value)) throw new Error(`users.${key}: the BlueKing username must be text of letters, digits and . _ - @`);
    if (SLACK_USER_ID.test(key)) bySlackId.set(key, value);
    else if (EMAIL.test(key)) {
      const email = key.toLowerCase();
      if (byEmail.has(email)) throw new Error(`users.${key}: the email is listed twice`);
      byEmail.set(email, value);
    } else throw new Error(`users.${key}: a key must be a Slack user id (U…) or an email`);
  }
  return { bySlackId, byEmail };
}

/** The map file, reloaded when it changes. */
export class UserMapFile {
  private map: UserMap;
  private version: string;
  /** The version whose problem was already logged, so a bad file is reported once, not per click. */
  private reported: string | null = null;

  /** Reads the file now; throws UserMapFileError when it is missing or bad (a start-up error). */
  constructor(
    readonly file: string,
    private readonly logger: Pick<AppLogger, 'warn' | 'info'>,
  ) {
    const loaded = this.read();
    if ('problem' in loaded) throw new UserMapFileError(file, loaded.problem);
    this.map = loaded.map;
    this.version = loaded.version;
  }

  /** The current map: re-read when the file changed, else the last good one. */
  current(): UserMap {
    const version = this.stat();
    if (version !== null && version !== this.version && version !== this.reported) {
      const loaded = this.read();
      if ('problem' in loaded) {
        this.reported = loaded.version ?? version;
        this.logger.warn({ file: this.file, problem: loaded.problem }, 'BK_USER_MAP_FILE is bad; keeping the last good user map');
      } else {
        this.map = loaded.map;
        this.version = loaded.version;
        this.reported = null;
        this.logger.info({ file: this.file, users: loaded.map.bySlackId.size + loaded.map.byEmail.size }, 'BK_USER_MAP_FILE reloaded');
      }
    } else if (version === null && this.reported !== 'missing') {
      this.reported = 'missing';
      this.logger.warn({ file: this.file }, 'BK_USER_MAP_FILE cannot be read; keeping the last good user map');
    }
    return this.map;
  }

  private stat(): string | null {
    try {
      const stat = statSync(this.file);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return null;
    }
  }

  private read(): { map: UserMap; version: string } | { problem: string; version?: string } {
    const version = this.stat();
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      // Not `instanceof Error`: fs errors may come from another realm (jest), the code is what matters.
      return { problem: `cannot be read (${typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error'})` };
    }
    try {
      return { map: parseUserMap(text), version: version ?? '' };
    } catch (err) {
      return { problem: err instanceof Error ? err.message : String(err), ...(version === null ? {} : { version }) };
    }
  }
}
