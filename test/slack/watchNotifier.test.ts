/**
 * The watch notifier over a real WebClient and the fake Slack (issue 17): message metadata on
 * every watch message, looking for a maybe-posted message before posting again, and the errors
 * the poller acts on (a wait, a failure, maybe posted), with the channel's wait kept per channel.
 */
import { webApi } from '@slack/bolt';
import { FakeSlackApi } from '../../dev/fakeSlack';
import { DeliveryGate } from '../../src/slack/deliveryGate';
import { SlackWatchNotifier } from '../../src/slack/watchNotifier';
import { ChannelAccessError, ChatUnavailableError } from '../../src/watch/ports';
import type { KeyedEvent } from '../../src/watch/rules';
import { watchOf } from '../helpers/listenerFakes';
import { v2FixtureJob } from '../helpers/jobs';
import { createLogger } from '../../src/logger';
import { buildJobSummary } from '../../src/summary/build';

const failedSummary = () => buildJobSummary(v2FixtureJob('failed'));

const fake = new FakeSlackApi();
let clock: number;
let notifier: SlackWatchNotifier;
let gate: DeliveryGate;
let warnings: string[];

const REF = { bizId: 3, jobInstanceId: 2001893471 };
const EVENT: KeyedEvent = { key: 'job_finished:failed', event: { type: 'job_finished', state: 'failed', durationMs: 60_000 } };
const DELIVERY = { urgent: true, broadcast: false };

beforeAll(() => fake.start());
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  clock = Date.now();
  warnings = [];
  const client = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 2000, logLevel: webApi.LogLevel.ERROR });
  gate = new DeliveryGate(() => clock);
  const logger = createLogger({ level: 'warn', redact: (line: string) => line, destination: { write: (line: string) => void warnings.push(line) } });
  notifier = new SlackWatchNotifier(client, { lang: 'en', offsetMinutes: 480, jobWebUrl: null }, () => clock, undefined, { gate, logger });
});

async function statusMessage(channel = 'C0OPS'): Promise<string> {
  const posted = fake.messages(channel);
  if (posted.length > 0) return posted[0]!.ts;
  const result = await new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl }).chat.postMessage({ channel, text: 'status' });
  return result.ts!;
}

