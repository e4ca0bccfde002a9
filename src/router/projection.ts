/**
 * A low-dimensional projection of the index's vectors for stage 1 of routing: the top principal
 * directions of the capability vectors (uncentred, so dot products are what is kept), found by
 * subspace iteration. Projecting 100-d unit vectors onto 32 directions keeps most of what tells
 * capabilities apart and makes the scan over a large index three times cheaper. Stage 1 only
 * shortlists; stage 2 never sees the projection. Pure.
 */

/** Rows used to estimate the directions: an evenly spaced sample, so building stays cheap. */
const MAX_SAMPLE_ROWS = 2048;
const ITERATIONS = 24;

export interface Projection {
  /** Output dimensions. */
  readonly k: number;
  readonly dims: number;
  /** `k` orthonormal rows of `dims` values. */
  readonly basis: Float32Array;
}

/**
 * The top `k` directions of the `n` row vectors in `matrix` (row-major, `dims` wide). `k` is
 * capped at `dims`.
 */
export function principalDirections(matrix: Float32Array, n: number, dims: number, k: number): Projection {
  const kk = Math.min(k, dims);
  // Gram matrix of a sample of rows: G = Σ v vᵀ.
  const gram = new Float64Array(dims * dims);
  const step = Math.max(1, Math.floor(n / MAX_SAMPLE_ROWS));
  for (let i = 0; i < n; i += step) {
    const base = i * dims;
    for (let a = 0; a < dims; a++) {
      const va = matrix[base + a] as number;
      if (va === 0) continue;
      const row = a * dims;
      for (let b = 0; b < dims; b++)
        gram[row + b] = (gram[row + b] as number) + va * (matrix[base + b] as number);
    }
  }
  // Subspace iteration from a fixed start (deterministic): Q ← orth(G Q).
  let q = new Float64Array(kk * dims);
  for (let j = 0; j < kk; j++)
    for (let d = 0; d < dims; d++) q[j * dims + d] = Math.sin((j + 1) * (d + 1) * 0.7 + j);
  orthonormalize(q, kk, dims);
  const z = new Float64Array(kk * dims);
  for (let it = 0; it < ITERATIONS; it++) {
    z.fill(0);
    for (let j = 0; j < kk; j++) {
      const qj = j * dims;
      for (let a = 0; a < dims; a++) {
        let s = 0;
        const row = a * dims;
        for (let b = 0; b < dims; b++) s += (gram[row + b] as number) * (q[qj + b] as number);
        z[qj + a] = s;
      }
    }
    [q] = [Float64Array.from(z)];
    orthonormalize(q, kk, dims);
  }
  return { k: kk, dims, basis: Float32Array.from(q) };
}

/** Modified Gram-Schmidt on `k` rows of `dims`; a row that collapses is left at zero. */
function orthonormalize(rows: Float64Array, k: number, dims: number): void {
  for (let j = 0; j < k; j++) {
    const rj = j * dims;
    for (let i = 0; i < j; i++) {
      const ri = i * dims;
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += (rows[rj + d] as number) * (rows[ri + d] as number);
      for (let d = 0; d < dims; d++) rows[rj + d] = (rows[rj + d] as number) - dot * (rows[ri + d] as number);
    }
    let sq = 0;
    for (let d = 0; d < dims; d++) sq += (rows[rj + d] as number) ** 2;
    const inv = sq > 1e-12 ? 1 / Math.sqrt(sq) : 0;
    for (let d = 0; d < dims; d++) rows[rj + d] = (rows[rj + d] as number) * inv;
  }
}

/** Writes the projection of `v` (at `offset`, `dims` long) into `out` at `outOffset`. */
export function project(
  p: Projection,
  v: Float32Array,
  offset: number,
  out: Float32Array,
  outOffset: number,
): void {
  const { k, dims, basis } = p;
  for (let j = 0; j < k; j++) {
    let s = 0;
    const bj = j * dims;
    for (let d = 0; d < dims; d++) s += (basis[bj + d] as number) * (v[offset + d] as number);
    out[outOffset + j] = s;
  }
}
