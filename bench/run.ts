/**
 * `npm run bench`: runs the summary, ack-latency, poller and subscription benchmarks in one go, prints a table
 * of ratios (absolute numbers beside them) and writes bench/results.json. Not part of `npm test`.
 *
 *   npm run bench                       everything (about 3–5 minutes on 2 cores)
 *   npm run bench -- --only=summary     one or more of summary, ack, poller, subscriptions (comma-separated)
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { runAckBench } from './ack';
import { type BenchResult, fmtRatio, table } from './lib';
import { runPollerBench } from './poller';
import { runSubscriptionBench } from './subscriptions';
import { runSummaryBench } from './summary';

const TOTAL_BUDGET_MS = 10 * 60_000;
const BENCHES = ['summary', 'ack', 'poller', 'subscriptions'] as const;
type BenchName = (typeof BENCHES)[number];

function selected(): BenchName[] {
  const arg = process.argv.find((a) => a.startsWith('--only='));
  if (!arg) return [...BENCHES];
  const names = arg.slice('--only='.length).split(',').filter(Boolean);
  const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  return names as BenchName[];
}

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const deadline = started + TOTAL_BUDGET_MS;
  // Hard stop: whatever happens, the run ends within the budget plus a minute.
  setTimeout(() => {
    log('bench: over the time budget, aborting');
    process.exit(2);
  }, TOTAL_BUDGET_MS + 60_000).unref();

  const cpuList = cpus();
  const machine = {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    totalMemoryBytes: totalmem(),
  };
  log(`bench: node ${machine.node}, ${machine.cores} × ${machine.cpuModel}, ${(machine.totalMemoryBytes / 1024 ** 3).toFixed(1)} GiB`);

  const results: BenchResult[] = [];
  const reports: string[] = [];
  const raw: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  /** Load average before each benchmark: other work on the machine skews every number here. */
  const load: Record<string, number[]> = { start: loadavg().map((x) => Math.round(x * 100) / 100) };
  for (const name of selected()) {
    const t = Date.now();
    load[name] = loadavg().map((x) => Math.round(x * 100) / 100);
    try {
      if (name === 'summary') {
        const out = await runSummaryBench(log, deadline);
        results.push(...out.results);
        reports.push(out.report);
        raw.summary = out.raw;
      } else if (name === 'ack') {
        const out = await runAckBench(log);
        results.push(...out.results);
        reports.push(out.report);
      } else if (name === 'subscriptions') {
        const out = await runSubscriptionBench(log, deadline);
        results.push(...out.results);
        reports.push(out.report);
        raw.subscriptions = out.raw;
      } else {
        const out = await runPollerBench(log, deadline);
        results.push(...out.results);
        reports.push(out.report);
        raw.poller = out.raw;
      }
    } catch (err) {
      errors[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`bench ${name} FAILED: ${errors[name]}`);
    }
    log(`bench ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  load.end = loadavg().map((x) => Math.round(x * 100) / 100);

  const rows = [['benchmark', 'ratio', 'target', 'result', 'absolute numbers', 'ratio of']];
  for (const r of results) {
    rows.push([r.id, fmtRatio(r.ratio), r.target ? `≤ ${r.target.max}×` : '—', r.pass === null ? 'info' : r.pass ? 'PASS' : 'MISS', r.absolute, r.ratioOf]);
  }
  const misses = results.filter((r) => r.pass === false);
  const out = [
    '',
    `joblog-bot benchmarks — ${new Date(started).toISOString()} — node ${machine.node}, ${machine.cores} × ${machine.cpuModel}; 1-min load average before the run ${load.start?.[0]} (well above 0 means other work shares the CPU and inflates latencies; the run itself then adds up to ~2)`,
    '',
    table(rows),
    '',
    ...reports.flatMap((r) => [r, '']),
    misses.length ? `Missed targets: ${misses.map((r) => r.id).join(', ')} (see "Where the time goes" above and bench/README.md)` : 'All targets met.',
    ...Object.entries(errors).map(([name, e]) => `Benchmark ${name} did not complete: ${e.split('\n')[0]}`),
    `Total: ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const file = join(__dirname, 'results.json');
  writeFileSync(file, `${JSON.stringify({ date: new Date(started).toISOString(), durationSeconds: Math.round((Date.now() - started) / 1000), machine, loadAverage: load, results, errors, raw }, null, 2)}\n`);
  log(`bench: wrote ${file}`);
  process.exit(Object.keys(errors).length ? 1 : 0);
}

main().catch((err: unknown) => {
  log(`bench crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
