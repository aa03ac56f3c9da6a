/**
 * The AuditStore contract (src/audit/types.ts): one suite that every adapter must pass (see
 * sqlite.test.ts, postgres.test.ts and memory.test.ts), in the style of contract.ts.
 */
import type { AuditEntry, AuditStore } from '../../src/audit/types';
import type { WatchStore } from '../../src/watch/ports';
import { openedStores } from './openedStores';

/** The adapters' lifecycle (migrate, close) comes with the watch store. */
type Store = Pick<WatchStore, 'migrate' | 'close'> & AuditStore;

/**
 * @param open returns a new, not yet migrated store on the current test database; every store
 *   opened during one test reaches the same data, the first open of a test finds it empty.
 * @param cleanup runs after each test, once its stores are closed: the next `open` starts empty.
 */
export function describeAuditStoreContract(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`AuditStore contract: ${name}`, () => {
    const openStore = openedStores(open, cleanup);
    let store: Store;

    beforeEach(async () => {
      store = await openStore();
    });

    test('round-trips every field, numbers as numbers, nulls as nulls', async () => {
      const full: AuditEntry = {
        at: T0,
        slackUserId: 'U0456',
        bkUsername: 'q9k6bhqks0ckl5ew',
        channelId: 'C0123',
        scopeType: 'biz_set',
        // Beyond 32 bits: BIGINT columns, which some drivers return as strings.
        bizId: 3_000_000_001,
        jobInstanceId: 20_000_000_123,
        action: 'file_download',
        outcome: 'denied',
        detail: 'BlueKing 9900403: no "view" permission on <job> & host',
      };
      const empty: AuditEntry = { at: T0 + 1, slackUserId: 'U0789', bkUsername: null, channelId: null, scopeType: null, bizId: null, jobInstanceId: null, action: 'lookup', outcome: 'unmapped', detail: null };
      await store.recordAudit(full);
      await store.recordAudit(empty);
      const read = await store.listAudit({ from: T0, to: T0 + 2, limit: 10 });
      expect(read).toStrictEqual([empty, full]);
      expect(typeof read[1]?.bizId).toBe('number');
      expect(typeof read[1]?.jobInstanceId).toBe('number');
      expect(typeof read[1]?.at).toBe('number');
    });

    test('every action and outcome reads back', async () => {
      const actions = ['lookup', 'watch', 'unwatch', 'subscribe', 'unsubscribe', 'mute', 'log_view', 'share', 'file_download', 'unfurl', 'operate'] as const;
      const outcomes = ['ok', 'denied', 'refused', 'error', 'unmapped'] as const;
      for (const [index, action] of actions.entries()) await store.recordAudit(entry({ at: T0 + index, action, outcome: outcomes[index % outcomes.length]! }));
      const read = await store.listAudit({ from: T0, to: T0 + 100, limit: 100 });
      expect(read.map((e) => [e.action, e.outcome]).reverse()).toEqual(actions.map((action, index) => [action, outcomes[index % outcomes.length]]));
    });

    test('lists [from, to), newest first, the later recorded first among equal times', async () => {
      await store.recordAudit(entry({ at: T0 + 20, detail: 'b' }));
      await store.recordAudit(entry({ at: T0 + 10, detail: 'a' }));
      await store.recordAudit(entry({ at: T0 + 30, detail: 'd' }));
      await store.recordAudit(entry({ at: T0 + 20, detail: 'c' }));
      await store.recordAudit(entry({ at: T0 + 9, detail: 'before' }));

      expect(details(await store.listAudit({ from: T0 + 10, to: T0 + 30, limit: 10 }))).toEqual(['c', 'b', 'a']);
      expect(details(await store.listAudit({ from: T0, to: T0 + 31, limit: 10 }))).toEqual(['d', 'c', 'b', 'a', 'before']);
      expect(await store.listAudit({ from: T0 + 11, to: T0 + 20, limit: 10 })).toEqual([]);
      expect(await store.listAudit({ from: T0 + 31, to: T0 + 1000, limit: 10 })).toEqual([]);
    });

    test('the limit keeps the newest entries; a limit of 0 or less lists none', async () => {
      for (let i = 0; i < 5; i++) await store.recordAudit(entry({ at: T0 + i, detail: `e${i}` }));
      expect(details(await store.listAudit({ from: T0, to: T0 + 10, limit: 2 }))).toEqual(['e4', 'e3']);
      expect(details(await store.listAudit({ from: T0, to: T0 + 10, limit: 5 }))).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
      expect(await store.listAudit({ from: T0, to: T0 + 10, limit: 0 })).toEqual([]);
      expect(await store.listAudit({ from: T0, to: T0 + 10, limit: -1 })).toEqual([]);
    });

    test('filters by Slack user', async () => {
      await store.recordAudit(entry({ at: T0 + 1, slackUserId: 'U1', detail: 'u1-first' }));
      await store.recordAudit(entry({ at: T0 + 2, slackUserId: 'U2', detail: 'u2' }));
      await store.recordAudit(entry({ at: T0 + 3, slackUserId: 'U1', detail: 'u1-second' }));
      await store.recordAudit(entry({ at: T0 + 50, slackUserId: 'U1', detail: 'u1-later' }));
      expect(details(await store.listAudit({ from: T0, to: T0 + 10, slackUserId: 'U1', limit: 10 }))).toEqual(['u1-second', 'u1-first']);
      expect(details(await store.listAudit({ from: T0, to: T0 + 10, slackUserId: 'U2', limit: 10 }))).toEqual(['u2']);
      expect(details(await store.listAudit({ from: T0, to: T0 + 100, slackUserId: 'U1', limit: 1 }))).toEqual(['u1-later']);
      expect(await store.listAudit({ from: T0, to: T0 + 100, slackUserId: 'U_NONE', limit: 10 })).toEqual([]);
    });

    test('pruneAudit deletes the entries older than `before` and says how many', async () => {
      expect(await store.pruneAudit(T0)).toBe(0);
      for (const at of [T0 - 2, T0 - 1, T0 - 1, T0, T0 + 1]) await store.recordAudit(entry({ at, detail: String(at - T0) }));
      const deleted = await store.pruneAudit(T0);
      expect(deleted).toBe(3);
      expect(typeof deleted).toBe('number');
      expect(details(await store.listAudit({ from: 0, to: T0 + DAY, limit: 10 }))).toEqual(['1', '0']);
      expect(await store.pruneAudit(T0)).toBe(0);
      expect(await store.pruneAudit(T0 + DAY)).toBe(2);
      expect(await store.listAudit({ from: 0, to: T0 + DAY, limit: 10 })).toEqual([]);
    });

    test('replicas share the trail', async () => {
      const other = await openStore();
      await Promise.all([store.recordAudit(entry({ at: T0, detail: 'a' })), other.recordAudit(entry({ at: T0 + 1, detail: 'b' }))]);
      expect(details(await other.listAudit({ from: T0, to: T0 + 2, limit: 10 }))).toEqual(['b', 'a']);
      expect(details(await store.listAudit({ from: T0, to: T0 + 2, limit: 10 }))).toEqual(['b', 'a']);
    });
  });
}

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: T0,
    slackUserId: 'U_AUDIT',
    bkUsername: 'alice',
    channelId: 'C_AUDIT',
    scopeType: 'biz',
    bizId: 2,
    jobInstanceId: 1000,
    action: 'lookup',
    outcome: 'ok',
    detail: null,
    ...overrides,
  };
}

function details(entries: readonly AuditEntry[]): (string | null)[] {
  return entries.map((e) => e.detail);
}
