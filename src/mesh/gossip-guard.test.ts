import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { MeshCounters, ReplayGuard } from './gossip-guard.js';

const base = { originId: 'n1', meshId: 'm', type: 'heartbeat', seq: 1, timestampMs: 10_000, ttlMs: 5_000 };

describe('ReplayGuard', () => {
  it('calls a message stale past its TTL or too far in the future', () => {
    const clock = new ManualClock(12_000);
    const guard = new ReplayGuard({ clock }, { maxClockSkewMs: 1_000 });
    expect(guard.isStale(base)).toBe(false);
    clock.set(15_001);
    expect(guard.isStale(base)).toBe(true);
    clock.set(8_999);
    expect(guard.isStale(base)).toBe(true);
    clock.set(9_000);
    expect(guard.isStale(base)).toBe(false);
  });

  it('accepts only messages newer than the last one from the same origin, mesh and type', () => {
    const guard = new ReplayGuard({ clock: new ManualClock(0) });
    expect(guard.accept(base)).toBe(true);
    expect(guard.accept(base)).toBe(false);
    expect(guard.accept({ ...base, seq: 0 })).toBe(false);
    expect(guard.accept({ ...base, seq: 2 })).toBe(true);
    // a restarted origin counts from 0 again, but its clock moved on
    expect(guard.accept({ ...base, seq: 0, timestampMs: 10_001 })).toBe(true);
    expect(guard.accept({ ...base, type: 'announce' })).toBe(true);
    expect(guard.accept({ ...base, originId: 'n2' })).toBe(true);
    guard.forgetOrigin('n1');
    expect(guard.accept(base)).toBe(true);
  });

  it('forgets the oldest origins beyond its bound', () => {
    const guard = new ReplayGuard({ clock: new ManualClock(0) }, { maxTracked: 2 });
    guard.accept({ ...base, originId: 'a' });
    guard.accept({ ...base, originId: 'b' });
    guard.accept({ ...base, originId: 'c' });
    expect(guard.accept({ ...base, originId: 'a' })).toBe(true);
    expect(guard.accept({ ...base, originId: 'c' })).toBe(false);
  });
});

describe('MeshCounters', () => {
  it('counts drops by reason', () => {
    const counters = new MeshCounters();
    counters.drop('stale');
    counters.drop('stale');
    counters.drop('replayed');
    expect(counters.snapshot().dropped).toMatchObject({ stale: 2, replayed: 1, malformed: 0 });
  });
});
