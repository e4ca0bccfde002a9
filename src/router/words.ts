/**
 * Word-level matching for the router: an interned vocabulary of every word the index has seen, each
 * with its stem, its weight (how much it says) and, when the embedder provides word vectors, its unit
 * vector; and `WordMatcher.similarity()`, which says how well one word stands for another:
 * 1 for the same word or stem, 0.9 for a shared long prefix (`semantic` / `semantically`), else the
 * cosine of the two word vectors mapped from [LOW, HIGH] onto [0, 1].
 */
import { rankWeight } from './builtin-embedder.js';
import { editDistance, stem } from './text.js';
import type { WordVectorTable } from './word-vectors.js';

export interface WordInfo {
  readonly id: number;
  readonly text: string;
  readonly stem: string;
  /** How informative the word is, in (0, 1]: from its corpus frequency. */
  readonly weight: number;
  /** Whether the word vector table knows it. */
  readonly known: boolean;
  readonly vector: Float32Array | null;
}

/** Cosines at or below this say nothing (unrelated GloVe words sit around 0.2–0.4). */
export const SIMILARITY_LOW = 0.4;
/** Cosines at or above this count as the same meaning. */
export const SIMILARITY_HIGH = 0.85;
const PREFIX_MATCH = 0.9;

function sharedPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

/** 1 for the same word or stem, 0.9 for a shared prefix of 5+ letters, else 0. */
export function lexicalMatch(a: WordInfo, b: WordInfo): number {
  if (a === b || a.stem === b.stem) return 1;
  const shorter = Math.min(a.text.length, b.text.length);
  if (shorter >= 5) {
    const p = sharedPrefix(a.text, b.text);
    if (p >= 5 && p >= 0.75 * shorter) return PREFIX_MATCH;
  }
  return 0;
}

/** Similarities of a few query words against any word, memoized for one query. */
export interface QuerySimilarities {
  /** Similarity of query word number `row` to `w`. */
  get(row: number, w: WordInfo): number;
}

function computeSimilarity(a: WordInfo, b: WordInfo): number {
  if (a === b) return 1;
  let s = lexicalMatch(a, b);
  if (s < 1 && a.vector && b.vector) {
    const x = a.vector;
    const y = b.vector;
    // Unrolled by four: word similarity is the hot spot of stage 2.
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    const n = x.length;
    const tail = n - (n % 4);
    for (let d = 0; d < tail; d += 4) {
      d0 += (x[d] as number) * (y[d] as number);
      d1 += (x[d + 1] as number) * (y[d + 1] as number);
      d2 += (x[d + 2] as number) * (y[d + 2] as number);
      d3 += (x[d + 3] as number) * (y[d + 3] as number);
    }
    for (let d = tail; d < n; d++) d0 += (x[d] as number) * (y[d] as number);
    const dot = d0 + d1 + d2 + d3;
    const c = (dot - SIMILARITY_LOW) / (SIMILARITY_HIGH - SIMILARITY_LOW);
    if (c > s) s = Math.min(1, c);
  }
  return s;
}

/** `computeSimilarity(q, w)`, or an alternative's (scaled by `weight`) when that is higher. */
function similarityWithAlternatives(
  q: WordInfo,
  alts: readonly WordInfo[] | undefined,
  weight: number,
  w: WordInfo,
): number {
  let s = computeSimilarity(q, w);
  if (alts && s < 1)
    for (const a of alts) {
      const t = weight * computeSimilarity(a, w);
      if (t > s) s = t;
    }
  return s;
}

export class WordMatcher {
  private readonly table: WordVectorTable | null;
  private readonly words = new Map<string, WordInfo>();
  private readonly pairCache = new Map<number, number>();
  private nextId = 0;
  // Reused per-query memo: one row per query word, indexed by word id, valid when stamped.
  private rowValues: Float32Array[] = [];
  private rowStamps: Uint32Array[] = [];
  private capacity = 0;
  private generation = 0;

