/**
 * The bot's concurrency helpers: polls of many watches and scans of many businesses go through
 * them, so nothing that calls BlueKing runs unbounded.
 */

/** Runs `work` over `items` with at most `limit` in flight; resolves when all are done. */
export async function mapLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  // One batch holding every item (shorter than an unbounded batch size, so it is the last).
  await forEachPipelined(() => Promise.resolve(items), Number.POSITIVE_INFINITY, limit, work);
}

/**
 * Runs `work` over items that arrive in batches from `nextBatch`, with at most `concurrency` in
 * flight. The next batch is asked for while the workers still have `concurrency` items to go, so
 * they never sit idle waiting for it; a batch shorter than `batchSize` (or empty) is the last.
 * Resolves when every item is done; rejects if `nextBatch` does.
 */
export async function forEachPipelined<T>(nextBatch: () => Promise<readonly T[]>, batchSize: number, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue: T[] = [];
  let head = 0;
  let exhausted = false;
  let fetching: Promise<void> | null = null;
  let failure: { readonly error: unknown } | null = null;
  const fetch = (): Promise<void> =>
    (fetching ??= nextBatch().then(
      (batch) => {
        fetching = null;
        queue.push(...batch);
        if (batch.length < batchSize || batch.length === 0) exhausted = true;
      },
      (err: unknown) => {
        fetching = null;
        exhausted = true;
        failure = { error: err };
        throw err;
      },
    ));
  const take = async (): Promise<{ item: T } | null> => {
    for (;;) {
      const left = queue.length - head;
      if (!exhausted && left <= concurrency) void fetch().catch(() => undefined);
      if (left > 0) {
        const item = queue[head++]!;
        // Drop consumed items now and then so a long cycle does not keep them all.
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        return { item };
      }
      if (failure) throw failure.error;
      if (exhausted && fetching === null) return null;
      await (fetching ?? fetch());
    }
  };
  const worker = async () => {
    for (let next = await take(); next !== null; next = await take()) await work(next.item);
  };
  // Every worker finishes what it took before a failure is reported: nothing keeps running
  // after the caller has been told the cycle is over.
  const outcomes = await Promise.allSettled(Array.from({ length: Math.max(1, concurrency) }, worker));
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (rejected) throw rejected.reason;
}
