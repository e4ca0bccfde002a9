/**
 * Capabilities: what the mesh may use on this phone. Every capability starts private; ticking one
 * saves the choice on the phone and tells the runtime, which announces it and serves its tools
 * (the browser asks its own permission the first time a member uses it). Under Location, the
 * owner's geofences.
 */
import type { FormEvent, ReactElement } from 'react';
import { useState } from 'react';
import { ScreenTitle, useSettings } from '../app.js';
import type { Exposure } from '../app.js';
import type { PhoneCapability } from '../contract.js';
import { errorText } from '../format.js';
import { validateGeofence } from '../settings.js';
import type { GeofenceFormErrors, GeofenceFormInput, PhoneSettingsStore } from '../settings.js';

/** One line per capability: what a member can do with it. */
export const EXPLANATIONS: Readonly<Record<string, string>> = {
  'phone/camera': 'Members can take a photo or read a QR code with this phone.',
  'phone/microphone': 'Members can record audio with this phone, up to two minutes at a time.',
  'phone/location': 'Members can ask where this phone is; it reports moves and your geofences.',
  'phone/motion': 'Members can read the tilt and movement sensors and hear when you shake the phone.',
  'phone/notify': 'Members can show you notifications on this phone.',
};

export interface CapabilitiesScreenProps {
  readonly capabilities: readonly PhoneCapability[];
  readonly settings: PhoneSettingsStore;
  readonly exposure: Exposure;
}

export function CapabilitiesScreen(props: CapabilitiesScreenProps): ReactElement {
  const { capabilities, settings, exposure } = props;
  const { exposed, error, setExposedIds } = exposure;

  const toggle = (id: string, on: boolean): void => {
    setExposedIds(on ? [...exposed.filter((x) => x !== id), id] : exposed.filter((x) => x !== id));
  };

  return (
    <>
      <ScreenTitle>Capabilities</ScreenTitle>
      <p className="muted">
        Nothing on this phone is shared until you tick it. The browser asks for its own permission the first
        time a member uses a capability.
      </p>
      {settings.loadProblem !== null && (
        <p className="notice">
          Your saved choices could not be read ({settings.loadProblem}), so everything is private again.
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="capabilities">
        {capabilities.map((capability) => {
          const { id } = capability.spec;
          const inputId = `expose-${id.replace(/\W/g, '-')}`;
          const on = exposed.includes(id);
          return (
            <li key={id} className={on ? 'capability on' : 'capability'}>
              <div className="capability-row">
                <input
                  id={inputId}
                  type="checkbox"
                  checked={on}
                  onChange={(e) => toggle(id, e.target.checked)}
                  aria-describedby={`${inputId}-note`}
                />
                <label htmlFor={inputId} className="capability-label">
                  {capability.label}
                </label>
              </div>
              <p id={`${inputId}-note`} className="note">
                {EXPLANATIONS[id] ?? capability.spec.description}
              </p>
              {id === 'phone/location' && <Geofences settings={settings} location={capability} shared={on} />}
            </li>
          );
        })}
      </ul>
    </>
  );
}

const EMPTY_FORM: GeofenceFormInput = { name: '', latitude: '', longitude: '', radiusM: '200' };

function Geofences(props: {
  settings: PhoneSettingsStore;
  location: PhoneCapability;
  shared: boolean;
}): ReactElement {
  const { settings, location, shared } = props;
  const { geofences } = useSettings(settings);
  const [form, setForm] = useState<GeofenceFormInput>(EMPTY_FORM);
  const [errors, setErrors] = useState<GeofenceFormErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [locating, setLocating] = useState(false);

  // latitude and longitude can be negative: the decimal keypad of iOS has no minus sign
  const field = (
    key: keyof GeofenceFormInput,
    label: string,
    inputMode: 'text' | 'decimal',
  ): ReactElement => {
    const id = `fence-${key}`;
    const message = errors[key];
    return (
      <div className="field">
        <label className="field-label" htmlFor={id}>
          {label}
        </label>
        <input
          id={id}
          type="text"
          inputMode={inputMode}
          autoComplete="off"
          value={form[key]}
          onChange={(e) => setForm({ ...form, [key]: e.target.value })}
          aria-invalid={message !== undefined}
          aria-describedby={message === undefined ? undefined : `${id}-error`}
        />
        {message !== undefined && (
          <span id={`${id}-error`} className="field-error">
            {message}
          </span>
        )}
      </div>
    );
  };

  const add = (event: FormEvent): void => {
    event.preventDefault();
    setProblem(null);
    const result = validateGeofence(form, geofences);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    try {
      settings.addGeofence(result.fence);
      setErrors({});
      setForm(EMPTY_FORM);
    } catch (err) {
      setProblem(errorText(err));
    }
  };

  const remove = (name: string): void => {
    setProblem(null);
    try {
      settings.removeGeofence(name);
    } catch (err) {
      setProblem(errorText(err));
    }
  };

  const useMyPosition = (): void => {
    setLocating(true);
    setProblem(null);
    location.run('get_location', { maxAgeMs: 60_000 }, { signal: AbortSignal.timeout(30_000) }).then(
      (fix) => {
        const { latitude, longitude } = fix as { latitude: number; longitude: number };
        setForm((f) => ({ ...f, latitude: latitude.toFixed(6), longitude: longitude.toFixed(6) }));
        setLocating(false);
      },
      (err: unknown) => {
        setProblem(`Your position is not available: ${errorText(err)}`);
        setLocating(false);
      },
    );
  };

  return (
    <section className="geofences" aria-labelledby="geofences-title">
      <h2 id="geofences-title">Geofences</h2>
      <p className="note">
        The mesh hears when this phone enters or leaves one of these places
        {shared ? '.' : ' (once Location is shared).'}
      </p>
      {geofences.length === 0 ? (
        <p className="muted">No geofences yet.</p>
      ) : (
        <ul className="fences" aria-label="Saved geofences">
          {geofences.map((fence) => (
            <li key={fence.name}>
              <span>
                <strong>{fence.name}</strong>{' '}
                <span className="muted small">
                  {fence.latitude.toFixed(5)}, {fence.longitude.toFixed(5)} · {fence.radiusM} m
                </span>
              </span>
              <button
                type="button"
                className="secondary"
                aria-label={`Delete ${fence.name}`}
                onClick={() => remove(fence.name)}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="fence-form" onSubmit={add} noValidate>
        {field('name', 'Fence name', 'text')}
        <div className="pair">
          {field('latitude', 'Latitude', 'text')}
          {field('longitude', 'Longitude', 'text')}
        </div>
        {field('radiusM', 'Radius (m)', 'decimal')}
        <div className="actions">
          <button type="submit">Add fence</button>
          <button type="button" className="secondary" disabled={locating} onClick={useMyPosition}>
            {locating ? 'Locating…' : 'Use my position'}
          </button>
        </div>
      </form>
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
