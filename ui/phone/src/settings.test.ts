import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  MemoryStorage,
  PhoneSettingsStore,
  SETTINGS_KEY,
  parseSettings,
  validateGeofence,
} from './settings.js';

const fence = { name: 'home', latitude: 52.52, longitude: 13.405, radiusM: 150 };

describe('parseSettings', () => {
  it('gives the private defaults when nothing is stored', () => {
    expect(parseSettings(null)).toEqual({ settings: DEFAULT_SETTINGS, problem: null });
    expect(DEFAULT_SETTINGS.exposed).toEqual([]);
  });

  it('reads valid settings', () => {
    const stored = { version: 1, exposed: ['phone/camera'], geofences: [fence] };
    expect(parseSettings(JSON.stringify(stored))).toEqual({ settings: stored, problem: null });
  });

  it.each([
    ['not JSON', '{"version":1,', 'not readable JSON'],
    ['JSON null', 'null', 'invalid'],
    ['an array', '[1,2]', 'invalid'],
    ['a wrong type', JSON.stringify({ version: 1, exposed: 'phone/camera', geofences: [] }), 'exposed'],
    [
      'a fence out of range',
      JSON.stringify({ version: 1, exposed: [], geofences: [{ ...fence, latitude: 91 }] }),
      'geofences.0.latitude',
    ],
    [
      'two fences with one name',
      JSON.stringify({ version: 1, exposed: [], geofences: [fence, fence] }),
      'share a name',
    ],
    ['an unknown key', JSON.stringify({ version: 1, exposed: [], geofences: [], extra: true }), 'invalid'],
    [
      'a newer version',
      JSON.stringify({ version: 7, exposed: ['phone/camera'], geofences: [] }),
      'newer version',
    ],
    ['no version', JSON.stringify({ exposed: ['phone/camera'], geofences: [] }), 'version'],
  ])('sets aside %s for the defaults and says why', (_what, text, reason) => {
    const { settings, problem } = parseSettings(text);
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(problem).toContain(reason);
  });
});

describe('PhoneSettingsStore', () => {
  it('starts private over corrupt storage without throwing, and reports the problem', () => {
    const storage = new MemoryStorage();
    storage.setItem(SETTINGS_KEY, '\u0000garbage');
    const store = new PhoneSettingsStore({ storage });
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    expect(store.loadProblem).toContain('not readable JSON');
  });

  it('starts private when reading the storage throws', () => {
    const store = new PhoneSettingsStore({
      storage: {
        getItem: () => {
          throw new Error('SecurityError');
        },
        setItem: () => undefined,
      },
    });
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
  });

  it('saves every change as versioned JSON that a new store reads back', () => {
    const storage = new MemoryStorage();
    const store = new PhoneSettingsStore({ storage });
    const heard: string[][] = [];
    store.onChange((s) => heard.push([...s.exposed]));
    store.setExposed(['phone/camera', 'phone/location', 'phone/camera']);
    store.addGeofence(fence);
    expect(JSON.parse(storage.getItem(SETTINGS_KEY)!)).toEqual({
      version: 1,
      exposed: ['phone/camera', 'phone/location'],
      geofences: [fence],
    });
    expect(heard).toEqual([
      ['phone/camera', 'phone/location'],
      ['phone/camera', 'phone/location'],
    ]);
    const again = new PhoneSettingsStore({ storage });
    expect(again.get().geofences).toEqual([fence]);
    expect(again.loadProblem).toBeNull();
    again.removeGeofence('home');
    expect(new PhoneSettingsStore({ storage }).get().geofences).toEqual([]);
  });

  it('refuses a duplicate or invalid fence', () => {
    const store = new PhoneSettingsStore({ storage: new MemoryStorage() });
    store.addGeofence(fence);
    expect(() => store.addGeofence(fence)).toThrow(/already exists/);
    expect(() => store.addGeofence({ ...fence, name: 'x', radiusM: 1 })).toThrow(/at least 10 m/);
  });

  it('keeps the old settings when saving fails', () => {
    const store = new PhoneSettingsStore({
      storage: {
        getItem: () => null,
        setItem: () => {
          throw new Error('QuotaExceededError');
        },
      },
    });
    expect(() => store.setExposed(['phone/camera'])).toThrow(/could not be saved.*QuotaExceededError/);
    expect(store.get().exposed).toEqual([]);
  });
});

describe('validateGeofence', () => {
  const form = { name: ' office ', latitude: '48.8566', longitude: '-2.35', radiusM: '250' };

  it('turns the form into a fence', () => {
    expect(validateGeofence(form, [])).toEqual({
      ok: true,
      fence: { name: 'office', latitude: 48.8566, longitude: -2.35, radiusM: 250 },
    });
  });

  it('names each bad field', () => {
    const result = validateGeofence({ name: '  ', latitude: '95', longitude: 'east', radiusM: '5' }, []);
    expect(result).toEqual({
      ok: false,
      errors: {
        name: 'enter a name',
        latitude: 'between -90 and 90',
        longitude: 'enter a number',
        radiusM: 'at least 10 m',
      },
    });
  });

  it('refuses a name already used', () => {
    expect(validateGeofence(form, [{ ...fence, name: 'office' }])).toEqual({
      ok: false,
      errors: { name: 'a fence named "office" already exists' },
    });
  });
});
