/**
 * Pure parser for the text after `/joblog`. Anything it does not understand becomes `invalid`
 * with a short reason, which the listener shows above the usage help.
 */
import type { JobRef } from '../bkjob/model';
import { NOTIFY_ON_VALUES, type NotifyOn } from '../watch/types';

export type JoblogCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'show'; readonly ref: JobRef }
  | { readonly kind: 'watch'; readonly ref: JobRef; readonly notifyOn: NotifyOn }
  | { readonly kind: 'unwatch'; readonly ref: JobRef }
  | { readonly kind: 'list' }
  | { readonly kind: 'invalid'; readonly problem: string };

/** bk_biz_id is an int in JOB (business sets use 8,000,000–9,999,999). */
export const MAX_BIZ_ID = 2_147_483_647;
/** job_instance_id is a long in JOB; ids above 2^53 cannot be represented exactly here. */
export const MAX_JOB_INSTANCE_ID = Number.MAX_SAFE_INTEGER;

function parseId(text: string | undefined, what: string, max: number): number | string {
  if (text === undefined) return `${what} is missing`;
  if (!/^\d+$/.test(text)) return `${what} must be a positive whole number, not "${text.slice(0, 40)}"`;
  const value = Number(text);
  if (value < 1 || value > max || !Number.isSafeInteger(value)) return `${what} ${text.slice(0, 40)} is out of range (1–${max})`;
  return value;
}

function parseRef(args: readonly string[]): JobRef | string {
  const bizId = parseId(args[0], 'bk_biz_id', MAX_BIZ_ID);
  if (typeof bizId === 'string') return bizId;
  const jobInstanceId = parseId(args[1], 'job_instance_id', MAX_JOB_INSTANCE_ID);
  if (typeof jobInstanceId === 'string') return jobInstanceId;
  return { bizId, jobInstanceId };
}

export function parseJoblogCommand(text: string): JoblogCommand {
  // Slack may send non-breaking spaces or stray punctuation from copy-paste.
  const words = text.replace(/[\u00a0\u3000]/g, ' ').trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined || /^(help|-h|--help|\?)$/i.test(first)) return { kind: 'help' };
  const verb = first.toLowerCase();

  if (verb === 'list') return rest.length === 0 ? { kind: 'list' } : { kind: 'invalid', problem: '`list` takes no arguments' };

  if (verb === 'watch' || verb === 'unwatch') {
    const positional: string[] = [];
    let notifyOn: NotifyOn = 'failure';
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i]!;
      if (verb === 'watch' && (word === '--on' || word.startsWith('--on='))) {
        const value = word === '--on' ? rest[++i] : word.slice('--on='.length);
        if (value === undefined || !(NOTIFY_ON_VALUES as readonly string[]).includes(value)) {
          return { kind: 'invalid', problem: `\`--on\` must be one of ${NOTIFY_ON_VALUES.join(', ')}` };
        }
        notifyOn = value as NotifyOn;
      } else if (word.startsWith('--')) return { kind: 'invalid', problem: `unknown option \`${word.slice(0, 40)}\`` };
      else positional.push(word);
    }
    if (positional.length !== 2) return { kind: 'invalid', problem: `\`${verb}\` needs <bk_biz_id> <job_instance_id>` };
    const ref = parseRef(positional);
    if (typeof ref === 'string') return { kind: 'invalid', problem: ref };
    return verb === 'watch' ? { kind: 'watch', ref, notifyOn } : { kind: 'unwatch', ref };
  }

  if (/^\d/.test(first) || words.length === 2) {
    if (words.length !== 2) return { kind: 'invalid', problem: 'expected exactly two numbers: <bk_biz_id> <job_instance_id>' };
    const ref = parseRef(words);
    return typeof ref === 'string' ? { kind: 'invalid', problem: ref } : { kind: 'show', ref };
  }
  return { kind: 'invalid', problem: `unknown command \`${first.slice(0, 40)}\`` };
}
