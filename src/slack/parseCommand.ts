/**
 * Pure parser for the text after `/joblog`. Anything it does not understand becomes `invalid`
 * with a reason (`describeProblem` words it), which the listener shows above the usage help.
 */
import type { JobRef } from '../bkjob/model';
import { type Lang, messages } from '../i18n';
import { operationMessages } from '../i18n/operationMessages';
import { subscriptionMessages } from '../i18n/subscriptionMessages';
import { parseDuration } from '../util/duration';
import type { SubscriptionKind, SubscriptionScope } from '../watch/subscriptionTypes';
import { NOTIFY_ON_VALUES, type NotifyOn } from '../watch/types';

/** What was wrong with the text, as data: the listener words it in the bot's language. */
export type CommandProblem =
  | { readonly code: 'missing'; readonly what: IdName }
  | { readonly code: 'not_a_number'; readonly what: IdName; readonly text: string }
  | { readonly code: 'out_of_range'; readonly what: IdName; readonly text: string; readonly max: number }
  | { readonly code: 'list_takes_no_arguments' }
  | { readonly code: 'needs_ids'; readonly verb: 'watch' | 'unwatch' }
  | { readonly code: 'bad_notify_on' }
  | { readonly code: 'unknown_option'; readonly text: string }
  | { readonly code: 'expected_two_numbers' }
  | { readonly code: 'unknown_command'; readonly text: string }
  | { readonly code: 'needs_target' }
  | { readonly code: 'bad_kind'; readonly text: string }
  | { readonly code: 'bad_digest' }
  | { readonly code: 'needs_subscription_id'; readonly verb: 'unsubscribe' | 'mute' }
  | { readonly code: 'bad_duration'; readonly text: string }
  | { readonly code: 'needs_job'; readonly verb: 'retry' | 'confirm' };

export type IdName = 'bk_biz_id' | 'job_instance_id' | 'cron_id' | 'job_plan_id';

export type JoblogCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'show'; readonly ref: JobRef }
  | { readonly kind: 'watch'; readonly ref: JobRef; readonly notifyOn: NotifyOn }
  | { readonly kind: 'unwatch'; readonly ref: JobRef }
  | { readonly kind: 'list' }
  /** `/joblog subscribe` alone: the modal. */
  | { readonly kind: 'subscribe_modal' }
  | { readonly kind: 'subscribe'; readonly scope: SubscriptionScope; readonly target: SubscriptionKind; readonly targetId: number; readonly notifyOn: NotifyOn; readonly digestAt: string | null }
  | { readonly kind: 'unsubscribe'; readonly subscriptionId: string }
  /** `retry <biz> <job> [<step_instance_id>]`, `confirm <biz> <job>`: the same dialog as the buttons, as a modal. */
  | { readonly kind: 'operate'; readonly verb: 'retry' | 'confirm'; readonly ref: JobRef; readonly stepInstanceId: number | null }
  /** `forMs` 0 unmutes. */
  | { readonly kind: 'mute'; readonly subscriptionId: string; readonly forMs: number }
  | { readonly kind: 'invalid'; readonly problem: CommandProblem };

/** Cron and plan ids are longs in JOB. */
const MAX_TARGET_ID = Number.MAX_SAFE_INTEGER;
const DEFAULT_MUTE_MS = 24 * 60 * 60_000;
/** At most a month: a longer silence is an unsubscribe. */
const MAX_MUTE_MS = 31 * 24 * 60 * 60_000;
const SUBSCRIPTION_ID = /^[A-Za-z0-9-]{1,64}$/;
const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** bk_biz_id is an int in JOB (business sets use 8,000,000–9,999,999). */
export const MAX_BIZ_ID = 2_147_483_647;
/** job_instance_id is a long in JOB; ids above 2^53 cannot be represented exactly here. */
export const MAX_JOB_INSTANCE_ID = Number.MAX_SAFE_INTEGER;

function parseId(text: string | undefined, what: IdName, max: number): number | CommandProblem {
  if (text === undefined) return { code: 'missing', what };
  if (!/^\d+$/.test(text)) return { code: 'not_a_number', what, text: text.slice(0, 40) };
  const value = Number(text);
  if (value < 1 || value > max || !Number.isSafeInteger(value)) return { code: 'out_of_range', what, text: text.slice(0, 40), max };
  return value;
}

/** `set:<id>` names a business set; a plain number a business (JOB maps 8000000–9999999 to sets itself). */
const BIZ_SET_PREFIX = /^set:/i;

