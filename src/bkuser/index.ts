/**
 * bk-user and the Slack → BlueKing user mapping (BK_USER_MAPPING): builds the resolver a
 * configuration asks for. The composition root passes in the Slack email look-up.
 */
import type { IdentitySettings } from '../bkjob/identity';
import type { BkActor } from '../bkjob/model';
import type { AppLogger } from '../logger';
import { type BkUserDirectory, EsbBkUserDirectory, TenantBkUserDirectory } from './directory';
import { UserMapFile } from './mapFile';
import { ActorResolver, NEGATIVE_TTL_MS } from './resolver';

export { BkUserLookupError, EsbBkUserDirectory, TenantBkUserDirectory, type BkUserDirectory } from './directory';
export { UserMapFile, UserMapFileError, parseUserMap } from './mapFile';
export { ActorResolver, LookupCache, NEGATIVE_TTL_MS } from './resolver';

export type { IdentitySettings } from '../bkjob/identity';

export interface IdentityDeps {
  /** BK_USERNAME/BK_TOKEN: set whenever the mode is fixed (config checks it). */
  readonly fixedActor: BkActor | null;
  /** BK_API_BASE_URL and the app's credentials: bk-user 2.x is reached through ESB like JOB. */
  readonly esbBaseUrl: string;
  readonly appCode: string;
  readonly appSecret: string;
  readonly timeoutMs: number;
  readonly emailOf: (slackUserId: string) => Promise<string | null>;
  readonly logger: AppLogger;
  readonly now: () => number;
}

/** The resolver for these settings; a bad BK_USER_MAP_FILE throws `UserMapFileError` (a start-up error). */
export function createActorResolver(settings: IdentitySettings, deps: IdentityDeps): ActorResolver {
  const log = deps.logger.child({ component: 'identity' });
  const credentials = { appCode: deps.appCode, appSecret: deps.appSecret };
  let directory: BkUserDirectory | undefined;
  if (settings.mode === 'bkuser') {
    directory =
      settings.userApi === 'v3'
        ? new TenantBkUserDirectory({ gatewayUrl: settings.userApiUrl ?? '', credentials, tenantId: settings.tenantId ?? '', timeoutMs: deps.timeoutMs, maxAgeMs: settings.cacheTtlMs, missMaxAgeMs: NEGATIVE_TTL_MS, now: deps.now })
        : new EsbBkUserDirectory(deps.esbBaseUrl, credentials, deps.timeoutMs);
  }
  const mapFile = settings.mode === 'file' && settings.mapFile ? new UserMapFile(settings.mapFile, log) : undefined;
  return new ActorResolver(
    { mode: settings.mode, fixedActor: deps.fixedActor, emailPattern: settings.emailPattern, cacheTtlMs: settings.cacheTtlMs },
    { emailOf: deps.emailOf, ...(directory ? { directory } : {}), ...(mapFile ? { mapFile } : {}) },
    log,
    deps.now,
  );
}
