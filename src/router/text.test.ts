import { describe, expect, it } from 'vitest';
import { contentWords, editDistance, normalizeText, stem, tokenize } from './text.js';

describe('text', () => {
  it('splits identifiers and strips diacritics and clitics', () => {
    expect(tokenize('turn_on getStatus')).toEqual(['turn', 'on', 'get', 'status']);
    expect(tokenize('Café crème')).toEqual(['cafe', 'creme']);
    expect(normalizeText("it's isn't")).toBe('it is not');
  });

  it('keeps content words only', () => {
    expect(contentWords('Turn off the kitchen lights, please')).toEqual(['turn', 'kitchen', 'lights']);
  });

  it('conflates plurals and verb forms without needing a real word', () => {
    expect(stem('lights')).toBe(stem('light'));
    expect(stem('batteries')).toBe(stem('battery'));
    expect(stem('opened')).toBe(stem('open'));
    expect(stem('running')).toBe(stem('run'));
    expect(stem('status')).toBe('status');
    expect(stem('quickly')).toBe(stem('quick'));
    // A short -ly word is its own word: likely is not like, family is not a plural of anything.
    expect(stem('likely')).not.toBe(stem('likes'));
    expect(stem('family')).toBe('family');
  });

  it('measures edit distance with transpositions, giving up above the limit', () => {
    expect(editDistance('frnt', 'front')).toBe(1);
    expect(editDistance('form', 'from')).toBe(1);
    expect(editDistance('kitchen', 'chicken', 2)).toBe(3);
  });
});
