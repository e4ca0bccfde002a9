/**
 * `phone/location` (`sensor/location`): `get_location` answers "where is my phone?"; while exposed
 * it watches the position and fires `location_changed` (after 50 m moved or 60 s passed) and
 * `geofence` (`enter`/`exit` of the owner's fences, priority high). Fences come from the settings
 * store; a change there applies at once, measured against the last fix.
 */
import { z } from 'zod';
import { AbortedError, ForbiddenError, TimeoutError, UnavailableError } from '../../../../src/core/index.js';
import type { AtmosphereError, Clock } from '../../../../src/core/index.js';
import type { PhoneCapability, PhoneCapabilitySpec, TriggerEmitter } from '../contract.js';
import type { PhoneSettingsStore } from '../settings.js';
import { GeofenceTracker, MovementThrottle } from './geo.js';
import type { MovementThrottleInit } from './geo.js';
import { parseArgs, throwIfAborted, toolSpecs, unknownTool } from './tools.js';

export const locationArgs = {
  get_location: z.strictObject({ maxAgeMs: z.number().int().min(0).max(86_400_000).optional() }),
};

/** One position fix. Fields the device does not know are null. */
export interface LocationFix {
  readonly latitude: number;
  readonly longitude: number;
  readonly accuracyM: number;
  readonly altitudeM: number | null;
  readonly headingDeg: number | null;
  readonly speedMps: number | null;
  readonly timestampMs: number;
}

export interface LocationCapabilityComponents {
  readonly geolocation: Geolocation | undefined;
  readonly settings: Pick<PhoneSettingsStore, 'get' | 'onChange'>;
  readonly clock: Clock;
}

export interface LocationCapabilityInit extends MovementThrottleInit {
  /** How long `get_location` waits for a fix. Default 20 s. */
  readonly fixTimeoutMs?: number;
  /** `get_location` reuses a fix this old when the caller gives no `maxAgeMs`. Default 30 s. */
  readonly defaultMaxAgeMs?: number;
}

const ID = 'phone/location';

const TOOLS = [
  {
    name: 'get_location',
    description:
      'Get the phone\'s current position (latitude, longitude, accuracy in metres). Use it for "where is my phone". maxAgeMs: a cached fix this old is fine (default 30000).',
    args: locationArgs.get_location,
  },
];

const finiteOrNull = (value: number | null): number | null =>
  value === null || !Number.isFinite(value) ? null : value;

export function fixOf(position: GeolocationPosition): LocationFix {
  const { coords } = position;
  return {
    latitude: coords.latitude,
    longitude: coords.longitude,
    accuracyM: coords.accuracy,
    altitudeM: finiteOrNull(coords.altitude),
    headingDeg: finiteOrNull(coords.heading),
    speedMps: finiteOrNull(coords.speed),
    timestampMs: position.timestamp,
  };
}

/** What a `GeolocationPositionError` means. */
export function geolocationError(error: GeolocationPositionError): AtmosphereError {
  switch (error.code) {
    case 1: // PERMISSION_DENIED
      return new ForbiddenError('the owner did not allow location on this phone', { cause: error });
    case 3: // TIMEOUT
      return new TimeoutError('the phone found no position in time', { cause: error });
    default:
      return new UnavailableError(`the phone cannot tell where it is: ${error.message || 'no position'}`, {
        cause: error,
      });
  }
}

export class LocationCapability implements PhoneCapability {
  readonly label = 'Location';
  readonly spec: PhoneCapabilitySpec = {
    id: ID,
    type: 'sensor/location',
    description:
      'The phone\'s position (GPS): answers "where is my phone?", reports when it moves and when it enters or leaves the owner\'s geofences.',
    tools: toolSpecs(TOOLS),
    triggers: [
      {
        name: 'location_changed',
        description: 'The phone moved at least 50 m, or a minute passed (its new position).',
        priority: 'normal',
      },
      {
        name: 'geofence',
        description:
          "The phone entered or left one of the owner's geofences (fence, enter or exit, position).",
        priority: 'high',
      },
    ],
    metadata: { platform: 'browser', device: 'phone' },
  };

  private readonly components: LocationCapabilityComponents;
  private readonly init: LocationCapabilityInit;

  constructor(components: LocationCapabilityComponents, init: LocationCapabilityInit = {}) {
    this.components = components;
    this.init = init;
  }

  async run(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown> {
    if (tool !== 'get_location')
      throw unknownTool(
        ID,
        tool,
        TOOLS.map((t) => t.name),
      );
    const parsed = parseArgs(ID, tool, locationArgs.get_location, args);
    return this.getLocation(parsed.maxAgeMs ?? this.init.defaultMaxAgeMs ?? 30_000, options.signal);
  }

  private getLocation(maxAgeMs: number, signal: AbortSignal): Promise<LocationFix> {
    throwIfAborted(signal, 'get_location');
    const { geolocation } = this.components;
    if (geolocation === undefined) {
      return Promise.reject(new UnavailableError('this browser has no location service'));
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void =>
        reject(new AbortedError('get_location was cancelled', { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      geolocation.getCurrentPosition(
        (position) => {
          signal.removeEventListener('abort', onAbort);
          resolve(fixOf(position));
        },
        (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(geolocationError(error));
        },
        { enableHighAccuracy: true, maximumAge: maxAgeMs, timeout: this.init.fixTimeoutMs ?? 20_000 },
      );
    });
  }

  watch(emit: TriggerEmitter): () => void {
    const { geolocation, settings, clock } = this.components;
    if (geolocation === undefined) return () => undefined;
    const tracker = new GeofenceTracker(settings.get().geofences);
    const throttle = new MovementThrottle(this.init);
    let last: LocationFix | null = null;
    const crossings = (fix: LocationFix): void => {
      for (const event of tracker.update(fix)) emit('geofence', event);
    };
    const watchId = geolocation.watchPosition(
      (position) => {
        const fix = fixOf(position);
        last = fix;
        if (throttle.accept(fix, clock.now())) emit('location_changed', fix);
        crossings(fix);
      },
      // a denied or lost position simply fires nothing; `get_location` reports the reason
      () => undefined,
      { enableHighAccuracy: true, maximumAge: 10_000 },
    );
    const unsubscribe = settings.onChange((next) => {
      tracker.setFences(next.geofences);
      if (last !== null) crossings(last);
    });
    return () => {
      unsubscribe();
      geolocation.clearWatch(watchId);
    };
  }
}
