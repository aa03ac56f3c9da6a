/**
 * Pure parser for the text after `/joblog`. Anything it does not understand becomes `invalid`
 * with a reason (`describeProblem` words it), which the listener shows above the usage help.
 */
import type { JobRef } from '../bkjob/model';
import { type Lang, messages } from '../i18n';
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
  | { readonly code: 'unknown_command'; readonly text: string };

export type IdName = 'bk_biz_id' | 'job_instance_id';

export type JoblogCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'show'; readonly ref: JobRef }
  | { readonly kind: 'watch'; readonly ref: JobRef; readonly notifyOn: NotifyOn }
  | { readonly kind: 'unwatch'; readonly ref: JobRef }
  | { readonly kind: 'list' }
  | { readonly kind: 'invalid'; readonly problem: CommandProblem };

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

const isProblem = (value: JobRef | CommandProblem): value is CommandProblem => 'code' in value;

export function parseJoblogCommand(text: string): JoblogCommand {
  // Slack may send non-breaking spaces or stray punctuation from copy-paste.
  const words = text.replace(/[\u00a0\u3000]/g, ' ').trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined || /^(help|-h|--help|\?)$/i.test(first)) return { kind: 'help' };
  const verb = first.toLowerCase();

  if (verb === 'list') return rest.length === 0 ? { kind: 'list' } : { kind: 'invalid', problem: { code: 'list_takes_no_arguments' } };

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
  }
}
