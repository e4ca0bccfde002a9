/**
 * Router benchmarks: loading the word-vector table, routing decision latency (intent embedding
 * included) over 100, 1,000 and 10,000 capabilities — synthesized by varying the dev catalog's
 * capabilities across rooms and nodes — and accuracy on the dev intents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capability } from '../../src/core/index.js';
import {
  evaluateRouting,
  loadWordVectorTable,
  parseCatalog,
  parseIntents,
  SemanticRouter,
  WordVectorEmbedder,
} from '../../src/router/index.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const SUITE = 'router';
const ROUTING_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'routing');
const ROOMS = [
  'kitchen',
  'office',
  'garage',
  'hallway',
  'bedroom',
  'attic',
  'basement',
  'porch',
  'den',
  'studio',
  'nursery',
  'pantry',
];

/** `count` capabilities: copies of the dev catalog spread over rooms and nodes, every id distinct. */
export function synthesizeCatalog(base: readonly Capability[], count: number): Capability[] {
  const out: Capability[] = [];
  for (let i = 0; i < count; i++) {
    const cap = base[i % base.length] as Capability;
    const round_ = Math.floor(i / base.length);
    if (round_ === 0) {
      out.push(cap);
      continue;
    }
    const room = ROOMS[round_ % ROOMS.length] as string;
    out.push({
      ...cap,
      id: `${cap.id}-${round_}`,
      nodeId: `node-${round_ % 97}`,
      description: `${cap.description} (${room} unit ${round_})`,
      metadata: { ...cap.metadata, room },
    });
  }
  return out;
}

async function latency(
  router: SemanticRouter,
  intents: readonly string[],
  rounds: number,
): Promise<number[]> {
  for (const i of intents) await router.route(i); // warm up: JIT and the similarity memo
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const intent of intents) {
      const t0 = performance.now();
      await router.route(intent);
      times.push(performance.now() - t0);
    }
  }
  return times;
}

/**
 * Routes of intents a router meets for the first time: a fresh router per pass, so nothing of an
 * intent is kept yet (its analysis, its words' similarities) — what a new request costs.
 */
async function firstSight(
  build: () => Promise<SemanticRouter>,
  intents: readonly string[],
  passes: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let p = 0; p < passes; p++) {
    const router = await build();
    await router.route('warm up the code paths'); // JIT, not this pass's intents
    for (const intent of intents) {
      const t0 = performance.now();
      await router.route(intent);
      times.push(performance.now() - t0);
    }
  }
  return times;
}

/**
 * Each intent's fastest of `rounds` routes: what a decision costs without contention from other
 * processes (the machines these run on are shared), as opposed to the wall-clock percentiles.
 */
async function bestOf(router: SemanticRouter, intents: readonly string[], rounds: number): Promise<number[]> {
  const best = intents.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (const [j, intent] of intents.entries()) {
      const t0 = performance.now();
      await router.route(intent);
      best[j] = Math.min(best[j] as number, performance.now() - t0);
    }
  }
  return best;
}

export const routerSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const t0 = performance.now();
    const table = await loadWordVectorTable();
    const loadMs = performance.now() - t0;
    rows.push({
      suite: SUITE,
      name: 'word-vector table load (cold)',
      value: round(loadMs, 1),
      unit: 'ms',
      note: `${table.count} words`,
    });

    const base = parseCatalog(JSON.parse(readFileSync(join(ROUTING_DIR, 'catalog.json'), 'utf8')));
    const items = parseIntents(readFileSync(join(ROUTING_DIR, 'dev-intents.jsonl'), 'utf8'));
    const intents = items.map((i) => i.intent);
    const embedder = new WordVectorEmbedder({ loadTable: () => Promise.resolve(table) });

    const dev = new SemanticRouter({ embedder });
    await dev.add(base);
    const report = await evaluateRouting(dev, items);
    rows.push({
      suite: SUITE,
      name: 'dev intents top-1 accuracy',
      value: round((report.accuracy.rate ?? 0) * 100, 1),
      unit: '%',
      target: { op: '>=', value: 95 },
      samples: report.accuracy.total,
    });

    const targets: Record<number, { p50?: number; p99?: number }> = {
      1000: { p50: 0.2, p99: 1 },
      10000: { p99: 5 },
    };
    for (const size of [100, 1000, 10000]) {
      const router = new SemanticRouter({ embedder });
      const b0 = performance.now();
      await router.add(synthesizeCatalog(base, size));
      const buildMs = performance.now() - b0;
      const times = await latency(router, intents, size >= 10000 ? 2 : 5);
      const t = targets[size] ?? {};
      rows.push({ suite: SUITE, name: `index ${size} capabilities`, value: round(buildMs, 1), unit: 'ms' });
      rows.push({
        suite: SUITE,
        name: `route p50 @ ${size} capabilities`,
        value: round(percentile(times, 50), 3),
        unit: 'ms',
        samples: times.length,
        ...(t.p50 === undefined ? {} : { target: { op: '<=' as const, value: t.p50 } }),
      });
      rows.push({
        suite: SUITE,
        name: `route p99 @ ${size} capabilities`,
        value: round(percentile(times, 99), 3),
        unit: 'ms',
        samples: times.length,
        ...(t.p99 === undefined ? {} : { target: { op: '<=' as const, value: t.p99 } }),
      });
      if (size === 1000) {
        const base1000 = synthesizeCatalog(base, size);
        const cold = await firstSight(
          async () => {
            const r = new SemanticRouter({ embedder });
            await r.add(base1000);
            return r;
          },
          intents,
          3,
        );
        for (const p of [50, 99])
          rows.push({
            suite: SUITE,
            name: `route p${p} @ ${size} capabilities, intents not seen before`,
            value: round(percentile(cold, p), 3),
            unit: 'ms',
            samples: cold.length,
            note: 'a fresh router per pass',
          });
      }
      const best = await bestOf(router, intents, 15);
      rows.push({
        suite: SUITE,
        name: `route best-of-15 p50 @ ${size} capabilities`,
        value: round(percentile(best, 50), 3),
        unit: 'ms',
        samples: best.length,
        note: "each intent's fastest run",
      });
      rows.push({
        suite: SUITE,
        name: `route best-of-15 max @ ${size} capabilities`,
        value: round(Math.max(...best), 3),
        unit: 'ms',
        samples: best.length,
        note: "each intent's fastest run",
      });
    }
    return rows;
  },
};
