/**
 * CHANNEL_POLICY_FILE: the parser (each bad entry named exactly) and the decision table: default
 * allow/deny × listed/unlisted × business allowed or not × direct messages × business set vs
 * business × each action.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages } from '../../src/i18n';
import {
  ALLOW_ALL,
  type ChannelPolicy,
  ChannelPolicyError,
  type PolicyAction,
  type PolicyDecision,
  type PolicyRefusal,
  type PolicyScope,
  decide,
  parseChannelPolicy,
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

describe('parseChannelPolicy', () => {
  it('reads the documented form, every setting defaulting to on and every business', () => {
    const policy = parseChannelPolicy(FULL);
    expect(policy.default).toBe('deny');
    expect(policy.unfurl).toBe(true);
    expect([...policy.channels]).toEqual([
      ['C0123OPS', { businesses: new Set(['1', '2', 'set:5']), postInChannel: true, subscriptions: true, actions: true }],
      ['G0PRIVATE', { businesses: new Set(['5']), postInChannel: false, subscriptions: false, actions: false }],
      ['C0ALL', { businesses: '*', postInChannel: true, subscriptions: true, actions: true }],
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
    expect(parseChannelPolicy('default: deny\n')).toEqual({ default: 'deny', channels: new Map(), unfurl: true });
  });

  it('gives an immutable policy', () => {
    const policy = parseChannelPolicy(FULL);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.channels.get('C0123OPS'))).toBe(true);
    expect(Object.isFrozen(ALLOW_ALL)).toBe(true);
  });

  const ACTIONS_KEYS = 'businesses, post_in_channel, subscriptions, actions';
  it.each<[string, string]>([
    ['default: maybe\n', 'default: must be allow or deny'],
    ['unfurl: "no"\n', 'unfurl: must be true or false'],
    ['defaults: deny\n', 'defaults: unknown key (expected default, channels, unfurl)'],
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
    ['channels:\n  C0123OPS:\n    actions: "false"\n', 'channels.C0123OPS.actions: must be true or false'],
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
  const POLICIES: Readonly<Record<string, ChannelPolicy>> = { DENY, ALLOW, NO_UNFURL, ALLOW_ALL };

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

describe('the words for a refusal', () => {
  it('names the business as people type it, in both languages', () => {
    expect(messages('en').policyRefused('business_not_allowed', '2')).toBe('This channel does not allow business 2. Ask in a channel that does, or in a direct message with me.');
    expect(messages('zh-CN').policyRefused('business_not_allowed', 'set:5')).toBe('本频道不允许查询业务 set:5。请在允许该业务的频道中，或在与我的私信中查询。');
  });

  it.each<PolicyRefusal>(['channel_denied', 'business_not_allowed', 'subscriptions_off', 'actions_off', 'unfurl_off'])('has words for %s in each language', (why) => {
    for (const lang of ['en', 'zh-CN'] as const) expect(messages(lang).policyRefused(why, '2')).toMatch(/\S/);
  });
});
