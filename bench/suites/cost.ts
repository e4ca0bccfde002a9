/**
 * Cost benchmarks (issue 7: the collector must be cheap): one `CostCollector.sample()` on this
 * machine — power, /proc/stat, /proc/meminfo and PSI, GPU and network tools (missing ones are
 * skipped after the first sample) — and one `computeCosts()` over every work type.
 */
import { silentLogger } from '../../src/core/index.js';
import { DEFAULT_COST_SETTINGS, computeCosts } from '../../src/core/index.js';
import { CostCollector } from '../../src/node/cost/cost-collector.js';
import { PowerMonitor } from '../../src/node/power-monitor.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const SUITE = 'cost';
const ROUNDS = 200;

export const costSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    const clock = { now: () => Date.now() };
    const power = new PowerMonitor({ clock, logger: silentLogger() });
    const collector = new CostCollector(
      { clock, logger: silentLogger(), power, peerRtts: () => [1.2, 0.8, 3.4] },
      { pins: () => ({}) },
    );
    // The first sample finds which tools are missing; a running node pays that once.
    const t0 = performance.now();
    await collector.sample();
    const first = performance.now() - t0;
    const samples: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await collector.sample();
      samples.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuPerSampleMs = (cpu.user + cpu.system) / 1000 / ROUNDS;
    const factors = collector.latest()?.factors;
    const computeTimes: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      if (factors) computeCosts(factors, DEFAULT_COST_SETTINGS, { minuteOfDay: 600 });
      computeTimes.push(performance.now() - t);
    }
    const found = Object.entries(collector.latest()?.sources ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    return [
      {
        suite: SUITE,
        name: 'collector sample (first, finds missing tools)',
        value: round(first),
        unit: 'ms',
        samples: 1,
      },
      {
        suite: SUITE,
        name: 'collector sample, p50',
        value: round(percentile(samples, 50)),
        unit: 'ms',
        target: { op: '<=', value: 10 },
        samples: ROUNDS,
        note: `sources here: ${found}; a machine with nvidia-smi or nmcli adds one process start per sample for each`,
      },
      {
        suite: SUITE,
        name: 'collector sample, p95',
        value: round(percentile(samples, 95)),
        unit: 'ms',
        target: { op: '<=', value: 25 },
        samples: ROUNDS,
      },
      {
        suite: SUITE,
        name: 'collector sample, CPU time per sample',
        value: round(cpuPerSampleMs),
        unit: 'ms',
        target: { op: '<=', value: 5 },
        samples: ROUNDS,
        note: 'at the default 60 s TTL the node samples every 12 s',
      },
      {
        suite: SUITE,
        name: 'computeCosts (every work type), p50',
        value: round(percentile(computeTimes, 50) * 1000),
        unit: 'µs',
        samples: ROUNDS,
      },
    ];
  },
};
