/**
 * The OperationGuard contract (src/operate/types.ts): one claim per operation key, whoever asks
 * and from whichever replica; every adapter must pass it (see sqlite.test.ts, postgres.test.ts and
 * memory.test.ts), in the style of contract.ts.
 */
import type { OperationClaim, OperationGuard } from '../../src/operate/types';
import { operationKey } from '../../src/operate/types';
import type { WatchStore } from '../../src/watch/ports';
import { openedStores } from './openedStores';

/** The adapters' lifecycle (migrate, close) comes with the watch store. */
type Store = Pick<WatchStore, 'migrate' | 'close'> & OperationGuard;

const T0 = 1_700_000_000_000;
// Beyond 32 bits: BIGINT job ids in the key must not be rounded or mangled.
const KEY = operationKey('biz:3', 20_000_000_123, 20_000_000_456, 0, 2);

const ALICE: OperationClaim = { key: KEY, slackUserId: 'U0ALICE01', bkUsername: 'alice', at: T0 };
const BOB: OperationClaim = { key: KEY, slackUserId: 'U0BOB0001', bkUsername: 'bob', at: T0 + 1_500 };

/**
 * @param open returns a new, not yet migrated store on the current test database; every store
 *   opened during one test reaches the same data (a replica), the first open of a test finds it empty.
 * @param cleanup runs after each test, once its stores are closed: the next `open` starts empty.
 */
export function describeOperationGuardContract(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`OperationGuard contract: ${name}`, () => {
    const openStore = openedStores(open, cleanup);
    let store: Store;

    beforeEach(async () => {
      store = await openStore();
    });

    test('the first claim of a key is claimed', async () => {
      expect(await store.claimOperation(ALICE)).toStrictEqual({ claimed: true });
    });

    test('a second claim of the same key gets the first claim back, exactly', async () => {
      await store.claimOperation(ALICE);
      expect(await store.claimOperation(BOB)).toStrictEqual({ claimed: false, by: ALICE });
      // The same person clicking twice is refused too.
      expect(await store.claimOperation({ ...ALICE, at: T0 + 10 })).toStrictEqual({ claimed: false, by: ALICE });
    });

    test('a claim holds for holdMs: within it the first claim comes back, after it the key is taken over', async () => {
      await store.claimOperation(ALICE, 60_000);
      expect(await store.claimOperation({ ...BOB, at: T0 + 59_999 }, 60_000)).toStrictEqual({ claimed: false, by: ALICE });
      expect(await store.claimOperation({ ...BOB, at: T0 + 60_000 }, 60_000)).toStrictEqual({ claimed: true });
      // The new claim holds in its turn, from its own time.
      expect(await store.claimOperation({ ...ALICE, at: T0 + 61_000 }, 60_000)).toStrictEqual({ claimed: false, by: { ...BOB, at: T0 + 60_000 } });
    });

    test('a null BlueKing username round-trips as null', async () => {
      const unmapped: OperationClaim = { ...ALICE, bkUsername: null };
      await store.claimOperation(unmapped);
      expect(await store.claimOperation(BOB)).toStrictEqual({ claimed: false, by: unmapped });
    });

    test('different keys (another step run, code, job or business) are independent', async () => {
      await store.claimOperation(ALICE);
      const others = [
        operationKey('biz:3', 20_000_000_123, 20_000_000_456, 1, 2),
        operationKey('biz:3', 20_000_000_123, 20_000_000_456, 0, 8),
        operationKey('biz:3', 20_000_000_123, 'job', 0, 1),
        operationKey('biz:3', 20_000_000_124, 20_000_000_456, 0, 2),
        operationKey('biz_set:3', 20_000_000_123, 20_000_000_456, 0, 2),
      ];
      for (const key of others) expect(await store.claimOperation({ ...BOB, key })).toStrictEqual({ claimed: true });
    });

    test('concurrent claims from two replicas: exactly one wins, the other sees the winner', async () => {
      const other = await openStore();
      for (let round = 0; round < 5; round++) {
        const key = operationKey('biz:3', 2001, 2003, round, 2);
        const a: OperationClaim = { ...ALICE, key };
        const b: OperationClaim = { ...BOB, key };
        const [ra, rb] = await Promise.all([store.claimOperation(a), other.claimOperation(b)]);
        const wins = [ra, rb].filter((r) => r.claimed);
        expect(wins).toHaveLength(1);
        const loser = ra.claimed ? rb : ra;
        expect(loser).toStrictEqual({ claimed: false, by: ra.claimed ? a : b });
      }
    });

    test('many concurrent claims of one key on two replicas: exactly one wins', async () => {
      const other = await openStore();
      const key = operationKey('biz:3', 2001, 2003, 0, 6);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).claimOperation({ key, slackUserId: `U${i}`, bkUsername: `user${i}`, at: T0 + i })),
      );
      const winners = results.flatMap((r, i) => (r.claimed ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      for (const r of results) if (!r.claimed) expect(r.by).toStrictEqual({ key, slackUserId: `U${winner}`, bkUsername: `user${winner}`, at: T0 + winner });
    });

    test('the claimer releasing frees the key, for anyone on any replica', async () => {
      const other = await openStore();
      await store.claimOperation(ALICE);
      await store.releaseOperation(KEY, ALICE.slackUserId);
      expect(await other.claimOperation(BOB)).toStrictEqual({ claimed: true });
      expect(await store.claimOperation(ALICE)).toStrictEqual({ claimed: false, by: BOB });
    });

    test("someone else's release does not free the key", async () => {
      await store.claimOperation(ALICE);
      await store.releaseOperation(KEY, BOB.slackUserId);
      expect(await store.claimOperation(BOB)).toStrictEqual({ claimed: false, by: ALICE });
    });

    test('releasing a key nobody holds is harmless', async () => {
      await expect(store.releaseOperation(KEY, ALICE.slackUserId)).resolves.toBeUndefined();
      expect(await store.claimOperation(ALICE)).toStrictEqual({ claimed: true });
    });

    test('pruning deletes the claims made before the horizon, exactly those, and counts them', async () => {
      const OTHER = operationKey('biz:3', 20_000_000_123, 20_000_000_456, 1, 2);
      const THIRD = operationKey('biz_set:5', 7, 'job', 0, 1);
      await store.claimOperation(ALICE);
      await store.claimOperation({ ...BOB, key: OTHER, at: T0 + 1_000 });
      await store.claimOperation({ ...BOB, key: THIRD, at: T0 + 2_000 });
      expect(await store.pruneOperationClaims(T0 + 1_000)).toBe(1);
      // Gone: the key is free again, even without a hold.
      expect(await store.claimOperation({ ...BOB, at: T0 + 5_000 })).toStrictEqual({ claimed: true });
      // Kept: made at or after the horizon.
      expect(await store.claimOperation({ ...ALICE, key: OTHER, at: T0 + 5_000 })).toStrictEqual({ claimed: false, by: { ...BOB, key: OTHER, at: T0 + 1_000 } });
      expect(await store.claimOperation({ ...ALICE, key: THIRD, at: T0 + 5_000 })).toStrictEqual({ claimed: false, by: { ...BOB, key: THIRD, at: T0 + 2_000 } });
      expect(await store.pruneOperationClaims(T0)).toBe(0);
    });

    test('claims survive closing and reopening the store', async () => {
      await store.claimOperation(ALICE);
      // Closing twice is harmless (every adapter's close is idempotent): the suite closes it again after the test.
      await store.close();
      const reopened = await openStore();
      expect(await reopened.claimOperation(BOB)).toStrictEqual({ claimed: false, by: ALICE });
    });
  });
}