describe('SlackWatchNotifier', () => {
  it('marks an event message with its key and watch (joblog_event)', async () => {
    const ts = await statusMessage();
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: ts });
    const posted = await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null });
    expect(fake.lastCall('chat.postMessage')!.args).toMatchObject({ channel: 'C0OPS', thread_ts: ts, metadata: { event_type: 'joblog_event', event_payload: { key: 'job_finished:failed', watch: 'w-1' } } });
    expect(fake.calls('conversations.replies')).toHaveLength(0);
    expect(posted).toBe(fake.messages('C0OPS').at(-1)!.ts);
  });

  it('an unresolved attempt: finds the message in the thread and posts nothing', async () => {
    const ts = await statusMessage();
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: ts });
    fake.loseNextAnswer('chat.postMessage');
    const lost = await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null }).catch((err: unknown) => err);
    expect(lost).toBeInstanceOf(ChatUnavailableError);
    expect(lost).toMatchObject({ maybePosted: true, kind: 'error', retryAfterMs: 2000 });
    const attemptAt = clock;
    clock += 3000;
    const found = await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: attemptAt });
    expect(found).toBe(fake.messages('C0OPS').at(-1)!.ts);
    expect(fake.calls('chat.postMessage')).toHaveLength(2);
    expect(fake.lastCall('conversations.replies')!.args).toMatchObject({ channel: 'C0OPS', ts, include_all_metadata: 'true' });
  });

  it('an unresolved attempt whose message is not there: posts it (another watch or key does not count)', async () => {
    const ts = await statusMessage();
    const other = watchOf('w-2', REF, { channelId: 'C0OPS', statusMessageTs: ts });
    await notifier.postEvent(other, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null });
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: ts });
    await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: clock - 1000 });
    expect(fake.calls('conversations.replies')).toHaveLength(1);
    expect(fake.messages('C0OPS').filter((m) => m.threadTs === ts)).toHaveLength(2);
  });

  it('a status message looked for in the channel since the watch was created', async () => {
    const watch = watchOf('w-9', REF, { channelId: 'C0OPS', statusMessageTs: null, createdAt: clock - 60_000 });
    fake.loseNextAnswer('chat.postMessage');
    await expect(notifier.postStatus(watch, failedSummary(), { lookFirst: false })).rejects.toMatchObject({ maybePosted: true });
    clock += 5000;
    const ts = await notifier.postStatus(watch, failedSummary(), { lookFirst: true });
    expect(fake.messages('C0OPS')).toHaveLength(1);
    expect(ts).toBe(fake.messages('C0OPS')[0]!.ts);
    expect(fake.lastCall('conversations.history')!.args).toMatchObject({ channel: 'C0OPS', include_all_metadata: 'true' });
  });

  it('searches from when the attempt began, by the chat clock, 2 minutes early, at most 5 pages of 200', async () => {
    // The watches' clock runs a day behind the chat's (a test clock, or a skewed replica).
    const wall = Date.now();
    clock = wall - 86_400_000;
    const client = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR });
    const skewed = new SlackWatchNotifier(client, { lang: 'en', offsetMinutes: 480, jobWebUrl: null }, () => clock, undefined, { gate, wallClock: () => wall });
    const ts = await statusMessage();
    // 1,200 replies in the thread, none of them the one looked for.
    const poster = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl });
    for (let i = 0; i < 1200; i++) await poster.chat.postMessage({ channel: 'C0OPS', thread_ts: ts, text: `noise ${i}` });
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: ts });
    // The attempt began 30 s ago by the watches' clock.
    await skewed.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: clock - 30_000 });
    const lookups = fake.calls('conversations.replies');
    expect(lookups).toHaveLength(5);
    expect(lookups[0]!.args).toMatchObject({ oldest: ((wall - 30_000 - 120_000) / 1000).toFixed(6), limit: '200' });
    expect(fake.calls('chat.postMessage').at(-1)!.args).toMatchObject({ thread_ts: ts, metadata: { event_payload: { key: EVENT.key } } });
  }, 60_000);

  it('without the history scope: posts again (at least once) and warns once', async () => {
    fake.denyScopes('groups:history');
    const ts = await statusMessage('G0PRIV');
    const watch = watchOf('w-1', REF, { channelId: 'G0PRIV', statusMessageTs: ts });
    await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: clock });
    await notifier.postEvent(watch, { ...EVENT, key: 'other' }, DELIVERY, { key: 'other', unresolvedSince: clock });
    expect(fake.messages('G0PRIV').filter((m) => m.threadTs === ts)).toHaveLength(2);
    expect(warnings.filter((line) => line.includes('cannot read channel history'))).toHaveLength(1);
  });

  it('a 429 makes that channel wait Retry-After without another call; other channels go on', async () => {
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: null });
    fake.troubleChannel('C0OPS', { kind: 'rate_limit', retryAfterSeconds: 7 });
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toMatchObject({ kind: 'wait', retryAfterMs: 7000, maybePosted: false });
    expect(notifier.readyInMs('C0OPS')).toBe(7000);
    clock += 3000;
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toMatchObject({ kind: 'wait', retryAfterMs: 4000 });
    expect(fake.calls('chat.postMessage')).toHaveLength(1);
    // Another channel is not held back.
    await notifier.postEvent(watchOf('w-2', REF, { channelId: 'C0OTHER', statusMessageTs: null }), EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null });
    expect(notifier.readyInMs('C0OTHER')).toBe(0);
    fake.troubleChannel('C0OPS', null);
    clock += 4000;
    await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null });
    expect(fake.messages('C0OPS')).toHaveLength(1);
  });

  it('a 500 is maybe posted and backs the channel off 2 s, 4 s …; a success ends the streak', async () => {
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: null });
    fake.troubleChannel('C0OPS', { kind: 'status', status: 500 });
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toMatchObject({ kind: 'error', retryAfterMs: 2000, maybePosted: true });
    clock += 2000;
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toMatchObject({ retryAfterMs: 4000 });
    fake.troubleChannel('C0OPS', null);
    clock += 4000;
    await notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null });
    fake.troubleChannel('C0OPS', { kind: 'status', status: 503 });
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toMatchObject({ retryAfterMs: 2000 });
  });

  it('a refusal Slack states (not_in_channel, a platform error) is not maybe posted', async () => {
    const watch = watchOf('w-1', REF, { channelId: 'C0OPS', statusMessageTs: null });
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toBeInstanceOf(ChannelAccessError);
    fake.failNext('chat.postMessage', { error: 'invalid_auth' });
    await expect(notifier.postEvent(watch, EVENT, DELIVERY, { key: EVENT.key, unresolvedSince: null })).rejects.toMatchObject({ kind: 'error', maybePosted: false, why: 'invalid_auth' });
  });
});
