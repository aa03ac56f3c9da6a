/**
 * WatchPoller unit tests: the real poller and rules over the in-memory store, with a recording
 * notifier, a scripted JobService and a hand-driven clock. Every assertion is on exact values:
 * the calls the chat saw, in order, and the store rows the poll left behind.
 */
import pino from 'pino';
import { MemoryWatchStore } from '../../dev/memoryStore';
import { BkJobError } from '../../src/bkjob/errors';
import type { ActorResolution } from '../../src/bkjob/identity';
import type { BkActor, JobRef, StepInstance } from '../../src/bkjob/model';
import type { JobLogSource } from '../../src/bkjob/source';
import { STEP_STATUS as S } from '../../src/bkjob/status';
import { JobService } from '../../src/jobService';
import type { AppLogger } from '../../src/logger';
import { buildJobSummary } from '../../src/summary/build';
import { type ChannelPolicy, parseChannelPolicy } from '../../src/policy';
import type { JobSummary } from '../../src/summary/types';
import { MAX_DELIVERY_ATTEMPTS, type PollerOptions, WatchPoller } from '../../src/watch/poller';
import { ChannelAccessError, ChatUnavailableError, type DeliveryMark, type EventDelivery, MessageGoneError, RejectedMessageError, type WatchNotifier } from '../../src/watch/ports';
import { type KeyedEvent, evaluate, fingerprint, snapshotOf } from '../../src/watch/rules';
import type { NewWatch, Watch, WatchStatus } from '../../src/watch/types';
import { host, job, step } from '../helpers/jobs';

// ---------------------------------------------------------------------------------------------
// Jobs: prepare (101) → deploy (102), as BlueKing v2 reports them (state derived from the steps)
// ---------------------------------------------------------------------------------------------

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60_000;
const LEASE_MS = 60_000;
const REF: JobRef = { bizId: 2, jobInstanceId: 5001 };

const hostsIn = (ipStatus: number, count: number) => Array.from({ length: count }, (_, i) => host({ ipStatus }, i));
const summary = (...steps: StepInstance[]): JobSummary => buildJobSummary(job(steps, REF, 'deploy-web'));

const PREPARE_RUNNING = step(101, 'prepare', S.RUNNING, hostsIn(7, 2));
const PREPARE_DONE = step(101, 'prepare', S.SUCCESS, hostsIn(9, 2));
const DEPLOY_BLANK = step(102, 'deploy', S.BLANK, []);

/** prepare running, deploy not started. */
const RUNNING = summary(PREPARE_RUNNING, DEPLOY_BLANK);
/** prepare done, deploy running: no event for "all" but step_finished:101. */
const DEPLOYING = summary(PREPARE_DONE, step(102, 'deploy', S.RUNNING, hostsIn(7, 3)));
/** deploy waits for a user's confirmation. */
const WAITING = summary(PREPARE_DONE, step(102, 'deploy', S.WAITING_USER, []));
/** deploy failed on 1 of 3 hosts: the job failed. */
const FAILED = summary(PREPARE_DONE, step(102, 'deploy', S.FAIL, [host({ ipStatus: 104, exitCode: 2 }, 0), ...hostsIn(9, 2).slice(1)]));
const SUCCEEDED = summary(PREPARE_DONE, step(102, 'deploy', S.SUCCESS, hostsIn(9, 3)));

// ---------------------------------------------------------------------------------------------
// Fakes
// ---------------------------------------------------------------------------------------------

type Method = 'postStatus' | 'updateStatus' | 'postEvent' | 'tellLostAccess';

/** One notifier call as the chat saw it; `error` names what it threw, `ts` what it returned. */
interface Call {
  readonly method: Method;
  /** The watch's status when the call was made (updateStatus shows "ended" etc. from it). */
  readonly watchStatus: WatchStatus;
  /** The status message to update (updateStatus) or the thread an event goes to (postEvent). */
  readonly ts?: string | null;
  readonly fingerprint?: string;
  readonly key?: string;
  readonly delivery?: EventDelivery;
  readonly returned?: string;
  readonly error?: string;
}

/** Records every call in order; `failNext` makes the next call(s) of one method throw. */
class RecordingNotifier implements WatchNotifier {
  readonly calls: Call[] = [];
  readonly events: KeyedEvent[] = [];
  private readonly failures = new Map<Method, Error[]>();
  private counter = 0;

  failNext(method: Method, error: Error, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.failures.set(method, queue);
  }

  postStatus(watch: Watch, summary: JobSummary): Promise<string> {
    return this.answer({ method: 'postStatus', watchStatus: watch.status, fingerprint: fingerprint(summary) }, 'status');
  }

  updateStatus(watch: Watch, ts: string, summary: JobSummary): Promise<void> {
    return this.answer({ method: 'updateStatus', watchStatus: watch.status, ts, fingerprint: fingerprint(summary) }).then(() => undefined);
  }

  /** Milliseconds a channel must wait, as the Slack notifier's gate would say. */
  readonly waits = new Map<string, number>();

  readyInMs(channelId: string): number {
    return this.waits.get(channelId) ?? 0;
  }

  /** The mark of every postEvent call, in order. */
  readonly marks: DeliveryMark[] = [];

  postEvent(watch: Watch, event: KeyedEvent, delivery: EventDelivery, mark: DeliveryMark): Promise<string> {
    this.marks.push(mark);
    this.events.push(event);
    return this.answer({ method: 'postEvent', watchStatus: watch.status, ts: watch.statusMessageTs, key: event.key, delivery }, 'event');
  }

  tellLostAccess(watch: Watch): Promise<void> {
    return this.answer({ method: 'tellLostAccess', watchStatus: watch.status }).then(() => undefined);
  }

