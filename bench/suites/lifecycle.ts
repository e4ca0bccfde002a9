import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { cleanEnv, CLI, tempHome } from '../../test/helpers/cli.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const run = promisify(execFile);
const SUITE = 'lifecycle';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

async function atm(home: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, '--home', home, ...args], { env: cleanEnv() });
  return stdout;
}

/** `atmosphere start` until ready, idle RSS of a node, `atmosphere status` latency. */
export const lifecycleSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    const home = tempHome('atm-bench-');
    try {
      await atm(home.dir, 'init');
      const startTimes: number[] = [];
      let pid = 0;
      const rounds = 5;
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        const out = await atm(
          home.dir,
          'start',
          '--port',
          '0',
          '--p2p-port',
          '0',
          '--ws-port',
          '0',
          '--no-mdns',
          '--json',
        );
        startTimes.push(performance.now() - t0);
        pid = (JSON.parse(out) as { pid: number }).pid;
        if (i < rounds - 1) await atm(home.dir, 'stop');
      }
      await new Promise((r) => setTimeout(r, 3000));
      const rss = rssMb(pid);
      const statusTimes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        await atm(home.dir, 'status', '--json');
        statusTimes.push(performance.now() - t0);
      }
      await atm(home.dir, 'stop');
      return [
        {
          suite: SUITE,
          name: 'start until ready (p50)',
          value: round(percentile(startTimes, 50)),
          unit: 'ms',
          target: { op: '<=', value: 1500 },
          samples: rounds,
        },
        {
          suite: SUITE,
          name: 'start until ready (max)',
          value: round(Math.max(...startTimes)),
          unit: 'ms',
          samples: rounds,
        },
        {
          suite: SUITE,
          name: 'idle RSS of a node',
          value: round(rss, 1),
          unit: 'MB',
          target: { op: '<=', value: 120 },
        },
        {
          suite: SUITE,
          name: 'status latency (p50)',
          value: round(percentile(statusTimes, 50)),
          unit: 'ms',
          target: { op: '<=', value: 300 },
          samples: statusTimes.length,
        },
        {
          suite: SUITE,
          name: 'status latency (p95)',
          value: round(percentile(statusTimes, 95)),
          unit: 'ms',
          samples: statusTimes.length,
        },
      ];
    } finally {
      await atm(home.dir, 'stop').catch(() => '');
      home.cleanup();
    }
  },
};
