/**
 * The bot's own view of a BlueKing JOB job instance, independent of API version.
 * The v2 and v3 adapters both produce these shapes; nothing past `bkjob/` sees raw responses.
 * Times are epoch milliseconds (or null when BlueKing has none yet), durations milliseconds.
 */

/** Who the bot acts as towards BlueKing. Every call takes one; today it comes from config. */
export type BkActor = { readonly kind: 'username'; readonly username: string } | { readonly kind: 'token'; readonly token: string };

export interface JobRef {
  readonly bizId: number;
  readonly jobInstanceId: number;
}

export interface HostAddress {
  readonly bkCloudId: number;
  readonly ip: string;
  /** Present in v3 responses only. */
  readonly bkHostId?: number;
}

export interface HostResult extends HostAddress {
  /** Host task status (v2 `ip_status`, v3 `status`). */
  readonly ipStatus: number;
  readonly tag: string;
  readonly exitCode: number | null;
  readonly errorCode: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly totalTimeMs: number | null;
  readonly retryCount: number;
}

export interface StepInstance {
  readonly stepInstanceId: number;
  readonly name: string;
  readonly status: number;
  /** v3 step type: 1 script, 2 file, 3 manual confirmation, 4 SQL; null when the API does not say (v2). */
  readonly type: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly totalTimeMs: number | null;
  /** How many times the step was re-run (0 on the first run): a retried step can fail again. */
  readonly executeCount: number;
  readonly hosts: readonly HostResult[];
}

export interface JobInstance {
  readonly ref: JobRef;
  /** The job's name; v2 `get_job_instance_log` does not return it. */
  readonly name: string | null;
  /** The job's own status when the API returns it (v3); v2 only has step statuses. */
  readonly status: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly steps: readonly StepInstance[];
}

export interface HostLogRef extends HostAddress {
  readonly job: JobRef;
  readonly stepInstanceId: number;
}

export interface HostLog {
  readonly ref: HostLogRef;
  /** Decoded log text (v2 HTML entities already undone). */
  readonly content: string;
  /** The step the log belongs to, as it is now. */
  readonly step: { readonly name: string; readonly status: number; readonly executeCount: number };
  /** The host's result in that step: status, exit code, times. */
  readonly host: HostResult;
}

/** "2:10.0.0.1" when the host is outside the default cloud area 0, else the bare IP. */
export function formatHostAddress(host: HostAddress): string {
  return host.bkCloudId === 0 ? host.ip : `${host.bkCloudId}:${host.ip}`;
}
