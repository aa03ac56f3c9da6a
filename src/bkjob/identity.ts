/**
 * Who a Slack user is in BlueKing: the answer of the identity resolver (`bkuser/`), shared by the
 * listeners, the watch domain and the words that explain a missing mapping (`i18n/`).
 */
import type { BkActor } from './model';

/** BK_USER_MAPPING: how a Slack user becomes a BlueKing user. `fixed`: everyone acts as BK_USERNAME. */
export type UserMappingMode = 'email' | 'bkuser' | 'file' | 'fixed';
export const USER_MAPPING_MODES: readonly UserMappingMode[] = ['email', 'bkuser', 'file', 'fixed'];

/** Why a Slack user has no BlueKing user right now. */
export type UnmappedWhy =
  /** The Slack profile shows no email (scope users:read.email missing, or a bot/guest without one). */
  | 'no_email'
  /** The email does not fit BK_USER_EMAIL_PATTERN. */
  | 'no_match'
  /** bk-user has no user with that email, or the map file has no entry for the user. */
  | 'not_found'
  /** bk-user has several users with that email: picking one could act as the wrong person. */
  | 'ambiguous'
  /** Slack or bk-user could not be asked, and nothing was known about the user before. */
  | 'lookup_failed';

export interface UnmappedReason {
  readonly mode: Exclude<UserMappingMode, 'fixed'>;
  readonly why: UnmappedWhy;
  /** The email the look-up used, when there was one (shown to its owner only). */
  readonly email?: string;
}

export type ActorResolution =
  | {
      readonly kind: 'mapped';
      readonly actor: BkActor;
      /** Stored with a watch the user creates; null means "the configured BK_USERNAME/BK_TOKEN" (fixed mode). */
      readonly bkUsername: string | null;
    }
  | { readonly kind: 'unmapped'; readonly reason: UnmappedReason };

/** The resolver as the listeners and the poller see it. */
export type ResolveActor = (slackUserId: string) => Promise<ActorResolution>;

/** The BlueKing user a watch polls as: its stored user, else whatever the subscriber resolves to (fixed mode, older watches). */
export function actorOfStored(bkUsername: string): ActorResolution {
  return { kind: 'mapped', actor: { kind: 'username', username: bkUsername }, bkUsername };
}

/** Who each Slack user acts as in BlueKing: BK_USER_MAPPING and the settings each mode reads. */
export interface IdentitySettings {
  readonly mode: UserMappingMode;
  /** email mode: BK_USER_EMAIL_PATTERN (one capture group); null: the email's local part. */
  readonly emailPattern: RegExp | null;
  /** bkuser mode: v2 (ESB usermanage, at BK_API_BASE_URL) or v3 (multi-tenant bk-user gateway). */
  readonly userApi: 'v2' | 'v3';
  /** bkuser v3: the bk-user API gateway stage URL and the tenant (`X-Bk-Tenant-Id`). */
  readonly userApiUrl: string | null;
  readonly tenantId: string | null;
  /** file mode: BK_USER_MAP_FILE. */
  readonly mapFile: string | null;
  readonly cacheTtlMs: number;
}
