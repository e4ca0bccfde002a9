/**
 * `OllamaEmbedder` against the Ollama double over real HTTP on 127.0.0.1: batching, unit length,
 * the intent cache, and every failure as its typed error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortedError,
  BackendTimeoutError,
  BackendUnavailableError,
  EmbedderReplyError,
  EmbedderUnavailableError,
  EmbeddingModelNotFoundError,
} from '../core/index.js';
import type { AtmosphereError } from '../core/index.js';
import { silentLogger } from '../core/index.js';
import { closedPortUrl } from '../../test/doubles/double-server.js';
import type { OllamaDoubleModel } from '../../test/doubles/ollama-double.js';
import { bagOfWordsEmbedding, OllamaDouble } from '../../test/doubles/ollama-double.js';
import type { OllamaEmbedderInit } from './ollama-embedder.js';
import { OllamaEmbedder } from './ollama-embedder.js';

const MODELS: readonly OllamaDoubleModel[] = [
  { name: 'nomic-embed-text:latest', family: 'nomic-bert', capabilities: ['embedding'] },
  { name: 'llama3.2:3b', family: 'llama', capabilities: ['completion', 'tools'] },
];
const DIMS = 48;

let ollama: OllamaDouble;

beforeAll(async () => {
  ollama = await OllamaDouble.start({ models: MODELS, embedding: 'bag-of-words', embeddingDimensions: DIMS });
});
afterAll(() => ollama.close());
beforeEach(() => {
  ollama.requests.length = 0;
  ollama.embedOverride = null;
  ollama.embedCalls = 0;
  ollama.embeddingDimensions = DIMS;
  ollama.set({ headerDelayMs: 0, errorResponse: null });
});

function embedder(init: OllamaEmbedderInit = {}): OllamaEmbedder {
  return new OllamaEmbedder({ logger: silentLogger() }, { url: ollama.url, ...init });
}

/** The `input` lists of the `/api/embed` requests the double got, in order. */
function embedInputs(): string[][] {
  return ollama.requestsTo('/api/embed').map((r) => (r.body as { input: string[] }).input);
}

function norm(v: Float32Array): number {
  return Math.hypot(...v);
}

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((s, x, i) => s + x * (b[i] as number), 0);
}

async function failure(p: Promise<unknown>): Promise<AtmosphereError> {
  try {
    await p;
  } catch (err) {
    return err as AtmosphereError;
  }
  throw new Error('expected a failure');
}

