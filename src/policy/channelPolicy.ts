/**
 * CHANNEL_POLICY_FILE: which businesses each Slack channel may use, whether summaries may be
 * posted there or only privately, which features are on, and who may act on jobs,
 *
 *   default: allow              # or deny: channels not listed below
 *   unfurl: true                # false: no previews of pasted JOB links, anywhere
 *   actions: everyone           # who may press buttons that operate jobs, for direct messages,
 *                               # unlisted channels and listed channels without their own `actions`
 *   channels:
 *     C0123OPS:
 *       businesses: [1, 2]      # or "*" (the default); business sets as "set:5"
 *       post_in_channel: true   # false: summaries only privately
 *       subscriptions: true     # false: no subscriptions in this channel
 *       actions: [U0123ABCD, S0456GRP]  # or off, or everyone (true and false: the older spelling)
 *
 * `actions`: `off` (no one), `everyone` (everyone JOB itself allows; the default), or a list of
 * Slack user ids (U…/W…) and user group ids (S…); `true` is kept as `everyone`, `false` as `off`.
 *
 * read once at start (a bad file stops the start, naming the entry), and the pure `decide` that
 * every listener asks before anything is asked of BlueKing, with `mayAct` for who may act. In
 * direct messages (D…) only the user's own BlueKing permissions apply: the policy allows
 * everything there except what a top-level setting turns off for the whole workspace
 * (`unfurl: false`, and the top-level `actions`, which also says who may act from a DM).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { JobRef } from '../bkjob/model';
import { isRecord } from '../util/json';

/** What a person asks for in a channel. `act`: a button that operates a job (retry, confirm…). */
export type PolicyAction = 'lookup' | 'watch' | 'subscribe' | 'unfurl' | 'act';

/** Why the policy refuses: the words for each are `policyRefused` in `i18n/messages.ts`. */
export type PolicyRefusal = 'channel_denied' | 'business_not_allowed' | 'subscriptions_off' | 'actions_off' | 'not_allowed_to_act' | 'unfurl_off';

export type PolicyDecision = { readonly allowed: true; readonly postInChannel: boolean } | { readonly allowed: false; readonly why: PolicyRefusal };

/** A business, or a business set when `scopeType` is `biz_set` (a `JobRef` is one). */
export type PolicyScope = Pick<JobRef, 'bizId' | 'scopeType'>;

export interface PolicyRequest {
  readonly channelId: string;
  readonly scope: PolicyScope;
  readonly action: PolicyAction;
}

/**
 * Who may press a button that operates a job: no one, everyone JOB itself allows, or only these
 * Slack users (U…/W…) and the members of these Slack user groups (S…).
 */
export type ActionRule =
  | { readonly kind: 'off' }
  | { readonly kind: 'everyone' }
  | { readonly kind: 'only'; readonly users: ReadonlySet<string>; readonly groups: ReadonlySet<string> };

/** `mayAct`'s answer: the refusals are `policyRefused`'s words. */
export type ActDecision = { readonly allowed: true } | { readonly allowed: false; readonly why: 'actions_off' | 'not_allowed_to_act' };

/** One listed channel. */
export interface ChannelRule {
  /** `*`: every business; else the allowed scopes as people type them (`3`, `set:5`). */
  readonly businesses: '*' | ReadonlySet<string>;
  /** false: summaries go privately to the person who asked, never into the channel. */
  readonly postInChannel: boolean;
  readonly subscriptions: boolean;
  /** The channel's own `actions`, or the top-level one when it has none. */
  readonly actions: ActionRule;
}

export interface ChannelPolicy {
  /** For channels not in `channels`: `allow` everything, or `deny` everything. */
  readonly default: 'allow' | 'deny';
  readonly channels: ReadonlyMap<string, ChannelRule>;
  /** false: pasted JOB links are never previewed, in any conversation. */
  readonly unfurl: boolean;
  /** Who may act in direct messages, unlisted channels and listed channels without their own `actions` (default everyone). */
  readonly actions: ActionRule;
}

const ACTIONS_OFF: ActionRule = Object.freeze({ kind: 'off' });
const ACTIONS_EVERYONE: ActionRule = Object.freeze({ kind: 'everyone' });

/** The policy without a file: every channel may do everything, summaries in channel, everyone may act. */
export const ALLOW_ALL: ChannelPolicy = Object.freeze({ default: 'allow', channels: new Map<string, ChannelRule>(), unfurl: true, actions: ACTIONS_EVERYONE });

/** A bad policy file; `entry` is where (`channels.C0123OPS.businesses[1]`), empty for the whole file. */
export class ChannelPolicyError extends Error {
  constructor(
    readonly entry: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(entry ? `${entry}: ${problem}` : problem, options);
    this.name = 'ChannelPolicyError';
  }
}