function parseRef(args: readonly string[]): JobRef | CommandProblem {
  const scope = args[0];
  const isSet = scope !== undefined && BIZ_SET_PREFIX.test(scope);
  const bizId = parseId(isSet ? scope.slice('set:'.length) : scope, 'bk_biz_id', MAX_BIZ_ID);
  if (typeof bizId !== 'number') return bizId;
  const jobInstanceId = parseId(args[1], 'job_instance_id', MAX_JOB_INSTANCE_ID);
  if (typeof jobInstanceId !== 'number') return jobInstanceId;
  return isSet ? { bizId, jobInstanceId, scopeType: 'biz_set' } : { bizId, jobInstanceId };
}

const isProblem = (value: object): value is CommandProblem => 'code' in value;

function parseScope(text: string | undefined): SubscriptionScope | CommandProblem {
  const isSet = text !== undefined && BIZ_SET_PREFIX.test(text);
  const bizId = parseId(isSet ? text.slice('set:'.length) : text, 'bk_biz_id', MAX_BIZ_ID);
  if (typeof bizId !== 'number') return bizId;
  return isSet ? { bizId, scopeType: 'biz_set' } : { bizId };
}

/** `subscribe <biz> cron|plan <id> [--on failure|finish|all] [--digest HH:MM]`; no words: the modal. */
function parseSubscribe(rest: readonly string[]): JoblogCommand {
  if (rest.length === 0) return { kind: 'subscribe_modal' };
  const positional: string[] = [];
  let notifyOn: NotifyOn = 'failure';
  let digestAt: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === '--on' || word.startsWith('--on=')) {
      const value = word === '--on' ? rest[++i] : word.slice('--on='.length);
      if (value === undefined || !(NOTIFY_ON_VALUES as readonly string[]).includes(value)) return { kind: 'invalid', problem: { code: 'bad_notify_on' } };
      notifyOn = value as NotifyOn;
    } else if (word === '--digest' || word.startsWith('--digest=')) {
      const value = word === '--digest' ? rest[++i] : word.slice('--digest='.length);
      const time = value === undefined ? null : TIME_OF_DAY.exec(value);
      if (!time) return { kind: 'invalid', problem: { code: 'bad_digest' } };
      digestAt = `${time[1]!.padStart(2, '0')}:${time[2]!}`;
    } else if (word.startsWith('--')) return { kind: 'invalid', problem: { code: 'unknown_option', text: word.slice(0, 40) } };
    else positional.push(word);
  }
  if (positional.length !== 3) return { kind: 'invalid', problem: { code: 'needs_target' } };
  const scope = parseScope(positional[0]);
  if (isProblem(scope)) return { kind: 'invalid', problem: scope };
  const kind = positional[1]!.toLowerCase();
  if (kind !== 'cron' && kind !== 'plan') return { kind: 'invalid', problem: { code: 'bad_kind', text: positional[1]!.slice(0, 40) } };
  const targetId = parseId(positional[2], kind === 'cron' ? 'cron_id' : 'job_plan_id', MAX_TARGET_ID);
  if (typeof targetId !== 'number') return { kind: 'invalid', problem: targetId };
  return { kind: 'subscribe', scope, target: kind, targetId, notifyOn, digestAt };
}

/** `unsubscribe <id>`, `mute <id> [24h|off]`. */
function parseSubscriptionVerb(verb: 'unsubscribe' | 'mute', rest: readonly string[]): JoblogCommand {
  const [id, duration, ...extra] = rest;
  if (id === undefined || !SUBSCRIPTION_ID.test(id) || extra.length > 0 || (verb === 'unsubscribe' && duration !== undefined)) return { kind: 'invalid', problem: { code: 'needs_subscription_id', verb } };
  if (verb === 'unsubscribe') return { kind: 'unsubscribe', subscriptionId: id };
  if (duration === undefined) return { kind: 'mute', subscriptionId: id, forMs: DEFAULT_MUTE_MS };
  if (/^(off|0)$/i.test(duration)) return { kind: 'mute', subscriptionId: id, forMs: 0 };
  const forMs = parseDuration(duration);
  if (forMs === null || forMs <= 0 || forMs > MAX_MUTE_MS) return { kind: 'invalid', problem: { code: 'bad_duration', text: duration.slice(0, 40) } };
  return { kind: 'mute', subscriptionId: id, forMs };
}