describe('OllamaEmbedder', () => {
  it('is named after its model and learns its dimensions from the first reply', async () => {
    const e = embedder({ model: 'nomic-embed-text' });
    expect(e.id).toBe('ollama/nomic-embed-text');
    expect(e.dimensions).toBe(0);
    const [v] = await e.embed(['turn on the kitchen light']);
    expect(e.dimensions).toBe(DIMS);
    expect(v).toHaveLength(DIMS);
    const body = ollama.requestsTo('/api/embed')[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      model: 'nomic-embed-text',
      input: ['turn on the kitchen light'],
      truncate: true,
    });
    expect(body).not.toHaveProperty('keep_alive');
  });

  it('sends keep_alive when one is set', async () => {
    await embedder({ keepAlive: '30m' }).embed(['hello there']);
    expect(ollama.requestsTo('/api/embed')[0]?.body).toMatchObject({ keep_alive: '30m' });
  });

  it('returns one unit vector per text, in order, whatever the length of the server’s vectors', async () => {
    ollama.embedOverride = (inputs) => ({
      status: 200,
      body: JSON.stringify({
        model: 'nomic-embed-text:latest',
        embeddings: inputs.map((t) => (t === 'first' ? [3, 4, 0] : [0, 0, -2])),
      }),
    });
    const vectors = await embedder().embed(['first', 'second']);
    expect(vectors.map((v) => [...v])).toEqual([
      [expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0],
      [0, 0, -1],
    ]);
  });

  it('keeps the server’s notion of similarity: texts that share words stay close', async () => {
    const [a, b, c] = await embedder().embed([
      'turn off the kitchen lights',
      'switch the kitchen light off',
      'transcribe this voice memo',
    ]);
    for (const v of [a, b, c]) expect(norm(v as Float32Array)).toBeCloseTo(1, 5);
    const expected = bagOfWordsEmbedding('turn off the kitchen lights', DIMS);
    expect([...(a as Float32Array)].map((x) => Number(x.toFixed(5)))).toEqual(
      expected.map((x) => Number(x.toFixed(5))),
    );
    expect(cosine(a as Float32Array, b as Float32Array)).toBeGreaterThan(
      cosine(a as Float32Array, c as Float32Array) + 0.3,
    );
  });

  it('sends at most batchSize texts per request and puts every vector back in its place', async () => {
    const texts = Array.from({ length: 150 }, (_, i) => `capability number ${i} does task ${i * 7}`);
    const vectors = await embedder({ batchSize: 64 }).embed(texts);
    expect(embedInputs().map((input) => input.length)).toEqual([64, 64, 22]);
    expect(embedInputs().flat()).toEqual(texts);
    const expected = bagOfWordsEmbedding(texts[149] as string, DIMS);
    expect(cosine(vectors[149] as Float32Array, Float32Array.from(expected))).toBeCloseTo(1, 5);
    expect(cosine(vectors[149] as Float32Array, vectors[148] as Float32Array)).toBeLessThan(0.99);
  });

  it('sends a repeated text once and gives blank texts the zero vector without sending them', async () => {
    const vectors = await embedder().embed(['light on', '  ', 'light on', 'lock the door']);
    expect(embedInputs()).toEqual([['light on', 'lock the door']]);
    expect([...(vectors[0] as Float32Array)]).toEqual([...(vectors[2] as Float32Array)]);
    expect(vectors[1]).toHaveLength(DIMS);
    expect(norm(vectors[1] as Float32Array)).toBe(0);
  });

  it('answers a repeated single intent from its cache, and forgets the least recently used', async () => {
    const e = embedder({ cacheSize: 2 });
    const [first] = await e.embed(['what is on my calendar']);
    (first as Float32Array).fill(0); // the caller's copy, not the cache's
    const [again] = await e.embed(['what is on my calendar']);
    expect(embedInputs()).toHaveLength(1);
    expect(norm(again as Float32Array)).toBeCloseTo(1, 5);

    await e.embed(['lock the front door']);
    await e.embed(['what is on my calendar']); // hit: now the most recent
    await e.embed(['play some jazz']); // evicts "lock the front door"
    await e.embed(['what is on my calendar']);
    await e.embed(['lock the front door']);
    expect(embedInputs()).toEqual([
      ['what is on my calendar'],
      ['lock the front door'],
      ['play some jazz'],
      ['lock the front door'],
    ]);
  });

  it('does not cache texts embedded in batches', async () => {
    const e = embedder();
    await e.embed(['a lamp', 'a lock']);
    await e.embed(['a lamp']);
    expect(embedInputs()).toEqual([['a lamp', 'a lock'], ['a lamp']]);
  });

  it('probes: learns the dimensions and reports the model as the server names it', async () => {
    const e = embedder();
    await expect(e.probe()).resolves.toEqual({
      id: 'ollama/nomic-embed-text',
      model: 'nomic-embed-text:latest',
      dimensions: DIMS,
    });
    expect(e.dimensions).toBe(DIMS);
  });

  it('says a missing model is missing, and how to get it', async () => {
    const err = await failure(embedder({ model: 'mxbai-embed-large' }).embed(['hello']));
    expect(err).toBeInstanceOf(EmbeddingModelNotFoundError);
    expect(err.code).toBe('embedding_model_not_found');
    expect(err.details).toMatchObject({ model: 'mxbai-embed-large', reason: 'not_found' });
    expect(err.message).toMatch(/ollama pull mxbai-embed-large/);
  });

  it('says a chat model cannot make embeddings', async () => {
    const err = await failure(embedder({ model: 'llama3.2:3b' }).probe());
    expect(err).toBeInstanceOf(EmbeddingModelNotFoundError);
    expect(err.details).toMatchObject({ reason: 'not_an_embedding_model' });
    expect(err.message).toMatch(/cannot make embeddings/);
  });

  it('says the server is unreachable when nothing listens', async () => {
    const url = await closedPortUrl();
    const err = await failure(new OllamaEmbedder({ logger: silentLogger() }, { url }).embed(['hello']));
    expect(err).toBeInstanceOf(EmbedderUnavailableError);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('embedder_unavailable');
    expect(err.message).toMatch(/connection refused/);
    expect(err.details).toMatchObject({ url, reason: 'ECONNREFUSED' });
  });

  it('rejects a reply that is not JSON', async () => {
    ollama.embedOverride = () => ({ status: 200, body: '{"embeddings": [[0.1, 0.2' });
    const err = await failure(embedder().embed(['hello']));
    expect(err).toBeInstanceOf(EmbedderReplyError);
    expect(err.code).toBe('embedder_bad_reply');
    expect(err.details).toMatchObject({ reason: 'not_json' });
  });

  it('rejects replies without embeddings, with the wrong count, or with values that are not numbers', async () => {
    const cases: [unknown, string][] = [
      [{ model: 'x' }, 'no_embeddings'],
      [{ embeddings: [[1, 0]] }, 'count_mismatch'],
      [{ embeddings: [[1, 0], 'oops'] }, 'not_a_vector'],
      [
        {
          embeddings: [
            [1, 0],
            [null, 1],
          ],
        },
        'not_finite',
      ],
    ];
    for (const [reply, reason] of cases) {
      ollama.embedOverride = () => ({ status: 200, body: JSON.stringify(reply) });
      const err = await failure(embedder().embed(['one', 'two']));
      expect(err, reason).toBeInstanceOf(EmbedderReplyError);
      expect(err.details.reason, reason).toBe(reason);
    }
  });

  it('refuses vectors whose length changes between batches', async () => {
    ollama.embedOverride = (inputs, call) =>
      call === 1 ? { status: 200, body: JSON.stringify({ embeddings: inputs.map(() => [1, 0, 0]) }) } : null;
    const err = await failure(embedder({ batchSize: 2 }).embed(['a b', 'c d', 'e f', 'g h']));
    expect(err).toBeInstanceOf(EmbedderReplyError);
    expect(err.details).toMatchObject({ reason: 'dimensions_changed', expected: DIMS, got: 3 });
  });

  it('refuses vectors whose length changes between calls (the model was swapped)', async () => {
    const e = embedder();
    await e.probe();
    ollama.embeddingDimensions = DIMS * 2;
    const err = await failure(e.embed(['hello again']));
    expect(err).toBeInstanceOf(EmbedderReplyError);
    expect(err.details).toMatchObject({ reason: 'dimensions_changed', expected: DIMS, got: DIMS * 2 });
    expect(e.dimensions).toBe(DIMS);
  });

  it('passes other server errors on with the server’s message', async () => {
    ollama.set({ errorResponse: { status: 500, message: 'llama runner process has terminated' } });
    const err = await failure(embedder().embed(['hello']));
    expect(err.code).toBe('backend_error');
    expect(err.message).toMatch(/llama runner process has terminated/);
  });

  it('times out a server that does not answer, and stops when the caller aborts', async () => {
    ollama.set({ headerDelayMs: 400 });
    const slow = await failure(embedder({ timeoutMs: 100 }).embed(['hello']));
    expect(slow).toBeInstanceOf(BackendTimeoutError);
    const probe = await failure(embedder({ probeTimeoutMs: 100 }).probe());
    expect(probe).toBeInstanceOf(BackendTimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await failure(embedder().embed(['hello'], { signal: controller.signal }));
    expect(aborted).toBeInstanceOf(AbortedError);
  });
});
