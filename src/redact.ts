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

/** Parts of a secret split at `,` shorter than this are not redacted alone (too likely innocent). */
const MIN_PART_LENGTH = 6;

/**
 * Every form in which a secret leaves the bot, so an echo of any of them is recognised:
 * as is; encodeURIComponent; URLSearchParams (`+` for spaces, `!'()~` encoded, as axios
 * serialises query params into its own URLSearchParams); axios's buildURL (`:`, `$`, `,`, `[`, `]`
 * left as is, `+` for spaces); and JSON-escaped (the gateway's X-Bkapi-Authorization header and
 * JSON bodies). Percent-encodings are added in upper and lower case.
 */
function encodedForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const axiosUrl = uri.replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [secret, uri, form, axiosUrl, uri.replace(/%20/g, '+'), json];
  return [...forms, ...forms.map((f) => f.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()))];
}

/**
 * Builds a redactor that removes the given literal secrets (in every encoding above, and the
 * parts of a secret that BlueKing may split at `,` as if it were a list), secret-looking
 * query/JSON parameters and anything shaped like a Slack token.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const literals = new Set<string>();
  for (const secret of secrets) {
    // Very short values would redact innocent text; real secrets are long.
    if (!secret || secret.length < 4) continue;
    for (const form of encodedForms(secret)) literals.add(form);
    if (secret.includes(',')) {
      for (const part of secret.split(',')) {
        const trimmed = part.trim();
        if (trimmed.length >= MIN_PART_LENGTH) for (const form of encodedForms(trimmed)) literals.add(form);
      }
    }
  }
  const ordered = [...literals].sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text;
    for (const literal of ordered) out = out.split(literal).join(REDACTED);
    out = out.replace(SECRET_PARAM_PATTERN, `$1${REDACTED}`);
    return out.replace(SLACK_TOKEN_PATTERN, REDACTED);
  };
}
