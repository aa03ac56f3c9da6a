/**
 * CHANNEL_POLICY_FILE: the parser (each bad entry named exactly) and the decision table: default
 * allow/deny × listed/unlisted × business allowed or not × direct messages × business set vs
 * business × each action; who may act (`actions`: off, everyone, a list of users and groups, at
 * the top level and per channel) and `mayAct`'s table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages } from '../../src/i18n';
import {
  ALLOW_ALL,
  type ActDecision,
  type ActionRule,
  type ChannelPolicy,
  ChannelPolicyError,
  type PolicyAction,
  type PolicyDecision,
  type PolicyRefusal,
  type PolicyScope,
  type PolicyStop,
  actionRuleOf,
  decide,
  mayAct,
  parseChannelPolicy,
  policyStop,
  readChannelPolicyFile,
  scopeKey,
} from '../../src/policy';

const FULL = `
default: deny
unfurl: true
channels:
  C0123OPS:
    businesses: [1, 2, "set:5"]
    post_in_channel: true
  G0PRIVATE:
    businesses: [5]
    post_in_channel: false
    subscriptions: false
    actions: false
  C0ALL:
`;

const EVERYONE: ActionRule = { kind: 'everyone' };
const OFF: ActionRule = { kind: 'off' };
const only = (users: string[], groups: string[] = []): ActionRule => ({ kind: 'only', users: new Set(users), groups: new Set(groups) });

describe('parseChannelPolicy', () => {
  it('reads the documented form, every setting defaulting to on and every business', () => {
    const policy = parseChannelPolicy(FULL);
    expect(policy.default).toBe('deny');
    expect(policy.unfurl).toBe(true);
    expect(policy.actions).toEqual(EVERYONE);
    expect([...policy.channels]).toEqual([
      ['C0123OPS', { businesses: new Set(['1', '2', 'set:5']), postInChannel: true, subscriptions: true, actions: EVERYONE }],
      ['G0PRIVATE', { businesses: new Set(['5']), postInChannel: false, subscriptions: false, actions: OFF }],
      ['C0ALL', { businesses: '*', postInChannel: true, subscriptions: true, actions: EVERYONE }],
    ]);
  });

  it('reads the flow style, "*", quoted ids and an empty list (no business)', () => {
    const policy = parseChannelPolicy('channels: { C1OPS: { businesses: "*" }, C2OPS: { businesses: ["3", " set:7 "] }, C3OFF: { businesses: [] } }\nunfurl: false');
    expect(policy.default).toBe('allow');
    expect(policy.unfurl).toBe(false);
    expect(policy.channels.get('C1OPS')?.businesses).toBe('*');
    expect(policy.channels.get('C2OPS')?.businesses).toEqual(new Set(['3', 'set:7']));
    expect(policy.channels.get('C3OFF')?.businesses).toEqual(new Set());
  });

  it('reads a file with only a default: no channel listed', () => {
    expect(parseChannelPolicy('default: deny\n')).toEqual({ default: 'deny', channels: new Map(), unfurl: true, actions: EVERYONE });
  });

  it('gives an immutable policy', () => {
    const policy = parseChannelPolicy(FULL);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.channels.get('C0123OPS'))).toBe(true);
    expect(Object.isFrozen(ALLOW_ALL)).toBe(true);
  });

  const ACTIONS_KEYS = 'businesses, post_in_channel, subscriptions, actions';
  const ACTIONS_FORMS = 'must be off, everyone, or a list of Slack user ids and user group ids ([U0123ABCD, S0456GRP])';
  const NOT_AN_ID = 'must be a Slack user id (U…/W…) or user group id (S…)';
  it.each<[string, string]>([
    ['default: maybe\n', 'default: must be allow or deny'],
    ['unfurl: "no"\n', 'unfurl: must be true or false'],
    ['defaults: deny\n', 'defaults: unknown key (expected default, channels, unfurl, actions)'],
    ['channels: [C0123OPS]\n', 'channels: must be a map of Slack channel id → settings'],
    ['channels:\n  ops:\n    businesses: [1]\n', 'channels.ops: a key must be a Slack channel id (C… or G…)'],
    ['channels:\n  c0123ops:\n', 'channels.c0123ops: a key must be a Slack channel id (C… or G…)'],
    ['channels:\n  D0123DM:\n    businesses: [1]\n', "channels.D0123DM: a direct message follows only the user's own permissions; list channels (C…) and private channels (G…)"],
    ['channels:\n  C0123OPS: true\n', `channels.C0123OPS: must be a map of settings (${ACTIONS_KEYS})`],
    ['channels:\n  C0123OPS:\n    post_in_chanel: false\n', `channels.C0123OPS.post_in_chanel: unknown key (expected ${ACTIONS_KEYS})`],
    ['channels:\n  C0123OPS:\n    businesses: all\n', 'channels.C0123OPS.businesses: must be "*" or a list of business ids and "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: 3\n', 'channels.C0123OPS.businesses: must be "*" or a list of business ids and "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: [1, "biz 2"]\n', 'channels.C0123OPS.businesses[1]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: [0]\n', 'channels.C0123OPS.businesses[0]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: [-1]\n', 'channels.C0123OPS.businesses[0]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: [1.5]\n', 'channels.C0123OPS.businesses[0]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: [1, "set:"]\n', 'channels.C0123OPS.businesses[1]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: ["*"]\n', 'channels.C0123OPS.businesses[0]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    businesses: [[1]]\n', 'channels.C0123OPS.businesses[0]: must be a business id or "set:<id>"'],
    ['channels:\n  C0123OPS:\n    post_in_channel: yes\n', 'channels.C0123OPS.post_in_channel: must be true or false'],
    ['channels:\n  C0123OPS:\n    subscriptions: 1\n', 'channels.C0123OPS.subscriptions: must be true or false'],
    ['channels:\n  C0123OPS:\n    actions: "false"\n', `channels.C0123OPS.actions: ${ACTIONS_FORMS}`],
    ['channels:\n  C0123OPS:\n    actions: on\n', `channels.C0123OPS.actions: ${ACTIONS_FORMS}`],
    ['channels:\n  C0123OPS:\n    actions: Everyone\n', `channels.C0123OPS.actions: ${ACTIONS_FORMS}`],
    ['channels:\n  C0123OPS:\n    actions: U0123ABCD\n', `channels.C0123OPS.actions: ${ACTIONS_FORMS}`],
    ['channels:\n  C0123OPS:\n    actions: { users: [U0123ABCD] }\n', `channels.C0123OPS.actions: ${ACTIONS_FORMS}`],
    ['channels:\n  C0123OPS:\n    actions: []\n', 'channels.C0123OPS.actions: an empty list lets no one act; use off'],
    ['channels:\n  C0123OPS:\n    actions: [U0123ABCD, alice]\n', `channels.C0123OPS.actions[1]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [C0123OPS]\n', `channels.C0123OPS.actions[0]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [u0123abcd]\n', `channels.C0123OPS.actions[0]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: ["<@U0123ABCD>"]\n', `channels.C0123OPS.actions[0]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [S0456GRP, "@ops"]\n', `channels.C0123OPS.actions[1]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [U0123ABCD, 42]\n', `channels.C0123OPS.actions[1]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [U0123ABCD, ~]\n', `channels.C0123OPS.actions[1]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [[U0123ABCD]]\n', `channels.C0123OPS.actions[0]: ${NOT_AN_ID}`],
    ['channels:\n  C0123OPS:\n    actions: [U]\n', `channels.C0123OPS.actions[0]: ${NOT_AN_ID}`],
    ['actions: nobody\n', `actions: ${ACTIONS_FORMS}`],
    ['actions: 0\n', `actions: ${ACTIONS_FORMS}`],
    ['actions: []\n', 'actions: an empty list lets no one act; use off'],
    ['actions: [W0123GRID, D0123DM]\n', `actions[1]: ${NOT_AN_ID}`],
    // The top level is checked before the channels.
    ['actions: [x]\nchannels:\n  C0123OPS:\n    actions: [y]\n', `actions[0]: ${NOT_AN_ID}`],
    ['- C0123OPS\n', 'must be a map with `default:` and `channels:`'],
    ['', 'must be a map with `default:` and `channels:`'],
  ])('names the bad entry in %j', (text, message) => {
    let caught: unknown;
    try {
      parseChannelPolicy(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ChannelPolicyError);
    expect((caught as ChannelPolicyError).name).toBe('ChannelPolicyError');
    expect((caught as ChannelPolicyError).message).toBe(message);
  });

  it('keeps the entry and the problem apart for callers', () => {
    expect(() => parseChannelPolicy('channels:\n  C0123OPS:\n    businesses: [1, x]\n')).toThrow(expect.objectContaining({ entry: 'channels.C0123OPS.businesses[1]', problem: 'must be a business id or "set:<id>"' }));
  });

  it.each([
    ['channels: [\n', /^not valid YAML \(/],
    ['channels:\n  C0123OPS:\n  C0123OPS:\n', /^not valid YAML \(Map keys must be unique/],
  ])('reports YAML that does not parse: %j', (text, message) => {
    expect(() => parseChannelPolicy(text)).toThrow(message);
  });
});

describe('who may act (actions)', () => {
  const channel = (policy: ChannelPolicy, id: string): ActionRule | undefined => policy.channels.get(id)?.actions;

  it.each<[string, unknown, ActionRule]>([
    ['off', 'off', OFF],
    ['everyone', 'everyone', EVERYONE],
    ['false (the older spelling of off)', false, OFF],
    ['true (the older spelling of everyone)', true, EVERYONE],
  ])('reads %s at the top level and per channel', (_name, value, rule) => {
    const policy = parseChannelPolicy(`actions: ${String(value)}\nchannels:\n  C0123OPS:\n    actions: ${String(value)}\n`);
    expect(policy.actions).toEqual(rule);
    expect(channel(policy, 'C0123OPS')).toEqual(rule);
  });

  it('reads a list of users (U…, W…) and user groups (S…), block or flow style, quoted or not, trimmed, duplicates once', () => {
    const policy = parseChannelPolicy(
      [
        'actions: [U0123ABCD, S0456GRP]',
        'channels:',
        '  C0123OPS:',
        '    actions:',
        '      - U0AAA',
        '      - "W0GRID"',
        '      - " S0ONCALL "',
        '      - U0AAA',
        '  C0GROUPS:',
        '    actions: [S0A, S0B]',
        '  C0USER:',
        '    actions: [U0ONLY]',
        '',
      ].join('\n'),
    );
    expect(policy.actions).toEqual(only(['U0123ABCD'], ['S0456GRP']));
    expect(channel(policy, 'C0123OPS')).toEqual(only(['U0AAA', 'W0GRID'], ['S0ONCALL']));
    expect(channel(policy, 'C0GROUPS')).toEqual(only([], ['S0A', 'S0B']));
    expect(channel(policy, 'C0USER')).toEqual(only(['U0ONLY']));
  });

  it('defaults to everyone, at the top level and for channels', () => {
    const policy = parseChannelPolicy('channels:\n  C0123OPS:\n    businesses: [1]\n  C0EMPTY:\n');
    expect(policy.actions).toEqual(EVERYONE);
    expect(channel(policy, 'C0123OPS')).toEqual(EVERYONE);
    expect(channel(policy, 'C0EMPTY')).toEqual(EVERYONE);
    expect(parseChannelPolicy('actions:\n').actions).toEqual(EVERYONE);
    expect(ALLOW_ALL.actions).toEqual(EVERYONE);
  });

  it("gives listed channels without their own actions the top level's, and lets a channel's own win", () => {
    const policy = parseChannelPolicy(
      ['actions: [S0ONCALL]', 'channels:', '  C0INHERIT:', '    businesses: [1]', '  C0EMPTY:', '  C0NULL:', '    actions:', '  C0OPEN:', '    actions: everyone', '  C0OFF:', '    actions: false', ''].join('\n'),
    );
    expect(channel(policy, 'C0INHERIT')).toEqual(only([], ['S0ONCALL']));
    expect(channel(policy, 'C0EMPTY')).toEqual(only([], ['S0ONCALL']));
    expect(channel(policy, 'C0NULL')).toEqual(only([], ['S0ONCALL']));
    expect(channel(policy, 'C0OPEN')).toEqual(EVERYONE);
    expect(channel(policy, 'C0OFF')).toEqual(OFF);
    const off = parseChannelPolicy('actions: off\nchannels:\n  C0123OPS:\n  C0ONLY:\n    actions: [U0AAA]\n');
    expect(channel(off, 'C0123OPS')).toEqual(OFF);
    expect(channel(off, 'C0ONLY')).toEqual(only(['U0AAA']));
  });

  it('gives immutable rules', () => {
    const policy = parseChannelPolicy('actions: [U0AAA]\nchannels:\n  C0123OPS:\n    actions: off\n');
    expect(Object.isFrozen(policy.actions)).toBe(true);
    expect(Object.isFrozen(channel(policy, 'C0123OPS'))).toBe(true);
    expect(Object.isFrozen(ALLOW_ALL.actions)).toBe(true);
  });

  it('keeps the entry and the problem apart for a bad list entry', () => {
    expect(() => parseChannelPolicy('channels:\n  C0123OPS:\n    actions: [U0123ABCD, "#ops"]\n')).toThrow(
      expect.objectContaining({ entry: 'channels.C0123OPS.actions[1]', problem: 'must be a Slack user id (U…/W…) or user group id (S…)' }),
    );
  });

  describe('actionRuleOf and mayAct', () => {
    const POLICY = parseChannelPolicy(
      [
        'default: allow',
        'actions: [U0LEAD, S0ONCALL]',
        'channels:',
        '  C0OPS:',
        '    actions: [U0ALICE, W0GRID, S0SRE]',
        '  C0USERS:',
        '    actions: [U0ALICE]',
        '  C0OPEN:',
        '    actions: everyone',
        '  C0OFF:',
        '    actions: off',
        '  C0INHERIT:',
        '    businesses: [1]',
        '',
      ].join('\n'),
    );
    const OFF_TOP = parseChannelPolicy('default: deny\nactions: off\nchannels:\n  C0OPS:\n    actions: [U0ALICE]\n  C0SAME:\n');
    const POLICIES: Readonly<Record<string, ChannelPolicy>> = { POLICY, OFF_TOP, ALLOW_ALL };

    it('gives the listed channel its rule, and direct messages and unlisted channels the top-level one', () => {
      expect(actionRuleOf(POLICY, 'C0OPS')).toEqual(only(['U0ALICE', 'W0GRID'], ['S0SRE']));
      expect(actionRuleOf(POLICY, 'C0OFF')).toEqual(OFF);
      expect(actionRuleOf(POLICY, 'C0INHERIT')).toBe(POLICY.actions);
      expect(actionRuleOf(POLICY, 'C0OTHER')).toBe(POLICY.actions);
      expect(actionRuleOf(POLICY, 'D0123DM')).toBe(POLICY.actions);
      expect(actionRuleOf(OFF_TOP, 'D0123DM')).toEqual(OFF);
      expect(actionRuleOf(ALLOW_ALL, 'C0OTHER')).toEqual(EVERYONE);
    });

    const YES: ActDecision = { allowed: true };
    const OFF_: ActDecision = { allowed: false, why: 'actions_off' };
    const NOT: ActDecision = { allowed: false, why: 'not_allowed_to_act' };

    it.each<[policy: string, channel: string, user: string, groups: string[], decision: ActDecision]>([
      // A list: its users, and the members of its groups (any one group is enough).
      ['POLICY', 'C0OPS', 'U0ALICE', [], YES],
      ['POLICY', 'C0OPS', 'W0GRID', [], YES],
      ['POLICY', 'C0OPS', 'U0BOB', ['S0SRE'], YES],
      ['POLICY', 'C0OPS', 'U0BOB', ['S0OTHER', 'S0SRE'], YES],
      ['POLICY', 'C0OPS', 'U0BOB', [], NOT],
      ['POLICY', 'C0OPS', 'U0BOB', ['S0OTHER'], NOT],
      // The top-level list is not added to a channel's own.
      ['POLICY', 'C0OPS', 'U0LEAD', ['S0ONCALL'], NOT],
      // A list of users only.
      ['POLICY', 'C0USERS', 'U0ALICE', [], YES],
      ['POLICY', 'C0USERS', 'U0BOB', ['S0SRE'], NOT],
      // A group id passed as the user, or a user id among the groups, is not a match.
      ['POLICY', 'C0OPS', 'S0SRE', [], NOT],
      ['POLICY', 'C0OPS', 'U0BOB', ['U0ALICE'], NOT],
      // everyone and off, whoever asks.
      ['POLICY', 'C0OPEN', 'U0BOB', [], YES],
      ['POLICY', 'C0OFF', 'U0ALICE', ['S0SRE'], OFF_],
      ['POLICY', 'C0OFF', 'U0LEAD', ['S0ONCALL'], OFF_],
      // Listed without actions, unlisted, direct messages: the top-level list.
      ['POLICY', 'C0INHERIT', 'U0LEAD', [], YES],
      ['POLICY', 'C0INHERIT', 'U0BOB', ['S0ONCALL'], YES],
      ['POLICY', 'C0INHERIT', 'U0ALICE', ['S0SRE'], NOT],
      ['POLICY', 'C0OTHER', 'U0LEAD', [], YES],
      ['POLICY', 'C0OTHER', 'U0ALICE', [], NOT],
      ['POLICY', 'D0123DM', 'U0BOB', ['S0ONCALL'], YES],
      ['POLICY', 'D0123DM', 'U0ALICE', ['S0SRE'], NOT],
      // Top level off: off in direct messages, unlisted and inheriting channels; a channel's own list still holds.
      ['OFF_TOP', 'D0123DM', 'U0ALICE', [], OFF_],
      ['OFF_TOP', 'C0OTHER', 'U0ALICE', [], OFF_],
      ['OFF_TOP', 'C0SAME', 'U0ALICE', [], OFF_],
      ['OFF_TOP', 'C0OPS', 'U0ALICE', [], YES],
      ['OFF_TOP', 'C0OPS', 'U0BOB', [], NOT],
      // No file: everyone, everywhere.
      ['ALLOW_ALL', 'C0OTHER', 'U0BOB', [], YES],
      ['ALLOW_ALL', 'D0123DM', 'U0BOB', [], YES],
    ])('%s, channel %s, user %s in groups %j → %j', (policy, channelId, userId, groups, decision) => {
      expect(mayAct(POLICIES[policy]!, channelId, userId, groups)).toEqual(decision);
    });

    it("answers decide's act for the same policy: off refuses, a list leaves it to mayAct", () => {
      const act = (policy: ChannelPolicy, channelId: string): PolicyDecision => decide(policy, { channelId, scope: { bizId: 1 }, action: 'act' });
      expect(act(POLICY, 'C0OPS')).toEqual({ allowed: true, postInChannel: true });
      expect(act(POLICY, 'C0OFF')).toEqual({ allowed: false, why: 'actions_off' });
      expect(act(POLICY, 'D0123DM')).toEqual({ allowed: true, postInChannel: true });
      expect(act(OFF_TOP, 'D0123DM')).toEqual({ allowed: false, why: 'actions_off' });
      expect(act(OFF_TOP, 'C0SAME')).toEqual({ allowed: false, why: 'actions_off' });
      expect(act(OFF_TOP, 'C0OPS')).toEqual({ allowed: true, postInChannel: true });
      // Unlisted under `default: deny`: the channel is refused first.
      expect(act(OFF_TOP, 'C0OTHER')).toEqual({ allowed: false, why: 'channel_denied' });
      // Top-level off touches only act.
      expect(decide(OFF_TOP, { channelId: 'D0123DM', scope: { bizId: 1 }, action: 'lookup' })).toEqual({ allowed: true, postInChannel: true });
    });
  });
});

describe('readChannelPolicyFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joblog-policy-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and parses the file', () => {
    const file = join(dir, 'policy.yml');
    writeFileSync(file, FULL);
    expect(readChannelPolicyFile(file)).toEqual(parseChannelPolicy(FULL));
  });

  it('names a file that cannot be read', () => {
    const file = join(dir, 'missing.yml');
    expect(() => readChannelPolicyFile(file)).toThrow(new ChannelPolicyError('', `${file} cannot be read (ENOENT)`));
  });
});

describe('scopeKey', () => {
  it('writes a scope as people type it', () => {
    expect(scopeKey({ bizId: 3 })).toBe('3');
    expect(scopeKey({ bizId: 5, scopeType: 'biz_set' })).toBe('set:5');
  });
});

describe('decide', () => {
  const DENY = parseChannelPolicy(FULL);
  const ALLOW = parseChannelPolicy(FULL.replace('default: deny', 'default: allow'));
  const NO_UNFURL = parseChannelPolicy(FULL.replace('unfurl: true', 'unfurl: false'));
  // Top-level actions off: channels without their own `actions` (C0123OPS, C0ALL), unlisted channels and direct messages.
  const NO_ACTS = parseChannelPolicy(FULL.replace('default: deny', 'default: allow\nactions: off').replace('  C0ALL:\n', '  C0ALL:\n  C0LIST:\n    actions: [U0ALICE]\n'));
  const POLICIES: Readonly<Record<string, ChannelPolicy>> = { DENY, ALLOW, NO_UNFURL, NO_ACTS, ALLOW_ALL };

  const OK: PolicyDecision = { allowed: true, postInChannel: true };
  const PRIVATE: PolicyDecision = { allowed: true, postInChannel: false };
  const no = (why: PolicyRefusal): PolicyDecision => ({ allowed: false, why });
  const BIZ = (bizId: number): PolicyScope => ({ bizId });
  const SET = (bizId: number): PolicyScope => ({ bizId, scopeType: 'biz_set' });

  type Row = [policy: string, channel: string, scope: PolicyScope, lookup: PolicyDecision, watch: PolicyDecision, subscribe: PolicyDecision, unfurl: PolicyDecision, act: PolicyDecision];
  const ACTIONS: readonly PolicyAction[] = ['lookup', 'watch', 'subscribe', 'unfurl', 'act'];

  const TABLE: Row[] = [
    // Listed channel, business listed (business 1, business set 5): everything, in channel.
    ['DENY', 'C0123OPS', BIZ(1), OK, OK, OK, OK, OK],
    ['DENY', 'C0123OPS', SET(5), OK, OK, OK, OK, OK],
    ['ALLOW', 'C0123OPS', BIZ(2), OK, OK, OK, OK, OK],
    // Business not listed; business 5 is not business set 5.
    ['DENY', 'C0123OPS', BIZ(3), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed')],
    ['DENY', 'C0123OPS', BIZ(5), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed')],
    ['ALLOW', 'C0123OPS', BIZ(3), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed')],
    ['ALLOW', 'C0123OPS', SET(1), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed')],
    // A private-summaries channel with subscriptions and actions off: the switch is named before the business.
    ['DENY', 'G0PRIVATE', BIZ(5), PRIVATE, PRIVATE, no('subscriptions_off'), PRIVATE, no('actions_off')],
    ['ALLOW', 'G0PRIVATE', BIZ(5), PRIVATE, PRIVATE, no('subscriptions_off'), PRIVATE, no('actions_off')],
    ['DENY', 'G0PRIVATE', SET(5), no('business_not_allowed'), no('business_not_allowed'), no('subscriptions_off'), no('business_not_allowed'), no('actions_off')],
    // Listed with nothing under it: every business.
    ['DENY', 'C0ALL', BIZ(42), OK, OK, OK, OK, OK],
    ['DENY', 'C0ALL', SET(9), OK, OK, OK, OK, OK],
    // Unlisted channels follow the default.
    ['DENY', 'C0OTHER', BIZ(1), no('channel_denied'), no('channel_denied'), no('channel_denied'), no('channel_denied'), no('channel_denied')],
    ['DENY', 'G0OTHER', SET(5), no('channel_denied'), no('channel_denied'), no('channel_denied'), no('channel_denied'), no('channel_denied')],
    ['ALLOW', 'C0OTHER', BIZ(3), OK, OK, OK, OK, OK],
    ['ALLOW', 'G0OTHER', SET(5), OK, OK, OK, OK, OK],
    // Direct messages: only the user's own permissions apply.
    ['DENY', 'D0123DM', BIZ(3), OK, OK, OK, OK, OK],
    ['DENY', 'D0123DM', SET(9), OK, OK, OK, OK, OK],
    ['ALLOW', 'D0123DM', BIZ(3), OK, OK, OK, OK, OK],
    // `unfurl: false` is off everywhere, direct messages included; the rest as before.
    ['NO_UNFURL', 'C0123OPS', BIZ(1), OK, OK, OK, no('unfurl_off'), OK],
    ['NO_UNFURL', 'C0123OPS', BIZ(3), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('unfurl_off'), no('business_not_allowed')],
    ['NO_UNFURL', 'C0OTHER', BIZ(1), no('channel_denied'), no('channel_denied'), no('channel_denied'), no('unfurl_off'), no('channel_denied')],
    ['NO_UNFURL', 'D0123DM', BIZ(1), OK, OK, OK, no('unfurl_off'), OK],
    // Top-level `actions: off`: act refused where no channel's own list says otherwise; the rest as before.
    ['NO_ACTS', 'C0123OPS', BIZ(1), OK, OK, OK, OK, no('actions_off')],
    ['NO_ACTS', 'C0123OPS', BIZ(3), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('business_not_allowed'), no('actions_off')],
    ['NO_ACTS', 'C0LIST', BIZ(3), OK, OK, OK, OK, OK],
    ['NO_ACTS', 'C0OTHER', BIZ(3), OK, OK, OK, OK, no('actions_off')],
    ['NO_ACTS', 'D0123DM', BIZ(3), OK, OK, OK, OK, no('actions_off')],
    // No file: everything, everywhere, in channel.
    ['ALLOW_ALL', 'C0OTHER', BIZ(3), OK, OK, OK, OK, OK],
    ['ALLOW_ALL', 'G0OTHER', SET(5), OK, OK, OK, OK, OK],
    ['ALLOW_ALL', 'D0123DM', BIZ(3), OK, OK, OK, OK, OK],
  ];

  describe.each(TABLE)('%s policy, channel %s, scope %j', (policy, channelId, scope, ...expected) => {
    it.each(ACTIONS.map((action, i) => [action, expected[i]!] as const))('%s → %j', (action, decision) => {
      expect(decide(POLICIES[policy]!, { channelId, scope, action })).toEqual(decision);
    });
  });
});

describe('policyStop: a watch or subscription made before the policy file changed', () => {
  const POLICY = parseChannelPolicy(FULL);
  type Row = [channel: string, scope: PolicyScope, watch: PolicyStop | null, subscribe: PolicyStop | null];
  const TABLE: Row[] = [
    ['C0123OPS', { bizId: 1 }, null, null],
    ['C0123OPS', { bizId: 5, scopeType: 'biz_set' }, null, null],
    ['C0123OPS', { bizId: 3 }, 'business_not_allowed', 'business_not_allowed'],
    // Summaries private now: a watch or subscription posts in the channel, so it stops; subscriptions off is named first.
    ['G0PRIVATE', { bizId: 5 }, 'private_summaries', 'subscriptions_off'],
    ['C0ALL', { bizId: 42 }, null, null],
    ['C0OTHER', { bizId: 1 }, 'channel_denied', 'channel_denied'],
    // Direct messages: never stopped by the policy.
    ['D0123DM', { bizId: 3 }, null, null],
  ];
  it.each(TABLE)('channel %s, scope %j: watch → %s, subscription → %s', (channelId, scope, watch, subscribe) => {
    expect(policyStop(POLICY, channelId, scope, 'watch')).toBe(watch);
    expect(policyStop(POLICY, channelId, scope, 'subscribe')).toBe(subscribe);
  });

  it('stops nothing without a policy file', () => {
    expect(policyStop(ALLOW_ALL, 'C0OTHER', { bizId: 3 }, 'watch')).toBeNull();
    expect(policyStop(ALLOW_ALL, 'G0OTHER', { bizId: 5, scopeType: 'biz_set' }, 'subscribe')).toBeNull();
  });

  it('says why in both languages, naming the business as people type it', () => {
    const en = messages('en');
    const zh = messages('zh-CN');
    expect(en.reasonPolicy('business_not_allowed', 'set:5')).toBe('the channel policy no longer allows business set:5 in this channel');
    expect(en.reasonPolicy('channel_denied', '3')).toBe('the channel policy no longer lets me post in this channel');
    expect(en.reasonPolicy('subscriptions_off', '3')).toBe('the channel policy turned subscriptions off in this channel');
    expect(en.reasonPolicy('private_summaries', '3')).toBe('the channel policy now keeps job summaries out of this channel');
    expect(zh.reasonPolicy('business_not_allowed', '3')).toBe('频道策略已不再允许本频道使用业务 3');
    expect(en.eventWatchStopped(en.reasonPolicy('channel_denied', '3'))).toBe(':no_entry_sign: Watch stopped: the channel policy no longer lets me post in this channel.');
    expect(zh.eventWatchStopped(zh.reasonPolicy('subscriptions_off', '3'))).toBe(':no_entry_sign: 关注已停止：频道策略已关闭本频道的订阅。');
  });
});

describe('the words for a refusal', () => {
  it('names the business as people type it, in both languages', () => {
    expect(messages('en').policyRefused('business_not_allowed', '2')).toBe('This channel does not allow business 2. Ask in a channel that does, or in a direct message with me.');
    expect(messages('zh-CN').policyRefused('business_not_allowed', 'set:5')).toBe('本频道不允许查询业务 set:5。请在允许该业务的频道中，或在与我的私信中查询。');
  });

  it.each<PolicyRefusal>(['channel_denied', 'business_not_allowed', 'subscriptions_off', 'actions_off', 'not_allowed_to_act', 'unfurl_off'])('has words for %s in each language', (why) => {
    for (const lang of ['en', 'zh-CN'] as const) expect(messages(lang).policyRefused(why, '2')).toMatch(/\S/);
  });

  it('tells a person who may not act whom to ask', () => {
    expect(messages('en').policyRefused('not_allowed_to_act', '2')).toBe('You are not among the people allowed to act on jobs from this channel. Ask one of them, or use the JOB console.');
    expect(messages('zh-CN').policyRefused('not_allowed_to_act', '2')).toBe('你不在可以从本频道操作作业的人员之列。请联系其中一位，或使用作业平台。');
  });
});
