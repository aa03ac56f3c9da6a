/**
 * Acting on jobs from Slack (retry, ignore an error, confirm, terminate …): the port that makes
 * one click one operation, whoever clicks and on whichever replica.
 */

/** Who claimed an operation on a step run (or a job run), and when. */
export interface OperationClaim {
  /** Job, step, execute count and operation code: the same key for every click meaning the same thing. */
  readonly key: string;
  readonly slackUserId: string;
  readonly bkUsername: string | null;
  readonly at: number;
}

export type ClaimResult = { readonly claimed: true } | { readonly claimed: false; readonly by: OperationClaim };

/** Implemented by the store adapters (a unique key in the database), so it holds across replicas. */
export interface OperationGuard {
  /**
   * Claims `claim.key` unless someone claimed it less than `holdMs` before `claim.at`: then their
   * claim comes back. An older claim is taken over: the same operation can be right again later
   * in the same step run (terminate → next step → terminate), and JOB itself refuses what its
   * state no longer allows. Without `holdMs` a claim holds until it is pruned
   * (`pruneOperationClaims`, after OPERATION_CLAIM_RETENTION_MS).
   */
  claimOperation(claim: OperationClaim, holdMs?: number): Promise<ClaimResult>;
  /**
   * Drops a claim whose call BlueKing refused (no permission, not a confirmer …), so that someone
   * who may do it can; only the claimer's own claim is dropped.
   */
  releaseOperation(key: string, slackUserId: string): Promise<void>;
  /** Deletes claims made before `before` (they hold no longer; see OPERATION_CLAIM_RETENTION_MS); how many. */
  pruneOperationClaims(before: number): Promise<number>;
}

/** Double clicks and simultaneous presses land within this; a later click is a new decision (JOB judges it). */
export const OPERATION_HOLD_MS = 60_000;

/**
 * Claims older than this are deleted (hourly, app.ts): far past any hold, so the table keeps
 * only recent clicks instead of one row per operation ever made.
 */
export const OPERATION_CLAIM_RETENTION_MS = 24 * 60 * 60_000;

/** The `at` before which a claim no longer holds. */
export function staleBefore(claim: OperationClaim, holdMs: number | undefined): number {
  return holdMs === undefined ? Number.MIN_SAFE_INTEGER : claim.at - holdMs;
}

/** Store keys: `op:<scope>:<job>:<step>:<execute count>:<code>`; job-level operations use `job` for the step. */
export function operationKey(scope: string, jobInstanceId: number, stepInstanceId: number | 'job', executeCount: number, code: number): string {
  return `op:${scope}:${jobInstanceId}:${stepInstanceId}:${executeCount}:${code}`;
}
