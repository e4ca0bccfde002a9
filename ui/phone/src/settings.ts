/**
 * The owner's choices on this phone, kept in `localStorage` as versioned JSON: which capabilities
 * the mesh may use (none until the owner ticks them: private by default) and the geofences of
 * `phone/location`. Stored data is validated on load; anything unreadable, invalid or from a
 * newer version is set aside for the defaults, never a crash.
 */
import { z } from 'zod';
import { InvalidInputError, UnavailableError } from '../../../src/core/index.js';
import type { Geofence } from './capabilities/geo.js';

export const SETTINGS_KEY = 'atmosphere.phone.settings';
export const SETTINGS_VERSION = 1;
export const MAX_GEOFENCES = 50;
export const GEOFENCE_RADIUS_MIN_M = 10;
export const GEOFENCE_RADIUS_MAX_M = 100_000;

export const geofenceSchema = z.strictObject({
  name: z.string().trim().min(1, 'enter a name').max(64, 'at most 64 characters'),
  latitude: z.number().min(-90, 'between -90 and 90').max(90, 'between -90 and 90'),
  longitude: z.number().min(-180, 'between -180 and 180').max(180, 'between -180 and 180'),
  radiusM: z
    .number()
    .min(GEOFENCE_RADIUS_MIN_M, `at least ${GEOFENCE_RADIUS_MIN_M} m`)
    .max(GEOFENCE_RADIUS_MAX_M, `at most ${GEOFENCE_RADIUS_MAX_M} m`),
});

export const phoneSettingsSchema = z
  .strictObject({
    version: z.literal(SETTINGS_VERSION),
    exposed: z.array(z.string().min(1).max(200)).max(64),
    geofences: z.array(geofenceSchema).max(MAX_GEOFENCES),
  })
  .refine((s) => new Set(s.geofences.map((f) => f.name)).size === s.geofences.length, {
    message: 'two geofences share a name',
    path: ['geofences'],
  });

export interface PhoneSettings {
  readonly version: typeof SETTINGS_VERSION;
  /** Capability ids the owner lets the mesh use. */
  readonly exposed: readonly string[];
  readonly geofences: readonly Geofence[];
}

export const DEFAULT_SETTINGS: PhoneSettings = { version: SETTINGS_VERSION, exposed: [], geofences: [] };

/** Reads stored settings; `problem` says why they were set aside for the defaults. */
export function parseSettings(text: string | null): { settings: PhoneSettings; problem: string | null } {
  if (text === null) return { settings: DEFAULT_SETTINGS, problem: null };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { settings: DEFAULT_SETTINGS, problem: 'the saved settings were not readable JSON' };
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > SETTINGS_VERSION) {
    return {
      settings: DEFAULT_SETTINGS,
      problem: `the saved settings are from a newer version of the app (${version})`,
    };
  }
  const result = phoneSettingsSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
    return {
      settings: DEFAULT_SETTINGS,
      problem: `the saved settings were invalid (${where}${issue?.message ?? 'unknown problem'})`,
    };
  }
  return { settings: result.data, problem: null };
}

/** The geofence form's fields, as typed. */
export interface GeofenceFormInput {
  readonly name: string;
  readonly latitude: string;
  readonly longitude: string;
  readonly radiusM: string;
}

export type GeofenceFormErrors = Partial<Record<keyof GeofenceFormInput, string>>;

function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** Checks the geofence form: a fence, or a message for each bad field. */
export function validateGeofence(
  input: GeofenceFormInput,
  existing: readonly Geofence[],
): { ok: true; fence: Geofence } | { ok: false; errors: GeofenceFormErrors } {
  const errors: GeofenceFormErrors = {};
  const numbers = {
    latitude: parseNumber(input.latitude),
    longitude: parseNumber(input.longitude),
    radiusM: parseNumber(input.radiusM),
  };
  for (const key of ['latitude', 'longitude', 'radiusM'] as const) {
    if (numbers[key] === null) errors[key] = 'enter a number';
  }
  const result = geofenceSchema.safeParse({
    name: input.name,
    latitude: numbers.latitude ?? 0,
    longitude: numbers.longitude ?? 0,
    radiusM: numbers.radiusM ?? GEOFENCE_RADIUS_MIN_M,
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path[0] as keyof GeofenceFormInput;
      errors[key] ??= issue.message;
    }
  }
  const name = input.name.trim();
  if (errors.name === undefined && existing.some((f) => f.name === name)) {
    errors.name = `a fence named "${name}" already exists`;
  }
  if (Object.keys(errors).length > 0 || !result.success) return { ok: false, errors };
  return { ok: true, fence: result.data };
}

/** Storage in memory: for tests, and when the browser refuses `localStorage` (settings then last a session). */
export class MemoryStorage implements Pick<Storage, 'getItem' | 'setItem'> {
  private readonly items = new Map<string, string>();

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

/** `window.localStorage`, or storage in memory where reading it throws (storage disabled). */
export function browserStorage(window: Window): Pick<Storage, 'getItem' | 'setItem'> {
  try {
    return window.localStorage;
  } catch {
    return new MemoryStorage();
  }
}

export interface PhoneSettingsStoreComponents {
  readonly storage: Pick<Storage, 'getItem' | 'setItem'>;
}

export interface PhoneSettingsStoreInit {
  /** The `localStorage` key. Default `atmosphere.phone.settings`. */
  readonly key?: string;
}

/** The settings in memory, saved on every change; listeners hear each change. */
export class PhoneSettingsStore {
  /** Why the stored settings were set aside on load, or null. */
  readonly loadProblem: string | null;
  private readonly storage: Pick<Storage, 'getItem' | 'setItem'>;
  private readonly key: string;
  private settings: PhoneSettings;
  private readonly listeners = new Set<(settings: PhoneSettings) => void>();

  constructor(components: PhoneSettingsStoreComponents, init: PhoneSettingsStoreInit = {}) {
    this.storage = components.storage;
    this.key = init.key ?? SETTINGS_KEY;
    let text: string | null;
    try {
      text = this.storage.getItem(this.key);
    } catch {
      text = null;
    }
    const { settings, problem } = parseSettings(text);
    this.settings = settings;
    this.loadProblem = problem;
  }

  get(): PhoneSettings {
    return this.settings;
  }

  onChange(listener: (settings: PhoneSettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setExposed(ids: readonly string[]): PhoneSettings {
    return this.save({ ...this.settings, exposed: [...new Set(ids)] });
  }

  addGeofence(fence: Geofence): PhoneSettings {
    const parsed = geofenceSchema.safeParse(fence);
    if (!parsed.success) {
      throw new InvalidInputError(
        `invalid geofence: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`,
      );
    }
    if (this.settings.geofences.some((f) => f.name === parsed.data.name)) {
      throw new InvalidInputError(`a fence named "${parsed.data.name}" already exists`);
    }
    if (this.settings.geofences.length >= MAX_GEOFENCES) {
      throw new InvalidInputError(`at most ${MAX_GEOFENCES} geofences`);
    }
    return this.save({ ...this.settings, geofences: [...this.settings.geofences, parsed.data] });
  }

  removeGeofence(name: string): PhoneSettings {
    return this.save({ ...this.settings, geofences: this.settings.geofences.filter((f) => f.name !== name) });
  }

  private save(next: PhoneSettings): PhoneSettings {
    try {
      this.storage.setItem(this.key, JSON.stringify(next));
    } catch (err) {
      throw new UnavailableError(
        `the settings could not be saved on this phone: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    this.settings = next;
    for (const listener of this.listeners) listener(next);
    return next;
  }
}