  count(method: Method): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  /** Records the call; throws the queued failure if there is one, else returns a new ts (`status-3`, `event-4`) when asked to. */
  private answer(call: Call, tsPrefix?: string): Promise<string> {
    const error = this.failures.get(call.method)?.shift();
    if (error) {
      this.calls.push({ ...call, error: error.name });
      return Promise.reject(error);
    }
    if (tsPrefix === undefined) {
      this.calls.push(call);
      return Promise.resolve('');
    }
    const returned = `${tsPrefix}-${++this.counter}`;
    this.calls.push({ ...call, returned });
    return Promise.resolve(returned);
  }
}

/** The poller reaches BlueKing only through `summarize`; the source below must never be used. */
const NO_SOURCE: JobLogSource = {
  getJobInstance: () => Promise.reject(new Error('the poller must go through JobService.summarize')),
  getHostLog: () => Promise.reject(new Error('the poller must not fetch host logs')),
};

type Answer = JobSummary | Error | (() => Promise<JobSummary> | JobSummary);

/** Answers `summarize` from a script; an unscripted call fails the poll loudly. */
class ScriptedJobs extends JobService {
  readonly asked: { actor: BkActor; ref: JobRef }[] = [];
  private readonly script: Answer[] = [];

  constructor() {
    super(NO_SOURCE);
  }

