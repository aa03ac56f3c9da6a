/**
 * The layers of src/ (docs/architecture.md): arrows point down, the domain never imports Bolt
 * or Block Kit, and nothing forms a cycle. Fails naming the file and the arrow that runs the
 * wrong way.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ImportEdge, type LayerRules, type PackageRules, importEdges, layerViolations, moduleCycles } from './helpers/importGraph';

const SRC = join(__dirname, '..', 'src');

/** Top to bottom. Each module may import only the modules listed for it. */
const LAYERS: LayerRules = {
  main: ['app', 'config', 'redact'],
  app: '*',
  slack: ['blocks', 'watch', 'jobService', 'audit', 'i18n', 'summary', 'bkjob', 'logger', 'util', 'policy', 'operate'],
  bkuser: ['bkjob', 'logger', 'util'],
  store: ['watch', 'audit', 'summary', 'bkjob', 'util', 'operate'],
  metrics: ['watch'],
  blocks: ['watch', 'summary', 'bkjob', 'i18n', 'policy', 'util'],
  watch: ['jobService', 'summary', 'bkjob', 'i18n', 'logger', 'policy', 'util'],
  jobService: ['summary', 'bkjob', 'util'],
  audit: ['util'],
  config: ['bkjob', 'i18n', 'policy', 'util'],
  i18n: ['summary', 'bkjob', 'policy'],
  policy: ['bkjob', 'util'],
  summary: ['bkjob', 'util'],
  bkjob: ['redact', 'util'],
  logger: ['redact'],
  redact: [],
  operate: ['bkjob', 'util'],
  util: [],
};

/** Slack's packages stay at the edge: listeners, renderers, the composition root. */
const PACKAGES: PackageRules = {
  '@slack/bolt': ['slack', 'app', 'logger'],
  '@slack/web-api': ['slack', 'app'],
  '@slack/types': ['slack', 'blocks'],
  '@slack/logger': ['logger'],
};

describe('the import graph of src/', () => {
  const edges = importEdges(SRC);

  it('finds the imports it checks (a sanity check on the scanner)', () => {
    expect(edges).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'watch', to: 'summary' }), expect.objectContaining({ from: 'slack', to: '@slack/bolt' })]));
    // Every folder and top-level file of src/ has a place in the layers.
    expect(readdirSync(SRC).map((name) => name.replace(/\.ts$/, '')).sort()).toEqual(Object.keys(LAYERS).sort());
  });

  it('follows the layers: every arrow points down, Slack packages only at the edge', () => {
    expect(layerViolations(edges, LAYERS, PACKAGES)).toEqual([]);
  });

  it('has no cycle between modules', () => {
    expect(moduleCycles(edges)).toEqual([]);
  });

  it('the check fails when an arrow is turned around', () => {
    const turned: ImportEdge[] = [...edges, { file: 'watch/poller.ts', from: 'watch', to: 'blocks' }, { file: 'store/codec.ts', from: 'store', to: '@slack/bolt' }];
    expect(layerViolations(turned, LAYERS, PACKAGES)).toEqual(['watch/poller.ts: watch → blocks runs against the layers', 'store/codec.ts: store must not import @slack/bolt']);
    expect(moduleCycles([...edges, { file: 'bkjob/v2.ts', from: 'bkjob', to: 'watch' }])).not.toEqual([]);
  });
});
