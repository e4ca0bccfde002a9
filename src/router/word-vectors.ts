/**
 * The compact word-vector table behind the built-in embedder: GloVe 100-d vectors for the ~100k most
 * frequent English words, int8-quantized with one scale per word (`data/word-vectors.bin`, built by
 * `scripts/build-word-vectors.mjs`; the format is in docs/ROUTING.md). Parsing is pure; reading the
 * file is `loadWordVectorTable()`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AtmosphereError } from '../core/index.js';
import type { ErrorCategory } from '../core/index.js';

const MAGIC = 0x56575441; // "ATWV" little-endian
const FORMAT_VERSION = 1;

/** The table file shipped with the package (`<package>/data/word-vectors.bin`), from src/ or dist/. */
export const DEFAULT_WORD_VECTORS_URL = new URL('../../data/word-vectors.bin', import.meta.url);

/** The word-vector file is missing, truncated or of an unknown format. */
export class WordVectorTableError extends AtmosphereError {
  override readonly code = 'word_vectors_invalid';
  override readonly category: ErrorCategory = 'internal';
}

export interface WordVectorTableHeader {
  readonly format: number;
  readonly dims: number;
  readonly count: number;
  readonly quantization: string;
  readonly source: string;
  readonly wordsBytes: number;
}

export class WordVectorTable {
  readonly header: WordVectorTableHeader;
  readonly dims: number;
  readonly count: number;
  private readonly ids: Map<string, number>;
  private readonly ranks: Uint32Array;
  private readonly values: Int8Array;
  /** scale / ‖vector‖ per word: values × this gives the unit vector. */
  private readonly unitScales: Float32Array;
  private readonly words: readonly string[];

  private constructor(
    header: WordVectorTableHeader,
    words: string[],
    ranks: Uint32Array,
    unitScales: Float32Array,
    values: Int8Array,
  ) {
    this.header = header;
    this.dims = header.dims;
    this.count = header.count;
    this.words = words;
    this.ranks = ranks;
    this.unitScales = unitScales;
    this.values = values;
    this.ids = new Map();
    for (let i = 0; i < words.length; i++) this.ids.set(words[i] as string, i);
  }

  /** Parses a table from the bytes of `data/word-vectors.bin`. */
  static fromBytes(bytes: Uint8Array): WordVectorTable {
    const fail = (what: string): never => {
      throw new WordVectorTableError(`word-vector table: ${what}`);
    };
    if (bytes.byteLength < 8) fail('file too short');
    // Copy into a fresh, aligned buffer so typed-array views can be taken at any offset.
    const buf = new Uint8Array(bytes.byteLength);
    buf.set(bytes);
    const view = new DataView(buf.buffer);
    if (view.getUint32(0, true) !== MAGIC) fail('not an ATWV file');
    const headerBytes = view.getUint32(4, true);
    let off = 8;
    if (off + headerBytes > buf.byteLength) fail('truncated header');
    let header: WordVectorTableHeader;
    try {
      header = JSON.parse(
        new TextDecoder().decode(buf.subarray(off, off + headerBytes)),
      ) as WordVectorTableHeader;
    } catch (err) {
      throw new WordVectorTableError('word-vector table: unreadable header', { cause: err });
    }
    if (header.format !== FORMAT_VERSION) fail(`format ${String(header.format)} is not supported`);
    const { dims, count, wordsBytes } = header;
    if (![dims, count, wordsBytes].every((n) => Number.isInteger(n) && n > 0)) fail('bad header numbers');
    off += headerBytes;
    const expected = off + wordsBytes + count * 8 + count * dims;
    if (buf.byteLength !== expected) fail(`expected ${expected} bytes, found ${buf.byteLength}`);
    const words = new TextDecoder()
      .decode(buf.subarray(off, off + wordsBytes))
      .replace(/\n+$/, '')
      .split('\n');
    if (words.length !== count) fail(`expected ${count} words, found ${words.length}`);
    off += wordsBytes;
    const ranks = new Uint32Array(buf.buffer, off, count);
    off += count * 4;
    // Per-word scales (count × f32) restore raw magnitudes; routing needs directions only.
    off += count * 4;
    const values = new Int8Array(buf.buffer, off, count * dims);
    const unitScales = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let sq = 0;
      const base = i * dims;
      for (let d = 0; d < dims; d++) {
        const x = values[base + d] as number;
        sq += x * x;
      }
      unitScales[i] = sq === 0 ? 0 : 1 / Math.sqrt(sq);
    }
    return new WordVectorTable(header, words, ranks, unitScales, values);
  }

  /** The word's index in the table, or -1 when it is not in the vocabulary. */
  indexOf(word: string): number {
    return this.ids.get(word) ?? -1;
  }

  word(index: number): string {
    return this.words[index] ?? '';
  }

  /** Frequency rank of the word in the source corpus (0 = most frequent). */
  rank(index: number): number {
    return this.ranks[index] ?? Number.MAX_SAFE_INTEGER;
  }

  /** Adds `weight ×` the word's unit vector into `out` (length `dims`). */
  addUnitVector(index: number, out: Float32Array, weight = 1): void {
    const s = (this.unitScales[index] ?? 0) * weight;
    const base = index * this.dims;
    for (let d = 0; d < this.dims; d++) out[d] = (out[d] as number) + (this.values[base + d] as number) * s;
  }

  /** The word's unit vector as a new array. */
  unitVector(index: number): Float32Array {
    const out = new Float32Array(this.dims);
    this.addUnitVector(index, out);
    return out;
  }
}

/** Reads and parses the table file (default: the one shipped in the package). */
export async function loadWordVectorTable(
  options: { url?: URL | string; signal?: AbortSignal } = {},
): Promise<WordVectorTable> {
  const url = options.url ?? DEFAULT_WORD_VECTORS_URL;
  const path = url instanceof URL ? fileURLToPath(url) : url;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path, { signal: options.signal });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    throw new WordVectorTableError(
      `cannot read the word-vector table ${path}: ${(err as Error).message} ` +
        '(rebuild it with `node scripts/build-word-vectors.mjs`)',
      { cause: err },
    );
  }
  return WordVectorTable.fromBytes(bytes);
}
