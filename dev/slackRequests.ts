/**
 * Builds and signs the HTTP requests Slack sends to an app (slash commands, block actions,
 * external-select option loads), so tests and the offline demo can drive a running Bolt app
 * exactly as Slack would: form-encoded bodies, `x-slack-signature` over the raw body.
 */
import { createHmac } from 'node:crypto';

/** Values Slack puts in every request that the bot does not care about; fixed for determinism. */
export const FAKE_SLACK_VERIFICATION_TOKEN = 'fake-verification-token';
export const FAKE_SLACK_APP_ID = 'A0FAKEAPP01';
export const FAKE_SLACK_TEAM_DOMAIN = 'fake-team';

export interface SlackSignatureHeaders {
  readonly 'x-slack-request-timestamp': string;
  readonly 'x-slack-signature': string;
}

/** `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), as Slack signs requests. */
export function signSlackRequest(signingSecret: string, rawBody: string, timestampSeconds: number = Math.floor(Date.now() / 1000)): SlackSignatureHeaders {
  const signature = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${rawBody}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestampSeconds), 'x-slack-signature': `v0=${signature}` };
}

export interface SlashCommandInput {
  /** Default `/joblog`. */
  readonly command?: string;
  readonly text: string;
  readonly userId: string;
  readonly userName?: string;
  readonly channelId: string;
  readonly channelName?: string;
  readonly teamId: string;
  readonly responseUrl: string;
  readonly triggerId: string;
}

/** The form body Slack POSTs for a slash command. */
export function slashCommandBody(input: SlashCommandInput): string {
  return new URLSearchParams({
    token: FAKE_SLACK_VERIFICATION_TOKEN,
    team_id: input.teamId,
    team_domain: FAKE_SLACK_TEAM_DOMAIN,
    channel_id: input.channelId,
    channel_name: input.channelName ?? defaultChannelName(input.channelId),
    user_id: input.userId,
    user_name: input.userName ?? defaultUserName(input.userId),
    command: input.command ?? '/joblog',
    text: input.text,
    api_app_id: FAKE_SLACK_APP_ID,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  }).toString();
}

export type BlockActionElementType = 'button' | 'static_select' | 'external_select';

export interface BlockActionInput {
  readonly actionId: string;
  /** Button value; for selects, the selected option's value when `selectedValue` is not given. */
  readonly value?: string;
  readonly blockId?: string;
  readonly userId: string;
  readonly userName?: string;
  readonly channelId: string;
  readonly channelName?: string;
  /** ts of the message holding the button; adds `message` to the payload (not for ephemeral messages). */
  readonly messageTs?: string;
  /** The clicked message was ephemeral: Slack then sends no `message`. */
  readonly isEphemeral?: boolean;
  /** Blocks/text of the message holding the element, echoed back as Slack does. */
  readonly message?: { readonly text?: string; readonly blocks?: readonly unknown[] };
  readonly responseUrl: string;
  readonly triggerId: string;
  readonly teamId: string;
  /** Default `button`. */
  readonly type?: BlockActionElementType;
  readonly selectedValue?: string;
  /** Shown text of the selected option; defaults to the value. */
  readonly selectedText?: string;
  /** Seconds; default now. */
  readonly actionTimestampSeconds?: number;
}

/** The form body (`payload=<json>`) Slack POSTs when a user clicks a button or picks an option. */
export function blockActionsBody(input: BlockActionInput): string {
  const type = input.type ?? 'button';
  const actionTs = `${input.actionTimestampSeconds ?? Math.floor(Date.now() / 1000)}.000100`;
  const blockId = input.blockId ?? 'fake_block';
  const action: Record<string, unknown> = { action_id: input.actionId, block_id: blockId, type, action_ts: actionTs };
  if (type === 'button') {
    action.value = input.value ?? '';
    action.text = { type: 'plain_text', text: input.actionId, emoji: true };
  } else {
    const selected = input.selectedValue ?? input.value ?? '';
    action.selected_option = { text: { type: 'plain_text', text: input.selectedText ?? selected, emoji: true }, value: selected };
  }
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: input.userId, username: input.userName ?? defaultUserName(input.userId), name: input.userName ?? defaultUserName(input.userId), team_id: input.teamId },
    api_app_id: FAKE_SLACK_APP_ID,
    token: FAKE_SLACK_VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: input.isEphemeral ?? false },
    trigger_id: input.triggerId,
    team: { id: input.teamId, domain: FAKE_SLACK_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: input.channelName ?? defaultChannelName(input.channelId) },
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [action],
  };
  if (input.messageTs !== undefined && !input.isEphemeral) {
    payload.message = { type: 'message', subtype: 'bot_message', text: input.message?.text ?? '', ts: input.messageTs, bot_id: 'B0FAKEBOT', blocks: input.message?.blocks ?? [] };
  }
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface BlockSuggestionInput {
  readonly actionId: string;
  readonly blockId: string;
  /** What the user has typed so far. */
  readonly value: string;
  readonly userId: string;
  readonly userName?: string;
  readonly channelId: string;
  readonly teamId: string;
  readonly messageTs?: string;
}

