import { describe, expect, it } from 'vitest';
import { GeofenceTracker, MovementThrottle, haversineM } from './geo.js';

const home = { name: 'home', latitude: 52.52, longitude: 13.405, radiusM: 100 };
/** A point `metres` north of `from`. */
const north = (from: { latitude: number; longitude: number }, metres: number) => ({
  latitude: from.latitude + metres / 111_195,
  longitude: from.longitude,
});

describe('haversineM', () => {
  it('measures Berlin to Paris as about 878 km', () => {
    const d = haversineM({ latitude: 52.52, longitude: 13.405 }, { latitude: 48.8566, longitude: 2.3522 });
    expect(d / 1000).toBeGreaterThan(875);
    expect(d / 1000).toBeLessThan(880);
  });

  it('is zero for the same point and symmetric', () => {
    const a = { latitude: -33.8688, longitude: 151.2093 };
    const b = { latitude: 35.6762, longitude: 139.6503 };
    expect(haversineM(a, a)).toBe(0);
    expect(haversineM(a, b)).toBeCloseTo(haversineM(b, a), 6);
  });

  it('measures one degree of latitude as about 111 km', () => {
    expect(haversineM({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 })).toBeCloseTo(111_195, -1);
  });
});

describe('GeofenceTracker', () => {
  it('sets the state silently on the first fix, even inside the fence', () => {
    const tracker = new GeofenceTracker([home]);
    expect(tracker.update(home)).toEqual([]);
  });

  it('fires exit and enter only when the state changes', () => {
    const tracker = new GeofenceTracker([home]);
    tracker.update(north(home, 10));
    expect(tracker.update(north(home, 50))).toEqual([]);
    const [exit, ...rest] = tracker.update(north(home, 300));
    expect(rest).toEqual([]);
    expect(exit).toMatchObject({ fence: 'home', event: 'exit' });
    expect(exit?.distanceM).toBeGreaterThan(295);
    expect(exit?.distanceM).toBeLessThan(305);
    expect(tracker.update(north(home, 400))).toEqual([]);
    expect(tracker.update(north(home, 20))).toMatchObject([{ fence: 'home', event: 'enter' }]);
    expect(tracker.update(north(home, 30))).toEqual([]);
  });

  it('reports the position of the crossing fix', () => {
    const tracker = new GeofenceTracker([home]);
    tracker.update(north(home, 500));
    const inside = north(home, 5);
    expect(tracker.update(inside)).toEqual([
      { fence: 'home', event: 'enter', latitude: inside.latitude, longitude: inside.longitude, distanceM: 5 },
    ]);
  });

  it('keeps the state of unchanged fences and starts new or redrawn ones silently', () => {
    const work = { name: 'work', latitude: 52.5, longitude: 13.3, radiusM: 200 };
    const tracker = new GeofenceTracker([home]);
    tracker.update(home);
    tracker.setFences([home, work]);
    expect(tracker.update(work)).toMatchObject([{ fence: 'home', event: 'exit' }]);
    // redrawn around where the phone is: no event for the new circle
    tracker.setFences([{ ...home, latitude: work.latitude, longitude: work.longitude }, work]);
    expect(tracker.update(work)).toEqual([]);
    expect(tracker.update(north(work, 5000))).toMatchObject([
      { fence: 'home', event: 'exit' },
      { fence: 'work', event: 'exit' },
    ]);
  });

  it('forgets removed fences', () => {
    const tracker = new GeofenceTracker([home]);
    tracker.update(home);
    tracker.setFences([]);
    expect(tracker.update(north(home, 1000))).toEqual([]);
    tracker.setFences([home]);
    expect(tracker.update(home)).toEqual([]);
  });
});

describe('MovementThrottle', () => {
  it('reports the first fix, then after 50 m moved or 60 s passed', () => {
    const throttle = new MovementThrottle();
    const start = { latitude: 10, longitude: 10 };
    expect(throttle.accept(start, 0)).toBe(true);
    expect(throttle.accept(north(start, 20), 1_000)).toBe(false);
    expect(throttle.accept(north(start, 49), 2_000)).toBe(false);
    expect(throttle.accept(north(start, 60), 3_000)).toBe(true);
    // measured from the last reported fix
    expect(throttle.accept(north(start, 100), 4_000)).toBe(false);
    expect(throttle.accept(north(start, 100), 63_000)).toBe(true);
  });
});
