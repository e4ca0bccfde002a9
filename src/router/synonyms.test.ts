import { describe, expect, it } from 'vitest';
import { rewritePhrases } from './synonyms.js';

describe('multi-word expressions', () => {
  it('rewrites an expression to one word, whatever its case', () => {
    expect(rewritePhrases('Come up with a name')).toBe('brainstorm a name');
    expect(rewritePhrases('say it out loud')).toBe('say it aloud');
  });

  it('turns "read ... aloud" into speaking, keeping what is read', () => {
    expect(rewritePhrases('read this page out loud')).toBe('speak this page aloud');
  });

  it('leaves the words alone inside other words', () => {
    expect(rewritePhrases('a lookup table')).toBe('a lookup table');
  });
});
