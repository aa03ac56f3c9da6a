/** WorkQueue: a concurrency limit, a waiting line of bounded length (owners take turns, each with a bounded share), and a refusal at once past it. */
import { QueueFullError, WorkQueue } from '../../src/util/workQueue';

/** A piece of work that runs until the test lets it finish. */
function gate<T = void>(): { readonly promise: Promise<T>; open(value: T): void; fail(err: Error): void } {
  let open!: (value: T) => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkQueue', () => {
  it('runs at once while a slot is free', async () => {
    const queue = new WorkQueue({ limit: 2, maxWaiting: 0 });
    expect(await queue.run(() => Promise.resolve(7))).toBe(7);
    expect(queue.active()).toBe(0);
    expect(queue.saturated()).toBe(false);
  });

  it('holds at most `limit` pieces running and starts the waiting ones in arrival order', async () => {
    const queue = new WorkQueue({ limit: 2, maxWaiting: 10 });
    const gates = Array.from({ length: 5 }, () => gate());
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      queue.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(queue.active()).toBe(2);
    expect(queue.waiting()).toBe(3);
    expect(queue.saturated()).toBe(true);
    expect(queue.full()).toBe(false);

    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    expect(queue.waiting()).toBe(2);
    gates[0]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(queue.active()).toBe(0);
    expect(queue.waiting()).toBe(0);
  });

  it('refuses at once with QueueFullError when the line is full, without running the work', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 1 });
    const first = gate();
    const running = queue.run(() => first.promise);
    const waiting = queue.run(() => Promise.resolve('second'));
    expect(queue.full()).toBe(true);
    const work = jest.fn(() => Promise.resolve('third'));
    const refused = queue.run(work).catch((err: unknown) => err);
    const err = await refused;
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).message).toBe('all 1 slots are busy and 1 more are waiting');
    expect(work).not.toHaveBeenCalled();
    first.open();
    await running;
    expect(await waiting).toBe('second');
    expect(queue.full()).toBe(false);
  });

  it('with no waiting line refuses whatever finds every slot taken', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 0 });
    const first = gate();
    const running = queue.run(() => first.promise);
    expect(queue.full()).toBe(true);
    await expect(queue.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(QueueFullError);
    first.open();
    await running;
    expect(await queue.run(() => Promise.resolve(2))).toBe(2);
  });

  it('work that may not wait in line (waitInLine: false) is refused when no slot is free, even with room in the line', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 10 });
    const first = gate();
    const running = queue.run(() => first.promise);
    await expect(queue.run(() => Promise.resolve(1), { waitInLine: false })).rejects.toBeInstanceOf(QueueFullError);
    expect(queue.waiting()).toBe(0);
    first.open();
    await running;
    expect(await queue.run(() => Promise.resolve(2), { waitInLine: false })).toBe(2);
  });

  it('frees the slot when the work fails (or throws before returning a promise)', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 5 });
    const failing = gate();
    const failed = queue.run(() => failing.promise).catch((err: unknown) => err);
    const next = queue.run(() => Promise.resolve('next'));
    failing.fail(new Error('boom'));
    expect(await failed).toEqual(new Error('boom'));
    expect(await next).toBe('next');
    await expect(
      queue.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(queue.active()).toBe(0);
    expect(await queue.run(() => Promise.resolve('after'))).toBe('after');
  });

  it('gives a freed slot to the first in line, not to work arriving meanwhile', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 5 });
    const first = gate();
    const order: string[] = [];
    const a = queue.run(async () => {
      await first.promise;
      order.push('a');
    });
    const b = queue.run(() => Promise.resolve(void order.push('b')));
    first.open();
    // Arrives after the slot was handed to b but before b ran.
    const c = queue.run(() => Promise.resolve(void order.push('c')));
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('rejects nonsense limits', () => {
    expect(() => new WorkQueue({ limit: 0, maxWaiting: 1 })).toThrow(RangeError);
    expect(() => new WorkQueue({ limit: 1.5, maxWaiting: 1 })).toThrow(RangeError);
    expect(() => new WorkQueue({ limit: 1, maxWaiting: -1 })).toThrow(RangeError);
  });
});

