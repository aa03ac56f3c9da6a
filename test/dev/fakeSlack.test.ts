import { webApi } from '@slack/bolt';
import { FakeSlackApi, RESPONSE_URL_METHOD } from '../../dev/fakeSlack';

describe('FakeSlackApi', () => {
  const fake = new FakeSlackApi();
  let client: webApi.WebClient;

  beforeAll(async () => {
    await fake.start();
    client = new webApi.WebClient('xoxb-fake-token', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('records form-encoded WebClient calls and parses blocks back into objects', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Job failed* & <@U1>' } }];
    const result = await client.chat.postMessage({ channel: 'C0OPS', text: 'Job failed', blocks, metadata: { event_type: 'job', event_payload: { id: 1 } } });
    expect(result).toMatchObject({ ok: true, channel: 'C0OPS', ts: expect.stringMatching(/^\d{10}\.\d{6}$/) });
    const [call] = fake.calls('chat.postMessage');
    expect(call).toMatchObject({ method: 'chat.postMessage', token: 'xoxb-fake-token', args: { channel: 'C0OPS', text: 'Job failed', blocks, metadata: { event_type: 'job', event_payload: { id: 1 } } } });
    expect(fake.messages('C0OPS')).toEqual([expect.objectContaining({ ts: result.ts, blocks })]);
  });

  it('gives unique, increasing ts values and tracks chat.update', async () => {
    const first = await client.chat.postMessage({ channel: 'C1', text: 'one' });
    const second = await client.chat.postMessage({ channel: 'C1', text: 'two' });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    await client.chat.update({ channel: 'C1', ts: first.ts!, text: 'one (edited)', blocks: [] });
    expect(fake.messages('C1').find((m) => m.ts === first.ts)).toMatchObject({ text: 'one (edited)', blocks: [], updates: 1 });
  });

  it('records JSON calls too', async () => {
    const response = await fetch(`${fake.apiUrl}chat.postEphemeral`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: 'C1', user: 'U1', text: 'only you', blocks: [{ type: 'divider' }] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, message_ts: expect.any(String) });
    expect(fake.lastCall('chat.postEphemeral')).toMatchObject({ token: 'xoxb-json', args: { user: 'U1', blocks: [{ type: 'divider' }] } });
  });

  it('answers the methods the bot uses', async () => {
    expect(await client.auth.test()).toMatchObject({ ok: true, user_id: fake.botUserId, bot_id: fake.botId, team_id: fake.teamId });
    expect(await client.conversations.open({ users: 'U0ALICE' })).toMatchObject({ channel: { id: 'D0ALICE' } });
    const dm = await client.chat.postMessage({ channel: 'U0ALICE', text: 'hi' });
    expect(dm.channel).toBe('D0ALICE');
    expect(await client.chat.getPermalink({ channel: 'C1', message_ts: '1700000000.000100' })).toMatchObject({ permalink: expect.stringContaining('/archives/C1/p1700000000000100') });
    fake.setUser('U0BOB', { tz: 'Europe/Berlin', tzOffset: 7200 });
    expect(await client.users.info({ user: 'U0BOB' })).toMatchObject({ user: { id: 'U0BOB', tz: 'Europe/Berlin', tz_offset: 7200 } });
    expect(await client.users.info({ user: 'U0ALICE' })).toMatchObject({ user: { tz: 'Asia/Shanghai' } });
    const opened = await client.views.open({ trigger_id: 't1', view: { type: 'modal', title: { type: 'plain_text', text: 'Watch' }, blocks: [] } });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), type: 'modal' });
    expect(fake.lastCall('views.open')?.args.view).toMatchObject({ type: 'modal', title: { text: 'Watch' } });
    expect(await client.apiCall('reactions.add', { channel: 'C1', name: 'eyes', timestamp: '1.2' })).toMatchObject({ ok: true });
    expect(fake.calls('reactions.add')).toHaveLength(1);
  });

  it('accepts external file uploads (files.uploadV2) and stores the bytes', async () => {
    await client.filesUploadV2({ channel_id: 'C1', filename: 'host.log', content: 'line 1\nline 2 & <b>\n', initial_comment: 'Full log', title: 'host.log' });
    const [upload] = fake.uploads();
    expect(upload).toMatchObject({ filename: 'host.log', uploaded: true, completed: true, channelId: 'C1', initialComment: 'Full log' });
    expect(upload!.bytes.toString('utf8')).toBe('line 1\nline 2 & <b>\n');
    expect(fake.calls().map((c) => c.method)).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
  });

  it('failNext answers ok:false once', async () => {
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ code: webApi.ErrorCode.PlatformError, data: { ok: false, error: 'not_in_channel' } });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(fake.calls('chat.postMessage')).toHaveLength(2);
  });

  it('rateLimitNext answers 429 with Retry-After', async () => {
    fake.rateLimitNext('chat.update', 7);
    await expect(client.chat.update({ channel: 'C1', ts: '1.1', text: 'x' })).rejects.toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 7 });
    await expect(client.chat.update({ channel: 'C1', ts: '1.1', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('validates tokens when asked to', async () => {
    const strict = new FakeSlackApi({ validTokens: ['xoxb-good'] });
    await strict.start();
    try {
      const bad = new webApi.WebClient('xoxb-bad', { slackApiUrl: strict.apiUrl, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR });
      await expect(bad.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    } finally {
      await strict.stop();
    }
  });

  it('records posts to response URLs, with failure injection', async () => {
    const post = (body: unknown) => fetch(fake.responseUrl('cmd-1'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ text: 'working…', response_type: 'ephemeral' })).status).toBe(200);
    fake.failNext(RESPONSE_URL_METHOD, { error: 'expired_url' });
    expect((await post({ text: 'too late' })).status).toBe(404);
    expect(fake.responses()).toEqual([
      { id: 'cmd-1', body: { text: 'working…', response_type: 'ephemeral' }, at: expect.any(Number) },
      { id: 'cmd-1', body: { text: 'too late' }, at: expect.any(Number) },
    ]);
  });

  describe('waitFor', () => {
    it('resolves when a later call arrives', async () => {
      const waiting = fake.waitFor('chat.postMessage', 2);
      await client.chat.postMessage({ channel: 'C1', text: 'a' });
      setTimeout(() => void client.chat.postMessage({ channel: 'C1', text: 'b' }), 20);
      const calls = await waiting;
      expect(calls.map((c) => c.args.text)).toEqual(['a', 'b']);
    });

    it('takes a predicate', async () => {
      const waiting = fake.waitFor((calls) => calls.some((c) => c.method === 'chat.update' && c.args.text === 'done'));
      await client.chat.update({ channel: 'C1', ts: '1.1', text: 'done' });
      await expect(waiting).resolves.toHaveLength(1);
    });

    it('waits for response URL posts', async () => {
      const waiting = fake.waitForResponses(1);
      await fetch(fake.responseUrl('x'), { method: 'POST', body: '{"text":"hi"}' });
      await expect(waiting).resolves.toEqual([expect.objectContaining({ id: 'x', body: { text: 'hi' } })]);
    });

    it('rejects after the timeout, listing what was recorded', async () => {
      await client.chat.postEphemeral({ channel: 'C9', user: 'U1', text: 'Job 42 failed on 3 hosts' });
      const error = await fake.waitFor('chat.postMessage', 1, 100).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain('timed out after 100 ms waiting for 1 × chat.postMessage');
      expect(message).toContain('chat.postEphemeral channel="C9" user="U1" text="Job 42 failed on 3 hosts"');
    });
  });
});
