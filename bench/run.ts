/**
 * `npm run bench [-- SUITE...]`: runs the benchmark suites, prints a table and writes
 * bench/results/<timestamp>.json (and latest.json). Targets come from the issues; a missed target is
 * shown, not hidden, and does not fail the run (benchmarks measure, tests assert behaviour).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from './harness.js';
import { meetsTarget } from './harness.js';
import { lifecycleSuite } from './suites/lifecycle.js';
import { meshSuite } from './suites/mesh.js';
import { inferenceSuite } from './suites/inference.js';
import { routerSuite } from './suites/router.js';
import { scanSuite } from './suites/scan.js';
import { controlSuite } from './suites/control.js';
import { costSuite } from './suites/cost.js';
import { matterSuite } from './suites/matter.js';

const suites: BenchSuite[] = [
  lifecycleSuite,
  meshSuite,
  routerSuite,
  inferenceSuite,
  scanSuite,
  controlSuite,
  costSuite,
  matterSuite,
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const chosen = wanted.length ? suites.filter((s) => wanted.includes(s.name)) : suites;
  if (chosen.length === 0) {
    console.error(`no suite named ${wanted.join(', ')}; suites: ${suites.map((s) => s.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const rows: BenchRow[] = [];
  for (const suite of chosen) {
    console.error(`running ${suite.name} ...`);
    rows.push(...(await suite.run()));
  }
  const table = rows.map((r) => {
    const ok = meetsTarget(r);
    return {
      suite: r.suite,
      benchmark: r.name,
      value: `${r.value} ${r.unit}`,
      target: r.target ? `${r.target.op} ${r.target.value} ${r.unit}` : '',
      result: ok === null ? '' : ok ? 'ok' : 'MISSED',
    };
  });
  const cols = ['suite', 'benchmark', 'value', 'target', 'result'] as const;
  const widths = cols.map((c) => Math.max(c.length, ...table.map((t) => t[c].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line([...cols]));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const t of table) console.log(line(cols.map((c) => t[c])));

  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const report = {
    at: new Date().toISOString(),
    machine: { node: process.version, arch: arch(), cpus: cpus().length, memoryBytes: totalmem() },
    rows: rows.map((r) => ({ ...r, met: meetsTarget(r) })),
  };
  const file = join(dir, `${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.error(`results written to ${file}`);
}

await main();
