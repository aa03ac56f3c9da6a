/**
 * Links into the JOB web console, built from BK_JOB_WEB_URL (config `bk.jobWebUrl`). The paths
 * are the ones JOB's own notifications use.
 */
import type { JobRef } from './model';

/** The JOB console page of a job: BK_JOB_WEB_URL with `{bk_biz_id}`/`{job_instance_id}` filled in, or `/api_execute/<id>` appended. */
export function jobConsoleUrl(webUrl: string | null, ref: JobRef): string | null {
  if (!webUrl) return null;
  if (webUrl.includes('{job_instance_id}')) return webUrl.replace(/\{bk_biz_id\}/g, String(ref.bizId)).replace(/\{job_instance_id\}/g, String(ref.jobInstanceId));
  return `${webUrl.replace(/\/+$/, '')}/api_execute/${ref.jobInstanceId}`;
}

/**
 * The JOB console page of one step of a job (`/api_execute_step/<job>/<step>`, as JOB's own
 * notifications link it), or null when BK_JOB_WEB_URL is unset or a template (whose step page
 * form the bot cannot know).
 */
export function stepConsoleUrl(webUrl: string | null, ref: JobRef, stepInstanceId: number): string | null {
  if (!webUrl || webUrl.includes('{job_instance_id}')) return null;
  return `${webUrl.replace(/\/+$/, '')}/api_execute_step/${ref.jobInstanceId}/${stepInstanceId}`;
}
