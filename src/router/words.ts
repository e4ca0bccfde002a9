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

/**
 * A kept row of similarities, indexed by word id: a word's own (rounded to float32), or a word's
 * with stand-ins (the best of its own and a stand-in's × the stand-in weight, exactly as computed).
 * One array type for both, so the scoring loops read one kind of array.
 */
export type SimilarityRow = Float64Array;

/** Similarities of a few query words against any word, memoized across queries. */
export interface QuerySimilarities {
  /**
   * One row per query word: its similarity to the word of each id — or, when higher, a stand-in's
   * scaled by the stand-in weight — NaN until computed. Read `rows[row][w.id]` and call `fill` when
   * it is not a number (`similarityOf` does both).
   */
  readonly rows: readonly SimilarityRow[];
  /** Computes `rows[row][w.id]` (stores it when the row is long enough) and returns it. */
  fill(row: number, w: WordInfo): number;
  /** Similarity of query word number `row` to `w`. */
  get(row: number, w: WordInfo): number;
}

/** `sims.get(row, w)` without a call on the common path (the value is kept). */
export function similarityOf(sims: QuerySimilarities, row: number, w: WordInfo): number {
  const s = (sims.rows[row] as SimilarityRow)[w.id] as number;
  // NaN (not yet computed) and undefined (a word interned after the query began) fail this.
  return s >= 0 ? s : sims.fill(row, w);
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

/** Endings tried, in order, on a word the table does not know: [ending, replacement]. */
const INFLECTIONS: readonly (readonly [string, string])[] = [
  ['ies', 'y'],
  ['ied', 'y'],
  ['es', ''],
  ['s', ''],
  ['ed', ''],
  ['ed', 'e'],
  ['ing', ''],
  ['ing', 'e'],
];

/**
 * The table index of a word, or of its base form when the table only knows that ("overheats" →
 * overheat): the 100,000-word table holds the common inflections, not every one. -1 when neither.
 */
function baseFormIndex(table: WordVectorTable, text: string): number {
  const index = table.indexOf(text);
  if (index >= 0 || text.length < 5 || /\d/.test(text)) return index;
  for (const [ending, replacement] of INFLECTIONS) {
    if (!text.endsWith(ending) || text.length - ending.length < 3) continue;
    const base = table.indexOf(text.slice(0, -ending.length) + replacement);
    if (base >= 0) return base;
  }
  return -1;
}

const NO_WORDS: readonly WordInfo[] = [];

/** Similarity cells kept across queries (16 MB of `Float64Array`): rows are dropped beyond it. */
const MAX_SIMILARITY_CELLS = 2_000_000;

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
  private readonly rows = new Map<number | string, SimilarityRow>();
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
      const index = this.table ? baseFormIndex(this.table, text) : -1;
      const known = index >= 0;
      // A number says little; a word with digits in it ("401k", "mp3") as much as any word.
      const weight = /^\d+$/.test(text)
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
    if ((this.rows.size + words.length) * cap > MAX_SIMILARITY_CELLS) this.rows.clear();
    const alts = words.map((_, i) => alternatives[i] ?? NO_WORDS);
    const rows = words.map((w, i) => this.row(w, alts[i] as readonly WordInfo[], alternativeWeight));
    const fill = (row: number, w: WordInfo): number => {
      const q = words[row] as WordInfo;
      const qAlts = alts[row] as readonly WordInfo[];
      let s = Math.fround(computeSimilarity(q, w));
      if (s < 1)
        for (const a of qAlts) {
          const t = Math.fround(computeSimilarity(a, w)) * alternativeWeight;
          if (t > s) s = t;
        }
      if (w.id < cap) (rows[row] as SimilarityRow)[w.id] = s;
      return s;
    };
    const sims: QuerySimilarities = { rows, fill, get: (row, w) => similarityOf(sims, row, w) };
    return sims;
  }

  /**
   * The kept similarity row of `w` with its stand-ins `alts` at `weight` (created empty, all NaN):
   * a word's similarities never change, and neither do its stand-ins', so a row is kept per word
   * and set of stand-ins.
   */
  private row(w: WordInfo, alts: readonly WordInfo[], weight: number): SimilarityRow {
    const key = alts.length === 0 ? w.id : `${w.id}|${weight}|${alts.map((a) => a.id).join(',')}`;
    let r = this.rows.get(key);
    if (!r) {
      r = new Float64Array(this.capacity).fill(NaN);
      this.rows.set(key, r);
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
