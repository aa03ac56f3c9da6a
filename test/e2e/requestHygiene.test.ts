/**
 * End to end: the gate in front of Bolt (src/slack/requestHygiene.ts). Signed requests with a
 * timestamp out of the 5-minute window either way are refused; the same signed bytes sent twice
 * are acted on once; signed bodies of the wrong shape get a fast 400, never a hang.
 */
import { type Harness, TEST_SIGNING_SECRET, TEST_TEAM, startHarness } from '../../dev/harness';
import { failedJob } from '../../dev/scenarios';
import { blockActionsBody, postSigned, signSlackRequest, slashCommandBody } from '../../dev/slackRequests';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

beforeEach(() => {
  h.slack.reset();
  h.esb.reset();
  h.esb.setJob(failedJob());
});

let counter = 0;
function slashBody(text: string): string {
  counter++;
  return slashCommandBody({ text, userId: 'U0ALICE01', channelId: 'C0OPS0001', teamId: TEST_TEAM, responseUrl: h.slack.responseUrl(`hyg-${counter}`), triggerId: `hyg-trigger-${counter}` });
}

/** Sends exactly these bytes with exactly these headers (a replay is the same request again). */
async function send(body: string, headers: Record<string, string>): Promise<{ status: number; body: string; elapsedMs: number }> {
  const started = performance.now();
  const response = await fetch(`${h.appUrl}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  return { status: response.status, body: await response.text(), elapsedMs: performance.now() - started };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('timestamps', () => {
  it('refuses a signed request stamped more than 5 minutes in the future (and does nothing)', async () => {
    const ack = await postSigned(h.appUrl, slashBody('3 2001893471'), TEST_SIGNING_SECRET, { timestamp: nowSeconds() + 6 * 60 });
    expect(ack.status).toBe(401);
    await settle(200);
    expect(h.esb.requests()).toHaveLength(0);
  });

  it('refuses one stamped more than 5 minutes in the past', async () => {
    const ack = await postSigned(h.appUrl, slashBody('3 2001893471'), TEST_SIGNING_SECRET, { timestamp: nowSeconds() - 6 * 60 });
    expect(ack.status).toBe(401);
  });

  it('accepts a small clock skew either way', async () => {
    const ack = await postSigned(h.appUrl, slashBody('3 2001893471'), TEST_SIGNING_SECRET, { timestamp: nowSeconds() + 60 });
    expect(ack.status).toBe(200);
    await h.slack.waitFor('chat.postMessage');
  });
});

describe('replays', () => {
  it('acts on the same signed bytes once; the replay is answered 200 with nothing done', async () => {
    const body = slashBody('3 2001893471');
    const headers = { ...signSlackRequest(TEST_SIGNING_SECRET, body) };
    expect((await send(body, headers)).status).toBe(200);
    await h.slack.waitFor('chat.postMessage');
    const replay = await send(body, headers);
    expect(replay).toMatchObject({ status: 200, body: '' });
    await settle(300);
    expect(h.esb.requests()).toHaveLength(1);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
  });

  it("lets Slack's own retries through, each retry number once", async () => {
    const body = slashBody('3 2001893471');
    const headers = { ...signSlackRequest(TEST_SIGNING_SECRET, body) };
    expect((await send(body, headers)).status).toBe(200);
    expect((await send(body, { ...headers, 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })).status).toBe(200);
    expect((await send(body, { ...headers, 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })).status).toBe(200);
    await settle(300);
    await h.slack.waitFor('chat.postMessage', 2);
    await settle(200);
    expect(h.esb.requests()).toHaveLength(2);
    // Not a retry number Slack ever sends.
    expect((await send(body, { ...headers, 'x-slack-retry-num': '7' })).status).toBe(400);
  });

  it('still refuses a bad signature with 401 (and does not remember it)', async () => {
    const body = slashBody('3 2001893471');
    const headers = { ...signSlackRequest('not-the-secret-0000000000000000', body) };
    expect((await send(body, headers)).status).toBe(401);
  });
});

describe('signed but malformed bodies', () => {
  it('answers payload=null with a fast 400', async () => {
    const ack = await postSigned(h.appUrl, 'payload=null', TEST_SIGNING_SECRET);
    expect(ack.status).toBe(400);
    expect(ack.elapsedMs).toBeLessThan(2000);
  });

  it.each([
    ['a payload that is not JSON', 'payload=%7Bnope'],
    ['a payload that is an array', `payload=${encodeURIComponent('[1,2]')}`],
    ['a payload without a type', `payload=${encodeURIComponent('{"user":{"id":"U1"}}')}`],
    ['a form with neither payload nor command', 'foo=bar'],
    ['a slash command without text', 'command=%2Fjoblog&user_id=U1&channel_id=C1&response_url=x'],
    ['block actions whose actions is null', `payload=${encodeURIComponent('{"type":"block_actions","user":{"id":"U1"},"actions":null}')}`],
    ['block actions whose action value is a number', `payload=${encodeURIComponent('{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"joblog_watch","value":3}]}')}`],
    ['an interactive payload without a user', `payload=${encodeURIComponent('{"type":"block_actions","actions":[{"action_id":"joblog_watch","value":"3:4"}]}')}`],
    ['an option load whose value is not a string', `payload=${encodeURIComponent('{"type":"block_suggestion","user":{"id":"U1"},"action_id":"a","value":null}')}`],
  ])('answers %s with a fast 400', async (_what, body) => {
    const ack = await postSigned(h.appUrl, body, TEST_SIGNING_SECRET);
    expect(ack.status).toBe(400);
  });

  it('answers a slash command with text= twice with a 400, and never calls BlueKing', async () => {
    const body = `${slashBody('3 2001893471')}&text=4+5`;
    const ack = await postSigned(h.appUrl, body, TEST_SIGNING_SECRET);
    expect(ack.status).toBe(400);
    await settle(200);
    expect(h.esb.requests()).toHaveLength(0);
  });

  it.each([
    ['not an object', 'null'],
    ['an event_callback without an event', '{"type":"event_callback","team_id":"T1"}'],
  ])('answers a JSON body that is %s with 400', async (_what, body) => {
    const ack = await postSigned(h.appUrl, body, TEST_SIGNING_SECRET, { contentType: 'application/json' });
    expect(ack.status).toBe(400);
  });

  it('still handles a well-formed button click', async () => {
    const body = blockActionsBody({ actionId: 'joblog_open', value: 'x', userId: 'U0ALICE01', channelId: 'C0OPS0001', teamId: TEST_TEAM, responseUrl: h.slack.responseUrl('ok'), triggerId: 't' });
    const ack = await postSigned(h.appUrl, body, TEST_SIGNING_SECRET);
    expect(ack.status).toBe(200);
  });
});