describe('WorkQueue with owners (people)', () => {
  type Gate = ReturnType<typeof gate<void>>;

  /** Starts `count` pieces for `owner` (none: no owner), each recording its start (`alice0`, `-0`) and waiting for its gate. */
  function burst(queue: WorkQueue, owner: string | undefined, count: number, started: string[], gates: Map<string, Gate>): Array<Promise<void>> {
    return Array.from({ length: count }, (_, i) => {
      const name = `${owner ?? '-'}${i}`;
      const g = gate<void>();
      gates.set(name, g);
      return queue.run(
        async () => {
          started.push(name);
          await g.promise;
        },
        owner === undefined ? {} : { owner },
      );
    });
  }

  /** Lets each piece finish right after it starts, and returns the order they started in. */
  async function drain(started: string[], gates: Map<string, Gate>, runs: Array<Promise<unknown>>): Promise<string[]> {
    for (let i = 0; i < gates.size; i++) {
      await tick();
      gates.get(started[i] ?? '')?.open();
    }
    await Promise.all(runs);
    return started;
  }

  it("serves waiting owners in turn: one person's burst does not make the next person wait behind all of it", async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 20 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const runs = [...burst(queue, 'alice', 4, started, gates), ...burst(queue, 'bob', 1, started, gates), ...burst(queue, 'carol', 1, started, gates)];
    // bob's second piece arrives after carol's first.
    const bob1 = gate<void>();
    gates.set('bob1', bob1);
    runs.push(
      queue.run(
        async () => {
          started.push('bob1');
          await bob1.promise;
        },
        { owner: 'bob' },
      ),
    );
    expect(queue.waiting()).toBe(6);
    // alice0 held the slot; then alice, bob and carol take turns, each in their own order.
    expect(await drain(started, gates, runs)).toEqual(['alice0', 'alice1', 'bob0', 'carol0', 'alice2', 'bob1', 'alice3']);
    expect(queue.waiting()).toBe(0);
    expect(queue.active()).toBe(0);
  });

  it('refuses an owner past its share of the line (QueueFullError.own) while others still get in', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 10, maxWaitingPerOwner: 2 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const runs = burst(queue, 'alice', 3, started, gates);
    const refused = await queue.run(() => Promise.resolve('late'), { owner: 'alice' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).own).toBe(true);
    expect((refused as QueueFullError).message).toBe('all 1 slots are busy and this owner already has 2 waiting');
    expect(queue.full()).toBe(false);
    runs.push(...burst(queue, 'bob', 1, started, gates));
    expect(queue.waiting()).toBe(3);
    expect(await drain(started, gates, runs)).toEqual(['alice0', 'alice1', 'bob0', 'alice2']);
  });

  it('the whole line still bounds everyone together (QueueFullError, not own)', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 2, maxWaitingPerOwner: 2 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const runs = [...burst(queue, 'alice', 2, started, gates), ...burst(queue, 'bob', 1, started, gates)];
    const refused = await queue.run(() => Promise.resolve(1), { owner: 'carol' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).own).toBe(false);
    expect(queue.full()).toBe(true);
    expect(await drain(started, gates, runs)).toEqual(['alice0', 'alice1', 'bob0']);
  });

  it('work without an owner waits in one shared turn, in arrival order', async () => {
    const queue = new WorkQueue({ limit: 1, maxWaiting: 5 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const runs = burst(queue, undefined, 4, started, gates);
    expect(await drain(started, gates, runs)).toEqual(['-0', '-1', '-2', '-3']);
  });

  it('rejects a bad share', () => {
    expect(() => new WorkQueue({ limit: 1, maxWaiting: 2, maxWaitingPerOwner: -1 })).toThrow('maxWaitingPerOwner must be a whole number of at least 0, got -1');
  });
});