/** Channels (C…) and private channels (G…); direct messages (D…) are named apart. */
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const DM_ID = /^D[A-Z0-9]{2,}$/;
const SCOPE = /^(set:)?([1-9]\d{0,14})$/;
/** Slack users (U…, or W… on Enterprise Grid) and user groups (S…). */
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;

const TOP_KEYS = ['default', 'channels', 'unfurl', 'actions'];
const CHANNEL_KEYS = ['businesses', 'post_in_channel', 'subscriptions', 'actions'];

/** The scope as people type it and the file lists it: `3`, or `set:5` for a business set. */
export function scopeKey(scope: PolicyScope): string {
  return scope.scopeType === 'biz_set' ? `set:${scope.bizId}` : String(scope.bizId);
}

/** Direct messages with the bot: the policy does not restrict them (only the user's own permissions do). */
export function isDirectMessage(channelId: string): boolean {
  return channelId.startsWith('D');
}

/** Parses the file's text; throws a ChannelPolicyError naming the first bad entry. */
export function parseChannelPolicy(text: string): ChannelPolicy {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ChannelPolicyError('', `not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : 'unreadable'})`, { cause: err });
  }
  if (!isRecord(doc)) throw new ChannelPolicyError('', 'must be a map with `default:` and `channels:`');
  unknownKeys(doc, TOP_KEYS, '');

  const fallback = doc['default'] ?? 'allow';
  if (fallback !== 'allow' && fallback !== 'deny') throw new ChannelPolicyError('default', 'must be allow or deny');
  const unfurl = readSwitch(doc, 'unfurl', '');
  const actions = readActions(doc['actions'], 'actions') ?? ACTIONS_EVERYONE;

  const channels = new Map<string, ChannelRule>();
  const listed = doc['channels'] ?? {};
  if (!isRecord(listed)) throw new ChannelPolicyError('channels', 'must be a map of Slack channel id → settings');
  for (const [id, value] of Object.entries(listed)) {
    const at = `channels.${id}`;
    if (DM_ID.test(id)) throw new ChannelPolicyError(at, "a direct message follows only the user's own permissions; list channels (C…) and private channels (G…)");
    if (!CHANNEL_ID.test(id)) throw new ChannelPolicyError(at, 'a key must be a Slack channel id (C… or G…)');
    // `C0123OPS:` with nothing under it: listed, with every setting at its default.
    const settings = value ?? {};
    if (!isRecord(settings)) throw new ChannelPolicyError(at, 'must be a map of settings (businesses, post_in_channel, subscriptions, actions)');
    unknownKeys(settings, CHANNEL_KEYS, at);
    channels.set(
      id,
      Object.freeze({
        businesses: readBusinesses(settings['businesses'], `${at}.businesses`),
        postInChannel: readSwitch(settings, 'post_in_channel', at),
        subscriptions: readSwitch(settings, 'subscriptions', at),
        actions: readActions(settings['actions'], `${at}.actions`) ?? actions,
      }),
    );
  }
  return Object.freeze({ default: fallback, channels, unfurl, actions });
}

/** Reads and parses the file; throws a ChannelPolicyError when it is missing or bad (a start-up error). */
export function readChannelPolicyFile(file: string): ChannelPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // Not `instanceof Error`: fs errors may come from another realm (jest), the code is what matters.
    throw new ChannelPolicyError('', `${file} cannot be read (${typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error'})`);
  }
  return parseChannelPolicy(text);
}

/**
 * May `action` on `scope` happen in `channelId`, and may its summary be posted there? Pure. In
 * order: the workspace switch (`unfurl: false`), direct messages (allowed unless the top-level
 * `actions: off` refuses an `act`), unlisted channels (the default, then the top-level
 * `actions`), the channel's own switches, then its businesses: a channel that has a feature off
 * says so, rather than sending the person to try another business. For `act` this answers only
 * whether acting is on there; who may act is `mayAct`, asked as well.
 */
export function decide(policy: ChannelPolicy, request: PolicyRequest): PolicyDecision {
  const { channelId, scope, action } = request;
  if (action === 'unfurl' && !policy.unfurl) return refuse('unfurl_off');
  const actionsOff = action === 'act' && actionRuleOf(policy, channelId).kind === 'off';
  if (isDirectMessage(channelId)) return actionsOff ? refuse('actions_off') : { allowed: true, postInChannel: true };
  const rule = policy.channels.get(channelId);
  if (!rule) {
    if (policy.default === 'deny') return refuse('channel_denied');
    return actionsOff ? refuse('actions_off') : { allowed: true, postInChannel: true };
  }
  if (action === 'subscribe' && !rule.subscriptions) return refuse('subscriptions_off');
  if (actionsOff) return refuse('actions_off');
  if (rule.businesses !== '*' && !rule.businesses.has(scopeKey(scope))) return refuse('business_not_allowed');
  return { allowed: true, postInChannel: rule.postInChannel };
}

