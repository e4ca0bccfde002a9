/**
 * The router with Ollama's `/api/embed` as its embedder, end to end over real HTTP on 127.0.0.1
 * (the Ollama double): routing decisions and the embedder they name, Ollama's vectors deciding a
 * retrieval project's topic, accuracy on the shared dev intents, routing on words while Ollama
 * fails, and the node's start-up choice from config with its fallback to the built-in embedder.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Capability, Logger } from '../src/core/index.js';
import { parseCapability, silentLogger } from '../src/core/index.js';
import { OllamaEmbedder } from '../src/integrations/index.js';
import { resolveConfig } from '../src/node/config-file.js';
import { createRouterEmbedder } from '../src/node/create-node.js';
import {
  BUILTIN_EMBEDDER_ID,
  evaluateRouting,
  parseCatalog,
  parseIntents,
  SemanticRouter,
  WordVectorEmbedder,
} from '../src/router/index.js';
import { closedPortUrl } from './doubles/double-server.js';
import type { OllamaDoubleModel } from './doubles/ollama-double.js';
import { bagOfWordsEmbedding, OllamaDouble } from './doubles/ollama-double.js';

const ROUTING_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'routing');
const MODELS: readonly OllamaDoubleModel[] = [
  { name: 'nomic-embed-text:latest', family: 'nomic-bert', capabilities: ['embedding'] },
  { name: 'llama3.2:3b', family: 'llama', capabilities: ['completion', 'tools'] },
];
const DIMS = 256;

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

const HOME: Capability[] = [
  {
    id: 'matter/kitchen-light',
    type: 'iot/light',
    description: 'Ceiling light in the kitchen, dimmable.',
    tools: [
      { name: 'turn_on', description: 'Switch the light on.' },
      { name: 'turn_off', description: 'Switch the light off.' },
      { name: 'set_brightness', description: 'Set the brightness in percent.' },
    ],
    triggers: [],
    metadata: { room: 'kitchen' },
  },
  {
    id: 'matter/front-door-lock',
    type: 'iot/lock',
    description: 'Smart lock on the front door.',
    tools: [
      { name: 'lock', description: 'Lock the door.' },
      { name: 'unlock', description: 'Unlock the door.' },
    ],
    triggers: [{ name: 'door.tamper', description: 'Someone is forcing the lock.', priority: 'critical' }],
    metadata: { location: 'front door' },
  },
  {
    id: 'whisper/large-v3',
    type: 'audio/transcribe',
    description: 'Speech to text: transcribes recordings and voice memos.',
    tools: [{ name: 'transcribe', description: 'Turn an audio file into text.' }],
    triggers: [],
    metadata: {},
  },
  {
    id: 'ollama/llama3.2',
    type: 'llm/chat',
    description: 'General-purpose chat model: questions, writing, summaries.',
    tools: [{ name: 'chat', description: 'Multi-turn conversation.' }],
    triggers: [],
    metadata: { model: 'llama3.2:3b' },
  },
  {
    id: 'llamafarm/default/fishing-guide',
    type: 'rag',
    description:
      'LlamaFarm project for fishing: species and seasons, bait and lures, knots and rigging, fly fishing, lake and river notes.',
    tools: [{ name: 'ask', description: 'Answer a question from the indexed documents, with citations.' }],
    triggers: [],
    metadata: { domain: 'fishing' },
  },
].map((c) => parseCapability(c, { nodeId: 'home-node' }));

/**
 * What a real embedding model knows and a bag of words does not: these words are about one thing.
 * A text's vector is its bag of words plus one strong dimension per concept it mentions (left
 * unnormalised: the embedder scales it).
 */
const CONCEPTS: readonly (readonly string[])[] = [
  [
    'fishing',
    'angling',
    'angler',
    'pike',
    'walleye',
    'trout',
    'bait',
    'lures',
    'rigging',
    'fly',
    'lake',
    'river',
  ],
];

function conceptEmbedding(text: string): number[] {
  const v = bagOfWordsEmbedding(text, DIMS).map((x) => 0.5 * x);
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  CONCEPTS.forEach((concept, i) => {
    for (const w of words) if (concept.includes(w)) v[i] = (v[i] as number) + 1;
  });
  return v;
}

let ollama: OllamaDouble;

beforeAll(async () => {
  ollama = await OllamaDouble.start({ models: MODELS, embedding: 'bag-of-words', embeddingDimensions: DIMS });
});
afterAll(() => ollama.close());
beforeEach(() => {
  ollama.requests.length = 0;
  ollama.embedOverride = null;
  ollama.set({ errorResponse: null, headerDelayMs: 0 });
});

function ollamaEmbedder(): OllamaEmbedder {
  return new OllamaEmbedder({ logger: silentLogger() }, { url: ollama.url, model: 'nomic-embed-text' });
}

function embedInputs(): string[][] {
  return ollama.requestsTo('/api/embed').map((r) => (r.body as { input: string[] }).input);
}

