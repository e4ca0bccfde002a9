import { describe, expect, it } from 'vitest';
import { matchesAnyGlob, matchesGlob } from './glob.js';

describe('owner globs', () => {
  it('matches model variants with a trailing star', () => {
    expect(matchesGlob('llama3.2:latest', 'llama3.2:*')).toBe(true);
    expect(matchesGlob('llama3.1:8b', 'llama3.2:*')).toBe(false);
  });

  it('treats dots and other regex characters literally', () => {
    expect(matchesGlob('llama3x2:1b', 'llama3.2:*')).toBe(false);
    expect(matchesGlob('a+b', 'a+b')).toBe(true);
  });

  it('matches across slashes and single characters with ?', () => {
    expect(matchesGlob('default/public-faq', 'default/public-*')).toBe(true);
    expect(matchesGlob('default/private-notes', 'default/public-*')).toBe(false);
    expect(matchesGlob('mesh-ab', 'mesh-a?')).toBe(true);
  });

  it('matches nothing with an empty list', () => {
    expect(matchesAnyGlob('anything', [])).toBe(false);
    expect(matchesAnyGlob('anything', ['*'])).toBe(true);
  });
});