/**
 * Why a watch or subscription already running in `channelId` may no longer post there (the policy
 * file changed since it was made), or null while it may: the same rules that refuse a new one,
 * `private_summaries` for a channel that now keeps summaries private (`post_in_channel: false`).
 */
export type PolicyStop = 'channel_denied' | 'business_not_allowed' | 'subscriptions_off' | 'private_summaries';

export function policyStop(policy: ChannelPolicy, channelId: string, scope: PolicyScope, action: 'watch' | 'subscribe'): PolicyStop | null {
  const decision = decide(policy, { channelId, scope, action });
  if (decision.allowed) return decision.postInChannel ? null : 'private_summaries';
  switch (decision.why) {
    case 'channel_denied':
    case 'business_not_allowed':
    case 'subscriptions_off':
      return decision.why;
    default:
      // decide gives watches and subscriptions no other refusal; should it ever, stop rather than post.
      return 'channel_denied';
  }
}

/**
 * Who may act in `channelId`: the listed channel's rule, else (direct messages, unlisted
 * channels) the top-level one. A caller asks Slack for the user's groups only when this is a
 * list with groups that does not already name the user.
 */
export function actionRuleOf(policy: ChannelPolicy, channelId: string): ActionRule {
  return (isDirectMessage(channelId) ? undefined : policy.channels.get(channelId)?.actions) ?? policy.actions;
}

/**
 * May `userId`, a member of the Slack user groups `groupsOf` (may be empty when the rule names no
 * group), press a button that operates a job in `channelId`? Pure; only the `actions` part of the
 * policy: whether the channel and business are allowed at all is `decide`'s `act`.
 */
export function mayAct(policy: ChannelPolicy, channelId: string, userId: string, groupsOf: readonly string[]): ActDecision {
  const rule = actionRuleOf(policy, channelId);
  if (rule.kind === 'off') return { allowed: false, why: 'actions_off' };
  if (rule.kind === 'everyone' || rule.users.has(userId) || groupsOf.some((group) => rule.groups.has(group))) return { allowed: true };
  return { allowed: false, why: 'not_allowed_to_act' };
}

function refuse(why: PolicyRefusal): PolicyDecision {
  return { allowed: false, why };
}

function unknownKeys(map: Readonly<Record<string, unknown>>, known: readonly string[], at: string): void {
  for (const key of Object.keys(map)) {
    if (!known.includes(key)) throw new ChannelPolicyError(at ? `${at}.${key}` : key, `unknown key (expected ${known.join(', ')})`);
  }
}

/** An optional true/false setting, true when missing. */
function readSwitch(map: Readonly<Record<string, unknown>>, key: string, at: string): boolean {
  const value = map[key] ?? true;
  if (typeof value !== 'boolean') throw new ChannelPolicyError(at ? `${at}.${key}` : key, 'must be true or false');
  return value;
}

/**
 * `off`, `everyone`, `true` (everyone) and `false` (off), or a non-empty list of Slack user ids
 * and user group ids; undefined when missing (the caller's default).
 */
function readActions(value: unknown, at: string): ActionRule | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'off' || value === false) return ACTIONS_OFF;
  if (value === 'everyone' || value === true) return ACTIONS_EVERYONE;
  if (!Array.isArray(value)) throw new ChannelPolicyError(at, 'must be off, everyone, or a list of Slack user ids and user group ids ([U0123ABCD, S0456GRP])');
  if (value.length === 0) throw new ChannelPolicyError(at, 'an empty list lets no one act; use off');
  const users = new Set<string>();
  const groups = new Set<string>();
  value.forEach((item: unknown, i) => {
    const id = typeof item === 'string' ? item.trim() : '';
    if (USER_ID.test(id)) users.add(id);
    else if (USER_GROUP_ID.test(id)) groups.add(id);
    else throw new ChannelPolicyError(`${at}[${i}]`, 'must be a Slack user id (U…/W…) or user group id (S…)');
  });
  return Object.freeze({ kind: 'only', users, groups });
}

/** `"*"` (or missing), or a list of business ids and `"set:<id>"`; an empty list allows none. */
function readBusinesses(value: unknown, at: string): '*' | ReadonlySet<string> {
  if (value === undefined || value === null || value === '*') return '*';
  if (!Array.isArray(value)) throw new ChannelPolicyError(at, 'must be "*" or a list of business ids and "set:<id>"');
  const scopes = new Set<string>();
  value.forEach((item: unknown, i) => {
    const text = typeof item === 'number' && Number.isSafeInteger(item) ? String(item) : typeof item === 'string' ? item.trim() : '';
    const match = SCOPE.exec(text);
    if (!match) throw new ChannelPolicyError(`${at}[${i}]`, 'must be a business id or "set:<id>"');
    // Written as people type it, without leading zeros or spaces, so it matches `scopeKey`.
    scopes.add(`${match[1] ?? ''}${match[2]!}`);
  });
  return scopes;
}
