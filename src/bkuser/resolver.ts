/**
 * Slack user → BlueKing user, per BK_USER_MAPPING:
 *
 * - `fixed`: everyone acts as the configured BK_USERNAME / BK_TOKEN (the old behaviour);
 * - `email`: the Slack profile's email, its local part or BK_USER_EMAIL_PATTERN's capture;
 * - `bkuser`: that email looked up in bk-user (`directory.ts`);
 * - `file`: BK_USER_MAP_FILE, by Slack user id, else by email (`mapFile.ts`).
 *
 * Slack and bk-user answers are cached for BK_USER_CACHE_TTL, "not found" for a shorter while. When
 * Slack or bk-user cannot be asked, the last known answer is served however old; with none the
 * user is unmapped. Nothing ever falls back to another user.
 */
import type { ActorResolution, UnmappedReason, UserMappingMode } from '../bkjob/identity';
import type { BkActor } from '../bkjob/model';
import type { AppLogger } from '../logger';
import type { BkUserDirectory } from './directory';
import type { UserMapFile } from './mapFile';

/** "Not found" is remembered at most this long, so a fix (a new bk-user email, a Slack profile edit) shows soon. */
export const NEGATIVE_TTL_MS = 5 * 60_000;

export interface ResolverSettings {
  readonly mode: UserMappingMode;
  /** The configured actor: everyone's in `fixed` mode, nobody's otherwise. */
  /** BK_USERNAME/BK_TOKEN: set whenever the mode is fixed (config checks it). */
  readonly fixedActor: BkActor | null;
  /** BK_USER_EMAIL_PATTERN, with one capture group; default: the email's local part. */
  readonly emailPattern: RegExp | null;
  readonly cacheTtlMs: number;
}

export interface ResolverSources {
  /** The Slack profile email (users.info, scope users:read.email); null when it shows none; throws when Slack cannot be asked. */
  readonly emailOf?: (slackUserId: string) => Promise<string | null>;
  readonly directory?: BkUserDirectory;
  readonly mapFile?: UserMapFile;
}

type Lookup<V> = { readonly kind: 'found'; readonly value: V } | { readonly kind: 'none' } | { readonly kind: 'failed' };

/**
 * A TTL cache of look-ups: found values live `ttlMs`, misses `negativeTtlMs`; a failed reload
 * serves the last found value (never a miss: a miss could be the outage's doing).
 */
export class LookupCache<V> {
  private readonly entries = new Map<string, { at: number; value: V | null }>();
  private readonly inFlight = new Map<string, Promise<Lookup<V>>>();

  constructor(
    private readonly ttlMs: number,
    private readonly negativeTtlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string, load: () => Promise<V | null>, onFailure: (err: unknown) => void): Promise<Lookup<V>> {
    const entry = this.entries.get(key);
    const age = entry ? this.now() - entry.at : Infinity;
    if (entry && age < (entry.value === null ? this.negativeTtlMs : this.ttlMs)) return entry.value === null ? { kind: 'none' } : { kind: 'found', value: entry.value };
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.load(key, load, onFailure, entry?.value ?? null).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return running;
  }

  private async load(key: string, load: () => Promise<V | null>, onFailure: (err: unknown) => void, lastFound: V | null): Promise<Lookup<V>> {
    try {
      const value = await load();
      this.entries.delete(key);
      this.entries.set(key, { at: this.now(), value });
      // Insertion order: the first key is the oldest.
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      return value === null ? { kind: 'none' } : { kind: 'found', value };
    } catch (err) {
      onFailure(err);
      return lastFound === null ? { kind: 'failed' } : { kind: 'found', value: lastFound };
    }
  }
}

export class ActorResolver {
  private readonly emails: LookupCache<string>;
  private readonly directoryUsers: LookupCache<string>;
  /** Emails bk-user last gave several users for (shared mailboxes: few), so a cached miss keeps its reason. */
  private readonly ambiguous = new Set<string>();
  private readonly settings: ResolverSettings;

