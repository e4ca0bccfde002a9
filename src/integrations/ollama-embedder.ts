/**
 * Ollama's `/api/embed` behind core's `Embedder` seam, for the router's whole-text vectors.
 *
 * `POST {url}/api/embed` with `{model, input: string[], truncate: true}` answers
 * `{model, embeddings: number[][], total_duration, load_duration, prompt_eval_count}`; errors are
 * `{"error": "..."}` with a 4xx/5xx status (404: no such model). The embedder's id is
 * `ollama/<model>`; its dimensions are learnt from the first reply (`probe()` asks at start) and every
 * later reply must keep them, so vectors of two sizes never meet in one index. Texts go in batches
 * of at most `batchSize` per request; each vector is scaled to unit length. The vectors of the last
 * `cacheSize` texts embedded one at a time (the router's per-request intent) are remembered, so a
 * repeated intent costs no round trip.
 *
 * Failures are typed: unreachable → `EmbedderUnavailableError`, missing model (or one that cannot
 * embed) → `EmbeddingModelNotFoundError`, a reply of the wrong shape → `EmbedderReplyError`; a timeout
 * is `BackendTimeoutError` and the caller's abort `AbortedError` (from the shared HTTP client).
 */
import type { Embedder, ErrorDetails, Logger } from '../core/index.js';
import {
  BackendError,
  BackendUnavailableError,
  EmbedderReplyError,
  EmbedderUnavailableError,
  EmbeddingModelNotFoundError,
  ModelNotFoundError,
} from '../core/index.js';
import { DEFAULT_OLLAMA_URL } from './backend-urls.js';
import { HttpClient } from './http.js';
import { readErrorBody } from './openai-wire.js';

export const DEFAULT_OLLAMA_EMBED_MODEL = 'nomic-embed-text';
/** Texts per `/api/embed` request. */
export const DEFAULT_EMBED_BATCH_SIZE = 64;
/** One `/api/embed` request, model load included. */
export const DEFAULT_EMBED_TIMEOUT_MS = 30_000;
/** `probe()`: a start-up check should not hold a node's start for long. */
export const DEFAULT_EMBED_PROBE_TIMEOUT_MS = 10_000;
/** Texts embedded one at a time whose vectors are remembered. */
export const DEFAULT_EMBED_CACHE_SIZE = 256;
/** What `probe()` embeds: any short request will do. */
const PROBE_TEXT = 'turn on the kitchen light';
/** Texts longer than this are not worth remembering. */
const CACHE_MAX_TEXT_CHARS = 2000;

export interface OllamaEmbedderComponents {
  readonly logger: Logger;
}

export interface OllamaEmbedderInit {
  /** Ollama's URL. Default `http://127.0.0.1:11434`; see `resolveOllamaUrl` for `OLLAMA_HOST`. */
  readonly url?: string;
  /** The embedding model. Default `nomic-embed-text`. */
  readonly model?: string;
  /** Texts per request (1–2048). Default 64. */
  readonly batchSize?: number;
  /** Time one request may take, model load included. Default 30 s. */
  readonly timeoutMs?: number;
  /** Time `probe()` may take, model load included. Default 10 s. */
  readonly probeTimeoutMs?: number;
  /** Ollama's `keep_alive` (e.g. `"30m"`, `-1`); default: the server's own (5 minutes). */
  readonly keepAlive?: string | number;
  /** Single-text vectors remembered (0 turns the cache off). Default 256. */
  readonly cacheSize?: number;
}

/** What `probe()` found. */
export interface OllamaEmbedderProbe {
  readonly id: string;
  /** The model as Ollama names it (`nomic-embed-text:latest`), or the configured name. */
  readonly model: string;
  readonly dimensions: number;
}