/** The form body Slack POSTs to load options for an external_select. */
export function blockSuggestionBody(input: BlockSuggestionInput): string {
  const payload = {
    type: 'block_suggestion',
    user: { id: input.userId, username: input.userName ?? defaultUserName(input.userId), name: input.userName ?? defaultUserName(input.userId), team_id: input.teamId },
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: false },
    api_app_id: FAKE_SLACK_APP_ID,
    token: FAKE_SLACK_VERIFICATION_TOKEN,
    action_id: input.actionId,
    block_id: input.blockId,
    value: input.value,
    team: { id: input.teamId, domain: FAKE_SLACK_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: defaultChannelName(input.channelId) },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface PostSignedOptions {
  /** Seconds; default now. Pass an old one to test replay protection. */
  readonly timestamp?: number;
  /** Default `application/x-www-form-urlencoded`. */
  readonly contentType?: string;
  /** Default `/slack/events` (Bolt's default endpoint). */
  readonly path?: string;
}

export interface PostSignedResult {
  readonly status: number;
  readonly body: string;
  /** The body parsed, when it is JSON. */
  readonly json?: unknown;
  readonly elapsedMs: number;
}

/** POSTs a signed request to a running Bolt app and returns its answer (Bolt's ack). */
export async function postSigned(appUrl: string, rawBody: string, signingSecret: string, options: PostSignedOptions = {}): Promise<PostSignedResult> {
  const headers = signSlackRequest(signingSecret, rawBody, options.timestamp);
  const url = `${appUrl.replace(/\/+$/, '')}${options.path ?? '/slack/events'}`;
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded', ...headers },
    body: rawBody,
  });
  const body = await response.text();
  const elapsedMs = performance.now() - started;
  let json: unknown;
  try {
    json = body.length > 0 ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return json === undefined ? { status: response.status, body, elapsedMs } : { status: response.status, body, json, elapsedMs };
}

function defaultUserName(userId: string): string {
  return `user-${userId.toLowerCase()}`;
}

function defaultChannelName(channelId: string): string {
  if (channelId.startsWith('D')) return 'directmessage';
  return `channel-${channelId.toLowerCase()}`;
}

export interface EventCallbackInput {
  readonly teamId: string;
  /** The inner event, e.g. `{ type: 'app_home_opened', user, channel, tab: 'home' }`. */
  readonly event: Readonly<Record<string, unknown>>;
  /** Slack's id of the delivery; default a new one per call. */
  readonly eventId?: string;
}

let eventCounter = 0;

/**
 * The JSON body of an Events API `event_callback` (POST with content-type application/json).
 * Without an `eventId` each body gets its own, as from Slack: two events in one second must not
 * be the same signed bytes (the bot answers a replay without acting on it).
 */
export function eventCallbackBody(input: EventCallbackInput): string {
  const now = Math.floor(Date.now() / 1000);
  eventCounter += 1;
  return JSON.stringify({
    token: FAKE_SLACK_VERIFICATION_TOKEN,
    team_id: input.teamId,
    api_app_id: FAKE_SLACK_APP_ID,
    event: { event_ts: `${now}.000100`, ...input.event },
    type: 'event_callback',
    event_id: input.eventId ?? `Ev${now.toString(36).toUpperCase()}${eventCounter.toString(36).toUpperCase().padStart(4, '0')}`,
    event_time: now,
    authorizations: [{ enterprise_id: null, team_id: input.teamId, user_id: 'U0FAKEBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}