  answer(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  override async summarize(actor: BkActor, ref: JobRef): Promise<JobSummary> {
    this.asked.push({ actor, ref });
    const next = this.script.shift();
    if (next === undefined) throw new Error('summarize called more often than the test scripted');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? await next() : next;
  }
}

const transientError = () => new BkJobError('BlueKing did not answer within 10s <gateway>', { kind: 'timeout' });
const permanentError = () => new BkJobError('BlueKing refused: no permission to access_business', { kind: 'api', code: 9900403 });

// ---------------------------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------------------------

interface Setup {
  readonly store: MemoryWatchStore;
  readonly notifier: RecordingNotifier;
  readonly jobs: ScriptedJobs;
  readonly poller: WatchPoller;
  readonly clock: { now: number };
  /** Another poller (another replica) on the same store. */
  readonly otherPoller: () => WatchPoller;
}

const silent: AppLogger = pino({ level: 'silent' });

async function setup(options: Partial<PollerOptions> = {}, policy?: ChannelPolicy): Promise<Setup> {
  const store = new MemoryWatchStore();
  await store.migrate();
  const notifier = new RecordingNotifier();
  const jobs = new ScriptedJobs();
  const clock = { now: T0 };
  // As the app wires it: the stored BlueKing user, else the subscriber's resolution (U_UNMAPPED has none).
  const actorFor = (watch: Watch): Promise<ActorResolution> => {
    if (watch.bkUsername !== null) return Promise.resolve({ kind: 'mapped', actor: { kind: 'username', username: watch.bkUsername }, bkUsername: watch.bkUsername });
    if (watch.subscriberId === 'U_UNMAPPED') return Promise.resolve({ kind: 'unmapped', reason: { mode: 'file', why: 'not_found' } });
    return Promise.resolve({ kind: 'mapped', actor: { kind: 'username', username: `bk-${watch.subscriberId}` }, bkUsername: null });
  };
  const deps = { store, jobs, notifier, actorFor, now: () => clock.now, logger: silent, ...(policy ? { policy } : {}) };
  const pollerOptions: PollerOptions = { owner: 'poller-a', concurrency: 2, maxErrors: 3, lang: 'en', leaseMs: LEASE_MS, retryBaseMs: 30_000, retryMaxMs: 900_000, ...options };
  return { store, notifier, jobs, clock, poller: new WatchPoller(deps, pollerOptions), otherPoller: () => new WatchPoller(deps, { ...pollerOptions, owner: 'poller-b' }) };
}

/** A watch as `/joblog watch` leaves it: its status message shows `initial` (ts status-0). */
async function watching(store: MemoryWatchStore, initial: JobSummary = RUNNING, overrides: Partial<NewWatch> = {}): Promise<Watch> {
  const result = await store.create({
    channelId: 'C1',
    ref: REF,
    subscriberId: 'U1',
    notifyOn: 'all',
    createdAt: T0,
    expiresAt: T0 + DAY,
    statusMessageTs: 'status-0',
    snapshot: snapshotOf(initial),
    fingerprint: fingerprint(initial),
    nextPollAt: T0,
    lastSummary: initial,
    ...overrides,
  });
  if (!result.created) throw new Error('expected a new watch');
  return result.watch;
}

async function row(store: MemoryWatchStore, id: string): Promise<Watch> {
  const watch = await store.get(id);
  if (!watch) throw new Error(`watch ${id} is gone`);
  return watch;
}

const URGENT = { urgent: true, broadcast: true };
const QUIET = { urgent: false, broadcast: false };

const event = (key: string, delivery: EventDelivery, returned: string, thread = 'status-0', watchStatus: WatchStatus = 'ended'): Call => ({
  method: 'postEvent',
  watchStatus,
  ts: thread,
  key,
  delivery,
  returned,
});
/** The record of a call that threw `error`. */
const failed = (call: Call, error: string): Call => {
  const { returned: _returned, ...rest } = call;
  return { ...rest, error };
};
const update = (shown: JobSummary, watchStatus: WatchStatus, ts = 'status-0'): Call => ({ method: 'updateStatus', watchStatus, ts, fingerprint: fingerprint(shown) });

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('WatchPoller over the in-memory store', () => {
  describe('the outbox', () => {
    test('delivers the events of one poll in rule order, threaded under the status message', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 3 });

      expect(notifier.calls).toEqual([
        update(FAILED, 'ended'),
        event('step_finished:101:0', QUIET, 'event-1'),
        event('step_failed:102:0', URGENT, 'event-2'),
        event('job_finished:failed', QUIET, 'event-3'),
      ]);
      expect(await store.listOutbox(watch.id)).toEqual([
        { watchId: watch.id, key: 'step_finished:101:0', payload: notifier.events[0]!.event, createdAt: T0, attempts: 1, attemptStartedAt: null, sentAt: T0, slackTs: 'event-1' },
        { watchId: watch.id, key: 'step_failed:102:0', payload: notifier.events[1]!.event, createdAt: T0, attempts: 1, attemptStartedAt: null, sentAt: T0, slackTs: 'event-2' },
        { watchId: watch.id, key: 'job_finished:failed', payload: notifier.events[2]!.event, createdAt: T0, attempts: 1, attemptStartedAt: null, sentAt: T0, slackTs: 'event-3' },
      ]);
      expect(notifier.events.map((e) => e.event)).toEqual(evaluate(snapshotOf(RUNNING), FAILED, 'all').events.map((e) => e.event));
      expect(jobs.asked).toEqual([{ actor: { kind: 'username', username: 'bk-U1' }, ref: REF }]);
    });

    test('events left by a poll whose delivery failed go first on the next poll, which comes after the retry delay', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(WAITING, FAILED);
      notifier.failNext('postEvent', new Error('socket hang up'));

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(notifier.calls).toEqual([update(WAITING, 'active'), failed(event('step_finished:101:0', QUIET, '', 'status-0', 'active'), 'Error')]);
      expect((await store.pendingOutbox(watch.id)).map((e) => [e.key, e.attempts])).toEqual([
        ['step_finished:101:0', 1],
        ['step_waiting:102:0', 0],
      ]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', nextPollAt: T0 + 30_000, fingerprint: fingerprint(WAITING), lastPolledAt: T0 });

      clock.now = T0 + 29_999;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      clock.now = T0 + 30_000;
      notifier.calls.length = 0;
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 4 });
      expect(notifier.calls).toEqual([
        event('step_finished:101:0', QUIET, 'event-1', 'status-0', 'active'),
        event('step_waiting:102:0', URGENT, 'event-2', 'status-0', 'active'),
        update(FAILED, 'ended'),
        event('step_failed:102:0', URGENT, 'event-3'),
        event('job_finished:failed', QUIET, 'event-4'),
      ]);
      expect(await store.pendingOutbox(watch.id)).toEqual([]);
      expect((await store.listOutbox(watch.id)).map((e) => [e.key, e.createdAt, e.attempts, e.slackTs])).toEqual([
        ['step_finished:101:0', T0, 2, 'event-1'],
        ['step_waiting:102:0', T0, 1, 'event-2'],
        ['step_failed:102:0', T0 + 30_000, 1, 'event-3'],
        ['job_finished:failed', T0 + 30_000, 1, 'event-4'],
      ]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'ended', statusReason: 'the job finished' });
    });

    test('a channel that must wait keeps its events: no Slack call, no attempt spent, polled again when it may go', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);
      notifier.waits.set(watch.channelId, 12_000);
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(notifier.count('postEvent')).toBe(0);
      expect((await store.pendingOutbox(watch.id)).map((e) => [e.key, e.attempts, e.attemptStartedAt])).toEqual([
        ['step_finished:101:0', 0, null],
        ['step_failed:102:0', 0, null],
        ['job_finished:failed', 0, null],
      ]);
      // The job ended, but the watch stays until its channel has been told.
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', nextPollAt: T0 + 12_000 });
    });

    test('events wait for the status message: a watch whose status Slack made wait posts none at the top level', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store, RUNNING, { statusMessageTs: null });
      jobs.answer(FAILED, FAILED);
      // Slack answered the status post with 429: the channel must wait (as the notifier's gate says).
      notifier.failNext('postStatus', new ChatUnavailableError(5000, false, 'rate limited', 'wait'));
      notifier.waits.set(watch.channelId, 5000);
      await poller.pollOnce();
      notifier.waits.delete(watch.channelId);
      expect(notifier.count('postEvent')).toBe(0);
      expect((await store.pendingOutbox(watch.id)).map((e) => e.attempts)).toEqual([0, 0, 0]);
      // The job ended, but the watch does not end unseen.
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', statusMessageTs: null, nextPollAt: T0 + 5000 });
      // The next poll posts the status message, then the events under it.
      clock.now = T0 + 30_000;
      await poller.pollOnce();
      expect(notifier.calls.filter((c) => c.method === 'postStatus')).toHaveLength(2);
      expect(notifier.calls.filter((c) => c.method === 'postEvent').map((c) => c.ts)).toEqual(['status-1', 'status-1', 'status-1']);
    });

    test('Slack says wait (429): the attempt is given back and the event waits Retry-After', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);
      notifier.failNext('postEvent', new ChatUnavailableError(7000, false, 'rate limited', 'wait'));
      await poller.pollOnce();
      expect((await store.pendingOutbox(watch.id)).map((e) => [e.key, e.attempts, e.attemptStartedAt])[0]).toEqual(['step_finished:101:0', 0, null]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', nextPollAt: T0 + 7000 });
    });

    test('an attempt whose outcome is unknown stays open: the next one carries its start, to be looked for before posting', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);
      notifier.failNext('postEvent', new ChatUnavailableError(2000, true, 'no answer'));
      await poller.pollOnce();
      expect((await store.pendingOutbox(watch.id))[0]).toMatchObject({ key: 'step_finished:101:0', attempts: 1, attemptStartedAt: T0 });
      // The backoff for a failed attempt, not just the channel's 2 s.
      expect(await row(store, watch.id)).toMatchObject({ nextPollAt: T0 + 30_000 });
      clock.now = T0 + 30_000;
      await poller.pollOnce();
      expect(notifier.marks).toEqual([
        { key: 'step_finished:101:0', unresolvedSince: null },
        { key: 'step_finished:101:0', unresolvedSince: T0 },
        { key: 'step_failed:102:0', unresolvedSince: null },
        { key: 'job_finished:failed', unresolvedSince: null },
      ]);
      expect((await store.listOutbox(watch.id)).every((e) => e.sentAt !== null && e.attemptStartedAt === null)).toBe(true);
    });

    test('a refusal that posted nothing (a stated error) closes the attempt but counts it', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);
      notifier.failNext('postEvent', new ChatUnavailableError(2000, false, 'invalid_auth'));
      await poller.pollOnce();
      expect((await store.pendingOutbox(watch.id))[0]).toMatchObject({ key: 'step_finished:101:0', attempts: 1, attemptStartedAt: null });
    });

    test('entries saved by a poller that crashed before delivering are delivered before anything new', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      // The crashed replica saved its snapshot and events, then died holding the lease.
      const crashed = evaluate(snapshotOf(RUNNING), WAITING, 'all');
      expect((await store.claimDue(T0, 10, 'crashed-replica', LEASE_MS)).map((w) => w.id)).toEqual([watch.id]);
      expect(await store.saveWithLease(watch.id, 'crashed-replica', { snapshot: crashed.snapshot, lastPolledAt: T0 }, crashed.events.map((e) => ({ key: e.key, payload: e.event })))).toBe(true);

      jobs.answer(FAILED);
      clock.now = T0 + LEASE_MS - 1;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      clock.now = T0 + LEASE_MS;
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 4 });
      expect(notifier.calls.map((call) => [call.method, call.key ?? call.fingerprint])).toEqual([
        ['postEvent', 'step_finished:101:0'],
        ['postEvent', 'step_waiting:102:0'],
        ['updateStatus', fingerprint(FAILED)],
        ['postEvent', 'step_failed:102:0'],
        ['postEvent', 'job_finished:failed'],
      ]);
    });
  });

  describe('leases', () => {
    test('a watch leased to one poller is not polled by another meanwhile', async () => {
      const { store, notifier, jobs, poller, otherPoller } = await setup();
      await watching(store);
      let otherReport: Awaited<ReturnType<WatchPoller['pollOnce']>> | undefined;
      jobs.answer(async () => {
        // While poller-a waits for BlueKing, poller-b runs a whole cycle.
        otherReport = await otherPoller().pollOnce();
        return DEPLOYING;
      });

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      expect(otherReport).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      expect(jobs.asked).toHaveLength(1);
      expect(notifier.calls.map((call) => call.method)).toEqual(['updateStatus', 'postEvent']);
    });

    test('a poll whose lease was taken over announces nothing and leaves the new holder alone', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(async () => {
        // The poll outlived its lease: another replica claims the watch meanwhile.
        expect((await store.claimDue(T0 + LEASE_MS, 10, 'poller-b', LEASE_MS)).map((w) => w.id)).toEqual([watch.id]);
        return FAILED;
      });

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(notifier.calls).toEqual([]);
      expect(await store.listOutbox(watch.id)).toEqual([]);
      expect(await row(store, watch.id)).toStrictEqual(watch);
      expect(await store.lastSummary(watch.id)).toEqual(RUNNING);
      // poller-b still holds the lease; poller-a holds nothing.
      expect(await store.saveWithLease(watch.id, 'poller-a', {}, [])).toBe(false);
      expect(await store.saveWithLease(watch.id, 'poller-b', {}, [])).toBe(true);
    });

    test('an unwatch during the poll stays in force and nothing is announced', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(async () => {
        await store.update(watch.id, { status: 'ended', statusReason: 'stopped by <@U2>' });
        return FAILED;
      });

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(notifier.calls).toEqual([]);
      expect(await store.listOutbox(watch.id)).toEqual([]);
      expect(await row(store, watch.id)).toStrictEqual({ ...watch, status: 'ended', statusReason: 'stopped by <@U2>' });
      expect(await store.lastSummary(watch.id)).toEqual(RUNNING);
      clock.now = T0 + DAY * 2;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
    });
  });

  describe('BlueKing errors', () => {
    test('transient errors back off exponentially, then pause the watch after maxErrors with one watch_paused event', async () => {
      const { store, notifier, jobs, poller, clock } = await setup({ maxErrors: 3 });
      const watch = await watching(store);
      jobs.answer(transientError(), transientError(), transientError());
      const lastError = 'BlueKing did not answer within 10s <gateway>';

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 1, eventsSent: 0 });
      expect(await row(store, watch.id)).toStrictEqual({ ...watch, consecutiveErrors: 1, lastError, lastPolledAt: T0, nextPollAt: T0 + 30_000 });

      clock.now = T0 + 30_000;
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 1, eventsSent: 0 });
      expect(await row(store, watch.id)).toStrictEqual({ ...watch, consecutiveErrors: 2, lastError, lastPolledAt: T0 + 30_000, nextPollAt: T0 + 90_000 });
      expect(notifier.calls).toEqual([]);

      clock.now = T0 + 90_000;
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 1, eventsSent: 0 });
      const reason = '3 polls in a row failed (last: BlueKing did not answer within 10s &lt;gateway&gt;)';
      expect(notifier.calls).toEqual([event(`watch_paused:${T0}`, URGENT, 'event-1', 'status-0', 'active')]);
      expect(notifier.events).toEqual([{ key: `watch_paused:${T0}`, event: { type: 'watch_paused', reason } }]);
      expect(await row(store, watch.id)).toStrictEqual({
        ...watch,
        status: 'paused',
        statusReason: reason,
        consecutiveErrors: 3,
        lastError,
        lastPolledAt: T0 + 90_000,
        nextPollAt: T0 + 90_000 + 120_000,
      });

      clock.now = T0 + DAY - 1;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      expect(notifier.count('postEvent')).toBe(1);
      expect(jobs.asked).toHaveLength(3);
    });

    test('a pause told late, after the status message finally went out, pauses the watch', async () => {
      const { store, notifier, jobs, poller, clock } = await setup({ maxErrors: 2 });
      const watch = await watching(store, RUNNING, { statusMessageTs: null, fingerprint: null });
      jobs.answer(permanentError(), permanentError(), RUNNING);
      await poller.pollOnce();
      // The second failure decides the pause, but Slack makes the channel wait: nothing is told yet.
      notifier.waits.set(watch.channelId, 10_000);
      clock.now = (await row(store, watch.id)).nextPollAt;
      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ status: 'active' });
      expect((await store.pendingOutbox(watch.id)).map((e) => e.key)).toEqual([expect.stringMatching(/^watch_paused:/)]);
      // BlueKing answers on the next poll: the status message is posted, then the pause line, and the watch pauses.
      notifier.waits.delete(watch.channelId);
      clock.now = (await row(store, watch.id)).nextPollAt;
      await poller.pollOnce();
      expect(notifier.calls.filter((c) => !c.error).map((c) => c.method)).toEqual(['postStatus', 'postEvent']);
      expect(await row(store, watch.id)).toMatchObject({ status: 'paused' });
    });

    test('permanent BlueKing errors pause the watch after 2 polls even when maxErrors is higher', async () => {
      const { store, notifier, jobs, poller, clock } = await setup({ maxErrors: 5 });
      const watch = await watching(store);
      jobs.answer(permanentError(), permanentError());

      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', consecutiveErrors: 1, nextPollAt: T0 + 30_000 });
      clock.now = T0 + 30_000;
      await poller.pollOnce();

      const reason = '2 polls in a row failed (last: BlueKing refused: no permission to access_business)';
      expect(notifier.calls).toEqual([event(`watch_paused:${T0}`, URGENT, 'event-1', 'status-0', 'active')]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'paused', statusReason: reason, consecutiveErrors: 2, lastError: 'BlueKing refused: no permission to access_business' });
      expect((await store.listOutbox(watch.id)).map((e) => [e.key, e.sentAt, e.slackTs])).toEqual([[`watch_paused:${T0}`, T0 + 30_000, 'event-1']]);
    });

    test('polls as the BlueKing user stored with the watch', async () => {
      const { store, jobs, poller } = await setup();
      await watching(store, RUNNING, { bkUsername: 'q9k6bhqks0ckl5ew' });
      jobs.answer(RUNNING);
      await poller.pollOnce();
      expect(jobs.asked.map((a) => a.actor)).toEqual([{ kind: 'username', username: 'q9k6bhqks0ckl5ew' }]);
    });

    test('a subscriber without a BlueKing user fails the poll without asking BlueKing, and pauses it like a permanent error', async () => {
      const { store, jobs, poller, clock } = await setup({ maxErrors: 5 });
      const watch = await watching(store, RUNNING, { subscriberId: 'U_UNMAPPED' });
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 1, eventsSent: 0 });
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', consecutiveErrors: 1, lastError: 'the subscriber has no BlueKing user (BK_USER_MAPPING)' });
      clock.now = T0 + 30_000;
      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ status: 'paused', consecutiveErrors: 2 });
      expect(jobs.asked).toEqual([]);
    });

    test('an error that is not from BlueKing is stored as an internal error', async () => {
      const { store, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(new TypeError('cannot read properties of undefined'));

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 1, eventsSent: 0 });
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', consecutiveErrors: 1, lastError: 'internal error', nextPollAt: T0 + 30_000 });
    });

    test('a good poll after errors resets the error count', async () => {
      const { store, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(transientError(), RUNNING);
      await poller.pollOnce();
      clock.now = T0 + 30_000;
      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', consecutiveErrors: 0, lastError: null, lastPolledAt: T0 + 30_000, nextPollAt: T0 + 30_001 });
    });
  });

  describe('Slack failures', () => {
    test('lost channel access on an event pauses the watch and tells the subscriber once', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);
      notifier.failNext('postEvent', new ChannelAccessError('not_in_channel'));

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(notifier.calls).toEqual([
        update(FAILED, 'ended'),
        failed(event('step_finished:101:0', QUIET, ''), 'ChannelAccessError'),
        { method: 'tellLostAccess', watchStatus: 'active' },
      ]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'paused', statusReason: 'cannot post in the channel (not_in_channel)', lastPolledAt: T0 });
      // The events stay pending, for a resumed watch to deliver.
      expect((await store.pendingOutbox(watch.id)).map((e) => [e.key, e.attempts])).toEqual([
        ['step_finished:101:0', 1],
        ['step_failed:102:0', 0],
        ['job_finished:failed', 0],
      ]);

      clock.now = T0 + DAY - 1;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      expect(notifier.count('tellLostAccess')).toBe(1);
    });

    test('lost channel access on the status message pauses the watch before any event is posted', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(DEPLOYING);
      notifier.failNext('updateStatus', new ChannelAccessError('channel_not_found'));

      await poller.pollOnce();
      expect(notifier.calls.map((call) => [call.method, call.error])).toEqual([
        ['updateStatus', 'ChannelAccessError'],
        ['tellLostAccess', undefined],
      ]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'paused', statusReason: 'cannot post in the channel (channel_not_found)' });
      expect((await store.pendingOutbox(watch.id)).map((e) => [e.key, e.attempts])).toEqual([['step_finished:101:0', 0]]);
    });

    test('a deleted status message is posted again, its new ts is kept and events thread under it', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(DEPLOYING);
      notifier.failNext('updateStatus', new MessageGoneError('message_not_found'));

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      expect(notifier.calls).toEqual([
        failed(update(DEPLOYING, 'active'), 'MessageGoneError'),
        { method: 'postStatus', watchStatus: 'active', fingerprint: fingerprint(DEPLOYING), returned: 'status-1' },
        event('step_finished:101:0', QUIET, 'event-2', 'status-1', 'active'),
      ]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', statusMessageTs: 'status-1', fingerprint: fingerprint(DEPLOYING) });
    });

    test('a failed status update is tried again next poll: the fingerprint is not saved', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(DEPLOYING, DEPLOYING);
      notifier.failNext('updateStatus', new Error('ratelimited'));

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      expect(await row(store, watch.id)).toMatchObject({ fingerprint: fingerprint(RUNNING), statusMessageTs: 'status-0' });
      clock.now = T0 + 1;
      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 0 });
      expect(notifier.calls.map((call) => [call.method, call.error])).toEqual([
        ['updateStatus', 'Error'],
        ['postEvent', undefined],
        ['updateStatus', undefined],
      ]);
      expect(await row(store, watch.id)).toMatchObject({ fingerprint: fingerprint(DEPLOYING) });
    });

    test('a rejected event is dropped (marked sent without a ts) and later events are still delivered', async () => {
      const { store, notifier, jobs, poller } = await setup();
      const watch = await watching(store);
      jobs.answer(FAILED);
      notifier.failNext('postEvent', new RejectedMessageError('invalid_blocks'));

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 2 });
      expect(notifier.calls.map((call) => [call.method, call.key, call.error])).toEqual([
        ['updateStatus', undefined, undefined],
        ['postEvent', 'step_finished:101:0', 'RejectedMessageError'],
        ['postEvent', 'step_failed:102:0', undefined],
        ['postEvent', 'job_finished:failed', undefined],
      ]);
      expect((await store.listOutbox(watch.id)).map((e) => [e.key, e.attempts, e.sentAt, e.slackTs])).toEqual([
        ['step_finished:101:0', 1, T0, null],
        ['step_failed:102:0', 1, T0, 'event-1'],
        ['job_finished:failed', 1, T0, 'event-2'],
      ]);
      expect(await row(store, watch.id)).toMatchObject({ status: 'ended', statusReason: 'the job finished' });
    });

    test(`an event Slack keeps failing is retried with growing delays, without asking BlueKing, and given up after ${MAX_DELIVERY_ATTEMPTS} attempts`, async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(WAITING, WAITING);
      notifier.failNext('postEvent', new Error('internal_error'), MAX_DELIVERY_ATTEMPTS);

      const attemptsAfterEachPoll: number[] = [];
      const delays: number[] = [];
      for (let poll = 0; poll < MAX_DELIVERY_ATTEMPTS; poll++) {
        expect(await poller.pollOnce()).toMatchObject({ claimed: 1, polled: 1 });
        attemptsAfterEachPoll.push((await store.listOutbox(watch.id))[0]!.attempts);
        const { nextPollAt, consecutiveErrors } = await row(store, watch.id);
        // Delivery failures back off without counting as poll errors.
        expect(consecutiveErrors).toBe(0);
        delays.push(nextPollAt - clock.now);
        clock.now = nextPollAt;
      }
      // One attempt per poll: the stuck event is tried first and BlueKing is not asked meanwhile.
      expect(attemptsAfterEachPoll).toEqual([1, 2, 3, 4, 5]);
      expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
      expect(jobs.asked).toHaveLength(1);
      // The next poll gives the event up, delivers the one behind it and asks BlueKing again.
      const givenUpAt = clock.now;
      expect(await poller.pollOnce()).toMatchObject({ claimed: 1, polled: 1, eventsSent: 1 });
      expect(jobs.asked).toHaveLength(2);
      expect(notifier.calls.filter((call) => call.key === 'step_finished:101:0')).toHaveLength(MAX_DELIVERY_ATTEMPTS);
      expect(notifier.calls.filter((call) => call.method === 'postEvent' && call.error === undefined).map((call) => call.key)).toEqual(['step_waiting:102:0']);
      expect((await store.listOutbox(watch.id)).map((e) => [e.key, e.attempts, e.sentAt, e.slackTs])).toEqual([
        ['step_finished:101:0', MAX_DELIVERY_ATTEMPTS, givenUpAt, null],
        ['step_waiting:102:0', 1, givenUpAt, 'event-1'],
      ]);
    });

    test('a pause whose announcement failed is announced on the next poll and the watch pauses then', async () => {
      const { store, notifier, jobs, poller, clock } = await setup({ maxErrors: 1 });
      const watch = await watching(store);
      jobs.answer(transientError());
      notifier.failNext('postEvent', new Error('internal_error'), 1);
      expect(await poller.pollOnce()).toMatchObject({ claimed: 1, errors: 1 });
      expect(await row(store, watch.id)).toMatchObject({ status: 'active' });

      clock.now = (await row(store, watch.id)).nextPollAt;
      expect(await poller.pollOnce()).toMatchObject({ claimed: 1, eventsSent: 1 });
      // No BlueKing call: the channel was just told the watch is paused, so it is.
      expect(jobs.asked).toHaveLength(1);
      expect(await row(store, watch.id)).toMatchObject({ status: 'paused', statusReason: '1 polls in a row failed (last: BlueKing did not answer within 10s &lt;gateway&gt;)' });
      expect(notifier.calls.filter((call) => call.error === undefined).map((call) => call.key)).toEqual([`watch_paused:${T0}`]);
    });
  });

  describe('the end of a watch', () => {
    test('an expired watch says so in its thread and re-renders its status message from the stored summary, without asking BlueKing', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store, DEPLOYING, { expiresAt: T0 + DAY });
      clock.now = T0 + DAY;

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      expect(jobs.asked).toEqual([]);
      expect(notifier.calls).toEqual([event('watch_expired', QUIET, 'event-1', 'status-0', 'active'), update(DEPLOYING, 'expired')]);
      expect(notifier.events).toEqual([{ key: 'watch_expired', event: { type: 'watch_expired', ageMs: DAY } }]);
      expect(await row(store, watch.id)).toStrictEqual({ ...watch, status: 'expired', statusReason: 'expired after 1d', nextPollAt: T0 + DAY + 300_000 });
      expect(await store.listOutbox(watch.id)).toEqual([
        { watchId: watch.id, key: 'watch_expired', payload: { type: 'watch_expired', ageMs: DAY }, createdAt: T0 + DAY, attempts: 1, attemptStartedAt: null, sentAt: T0 + DAY, slackTs: 'event-1' },
      ]);
    });

    test('a watch the channel policy no longer allows (the file changed since) says so once in its thread and ends, without asking BlueKing', async () => {
      // Channel C0OPS now allows business 3 only; the watch is on business 2.
      const { store, notifier, jobs, poller, clock } = await setup({}, parseChannelPolicy('channels:\n  C0OPS:\n    businesses: [3]\n'));
      const watch = await watching(store, DEPLOYING, { channelId: 'C0OPS' });
      const reason = 'the channel policy no longer allows business 2 in this channel';

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      expect(jobs.asked).toEqual([]);
      // The subscriber is pinged (they did not stop it), then the status message shows the end.
      expect(notifier.calls).toEqual([event('watch_stopped', URGENT, 'event-1', 'status-0', 'active'), update(DEPLOYING, 'ended')]);
      expect(notifier.events).toEqual([{ key: 'watch_stopped', event: { type: 'watch_stopped', reason } }]);
      expect(await row(store, watch.id)).toStrictEqual({ ...watch, status: 'ended', statusReason: reason, lastPolledAt: T0, nextPollAt: T0 + 1 });
      clock.now = T0 + DAY - 1;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
      expect(notifier.calls).toHaveLength(2);
    });

    test('a watch in a channel whose summaries are now private ends too; one the policy still allows is polled as before', async () => {
      const policy = parseChannelPolicy('channels:\n  C0PRIVATE:\n    post_in_channel: false\n  C0OPS:\n    businesses: [2]\n');
      const { store, notifier, jobs, poller } = await setup({}, policy);
      const stopped = await watching(store, DEPLOYING, { channelId: 'C0PRIVATE' });
      const kept = await watching(store, DEPLOYING, { channelId: 'C0OPS', statusMessageTs: 'status-2' });
      jobs.answer(DEPLOYING);

      await poller.pollOnce();
      expect(jobs.asked).toEqual([{ actor: { kind: 'username', username: 'bk-U1' }, ref: REF }]);
      expect(notifier.events).toEqual([{ key: 'watch_stopped', event: { type: 'watch_stopped', reason: 'the channel policy now keeps job summaries out of this channel' } }]);
      expect(await row(store, stopped.id)).toMatchObject({ status: 'ended', statusReason: 'the channel policy now keeps job summaries out of this channel' });
      expect(await row(store, kept.id)).toMatchObject({ status: 'active', statusReason: null, lastPolledAt: T0 });
    });

    test('events a crashed poll left unposted are dropped when the policy stops the watch: only the stop line goes out', async () => {
      const { store, notifier, jobs, poller, clock } = await setup({}, parseChannelPolicy('channels:\n  C0OPS:\n    businesses: [3]\n'));
      const watch = await watching(store, RUNNING, { channelId: 'C0OPS' });
      const crashed = evaluate(snapshotOf(RUNNING), WAITING, 'all');
      expect((await store.claimDue(T0, 10, 'crashed-replica', LEASE_MS)).map((w) => w.id)).toEqual([watch.id]);
      expect(await store.saveWithLease(watch.id, 'crashed-replica', { snapshot: crashed.snapshot }, crashed.events.map((e) => ({ key: e.key, payload: e.event })))).toBe(true);
      clock.now = T0 + LEASE_MS;

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      expect(jobs.asked).toEqual([]);
      expect(notifier.calls.map((call) => [call.method, call.key ?? null])).toEqual([
        ['postEvent', 'watch_stopped'],
        ['updateStatus', null],
      ]);
      expect((await store.listOutbox(watch.id)).map((entry) => [entry.key, entry.sentAt, entry.slackTs])).toEqual([
        ['step_finished:101:0', T0 + LEASE_MS, null],
        ['step_waiting:102:0', T0 + LEASE_MS, null],
        ['watch_stopped', T0 + LEASE_MS, 'event-1'],
      ]);
    });

    test("a subscription run's watch the policy stops ends quietly; a watch in a direct message is never stopped by the policy", async () => {
      const { store, notifier, jobs, poller } = await setup({}, parseChannelPolicy('default: deny\n'));
      const run = await watching(store, DEPLOYING, { channelId: 'C0OPS', run: { subscriptionId: 'sub-1', kind: 'cron', targetId: 12, targetName: 'nightly', streak: 0 } });
      const dm = await watching(store, DEPLOYING, { channelId: 'D0ALICEDM', statusMessageTs: 'status-dm' });
      jobs.answer(DEPLOYING);

      await poller.pollOnce();
      expect(await row(store, run.id)).toMatchObject({ status: 'ended', statusReason: 'the channel policy no longer lets me post in this channel' });
      expect(notifier.calls.filter((call) => call.method === 'postEvent')).toEqual([]);
      // The direct message's watch was polled as usual (the one BlueKing call).
      expect(jobs.asked).toHaveLength(1);
      expect(await row(store, dm.id)).toMatchObject({ status: 'active', lastPolledAt: T0 });
    });

    test('a stopped watch whose line Slack makes wait stays until the line is posted, then ends; BlueKing is never asked', async () => {
      const { store, notifier, jobs, poller, clock } = await setup({}, parseChannelPolicy('default: deny\n'));
      const watch = await watching(store, DEPLOYING);
      notifier.failNext('postEvent', new ChatUnavailableError(10_000, false, 'ratelimited', 'wait'), 1);

      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ status: 'active', nextPollAt: T0 + 10_000 });
      clock.now = T0 + 10_000;
      await poller.pollOnce();
      expect(jobs.asked).toEqual([]);
      // Enqueued once, tried twice (the wait cost no attempt), then the status message shows the end.
      expect(notifier.calls.map((call) => [call.method, call.key ?? null, call.error ?? null])).toEqual([
        ['postEvent', 'watch_stopped', 'ChatUnavailableError'],
        ['postEvent', 'watch_stopped', null],
        ['updateStatus', null, null],
      ]);
      expect(notifier.events.at(-1)).toEqual({ key: 'watch_stopped', event: { type: 'watch_stopped', reason: 'the channel policy no longer lets me post in this channel' } });
      expect(await row(store, watch.id)).toMatchObject({ status: 'ended', statusReason: 'the channel policy no longer lets me post in this channel' });
      expect((await store.listOutbox(watch.id)).map((entry) => [entry.key, entry.sentAt])).toEqual([['watch_stopped', T0 + 10_000]]);
    });

    test('an expiring watch whose channel is gone still expires instead of pausing forever', async () => {
      const { store, notifier, poller, clock } = await setup();
      const watch = await watching(store, DEPLOYING, { expiresAt: T0 + DAY });
      clock.now = T0 + DAY;
      notifier.failNext('postEvent', new ChannelAccessError('channel_not_found'), 1);
      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ status: 'expired', statusReason: 'expired after 1d' });
      expect(notifier.calls.map((call) => call.method)).toEqual(['postEvent']);
    });

    test('a finished job ends the watch with its reason and is never polled again', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store, RUNNING, { notifyOn: 'finish' });
      jobs.answer(SUCCEEDED);

      expect(await poller.pollOnce()).toEqual({ claimed: 1, polled: 1, errors: 0, eventsSent: 1 });
      // "finish" watchers hear the result in the channel, without a ping.
      expect(notifier.calls).toEqual([update(SUCCEEDED, 'ended'), event('job_finished:succeeded', { urgent: false, broadcast: true }, 'event-1')]);
      expect(await row(store, watch.id)).toStrictEqual({
        ...watch,
        status: 'ended',
        statusReason: 'the job finished',
        snapshot: snapshotOf(SUCCEEDED),
        fingerprint: fingerprint(SUCCEEDED),
        lastPolledAt: T0,
        lastChangedAt: T0,
        nextPollAt: T0 + 1,
      });
      expect(await store.lastSummary(watch.id)).toEqual(SUCCEEDED);
      clock.now = T0 + DAY - 1;
      expect(await poller.pollOnce()).toEqual({ claimed: 0, polled: 0, errors: 0, eventsSent: 0 });
    });
  });

  describe('the status message and pacing', () => {
    test('the summary is saved as lastSummary when the status message shows it, and only then', async () => {
      const { store, notifier, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      // Same fingerprint as DEPLOYING (step names are not part of it), different content.
      const renamed = summary(step(101, 'prepare (renamed)', S.SUCCESS, hostsIn(9, 2)), step(102, 'deploy', S.RUNNING, hostsIn(7, 3)));
      expect(fingerprint(renamed)).toBe(fingerprint(DEPLOYING));
      jobs.answer(DEPLOYING, renamed);

      await poller.pollOnce();
      expect(notifier.calls.filter((call) => call.method === 'updateStatus')).toEqual([update(DEPLOYING, 'active')]);
      expect(await store.lastSummary(watch.id)).toEqual(DEPLOYING);

      clock.now = T0 + 1;
      await poller.pollOnce();
      expect(notifier.count('updateStatus')).toBe(1);
      expect(await store.lastSummary(watch.id)).toEqual(DEPLOYING);
    });

    test('a quiet job is polled less often; a change brings it back to every cycle', async () => {
      const { store, jobs, poller, clock } = await setup();
      const watch = await watching(store);
      jobs.answer(RUNNING, RUNNING, DEPLOYING);

      clock.now = T0 + 20 * 60_000;
      await poller.pollOnce();
      expect(await row(store, watch.id)).toStrictEqual({ ...watch, lastPolledAt: T0 + 20 * 60_000, lastChangedAt: T0, nextPollAt: T0 + 21 * 60_000 });

      clock.now = T0 + 7 * 60 * 60_000;
      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ lastChangedAt: T0, nextPollAt: T0 + 7 * 60 * 60_000 + 300_000 });

      clock.now = T0 + 8 * 60 * 60_000;
      await poller.pollOnce();
      expect(await row(store, watch.id)).toMatchObject({ lastChangedAt: T0 + 8 * 60 * 60_000, nextPollAt: T0 + 8 * 60 * 60_000 + 1 });
    });
  });
});