export function parseJoblogCommand(text: string): JoblogCommand {
  // Slack may send non-breaking spaces or stray punctuation from copy-paste.
  const words = text.replace(/[\u00a0\u3000]/g, ' ').trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined || /^(help|-h|--help|\?)$/i.test(first)) return { kind: 'help' };
  const verb = first.toLowerCase();

  if (verb === 'list') return rest.length === 0 ? { kind: 'list' } : { kind: 'invalid', problem: { code: 'list_takes_no_arguments' } };
  if (verb === 'subscribe') return parseSubscribe(rest);
  if (verb === 'unsubscribe' || verb === 'mute') return parseSubscriptionVerb(verb, rest);
  if (verb === 'retry' || verb === 'confirm') {
    const max = verb === 'retry' ? 3 : 2;
    if (rest.length < 2 || rest.length > max) return { kind: 'invalid', problem: { code: 'needs_job', verb } };
    const ref = parseRef(rest);
    if (isProblem(ref)) return { kind: 'invalid', problem: ref };
    const step = rest[2] === undefined ? null : parseId(rest[2], 'job_instance_id', MAX_JOB_INSTANCE_ID);
    if (step !== null && typeof step !== 'number') return { kind: 'invalid', problem: { code: 'needs_job', verb } };
    return { kind: 'operate', verb, ref, stepInstanceId: step };
  }

  if (verb === 'watch' || verb === 'unwatch') {
    const positional: string[] = [];
    let notifyOn: NotifyOn = 'failure';
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i]!;
      if (verb === 'watch' && (word === '--on' || word.startsWith('--on='))) {
        const value = word === '--on' ? rest[++i] : word.slice('--on='.length);
        if (value === undefined || !(NOTIFY_ON_VALUES as readonly string[]).includes(value)) {
          return { kind: 'invalid', problem: { code: 'bad_notify_on' } };
        }
        notifyOn = value as NotifyOn;
      } else if (word.startsWith('--')) return { kind: 'invalid', problem: { code: 'unknown_option', text: word.slice(0, 40) } };
      else positional.push(word);
    }
    if (positional.length !== 2) return { kind: 'invalid', problem: { code: 'needs_ids', verb } };
    const ref = parseRef(positional);
    if (isProblem(ref)) return { kind: 'invalid', problem: ref };
    return verb === 'watch' ? { kind: 'watch', ref, notifyOn } : { kind: 'unwatch', ref };
  }

  // Numbers, or two words of which the second is a number (a mistyped biz id): a show request.
  if (/^\d/.test(first) || BIZ_SET_PREFIX.test(first) || (words.length === 2 && /^\d/.test(words[1]!))) {
    if (words.length !== 2) return { kind: 'invalid', problem: { code: 'expected_two_numbers' } };
    const ref = parseRef(words);
    return isProblem(ref) ? { kind: 'invalid', problem: ref } : { kind: 'show', ref };
  }
  return { kind: 'invalid', problem: { code: 'unknown_command', text: first.slice(0, 40) } };
}

/** The problem in words, for the usage reply (plain text: the renderer escapes it). */
export function describeProblem(p: CommandProblem, lang: Lang): string {
  const m = messages(lang);
  switch (p.code) {
    case 'missing':
      return m.problemMissing(p.what);
    case 'not_a_number':
      return m.problemNotANumber(p.what, p.text);
    case 'out_of_range':
      return m.problemOutOfRange(p.what, p.text, p.max);
    case 'list_takes_no_arguments':
      return m.problemListTakesNoArguments;
    case 'needs_ids':
      return m.problemNeedsIds(p.verb);
    case 'bad_notify_on':
      return m.problemBadNotifyOn(NOTIFY_ON_VALUES);
    case 'unknown_option':
      return m.problemUnknownOption(p.text);
    case 'expected_two_numbers':
      return m.problemExpectedTwoNumbers;
    case 'unknown_command':
      return m.problemUnknownCommand(p.text);
    case 'needs_target':
      return subscriptionMessages(lang).problemNeedsTarget;
    case 'bad_kind':
      return subscriptionMessages(lang).problemBadKind(p.text);
    case 'bad_digest':
      return subscriptionMessages(lang).problemBadDigest;
    case 'needs_subscription_id':
      return subscriptionMessages(lang).problemNeedsSubscriptionId(p.verb);
    case 'bad_duration':
      return subscriptionMessages(lang).problemBadDuration(p.text);
    case 'needs_job':
      return operationMessages(lang).problemNeedsJob(p.verb);
  }
}
