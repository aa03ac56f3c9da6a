/**
 * manifest.yml must be a valid Slack app manifest (Slack's published JSON schema, kept in
 * test/fixtures/slack) and must agree with how the bot is wired: one Bolt endpoint, `/joblog`,
 * interactivity on, the scopes the code needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const SCHEMA_PATH = join(ROOT, 'test/fixtures/slack/manifest.schema.1.0.0.json');
const MANIFEST_PATH = join(ROOT, 'manifest.yml');

/** The parts of a manifest the assertions below read; the schema checks the rest. */
interface Manifest {
  display_information: { name: string; background_color?: string };
  features: {
    slash_commands: { command: string; description: string; usage_hint?: string; url?: string }[];
    unfurl_domains?: string[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string; message_menu_options_url?: string };
    event_subscriptions: { request_url?: string; bot_events?: string[] };
    socket_mode_enabled?: boolean;
  };
}

function compileSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;
  // ajv-formats is not installed, and the only format in the schema is `uri` on the optional
  // top-level `$schema`, which the manifest does not use: skip format checks instead of warning.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  // The schema spells one constraint `regex` (background_color) instead of `pattern`; ajv would
  // ignore it as an unknown keyword, so give it the meaning the schema's authors intended.
  ajv.addKeyword({
    keyword: 'regex',
    type: 'string',
    schemaType: 'string',
    validate: (pattern: string, data: string) => new RegExp(pattern).test(data),
    errors: false,
  });
  return ajv.compile(schema);
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

function loadManifest(): Manifest {
  return parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
}

describe('manifest.yml', () => {
  const validate = compileSchema();
  const manifest = loadManifest();

  it('is valid against Slack’s app manifest schema', () => {
    const valid = validate(manifest);
    if (!valid) console.error(`manifest.yml schema errors:\n${describeErrors(validate.errors)}`);
    expect(describeErrors(validate.errors)).toBe('');
    expect(valid).toBe(true);
  });

  it('declares /joblog with a usage hint', () => {
    const joblog = manifest.features.slash_commands.find((c) => c.command === '/joblog');
    expect(joblog).toBeDefined();
    expect(joblog!.description.length).toBeGreaterThan(0);
    expect(joblog!.usage_hint).toMatch(/watch <bk_biz_id> <job_instance_id>/);
  });

  it('enables interactivity and asks for the scopes the bot uses', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write']));
    // Per-user BlueKing identity (BK_USER_MAPPING) reads the clicking user's profile email.
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['users:read', 'users:read.email']));
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });

  it('reads history for exactly-once delivery (issue 17): channels:history and groups:history', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['channels:history', 'groups:history']));
  });

  it('unfurls JOB links: link_shared, links:read/links:write and an unfurl domain', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['links:read', 'links:write']));
    expect(manifest.settings.event_subscriptions.bot_events).toContain('link_shared');
    expect(manifest.features.unfurl_domains).toEqual(['job.example.com']);
  });

  it('points every request URL at the one Bolt endpoint', () => {
    const urls = [
      manifest.features.slash_commands[0]?.url,
      manifest.settings.interactivity.request_url,
      manifest.settings.interactivity.message_menu_options_url,
      manifest.settings.event_subscriptions.request_url,
    ];
    expect(urls.every((u) => typeof u === 'string')).toBe(true);
    expect(new Set(urls).size).toBe(1);
    expect(new URL(urls[0]!).pathname).toBe('/slack/events');
  });

  describe('the validator', () => {
    function withoutCommandDescription(): unknown {
      const copy = structuredClone(manifest);
      const command: Partial<Manifest['features']['slash_commands'][number]> = copy.features.slash_commands[0]!;
      delete command.description;
      return copy;
    }

    it('rejects a slash command without a description', () => {
      expect(validate(withoutCommandDescription())).toBe(false);
      expect(validate.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            instancePath: '/features/slash_commands/0',
            keyword: 'required',
            params: { missingProperty: 'description' },
          }),
        ]),
      );
    });

    it('rejects a usage hint over the schema limit and an unknown settings field', () => {
      const copy = structuredClone(manifest);
      copy.features.slash_commands[0]!.usage_hint = 'x'.repeat(1001);
      (copy.settings as Record<string, unknown>).socket_mode = true;
      expect(validate(copy)).toBe(false);
      const keywords = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
      expect(keywords).toEqual(
        expect.arrayContaining(['/features/slash_commands/0/usage_hint maxLength', '/settings additionalProperties']),
      );
    });

    it('enforces the schema’s background_color `regex`', () => {
      const copy = structuredClone(manifest);
      copy.display_information.background_color = 'blue!!';
      expect(validate(copy)).toBe(false);
      expect((validate.errors ?? []).map((e) => e.keyword)).toContain('regex');
    });
  });
});
