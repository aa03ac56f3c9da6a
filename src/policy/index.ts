/**
 * The channel policy (CHANNEL_POLICY_FILE): which businesses each channel may use, where its
 * summaries go, which features are on, who may act; `decide` (and `mayAct` for a button that
 * operates a job) answers before anything is asked of BlueKing.
 */
export {
  ALLOW_ALL,
  type ActDecision,
  type ActionRule,
  type ChannelPolicy,
  ChannelPolicyError,
  type ChannelRule,
  type PolicyAction,
  type PolicyDecision,
  type PolicyRefusal,
  type PolicyRequest,
  type PolicyScope,
  type PolicyStop,
  actionRuleOf,
  decide,
  isDirectMessage,
  mayAct,
  parseChannelPolicy,
  policyStop,
  readChannelPolicyFile,
  scopeKey,
} from './channelPolicy';
