/**
 * The SubscriptionStore contract: one suite that every adapter must pass (see sqlite.test.ts,
 * postgres.test.ts and memory.test.ts), in the style of contract.ts. Subscription runs are
 * followed by watches, so it also checks how run watches live among people's watches.
 * Times are fixed numbers: the store never reads a clock, so neither do the tests.
 */
import type { SubscriptionStore, WatchStore } from '../../src/watch/ports';
import { type NewSubscription, type RunResultRecord, type Subscription, type SubscriptionRun, type SubscriptionState, type SubscriptionTarget, initialSubscriptionState } from '../../src/watch/subscriptionTypes';
import type { NewWatch, RunOf, Watch } from '../../src/watch/types';
import { openedStores } from './openedStores';

/** Every adapter implements both ports: a run's watch is created with its run. */
type Store = WatchStore & SubscriptionStore;

/**
 * @param open returns a new, not yet migrated store on the current test database. Every store
 *   opened during one test must reach the same data (two stores act as two replicas); the first
 *   open of a test must find an empty (or missing) database.
 * @param cleanup runs after each test, once the stores it opened are closed: it must make the
 *   next `open` start from an empty database.
 */
export function describeSubscriptionStoreContract(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`SubscriptionStore contract: ${name}`, () => {
    const openStore = openedStores(open, cleanup);
    let store: Store;

    beforeEach(async () => {
      store = await openStore();
    });

    describe('createSubscription and getSubscription', () => {
      test('round-trips every field: business set scope, a target with nulls, the initial state, version 0', async () => {
        const input = newSubscription({
          channelId: 'C0123',
          // Beyond 32 bits: BIGINT columns, which some drivers return as strings.
          scope: { bizId: 3_000_000_001, scopeType: 'biz_set' },
          target: ONE_OFF_CRON,
          subscriberId: 'U0456',
          bkUsername: null,
          notifyOn: 'all',
          digestAt: null,
          createdAt: T0 + 5,
        });
        const { subscription } = createdSub(await store.createSubscription(input));
        const expected: Subscription = {
          id: subscription.id,
          channelId: 'C0123',
          scope: { bizId: 3_000_000_001, scopeType: 'biz_set' },
          target: { kind: 'cron', id: 20_000_000_007, name: 'once <db> & "api"', planId: 20_000_000_100, expression: null, timeZone: null, templateId: null },
          subscriberId: 'U0456',
          bkUsername: null,
          notifyOn: 'all',
          digestAt: null,
          status: 'active',
          statusReason: null,
          createdAt: T0 + 5,
          version: 0,
          state: {
            failStreak: 0,
            failThreadTs: null,
            failThreadPendingSince: null,
            failStreakRunId: null,
            lastRunId: null,
            lastRunAt: null,
            lastResult: null,
            resultSince: null,
            mutedUntil: null,
            mutedAt: null,
            mutedBy: null,
            lastDigestAt: null,
            targetCheckedAt: T0 + 5,
          },
        };
        expect(typeof subscription.id).toBe('string');
        expect(subscription.id).not.toBe('');
        expect(subscription).toStrictEqual(expected);
        expect(expected.state).toStrictEqual(initialSubscriptionState(T0 + 5));
        const read = await store.getSubscription(subscription.id);
        expect(read).toStrictEqual(expected);
        expect(typeof read?.scope.bizId).toBe('number');
        expect(typeof read?.version).toBe('number');
      });

      test('round-trips a business scope (no scopeType key), a full target and the optional fields set', async () => {
        const { subscription } = createdSub(await store.createSubscription(newSubscription()));
        const expected: Subscription = {
          id: subscription.id,
          channelId: CHANNEL,
          scope: { bizId: 2 },
          target: { kind: 'cron', id: 7, name: 'nightly backup', planId: 100, expression: '0 2 * * *', timeZone: 'Asia/Shanghai', templateId: null },
          subscriberId: 'U_SUBSCRIBER',
          bkUsername: 'alice',
          notifyOn: 'failure',
          digestAt: '09:00',
          status: 'active',
          statusReason: null,
          createdAt: T0,
          version: 0,
          state: initialSubscriptionState(T0),
        };
        expect(subscription).toStrictEqual(expected);
        expect(await store.getSubscription(subscription.id)).toStrictEqual(expected);
        const plan = createdSub(await store.createSubscription(newSubscription({ target: PLAN }))).subscription;
        expect((await store.getSubscription(plan.id))?.target).toStrictEqual({ kind: 'plan', id: 100, name: 'deploy web', planId: 100, expression: null, timeZone: null, templateId: 55 });
      });

      test('getSubscription of an unknown id is null', async () => {
        expect(await store.getSubscription('no-such-subscription')).toBeNull();
      });
    });

    describe('one active subscription per channel, scope, kind and target', () => {
      test('a second create returns the existing subscription and creates nothing', async () => {
        const first = createdSub(await store.createSubscription(newSubscription())).subscription;
        const second = await store.createSubscription(newSubscription({ subscriberId: 'U_OTHER', notifyOn: 'all', createdAt: T0 + 9, target: { ...CRON, name: 'renamed' } }));
        expect(second).toStrictEqual({ created: false, existing: first });
        expect(await store.countSubscriptionsInChannel(CHANNEL)).toBe(1);
      });

      test('another channel, the other kind with the same id, the business set with the same id are separate', async () => {
        const a = createdSub(await store.createSubscription(newSubscription())).subscription;
        const b = createdSub(await store.createSubscription(newSubscription({ channelId: 'C_OTHER' }))).subscription;
        const c = createdSub(await store.createSubscription(newSubscription({ target: { ...PLAN, id: CRON.id } }))).subscription;
        const d = createdSub(await store.createSubscription(newSubscription({ scope: { bizId: 2, scopeType: 'biz_set' } }))).subscription;
        const e = createdSub(await store.createSubscription(newSubscription({ target: { ...CRON, id: CRON.id + 1 } }))).subscription;
        expect(new Set([a.id, b.id, c.id, d.id, e.id]).size).toBe(5);
        expect(await store.countSubscriptionsInChannel(CHANNEL)).toBe(4);
      });

      test('an ended subscription does not conflict', async () => {
        const old = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.updateSubscription(old.id, null, { status: 'ended', statusReason: 'unsubscribed by <@U1>' })).not.toBeNull();
        const fresh = createdSub(await store.createSubscription(newSubscription({ createdAt: T0 + 1 }))).subscription;
        expect(fresh.id).not.toBe(old.id);
        expect((await store.getSubscription(old.id))?.status).toBe('ended');
        expect(ids(await store.listSubscriptionsByChannel(CHANNEL))).toEqual([fresh.id]);
      });

      test('two replicas creating at once create one', async () => {
        const other = await openStore();
        const results = await Promise.all([store.createSubscription(newSubscription()), other.createSubscription(newSubscription({ subscriberId: 'U_OTHER' }))]);
        const made = results.filter((result) => result.created);
        expect(made).toHaveLength(1);
        const id = made[0]?.created ? made[0].subscription.id : undefined;
        for (const result of results) expect(result.created ? result.subscription.id : result.existing.id).toBe(id);
        expect(await store.countSubscriptionsInChannel(CHANNEL)).toBe(1);
        expect(await other.listActiveSubscriptions()).toHaveLength(1);
      });
    });

    describe('lists and counts', () => {
      test('by channel, by subscriber and all active: oldest first, active only', async () => {
        // Created out of order, to see the order is by createdAt and not by insertion.
        const second = createdSub(await store.createSubscription(newSubscription({ target: cron(2), createdAt: T0 + 2, subscriberId: 'U1' }))).subscription;
        const first = createdSub(await store.createSubscription(newSubscription({ target: cron(1), createdAt: T0 + 1, subscriberId: 'U1' }))).subscription;
        const third = createdSub(await store.createSubscription(newSubscription({ target: cron(3), createdAt: T0 + 3, subscriberId: 'U2' }))).subscription;
        const ended = createdSub(await store.createSubscription(newSubscription({ target: cron(4), createdAt: T0 + 4, subscriberId: 'U1' }))).subscription;
        const elsewhere = createdSub(await store.createSubscription(newSubscription({ channelId: 'C_OTHER', target: cron(1), createdAt: T0, subscriberId: 'U1' }))).subscription;
        await store.updateSubscription(ended.id, null, { status: 'ended' });

        expect(ids(await store.listSubscriptionsByChannel(CHANNEL))).toEqual([first.id, second.id, third.id]);
        expect(ids(await store.listSubscriptionsByChannel('C_OTHER'))).toEqual([elsewhere.id]);
        expect(await store.listSubscriptionsByChannel('C_NONE')).toEqual([]);
        expect(ids(await store.listSubscriptionsBySubscriber('U1'))).toEqual([elsewhere.id, first.id, second.id]);
        expect(ids(await store.listSubscriptionsBySubscriber('U2'))).toEqual([third.id]);
        expect(await store.listSubscriptionsBySubscriber('U_NONE')).toEqual([]);
        expect(ids(await store.listActiveSubscriptions())).toEqual([elsewhere.id, first.id, second.id, third.id]);
        expect(await store.listSubscriptionsByChannel(CHANNEL)).toStrictEqual([first, second, third]);

        const count = await store.countSubscriptionsInChannel(CHANNEL);
        expect(count).toBe(3);
        expect(typeof count).toBe('number');
        expect(await store.countSubscriptionsInChannel('C_OTHER')).toBe(1);
        expect(await store.countSubscriptionsInChannel('C_NONE')).toBe(0);
      });
    });

    describe('updateSubscription (optimistic lock)', () => {
      test('with the stored version applies the patch and bumps the version', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        const patch = { statusReason: 'why', notifyOn: 'all', digestAt: null, target: { ...CRON, name: 'renamed', expression: '0 3 * * *' }, state: MUTED_STATE } as const;
        const expected: Subscription = { ...sub, ...patch, version: 1 };
        expect(await store.updateSubscription(sub.id, 0, patch)).toStrictEqual(expected);
        expect(await store.getSubscription(sub.id)).toStrictEqual(expected);
      });

      test('with a stale version returns null and changes nothing', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        const moved = await store.updateSubscription(sub.id, 0, { statusReason: 'first' });
        expect(moved).toStrictEqual({ ...sub, statusReason: 'first', version: 1 });
        expect(await store.updateSubscription(sub.id, 0, { statusReason: 'second', status: 'ended', state: MUTED_STATE })).toBeNull();
        expect(await store.updateSubscription(sub.id, 2, { statusReason: 'ahead' })).toBeNull();
        expect(await store.getSubscription(sub.id)).toStrictEqual(moved);
      });

      test('with a null version applies whatever the version is', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        await store.updateSubscription(sub.id, 0, { digestAt: '18:30' });
        const ended = await store.updateSubscription(sub.id, null, { status: 'ended', statusReason: 'unsubscribed by <@U1>' });
        const expected: Subscription = { ...sub, digestAt: '18:30', status: 'ended', statusReason: 'unsubscribed by <@U1>', version: 2 };
        expect(ended).toStrictEqual(expected);
        expect(await store.getSubscription(sub.id)).toStrictEqual(expected);
      });

      test('a field given as undefined is left as it is, as an omitted one', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription()));
        const patched = await store.updateSubscription(sub.subscription.id, 0, { statusReason: undefined, digestAt: undefined, notifyOn: 'all' });
        expect(patched).toStrictEqual({ ...sub.subscription, notifyOn: 'all', version: 1 });
        expect(await store.getSubscription(sub.subscription.id)).toStrictEqual(patched);
      });

      test('an unknown id is null', async () => {
        expect(await store.updateSubscription('no-such-subscription', null, { status: 'ended' })).toBeNull();
        expect(await store.updateSubscription('no-such-subscription', 0, { status: 'ended' })).toBeNull();
      });
    });

    describe('scan cursors', () => {
      test('null until advanced, then only moves forward', async () => {
        const biz5 = { bizId: 5 };
        expect(await store.scanCursor(biz5)).toBeNull();
        await store.advanceScanCursor(biz5, T0 + 100);
        expect(await store.scanCursor(biz5)).toBe(T0 + 100);
        await store.advanceScanCursor(biz5, T0 + 50);
        expect(await store.scanCursor(biz5)).toBe(T0 + 100);
        await store.advanceScanCursor(biz5, T0 + 100);
        expect(await store.scanCursor(biz5)).toBe(T0 + 100);
        await store.advanceScanCursor(biz5, T0 + 200);
        const cursor = await store.scanCursor(biz5);
        expect(cursor).toBe(T0 + 200);
        expect(typeof cursor).toBe('number');
      });

      test('each business and business set has its own', async () => {
        await store.advanceScanCursor({ bizId: 5 }, T0 + 100);
        expect(await store.scanCursor({ bizId: 5, scopeType: 'biz_set' })).toBeNull();
        expect(await store.scanCursor({ bizId: 6 })).toBeNull();
        await store.advanceScanCursor({ bizId: 5, scopeType: 'biz_set' }, T0 + 7);
        expect(await store.scanCursor({ bizId: 5, scopeType: 'biz_set' })).toBe(T0 + 7);
        expect(await store.scanCursor({ bizId: 5 })).toBe(T0 + 100);
      });
    });

    describe('runs', () => {
      test('addRun records the run and creates its watch', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);

        const run = await store.getRun(sub.id, JOB);
        if (run === null) throw new Error('expected the run');
        expect(typeof run.watchId).toBe('string');
        expect(run.watchId).not.toBe('');
        expect(run).toStrictEqual<SubscriptionRun>({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100, watchId: run.watchId, result: null, durationMs: null, finishedAt: null, muted: false, outcome: null });
        expect(await store.get(run.watchId)).toStrictEqual<Watch>({
          id: run.watchId,
          channelId: CHANNEL,
          ref: { bizId: 2, jobInstanceId: JOB },
          subscriberId: 'U_SUBSCRIBER',
          bkUsername: 'alice',
          notifyOn: 'failure',
          status: 'active',
          statusReason: null,
          statusMessageTs: null,
          snapshot: null,
          fingerprint: null,
          createdAt: T0 + 110,
          expiresAt: T0 + 110 + DAY,
          lastPolledAt: null,
          lastChangedAt: T0 + 110,
          nextPollAt: T0 + 110,
          consecutiveErrors: 0,
          lastError: null,
          run: { subscriptionId: sub.id, kind: 'cron', targetId: 7, targetName: 'nightly backup', streak: 0 },
          threadTs: null,
        });
        expect(await store.getRun(sub.id, JOB + 1)).toBeNull();
        expect(await store.getRun('no-such-subscription', JOB)).toBeNull();
      });

      test('a second addRun of the same run returns false and creates no second watch', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        const run = await store.getRun(sub.id, JOB);
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 999 }, runWatch(sub, JOB, { subscriberId: 'U_OTHER' }))).toBe(false);
        expect(await store.getRun(sub.id, JOB)).toStrictEqual(run);
        expect(await store.countActive()).toBe(1);
        expect(watchIds(await store.claimDue(T0 + DAY, 100, 'poller-a', LEASE_MS))).toEqual([run?.watchId]);
      });

      test('the same job in another subscription is another run', async () => {
        const a = createdSub(await store.createSubscription(newSubscription())).subscription;
        const b = createdSub(await store.createSubscription(newSubscription({ channelId: 'C_OTHER' }))).subscription;
        expect(await store.addRun({ subscriptionId: a.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(a, JOB))).toBe(true);
        expect(await store.addRun({ subscriptionId: b.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(b, JOB))).toBe(true);
        const runA = await store.getRun(a.id, JOB);
        const runB = await store.getRun(b.id, JOB);
        expect(runA?.watchId).not.toBe(runB?.watchId);
        expect(await store.countActive()).toBe(2);
      });

      test('two replicas adding the same run at once: exactly one adds it', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        const other = await openStore();
        const answers = await Promise.all([
          store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB)),
          other.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB)),
        ]);
        expect(answers.sort()).toEqual([false, true]);
        expect(await other.countActive()).toBe(1);
        expect(await store.claimDue(T0 + DAY, 100, 'poller-a', LEASE_MS)).toHaveLength(1);
      });

      test('listRuns is the runs created in [from, to), oldest first', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        const other = createdSub(await store.createSubscription(newSubscription({ target: cron(9) }))).subscription;
        // Added out of order; two runs share a create time (ordered by job id).
        for (const [jobInstanceId, createdAt] of [
          [JOB + 4, T0 + 30],
          [JOB + 3, T0 + 20],
          [JOB + 1, T0 + 10],
          [JOB + 2, T0 + 20],
          [JOB + 5, T0 + 9],
        ] as const) {
          expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId, createdAt }, runWatch(sub, jobInstanceId))).toBe(true);
        }
        expect(await store.addRun({ subscriptionId: other.id, jobInstanceId: JOB + 6, createdAt: T0 + 15 }, runWatch(other, JOB + 6))).toBe(true);

        const runs = await store.listRuns(sub.id, T0 + 10, T0 + 30);
        expect(runs.map((run) => [run.jobInstanceId, run.createdAt])).toEqual([
          [JOB + 1, T0 + 10],
          [JOB + 2, T0 + 20],
          [JOB + 3, T0 + 20],
        ]);
        expect(runs[0]).toStrictEqual(await store.getRun(sub.id, JOB + 1));
        expect(await store.listRuns(sub.id, T0 + 11, T0 + 20)).toEqual([]);
        expect((await store.listRuns(sub.id, T0, T0 + 31)).map((run) => run.jobInstanceId)).toEqual([JOB + 5, JOB + 1, JOB + 2, JOB + 3, JOB + 4]);
        expect((await store.listRuns(other.id, T0, T0 + 31)).map((run) => run.jobInstanceId)).toEqual([JOB + 6]);
        expect(await store.listRuns('no-such-subscription', T0, T0 + 31)).toEqual([]);
      });
    });

    describe('run watches among people\'s watches', () => {
      test('findOpen, the channel and subscriber lists and the channel count do not see a run watch', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        expect(await store.findOpen(CHANNEL, { bizId: 2, jobInstanceId: JOB })).toBeNull();
        expect(await store.listOpenByChannel(CHANNEL)).toEqual([]);
        expect(await store.listOpenBySubscriber('U_SUBSCRIBER')).toEqual([]);
        expect(await store.countActiveInChannel(CHANNEL)).toBe(0);
        // It is polled like any other watch.
        expect(await store.countActive()).toBe(1);
      });

      test('a run watch does not block a person\'s watch on the same channel and job', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        const runWatchId = (await store.getRun(sub.id, JOB))?.watchId;
        const mine = createdWatch(await store.create(personWatch()));
        expect(mine.id).not.toBe(runWatchId);
        expect(mine.run).toBeNull();
        expect(await store.findOpen(CHANNEL, { bizId: 2, jobInstanceId: JOB })).toStrictEqual(mine);
        expect(watchIds(await store.listOpenByChannel(CHANNEL))).toEqual([mine.id]);
        expect(await store.countActiveInChannel(CHANNEL)).toBe(1);
        expect(await store.countActive()).toBe(2);
      });

      test('a person\'s watch does not block a run watch on the same channel and job', async () => {
        const mine = createdWatch(await store.create(personWatch()));
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        const run = await store.getRun(sub.id, JOB);
        expect(run?.watchId).not.toBe(mine.id);
        expect((await store.get(run?.watchId ?? ''))?.run?.subscriptionId).toBe(sub.id);
        expect(await store.findOpen(CHANNEL, { bizId: 2, jobInstanceId: JOB })).toStrictEqual(mine);
        expect(await store.countActive()).toBe(2);
        // findOpenRun finds the run watch (and only while it is open), never the person's.
        expect((await store.findOpenRun(CHANNEL, { bizId: 2, jobInstanceId: JOB }))?.id).toBe(run?.watchId);
        expect(await store.findOpenRun('C_OTHER', { bizId: 2, jobInstanceId: JOB })).toBeNull();
        await store.update(run?.watchId ?? '', { status: 'ended' });
        expect(await store.findOpenRun(CHANNEL, { bizId: 2, jobInstanceId: JOB })).toBeNull();
      });

      test('run and threadTs round-trip through update and saveWithLease', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        const watchId = (await store.getRun(sub.id, JOB))?.watchId ?? '';
        const before = await store.get(watchId);
        if (before === null) throw new Error('expected the run watch');

        const streak3: RunOf = { subscriptionId: sub.id, kind: 'plan', targetId: 20_000_000_100, targetName: 'renamed "plan"', streak: 3 };
        const updated = await store.update(watchId, { run: streak3, threadTs: '1700000000.000200' });
        expect(updated).toStrictEqual({ ...before, run: streak3, threadTs: '1700000000.000200' });
        expect(await store.get(watchId)).toStrictEqual(updated);

        const [claimed] = await store.claimDue(T0 + DAY, 10, 'poller-a', LEASE_MS);
        expect(claimed?.id).toBe(watchId);
        const streak4: RunOf = { ...streak3, streak: 4 };
        expect(await store.saveWithLease(watchId, 'poller-a', { run: streak4, threadTs: '1700000000.000300', lastPolledAt: T0 + DAY }, [])).toBe(true);
        expect(await store.get(watchId)).toStrictEqual({ ...before, run: streak4, threadTs: '1700000000.000300', lastPolledAt: T0 + DAY });

        // threadTs clears with null; a person's watch can carry a thread too.
        expect(await store.update(watchId, { threadTs: null })).toStrictEqual({ ...before, run: streak4, threadTs: null, lastPolledAt: T0 + DAY });
        const mine = createdWatch(await store.create(personWatch()));
        expect(await store.update(mine.id, { threadTs: '1700000000.000400' })).toStrictEqual({ ...mine, threadTs: '1700000000.000400' });
      });
    });

    describe('recordRunResult', () => {
      test('with the stored version records the result on the run and applies the patch', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        const run = await store.getRun(sub.id, JOB);
        if (run === null) throw new Error('expected the run');

        const result: RunResultRecord = { result: 'failed', durationMs: 65_000, finishedAt: T0 + 200, muted: true, outcome: OUTCOME };
        expect(await store.recordRunResult(sub.id, 0, JOB, result, { state: FAILED_STATE })).toBe(true);
        expect(await store.getRun(sub.id, JOB)).toStrictEqual<SubscriptionRun>({ ...run, result: 'failed', durationMs: 65_000, finishedAt: T0 + 200, muted: true, outcome: OUTCOME });
        expect(await store.getSubscription(sub.id)).toStrictEqual<Subscription>({ ...sub, state: FAILED_STATE, version: 1 });

        // The next run, at the new version; a null duration and an unmuted run read back as such.
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB + 1, createdAt: T0 + 300 }, runWatch(sub, JOB + 1))).toBe(true);
        const next = await store.getRun(sub.id, JOB + 1);
        expect(await store.recordRunResult(sub.id, 1, JOB + 1, { result: 'succeeded', durationMs: null, finishedAt: T0 + 400, muted: false, outcome: 'quiet' }, { statusReason: 'recovered', state: initialSubscriptionState(T0 + 400) })).toBe(true);
        expect(await store.getRun(sub.id, JOB + 1)).toStrictEqual({ ...next, result: 'succeeded', durationMs: null, finishedAt: T0 + 400, muted: false, outcome: 'quiet' });
        expect(await store.getSubscription(sub.id)).toStrictEqual({ ...sub, statusReason: 'recovered', state: initialSubscriptionState(T0 + 400), version: 2 });
      });

      test('with a stale version returns false and changes neither the run nor the subscription', async () => {
        const sub = createdSub(await store.createSubscription(newSubscription())).subscription;
        expect(await store.addRun({ subscriptionId: sub.id, jobInstanceId: JOB, createdAt: T0 + 100 }, runWatch(sub, JOB))).toBe(true);
        const moved = await store.updateSubscription(sub.id, 0, { digestAt: '07:00' });
        const run = await store.getRun(sub.id, JOB);

        expect(await store.recordRunResult(sub.id, 0, JOB, { result: 'failed', durationMs: 5, finishedAt: T0 + 200, muted: false, outcome: OUTCOME }, { state: FAILED_STATE, status: 'ended' })).toBe(false);
        expect(await store.getRun(sub.id, JOB)).toStrictEqual(run);
        expect(await store.getSubscription(sub.id)).toStrictEqual(moved);
        expect(await store.recordRunResult('no-such-subscription', 0, JOB, { result: 'failed', durationMs: 5, finishedAt: T0 + 200, muted: false, outcome: null }, {})).toBe(false);
      });
    });
  });
}

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;
const LEASE_MS = 60_000;
const CHANNEL = 'C_SUBSCRIPTIONS';
/** A job instance id beyond 32 bits. */
const JOB = 20_000_000_123;

