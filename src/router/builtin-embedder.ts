/**
 * The built-in offline embedder: no model server, no download. A text's vector is the frequency-
 * weighted mean of its words' GloVe vectors (smooth inverse frequency: rare words count more), from
 * the compact table in `data/word-vectors.bin`. The table loads lazily, on the first embed.
 * The router also uses the table word by word (soft word alignment), which whole-text embedders
 * such as Ollama's cannot offer; see `WordVectorProvider`.
 */
import type { Embedder } from '../core/index.js';
import { contentWords } from './text.js';
import type { WordVectorTable } from './word-vectors.js';
import { loadWordVectorTable } from './word-vectors.js';

export const BUILTIN_EMBEDDER_ID = 'builtin/glove-wink-100d@1';

/** An embedder that can also hand out its word vectors. */
export interface WordVectorProvider {
  wordVectors(options?: { signal?: AbortSignal }): Promise<WordVectorTable>;
}

export function isWordVectorProvider(e: unknown): e is WordVectorProvider {
  return typeof (e as Partial<WordVectorProvider> | null)?.wordVectors === 'function';
}

const RANK_FLOOR = Math.log(50);
const RANK_CEIL = Math.log(100_000);

/**
 * How much a word says, from its corpus frequency rank: ~0.05 for the 50 commonest words, 1 for
 * words rarer than the 100,000th. Words not in the table count fully.
 */
export function rankWeight(rank: number): number {
  if (!Number.isFinite(rank)) return 1;
  return Math.max(0.05, Math.min(1, (Math.log(rank + 1) - RANK_FLOOR) / (RANK_CEIL - RANK_FLOOR)));
}

export interface WordVectorEmbedderComponents {
  /** Loads the table; default: `loadWordVectorTable()` (the file shipped in the package). */
  readonly loadTable?: (options: { signal?: AbortSignal }) => Promise<WordVectorTable>;
}

export interface WordVectorEmbedderInit {
  /** Where the table is, when `components.loadTable` is not given. Default: the packaged file. */
  readonly url?: URL | string;
}

export class WordVectorEmbedder implements Embedder, WordVectorProvider {
  readonly id = BUILTIN_EMBEDDER_ID;
  readonly dimensions = 100;
  private readonly load: (options: { signal?: AbortSignal }) => Promise<WordVectorTable>;
  private table: Promise<WordVectorTable> | null = null;

  constructor(components: WordVectorEmbedderComponents = {}, init: WordVectorEmbedderInit = {}) {
    this.load =
      components.loadTable ??
      ((options) => loadWordVectorTable(init.url === undefined ? options : { ...options, url: init.url }));
  }

  /** The word table, loaded once (a failed or aborted load is retried on the next call). */
  wordVectors(options: { signal?: AbortSignal } = {}): Promise<WordVectorTable> {
    if (!this.table) {
      const loading = this.load(options);
      this.table = loading;
      loading.catch(() => {
        if (this.table === loading) this.table = null;
      });
    }
    return this.table;
  }

  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    const table = await this.wordVectors(options);
    options.signal?.throwIfAborted();
    return texts.map((t) => embedWithTable(table, t));
  }
}

/** The SIF-weighted mean of the text's content-word vectors, unit length (zero when no word is known). */
export function embedWithTable(table: WordVectorTable, text: string): Float32Array {
  const out = new Float32Array(table.dims);
  for (const w of contentWords(text)) {
    const i = table.indexOf(w);
    if (i >= 0) table.addUnitVector(i, out, rankWeight(table.rank(i)));
  }
  let sq = 0;
  for (let d = 0; d < out.length; d++) sq += (out[d] as number) ** 2;
  if (sq > 0) {
    const inv = 1 / Math.sqrt(sq);
    for (let d = 0; d < out.length; d++) out[d] = (out[d] as number) * inv;
  }
  return out;
}
