/**
 * The production build and image hold the bot only: the fakes, scenarios and demo (dev/), tests
 * and benchmarks never reach dist/ or the Docker image (the fake Slack carries a fake secret).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

describe('the production build', () => {
  it('compiles src/ only: no fake, scenario, demo, test or bench file is emitted into dist/', () => {
    const listed = execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' });
    const ours = listed
      .split('\n')
      .map((line) => line.trim())
      .filter((path) => path !== '' && !path.includes('node_modules'))
      .map((path) => relative(ROOT, path));
    expect(ours.length).toBeGreaterThan(40);
    expect(ours.filter((path) => !path.startsWith('src/'))).toEqual([]);
    expect(ours.filter((path) => /fake|scenario|demo|harness/i.test(path))).toEqual([]);
  });

  it('the Docker image copies src/ and the build config, nothing of dev/, test/ or bench/', () => {
    const copies = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='));
    expect(copies).toEqual(['COPY package.json package-lock.json ./', 'COPY tsconfig.json tsconfig.build.json ./', 'COPY src ./src']);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['dev', 'test', 'bench']));
  });
});
