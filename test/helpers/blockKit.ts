/**
 * Block Kit validation against the schema copy in test/fixtures/slack (a third-party draft
 * 2020-12 schema, see LICENSE.block-kit-schema and /work/shared/slack/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';

let validate: ValidateFunction | null = null;

/** The schema's errors for `blocks` (a message's or an unfurl's), or [] when valid. */
export function blockKitErrors(blocks: unknown): string[] {
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'slack', 'block-kit.schema.json'), 'utf8')) as object;
    // ajv-formats is not installed: formats (uri …) are not checked, every structural rule is.
    validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  }
  return validate(blocks) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
