/**
 * Pure geometry for `phone/location`: great-circle distance (haversine), the geofence state
 * machine (an event only when a fence's inside/outside state changes; the first fix for a fence
 * sets its state silently) and the movement throttle of `location_changed`.
 */

export interface LatLon {
  readonly latitude: number;
  readonly longitude: number;
}

/** A circle the owner draws around a place; `enter`/`exit` fire when the phone crosses it. */
export interface Geofence extends LatLon {
  readonly name: string;
  readonly radiusM: number;
}

export interface GeofenceEvent {
  readonly fence: string;
  readonly event: 'enter' | 'exit';
  readonly latitude: number;
  readonly longitude: number;
  /** Distance from the fence's centre, metres. */
  readonly distanceM: number;
}

/** Mean Earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6_371_008.8;

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Distance along the Earth's surface between two points, metres. */
export function haversineM(a: LatLon, b: LatLon): number {
  const dLat = toRadians(b.latitude - a.latitude);
  const dLon = toRadians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(a.latitude)) * Math.cos(toRadians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

const fenceKey = (f: Geofence): string =>
  `${f.name}\u0000${f.latitude}\u0000${f.longitude}\u0000${f.radiusM}`;

/**
 * Knows, for each fence, whether the phone was last inside. `update` returns the crossings a new
 * fix makes; a fence seen for the first time (or redrawn) only records where the phone is.
 */
export class GeofenceTracker {
  private fences: readonly Geofence[] = [];
  /** Inside (true) or outside (false), by fence key; absent until the first fix. */
  private readonly inside = new Map<string, boolean>();

  constructor(fences: readonly Geofence[] = []) {
    this.setFences(fences);
  }

  /** Replaces the fences: unchanged ones keep their state, new or changed ones start unknown. */
  setFences(fences: readonly Geofence[]): void {
    this.fences = [...fences];
    const keep = new Set(this.fences.map(fenceKey));
    for (const key of [...this.inside.keys()]) if (!keep.has(key)) this.inside.delete(key);
  }

  update(position: LatLon): GeofenceEvent[] {
    const events: GeofenceEvent[] = [];
    for (const fence of this.fences) {
      const key = fenceKey(fence);
      const distanceM = haversineM(fence, position);
      const nowInside = distanceM <= fence.radiusM;
      const wasInside = this.inside.get(key);
      this.inside.set(key, nowInside);
      if (wasInside === undefined || wasInside === nowInside) continue;
      events.push({
        fence: fence.name,
        event: nowInside ? 'enter' : 'exit',
        latitude: position.latitude,
        longitude: position.longitude,
        distanceM: Math.round(distanceM),
      });
    }
    return events;
  }
}

export interface MovementThrottleInit {
  /** Report again after moving this far. Default 50 m. */
  readonly minDistanceM?: number;
  /** Report again after this long, moved or not. Default 60 s. */
  readonly minIntervalMs?: number;
}

/** Decides which fixes become `location_changed`: the first, then after 50 m moved or 60 s passed. */
export class MovementThrottle {
  private readonly minDistanceM: number;
  private readonly minIntervalMs: number;
  private last: { position: LatLon; atMs: number } | null = null;

  constructor(init: MovementThrottleInit = {}) {
    this.minDistanceM = init.minDistanceM ?? 50;
    this.minIntervalMs = init.minIntervalMs ?? 60_000;
  }

  /** Whether this fix should be reported; a reported fix becomes the one the next is measured from. */
  accept(position: LatLon, atMs: number): boolean {
    const last = this.last;
    const report =
      last === null ||
      atMs - last.atMs >= this.minIntervalMs ||
      haversineM(last.position, position) >= this.minDistanceM;
    if (report) this.last = { position, atMs };
    return report;
  }
}
