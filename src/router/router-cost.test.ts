import { describe, expect, it } from 'vitest';
import type { Capability, Embedder, RouteCost } from '../core/index.js';
import { parseCapability } from '../core/index.js';
import { SemanticRouter } from './router.js';
import { tokenize } from './text.js';

/** A hashed bag of words: enough to give two identical capabilities the same semantic score. */
class HashEmbedder implements Embedder {
  readonly id = 'test/hash-64';
  readonly dimensions = 64;
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(
      texts.map((t) => {
        const v = new Float32Array(this.dimensions);
        for (const w of tokenize(t)) {
          let h = 0;
          for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
          v[h % this.dimensions] = (v[h % this.dimensions] as number) + 1;
        }
        return v;
      }),
    );
  }
}

const light = (nodeId: string): Capability =>
  parseCapability(
    {
      id: 'matter/kitchen-light',
      type: 'iot/light',
      description: 'Kitchen ceiling lights.',
      tools: [
        { name: 'turn_on', description: 'Switch the lights on.' },
        { name: 'turn_off', description: 'Switch the lights off.' },
      ],
    },
    { nodeId },
  );

const cost = (total: number, critical = false): RouteCost => ({
  total,
  known: true,
  critical,
  reported: total,
  terms: critical ? [{ factor: 'critical_battery', op: 'multiply', value: 5 }] : [],
  note: `cost ${total}`,
});

async function routerWith(costs: Record<string, RouteCost>): Promise<SemanticRouter> {
  const router = new SemanticRouter(
    { embedder: new HashEmbedder() },
    { cost: (capability) => costs[capability.nodeId] as RouteCost },
  );
  await router.add([light('node-a'), light('node-b')]);
  return router;
}

describe('routing with cost', () => {
  it('sends work to the cheaper of two equally capable nodes and shows each cost', async () => {
    for (const [a, b, winner] of [
      [1.5, 1, 'node-b'],
      [1, 1.5, 'node-a'],
    ] as const) {
      const d = await (
        await routerWith({ 'node-a': cost(a), 'node-b': cost(b) })
      ).route('turn on the kitchen light');
      expect(d.decision?.nodeId).toBe(winner);
      const first = d.candidates[0];
      expect(first?.costKnown).toBe(true);
      expect(first?.costBreakdown?.total).toBe(Math.min(a, b));
      expect(first?.reasons).toContain(`cost ${Math.min(a, b)}`);
      // the seed's select_best_node: semantic − cost × 0.3
      expect(first!.score).toBeCloseTo(first!.semanticScore - Math.min(a, b) * 0.3, 3);
    }
  });

  it('never chooses a node on critical battery while another can do the work', async () => {
    // even if the owner set multipliers that make it look cheap
    const d = await (
      await routerWith({ 'node-a': cost(0.5, true), 'node-b': cost(3) })
    ).route('turn on the kitchen light');
    expect(d.decision?.nodeId).toBe('node-b');
    const onA = d.candidates.find((c) => c.nodeId === 'node-a');
    expect(onA?.eligible).toBe(false);
    expect(onA?.constraints).toContainEqual(expect.objectContaining({ name: 'critical-battery', ok: false }));
  });

  it('still uses a critical node when it is the only one', async () => {
    const router = new SemanticRouter({ embedder: new HashEmbedder() }, { cost: () => cost(10, true) });
    await router.add([light('node-a')]);
    const d = await router.route('turn on the kitchen light');
    expect(d.decision?.nodeId).toBe('node-a');
  });
});

describe('route weights from the live config', () => {
  it('asks for the weights on every route', async () => {
    let weights = { semantic: 1, cost: 0.3 };
    const router = new SemanticRouter(
      { embedder: new HashEmbedder() },
      { cost: () => cost(2), weights: () => weights },
    );
    await router.add([light('node-a')]);
    const before = (await router.route('turn on the kitchen lights')).candidates[0];
    weights = { semantic: 1, cost: 0 }; // the owner stops weighing cost
    const after = (await router.route('turn on the kitchen lights')).candidates[0];
    expect(before?.semanticScore).toBe(after?.semanticScore);
    expect(after?.score).toBeCloseTo((before?.score ?? 0) + 0.6, 6);
  });
});
