import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { SeenIds } from './seen-ids.js';

describe('SeenIds', () => {
  it('accepts an id once and refuses it again until it expires', () => {
    const clock = new ManualClock(1_000);
    const seen = new SeenIds({ clock });
    expect(seen.add('a', 2_000)).toBe(true);
    expect(seen.add('a', 2_000)).toBe(false);
    expect(seen.has('a')).toBe(true);
    clock.advance(1_001);
    expect(seen.has('a')).toBe(false);
    expect(seen.add('a', 5_000)).toBe(true);
  });

  it('forgets the oldest ids first when it holds more than its bound', () => {
    const clock = new ManualClock(0);
    const seen = new SeenIds({ clock }, { maxEntries: 2 });
    seen.add('a', 10_000);
    seen.add('b', 10_000);
    seen.add('c', 10_000);
    expect(seen.size).toBe(2);
    expect(seen.has('a')).toBe(false);
    expect(seen.has('b')).toBe(true);
    expect(seen.has('c')).toBe(true);
  });

  it('drops expired ids before evicting live ones', () => {
    const clock = new ManualClock(0);
    const seen = new SeenIds({ clock }, { maxEntries: 2 });
    seen.add('old', 100);
    seen.add('live', 10_000);
    clock.advance(500);
    seen.add('new', 10_000);
    expect(seen.has('live')).toBe(true);
    expect(seen.has('new')).toBe(true);
  });
});
