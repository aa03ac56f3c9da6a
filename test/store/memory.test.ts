import { MemoryDatabase, MemoryWatchStore } from '../../dev/memoryStore';
import { describeWatchStoreContract } from './contract';
import { describeSubscriptionStoreContract } from './subscriptionContract';
import { describeAuditStoreContract } from './auditContract';
import { describeOperationGuardContract } from './operationContract';

// One database per test, shared by every store the test opens (the contract's "replicas").
let database = new MemoryDatabase();

describeWatchStoreContract(
  'in memory (dev/memoryStore.ts)',
  () => Promise.resolve(new MemoryWatchStore(database)),
  () => {
    database = new MemoryDatabase();
    return Promise.resolve();
  },
);

describeSubscriptionStoreContract(
  'in memory (dev/memoryStore.ts)',
  () => Promise.resolve(new MemoryWatchStore(database)),
  () => {
    database = new MemoryDatabase();
    return Promise.resolve();
  },
);

describeAuditStoreContract(
  'in memory (dev/memoryStore.ts)',
  () => Promise.resolve(new MemoryWatchStore(database)),
  () => {
    database = new MemoryDatabase();
    return Promise.resolve();
  },
);

describeOperationGuardContract(
  'in memory (dev/memoryStore.ts)',
  () => Promise.resolve(new MemoryWatchStore(database)),
  () => {
    database = new MemoryDatabase();
    return Promise.resolve();
  },
);

describe('MemoryWatchStore', () => {
  const NEW_WATCH = {
    channelId: 'C1',
    ref: { bizId: 2, jobInstanceId: 100 },
    subscriberId: 'U1',
    notifyOn: 'all',
    createdAt: 1_000,
    expiresAt: 2_000,
    statusMessageTs: null,
    snapshot: { state: 'running', steps: [{ stepInstanceId: 1, status: 2, executeCount: 0, failedHostCount: 0 }] },
    fingerprint: null,
    nextPollAt: 1_000,
  } as const;

  test('callers cannot change stored state through returned values', async () => {
    const store = new MemoryWatchStore();
    await store.migrate();
    const result = await store.create(NEW_WATCH);
    if (!result.created) throw new Error('expected a new watch');
    (result.watch.snapshot!.steps[0] as { status: number }).status = 99;
    (result.watch as { status: string }).status = 'ended';
    const read = await store.get(result.watch.id);
    expect(read?.status).toBe('active');
    expect(read?.snapshot?.steps[0]?.status).toBe(2);
  });

  test('refuses work before migrate and after close', async () => {
    const store = new MemoryWatchStore();
    await expect(store.countActive()).rejects.toThrow(/not migrated/);
    await store.migrate();
    expect(await store.countActive()).toBe(0);
    await store.close();
    await expect(store.countActive()).rejects.toThrow(/closed/);
  });

  test('a non-integer time is refused, like an INTEGER column', async () => {
    const store = new MemoryWatchStore();
    await store.migrate();
    const result = await store.create(NEW_WATCH);
    if (!result.created) throw new Error('expected a new watch');
    await expect(store.update(result.watch.id, { nextPollAt: Number.NaN })).rejects.toThrow(/nextPollAt must be an integer/);
    expect((await store.get(result.watch.id))?.nextPollAt).toBe(1_000);
  });
});