export class OllamaEmbedder implements Embedder {
  readonly id: string;
  readonly model: string;
  readonly url: string;
  private readonly log: Logger;
  private readonly http: HttpClient;
  private readonly batchSize: number;
  private readonly keepAlive: string | number | undefined;
  private readonly probeTimeoutMs: number;
  private readonly cacheSize: number;
  /** Insertion order is recency: a hit is moved to the end, the first entry is the oldest. */
  private readonly cache = new Map<string, Float32Array>();
  private dims = 0;

  constructor(components: OllamaEmbedderComponents, init: OllamaEmbedderInit = {}) {
    this.log = components.logger;
    this.model = init.model ?? DEFAULT_OLLAMA_EMBED_MODEL;
    this.id = `ollama/${this.model}`;
    this.url = (init.url ?? DEFAULT_OLLAMA_URL).replace(/\/+$/, '');
    this.batchSize = Math.max(1, Math.min(2048, Math.floor(init.batchSize ?? DEFAULT_EMBED_BATCH_SIZE)));
    this.keepAlive = init.keepAlive;
    this.probeTimeoutMs = init.probeTimeoutMs ?? DEFAULT_EMBED_PROBE_TIMEOUT_MS;
    this.cacheSize = Math.max(0, Math.floor(init.cacheSize ?? DEFAULT_EMBED_CACHE_SIZE));
    this.http = new HttpClient(
      { logger: components.logger },
      {
        backend: 'ollama',
        baseUrl: this.url,
        timeoutMs: init.timeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS,
        streamIdleTimeoutMs: init.timeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS,
        readErrorBody,
      },
    );
  }

  /** Length of every vector; 0 until the first reply (or `probe()`) has said. */
  get dimensions(): number {
    return this.dims;
  }