const CRON: SubscriptionTarget = { kind: 'cron', id: 7, name: 'nightly backup', planId: 100, expression: '0 2 * * *', timeZone: 'Asia/Shanghai', templateId: null };
const PLAN: SubscriptionTarget = { kind: 'plan', id: 100, name: 'deploy web', planId: 100, expression: null, timeZone: null, templateId: 55 };
/** A one-off cron: every nullable field null. */
const ONE_OFF_CRON: SubscriptionTarget = { kind: 'cron', id: 20_000_000_007, name: 'once <db> & "api"', planId: 20_000_000_100, expression: null, timeZone: null, templateId: null };

/** The domain's decision stored with a result: any JSON value comes back equal. */
const OUTCOME = { posted: 'thread', streak: 1, mentions: ['U_SUBSCRIBER'], note: null };

const FAILED_STATE: SubscriptionState = {
  ...initialSubscriptionState(T0),
  failStreak: 1,
  failThreadTs: '1700000000.000500',
  lastRunId: JOB,
  lastRunAt: T0 + 100,
  lastResult: 'failed',
  resultSince: T0 + 100,
};

const MUTED_STATE: SubscriptionState = {
  ...FAILED_STATE,
  mutedUntil: T0 + DAY,
  mutedAt: T0 + 50,
  mutedBy: 'U_MUTER',
  lastDigestAt: T0 - DAY,
  targetCheckedAt: T0 + 60,
};

