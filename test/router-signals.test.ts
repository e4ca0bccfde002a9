/**
 * Routing signals that need the built-in word vectors: a retrieval project's topic (the intent and
 * its description as whole texts, without the direction every request shares), and the repeated
 * routing of intents whose word similarities are kept from one query to the next. Intents written
 * for this test, over a small catalog written for it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Capability } from '../src/core/index.js';
import { parseCapability } from '../src/core/index.js';
import { parseCatalog, SemanticRouter, WordVectorEmbedder } from '../src/router/index.js';

const ROUTING_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'routing');

/** The shared sample catalog (shared/routing beside the repository). */
function sharedCatalog(): Capability[] {
  try {
    return parseCatalog(JSON.parse(readFileSync(resolve(ROUTING_DIR, 'catalog.json'), 'utf8')));
  } catch (err) {
    throw new Error(
      `routing test data catalog.json not found in ${ROUTING_DIR} (shared/routing beside the repository): ${(err as Error).message}`,
    );
  }
}

function cap(input: Record<string, unknown>): Capability {
  return parseCapability(input, { nodeId: 'node-1' });
}

const CATALOG = [
  cap({
    id: 'ollama/chat',
    type: 'llm/chat',
    description: 'General-purpose chat model. Everyday questions and writing. Offline: no web access.',
    tools: [{ name: 'chat', description: 'Send messages, get a reply.' }],
  }),
  cap({
    id: 'llamafarm/angler',
    type: 'rag',
    description: 'Project for fishing: species and seasons, bait and lures, lake and river notes.',
    tools: [{ name: 'ask', description: 'Answer a question from the indexed documents.' }],
    metadata: { domain: 'fishing' },
  }),
  cap({
    id: 'llamafarm/money',
    type: 'rag',
    description: 'Project for household finances: budgeting, saving, debt, retirement and taxes.',
    tools: [{ name: 'ask', description: 'Answer a question from the indexed documents.' }],
    metadata: { domain: 'personal finance' },
  }),
  cap({
    id: 'matter/porch-light',
    type: 'iot/light',
    description: 'Porch light.',
    tools: [
      { name: 'turn_on', description: 'Switch the light on.' },
      { name: 'turn_off', description: 'Switch the light off.' },
    ],
    metadata: { room: 'porch' },
  }),
  cap({
    id: 'searxng/web',
    type: 'search/web',
    description: 'Searches the web for current information: news, prices, opening hours.',
    tools: [{ name: 'search', description: 'Run a web search.' }],
  }),
];

async function router(): Promise<SemanticRouter> {
  const r = new SemanticRouter({ embedder: new WordVectorEmbedder() });
  await r.add(CATALOG);
  return r;
}

describe('routing with the built-in word vectors', () => {
  it('sends a question on a retrieval project topic to it, saying so, though few words are shared', async () => {
    const r = new SemanticRouter({ embedder: new WordVectorEmbedder() });
    await r.add(sharedCatalog());
    const d = await r.route('when do walleye spawn in lakes');
    expect(d.decision?.capabilityId).toBe('llamafarm/default/fishing-guide');
    expect(d.candidates[0]?.reasons.some((x) => x.includes('its topic'))).toBe(true);
    // The other retrieval projects are not on that topic.
    for (const c of d.candidates)
      if (c.type === 'rag' && c.capabilityId !== 'llamafarm/default/fishing-guide')
        expect(c.eligible).toBe(false);
  });

  it('does not send commands or other topics to a retrieval project', async () => {
    const r = await router();
    expect((await r.route('turn on the porch light')).decision?.capabilityId).toBe('matter/porch-light');
    expect((await r.route('write a short poem about the moon')).decision?.capabilityId).toBe('ollama/chat');
  });

  it('marks down a model for what its description says it cannot do', async () => {
    const r = await router();
    const d = await r.route('search the web for the opening hours of the bakery', { top: 5 });
    expect(d.decision?.capabilityId).toBe('searxng/web');
    const chat = d.candidates.find((c) => c.capabilityId === 'ollama/chat');
    expect(chat?.reasons.some((x) => x.startsWith('its description says it does not do'))).toBe(true);
  });

  it('decides the same the second time an intent is routed (kept word similarities)', async () => {
    const r = await router();
    const intents = [
      'when do walleye spawn in lakes',
      'turn on the porch light',
      'is it worth paying off debt early',
    ];
    const first = [];
    for (const i of intents) first.push(await r.route(i));
    for (const [k, i] of intents.entries()) {
      const again = await r.route(i);
      expect(again.candidates).toEqual(first[k]?.candidates);
    }
  });
});
