import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/index.js';
import type { TriggerEmitter } from '../contract.js';
import { MemoryStorage, PhoneSettingsStore } from '../settings.js';
import { LocationCapability } from './location.js';

const signal = (): AbortSignal => new AbortController().signal;

function position(latitude: number, longitude: number, timestamp = 5_000): GeolocationPosition {
  return {
    timestamp,
    coords: {
      latitude,
      longitude,
      accuracy: 12,
      altitude: null,
      altitudeAccuracy: null,
      heading: Number.NaN,
      speed: 0,
      toJSON: () => ({}),
    },
    toJSON: () => ({}),
  };
}

/** A geolocation the test moves by hand. */
class FakeGeolocation implements Geolocation {
  readonly requests: PositionOptions[] = [];
  watchers = new Map<number, PositionCallback>();
  answer: { position: GeolocationPosition } | { error: GeolocationPositionError } = {
    position: position(52.52, 13.405),
  };
  private nextId = 1;

  getCurrentPosition(
    success: PositionCallback,
    failure?: PositionErrorCallback | null,
    options?: PositionOptions,
  ) {
    this.requests.push(options ?? {});
    if ('position' in this.answer) success(this.answer.position);
    else failure?.(this.answer.error);
  }

  watchPosition(success: PositionCallback): number {
    const id = this.nextId++;
    this.watchers.set(id, success);
    return id;
  }

  clearWatch(id: number): void {
    this.watchers.delete(id);
  }

  move(latitude: number, longitude: number): void {
    for (const watcher of this.watchers.values()) watcher(position(latitude, longitude));
  }
}

const positionError = (code: number, message: string): GeolocationPositionError => ({
  code,
  message,
  PERMISSION_DENIED: 1,
  POSITION_UNAVAILABLE: 2,
  TIMEOUT: 3,
});

function setup() {
  const geolocation = new FakeGeolocation();
  const settings = new PhoneSettingsStore({ storage: new MemoryStorage() });
  const clock = new ManualClock(0);
  const capability = new LocationCapability({ geolocation, settings, clock });
  const events: [string, unknown][] = [];
  const emit: TriggerEmitter = (trigger, payload) => events.push([trigger, payload]);
  return { geolocation, settings, clock, capability, events, emit };
}

describe('phone/location', () => {
  it('answers get_location with the fix, unknown fields as null', async () => {
    const { geolocation, capability } = setup();
    expect(await capability.run('get_location', { maxAgeMs: 5_000 }, { signal: signal() })).toEqual({
      latitude: 52.52,
      longitude: 13.405,
      accuracyM: 12,
      altitudeM: null,
      headingDeg: null,
      speedMps: 0,
      timestampMs: 5_000,
    });
    expect(geolocation.requests[0]).toMatchObject({ maximumAge: 5_000, enableHighAccuracy: true });
  });

  it('reports a denied permission as forbidden and a lost position as unavailable', async () => {
    const { geolocation, capability } = setup();
    geolocation.answer = { error: positionError(1, 'User denied Geolocation') };
    await expect(capability.run('get_location', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'the owner did not allow location on this phone',
    });
    geolocation.answer = { error: positionError(2, 'no GPS signal') };
    await expect(capability.run('get_location', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('says so when the browser has no geolocation', async () => {
    const settings = new PhoneSettingsStore({ storage: new MemoryStorage() });
    const capability = new LocationCapability({ geolocation: undefined, settings, clock: new ManualClock() });
    await expect(capability.run('get_location', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('fires location_changed throttled and geofence on crossings while watched', () => {
    const { geolocation, settings, clock, capability, events, emit } = setup();
    settings.addGeofence({ name: 'home', latitude: 52.52, longitude: 13.405, radiusM: 100 });
    const stop = capability.watch(emit);
    geolocation.move(52.52, 13.405); // inside: sets the state silently
    clock.advance(5_000);
    geolocation.move(52.5201, 13.405); // 11 m: not reported
    clock.advance(5_000);
    geolocation.move(52.53, 13.405); // 1.1 km: reported, and left home
    expect(events.map(([name, payload]) => [name, (payload as { event?: string }).event])).toEqual([
      ['location_changed', undefined],
      ['location_changed', undefined],
      ['geofence', 'exit'],
    ]);
    expect(events[2]?.[1]).toMatchObject({
      fence: 'home',
      event: 'exit',
      latitude: 52.53,
      longitude: 13.405,
    });
    stop();
    expect(geolocation.watchers.size).toBe(0);
  });

  it('applies fence changes at once against the last fix, silently for a new fence', () => {
    const { geolocation, settings, capability, events, emit } = setup();
    capability.watch(emit);
    geolocation.move(52.52, 13.405);
    events.length = 0;
    settings.addGeofence({ name: 'home', latitude: 52.52, longitude: 13.405, radiusM: 100 });
    expect(events).toEqual([]);
    geolocation.move(52.6, 13.405);
    expect(events.filter(([name]) => name === 'geofence')).toMatchObject([['geofence', { event: 'exit' }]]);
  });

  it('stops hearing settings after the watch stops', () => {
    const { geolocation, settings, capability, events, emit } = setup();
    const stop = capability.watch(emit);
    geolocation.move(52.52, 13.405);
    stop();
    events.length = 0;
    settings.addGeofence({ name: 'far', latitude: 0, longitude: 0, radiusM: 100 });
    geolocation.move(0, 0);
    expect(events).toEqual([]);
  });
});
