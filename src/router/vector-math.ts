/** Dot products on the routing hot paths (stage 1's scan over the index, word similarity). Pure. */

/**
 * The dot product of `n` values of `a` from `aOffset` and of `b` from `bOffset`, unrolled by four
 * (independent sums let the CPU overlap the multiplies).
 */
export function dotAt(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, n: number): number {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  const tail = n - (n % 4);
  for (let d = 0; d < tail; d += 4) {
    d0 += (a[aOffset + d] as number) * (b[bOffset + d] as number);
    d1 += (a[aOffset + d + 1] as number) * (b[bOffset + d + 1] as number);
    d2 += (a[aOffset + d + 2] as number) * (b[bOffset + d + 2] as number);
    d3 += (a[aOffset + d + 3] as number) * (b[bOffset + d + 3] as number);
  }
  for (let d = tail; d < n; d++) d0 += (a[aOffset + d] as number) * (b[bOffset + d] as number);
  return d0 + d1 + d2 + d3;
}
