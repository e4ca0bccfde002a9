/**
 * Routing accuracy on the shared dev intents over the shared sample catalog (shared/routing), with
 * the built-in offline embedder. The router was tuned looking only at the even-numbered lines; the
 * odd-numbered lines are a held-out split, reported and asserted separately. Floors sit at or a few
 * points under what was measured (docs/ROUTING.md has the numbers), so a regression fails here. The
 * floor on all 120 (95 %, the issue's target) sits three items under the measured 117/120.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalItem, EvalReport } from '../src/router/index.js';
import {
  evaluateRouting,
  parseCatalog,
  parseIntents,
  SemanticRouter,
  WordVectorEmbedder,
} from '../src/router/index.js';

const ROUTING_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'routing');

/** shared/routing (beside the repository) holds the routing test data. */
function readRoutingFile(name: string): string {
  try {
    return readFileSync(resolve(ROUTING_DIR, name), 'utf8');
  } catch (err) {
    throw new Error(
      `routing test data ${name} not found in ${ROUTING_DIR} (shared/routing beside the repository): ${(err as Error).message}`,
    );
  }
}

const FLOOR = { all: 0.95, tuning: 0.98, heldOut: 0.9, nulls: 0.9, tools: 0.88 } as const;

async function evaluate(items: readonly EvalItem[]): Promise<EvalReport> {
  const router = new SemanticRouter({ embedder: new WordVectorEmbedder() });
  await router.add(parseCatalog(JSON.parse(readRoutingFile('catalog.json'))));
  return evaluateRouting(router, items);
}

function line(name: string, r: EvalReport): string {
  const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  return `${name}: top-1 ${pct(r.accuracy.rate)} (${r.accuracy.correct}/${r.accuracy.total}), labeled ${pct(r.labeled.rate)}, null rejected ${pct(r.nulls.rate)}, false rejections ${pct(r.falseRejections.rate)}, tools ${pct(r.tools.rate)}`;
}

describe('routing accuracy on the dev intents', () => {
  const items = parseIntents(readRoutingFile('dev-intents.jsonl'), 'dev-intents.jsonl');

  it('has the 120 labeled items the README describes', () => {
    expect(items).toHaveLength(120);
    expect(items.filter((i) => i.expect === null)).toHaveLength(10);
  });

  it('routes the whole dev set above its floor, rejecting most null items', async () => {
    const all = await evaluate(items);
    console.log(line('dev (all 120)', all));
    for (const d of all.decisions.filter((x) => !x.correct)) {
      console.log(
        `  miss line ${d.line}: "${d.intent}" expected ${d.expect ?? '(none)'}, chose ${d.chosen ?? `(none; best ${d.best} ${d.bestScore})`}`,
      );
    }
    expect(all.accuracy.rate).toBeGreaterThanOrEqual(FLOOR.all);
    expect(all.nulls.rate).toBeGreaterThanOrEqual(FLOOR.nulls);
    expect(all.tools.rate).toBeGreaterThanOrEqual(FLOOR.tools);
  });

  it('holds up on the held-out odd lines as on the even lines it was tuned on', async () => {
    const tuning = await evaluate(items.filter((i) => i.line % 2 === 0));
    const heldOut = await evaluate(items.filter((i) => i.line % 2 === 1));
    console.log(line('tuning split (even lines)', tuning));
    console.log(line('held-out split (odd lines)', heldOut));
    expect(tuning.accuracy.rate).toBeGreaterThanOrEqual(FLOOR.tuning);
    expect(heldOut.accuracy.rate).toBeGreaterThanOrEqual(FLOOR.heldOut);
  });
});
