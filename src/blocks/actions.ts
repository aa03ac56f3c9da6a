/**
 * Interactive element ids and their values, as encode/decode pairs. Values come back from Slack
 * in block_actions payloads: decoding validates them as untrusted input and returns null on junk.
 * Values carry only what is needed to act again (ids and addresses), never anything secret.
 */
import type { HostLogRef, JobRef } from '../bkjob/model';
import { JsonShapeError, parseJsonOrUndefined, shapeReaders } from '../util/json';
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
  /** Value: the subscription id. */
  muteSubscription: 'joblog_sub_mute',
  stopSubscription: 'joblog_sub_stop',
  /** The subscribe modal's cron/plan menu (options loaded as the user types). */
  subscribeTarget: 'joblog_sub_target',
} as const;

/** Subscription ids are the store's (a UUID, or `sub-000001` in the memory store). */
const SUBSCRIPTION_ID = /^[A-Za-z0-9-]{1,64}$/;

export function decodeSubscriptionId(value: unknown): string | null {
  return typeof value === 'string' && SUBSCRIPTION_ID.test(value) ? value : null;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** `3:2001893471`: biz and job instance; `s5:2001893471` for a job of business set 5. */
export function encodeJobRef(ref: JobRef): string {
  return `${ref.scopeType === 'biz_set' ? 's' : ''}${ref.bizId}:${ref.jobInstanceId}`;
}

export function decodeJobRef(value: unknown): JobRef | null {
  if (typeof value !== 'string') return null;
  const match = /^(s?)(\d{1,16}):(\d{1,16})$/.exec(value);
  if (!match) return null;
  const bizId = Number(match[2]);
  const jobInstanceId = Number(match[3]);
  if (!isId(bizId) || !isId(jobInstanceId)) return null;
  return match[1] === 's' ? { bizId, jobInstanceId, scopeType: 'biz_set' } : { bizId, jobInstanceId };
}

interface HostLogValue {
  b: number;
  j: number;
  s: number;
  c: number;
  i: string;
  h?: number;
  /** 1: `b` is a business set. */
  bs?: 1;
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
  // A log is looked up by CMDB host id or by address: a container, or a host with neither, has no control.
  if (ref.container || (ref.ip === '' && ref.bkHostId === undefined)) throw new Error('host log value: the host has no id or address to look its log up by');
  const value: HostLogValue = { b: ref.job.bizId, j: ref.job.jobInstanceId, s: ref.stepInstanceId, c: ref.bkCloudId, i: ref.ip };
  if (ref.job.scopeType === 'biz_set') value.bs = 1;
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
  try {
    return readHostLogValue(parseJsonOrUndefined(value));
  } catch (err) {
    if (err instanceof JsonShapeError) return null;
    throw err;
  }
}

/** A button's value, as untrusted JSON: any field out of shape makes the whole value junk. */
function readHostLogValue(parsed: unknown): HostLogAction | null {
  const { readRecord, readInt, readString, fail } = shapeReaders;
  const v = readRecord(parsed, 'value');
  const id = (key: string): number => {
    const n = readInt(v[key], 'value', key);
    return isId(n) && typeof v[key] === 'number' ? n : fail('value', 'a positive id', key);
  };
  const optional = <T>(key: string, read: (key: string) => T): T | undefined => (v[key] === undefined ? undefined : read(key));
  const pattern = (re: RegExp) => (key: string): string => {
    const text = readString(v[key], 'value', key);
    return re.test(text) ? text : fail('value', re.source, key);
  };
  const cloud = readInt(v.c, 'value', 'c');
  if (typeof v.c !== 'number' || cloud < 0) return null;
  const hostId = optional('h', id);
  // IPv6-only hosts carry an empty address and their CMDB id.
  const ip = v.i === '' && hostId !== undefined ? '' : pattern(IP_PATTERN)('i');
  if (v.bs !== undefined && v.bs !== 1) return null;
  const job: JobRef = v.bs === 1 ? { bizId: id('b'), jobInstanceId: id('j'), scopeType: 'biz_set' } : { bizId: id('b'), jobInstanceId: id('j') };
  const base: HostLogRef = { job, stepInstanceId: id('s'), bkCloudId: cloud, ip };
  const channelId = optional('ch', pattern(CHANNEL_PATTERN));
  const threadTs = optional('t', pattern(TS_PATTERN));
  const ref = hostId === undefined ? base : { ...base, bkHostId: hostId };
  return { ref, target: channelId === undefined ? null : { channelId, threadTs: threadTs ?? null } };
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
