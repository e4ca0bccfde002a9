/**
 * Owner settings (seed Part 7): what to expose (model globs, services, devices, capability
 * allow/deny), limits, and access (allowed meshes, require authentication, log all requests).
 * "Reset to defaults" fills the form with the schema's defaults; "Save changes" PUTs each changed
 * section. The node validates against the config schema: a 400 leaves config.yaml as it was and
 * its message names the key, which is shown beside that field.
 */
import type { ReactElement } from 'react';
import { useEffect, useState } from 'react';
import { configSchema, gpuExposed } from '../../../src/core/index.js';
import { ApiError, errorText } from '../api.js';
import type { ExposureSections } from '../approval.js';
import { decide, exposeWith } from '../approval.js';
import { PageTitle } from '../app.js';
import { GlobList } from '../components/glob-list.js';
import { useApi, useLoad } from '../hooks.js';
import type {
  AccessSection,
  ExposeSection,
  ExposureResponse,
  LimitsSection,
  MeshOverview,
} from '../types.js';

type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;

/** The form: editable copies of the three sections. */
interface Sections {
  expose: DeepMutable<ExposeSection>;
  limits: DeepMutable<LimitsSection>;
  access: DeepMutable<AccessSection>;
}

type SectionName = keyof Sections;
const SECTION_NAMES: readonly SectionName[] = ['expose', 'limits', 'access'];

/** The schema's defaults for the three sections the owner controls here. */
export function defaultSections(): Sections {
  const expose = configSchema.shape.expose.parse({});
  const { limits: _deprecated, ...rest } = expose;
  return {
    expose: rest,
    limits: configSchema.shape.limits.parse({}),
    access: configSchema.shape.access.parse({}),
  };
}

/** Dotted config keys a validation message names (`limits.max_concurrent: Too big …`). */
export function keysInMessage(message: string): string[] {
  const keys = message.match(/\b(?:expose|limits|access)(?:\.[A-Za-z0-9_]+)+/g) ?? [];
  return [...new Set(keys)];
}

/** The part of a validation message about `key`: `limits.max_concurrent: expected … got 0`. */
export function issueFor(key: string, message: string): string {
  const start = message.indexOf(`${key}:`);
  if (start < 0) return message;
  const end = message.indexOf('\n', start);
  return message.slice(start, end < 0 ? undefined : end).trim();
}

const MODEL_LISTS = [
  { key: 'ollama', label: 'Ollama models', placeholder: 'llama3.2:*' },
  { key: 'llamafarm', label: 'LlamaFarm projects', placeholder: 'default/public-*' },
  { key: 'huggingface', label: 'HuggingFace and GGUF models', placeholder: 'Qwen/*' },
  { key: 'cloud', label: 'Cloud models (spend real money)', placeholder: 'gpt-4o-mini' },
] as const;

const MIC_MODES = [
  { value: 'false', label: 'off' },
  { value: 'transcription_only', label: 'transcription only' },
  { value: 'whisper_only', label: 'Whisper transcription only' },
  { value: 'true', label: 'on' },
  { value: 'always_on', label: 'always on' },
] as const;

