import { describe, expect, it } from 'vitest';
import { dotAt } from './vector-math.js';

describe('dotAt', () => {
  it('multiplies and sums the values at the given offsets, lengths not divisible by four included', () => {
    const a = new Float32Array([9, 1, 2, 3, 4, 5]);
    const b = new Float32Array([1, 1, 1, 1, 1, 2, 3, 4, 5, 6]);
    expect(dotAt(a, 1, b, 5, 5)).toBe(1 * 2 + 2 * 3 + 3 * 4 + 4 * 5 + 5 * 6);
    expect(dotAt(a, 0, b, 0, 3)).toBe(9 + 1 + 2);
    expect(dotAt(a, 0, b, 0, 0)).toBe(0);
  });
});
