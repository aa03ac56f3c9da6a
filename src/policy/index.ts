/**
 * The channel policy (CHANNEL_POLICY_FILE): which businesses each channel may use, where its
 * summaries go, which features are on; `decide` answers before anything is asked of BlueKing.
 */
export {
  ALLOW_ALL,
  type ChannelPolicy,
  ChannelPolicyError,
  type ChannelRule,
  type PolicyAction,
  type PolicyDecision,
  type PolicyRefusal,
  type PolicyRequest,
  type PolicyScope,
  decide,
  isDirectMessage,
  parseChannelPolicy,
  readChannelPolicyFile,
  scopeKey,
} from './channelPolicy';
