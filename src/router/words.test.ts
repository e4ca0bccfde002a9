import { describe, expect, it } from 'vitest';
import { WordVectorTable } from './word-vectors.js';
import { WordMatcher } from './words.js';

/** Table bytes in the format of scripts/build-word-vectors.mjs (docs/ROUTING.md). */
function tableBytes(words: readonly string[], vectors: readonly number[][]): Uint8Array {
  const enc = new TextEncoder();
  const dims = vectors[0]?.length ?? 0;
  const wordsRaw = enc.encode(words.join('\n'));
  const wordsBytes = wordsRaw.length + ((4 - (wordsRaw.length % 4)) % 4);
  let header = JSON.stringify({
    format: 1,
    dims,
    count: words.length,
    quantization: 'int8',
    source: 'test',
    wordsBytes,
  });
  header += ' '.repeat((4 - (header.length % 4)) % 4);
  const headerRaw = enc.encode(header);
  const buf = new Uint8Array(8 + headerRaw.length + wordsBytes + words.length * (8 + dims));
  const view = new DataView(buf.buffer);
  buf.set(enc.encode('ATWV'), 0);
  view.setUint32(4, headerRaw.length, true);
  let off = 8 + headerRaw.length;
  buf.set(headerRaw, 8);
  buf.set(wordsRaw, off);
  buf.fill(10, off + wordsRaw.length, off + wordsBytes);
  off += wordsBytes;
  words.forEach((_, i) => view.setUint32(off + i * 4, 1000 + i, true));
  off += words.length * 8; // ranks, then scales (unused for directions)
  vectors.forEach((v, i) => {
    const max = Math.max(...v.map(Math.abs)) || 1;
    v.forEach((x, d) => view.setInt8(off + i * dims + d, Math.round((x / max) * 127)));
  });
  return buf;
}

/** Five words in four dimensions: cat and kitten close, dog in between, car and truck apart. */
function matcher(): WordMatcher {
  return new WordMatcher(
    WordVectorTable.fromBytes(
      tableBytes(
        ['cat', 'kitten', 'dog', 'car', 'truck'],
        [
          [1, 0.1, 0, 0],
          [0.95, 0.2, 0, 0],
          [0.7, 0.7, 0, 0],
          [0, 0, 1, 0.1],
          [0, 0, 0.9, 0.4],
        ],
      ),
    ),
  );
}

describe('WordMatcher.forQuery', () => {
  it('gives the same similarities as similarity(), query after query', () => {
    const m = matcher();
    const cat = m.word('cat');
    const kitten = m.word('kitten');
    const dog = m.word('dog');
    const car = m.word('car');
    const truck = m.word('truck');
    const all = [cat, kitten, dog, car, truck];
    for (const query of [
      [cat, car],
      [car, dog],
      [cat, car],
    ]) {
      const sims = m.forQuery(query);
      query.forEach((q, row) => {
        for (const w of all) expect(sims.get(row, w)).toBeCloseTo(m.similarity(q, w), 6);
      });
    }
    expect(m.similarity(cat, kitten)).toBeGreaterThan(0.9);
    expect(m.similarity(cat, truck)).toBe(0);
  });

  it('takes a stand-in when it matches better, scaled by its weight, and only for its own row', () => {
    const m = matcher();
    const cat = m.word('cat');
    const kitten = m.word('kitten');
    const car = m.word('car');
    const truck = m.word('truck');
    const sims = m.forQuery([car, cat], [[kitten], []], 0.5);
    expect(sims.get(0, cat)).toBeCloseTo(0.5 * m.similarity(kitten, cat), 6);
    expect(sims.get(0, truck)).toBeCloseTo(m.similarity(car, truck), 6);
    expect(sims.get(1, car)).toBe(0);
    // The kept rows do not leak a stand-in into a later query without it.
    expect(m.forQuery([car]).get(0, cat)).toBe(0);
  });

  it('answers for words interned after the query started', () => {
    const m = matcher();
    const cat = m.word('cat');
    const sims = m.forQuery([cat]);
    const late = m.word('kitten');
    expect(sims.get(0, late)).toBeCloseTo(m.similarity(cat, late), 6);
  });

  it('gives a word the table lacks the vector of its base form ("kittens" → kitten)', () => {
    const m = matcher();
    const kittens = m.word('kittens');
    expect(kittens.known).toBe(true);
    expect(m.similarity(kittens, m.word('cat'))).toBeCloseTo(
      m.similarity(m.word('kitten'), m.word('cat')),
      6,
    );
    expect(m.word('truckers').known).toBe(false);
  });
});
