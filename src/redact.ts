/**
 * Secret scrubbing for anything that might end up in a log line or a Slack message.
 * HTTP client errors carry URLs, query strings, headers and bodies; secrets can hide in any of them.
 */

const SECRET_PARAM_NAMES = ['bk_app_secret', 'bk_token', 'access_token', 'app_secret', 'token', 'signing_secret'];

// Also matches JSON nested in a JSON string (`\"bk_token\":\"…\"`), as a logged header would be.
const SECRET_PARAM_PATTERN = new RegExp(`((?:${SECRET_PARAM_NAMES.join('|')})\\\\?["']?\\s*[=:]\\s*\\\\?["']?)([^&"'\\\\\\s,}]+)`, 'gi');

/** Slack token shapes (bot, user, app-level, config, refresh). */
const SLACK_TOKEN_PATTERN = /\bxox[abepr]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+/g;

export const REDACTED = '[REDACTED]';

export type Redactor = (text: string) => string;

/**
 * Builds a redactor that removes the given literal secrets (and their URL-encoded forms),
 * secret-looking query/JSON parameters and anything shaped like a Slack token.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const literals = new Set<string>();
  for (const secret of secrets) {
    // Very short values would redact innocent text; real secrets are long.
    if (!secret || secret.length < 4) continue;
    literals.add(secret);
    literals.add(encodeURIComponent(secret));
  }
  const ordered = [...literals].sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text;
    for (const literal of ordered) out = out.split(literal).join(REDACTED);
    out = out.replace(SECRET_PARAM_PATTERN, `$1${REDACTED}`);
    return out.replace(SLACK_TOKEN_PATTERN, REDACTED);
  };
}