  /**
   * Embeds one short text to check that the server answers and has the model, and learns the
   * dimensions (loading the model into memory on the way). Throws what `embed` throws.
   */
  async probe(options: { signal?: AbortSignal } = {}): Promise<OllamaEmbedderProbe> {
    const { model } = await this.request([PROBE_TEXT], options, this.probeTimeoutMs);
    return { id: this.id, model, dimensions: this.dims };
  }

  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted();
    const out: (Float32Array | null)[] = texts.map(() => null);
    // Each distinct non-blank text is sent once; blank texts get the zero vector.
    const positions = new Map<string, number[]>();
    let blank = false;
    texts.forEach((text, i) => {
      if (text.trim() === '') {
        blank = true;
        return;
      }
      const cached = this.cacheGet(text);
      if (cached) {
        out[i] = cached;
        return;
      }
      const at = positions.get(text);
      if (at) at.push(i);
      else positions.set(text, [i]);
    });
    const pending = [...positions.keys()];
    for (let start = 0; start < pending.length; start += this.batchSize) {
      const batch = pending.slice(start, start + this.batchSize);
      const { vectors } = await this.request(batch, options);
      batch.forEach((text, j) => {
        const v = vectors[j] as Float32Array;
        for (const i of positions.get(text) ?? []) out[i] = v;
      });
    }
    if (texts.length === 1 && pending.length === 1) {
      const text = pending[0] as string;
      this.cachePut(text, out[0] as Float32Array);
    }
    if (blank && this.dims === 0) await this.probe(options);
    // Copies: the caller may keep or change them without touching the cache.
    return out.map((v) => (v === null ? new Float32Array(this.dims) : v.slice()));
  }

  /** One `/api/embed` request: unit vectors in order, checked against the texts sent and the dimensions known. */
  private async request(
    input: readonly string[],
    options: { signal?: AbortSignal },
    timeoutMs?: number,
  ): Promise<{ model: string; vectors: Float32Array[] }> {
    let body: unknown;
    try {
      body = await this.http.json(
        {
          method: 'POST',
          path: '/api/embed',
          body: {
            model: this.model,
            input: [...input],
            truncate: true,
            ...(this.keepAlive === undefined ? {} : { keep_alive: this.keepAlive }),
          },
          model: this.model,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        },
        options,
      );
    } catch (err) {
      throw this.mapError(err);
    }
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null;
    const embeddings = record?.embeddings;
    if (!Array.isArray(embeddings)) {
      throw this.replyError('its reply has no "embeddings" list', 'no_embeddings');
    }
    if (embeddings.length !== input.length) {
      throw this.replyError(
        `it returned ${embeddings.length} embeddings for ${input.length} texts`,
        'count_mismatch',
      );
    }
    const vectors = embeddings.map((raw: unknown, i) => this.toUnitVector(raw, i));
    const model = typeof record?.model === 'string' && record.model !== '' ? record.model : this.model;
    return { model, vectors };
  }

  private toUnitVector(raw: unknown, index: number): Float32Array {
    if (!Array.isArray(raw) || raw.length === 0) {
      throw this.replyError(`embedding ${index} is not a list of numbers`, 'not_a_vector');
    }
    const expected = this.dims === 0 ? raw.length : this.dims;
    if (raw.length !== expected) {
      throw this.replyError(
        `embedding ${index} has ${raw.length} dimensions where ${expected} were expected ` +
          '(the model changed under the same name? restart the node to re-embed everything)',
        'dimensions_changed',
        { expected, got: raw.length },
      );
    }
    const v = new Float32Array(raw.length);
    let sq = 0;
    for (let d = 0; d < raw.length; d++) {
      const x: unknown = raw[d];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw this.replyError(`embedding ${index} holds a value that is not a finite number`, 'not_finite');
      }
      v[d] = x;
      sq += x * x;
    }
    if (this.dims === 0) {
      this.dims = raw.length;
      this.log.debug({ embedder: this.id, dimensions: this.dims }, 'embedder dimensions learnt');
    }
    if (sq > 0) {
      const inv = 1 / Math.sqrt(sq);
      for (let d = 0; d < v.length; d++) v[d] = (v[d] as number) * inv;
    }
    return v;
  }

  private replyError(what: string, reason: string, extra: ErrorDetails = {}): EmbedderReplyError {
    return new EmbedderReplyError(
      `Ollama at ${this.url} sent a bad /api/embed reply for "${this.model}": ${what}`,
      {
        details: { backend: 'ollama', url: this.url, model: this.model, reason, ...extra },
      },
    );
  }

  private mapError(err: unknown): unknown {
    const details = { backend: 'ollama', url: this.url, model: this.model };
    if (err instanceof BackendUnavailableError) {
      return new EmbedderUnavailableError(`cannot embed with "${this.model}": ${err.message}`, {
        cause: err,
        details: { ...details, reason: err.details.reason ?? null },
      });
    }
    if (err instanceof ModelNotFoundError) {
      return new EmbeddingModelNotFoundError(
        `Ollama at ${this.url} has no model "${this.model}" (pull it with \`ollama pull ${this.model}\`)`,
        { cause: err, details: { ...details, reason: 'not_found' } },
      );
    }
    if (err instanceof BackendError) {
      if (err.details.reason === 'malformed_response') {
        return this.replyError('its reply is not JSON', 'not_json');
      }
      const upstream = err.details.upstreamMessage;
      if (
        err.details.httpStatus === 400 &&
        typeof upstream === 'string' &&
        /\bembed/i.test(upstream) &&
        /not support|unsupported/i.test(upstream)
      ) {
        return new EmbeddingModelNotFoundError(
          `"${this.model}" on Ollama at ${this.url} cannot make embeddings (${upstream}); ` +
            'choose an embedding model such as nomic-embed-text',
          { cause: err, details: { ...details, reason: 'not_an_embedding_model' } },
        );
      }
    }
    return err;
  }

  private cacheGet(text: string): Float32Array | null {
    const v = this.cache.get(text);
    if (v === undefined) return null;
    this.cache.delete(text);
    this.cache.set(text, v);
    return v;
  }

  private cachePut(text: string, v: Float32Array): void {
    if (this.cacheSize === 0 || text.length > CACHE_MAX_TEXT_CHARS) return;
    this.cache.set(text, v);
    while (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
  }
}