interface Line {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (a: string | Record<string, unknown>, b?: string): void => {
      lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' });
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describe('the router with the Ollama embedder', () => {
  it('routes intents to the right capability and tool, and names the Ollama embedder', async () => {
    const router = new SemanticRouter({ embedder: ollamaEmbedder(), wordVectors: new WordVectorEmbedder() });
    await router.add(HOME);
    expect(router.embedderId).toBe('ollama/nomic-embed-text');
    expect(embedInputs().every((input) => input.length <= 64)).toBe(true);
    expect(embedInputs().flat()).toEqual(expect.arrayContaining([expect.stringContaining('Ceiling light')]));

    const cases: [string, string, string][] = [
      ['turn off the kitchen light', 'matter/kitchen-light', 'turn_off'],
      ['lock the front door', 'matter/front-door-lock', 'lock'],
      ['transcribe this voice memo for me', 'whisper/large-v3', 'transcribe'],
      ['write a haiku about autumn', 'ollama/llama3.2', 'chat'],
    ];
    for (const [intent, capability, tool] of cases) {
      ollama.requests.length = 0;
      const d = await router.route(intent);
      expect(d.embedderId, intent).toBe('ollama/nomic-embed-text');
      expect(d.decision?.capabilityId, intent).toBe(capability);
      expect(d.decision?.tool, intent).toBe(tool);
      // the intent itself went to Ollama, one request per route
      expect(embedInputs(), intent).toHaveLength(1);
      expect(embedInputs()[0]?.[0], intent).toContain(intent.split(' ')[1]);
    }
  });

  it('embeds a repeated intent once', async () => {
    const router = new SemanticRouter({ embedder: ollamaEmbedder(), wordVectors: new WordVectorEmbedder() });
    await router.add(HOME);
    ollama.requests.length = 0;
    const first = await router.route('unlock the front door');
    const second = await router.route('unlock the front door');
    expect(embedInputs()).toHaveLength(1);
    expect(second.decision).toEqual(first.decision);
    expect(second.decision?.tool).toBe('unlock');
  });

  it("lets Ollama's vectors decide a retrieval project's topic when no word is shared", async () => {
    const intent = 'any tips for angling pike in early spring?';
    const route = async (): Promise<Awaited<ReturnType<SemanticRouter['route']>>> => {
      // no word vectors: only the whole-text vectors can relate "angling" and "fishing"
      const router = new SemanticRouter({ embedder: ollamaEmbedder() });
      await router.add(HOME);
      return router.route(intent);
    };
    ollama.embedOverride = (inputs) => ({
      status: 200,
      body: JSON.stringify({ model: 'nomic-embed-text:latest', embeddings: inputs.map(conceptEmbedding) }),
    });
    const knowing = await route();
    expect(knowing.decision?.capabilityId).toBe('llamafarm/default/fishing-guide');
    expect(knowing.candidates[0]?.reasons.join(' ')).toMatch(/its topic/);

    ollama.embedOverride = null; // a bag of words knows nothing of angling
    const blind = await route();
    expect(blind.decision?.capabilityId).not.toBe('llamafarm/default/fishing-guide');
  });

  it('routes the shared dev intents as accurately as the built-in embedder, with its word vectors', async () => {
    const catalog = parseCatalog(JSON.parse(readRoutingFile('catalog.json')));
    const items = parseIntents(readRoutingFile('dev-intents.jsonl'));
    const router = new SemanticRouter({ embedder: ollamaEmbedder(), wordVectors: new WordVectorEmbedder() });
    await router.add(catalog);
    const report = await evaluateRouting(router, items);
    // measured 110/120 here, as the built-in embedder (test/router-accuracy.test.ts)
    expect(report.accuracy.rate).toBeGreaterThanOrEqual(0.9);
    expect(ollama.requestsTo('/api/embed').length).toBeGreaterThanOrEqual(items.length);
  });

  it('routes on words alone while Ollama fails, says so, and uses its vectors again when it answers', async () => {
    const lines: Line[] = [];
    const router = new SemanticRouter({
      embedder: ollamaEmbedder(),
      wordVectors: new WordVectorEmbedder(),
      logger: recordingLogger(lines),
    });
    await router.add(HOME);
    ollama.set({ errorResponse: { status: 500, message: 'llama runner process has terminated' } });
    const down = await router.route('switch the kitchen light on');
    expect(down.decision?.capabilityId).toBe('matter/kitchen-light');
    expect(down.decision?.tool).toBe('turn_on');
    expect(down.candidates[0]?.reasons[0]).toMatch(
      /^intent not embedded by ollama\/nomic-embed-text \(.*llama runner process has terminated.*\): matched on words alone$/,
    );
    await router.route('lock the front door please');
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);

    ollama.set({ errorResponse: null });
    const up = await router.route('switch the kitchen light off');
    expect(up.decision?.tool).toBe('turn_off');
    expect(up.candidates.every((c) => !c.reasons.some((r) => r.startsWith('intent not embedded')))).toBe(
      true,
    );
    expect(lines.some((l) => l.level === 'info' && /answers again/.test(l.msg))).toBe(true);
  });

  it('stops a route whose caller aborts instead of routing on words', async () => {
    const router = new SemanticRouter({ embedder: ollamaEmbedder(), wordVectors: new WordVectorEmbedder() });
    await router.add(HOME);
    ollama.set({ headerDelayMs: 300 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(router.route('dim the kitchen light', { signal: controller.signal })).rejects.toMatchObject({
      code: 'aborted',
    });
  });
});

describe('the node’s router embedder, from config', () => {
  const builtin = new WordVectorEmbedder();

  function configFrom(env: Record<string, string>): ReturnType<typeof resolveConfig>['config'] {
    return resolveConfig({ env }).config;
  }

  it('is the built-in one by default, without asking Ollama', async () => {
    const config = configFrom({});
    expect(config.routing.embedder).toBe('builtin');
    expect(config.routing.ollama_embed_model).toBe('nomic-embed-text');
    const choice = await createRouterEmbedder({ logger: silentLogger(), builtin }, { config });
    expect(choice).toEqual({ embedder: builtin, requested: 'builtin', fallbackReason: null });
    expect(ollama.requests).toHaveLength(0);
  });

  it('is Ollama when asked for and Ollama has the model, probed at start', async () => {
    const lines: Line[] = [];
    const config = configFrom({
      ATMOSPHERE_ROUTING__EMBEDDER: 'ollama',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
    });
    const choice = await createRouterEmbedder({ logger: recordingLogger(lines), builtin }, { config });
    expect(choice.fallbackReason).toBeNull();
    expect(choice.embedder).toBeInstanceOf(OllamaEmbedder);
    expect(choice.embedder.id).toBe('ollama/nomic-embed-text');
    expect(choice.embedder.dimensions).toBe(DIMS);
    expect(embedInputs()).toHaveLength(1);
    expect(lines.find((l) => l.level === 'info')?.fields).toMatchObject({
      embedder: 'ollama/nomic-embed-text',
      dimensions: DIMS,
    });
  });

  it('finds Ollama through OLLAMA_HOST when no URL is configured', async () => {
    const config = configFrom({ ATMOSPHERE_ROUTING__EMBEDDER: 'ollama' });
    const hostPort = ollama.url.replace(/^http:\/\//, '');
    const choice = await createRouterEmbedder(
      { logger: silentLogger(), builtin },
      { config, ollamaHostEnv: hostPort },
    );
    expect(choice.embedder.id).toBe('ollama/nomic-embed-text');
    expect(ollama.requestsTo('/api/embed')).toHaveLength(1);
  });

  it('falls back to the built-in embedder, with a warning, when the model is missing', async () => {
    const lines: Line[] = [];
    const config = configFrom({
      ATMOSPHERE_ROUTING__EMBEDDER: 'ollama',
      ATMOSPHERE_ROUTING__OLLAMA_EMBED_MODEL: 'mxbai-embed-large',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
    });
    const choice = await createRouterEmbedder({ logger: recordingLogger(lines), builtin }, { config });
    expect(choice.embedder).toBe(builtin);
    expect(choice.requested).toBe('ollama');
    expect(choice.fallbackReason).toMatch(/no model "mxbai-embed-large".*ollama pull mxbai-embed-large/);
    const warning = lines.find((l) => l.level === 'warn');
    expect(warning?.msg).toMatch(
      /ollama\/mxbai-embed-large cannot serve: the router uses the built-in embedder/,
    );
    expect(warning?.fields).toMatchObject({
      requested: 'ollama/mxbai-embed-large',
      using: BUILTIN_EMBEDDER_ID,
    });

    // and the router it feeds works
    const router = new SemanticRouter({ embedder: choice.embedder, wordVectors: builtin });
    await router.add(HOME);
    const d = await router.route('turn off the kitchen light');
    expect(d.embedderId).toBe(BUILTIN_EMBEDDER_ID);
    expect(d.decision?.capabilityId).toBe('matter/kitchen-light');
  });

  it('falls back when Ollama is unreachable or disabled', async () => {
    const unreachable = configFrom({
      ATMOSPHERE_ROUTING__EMBEDDER: 'ollama',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: await closedPortUrl(),
    });
    const down = await createRouterEmbedder({ logger: silentLogger(), builtin }, { config: unreachable });
    expect(down.embedder).toBe(builtin);
    expect(down.fallbackReason).toMatch(/not reachable .*connection refused/);

    const disabled = configFrom({
      ATMOSPHERE_ROUTING__EMBEDDER: 'ollama',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
    });
    const off = await createRouterEmbedder({ logger: silentLogger(), builtin }, { config: disabled });
    expect(off).toMatchObject({ embedder: builtin, fallbackReason: 'integrations.ollama.enabled is false' });
    expect(ollama.requests).toHaveLength(0);
  });

  it('rejects an embedder the schema does not know', () => {
    expect(() => configFrom({ ATMOSPHERE_ROUTING__EMBEDDER: 'transformers' })).toThrow(/routing\.embedder/);
  });
});
