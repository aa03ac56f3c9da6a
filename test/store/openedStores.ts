/**
 * The store lifecycle every contract suite shares: `openStore()` opens and migrates a store on the
 * current test database; after each test every store opened is closed, then `cleanup` runs.
 */
export function openedStores<S extends { migrate(): Promise<void>; close(): Promise<void> }>(open: () => Promise<S>, cleanup?: () => Promise<void>): () => Promise<S> {
  const opened: S[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await cleanup?.();
  });
  return async () => {
    const store = await open();
    opened.push(store);
    await store.migrate();
    return store;
  };
}
