/**
 * The Slack side of BK_USER_MAPPING: a user's profile email from `users.info` (scope
 * `users:read.email`). Slack's answer is untrusted input and is read field by field.
 */
import type { WebClient } from '@slack/web-api';
import { isRecord } from '../util/json';
import { slackErrorCode } from './context';

/** Answers that mean "this user shows no email", not "Slack is down": no such user, or the scope is missing. */
const NO_EMAIL_ERRORS: ReadonlySet<string> = new Set(['user_not_found', 'user_not_visible', 'missing_scope']);

/** Profile email of a Slack user; null when the profile shows none; throws when Slack could not be asked. */
export function slackEmailLookup(client: Pick<WebClient, 'users'>): (slackUserId: string) => Promise<string | null> {
  return async (slackUserId) => {
    let answer: unknown;
    try {
      answer = await client.users.info({ user: slackUserId });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code !== undefined && NO_EMAIL_ERRORS.has(code)) return null;
      throw err;
    }
    const user = isRecord(answer) ? answer['user'] : undefined;
    const profile = isRecord(user) ? user['profile'] : undefined;
    const email = isRecord(profile) ? profile['email'] : undefined;
    return typeof email === 'string' && email.includes('@') ? email : null;
  };
}
