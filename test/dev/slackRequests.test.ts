import type { AddressInfo } from 'node:net';
import { App, LogLevel, verifySlackRequest } from '@slack/bolt';
import { FakeSlackApi } from '../../dev/fakeSlack';
import { blockActionsBody, blockSuggestionBody, postSigned, signSlackRequest, slashCommandBody } from '../../dev/slackRequests';

const SECRET = 'test-signing-secret';

describe('signSlackRequest', () => {
  it('produces a signature Bolt accepts', () => {
    const body = slashCommandBody({ text: '2001893471', userId: 'U1', channelId: 'C1', teamId: 'T1', responseUrl: 'http://x/respond/1', triggerId: 'trig' });
    const now = 1_718_072_400;
    const headers = signSlackRequest(SECRET, body, now);
    expect(headers['x-slack-request-timestamp']).toBe(String(now));
    expect(headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    const verify = (secret: string, raw: string) =>
      verifySlackRequest({ signingSecret: secret, body: raw, headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': now }, nowMilliseconds: now * 1000 });
    expect(() => verify(SECRET, body)).not.toThrow();
    expect(() => verify('other-secret', body)).toThrow();
    expect(() => verify(SECRET, `${body}x`)).toThrow();
  });
});

describe('request bodies', () => {
  it('builds a slash command form with the fields Slack sends', () => {
    const form = new URLSearchParams(slashCommandBody({ text: 'watch 42', userId: 'U1', userName: 'alice', channelId: 'C1', channelName: 'ops', teamId: 'T1', responseUrl: 'http://x/r', triggerId: 't' }));
    expect(Object.fromEntries(form)).toEqual({
      token: expect.any(String),
      team_id: 'T1',
      team_domain: expect.any(String),
      channel_id: 'C1',
      channel_name: 'ops',
      user_id: 'U1',
      user_name: 'alice',
      command: '/joblog',
      text: 'watch 42',
      api_app_id: expect.any(String),
      is_enterprise_install: 'false',
      response_url: 'http://x/r',
      trigger_id: 't',
    });
  });

  it('builds a block_actions payload for a button on a message', () => {
    const form = new URLSearchParams(blockActionsBody({ actionId: 'host_log', value: '42:7:10.0.1.14', blockId: 'b1', userId: 'U1', channelId: 'C1', messageTs: '1700000000.000100', responseUrl: 'http://x/r', triggerId: 't', teamId: 'T1' }));
    const payload = JSON.parse(form.get('payload')!);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1', team_id: 'T1' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C1', is_ephemeral: false },
      trigger_id: 't',
      team: { id: 'T1' },
      channel: { id: 'C1' },
      message: { ts: '1700000000.000100' },
      response_url: 'http://x/r',
      actions: [{ action_id: 'host_log', block_id: 'b1', value: '42:7:10.0.1.14', type: 'button', action_ts: expect.any(String) }],
    });
  });

  it('puts selected_option on select actions and leaves message out without a ts', () => {
    const payload = JSON.parse(new URLSearchParams(blockActionsBody({ actionId: 'pick', type: 'static_select', selectedValue: 'step:2', userId: 'U1', channelId: 'C1', responseUrl: 'r', triggerId: 't', teamId: 'T1' })).get('payload')!);
    expect(payload.actions[0]).toMatchObject({ type: 'static_select', selected_option: { value: 'step:2' } });
    expect(payload.actions[0]).not.toHaveProperty('value');
    expect(payload).not.toHaveProperty('message');
  });
});

describe('a Bolt app driven through the fakes', () => {
  const slack = new FakeSlackApi();
  let app: App;
  let appUrl: string;

  beforeAll(async () => {
    await slack.start();
    app = new App({ token: 'xoxb-test', signingSecret: SECRET, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } } });
    app.command('/joblog', async ({ ack, respond, client, command }) => {
      await ack();
      await respond({ response_type: 'ephemeral', text: `looking up ${command.text}` });
      await client.chat.postMessage({ channel: command.channel_id, text: 'summary', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `job ${command.text}` } }] });
    });
    app.action('host_log', async ({ ack, respond, action }) => {
      await ack();
      await respond({ replace_original: false, text: `log for ${'value' in action ? action.value : '?'}` });
    });
    app.options('pick_host', async ({ ack, payload }) => {
      await ack({ options: [{ text: { type: 'plain_text', text: `10.0.1.${payload.value}` }, value: payload.value }] });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.stop();
    await slack.stop();
  });

  it('handles a signed slash command: ack, respond, then a Web API call', async () => {
    const body = slashCommandBody({ text: '2001893471', userId: 'U1', channelId: 'C0OPS', teamId: slack.teamId, responseUrl: slack.responseUrl('cmd'), triggerId: 't' });
    const result = await postSigned(appUrl, body, SECRET);
    expect(result.status).toBe(200);
    const [posted] = await slack.waitFor('chat.postMessage');
    expect(posted!.args).toMatchObject({ channel: 'C0OPS', blocks: [{ type: 'section', text: { text: 'job 2001893471' } }] });
    expect(posted!.token).toBe('xoxb-test');
    expect(slack.responses()).toEqual([expect.objectContaining({ id: 'cmd', body: { response_type: 'ephemeral', text: 'looking up 2001893471' } })]);
  });

  it('handles a button click', async () => {
    const body = blockActionsBody({ actionId: 'host_log', value: '10.0.1.14', userId: 'U1', channelId: 'C0OPS', messageTs: '1700000000.000100', responseUrl: slack.responseUrl('act'), triggerId: 't', teamId: slack.teamId });
    expect((await postSigned(appUrl, body, SECRET)).status).toBe(200);
    const posts = await slack.waitForResponses(2);
    expect(posts.find((p) => p.id === 'act')?.body).toEqual({ replace_original: false, text: 'log for 10.0.1.14' });
  });

  it('answers an external_select option load in the ack body', async () => {
    const body = blockSuggestionBody({ actionId: 'pick_host', blockId: 'b', value: '14', userId: 'U1', channelId: 'C0OPS', teamId: slack.teamId });
    const result = await postSigned(appUrl, body, SECRET);
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ options: [{ text: { type: 'plain_text', text: '10.0.1.14' }, value: '14' }] });
  });

  it('is rejected with a wrong secret or a stale timestamp', async () => {
    const body = slashCommandBody({ text: 'x', userId: 'U1', channelId: 'C1', teamId: 'T1', responseUrl: slack.responseUrl('no'), triggerId: 't' });
    expect((await postSigned(appUrl, body, 'wrong-secret')).status).toBe(401);
    expect((await postSigned(appUrl, body, SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
  });
});
