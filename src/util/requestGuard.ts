/**
 * Ports the Slack edge and the readiness check need from storage. Defined here, low in the layers,
 * so `store/` can implement them without importing the Slack edge (which may not be imported by it).
 */

/**
 * Remembers signed Slack requests for the replay window, shared by every replica through the store.
 * All times are epoch milliseconds passed in by the caller.
 */
export interface RequestGuard {
  /**
   * Records `signature` until `now + ttlMs` and answers whether it was already recorded (and not
   * yet expired): true means a replay. Atomic across replicas; expired rows are pruned on the way.
   */
  seenSignature(signature: string, now: number, ttlMs: number): Promise<boolean>;
}

/** A storage problem that a successful query cannot reveal (SQLite: the database file deleted or replaced). */
export interface StorageCheck {
  /** A short description of the problem (no secrets), or null when there is none. */
  storageProblem(): string | null;
}
