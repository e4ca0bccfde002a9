import { describe, expect, it } from 'vitest';
import { WordVectorTable, WordVectorTableError } from './word-vectors.js';

/** Builds table bytes in the file format of scripts/build-word-vectors.mjs. */
export function tableBytes(
  words: readonly string[],
  vectors: readonly number[][],
  dims = vectors[0]?.length ?? 0,
): Uint8Array {
  const enc = new TextEncoder();
  const wordsRaw = enc.encode(words.join('\n'));
  const wordsBytes = wordsRaw.length + ((4 - (wordsRaw.length % 4)) % 4);
  let header = JSON.stringify({
    format: 1,
    dims,
    count: words.length,
    quantization: 'int8-per-vector-scale',
    source: 'test',
    wordsBytes,
  });
  header += ' '.repeat((4 - (enc.encode(header).length % 4)) % 4);
  const headerRaw = enc.encode(header);
  const total = 8 + headerRaw.length + wordsBytes + words.length * 8 + words.length * dims;
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  buf.set(enc.encode('ATWV'), 0);
  view.setUint32(4, headerRaw.length, true);
  let off = 8;
  buf.set(headerRaw, off);
  off += headerRaw.length;
  buf.set(wordsRaw, off);
  buf.fill(10, off + wordsRaw.length, off + wordsBytes);
  off += wordsBytes;
  words.forEach((_, i) => view.setUint32(off + i * 4, i * 10, true));
  off += words.length * 4;
  const scalesOff = off;
  off += words.length * 4;
  vectors.forEach((v, i) => {
    const max = Math.max(...v.map(Math.abs)) || 1;
    view.setFloat32(scalesOff + i * 4, max / 127, true);
    v.forEach((x, d) => view.setInt8(off + i * dims + d, Math.round((x / max) * 127)));
  });
  return buf;
}

describe('WordVectorTable', () => {
  const bytes = tableBytes(
    ['cold', 'chilly', 'bicycle'],
    [
      [1, 0.1, 0],
      [0.9, 0.2, 0.1],
      [0, 0, 1],
    ],
  );

  it('looks words up and gives unit vectors in their original directions', () => {
    const t = WordVectorTable.fromBytes(bytes);
    expect(t.count).toBe(3);
    expect(t.dims).toBe(3);
    expect(t.indexOf('chilly')).toBe(1);
    expect(t.indexOf('warm')).toBe(-1);
    expect(t.rank(2)).toBe(20);
    const cold = t.unitVector(0);
    const norm = Math.hypot(...cold);
    expect(norm).toBeCloseTo(1, 5);
    const dot = (a: Float32Array, b: Float32Array): number =>
      a.reduce((s, x, i) => s + x * (b[i] as number), 0);
    expect(dot(cold, t.unitVector(1))).toBeGreaterThan(dot(cold, t.unitVector(2)));
  });

  it('rejects a file that is not a table', () => {
    expect(() => WordVectorTable.fromBytes(new TextEncoder().encode('{"not": "a table"}'))).toThrow(
      WordVectorTableError,
    );
  });

  it('rejects a truncated table', () => {
    expect(() => WordVectorTable.fromBytes(bytes.subarray(0, bytes.length - 5))).toThrow(
      /expected \d+ bytes/,
    );
  });
});
