import { describe, expect, it } from 'vitest';
import { GRAVITY_MPS2, OrientationDetector, ShakeDetector, orientationOf } from './motion-detectors.js';

const still = { x: 0, y: 0, z: GRAVITY_MPS2 };
const jolt = (mps2: number) => ({ x: mps2, y: 0, z: 0 });

/** Readings at 50 Hz: a jolt for two samples, then rest, `count` times `gapMs` apart. */
function shake(detector: ShakeDetector, startMs: number, count: number, gapMs: number, mps2 = 30) {
  const found = [];
  for (let i = 0; i < count; i++) {
    const t = startMs + i * gapMs;
    for (const [dt, reading] of [
      [0, jolt(mps2)],
      [20, jolt(mps2 + 2)],
      [40, still],
    ] as const) {
      const result = detector.update(reading, t + dt);
      if (result !== null) found.push({ atMs: t + dt, ...result });
    }
  }
  return found;
}

describe('ShakeDetector', () => {
  it('detects three sharp peaks within a second', () => {
    const found = shake(new ShakeDetector(), 0, 3, 200);
    expect(found).toEqual([{ atMs: 400, peaks: 3, maxAccelerationMps2: 32 }]);
  });

  it('counts a peak that lasts several readings once', () => {
    const detector = new ShakeDetector();
    for (let t = 0; t < 200; t += 20) expect(detector.update(jolt(30), t)).toBeNull();
  });

  it('ignores peaks spread over more than a second', () => {
    expect(shake(new ShakeDetector(), 0, 6, 600)).toEqual([]);
  });

  it('ignores movement under the threshold', () => {
    expect(shake(new ShakeDetector(), 0, 10, 100, 15)).toEqual([]);
  });

  it('fires once per shake and again only after the cool-down', () => {
    const detector = new ShakeDetector();
    // a long vigorous shake, peaks every 150 ms for 3 s: quiet for 1.5 s after the first (until 1800)
    const found = shake(detector, 0, 20, 150);
    expect(found.map((f) => f.atMs)).toEqual([300, 2100]);
  });
});

describe('orientationOf', () => {
  it('reads portrait, landscape, and neither when flat or diagonal', () => {
    expect(orientationOf({ x: 0.3, y: 9.7, z: 1 })).toBe('portrait');
    expect(orientationOf({ x: -9.6, y: 0.8, z: 1.5 })).toBe('landscape');
    expect(orientationOf(still)).toBeNull();
    expect(orientationOf({ x: 6.5, y: 6.5, z: 2 })).toBeNull();
  });
});

describe('OrientationDetector', () => {
  const portrait = { x: 0, y: 9.8, z: 0 };
  const landscape = { x: 9.8, y: 0, z: 0 };

  it('records the first orientation silently and reports a change once it holds', () => {
    const detector = new OrientationDetector();
    expect(detector.update(portrait, 0)).toBeNull();
    expect(detector.update(portrait, 600)).toBeNull();
    expect(detector.orientation).toBe('portrait');
    expect(detector.update(landscape, 1000)).toBeNull();
    expect(detector.update(landscape, 1300)).toBeNull();
    expect(detector.update(landscape, 1500)).toBe('landscape');
    expect(detector.update(landscape, 2500)).toBeNull();
  });

  it('does not report a turn that does not hold, nor lying flat', () => {
    const detector = new OrientationDetector();
    detector.update(portrait, 0);
    detector.update(portrait, 500);
    expect(detector.update(landscape, 1000)).toBeNull();
    expect(detector.update(portrait, 1200)).toBeNull();
    expect(detector.update(landscape, 1400)).toBeNull();
    expect(detector.update(still, 2500)).toBeNull();
    expect(detector.orientation).toBe('portrait');
  });
});
