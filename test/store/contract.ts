/**
 * The WatchStore contract: one suite that every adapter must pass (see sqlite.test.ts and
 * postgres.test.ts). Times are fixed numbers: the store never reads a clock, so neither do the tests.
 */
import type { RequestGuard } from '../../src/util/requestGuard';
import type { WatchStore as PortWatchStore } from '../../src/watch/ports';

/** Every adapter is both: the watch store and the Slack replay guard (src/util/requestGuard.ts). */
type WatchStore = PortWatchStore & RequestGuard;
import type { JobState, JobSummary } from '../../src/summary/types';
import type { NewOutboxEntry, NewWatch, Watch, WatchSnapshot } from '../../src/watch/types';

/**
 * @param open returns a new, not yet migrated store on the current test database. Every store
 *   opened during one test must reach the same data (the concurrency tests open two, like two
 *   replicas); the first open of a test must find an empty (or missing) database.
 * @param cleanup runs after each test, once the stores it opened are closed: it must make the
 *   next `open` start from an empty database (e.g. switch to a new file or schema).
 */
export function describeWatchStoreContract(name: string, open: () => Promise<WatchStore>, cleanup?: () => Promise<void>): void {
  describe(`WatchStore contract: ${name}`, () => {
    const opened: WatchStore[] = [];

    async function openStore(options: { migrate: boolean } = { migrate: true }): Promise<WatchStore> {
      const store = await open();
      opened.push(store);
      if (options.migrate) await store.migrate();
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await cleanup?.();
    });

    test('migrate is idempotent and safe when replicas start together', async () => {
      const a = await openStore({ migrate: false });
      const b = await openStore({ migrate: false });
      await Promise.all([a.migrate(), b.migrate()]);
      await a.migrate();
      const { watch } = created(await a.create(newWatch()));
      expect(await b.get(watch.id)).toEqual(watch);
    });

    describe('with a migrated store', () => {
      let store: WatchStore;

      beforeEach(async () => {
        store = await openStore();
      });

      describe('seenSignature (Slack replay guard)', () => {
        test('a signature is new once, then seen until it expires, then new again', async () => {
          const store = await openStore();
          expect(await store.seenSignature('v0=aaa', 1_000, 300_000)).toBe(false);
          expect(await store.seenSignature('v0=aaa', 1_001, 300_000)).toBe(true);
          expect(await store.seenSignature('v0=aaa', 300_999, 300_000)).toBe(true);
          expect(await store.seenSignature('v0=bbb', 300_999, 300_000)).toBe(false);
          // Expired: pruned, and the same bytes count as new (the timestamp check refuses them anyway).
          expect(await store.seenSignature('v0=aaa', 301_000, 300_000)).toBe(false);
          expect(await store.seenSignature('v0=aaa', 301_001, 300_000)).toBe(true);
        });

        test('replicas share it: of two concurrent calls with the same signature exactly one is new', async () => {
          const a = await openStore();
          const b = await openStore();
          const answers = await Promise.all([a.seenSignature('v0=same', 5_000, 300_000), b.seenSignature('v0=same', 5_000, 300_000)]);
          expect(answers.sort()).toEqual([false, true]);
          expect(await b.seenSignature('v0=same', 6_000, 300_000)).toBe(true);
        });
      });

      describe('create and read', () => {
        test('round-trips every field, numbers as numbers', async () => {
          const input = newWatch({
            channelId: 'C0123',
            // Beyond 32 bits: BIGINT columns, which some drivers return as strings.
            ref: { bizId: 3_000_000_001, jobInstanceId: 20_000_000_123 },
            subscriberId: 'U0456',
            bkUsername: 'q9k6bhqks0ckl5ew',
            notifyOn: 'failure',
            createdAt: T0,
            expiresAt: T0 + 7 * DAY,
            statusMessageTs: '1700000000.000100',
            snapshot: SNAPSHOT,
            fingerprint: 'fp-1',
            nextPollAt: T0 + 30_000,
          });
          const { watch } = created(await store.create(input));

          const expected: Watch = {
            id: watch.id,
            channelId: 'C0123',
            ref: { bizId: 3_000_000_001, jobInstanceId: 20_000_000_123 },
            subscriberId: 'U0456',
            bkUsername: 'q9k6bhqks0ckl5ew',
            notifyOn: 'failure',
            status: 'active',
            statusReason: null,
            statusMessageTs: '1700000000.000100',
            snapshot: SNAPSHOT,
            fingerprint: 'fp-1',
            createdAt: T0,
            expiresAt: T0 + 7 * DAY,
            lastPolledAt: null,
            lastChangedAt: T0,
            nextPollAt: T0 + 30_000,
            consecutiveErrors: 0,
            lastError: null,
            run: null,
            threadTs: null,
          };
          expect(typeof watch.id).toBe('string');
          expect(watch.id).not.toBe('');
          expect(watch).toStrictEqual(expected);
          const read = await store.get(watch.id);
          expect(read).toStrictEqual(expected);
          expect(typeof read?.ref.jobInstanceId).toBe('number');
          expect(typeof read?.createdAt).toBe('number');
          expect(typeof read?.snapshot?.steps[0]?.stepInstanceId).toBe('number');
        });

        test('round-trips nulls', async () => {
          const { watch } = created(await store.create(newWatch({ statusMessageTs: null, snapshot: null, fingerprint: null })));
          const read = await store.get(watch.id);
          // No BlueKing user given (fixed mode, older callers): stored as NULL.
          expect(read?.bkUsername).toBeNull();
          expect(read?.statusMessageTs).toBeNull();
          expect(read?.snapshot).toBeNull();
          expect(read?.fingerprint).toBeNull();
          expect(read).toStrictEqual(watch);
        });

        test('get of an unknown id is null', async () => {
          expect(await store.get('no-such-watch')).toBeNull();
        });

        test('gives each watch its own id', async () => {
          const a = created(await store.create(newWatch({ ref: job(1) })));
          const b = created(await store.create(newWatch({ ref: job(2) })));
          expect(a.watch.id).not.toBe(b.watch.id);
        });
      });

      describe('one open watch per channel and job', () => {
        test('a second create returns the existing watch', async () => {
          const first = created(await store.create(newWatch()));
          const second = await store.create(newWatch({ subscriberId: 'U_OTHER', notifyOn: 'all', createdAt: T0 + 5 }));
          expect(second).toStrictEqual({ created: false, existing: first.watch });
          expect(await store.listOpenByChannel(CHANNEL)).toHaveLength(1);
        });

        test('other channels, other jobs and the same job id in another business are separate', async () => {
          created(await store.create(newWatch({ channelId: 'C1', ref: { bizId: 2, jobInstanceId: 100 } })));
          created(await store.create(newWatch({ channelId: 'C2', ref: { bizId: 2, jobInstanceId: 100 } })));
          created(await store.create(newWatch({ channelId: 'C1', ref: { bizId: 2, jobInstanceId: 101 } })));
          created(await store.create(newWatch({ channelId: 'C1', ref: { bizId: 3, jobInstanceId: 100 } })));
        });

        test('business 2 and business set 2 are different scopes; the scope reads back as written', async () => {
          const inBiz = created(await store.create(newWatch({ channelId: 'C1', ref: { bizId: 2, jobInstanceId: 100 } }))).watch;
          const inSet = created(await store.create(newWatch({ channelId: 'C1', ref: { bizId: 2, jobInstanceId: 100, scopeType: 'biz_set' } }))).watch;
          expect(inSet.ref).toEqual({ bizId: 2, jobInstanceId: 100, scopeType: 'biz_set' });
          expect(inBiz.ref).toEqual({ bizId: 2, jobInstanceId: 100 });
          expect((await store.findOpen('C1', { bizId: 2, jobInstanceId: 100, scopeType: 'biz_set' }))?.id).toBe(inSet.id);
          expect((await store.findOpen('C1', { bizId: 2, jobInstanceId: 100 }))?.id).toBe(inBiz.id);
          expect(await store.get(inSet.id)).toEqual(inSet);
        });

        test('concurrent creates make exactly one watch', async () => {
          const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.create(newWatch({ subscriberId: `U${i}` }))));
          const made = results.filter((result) => result.created);
          expect(made).toHaveLength(1);
          const id = made[0]?.created ? made[0].watch.id : undefined;
          for (const result of results) {
            expect(result.created ? result.watch.id : result.existing?.id).toBe(id);
          }
          expect(await store.listOpenByChannel(CHANNEL)).toHaveLength(1);
        });

        test('a paused watch still counts as open', async () => {
          const { watch } = created(await store.create(newWatch()));
          await store.update(watch.id, { status: 'paused', statusReason: 'too many errors' });
          const again = await store.create(newWatch());
          expect(again.created).toBe(false);
          expect(again.created ? undefined : again.existing?.status).toBe('paused');
        });

        test.each(['ended', 'expired'] as const)('an %s watch allows a new one', async (status) => {
          const { watch: old } = created(await store.create(newWatch()));
          await store.update(old.id, { status });
          const { watch: fresh } = created(await store.create(newWatch({ createdAt: T0 + 1 })));
          expect(fresh.id).not.toBe(old.id);
          expect((await store.get(old.id))?.status).toBe(status);
          expect(await store.findOpen(CHANNEL, REF)).toStrictEqual(fresh);
        });

        test('findOpen finds active and paused watches only', async () => {
          expect(await store.findOpen(CHANNEL, REF)).toBeNull();
          const { watch } = created(await store.create(newWatch()));
          expect(await store.findOpen(CHANNEL, REF)).toStrictEqual(watch);
          expect(await store.findOpen('C_OTHER', REF)).toBeNull();
          expect(await store.findOpen(CHANNEL, { bizId: REF.bizId, jobInstanceId: REF.jobInstanceId + 1 })).toBeNull();
          await store.update(watch.id, { status: 'paused' });
          expect((await store.findOpen(CHANNEL, REF))?.id).toBe(watch.id);
          await store.update(watch.id, { status: 'ended' });
          expect(await store.findOpen(CHANNEL, REF)).toBeNull();
        });
      });

      describe('lists and counts', () => {
        test('list open watches by channel and by subscriber, oldest first', async () => {
          // Created out of order, to see the ordering is by createdAt and not by insertion.
          const second = created(await store.create(newWatch({ ref: job(2), createdAt: T0 + 2, subscriberId: 'U1' }))).watch;
          const first = created(await store.create(newWatch({ ref: job(1), createdAt: T0 + 1, subscriberId: 'U1' }))).watch;
          const paused = created(await store.create(newWatch({ ref: job(3), createdAt: T0 + 3, subscriberId: 'U2' }))).watch;
          const ended = created(await store.create(newWatch({ ref: job(4), createdAt: T0 + 4, subscriberId: 'U1' }))).watch;
          const expired = created(await store.create(newWatch({ ref: job(5), createdAt: T0 + 5, subscriberId: 'U1' }))).watch;
          const elsewhere = created(await store.create(newWatch({ channelId: 'C_OTHER', ref: job(1), createdAt: T0, subscriberId: 'U1' }))).watch;
          await store.update(paused.id, { status: 'paused' });
          await store.update(ended.id, { status: 'ended' });
          await store.update(expired.id, { status: 'expired' });

          expect(ids(await store.listOpenByChannel(CHANNEL))).toEqual([first.id, second.id, paused.id]);
          expect(ids(await store.listOpenByChannel('C_OTHER'))).toEqual([elsewhere.id]);
          expect(await store.listOpenByChannel('C_NONE')).toEqual([]);
          expect(ids(await store.listOpenBySubscriber('U1'))).toEqual([elsewhere.id, first.id, second.id]);
          expect(ids(await store.listOpenBySubscriber('U2'))).toEqual([paused.id]);
          expect(await store.listOpenBySubscriber('U_NONE')).toEqual([]);
        });

        test('counts active watches only', async () => {
          expect(await store.countActive()).toBe(0);
          expect(await store.countActiveInChannel(CHANNEL)).toBe(0);
          const a = created(await store.create(newWatch({ ref: job(1) }))).watch;
          created(await store.create(newWatch({ ref: job(2) })));
          const c = created(await store.create(newWatch({ ref: job(3) }))).watch;
          created(await store.create(newWatch({ channelId: 'C_OTHER', ref: job(1) })));
          await store.update(a.id, { status: 'paused' });
          await store.update(c.id, { status: 'ended' });

          const inChannel = await store.countActiveInChannel(CHANNEL);
          const total = await store.countActive();
          expect(inChannel).toBe(1);
          expect(total).toBe(2);
          expect(typeof total).toBe('number');
          expect(await store.countActiveInChannel('C_NONE')).toBe(0);
        });
      });

      describe('update', () => {
        test('changes the given fields and keeps the omitted ones', async () => {
          const { watch } = created(await store.create(newWatch()));
          const updated = await store.update(watch.id, {
            lastPolledAt: T0 + 1000,
            nextPollAt: T0 + 31_000,
            consecutiveErrors: 2,
            lastError: 'ESB timeout',
            snapshot: RUNNING_SNAPSHOT,
          });
          const expected: Watch = {
            ...watch,
            lastPolledAt: T0 + 1000,
            nextPollAt: T0 + 31_000,
            consecutiveErrors: 2,
            lastError: 'ESB timeout',
            snapshot: RUNNING_SNAPSHOT,
          };
          expect(updated).toStrictEqual(expected);
          expect(await store.get(watch.id)).toStrictEqual(expected);
        });

        test('explicit null clears a field', async () => {
          const { watch } = created(await store.create(newWatch()));
          await store.update(watch.id, { lastError: 'boom', statusReason: 'why', lastPolledAt: T0 });
          const cleared = await store.update(watch.id, {
            lastError: null,
            statusReason: null,
            lastPolledAt: null,
            snapshot: null,
            fingerprint: null,
            statusMessageTs: null,
          });
          expect(cleared).toStrictEqual({ ...watch, lastError: null, statusReason: null, lastPolledAt: null, snapshot: null, fingerprint: null, statusMessageTs: null });
        });

        test('every patchable field can be set', async () => {
          const { watch } = created(await store.create(newWatch()));
          const patch = {
            status: 'paused',
            statusReason: 'channel_not_found',
            statusMessageTs: '1700000001.000200',
            snapshot: RUNNING_SNAPSHOT,
            fingerprint: 'fp-2',
            lastPolledAt: T0 + 1,
            lastChangedAt: T0 + 2,
            nextPollAt: T0 + 3,
            consecutiveErrors: 4,
            lastError: 'E',
            expiresAt: T0 + 5,
          } as const;
          expect(await store.update(watch.id, patch)).toStrictEqual({ ...watch, ...patch });
        });

        test('an empty patch changes nothing; an unknown id gives null', async () => {
          const { watch } = created(await store.create(newWatch()));
          expect(await store.update(watch.id, {})).toStrictEqual(watch);
          expect(await store.update('no-such-watch', { lastError: 'x' })).toBeNull();
          expect(await store.update('no-such-watch', {})).toBeNull();
        });

        test('works while another replica holds the lease (commands such as unwatch)', async () => {
          const { watch } = created(await store.create(newWatch({ nextPollAt: T0 })));
          await store.claimDue(T0, 10, 'poller-a', LEASE_MS);
          expect((await store.update(watch.id, { status: 'ended', statusReason: 'unwatched' }))?.status).toBe('ended');
          expect(await store.claimDue(T0 + 2 * LEASE_MS, 10, 'poller-b', LEASE_MS)).toEqual([]);
        });
      });

      describe('create with a per-channel limit', () => {
        test('refuses the watch past the limit (people\'s active watches only), in the same transaction', async () => {
          created(await store.create(newWatch({ ref: job(1) }), { maxActiveInChannel: 2 }));
          const second = created(await store.create(newWatch({ ref: job(2) }), { maxActiveInChannel: 2 })).watch;
          expect(await store.create(newWatch({ ref: job(3) }), { maxActiveInChannel: 2 })).toEqual({ created: false, existing: null, max: 2 });
          // An open watch on the same job is still "already watched", not "full".
          expect((await store.create(newWatch({ ref: job(2) }), { maxActiveInChannel: 2 })).created).toBe(false);
          await store.update(second.id, { status: 'ended' });
          expect((await store.create(newWatch({ ref: job(3) }), { maxActiveInChannel: 2 })).created).toBe(true);
        });

        test('a watch created with a lease is not claimed by others until the lease ends; its holder finishes it', async () => {
          const { watch } = created(await store.create(newWatch({ ref: job(50), nextPollAt: T0, lease: { owner: 'replica-a', until: T0 + LEASE_MS } })));
          expect(await store.claimDue(T0 + 1, 10, 'replica-b', LEASE_MS)).toEqual([]);
          expect(await store.saveWithLease(watch.id, 'replica-a', { statusMessageTs: '1700000000.000900' }, [])).toBe(true);
          expect(await store.release(watch.id, 'replica-a', {})).toBe(true);
          expect(ids(await store.claimDue(T0 + 2, 10, 'replica-b', LEASE_MS))).toEqual([watch.id]);
        });

        test('concurrent requests from two replicas never exceed the limit', async () => {
          const other = await openStore();
          const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : other).create(newWatch({ ref: job(100 + i) }), { maxActiveInChannel: 5 })));
          expect(results.filter((r) => r.created)).toHaveLength(5);
          expect(await store.countActiveInChannel(CHANNEL)).toBe(5);
        });
      });

      describe('claimDue', () => {
        test('returns due active watches only, by next poll time, up to the limit', async () => {
          const late = created(await store.create(newWatch({ ref: job(1), nextPollAt: T0 - 100 }))).watch;
          const early = created(await store.create(newWatch({ ref: job(2), nextPollAt: T0 - 300 }))).watch;
          const exact = created(await store.create(newWatch({ ref: job(3), nextPollAt: T0 }))).watch;
          created(await store.create(newWatch({ ref: job(4), nextPollAt: T0 + 1 })));
          const paused = created(await store.create(newWatch({ ref: job(5), nextPollAt: T0 - 1000 }))).watch;
          const ended = created(await store.create(newWatch({ ref: job(6), nextPollAt: T0 - 1000 }))).watch;
          const expired = created(await store.create(newWatch({ ref: job(7), nextPollAt: T0 - 1000 }))).watch;
          await store.update(paused.id, { status: 'paused' });
          await store.update(ended.id, { status: 'ended' });
          await store.update(expired.id, { status: 'expired' });

          const firstTwo = await store.claimDue(T0, 2, 'poller-a', LEASE_MS);
          expect(ids(firstTwo)).toEqual([early.id, late.id]);
          expect(firstTwo[0]).toStrictEqual(early);
          const rest = await store.claimDue(T0, 10, 'poller-a', LEASE_MS);
          expect(ids(rest)).toEqual([exact.id]);
          expect(await store.claimDue(T0, 10, 'poller-a', LEASE_MS)).toEqual([]);
        });

        test('releaseLeasesOf frees the leases of earlier processes of this replica, not its own or other replicas\'', async () => {
          for (const n of [1, 2, 3]) created(await store.create(newWatch({ ref: job(n), nextPollAt: T0 })));
          const [old] = await store.claimDue(T0, 1, 'host-1:1:old', LEASE_MS);
          const [mine] = await store.claimDue(T0, 1, 'host-1:1:new', LEASE_MS);
          const [others] = await store.claimDue(T0, 1, 'host-10:1:other', LEASE_MS);
          expect(await store.releaseLeasesOf('host-1:1:', 'host-1:1:new')).toBe(1);
          // The freed watch is due again at once, for the new process; the others stay leased.
          expect(ids(await store.claimDue(T0 + 1, 10, 'host-1:1:new', LEASE_MS))).toEqual([old!.id]);
          expect(await store.release(mine!.id, 'host-1:1:new', {})).toBe(true);
          expect(await store.release(others!.id, 'host-10:1:other', {})).toBe(true);
          expect(await store.releaseLeasesOf('host-1:1:', 'host-1:1:new')).toBe(0);
        });

        test('a limit of 0 claims nothing', async () => {
          created(await store.create(newWatch({ nextPollAt: T0 })));
          expect(await store.claimDue(T0, 0, 'poller-a', LEASE_MS)).toEqual([]);
          expect(ids(await store.claimDue(T0, 1, 'poller-a', LEASE_MS))).toHaveLength(1);
        });

        test('a leased watch is not claimed again until the lease expires', async () => {
          const { watch } = created(await store.create(newWatch({ nextPollAt: T0 })));
          expect(ids(await store.claimDue(T0, 10, 'poller-a', LEASE_MS))).toEqual([watch.id]);

          expect(await store.claimDue(T0 + 1, 10, 'poller-b', LEASE_MS)).toEqual([]);
          expect(await store.claimDue(T0 + LEASE_MS - 1, 10, 'poller-b', LEASE_MS)).toEqual([]);
          // The holder itself does not get it twice either: a slow poll must not overlap the next.
          expect(await store.claimDue(T0 + LEASE_MS - 1, 10, 'poller-a', LEASE_MS)).toEqual([]);

          expect(ids(await store.claimDue(T0 + LEASE_MS, 10, 'poller-b', LEASE_MS))).toEqual([watch.id]);
          // poller-a lost the lease: its late results are dropped.
          expect(await store.saveWithLease(watch.id, 'poller-a', { lastError: 'late' }, [])).toBe(false);
          expect(await store.release(watch.id, 'poller-a', { lastError: 'late' })).toBe(false);
          expect(await store.saveWithLease(watch.id, 'poller-b', { lastPolledAt: T0 + LEASE_MS }, [])).toBe(true);
          expect((await store.get(watch.id))?.lastError).toBeNull();
        });

        test('two replicas claiming at once never get the same watch', async () => {
          const other = await openStore();
          const all = new Set<string>();
          for (let i = 0; i < 30; i++) all.add(created(await store.create(newWatch({ ref: job(i), nextPollAt: T0 - i }))).watch.id);

          // Capacity (4 x 10) exceeds the 30 due watches, so together they must claim all of them.
          const claims = await Promise.all([
            store.claimDue(T0, 10, 'replica-a', LEASE_MS),
            other.claimDue(T0, 10, 'replica-b', LEASE_MS),
            store.claimDue(T0, 10, 'replica-c', LEASE_MS),
            other.claimDue(T0, 10, 'replica-d', LEASE_MS),
          ]);
          const claimed = claims.flatMap(ids);
          expect(new Set(claimed).size).toBe(claimed.length);
          expect(new Set(claimed)).toEqual(all);
          for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(10);
        });
      });

      describe('saveWithLease and the outbox', () => {
        test('applies the patch and enqueues entries while the lease holds', async () => {
          const { watch } = await claimed(store);
          const patch = { snapshot: RUNNING_SNAPSHOT, fingerprint: 'fp-2', lastPolledAt: T0 + 10, nextPollAt: T0 + 30_010, consecutiveErrors: 0 } as const;
          const payload = { kind: 'step_failed', step: { id: 20_000_000_001, name: '部署 deploy' }, hosts: ['10.0.0.1', '2:10.0.0.2'], exitCode: null, retry: false };
          expect(await store.saveWithLease(watch.id, 'poller-a', patch, [{ key: 'step_failed:1:0', payload }])).toBe(true);

          expect(await store.get(watch.id)).toStrictEqual({ ...watch, ...patch });
          expect(await store.listOutbox(watch.id)).toStrictEqual([
            { watchId: watch.id, key: 'step_failed:1:0', payload, createdAt: T0 + 10, attempts: 0, attemptStartedAt: null, sentAt: null, slackTs: null },
          ]);
        });

        test('with another owner returns false and changes nothing', async () => {
          const { watch } = await claimed(store);
          const before = await store.get(watch.id);
          expect(await store.saveWithLease(watch.id, 'poller-b', { lastError: 'x', status: 'ended' }, [{ key: 'k', payload: 1 }])).toBe(false);
          expect(await store.get(watch.id)).toStrictEqual(before);
          expect(await store.listOutbox(watch.id)).toEqual([]);
        });

        test('without any lease, or on an unknown watch, returns false', async () => {
          const { watch } = created(await store.create(newWatch()));
          expect(await store.saveWithLease(watch.id, 'poller-a', { lastError: 'x' }, [{ key: 'k', payload: 1 }])).toBe(false);
          expect(await store.get(watch.id)).toStrictEqual(watch);
          expect(await store.listOutbox(watch.id)).toEqual([]);
          expect(await store.saveWithLease('no-such-watch', 'poller-a', {}, [])).toBe(false);
        });

        test('an entry key is enqueued once, even when saved again', async () => {
          const { watch } = await claimed(store);
          expect(await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 + 1 }, [{ key: 'job_failed', payload: { n: 1 } }])).toBe(true);
          expect(
            await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 + 2 }, [
              { key: 'job_failed', payload: { n: 2 } },
              { key: 'job_failed', payload: { n: 3 } },
            ]),
          ).toBe(true);
          const outbox = await store.listOutbox(watch.id);
          expect(outbox).toHaveLength(1);
          expect(outbox[0]?.payload).toEqual({ n: 1 });
          expect(outbox[0]?.createdAt).toBe(T0 + 1);
          // The patch of the second save still applied.
          expect((await store.get(watch.id))?.lastPolledAt).toBe(T0 + 2);
        });

        test('the same key on another watch is a different entry', async () => {
          const [a, b] = await claimedMany(store, 2);
          if (a === undefined || b === undefined) throw new Error('expected two claimed watches');
          await store.saveWithLease(a.id, 'poller-a', { lastPolledAt: T0 }, [{ key: 'k', payload: 'a' }]);
          await store.saveWithLease(b.id, 'poller-a', { lastPolledAt: T0 }, [{ key: 'k', payload: 'b' }]);
          expect((await store.pendingOutbox(a.id)).map((entry) => entry.payload)).toEqual(['a']);
          expect((await store.pendingOutbox(b.id)).map((entry) => entry.payload)).toEqual(['b']);
        });

        test('pending entries come oldest first, in the order saved within one poll', async () => {
          const { watch } = await claimed(store);
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 + 100 }, entries('c', 'a', 'b'));
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 + 200 }, entries('z', 'y'));
          expect(keys(await store.pendingOutbox(watch.id))).toEqual(['c', 'a', 'b', 'z', 'y']);
          expect(keys(await store.listOutbox(watch.id))).toEqual(['c', 'a', 'b', 'z', 'y']);
        });

        test('entries saved without lastPolledAt are stamped with the claim time', async () => {
          const { watch } = await claimed(store, T0 + 7);
          await store.saveWithLease(watch.id, 'poller-a', { fingerprint: 'fp' }, entries('k'));
          expect((await store.listOutbox(watch.id))[0]?.createdAt).toBe(T0 + 7);
        });

        test('payloads keep their JSON value', async () => {
          const { watch } = await claimed(store);
          const payloads: NewOutboxEntry[] = [
            { key: 'object', payload: { a: [1, 2.5, -3], b: { c: null, d: true }, e: 'テキスト "quoted" \\ back' } },
            { key: 'array', payload: [{ x: 1 }, 'two', null] },
            { key: 'string', payload: 'plain' },
            { key: 'number', payload: 42 },
            { key: 'null', payload: null },
          ];
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 }, payloads);
          expect((await store.pendingOutbox(watch.id)).map((entry) => [entry.key, entry.payload])).toEqual(payloads.map((entry) => [entry.key, entry.payload]));
        });

        test('delivery attempts are counted and sent entries leave the pending list', async () => {
          const { watch } = await claimed(store);
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 }, entries('first', 'second', 'third'));

          await store.markOutboxAttempt(watch.id, 'first', T0 + 10);
          await store.markOutboxAttempt(watch.id, 'first', T0 + 20);
          await store.markOutboxAttempt(watch.id, 'second', T0 + 30);
          await store.markOutboxSent(watch.id, 'first', T0 + 50, '1700000002.000300');
          await store.markOutboxSent(watch.id, 'third', T0 + 60, null);
          // Unknown keys are ignored.
          await store.markOutboxAttempt(watch.id, 'nope', T0);
          await store.endOutboxAttempt(watch.id, 'nope', { counted: false, resolved: true });
          await store.markOutboxSent(watch.id, 'nope', T0, null);

          const pending = await store.pendingOutbox(watch.id);
          expect(pending).toStrictEqual([{ watchId: watch.id, key: 'second', payload: 'second', createdAt: T0, attempts: 1, attemptStartedAt: T0 + 30, sentAt: null, slackTs: null }]);
          expect(await store.listOutbox(watch.id)).toStrictEqual([
            // Sent: no attempt is unresolved any more.
            { watchId: watch.id, key: 'first', payload: 'first', createdAt: T0, attempts: 2, attemptStartedAt: null, sentAt: T0 + 50, slackTs: '1700000002.000300' },
            { watchId: watch.id, key: 'second', payload: 'second', createdAt: T0, attempts: 1, attemptStartedAt: T0 + 30, sentAt: null, slackTs: null },
            { watchId: watch.id, key: 'third', payload: 'third', createdAt: T0, attempts: 0, attemptStartedAt: null, sentAt: T0 + 60, slackTs: null },
          ]);
        });

        test('an attempt resolved without a message forgets its start; a wait gives the attempt back; the oldest start is kept', async () => {
          const { watch } = await claimed(store);
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 }, entries('refused', 'waited', 'unknown'));
          await store.markOutboxAttempt(watch.id, 'refused', T0 + 1);
          await store.endOutboxAttempt(watch.id, 'refused', { counted: true, resolved: true });
          await store.markOutboxAttempt(watch.id, 'waited', T0 + 2);
          await store.endOutboxAttempt(watch.id, 'waited', { counted: false, resolved: true });
          // Never below zero, whatever is called.
          await store.endOutboxAttempt(watch.id, 'waited', { counted: false, resolved: true });
          // Two attempts of unknown outcome, then a wait while looking for the message: the first start stays.
          await store.markOutboxAttempt(watch.id, 'unknown', T0 + 3);
          await store.markOutboxAttempt(watch.id, 'unknown', T0 + 4);
          await store.markOutboxAttempt(watch.id, 'unknown', T0 + 5);
          await store.endOutboxAttempt(watch.id, 'unknown', { counted: false, resolved: false });
          await store.endOutboxAttempt(watch.id, 'unknown', { counted: true, resolved: false });
          expect((await store.pendingOutbox(watch.id)).map(({ key, attempts, attemptStartedAt }) => ({ key, attempts, attemptStartedAt }))).toStrictEqual([
            { key: 'refused', attempts: 1, attemptStartedAt: null },
            { key: 'waited', attempts: 0, attemptStartedAt: null },
            { key: 'unknown', attempts: 2, attemptStartedAt: T0 + 3 },
          ]);
          // A new attempt after a resolved one records its own start.
          await store.markOutboxAttempt(watch.id, 'refused', T0 + 6);
          expect((await store.pendingOutbox(watch.id))[0]).toMatchObject({ key: 'refused', attempts: 2, attemptStartedAt: T0 + 6 });
        });

        test('a sent entry is not enqueued again by a later save', async () => {
          const { watch } = await claimed(store);
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 }, entries('once'));
          await store.markOutboxSent(watch.id, 'once', T0 + 1, '1.2');
          await store.saveWithLease(watch.id, 'poller-a', { lastPolledAt: T0 + 2 }, entries('once'));
          expect(await store.pendingOutbox(watch.id)).toEqual([]);
          expect(await store.listOutbox(watch.id)).toHaveLength(1);
        });

        test('an unknown watch has an empty outbox', async () => {
          expect(await store.pendingOutbox('no-such-watch')).toEqual([]);
          expect(await store.listOutbox('no-such-watch')).toEqual([]);
        });
      });

      describe('lastSummary', () => {
        test('is what create or the latest patch saved, and is not part of the watch read back', async () => {
          const first = summaryOf('running');
          const { watch } = created(await store.create(newWatch({ lastSummary: first })));
          expect(await store.lastSummary(watch.id)).toEqual(first);
          expect(Object.keys(watch)).not.toContain('lastSummary');
          const claimedWatch = (await store.claimDue(T0 + 30_000, 10, 'poller-a', LEASE_MS))[0]!;
          const second = summaryOf('failed');
          expect(await store.saveWithLease(claimedWatch.id, 'poller-a', { lastSummary: second, lastPolledAt: T0 + 30_000 }, [])).toBe(true);
          expect(await store.lastSummary(watch.id)).toEqual(second);
          const third = summaryOf('succeeded');
          await store.update(watch.id, { lastSummary: third });
          expect(await store.lastSummary(watch.id)).toEqual(third);
          expect(await store.get(watch.id)).toStrictEqual({ ...watch, lastPolledAt: T0 + 30_000 });
        });

        test('is null for a watch created without one and for an unknown id', async () => {
          const { watch } = created(await store.create(newWatch()));
          expect(await store.lastSummary(watch.id)).toBeNull();
          expect(await store.lastSummary('no-such-watch')).toBeNull();
        });
      });

      describe('release', () => {
        test('applies the patch and frees the watch for the next claim at once', async () => {
          const { watch } = await claimed(store);
          expect(await store.release(watch.id, 'poller-a', { nextPollAt: T0 + 100, lastPolledAt: T0 + 1 })).toBe(true);
          expect(await store.get(watch.id)).toStrictEqual({ ...watch, nextPollAt: T0 + 100, lastPolledAt: T0 + 1 });
          // Well inside the old lease, another replica can claim it once it is due.
          expect(await store.claimDue(T0 + 99, 10, 'poller-b', LEASE_MS)).toEqual([]);
          expect(ids(await store.claimDue(T0 + 100, 10, 'poller-b', LEASE_MS))).toEqual([watch.id]);
        });

        test('the releasing owner no longer holds the lease', async () => {
          const { watch } = await claimed(store);
          expect(await store.release(watch.id, 'poller-a', {})).toBe(true);
          expect(await store.saveWithLease(watch.id, 'poller-a', { lastError: 'x' }, [])).toBe(false);
          expect(await store.release(watch.id, 'poller-a', {})).toBe(false);
        });

        test('with another owner returns false and changes nothing', async () => {
          const { watch } = await claimed(store);
          expect(await store.release(watch.id, 'poller-b', { status: 'ended', nextPollAt: T0 + 5 })).toBe(false);
          expect(await store.get(watch.id)).toStrictEqual(watch);
          expect(await store.claimDue(T0 + 1, 10, 'poller-b', LEASE_MS)).toEqual([]);
          expect(await store.saveWithLease(watch.id, 'poller-a', {}, [])).toBe(true);
        });

        test('a watch released as ended is never claimed again', async () => {
          const { watch } = await claimed(store);
          expect(await store.release(watch.id, 'poller-a', { status: 'ended', statusReason: 'job finished' })).toBe(true);
          expect(await store.claimDue(T0 + 10 * LEASE_MS, 10, 'poller-b', LEASE_MS)).toEqual([]);
          expect(await store.findOpen(CHANNEL, REF)).toBeNull();
        });

        test('an unwatch during the poll stays in force: leased writes do not reopen or re-pause it', async () => {
          const { watch } = await claimed(store);
          await store.update(watch.id, { status: 'ended', statusReason: 'stopped by <@U1>' });
          // The poll's save is refused (nothing it found may be announced), its release keeps the unwatch.
          expect(await store.saveWithLease(watch.id, 'poller-a', { status: 'paused', statusReason: 'errors', lastError: 'boom' }, [{ key: 'k', payload: {} }])).toBe(false);
          expect(await store.pendingOutbox(watch.id)).toEqual([]);
          expect(await store.release(watch.id, 'poller-a', { status: 'paused', statusReason: 'no access', nextPollAt: T0 + 5 })).toBe(true);
          expect(await store.get(watch.id)).toMatchObject({ status: 'ended', statusReason: 'stopped by <@U1>', lastError: null, nextPollAt: T0 + 5 });
        });
      });
    });
  });
}

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;
const LEASE_MS = 60_000;
const CHANNEL = 'C_CONTRACT';
const REF = { bizId: 2, jobInstanceId: 1000 } as const;