function asSections(form: Sections): ExposureSections {
  return form;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function SettingsPage(): ReactElement {
  const api = useApi();
  const loaded = useLoad(async (signal) => {
    const [exposure, limits, access, mesh] = await Promise.all([
      api.get<ExposureResponse>('/api/exposure', { signal }),
      api.get<{ limits: LimitsSection }>('/api/limits', { signal }),
      api.get<{ access: AccessSection }>('/api/access', { signal }),
      api.get<MeshOverview>('/api/mesh', { signal }).catch(() => null),
    ]);
    return {
      sections: clone({ expose: exposure.expose, limits: limits.limits, access: access.access }) as Sections,
      capabilities: exposure.capabilities,
      configError: exposure.configError,
      meshes: mesh?.meshes ?? [],
    };
  });
  const [form, setForm] = useState<Sections | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (loaded.data) setForm(clone(loaded.data.sections));
  }, [loaded.data]);

  if (loaded.data === null || form === null) {
    return (
      <>
        <PageTitle>Owner settings</PageTitle>
        {loaded.error ? <p role="alert">Could not load: {loaded.error}</p> : <p>Loading…</p>}
      </>
    );
  }
  const current = loaded.data.sections;
  const changed = SECTION_NAMES.filter((name) => !same(form[name], current[name]));

  const update = (mutate: (draft: Sections) => void): void => {
    const next = clone(form);
    mutate(next);
    setForm(next);
    setSaved(null);
  };
  const errorFor = (...keys: string[]): string | null => {
    for (const key of keys) {
      const hit = Object.entries(fieldErrors).find(([k]) => k === key || k.startsWith(`${key}.`));
      if (hit) return hit[1];
    }
    return null;
  };

  const save = async (): Promise<void> => {
    setSaving(true);
    setFieldErrors({});
    setFormError(null);
    setSaved(null);
    const done: SectionName[] = [];
    try {
      for (const name of changed) {
        const path = name === 'expose' ? '/api/exposure' : `/api/${name}`;
        await api.json('PUT', path, { body: form[name] });
        done.push(name);
      }
      setSaved(done.length === 0 ? 'Nothing to save.' : `Saved ${done.join(', ')} to config.yaml.`);
      loaded.reload();
    } catch (err) {
      const message = errorText(err);
      const keys = err instanceof ApiError && err.status === 400 ? keysInMessage(err.message) : [];
      if (keys.length > 0)
        setFieldErrors(
          Object.fromEntries(keys.map((k) => [k, issueFor(k, err instanceof Error ? err.message : message)])),
        );
      setFormError(
        `${done.length > 0 ? `Saved ${done.join(', ')}; ` : ''}not saved: ${message}. config.yaml keeps its previous value for this section.`,
      );
    } finally {
      setSaving(false);
    }
  };

  const { expose, limits, access } = form;
  const meshName = (glob: string): string | null =>
    loaded.data?.meshes.find((m) => m.meshId === glob)?.name ?? null;

  return (
    <>
      <PageTitle>Owner settings</PageTitle>
      {loaded.data.configError && (
        <p className="error" role="alert">
          config.yaml is not in effect: {loaded.data.configError}
        </p>
      )}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <section className="card" aria-labelledby="expose-title">
          <h2 id="expose-title">What to expose</h2>
          <h3>Models</h3>
          {MODEL_LISTS.map((list) => (
            <GlobList
              key={list.key}
              label={list.label}
              placeholder={list.placeholder}
              values={expose.models[list.key]}
              onChange={(values) => update((d) => (d.expose.models[list.key] = values))}
              error={errorFor(`expose.models.${list.key}`)}
            />
          ))}
          <div role="group" aria-labelledby="per-capability">
            <h3 id="per-capability">
              Each capability (
              {loaded.data.capabilities.filter((c) => decide(asSections(form), c).exposed).length} of{' '}
              {loaded.data.capabilities.length} exposed)
            </h3>
            <ul className="checks">
              {loaded.data.capabilities.length === 0 && (
                <li className="muted">This node has no capabilities yet.</li>
              )}
              {loaded.data.capabilities.map((c) => {
                const decision = decide(asSections(form), c);
                return (
                  <li key={c.id}>
                    <label>
                      <input
                        type="checkbox"
                        checked={decision.exposed}
                        onChange={(e) => {
                          const expose = exposeWith(
                            asSections(form),
                            loaded.data?.capabilities ?? [],
                            c.id,
                            e.target.checked,
                          );
                          update((d) => (d.expose = clone<Sections['expose']>(expose)));
                        }}
                      />
                      <span className="label">{c.id}</span>
                    </label>
                    <span className="note">
                      {decision.exposed ? 'exposed' : 'private'} by {decision.rule}
                    </span>
                  </li>
                );
              })}
            </ul>
          </div>

          <h3>Services</h3>
          <ul className="checks">
            {Object.keys(expose.services).map((name) => (
              <li key={name}>
                <label>
                  <input
                    type="checkbox"
                    checked={expose.services[name] === true}
                    onChange={(e) => update((d) => (d.expose.services[name] = e.target.checked))}
                  />
                  <span className="label">{name}</span>
                </label>
              </li>
            ))}
          </ul>

          <h3>Devices</h3>
          <ul className="checks">
            <li>
              <label>
                <input
                  type="checkbox"
                  checked={gpuExposed(expose.hardware.gpu)}
                  onChange={(e) => update((d) => (d.expose.hardware.gpu = e.target.checked))}
                />
                <span className="label">
                  GPU → up to {Number.isFinite(limits.max_vram_percent) ? limits.max_vram_percent : '?'}% VRAM
                </span>
              </label>
              {typeof expose.hardware.gpu === 'object' && (
                <span className="note">
                  for{' '}
                  {Object.entries(expose.hardware.gpu)
                    .filter(([, on]) => on)
                    .map(([p]) => p.replace('_', ' '))
                    .join(', ')}
                </span>
              )}
            </li>
            {(['camera', 'speaker', 'location', 'screen'] as const).map((key) => (
              <li key={key}>
                <label>
                  <input
                    type="checkbox"
                    checked={expose.hardware[key]}
                    onChange={(e) => update((d) => (d.expose.hardware[key] = e.target.checked))}
                  />
                  <span className="label">{key[0]?.toUpperCase() + key.slice(1)}</span>
                </label>
                {key === 'camera' && !expose.hardware.camera && (
                  <span className="note">privacy: not exposed</span>
                )}
              </li>
            ))}
            <li>
              <label>
                <span className="label">Microphone</span>{' '}
                <select
                  value={String(expose.hardware.microphone)}
                  onChange={(e) => {
                    const v = e.target.value;
                    update(
                      (d) =>
                        (d.expose.hardware.microphone =
                          v === 'true' ? true : v === 'false' ? false : (v as 'transcription_only')),
                    );
                  }}
                >
                  {MIC_MODES.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </label>
            </li>
          </ul>
          <GlobList
            label="Always expose capability ids"
            placeholder="service/comfyui"
            values={expose.capabilities.allow}
            onChange={(values) => update((d) => (d.expose.capabilities.allow = values))}
            error={errorFor('expose.capabilities.allow')}
          />
          <GlobList
            label="Never expose capability ids (wins over everything)"
            placeholder="ollama/codellama:*"
            values={expose.capabilities.deny}
            onChange={(values) => update((d) => (d.expose.capabilities.deny = values))}
            error={errorFor('expose.capabilities.deny')}
          />
          {errorFor('expose') && !errorFor('expose.models', 'expose.capabilities') && (
            <p className="field-error" role="alert">
              {errorFor('expose')}
            </p>
          )}
        </section>

        <section className="card" aria-labelledby="limits-title">
          <h2 id="limits-title">Limits</h2>
          <NumberField
            label="Max concurrent requests"
            value={limits.max_concurrent}
            onChange={(v) => update((d) => (d.limits.max_concurrent = v))}
            error={errorFor('limits.max_concurrent')}
          />
          <NumberField
            label="Max queued requests"
            value={limits.max_queue}
            onChange={(v) => update((d) => (d.limits.max_queue = v))}
            error={errorFor('limits.max_queue')}
          />
          <NumberField
            label="Max VRAM for mesh work (%)"
            value={limits.max_vram_percent}
            onChange={(v) => update((d) => (d.limits.max_vram_percent = v))}
            error={errorFor('limits.max_vram_percent')}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={limits.off_battery_only}
              onChange={(e) => update((d) => (d.limits.off_battery_only = e.target.checked))}
            />
            Only when plugged in
          </label>
        </section>

        <section className="card" aria-labelledby="access-title">
          <h2 id="access-title">Access control</h2>
          <GlobList
            label="Allowed meshes"
            placeholder="mesh-id or glob"
            values={access.mesh_ids}
            describe={meshName}
            onChange={(values) => update((d) => (d.access.mesh_ids = values))}
            error={errorFor('access.mesh_ids')}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={access.require_auth}
              onChange={(e) => update((d) => (d.access.require_auth = e.target.checked))}
            />
            Require authentication on the OpenAI-compatible API
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={access.log_all_requests}
              onChange={(e) => update((d) => (d.access.log_all_requests = e.target.checked))}
            />
            Log all requests
          </label>
          <NumberField
            label="Keep the audit log for (days, 0 = forever)"
            value={access.audit_retention_days}
            onChange={(v) => update((d) => (d.access.audit_retention_days = v))}
            error={errorFor('access.audit_retention_days')}
          />
        </section>

        <div className="footer-bar">
          <span className="muted" aria-live="polite">
            {changed.length === 0 ? 'No unsaved changes' : `Unsaved: ${changed.join(', ')}`}
          </span>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setForm(defaultSections());
                setSaved(null);
                setFieldErrors({});
              }}
            >
              Reset to defaults
            </button>
            <button type="submit" disabled={saving || changed.length === 0}>
              {saving ? 'Saving…' : 'Save changes'}
            </button>
          </div>
        </div>
        {saved && (
          <p className="success" role="status">
            {saved}
          </p>
        )}
        {formError && (
          <p className="error" role="alert">
            {formError}
          </p>
        )}
      </form>
    </>
  );
}

function NumberField(props: {
  label: string;
  value: number;
  onChange: (value: number) => void;
  error: string | null;
}): ReactElement {
  const [text, setText] = useState(String(props.value));
  // a value set from outside (reset to defaults, a reload) replaces what was typed
  const [shown, setShown] = useState(props.value);
  if (!Object.is(shown, props.value)) {
    setShown(props.value);
    if (Number.isFinite(props.value) && Number(text) !== props.value) setText(String(props.value));
  }
  const errorId = `${props.label.replace(/\W+/g, '-')}-error`;
  return (
    <div className="field">
      <label>
        <span className="field-label">{props.label}</span>
        <input
          type="number"
          inputMode="numeric"
          value={text}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? errorId : undefined}
          onChange={(e) => {
            setText(e.target.value);
            props.onChange(e.target.value.trim() === '' ? Number.NaN : Number(e.target.value));
          }}
        />
      </label>
      {props.error && (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
