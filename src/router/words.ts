/**
 * Word-level matching for the router: an interned vocabulary of every word the index has seen, each
 * with its stem, its weight (how much it says) and, when the embedder provides word vectors, its unit
 * vector; and `WordMatcher.similarity()`, which says how well one word stands for another:
 * 1 for the same word or stem, 0.9 for a shared long prefix (`semantic` / `semantically`), else the
 * cosine of the two word vectors mapped from [LOW, HIGH] onto [0, 1].
 */
import { rankWeight } from './builtin-embedder.js';
import { editDistance, stem } from './text.js';
import { dotAt } from './vector-math.js';
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
    const dot = dotAt(a.vector, 0, b.vector, 0, a.vector.length);
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

/** Similarity cells kept across queries (~16 MB of `Float32Array`): rows are dropped beyond it. */
const MAX_SIMILARITY_CELLS = 4_000_000;

export class WordMatcher {
  private readonly table: WordVectorTable | null;
  private readonly words = new Map<string, WordInfo>();
  private readonly pairCache = new Map<number, number>();
  private nextId = 0;
  /**
   * Similarities of the words queries have used (and their stand-ins) to any word, one row per
   * query word indexed by the other word's id, NaN until computed. Two words' similarity never
   * changes, so rows are kept from one query to the next: the words people use recur, and each
   * pair is computed once. Bounded by `MAX_SIMILARITY_CELLS` (all rows are dropped beyond it).
   */
  private readonly rows = new Map<number, Float32Array>();
  private capacity = 0;

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
   * `similarity(words[row], w)` for one query — or an alternative's of the row's word
   * (`alternatives[row]`, a stand-in such as "brightness" for "dim") scaled by `alternativeWeight`,
   * when that is higher. Reads and fills the rows kept across queries, so routing computes each
   * word pair once and allocates nothing once its words have been seen. Valid until the next call.
   */
  forQuery(
    words: readonly WordInfo[],
    alternatives: readonly (readonly WordInfo[])[] = [],
    alternativeWeight = 0.7,
  ): QuerySimilarities {
    if (this.nextId > this.capacity) {
      this.capacity = Math.max(4096, this.nextId * 2);
      this.rows.clear();
    }
    const cap = this.capacity;
    const needed = words.length + alternatives.reduce((n, a) => n + a.length, 0);
    if ((this.rows.size + needed) * cap > MAX_SIMILARITY_CELLS) this.rows.clear();
    const own = words.map((w) => this.row(w));
    const alts = words.map((_, i) => (alternatives[i] ?? []).map((a) => this.row(a)));
    return {
      get(row: number, w: WordInfo): number {
        const id = w.id;
        if (id >= cap)
          return similarityWithAlternatives(words[row] as WordInfo, alternatives[row], alternativeWeight, w);
        const r = own[row] as Float32Array;
        let s = r[id] as number;
        if (s !== s) {
          s = Math.fround(computeSimilarity(words[row] as WordInfo, w));
          r[id] = s;
        }
        if (s < 1) {
          const altRows = alts[row] as Float32Array[];
          for (let k = 0; k < altRows.length; k++) {
            const ar = altRows[k] as Float32Array;
            let t = ar[id] as number;
            if (t !== t) {
              t = Math.fround(
                computeSimilarity((alternatives[row] as readonly WordInfo[])[k] as WordInfo, w),
              );
              ar[id] = t;
            }
            t *= alternativeWeight;
            if (t > s) s = t;
          }
        }
        return s;
      },
    };
  }

  /** The kept similarity row of `w` (created empty, all NaN). */
  private row(w: WordInfo): Float32Array {
    let r = this.rows.get(w.id);
    if (!r) {
      r = new Float32Array(this.capacity).fill(NaN);
      this.rows.set(w.id, r);
    }
    return r;
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