const SNAPSHOT: WatchSnapshot = {
  jobName: 'deploy <web> & "api"',
  state: 'failed',
  steps: [
    { stepInstanceId: 20_000_000_001, status: 3, executeCount: 0, failedHostCount: 0 },
    { stepInstanceId: 20_000_000_002, status: 4, executeCount: 1, failedHostCount: 12 },
  ],
};

const RUNNING_SNAPSHOT: WatchSnapshot = {
  state: 'running',
  steps: [{ stepInstanceId: 20_000_000_001, status: 2, executeCount: 0, failedHostCount: 0 }],
};

function newWatch(overrides: Partial<NewWatch> = {}): NewWatch {
  return {
    channelId: CHANNEL,
    ref: REF,
    subscriberId: 'U_SUBSCRIBER',
    notifyOn: 'finish',
    createdAt: T0,
    expiresAt: T0 + DAY,
    statusMessageTs: null,
    snapshot: null,
    fingerprint: null,
    nextPollAt: T0,
    ...overrides,
  };
}

function job(n: number): { bizId: number; jobInstanceId: number } {
  return { bizId: REF.bizId, jobInstanceId: REF.jobInstanceId + n };
}

/** Narrows a create result, failing the test when the watch was not created. */
function created(result: Awaited<ReturnType<WatchStore['create']>>): { watch: Watch } {
  if (!result.created) throw new Error(`expected a new watch, got existing ${result.existing?.id}`);
  return { watch: result.watch };
}

