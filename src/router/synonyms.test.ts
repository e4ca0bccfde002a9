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

  it('reads a level raised or lowered as adjusting it, whatever the verb and the object', () => {
    expect(rewritePhrases('bump the thermostat up to 72')).toBe('adjust the thermostat  to 72');
    expect(rewritePhrases('turn up the heat')).toBe('adjust the heat');
    expect(rewritePhrases('turn the volume down a bit')).toBe('adjust the volume  a bit');
    expect(rewritePhrases('show up on time')).toBe('show up on time');
  });
});
