/**
 * A budget of concurrent work with a bounded waiting line: at most `limit` pieces run at once,
 * up to `maxWaiting` more wait their turn in arrival order, and any beyond that are refused at
 * once (`QueueFullError`) instead of waiting without end. The people's BlueKing calls go through
 * one of these (see app.ts), so a burst of commands cannot take what the poller needs.
 */

/** The line is full: the work was not started and will not be. */
export class QueueFullError extends Error {
  constructor(readonly limit: number, readonly maxWaiting: number) {
    super(`all ${limit} slots are busy and ${maxWaiting} more are waiting`);
    this.name = 'QueueFullError';
  }
}

export interface WorkQueueOptions {
  /** Most pieces of work running at once (at least 1). */
  readonly limit: number;
  /** Most pieces waiting for a slot (0: none wait, a piece without a free slot is refused). */
  readonly maxWaiting: number;
}

export class WorkQueue {
  readonly limit: number;
  readonly maxWaiting: number;
  private running = 0;
  private readonly line: Array<() => void> = [];

  constructor(options: WorkQueueOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`limit must be a whole number of at least 1, got ${options.limit}`);
    if (!Number.isInteger(options.maxWaiting) || options.maxWaiting < 0) throw new RangeError(`maxWaiting must be a whole number of at least 0, got ${options.maxWaiting}`);
    this.limit = options.limit;
    this.maxWaiting = options.maxWaiting;
  }

  /**
   * Runs `work` now if a slot is free, else after those waiting before it; rejects at once with
   * QueueFullError when the line is full, or (`waitInLine: false`, for work that is only worth
   * doing at once) whenever no slot is free.
   */
  async run<T>(work: () => Promise<T>, options: { readonly waitInLine?: boolean } = {}): Promise<T> {
    if (this.running >= this.limit) {
      if (options.waitInLine === false || this.line.length >= this.maxWaiting) throw new QueueFullError(this.limit, this.maxWaiting);
      // The slot is handed over by `release`, so `running` already counts this piece when it wakes.
      await new Promise<void>((resolve) => this.line.push(resolve));
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
    return this.line.length;
  }

  /** How many pieces run now. */
  active(): number {
    return this.running;
  }

  /** Every slot is taken: new work would wait (or be refused, when the line is full). */
  saturated(): boolean {
    return this.running >= this.limit;
  }

  /** New work would be refused at once. */
  full(): boolean {
    return this.running >= this.limit && this.line.length >= this.maxWaiting;
  }

  private release(): void {
    const next = this.line.shift();
    // The freed slot goes straight to the first in line: nobody arriving now can jump ahead.
    if (next) next();
    else this.running--;
  }
}
