/**
 * Interactive element ids and their values, as encode/decode pairs. Values come back from Slack
 * in block_actions payloads: decoding validates them as untrusted input and returns null on junk.
 * Values carry only what is needed to act again (ids and addresses), never anything secret.
 */
import type { HostLogRef, JobRef } from '../bkjob/model';
import { LIMITS } from './text';

export const ACTION = {
  openInJob: 'joblog_open',
  watch: 'joblog_watch',
  unwatch: 'joblog_unwatch',
  hostLog: 'joblog_host_log',
  hostLogSelect: 'joblog_host_log_select',
  shareLog: 'joblog_share_log',
  fullLog: 'joblog_full_log',
  stopWatchHome: 'joblog_home_unwatch',
} as const;

const MAX_ID = 2 ** 53 - 1;

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= MAX_ID;
}

/** `3:2001893471`: biz and job instance. */
export function encodeJobRef(ref: JobRef): string {
  return `${ref.bizId}:${ref.jobInstanceId}`;
}

export function decodeJobRef(value: unknown): JobRef | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{1,16}):(\d{1,16})$/.exec(value);
  if (!match) return null;
  const bizId = Number(match[1]);
  const jobInstanceId = Number(match[2]);
  return isId(bizId) && isId(jobInstanceId) ? { bizId, jobInstanceId } : null;
}

interface HostLogValue {
  b: number;
  j: number;
  s: number;
  c: number;
  i: string;
  h?: number;
}

const IP_PATTERN = /^[0-9A-Fa-f.:]{2,45}$/;

/** Compact JSON (~90 chars) so IPv6 addresses need no special separator. */
export function encodeHostLogRef(ref: HostLogRef): string {
  const value: HostLogValue = { b: ref.job.bizId, j: ref.job.jobInstanceId, s: ref.stepInstanceId, c: ref.bkCloudId, i: ref.ip };
  if (ref.bkHostId !== undefined) value.h = ref.bkHostId;
  const encoded = JSON.stringify(value);
  if (encoded.length > LIMITS.optionValue) throw new Error('host log value exceeds the option value limit');
  return encoded;
}

export function decodeHostLogRef(value: unknown): HostLogRef | null {
  if (typeof value !== 'string' || value.length > LIMITS.buttonValue) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const v = parsed as Record<string, unknown>;
  if (!isId(v.b) || !isId(v.j) || !isId(v.s)) return null;
  if (typeof v.c !== 'number' || !Number.isSafeInteger(v.c) || v.c < 0) return null;
  if (typeof v.i !== 'string' || !IP_PATTERN.test(v.i)) return null;
  if (v.h !== undefined && !isId(v.h)) return null;
  const ref: HostLogRef = { job: { bizId: v.b, jobInstanceId: v.j }, stepInstanceId: v.s, bkCloudId: v.c, ip: v.i };
  return v.h === undefined ? ref : { ...ref, bkHostId: v.h };
}
