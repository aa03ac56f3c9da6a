/**
 * The job summary view model: everything the Slack renderer and the watch rules need, and
 * nothing they don't (no log text). Plain JSON-serialisable data, so it can be stored too.
 */
import type { HostAddress, JobRef, StepInstance } from '../bkjob/model';
import type { StepErrorGroups } from './errorGroups';

export type JobState = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'stopped' | 'abnormal';

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'stopped', 'abnormal']);

export interface HostStatusCount {
  readonly ipStatus: number;
  readonly count: number;
}

/** Failing hosts of one step that share a host status and exit code. */
export interface FailingGroup {
  readonly ipStatus: number;
  readonly exitCode: number | null;
  readonly hosts: readonly HostAddress[];
}

/** A step as the summary shows it: the step's own fields, plus what the summary works out. */
export interface StepSummary extends Pick<StepInstance, 'stepInstanceId' | 'name' | 'status' | 'type' | 'startTime' | 'endTime' | 'executeCount'> {
  /** 1-based position in the job, as the JOB console numbers steps. */
  readonly position: number;
  readonly durationMs: number | null;
  readonly hostCount: number;
  /** Hosts per host status, most common first. */
  readonly hostCounts: readonly HostStatusCount[];
  /** Failing hosts grouped by (host status, exit code), biggest group first. */
  readonly failingGroups: readonly FailingGroup[];
  readonly failedHostCount: number;
  /**
   * Why it failed: the failing groups as rows with each row's error line (split by line, at most
   * 5 rows, the rest counted). Present when at least one failing host's line is known; absent in
   * summaries stored before error lines, and where no log was seen (renderers fall back to
   * `failingGroups`).
   */
  readonly errorRows?: StepErrorGroups;
}

export interface JobSummary {
  readonly ref: JobRef;
  readonly name: string | null;
  readonly state: JobState;
  /** The job will not change on its own any more. */
  readonly finished: boolean;
  /** Finished, but JOB lets someone go on under the same instance (retry, ignore error, next step). */
  readonly resumable: boolean;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly durationMs: number | null;
  readonly steps: readonly StepSummary[];
  /** Index into `steps` of the first step whose failure stopped or marks the job; null when none. */
  readonly firstFailingStep: number | null;
  /** Index into `steps` of the step that is running or waiting now; null when none. */
  readonly currentStep: number | null;
  /** Distinct hosts across all steps. */
  readonly hostCount: number;
}
