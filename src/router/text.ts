/**
 * Text handling shared by the embedder, the lexical index and intent analysis: normalization,
 * tokenization, stop words and a light stemmer. English only; everything here is pure.
 */

/** Lowercases, strips diacritics, splits identifiers (`turn_on`, `getStatus`, `a/b`) into words. */
export function normalizeText(text: string): string {
  // eslint-disable-next-line no-control-regex -- the ASCII range itself
  const ascii = !/[^\x00-\x7f]/.test(text);
  const spaced = text.replace(/([a-z])([A-Z])/g, '$1 $2');
  return (ascii ? spaced : spaced.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''))
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/n't\b/g, ' not')
    .replace(/'(s|re|ll|d|ve|m)\b/g, '');
}

/** The words of a text, in order: runs of ASCII letters and digits. */
export function tokenize(text: string): string[] {
  return normalizeText(text).match(/[a-z0-9]+/g) ?? [];
}

/**
 * Function words that carry no topic. Particles that change an action (`on`, `off`, `up`, `down`,
 * `in`, `out`) are stop words for topic matching but are kept by `tokenize` for tool selection.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a an the and or but nor so yet if then else than that this these those there here
   i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself
   she her hers herself it its itself they them their theirs themselves one ones
   am is are was were be been being do does did doing done have has had having
   will would shall should can could may might must ought
   of to in on at by for with about against between into through during before after above below
   from up down out off over under again further once just also too very only own same such
   what which who whom whose when where why how whether
   all any both each few more most other some no not nothing none every
   please pls plz thanks thank thx hey hi hello ok okay yes yeah
   now right really actually maybe still even much many lot lots bit kind sort thing things stuff
   let get got gets getting go going gonna wanna want need like
   s t d ll m re ve`
    .split(/\s+/)
    .filter(Boolean),
);

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** Content words: tokens that are not stop words. */
export function contentWords(text: string): string[] {
  return tokenize(text).filter((w) => !STOP_WORDS.has(w));
}

/**
 * A light English stemmer for lexical matching (`lights` → `light`, `opened` → `open`,
 * `batteries` → `battery`, `running` → `run`). It only conflates; it never has to produce a word.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|us|is)$/.test(w)) {
    // glass, status, analysis: not plurals
  } else if (/(ches|shes|xes|sses|zes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith('ed') && !w.endsWith('eed')) w = undouble(w.slice(0, -2));
  else if (w.length > 6 && w.endsWith('ly')) w = w.slice(0, -2); // not likely → like, family → fami
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  return /([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w) ? w.slice(0, -1) : w;
}

/** Damerau-Levenshtein distance (optimal string alignment), stopping early above `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}