  constructor(table: WordVectorTable | null) {
    this.table = table;
  }

  get hasVectors(): boolean {
    return this.table !== null;
  }

  /** The interned entry for a (normalized, lowercase) word. */
  word(text: string): WordInfo {
    let w = this.words.get(text);
    if (!w) {
      const index = this.table ? this.table.indexOf(text) : -1;
      const known = index >= 0;
      const weight = /\d/.test(text)
        ? 0.15
        : known
          ? rankWeight((this.table as WordVectorTable).rank(index))
          : 1;
      w = {
        id: this.nextId++,
        text,
        stem: stem(text),
        weight,
        known,
        vector: known ? (this.table as WordVectorTable).unitVector(index) : null,
      };
      this.words.set(text, w);
    }
    return w;
  }

  /** How well `a` stands for `b`, in [0, 1]. Symmetric; cached per pair. */
  similarity(a: WordInfo, b: WordInfo): number {
    if (a === b) return 1;
    const lo = a.id < b.id ? a : b;
    const hi = a.id < b.id ? b : a;
    const key = lo.id * 0x200000 + hi.id;
    const cached = this.pairCache.get(key);
    if (cached !== undefined) return cached;
    const s = computeSimilarity(a, b);
    if (this.pairCache.size > 1_000_000) this.pairCache.clear();
    this.pairCache.set(key, s);
    return s;
  }

  /**
   * A memo of `similarity(words[row], w)` for one query — or of an alternative of the row's word
   * (`alternatives[row]`, a stand-in such as "brightness" for "dim") scaled by `alternativeWeight`,
   * when that is higher. Valid until the next call of `forQuery`
   * (the buffers are reused, so routing allocates almost nothing).
   */
  forQuery(
    words: readonly WordInfo[],
    alternatives: readonly (readonly WordInfo[])[] = [],
    alternativeWeight = 0.7,
  ): QuerySimilarities {
    if (this.nextId > this.capacity) {
      this.capacity = Math.max(1024, this.nextId * 2);
      this.rowValues = [];
      this.rowStamps = [];
    }
    while (this.rowValues.length < words.length) {
      this.rowValues.push(new Float32Array(this.capacity));
      this.rowStamps.push(new Uint32Array(this.capacity));
    }
    this.generation = (this.generation + 1) >>> 0 || 1;
    const gen = this.generation;
    const values = this.rowValues;
    const stamps = this.rowStamps;
    const cap = this.capacity;
    return {
      get(row: number, w: WordInfo): number {
        const q = words[row] as WordInfo;
        const alts = alternatives[row];
        if (w.id >= cap) return similarityWithAlternatives(q, alts, alternativeWeight, w);
        const st = stamps[row] as Uint32Array;
        const vs = values[row] as Float32Array;
        if (st[w.id] === gen) return vs[w.id] as number;
        const s = similarityWithAlternatives(q, alts, alternativeWeight, w);
        st[w.id] = gen;
        vs[w.id] = s;
        return s;
      },
    };
  }

  /**
   * A likely correction for a word the table does not know ("frnt" → "front"), chosen among
   * `candidates` (the index's own words): edit distance 1 (2 for words of 8+ letters; words under 5 letters are left alone), the closest
   * and then the most informative winning. `null` when nothing is close.
   */
  correct(word: string, candidates: Iterable<WordInfo>): WordInfo | null {
    if (word.length < 5 || /\d/.test(word)) return null;
    const max = word.length >= 8 ? 2 : 1;
    let best: WordInfo | null = null;
    let bestD = max + 1;
    for (const c of candidates) {
      if (Math.abs(c.text.length - word.length) > max || c.text[0] !== word[0]) continue;
      const d = editDistance(word, c.text, max);
      if (d < bestD || (d === bestD && best !== null && c.weight > best.weight)) {
        best = c;
        bestD = d;
      }
    }
    return bestD <= max ? best : null;
  }
}
