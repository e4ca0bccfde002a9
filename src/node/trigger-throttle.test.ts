import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { TriggerThrottle } from './trigger-throttle.js';

describe('TriggerThrottle', () => {
  it('allows a burst, then refuses with the time until the next token', () => {
    const clock = new ManualClock(0);
    const throttle = new TriggerThrottle({ clock }, { burst: 3, perMinute: 6 });
    expect([1, 2, 3].map(() => throttle.take('sensor/door/opened').allowed)).toEqual([true, true, true]);
    const refused = throttle.take('sensor/door/opened');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(10_000);
  });

  it('earns tokens back at the sustained rate, never more than the burst', () => {
    const clock = new ManualClock(0);
    const throttle = new TriggerThrottle({ clock }, { burst: 2, perMinute: 60 });
    throttle.take('k');
    throttle.take('k');
    expect(throttle.take('k').allowed).toBe(false);
    clock.advance(999);
    expect(throttle.take('k').allowed).toBe(false);
    clock.advance(1);
    expect(throttle.take('k').allowed).toBe(true);
    clock.advance(60_000);
    expect(throttle.available('k')).toBe(2);
  });

  it('keeps one bucket per key', () => {
    const clock = new ManualClock(0);
    const throttle = new TriggerThrottle({ clock }, { burst: 1, perMinute: 1 });
    expect(throttle.take('sensor/door/opened').allowed).toBe(true);
    expect(throttle.take('sensor/door/opened').allowed).toBe(false);
    expect(throttle.take('sensor/door/closed').allowed).toBe(true);
  });

  it('forgets idle keys past its bound without forgiving a throttled one first', () => {
    const clock = new ManualClock(0);
    const throttle = new TriggerThrottle({ clock }, { burst: 1, perMinute: 1, maxKeys: 2 });
    throttle.take('busy');
    clock.advance(120_000);
    throttle.take('idle'); // 'busy' is full again by now
    throttle.take('hot');
    throttle.take('new');
    expect(throttle.take('hot').allowed).toBe(false);
  });
});
