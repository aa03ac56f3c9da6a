/**
 * The one concurrency limiter: bounded, FIFO, frees its slot on failure.
 */
import { forEachPipelined, mapLimit } from '../../src/util/limit';

describe('mapLimit', () => {
  it('never runs more than the limit at once and visits every item once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await mapLimit(Array.from({ length: 50 }, (_, i) => i), 8, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(i);
      running--;
    });
    expect(peak).toBe(8);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('handles fewer items than the limit, and none', async () => {
    const seen: number[] = [];
    await mapLimit([1, 2], 8, (i) => Promise.resolve(void seen.push(i)));
    await mapLimit([], 8, () => Promise.reject(new Error('never called')));
    expect(seen).toEqual([1, 2]);
  });
});

describe('forEachPipelined', () => {
  it('asks for the next batch while the workers still have work, never exceeds the concurrency, and stops after a short batch', async () => {
    const batches = [[1, 2, 3, 4], [5, 6, 7, 8], [9]];
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const next = () => {
      const batch = batches.shift() ?? [];
      log.push(`batch ${batch.join(',')}`);
      return Promise.resolve(batch);
    };
    await forEachPipelined(next, 4, 2, async (item) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${item}`);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    });
    expect(peak).toBe(2);
    // The second batch is asked for once only 2 items (the concurrency) are left, before they run out.
    expect(log.indexOf('batch 5,6,7,8')).toBeLessThan(log.indexOf('start 4'));
    expect(log.filter((line) => line.startsWith('start')).map((line) => Number(line.slice(6)))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(log.filter((line) => line.startsWith('batch'))).toEqual(['batch 1,2,3,4', 'batch 5,6,7,8', 'batch 9']);
  });

  it('rejects when a batch cannot be had, after the items already taken are done', async () => {
    const done: number[] = [];
    let calls = 0;
    const next = () => (++calls === 1 ? Promise.resolve([1, 2]) : Promise.reject(new Error('database down')));
    await expect(forEachPipelined(next, 2, 2, (item) => Promise.resolve(void done.push(item)))).rejects.toThrow('database down');
    expect(done).toEqual([1, 2]);
  });
});
