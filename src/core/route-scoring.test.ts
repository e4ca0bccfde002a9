import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE_WEIGHTS, scoreCandidates } from './index.js';

const intent = { text: 'turn off the kitchen light' };

describe('scoreCandidates', () => {
  it('ranks by semantic score when cost is unknown, and says cost counted as 0', () => {
    const out = scoreCandidates(intent, [
      { id: 'a', semanticScore: 0.5, threshold: 0.4 },
      { id: 'b', semanticScore: 0.9, threshold: 0.4 },
    ]);
    expect(out.map((c) => c.id)).toEqual(['b', 'a']);
    expect(out[0]?.score).toBeCloseTo(0.9);
    expect(out[0]?.reasons).toContain('cost unknown, counted as 0');
  });

  it('never puts a candidate that fails a hard constraint first, however well it matches', () => {
    const out = scoreCandidates(intent, [
      {
        id: 'revoked',
        semanticScore: 0.99,
        threshold: 0.4,
        constraints: [{ name: 'revocation', ok: false, reason: 'node revoked' }],
      },
      { id: 'ok', semanticScore: 0.5, threshold: 0.4, constraints: [{ name: 'revocation', ok: true }] },
    ]);
    expect(out[0]?.id).toBe('ok');
    expect(out[1]?.eligible).toBe(false);
    expect(out[1]?.reasons.join('; ')).toMatch(/constraint revocation failed: node revoked/);
  });

  it('marks a candidate below its threshold as not eligible', () => {
    const [c] = scoreCandidates(intent, [{ semanticScore: 0.3, threshold: 0.4 }]);
    expect(c?.eligible).toBe(false);
    expect(c?.reasons[0]).toMatch(/below threshold/);
  });

  it('lets a cheaper node win when the semantic scores are close', () => {
    const out = scoreCandidates(intent, [
      { id: 'busy-gpu', semanticScore: 0.82, threshold: 0.4, cost: 1.5 },
      { id: 'idle-gpu', semanticScore: 0.8, threshold: 0.4, cost: 0.2 },
    ]);
    expect(out[0]?.id).toBe('idle-gpu');
    expect(out[0]?.score).toBeCloseTo(0.8 - 0.2 * DEFAULT_ROUTE_WEIGHTS.cost);
  });

  it('ignores cost when its weight is 0', () => {
    const out = scoreCandidates(
      intent,
      [
        { id: 'busy', semanticScore: 0.82, threshold: 0.4, cost: 5 },
        { id: 'idle', semanticScore: 0.8, threshold: 0.4, cost: 0 },
      ],
      { semantic: 1, cost: 0 },
    );
    expect(out[0]?.id).toBe('busy');
  });

  it('keeps input order for ties and does not modify its input', () => {
    const input = [
      { id: 'first', semanticScore: 0.6, threshold: 0.4 },
      { id: 'second', semanticScore: 0.6, threshold: 0.4 },
    ];
    const copy = structuredClone(input);
    expect(scoreCandidates(intent, input).map((c) => c.id)).toEqual(['first', 'second']);
    expect(input).toEqual(copy);
  });

  it('treats a non-finite semantic score as 0', () => {
    const [c] = scoreCandidates(intent, [{ semanticScore: Number.NaN, threshold: 0.1 }]);
    expect(c?.score).toBe(0);
    expect(c?.eligible).toBe(false);
  });
});