/** A watch leased to 'poller-a' at `now`, as the poller would hold it. */
async function claimed(store: WatchStore, now = T0): Promise<{ watch: Watch }> {
  const [watch] = await claimedMany(store, 1, now);
  if (watch === undefined) throw new Error('expected a claimed watch');
  return { watch };
}

/** `count` new watches (due just before `now`, in creation order), leased to 'poller-a' at `now`. */
async function claimedMany(store: WatchStore, count: number, now = T0): Promise<Watch[]> {
  for (let i = 0; i < count; i++) created(await store.create(newWatch({ ref: job(i), nextPollAt: now - count + i })));
  const watches = await store.claimDue(now, count, 'poller-a', LEASE_MS);
  if (watches.length !== count) throw new Error(`expected to claim ${count} watches, got ${watches.length}`);
  return watches;
}

function entries(...entryKeys: string[]): NewOutboxEntry[] {
  return entryKeys.map((key) => ({ key, payload: key }));
}

function ids(watches: readonly Watch[]): string[] {
  return watches.map((watch) => watch.id);
}

function keys(outbox: readonly { key: string }[]): string[] {
  return outbox.map((entry) => entry.key);
}

/** A small but complete summary, as the poller saves it. */
function summaryOf(state: JobState): JobSummary {
  return {
    ref: REF,
    name: 'nightly backup',
    state,
    finished: state === 'succeeded' || state === 'failed',
    resumable: state === 'failed',
    startTime: T0,
    endTime: state === 'running' ? null : T0 + 5000,
    durationMs: state === 'running' ? null : 5000,
    steps: [
      {
        position: 1,
        stepInstanceId: 11,
        name: 'copy',
        status: state === 'failed' ? 4 : state === 'running' ? 2 : 3,
        type: 1,
        startTime: T0,
        endTime: null,
        durationMs: null,
        executeCount: 0,
        hostCount: 2,
        hostCounts: [{ ipStatus: state === 'failed' ? 104 : 9, count: 2 }],
        failingGroups: state === 'failed' ? [{ ipStatus: 104, exitCode: 1, hosts: [{ bkCloudId: 0, ip: '10.0.0.1' }, { bkCloudId: 0, ip: '10.0.0.2', bkHostId: 7 }] }] : [],
        failedHostCount: state === 'failed' ? 2 : 0,
      },
    ],
    firstFailingStep: state === 'failed' ? 0 : null,
    currentStep: state === 'running' ? 0 : null,
    hostCount: 2,
  };
}
