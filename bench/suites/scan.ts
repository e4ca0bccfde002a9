/**
 * Scanner benchmarks (issue 5: a scan without `--test` finishes in ≤ 5 s on a normal machine):
 * the whole `atmosphere scan --json` command as a user runs it (process start included), and the
 * in-process `Scanner.scan()` it wraps — hardware, model files, model servers and services.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/core/index.js';
import { Scanner, systemScanEnv } from '../../src/scanner/index.js';
import { cleanEnv, CLI, ensureBuilt, tempHome } from '../../test/helpers/cli.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const run = promisify(execFile);
const SUITE = 'scan';
const ROUNDS = 5;

export const scanSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    ensureBuilt();
    const home = tempHome('atm-bench-scan-');
    try {
      const inProcess: number[] = [];
      const scanner = new Scanner(
        { env: systemScanEnv(), clock: { now: () => Date.now() }, logger: silentLogger() },
        { workDir: home.dir },
      );
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        await scanner.scan();
        inProcess.push(performance.now() - t0);
      }
      const command: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        await run(process.execPath, [CLI, '--home', home.dir, 'scan', '--json'], {
          env: cleanEnv(),
          maxBuffer: 64 * 1024 * 1024,
        });
        command.push(performance.now() - t0);
      }
      const note = 'this machine: no GPU tools, no model servers running, nothing on the well-known ports';
      return [
        {
          suite: SUITE,
          name: '`atmosphere scan --json` (no --test), p50',
          value: round(percentile(command, 50)),
          unit: 'ms',
          target: { op: '<=', value: 5000 },
          samples: ROUNDS,
          note,
        },
        {
          suite: SUITE,
          name: '`atmosphere scan --json` (no --test), max',
          value: round(Math.max(...command)),
          unit: 'ms',
          target: { op: '<=', value: 5000 },
          samples: ROUNDS,
        },
        {
          suite: SUITE,
          name: 'Scanner.scan() in process (no tests), p50',
          value: round(percentile(inProcess, 50)),
          unit: 'ms',
          samples: ROUNDS,
        },
      ];
    } finally {
      home.cleanup();
    }
  },
};