function newSubscription(overrides: Partial<NewSubscription> = {}): NewSubscription {
  return {
    channelId: CHANNEL,
    scope: { bizId: 2 },
    target: CRON,
    subscriberId: 'U_SUBSCRIBER',
    bkUsername: 'alice',
    notifyOn: 'failure',
    digestAt: '09:00',
    createdAt: T0,
    ...overrides,
  };
}

function cron(id: number): SubscriptionTarget {
  return { ...CRON, id, name: `cron ${id}` };
}

/** The watch the scanner creates with a run (created 10 ms after the run, as if found a little later). */
function runWatch(sub: Subscription, jobInstanceId: number, overrides: Partial<NewWatch> = {}): NewWatch {
  return {
    channelId: sub.channelId,
    ref: { ...sub.scope, jobInstanceId },
    subscriberId: sub.subscriberId,
    bkUsername: sub.bkUsername,
    notifyOn: sub.notifyOn,
    createdAt: T0 + 110,
    expiresAt: T0 + 110 + DAY,
    statusMessageTs: null,
    snapshot: null,
    fingerprint: null,
    nextPollAt: T0 + 110,
    run: { subscriptionId: sub.id, kind: sub.target.kind, targetId: sub.target.id, targetName: sub.target.name, streak: 0 },
    ...overrides,
  };
}

/** A watch someone started on the same channel and job as the runs. */
function personWatch(): NewWatch {
  return {
    channelId: CHANNEL,
    ref: { bizId: 2, jobInstanceId: JOB },
    subscriberId: 'U_PERSON',
    notifyOn: 'all',
    createdAt: T0 + 1,
    expiresAt: T0 + DAY,
    statusMessageTs: '1700000000.000100',
    snapshot: null,
    fingerprint: null,
    nextPollAt: T0 + 1,
  };
}

function createdSub(result: Awaited<ReturnType<SubscriptionStore['createSubscription']>>): { subscription: Subscription } {
  if (!result.created) throw new Error(`expected a new subscription, got existing ${result.existing.id}`);
  return { subscription: result.subscription };
}

function createdWatch(result: Awaited<ReturnType<WatchStore['create']>>): Watch {
  if (!result.created) throw new Error(`expected a new watch, got existing ${result.existing?.id}`);
  return result.watch;
}

function ids(subscriptions: readonly Subscription[]): string[] {
  return subscriptions.map((subscription) => subscription.id);
}

function watchIds(watches: readonly Watch[]): string[] {
  return watches.map((watch) => watch.id);
}
