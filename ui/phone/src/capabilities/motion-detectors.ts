/**
 * Pure detectors for `phone/motion`, fed with accelerometer readings (m/s², gravity included):
 * a shake is several sharp peaks within a second, then a pause before the next can fire; the
 * orientation is portrait or landscape from where gravity pulls, reported only when it changes.
 */

export interface Vector3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** Standard gravity, m/s². */
export const GRAVITY_MPS2 = 9.80665;

export const magnitude = (v: Vector3): number => Math.hypot(v.x, v.y, v.z);

export interface ShakeDetectorInit {
  /** A peak is a reading whose magnitude rises above this (gravity included). Default 25 m/s² (~2.5 g). */
  readonly thresholdMps2?: number;
  /** Peaks needed within `windowMs`. Default 3. */
  readonly peaks?: number;
  /** Default 1000 ms. */
  readonly windowMs?: number;
  /** After a shake, readings are ignored this long (debounce). Default 1500 ms. */
  readonly cooldownMs?: number;
}

export interface Shake {
  readonly peaks: number;
  /** The strongest reading among the peaks, m/s². */
  readonly maxAccelerationMps2: number;
}

/** Counts rising edges over the threshold; enough of them within the window make a shake. */
export class ShakeDetector {
  private readonly thresholdMps2: number;
  private readonly peaksNeeded: number;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private peaks: { atMs: number; mps2: number }[] = [];
  private above = false;
  private quietUntilMs = -Infinity;

  constructor(init: ShakeDetectorInit = {}) {
    this.thresholdMps2 = init.thresholdMps2 ?? 25;
    this.peaksNeeded = init.peaks ?? 3;
    this.windowMs = init.windowMs ?? 1000;
    this.cooldownMs = init.cooldownMs ?? 1500;
  }

  /** Feeds one reading; returns the shake it completes, or null. */
  update(reading: Vector3, atMs: number): Shake | null {
    const mps2 = magnitude(reading);
    const isAbove = mps2 > this.thresholdMps2;
    const risingEdge = isAbove && !this.above;
    this.above = isAbove;
    if (atMs < this.quietUntilMs) return null;
    this.peaks = this.peaks.filter((p) => atMs - p.atMs <= this.windowMs);
    if (risingEdge) this.peaks.push({ atMs, mps2 });
    else if (isAbove && this.peaks.length > 0) {
      // the same peak goes on: keep its strongest reading
      const current = this.peaks[this.peaks.length - 1]!;
      current.mps2 = Math.max(current.mps2, mps2);
    }
    if (this.peaks.length < this.peaksNeeded) return null;
    const shake = {
      peaks: this.peaks.length,
      maxAccelerationMps2: Math.max(...this.peaks.map((p) => p.mps2)),
    };
    this.peaks = [];
    this.quietUntilMs = atMs + this.cooldownMs;
    return shake;
  }
}

export type Orientation = 'portrait' | 'landscape';

export interface OrientationDetectorInit {
  /** A new orientation counts once it has held this long. Default 500 ms. */
  readonly settleMs?: number;
}

/**
 * Portrait when gravity pulls mostly along the screen's long axis (y), landscape along x; flat on a
 * table or in between is neither, and keeps the last orientation. The first orientation is only
 * recorded; `update` returns an orientation when it changes from a known one.
 */
export class OrientationDetector {
  private readonly settleMs: number;
  private current: Orientation | null = null;
  private candidate: { orientation: Orientation; sinceMs: number } | null = null;

  constructor(init: OrientationDetectorInit = {}) {
    this.settleMs = init.settleMs ?? 500;
  }

  get orientation(): Orientation | null {
    return this.current;
  }

  update(gravity: Vector3, atMs: number): Orientation | null {
    const seen = orientationOf(gravity);
    if (seen === null) return null;
    if (seen === this.current) {
      this.candidate = null;
      return null;
    }
    if (this.candidate?.orientation !== seen) {
      this.candidate = { orientation: seen, sinceMs: atMs };
    }
    if (atMs - this.candidate.sinceMs < this.settleMs) return null;
    const previous = this.current;
    this.current = seen;
    this.candidate = null;
    return previous === null ? null : seen;
  }
}

/** The orientation gravity shows, or null when the phone lies flat or is held at a diagonal. */
export function orientationOf(gravity: Vector3): Orientation | null {
  const ax = Math.abs(gravity.x);
  const ay = Math.abs(gravity.y);
  // lying (nearly) flat: the screen's plane holds less than half of gravity
  if (Math.hypot(ax, ay) < GRAVITY_MPS2 / 2) return null;
  if (ay > ax * 1.5) return 'portrait';
  if (ax > ay * 1.5) return 'landscape';
  return null;
}
