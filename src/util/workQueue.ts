/**
 * A budget of concurrent work with a bounded waiting line: at most `limit` pieces run at once,
 * up to `maxWaiting` more wait their turn, and any beyond that are refused at once
 * (`QueueFullError`) instead of waiting without end. Waiting pieces may name an owner (a person):
 * owners take turns for freed slots (each owner's pieces in their arrival order), and one owner
 * may have at most `maxWaitingPerOwner` waiting, so one person's burst neither fills the line
 * nor makes everyone else wait behind it. The people's BlueKing calls go through one of these
 * (see app.ts), so a burst of commands cannot take what the poller needs.
 */

/** The line (or the owner's share of it, `own`) is full: the work was not started and will not be. */
export class QueueFullError extends Error {
  constructor(
    readonly limit: number,
    readonly maxWaiting: number,
    readonly own = false,
  ) {
    super(own ? `all ${limit} slots are busy and this owner already has ${maxWaiting} waiting` : `all ${limit} slots are busy and ${maxWaiting} more are waiting`);
    this.name = 'QueueFullError';
  }
}

export interface WorkQueueOptions {
  /** Most pieces of work running at once (at least 1). */
  readonly limit: number;
  /** Most pieces waiting for a slot (0: none wait, a piece without a free slot is refused). */
  readonly maxWaiting: number;
  /** Most pieces one owner may have waiting (default: `maxWaiting`). */
  readonly maxWaitingPerOwner?: number;
}

export class WorkQueue {
  readonly limit: number;
  readonly maxWaiting: number;
  readonly maxWaitingPerOwner: number;
  private running = 0;
  private waitingCount = 0;
  /** Each owner's waiting pieces, oldest first; the owners in turn order (Map keeps insertion order). */
  private readonly lines = new Map<string, Array<() => void>>();

  constructor(options: WorkQueueOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`limit must be a whole number of at least 1, got ${options.limit}`);
    if (!Number.isInteger(options.maxWaiting) || options.maxWaiting < 0) throw new RangeError(`maxWaiting must be a whole number of at least 0, got ${options.maxWaiting}`);
    const perOwner = options.maxWaitingPerOwner ?? options.maxWaiting;
    if (!Number.isInteger(perOwner) || perOwner < 0) throw new RangeError(`maxWaitingPerOwner must be a whole number of at least 0, got ${perOwner}`);
    this.limit = options.limit;
    this.maxWaiting = options.maxWaiting;
    this.maxWaitingPerOwner = perOwner;
  }

  /**
   * Runs `work` now if a slot is free, else when its turn comes (`owner`'s turn among the owners
   * waiting, then its place among that owner's pieces; work without an owner shares one); rejects
   * at once with QueueFullError when the line or the owner's share of it is full, or
   * (`waitInLine: false`, for work that is only worth doing at once) whenever no slot is free.
   */
  async run<T>(work: () => Promise<T>, options: { readonly waitInLine?: boolean; readonly owner?: string } = {}): Promise<T> {
    if (this.running >= this.limit) {
      const owner = options.owner ?? '';
      const own = this.lines.get(owner);
      if (options.waitInLine === false || this.waitingCount >= this.maxWaiting) throw new QueueFullError(this.limit, this.maxWaiting);
      if ((own?.length ?? 0) >= this.maxWaitingPerOwner) throw new QueueFullError(this.limit, this.maxWaitingPerOwner, true);
      // The slot is handed over by `release`, so `running` already counts this piece when it wakes.
      await new Promise<void>((resolve) => {
        if (own) own.push(resolve);
        else this.lines.set(owner, [resolve]);
        this.waitingCount++;
      });
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** How many pieces wait for a slot now. */
  waiting(): number {
    return this.waitingCount;
  }

  /** How many pieces run now. */
  active(): number {
    return this.running;
  }

  /** Every slot is taken: new work would wait (or be refused, when the line is full). */
  saturated(): boolean {
    return this.running >= this.limit;
  }

  /** New work (of `owner`, counting its share of the line) would be refused at once. */
  full(owner?: string): boolean {
    if (this.running < this.limit) return false;
    return this.waitingCount >= this.maxWaiting || (owner !== undefined && (this.lines.get(owner)?.length ?? 0) >= this.maxWaitingPerOwner);
  }

  private release(): void {
    // The freed slot goes straight to a waiting piece (nobody arriving now can jump ahead): the
    // oldest of the owner whose turn it is, who then goes to the back of the turns if it has more.
    const turn = this.lines.entries().next();
    if (turn.done === true) {
      this.running--;
      return;
    }
    const [owner, pieces] = turn.value;
    const next = pieces.shift();
    this.lines.delete(owner);
    if (pieces.length > 0) this.lines.set(owner, pieces);
    this.waitingCount--;
    if (next) next();
    else this.running--;
  }
}
