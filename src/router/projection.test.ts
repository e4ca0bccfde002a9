import { describe, expect, it } from 'vitest';
import { principalDirections, project } from './projection.js';

/** `n` rows of `dims` that lie in the span of the first `rank` unit axes, deterministic. */
function lowRankRows(n: number, dims: number, rank: number): Float32Array {
  const m = new Float32Array(n * dims);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < rank; r++) m[i * dims + r] = Math.sin(i * 1.3 + r * 0.7) + 0.1 * r;
  return m;
}

/** `n` rows of `dims` pseudo-random values (a fixed linear congruential sequence). */
function randomRows(n: number, dims: number): Float32Array {
  let x = 12345;
  return Float32Array.from({ length: n * dims }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  });
}

describe('principal directions', () => {
  it('returns orthonormal rows', () => {
    const dims = 20;
    const p = principalDirections(randomRows(300, dims), 300, dims, 6);
    for (let a = 0; a < p.k; a++) {
      for (let b = 0; b < p.k; b++) {
        let dot = 0;
        for (let d = 0; d < dims; d++)
          dot += (p.basis[a * dims + d] as number) * (p.basis[b * dims + d] as number);
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 4);
      }
    }
  });

  it('keeps dot products of vectors that lie in the span it found', () => {
    const dims = 16;
    const n = 200;
    const m = lowRankRows(n, dims, 4);
    const p = principalDirections(m, n, dims, 4);
    const a = new Float32Array(p.k);
    const b = new Float32Array(p.k);
    project(p, m, 3 * dims, a, 0);
    project(p, m, 150 * dims, b, 0);
    let full = 0;
    for (let d = 0; d < dims; d++) full += (m[3 * dims + d] as number) * (m[150 * dims + d] as number);
    let projected = 0;
    for (let j = 0; j < p.k; j++) projected += (a[j] as number) * (b[j] as number);
    expect(projected).toBeCloseTo(full, 3);
  });

  it('caps the number of directions at the dimensions', () => {
    expect(principalDirections(randomRows(10, 5), 10, 5, 32).k).toBe(5);
  });
});
