/**
 * The import graph of src/ at the level of its top folders (and top files), and the layer rules
 * it must follow. Used by test/architecture.test.ts; small enough to read in one go.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportEdge {
  readonly file: string;
  readonly from: string;
  /** A module of src/ ('watch', 'blocks' …) or an npm package name. */
  readonly to: string;
}

/** The module a file of src/ belongs to: its top folder, or its own name for a top-level file. */
export function moduleOf(srcRoot: string, file: string): string {
  const first = relative(srcRoot, file).split(sep)[0]!;
  return first.replace(/\.ts$/, '');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

// `import … from 'x'`, `export … from 'x'`, `import('x')` and `require('x')`; type-only imports count too.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Every import between modules of src/ and from src/ to npm packages. */
export function importEdges(srcRoot: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of tsFiles(srcRoot)) {
    const from = moduleOf(srcRoot, file);
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1]!;
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(srcRoot + sep)) {
          edges.push({ file: relative(srcRoot, file), from, to: `outside src: ${specifier}` });
          continue;
        }
        const to = moduleOf(srcRoot, target);
        if (to !== from) edges.push({ file: relative(srcRoot, file), from, to });
      } else {
        const parts = specifier.split('/');
        edges.push({ file: relative(srcRoot, file), from, to: specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]! });
      }
    }
  }
  return edges;
}

/**
 * Which modules each module may import. Read top to bottom as layers: a module imports only
 * modules listed for it (always lower down); `*` is the composition root.
 */
export type LayerRules = Readonly<Record<string, readonly string[] | '*'>>;

/** npm packages only some modules may use: the domain stays free of Slack. */
export type PackageRules = Readonly<Record<string, readonly string[]>>;

export function layerViolations(edges: readonly ImportEdge[], modules: LayerRules, packages: PackageRules): string[] {
  const problems: string[] = [];
  for (const edge of edges) {
    const packageUsers = packages[edge.to];
    if (packageUsers !== undefined) {
      if (!packageUsers.includes(edge.from)) problems.push(`${edge.file}: ${edge.from} must not import ${edge.to}`);
      continue;
    }
    const isModule = Object.hasOwn(modules, edge.to) || edge.to.startsWith('outside src');
    if (!isModule) continue; // another npm package
    const allowed = modules[edge.from];
    if (allowed === undefined) problems.push(`${edge.file}: module ${edge.from} is not in the layer map`);
    else if (allowed !== '*' && !allowed.includes(edge.to)) problems.push(`${edge.file}: ${edge.from} → ${edge.to} runs against the layers`);
  }
  return problems;
}

/** Cycles between modules (each listed once, as a path). The layer map already forbids them; this names them. */
export function moduleCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at !== -1) {
      const cycle = path.slice(at);
      const key = [...cycle].sort().join('>');
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push([...cycle, node]);
      }
      return;
    }
    for (const to of next.get(node) ?? []) visit(to, [...path, node]);
  };
  for (const node of next.keys()) visit(node, []);
  return cycles;
}
