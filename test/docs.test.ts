/** README and .env.example must document every variable the bot reads. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VARIABLES } from '../src/config';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const envExample = readFileSync(join(root, '.env.example'), 'utf8');

describe('documentation', () => {
  it.each(Object.keys(VARIABLES))('%s is in .env.example and in the README configuration table', (name) => {
    expect(envExample).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(readme).toContain(`| \`${name}\` |`);
  });

  it('.env.example sets nothing the bot does not read', () => {
    const names = [...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(names.filter((n) => !(n! in VARIABLES))).toEqual([]);
  });
});
