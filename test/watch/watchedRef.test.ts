/**
 * WatchService.watchedRef: the business of a job a channel watches, for JOB links that name none
 * (`/api_execute/<id>`); nothing for other channels, other jobs, or when two scopes claim the id.
 */
import type { JobRef } from '../../src/bkjob/model';
import type { JobService } from '../../src/jobService';
import { openWatchStore } from '../../src/store';
import type { WatchNotifier } from '../../src/watch/ports';
import { WatchService } from '../../src/watch/service';

const stores: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

async function serviceWith(watches: ReadonlyArray<{ channelId: string; ref: JobRef }>): Promise<WatchService> {
  // SQLite in memory (dev/memoryStore.ts drops a ref's scopeType on create: it would hide set:<id>).
  const store = await openWatchStore('sqlite::memory:');
  stores.push(store);
  for (const [i, { channelId, ref }] of watches.entries()) {
    await store.create({ channelId, ref, subscriberId: `U${i}`, notifyOn: 'failure', createdAt: 0, expiresAt: 1_000_000, statusMessageTs: null, snapshot: null, fingerprint: null, nextPollAt: 0 });
  }
  // watchedRef reads the store only: the other collaborators are never called.
  return new WatchService(store, {} as JobService, {} as WatchNotifier, () => 0, { maxPerChannel: 50, maxAgeMs: 1_000_000, lang: 'en', owner: 'test-owner' });
}

describe('WatchService.watchedRef', () => {
  it('finds the watched job’s business in that channel only', async () => {
    const service = await serviceWith([
      { channelId: 'C1', ref: { bizId: 3, jobInstanceId: 77 } },
      { channelId: 'C1', ref: { bizId: 4, jobInstanceId: 78 } },
      { channelId: 'C2', ref: { bizId: 9, jobInstanceId: 79, scopeType: 'biz_set' } },
    ]);
    expect(await service.watchedRef('C1', 77)).toStrictEqual({ bizId: 3, jobInstanceId: 77 });
    expect(await service.watchedRef('C2', 79)).toStrictEqual({ bizId: 9, jobInstanceId: 79, scopeType: 'biz_set' });
    expect(await service.watchedRef('C2', 77)).toBeNull();
    expect(await service.watchedRef('C1', 80)).toBeNull();
  });

  it('two businesses with the same instance id in one channel: ambiguous, null', async () => {
    const service = await serviceWith([
      { channelId: 'C1', ref: { bizId: 3, jobInstanceId: 77 } },
      { channelId: 'C1', ref: { bizId: 5, jobInstanceId: 77 } },
    ]);
    expect(await service.watchedRef('C1', 77)).toBeNull();
  });
});
