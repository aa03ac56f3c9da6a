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

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
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
  /** Channel and thread a shared snippet goes to (share / full-log buttons only). */
  ch?: string;
  t?: string;
}

/** Where "Share in channel" posts: the thread of the message the host button was on. */
export interface ShareTarget {
  readonly channelId: string;
  readonly threadTs: string | null;
}

export interface HostLogAction {
  readonly ref: HostLogRef;
  readonly target: ShareTarget | null;
}

const IP_PATTERN = /^[0-9A-Fa-f.:]{2,45}$/;
const CHANNEL_PATTERN = /^[CGD][A-Z0-9]{2,30}$/;
const TS_PATTERN = /^\d{1,12}\.\d{1,8}$/;

/** Compact JSON (~90 chars, within a select option's 150) so IPv6 addresses need no separator. */
export function encodeHostLogRef(ref: HostLogRef, target: ShareTarget | null = null): string {
  const value: HostLogValue = { b: ref.job.bizId, j: ref.job.jobInstanceId, s: ref.stepInstanceId, c: ref.bkCloudId, i: ref.ip };
  if (ref.bkHostId !== undefined) value.h = ref.bkHostId;
  if (target) {
    value.ch = target.channelId;
    if (target.threadTs) value.t = target.threadTs;
  }
  const encoded = JSON.stringify(value);
  if (encoded.length > (target ? LIMITS.buttonValue : LIMITS.optionValue)) throw new Error('host log value exceeds the Block Kit value limit');
  return encoded;
}

export function decodeHostLogAction(value: unknown): HostLogAction | null {
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
  if (v.ch !== undefined && (typeof v.ch !== 'string' || !CHANNEL_PATTERN.test(v.ch))) return null;
  if (v.t !== undefined && (typeof v.t !== 'string' || !TS_PATTERN.test(v.t))) return null;
  const base: HostLogRef = { job: { bizId: v.b, jobInstanceId: v.j }, stepInstanceId: v.s, bkCloudId: v.c, ip: v.i };
  const ref = v.h === undefined ? base : { ...base, bkHostId: v.h };
  const target = typeof v.ch === 'string' ? { channelId: v.ch, threadTs: typeof v.t === 'string' ? v.t : null } : null;
  return { ref, target };
}

/** Host buttons need distinct action ids within a message: `joblog_host_log:<n>`. */
export const HOST_LOG_BUTTON_PATTERN = /^joblog_host_log(?::\d+)?$/;

/** Block ids carry the job so an external_select's option request knows which job to search. */
export function hostPickerBlockId(ref: JobRef): string {
  return `joblog_hosts:${encodeJobRef(ref)}`;
}

export function jobRefOfBlockId(blockId: unknown): JobRef | null {
  if (typeof blockId !== 'string' || !blockId.startsWith('joblog_hosts:')) return null;
  return decodeJobRef(blockId.slice('joblog_hosts:'.length));
}