  constructor(
    settings: ResolverSettings,
    private readonly sources: ResolverSources,
    private readonly logger: Pick<AppLogger, 'warn'>,
    now: () => number = Date.now,
  ) {
    this.settings = settings;
    const negative = Math.min(NEGATIVE_TTL_MS, settings.cacheTtlMs);
    this.emails = new LookupCache(settings.cacheTtlMs, negative, now);
    this.directoryUsers = new LookupCache(settings.cacheTtlMs, negative, now);
    if (settings.mode !== 'fixed' && settings.mode !== 'file' && !sources.emailOf) throw new Error(`BK_USER_MAPPING=${settings.mode} needs the Slack email look-up`);
    if (settings.mode === 'bkuser' && !sources.directory) throw new Error('BK_USER_MAPPING=bkuser needs a bk-user directory');
    if (settings.mode === 'file' && !sources.mapFile) throw new Error('BK_USER_MAPPING=file needs BK_USER_MAP_FILE');
  }

  readonly resolve = async (slackUserId: string): Promise<ActorResolution> => {
    const { mode } = this.settings;
    if (mode === 'fixed') {
      if (this.settings.fixedActor === null) throw new Error('BK_USER_MAPPING=fixed needs BK_USERNAME or BK_TOKEN');
      return { kind: 'mapped', actor: this.settings.fixedActor, bkUsername: null };
    }
    if (mode === 'file') {
      // By Slack id first: no Slack call at all for users listed that way.
      const map = this.sources.mapFile!.current();
      const byId = map.bySlackId.get(slackUserId);
      if (byId !== undefined) return mapped(byId);
      if (map.byEmail.size === 0) return unmapped({ mode, why: 'not_found' });
    }
    const email = await this.emails.get(slackUserId, async () => normalizeEmail(await this.sources.emailOf!(slackUserId)), (err) => this.logger.warn({ err, user: slackUserId }, 'could not read a Slack profile email'));
    if (email.kind === 'failed') return unmapped({ mode, why: 'lookup_failed' });
    if (email.kind === 'none') return unmapped({ mode, why: 'no_email' });
    switch (mode) {
      case 'email':
        return this.fromEmail(email.value);
      case 'file': {
        const username = this.sources.mapFile!.current().byEmail.get(email.value);
        return username === undefined ? unmapped({ mode, why: 'not_found', email: email.value }) : mapped(username);
      }
      case 'bkuser':
        return this.fromDirectory(email.value);
    }
  };

  private fromEmail(email: string): ActorResolution {
    const { emailPattern } = this.settings;
    const username = emailPattern ? emailPattern.exec(email)?.[1] : email.slice(0, email.indexOf('@'));
    return username ? mapped(username) : unmapped({ mode: 'email', why: 'no_match', email });
  }

  private async fromDirectory(email: string): Promise<ActorResolution> {
    const found = await this.directoryUsers.get(
      email,
      async () => {
        const names = await this.sources.directory!.usernamesByEmail(email);
        // Several users share the email: none of them is picked (cached as a miss, remembered as why).
        if (names.length > 1) this.ambiguous.add(email);
        else this.ambiguous.delete(email);
        return names.length === 1 ? names[0]! : null;
      },
      (err) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not look a user up in bk-user'),
    );
    if (found.kind === 'found') return mapped(found.value);
    return unmapped({ mode: 'bkuser', why: found.kind === 'failed' ? 'lookup_failed' : this.ambiguous.has(email) ? 'ambiguous' : 'not_found', email });
  }
}

function mapped(username: string): ActorResolution {
  return { kind: 'mapped', actor: { kind: 'username', username }, bkUsername: username };
}

function unmapped(reason: UnmappedReason): ActorResolution {
  return { kind: 'unmapped', reason };
}

function normalizeEmail(email: string | null): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed && trimmed.includes('@') ? trimmed : null;
}
