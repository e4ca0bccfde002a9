/**
 * The built-in offline embedder with the shipped word-vector table, routing over the shared sample
 * catalog: behaviours that need real word vectors (synonyms, indirect intents, typos).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SemanticRouter } from '../src/router/index.js';
import {
  BUILTIN_EMBEDDER_ID,
  examplesForType,
  loadWordVectorTable,
  parseCatalog,
  SemanticRouter as Router,
  TYPE_EXAMPLES,
  WordVectorEmbedder,
} from '../src/router/index.js';
import { STOP_WORDS, tokenize } from '../src/router/text.js';

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

let router: SemanticRouter;

beforeAll(async () => {
  router = new Router({ embedder: new WordVectorEmbedder() });
  await router.add(parseCatalog(JSON.parse(readRoutingFile('catalog.json'))));
});

describe('the shipped word-vector table', () => {
  it('loads 100k words of 100 dimensions in well under a second', async () => {
    const t0 = performance.now();
    const table = await loadWordVectorTable();
    const ms = performance.now() - t0;
    expect(table.count).toBeGreaterThanOrEqual(100_000);
    expect(table.dims).toBe(100);
    expect(ms).toBeLessThan(1000);
  });

  it('places related words closer than unrelated ones', async () => {
    const table = await loadWordVectorTable();
    const v = (w: string): Float32Array => table.unitVector(table.indexOf(w));
    const dot = (a: Float32Array, b: Float32Array): number =>
      a.reduce((s, x, i) => s + x * (b[i] as number), 0);
    expect(dot(v('cold'), v('freezing'))).toBeGreaterThan(dot(v('cold'), v('bicycle')) + 0.3);
    expect(dot(v('lamp'), v('light'))).toBeGreaterThan(dot(v('lamp'), v('invoice')) + 0.2);
  });

  it('knows every word of the built-in example utterances', async () => {
    const table = await loadWordVectorTable();
    const missing = Object.values(TYPE_EXAMPLES)
      .flat()
      .flatMap((e) => tokenize(e.text))
      .filter((w) => !STOP_WORDS.has(w) && !/\d/.test(w) && table.indexOf(w) < 0);
    expect(missing).toEqual([]);
  });
});

describe('routing with the built-in embedder', () => {
  it('names its embedder in every decision', async () => {
    expect((await router.route('lights off')).embedderId).toBe(BUILTIN_EMBEDDER_ID);
  });

  it('routes a terse command to the device and tool', async () => {
    const d = await router.route('kitchen lights off');
    expect(d.decision).toMatchObject({ capabilityId: 'matter/kitchen-light', tool: 'turn_off' });
  });

  it('routes an indirect complaint through the type examples', async () => {
    expect((await router.route('brr, I am so cold')).decision?.capabilityId).toBe('ecobee/thermostat');
  });

  it('routes a LlamaFarm project by its domain', async () => {
    expect((await router.route('what do llamas eat in winter')).decision?.capabilityId).toBe(
      'llamafarm/default/llama-expert-14',
    );
    expect((await router.route('which fly works best for trout')).decision?.capabilityId).toBe(
      'llamafarm/default/fishing-guide',
    );
  });

  it('sends open-ended writing to the general chat model', async () => {
    expect((await router.route('write a haiku about autumn leaves')).decision?.capabilityId).toBe(
      'ollama/llama3.2',
    );
  });

  it('prefers the code model when the request carries code', async () => {
    const d = await router.route('why does this fail: for (let i = 0; i < n; i++) { total += xs[i] }');
    expect(d.decision?.capabilityId).toBe('ollama/qwen2.5-coder');
  });

  it('picks the trigger for "let me know when"', async () => {
    const d = await router.route('let me know when someone is standing on the porch');
    expect(d.decision).toMatchObject({
      capabilityId: 'frigate/front-door',
      tool: 'person_detected',
      toolKind: 'trigger',
    });
  });

  it('refuses an action that no capability can perform', async () => {
    expect((await router.route('water the plants')).decision).toBeNull();
    expect((await router.route('open the garage door')).decision).toBeNull();
  });

  it('corrects a misspelt word from the index vocabulary', async () => {
    expect((await router.route('what is the thermostatt set to')).decision?.capabilityId).toBe(
      'ecobee/thermostat',
    );
  });

  it('finds examples for a subtype through its parent type', () => {
    expect(examplesForType('iot/light/rgb')).toBe(TYPE_EXAMPLES['iot/light']);
    expect(examplesForType('unknown/kind')).toEqual([]);
  });
});

describe('what the word vectors do not know', () => {
  it('reaches a tool through a stand-in word ("brighten" → brightness, "kill" → off)', async () => {
    expect((await router.route('brighten the office lamp')).decision).toMatchObject({
      capabilityId: 'hue/office-lamp',
      tool: 'set_brightness',
    });
    expect((await router.route('kill the kitchen lights')).decision).toMatchObject({
      capabilityId: 'matter/kitchen-light',
      tool: 'turn_off',
    });
  });

  it('reads a multi-word expression as one word ("out loud", "come up with")', async () => {
    expect((await router.route('read the next chapter out loud')).decision?.capabilityId).toBe(
      'piper/en-us-amy',
    );
    expect((await router.route('come up with a slogan for a lemonade stand')).decision?.capabilityId).toBe(
      'ollama/llama3.2',
    );
  });

  it('sends a request for a picture to an image capability, not the text-only chat model', async () => {
    expect((await router.route('draw me a dragon flying over a castle')).decision?.capabilityId).toBe(
      'comfyui/sdxl',
    );
  });

  it('lets the code model yield to the general model on questions that are not about code', async () => {
    expect((await router.route('explain how tides work')).decision?.capabilityId).toBe('ollama/llama3.2');
  });

  it('does not count what a description says a capability lacks ("no web access")', async () => {
    expect((await router.route("what's the latest news about the election")).decision?.capabilityId).toBe(
      'searxng/web',
    );
  });

  it('still refuses what nothing in the catalog does', async () => {
    for (const intent of ['order sushi for dinner', 'mow the lawn', 'reserve a table for two at 7'])
      expect((await router.route(intent)).decision, intent).toBeNull();
  });
});
