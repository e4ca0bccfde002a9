/**
 * Discover & approve (seed 1.2): what the last scan found, grouped (GPU with what it is exposed
 * for, Ollama models, LlamaFarm projects, model files, other findings, devices), a checkbox for each,
 * "Scan again" with live progress, and Save — "Save & join mesh" while an `atmosphere join` waits
 * for this approval. Saving writes config.yaml's `expose:` (and `limits.max_vram_percent`) through
 * the node, planned like `atmosphere approve`.
 */
import type { ReactElement } from 'react';
import { useEffect, useMemo, useState } from 'react';
import { ApiError, errorText, isAbort } from '../api.js';
import { PageTitle } from '../app.js';
import type { ApprovalChoices, CandidateGroup, ExposureSections, MatterDeviceInfo } from '../approval.js';
import {
  GPU_PURPOSES,
  candidateLabel,
  choicesInEffect,
  choicesRecommended,
  gpuPurposeOn,
  groupOf,
  matterDeviceExposed,
  matterDeviceLabel,
  microphoneLabel,
  parseMatterDevices,
  planApproval,
  withCandidate,
  withGpuPurpose,
  withHardware,
  withMatterCandidates,
  withMatterDevice,
} from '../approval.js';
import { useApi, useLoad } from '../hooks.js';
import type {
  AccessSection,
  CandidateCapability,
  ExposureResponse,
  LimitsSection,
  ScanReport,
} from '../types.js';
import { ago, bytesText, durationText } from '../format.js';

/** `GET /api/join/pending`: an `atmosphere join` waiting for the owner's approval. */
export interface PendingJoin {
  readonly meshId: string;
  readonly meshName: string;
  readonly role: string;
  readonly done: readonly string[];
  readonly startedAtMs: number;
}

interface DiscoverData {
  readonly scan: ScanReport | null;
  readonly scanning: boolean;
  readonly sections: ExposureSections;
  readonly configError: string | null;
  readonly pending: PendingJoin | null;
  /** `GET /api/matter/devices`, or null when this node has no Matter bridge. */
  readonly matter: { readonly enabled: boolean; readonly devices: readonly MatterDeviceInfo[] } | null;
}

const GROUP_TITLES: Record<Exclude<CandidateGroup, 'gpu' | 'devices'>, string> = {
  ollama: 'Ollama models',
  llamafarm: 'LlamaFarm projects',
  files: 'Model files (nothing on this node serves them yet)',
  other: 'Other findings',
};

const NO_DEVICES: readonly MatterDeviceInfo[] = [];
const MIC_MODES: readonly ApprovalChoices['hardware']['microphone'][] = [false, 'transcription_only', true];
const VRAM_STEPS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

function notFoundAsNull<T>(promise: Promise<T>): Promise<T | null> {
  return promise.catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  });
}

export function DiscoverPage(): ReactElement {
  const api = useApi();
  const loaded = useLoad(async (signal): Promise<DiscoverData> => {
    const [scan, exposure, limits, access, pending, matter] = await Promise.all([
      notFoundAsNull(api.get<{ scanning: boolean; report: ScanReport }>('/api/scan', { signal })),
      api.get<ExposureResponse>('/api/exposure', { signal }),
      api.get<{ limits: LimitsSection }>('/api/limits', { signal }),
      api.get<{ access: AccessSection }>('/api/access', { signal }),
      notFoundAsNull(api.get<{ pending: PendingJoin | null }>('/api/join/pending', { signal })),
      notFoundAsNull(api.get<unknown>('/api/matter/devices', { signal })),
    ]);
    return {
      scan: scan?.report ?? null,
      scanning: scan?.scanning ?? false,
      sections: { expose: exposure.expose, limits: limits.limits, access: access.access },
      configError: exposure.configError,
      pending: pending?.pending ?? null,
      matter: matter === null ? null : parseMatterDevices(matter),
    };
  });
  const data = loaded.data;
  const [scan, setScan] = useState<ScanReport | null>(null);
  const [choices, setChoices] = useState<ApprovalChoices | null>(null);
  const [progress, setProgress] = useState<string[]>([]);
  const [scanning, setScanning] = useState(false);
  const [withTests, setWithTests] = useState(false);
  const [scanError, setScanError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);

  // The scan as the planner sees it: with the commissioned Matter devices' capabilities as
  // candidates, as `atmosphere approve` plans them (the groups below list the scan's own).
  const matterDevices = data?.matter?.enabled === true ? data.matter.devices : NO_DEVICES;
  const planScan = useMemo(() => withMatterCandidates(scan, matterDevices), [scan, matterDevices]);

  // a fresh load (first, or after a save) resets the checkboxes to what is in effect
  useEffect(() => {
    if (data === null) return;
    setScan(data.scan);
    const devices = data.matter?.enabled === true ? data.matter.devices : NO_DEVICES;
    setChoices(choicesInEffect(data.sections, withMatterCandidates(data.scan, devices)));
  }, [data]);

  const planned = useMemo(
    () => (data && choices ? planApproval(data.sections, planScan, choices) : null),
    [data, planScan, choices],
  );

  const runScan = async (): Promise<void> => {
    if (data === null) return;
    setScanning(true);
    setScanError(null);
    setSaved(null);
    setProgress([]);
    try {
      for await (const event of api.stream('POST', '/api/scan', { body: withTests ? { test: true } : {} })) {
        if (event.event === 'progress') {
          const { message } = JSON.parse(event.data) as { message: string };
          setProgress((p) => [...p, message]);
        } else if (event.event === 'report') {
          const { report } = JSON.parse(event.data) as { report: ScanReport };
          setScan(report);
          // new findings start from what the rules in effect decide for them
          setChoices((current) => {
            const inEffect = choicesInEffect(data.sections, withMatterCandidates(report, matterDevices));
            return current === null
              ? inEffect
              : { ...inEffect, hardware: current.hardware, maxVramPercent: current.maxVramPercent };
          });
        } else if (event.event === 'error') {
          const body = JSON.parse(event.data) as { error?: { message?: string; code?: string } };
          setScanError(`${body.error?.message ?? 'the scan failed'} (${body.error?.code ?? 'error'})`);
        }
      }
    } catch (err) {
      if (!isAbort(err)) setScanError(errorText(err));
    } finally {
      setScanning(false);
    }
  };

  const save = async (): Promise<void> => {
    if (data === null || choices === null || planned === null) return;
    setSaving(true);
    setSaveError(null);
    setSaved(null);
    try {
      await api.json('PUT', '/api/exposure', { body: planned.plan.expose });
      if (choices.maxVramPercent !== data.sections.limits.max_vram_percent) {
        await api.json('PUT', '/api/limits', {
          body: { ...data.sections.limits, max_vram_percent: choices.maxVramPercent },
        });
      }
      const { exposed, private: kept } = planned.summary;
      let message = `Saved: exposing ${exposed.length}, keeping ${kept.length} private.`;
      if (data.pending !== null) {
        const joined = await api.json<{ meshName: string; role: string }>('POST', '/api/join/pending');
        message += ` Joined mesh "${joined.meshName}" as ${joined.role}.`;
      }
      setSaved(message);
      loaded.reload();
    } catch (err) {
      setSaveError(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  if (data === null || choices === null) {
    return (
      <>
        <PageTitle>Discover & approve</PageTitle>
        {loaded.error ? <p role="alert">Could not load: {loaded.error}</p> : <p>Loading…</p>}
      </>
    );
  }

  const candidates = scan?.candidates ?? [];
  const inGroup = (group: CandidateGroup): CandidateCapability[] =>
    candidates.filter((c) => groupOf(c) === group);
  const changes = planned?.summary.changes ?? 0;

  return (
    <>
      <PageTitle>Discover & approve</PageTitle>
      {data.pending && (
        <p className="notice" role="status">
          Joining mesh “{data.pending.meshName}” ({data.pending.meshId}) as {data.pending.role}: choose what
          to expose, then <strong>Save & join mesh</strong>.
        </p>
      )}
      {data.configError && (
        <p className="error" role="alert">
          config.yaml is not in effect: {data.configError}
        </p>
      )}
      <section aria-labelledby="discovered-title" className="card">
        <div className="card-head">
          <h2 id="discovered-title">Discovered capabilities</h2>
          <div className="actions">
            <label className="inline">
              <input
                type="checkbox"
                checked={withTests}
                onChange={(e) => setWithTests(e.target.checked)}
                disabled={scanning}
              />
              also test them
            </label>
            <button type="button" onClick={() => void runScan()} disabled={scanning}>
              {scanning ? 'Scanning…' : scan === null ? 'Scan now' : 'Scan again'}
            </button>
          </div>
        </div>
        {scan === null ? (
          <p>No scan yet: scan this device to see what it can offer the mesh.</p>
        ) : (
          <p className="muted">
            Scanned {ago(scan.scannedAtMs)} on {scan.hostname} ({scan.platform}) in{' '}
            {durationText(scan.durationMs)}
            {scan.withTests ? ', with capability tests' : ''}.
          </p>
        )}
        {(scanning || progress.length > 0) && (
          <ol className="progress" aria-label="Scan progress" aria-live="polite">
            {progress.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ol>
        )}
        {scanError && (
          <p className="error" role="alert">
            Scan failed: {scanError}
          </p>
        )}

        <GpuGroup candidates={inGroup('gpu')} choices={choices} scan={scan} onChange={setChoices} />
        {(['ollama', 'llamafarm', 'files', 'other'] as const).map((group) => {
          const list = inGroup(group);
          if (list.length === 0) return null;
          const on = list.filter((c) => choices.candidates[c.id] === true).length;
          return (
            <fieldset key={group} className="group">
              <legend>
                {GROUP_TITLES[group]} ({on} of {list.length} exposed)
              </legend>
              <ul className="checks">
                {list.map((c) => (
                  <li key={c.id}>
                    <label>
                      <input
                        type="checkbox"
                        checked={choices.candidates[c.id] === true}
                        onChange={(e) => setChoices(withCandidate(choices, c.id, e.target.checked))}
                      />
                      <span className="label">{group === 'other' ? c.name : candidateLabel(c)}</span>
                    </label>
                    <span className="note">{candidateNote(c, scan)}</span>
                  </li>
                ))}
              </ul>
            </fieldset>
          );
        })}
        <DevicesGroup candidates={inGroup('devices')} choices={choices} scan={scan} onChange={setChoices} />
        {data.matter && (
          <MatterGroup
            matter={data.matter}
            choices={choices}
            planned={planScan !== null}
            onChange={setChoices}
          />
        )}
      </section>

      <div className="footer-bar">
        <span className="muted" aria-live="polite">
          {changes === 0 ? 'No changes' : `${changes} change${changes === 1 ? '' : 's'} not saved`}
        </span>
        <div className="actions">
          <button
            type="button"
            className="secondary"
            onClick={() => setChoices(choicesRecommended(data.sections, planScan))}
            disabled={saving}
          >
            Use recommended
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => setChoices(choicesInEffect(data.sections, planScan))}
            disabled={saving || changes === 0}
          >
            Cancel changes
          </button>
          <button
            type="button"
            onClick={() => void save()}
            disabled={saving || (changes === 0 && data.pending === null)}
          >
            {saving ? 'Saving…' : data.pending ? 'Save & join mesh' : 'Save'}
          </button>
        </div>
      </div>
      {saved && (
        <p className="success" role="status">
          {saved}
        </p>
      )}
      {saveError && (
        <p className="error" role="alert">
          Not saved: {saveError}
        </p>
      )}
      {planned && <SummaryList summary={planned.summary} />}
    </>
  );
}

function candidateNote(c: CandidateCapability, scan: ScanReport | null): string {
  const model = scan?.models.find((m) => c.id === `${m.source}/${m.id}`);
  const facts = model
    ? [
        model.family,
        model.parameterSize,
        model.quantization,
        model.sizeBytes === null ? null : bytesText(model.sizeBytes),
      ]
    : [];
  const shown = facts.filter((f): f is string => !!f);
  const test = c.test === 'untested' ? '' : ` · test ${c.test}`;
  if (!c.recommended) return `${c.reason}${test}`;
  return `${shown.length > 0 ? shown.join(' · ') : c.reason}${test}`;
}

interface GroupProps {
  readonly candidates: readonly CandidateCapability[];
  readonly choices: ApprovalChoices;
  readonly scan: ScanReport | null;
  readonly onChange: (choices: ApprovalChoices) => void;
}

const PURPOSE_LABELS = { inference: 'Inference', training: 'Training', image_generation: 'Image generation' };

function GpuGroup({ candidates, choices, scan, onChange }: GroupProps): ReactElement | null {
  if (candidates.length === 0) return null;
  const anyOn = GPU_PURPOSES.some((p) => gpuPurposeOn(choices, p));
  const name = candidates.map((c) => c.name).join('; ');
  const vram = VRAM_STEPS.includes(choices.maxVramPercent)
    ? VRAM_STEPS
    : [...VRAM_STEPS, choices.maxVramPercent].sort((a, b) => a - b);
  return (
    <fieldset className="group">
      <legend>GPU</legend>
      <label>
        <input
          type="checkbox"
          checked={anyOn}
          onChange={(e) => onChange(withHardware(choices, scan, 'gpu', e.target.checked))}
        />
        <span className="label">{name}</span>
      </label>
      <div className="sub" role="group" aria-label="Expose the GPU for">
        <span className="muted">Expose for:</span>
        {GPU_PURPOSES.map((p) => (
          <label key={p} className="inline">
            <input
              type="checkbox"
              checked={gpuPurposeOn(choices, p)}
              onChange={(e) => onChange(withGpuPurpose(choices, scan, p, e.target.checked))}
            />
            {PURPOSE_LABELS[p]}
          </label>
        ))}
      </div>
      <div className="sub">
        <label>
          Mesh work may use up to{' '}
          <select
            value={choices.maxVramPercent}
            onChange={(e) => onChange({ ...choices, maxVramPercent: Number(e.target.value) })}
          >
            {vram.map((v) => (
              <option key={v} value={v}>
                {v}% of VRAM
              </option>
            ))}
          </select>
        </label>
      </div>
    </fieldset>
  );
}

function DevicesGroup({ candidates, choices, scan, onChange }: GroupProps): ReactElement {
  const names = (kind: string): string => {
    // the scanner names devices "Camera: C920"; the label already says which kind it is
    const prefix = new RegExp(`^${kind}:\\s*`, 'i');
    const found = candidates
      .filter((c) => c.id.startsWith(`${kind}/`))
      .map((c) => c.name.replace(prefix, ''));
    return found.length > 0 ? found.join('; ') : 'none detected';
  };
  const privacyNote = (on: boolean): string => (on ? 'Exposed to the mesh' : 'Not exposing (privacy)');
  const toggles = [
    { key: 'camera', title: 'Camera', detected: true },
    { key: 'speaker', title: 'Speaker', detected: true },
    { key: 'location', title: 'Location', detected: false },
    { key: 'screen', title: 'Screen', detected: false },
  ] as const;
  const mic = choices.hardware.microphone;
  const micModes = MIC_MODES.includes(mic) ? MIC_MODES : [...MIC_MODES, mic];
  return (
    <fieldset className="group">
      <legend>Devices, private by default</legend>
      <ul className="checks">
        {toggles.slice(0, 1).map((t) => (
          <DeviceToggle
            key={t.key}
            label={`${t.title}: ${names(t.key)}`}
            checked={choices.hardware[t.key]}
            note={privacyNote(choices.hardware[t.key])}
            onChange={(on) => onChange(withHardware(choices, scan, t.key, on))}
          />
        ))}
        <li>
          <label>
            <span className="label">Microphone: {names('microphone')}</span>{' '}
            <select
              value={String(mic)}
              onChange={(e) => {
                const value = e.target.value;
                const mode = micModes.find((m) => String(m) === value) ?? false;
                onChange(withHardware(choices, scan, 'microphone', mode));
              }}
            >
              {micModes.map((m) => (
                <option key={String(m)} value={String(m)}>
                  {microphoneLabel(m)}
                </option>
              ))}
            </select>
          </label>
          <span className="note">
            {mic === false ? 'Not exposing (privacy)' : `Expose for: ${microphoneLabel(mic)}`}
          </span>
        </li>
        {toggles.slice(1).map((t) => (
          <DeviceToggle
            key={t.key}
            label={t.detected ? `${t.title}: ${names(t.key)}` : t.title}
            checked={choices.hardware[t.key]}
            note={privacyNote(choices.hardware[t.key])}
            onChange={(on) => onChange(withHardware(choices, scan, t.key, on))}
          />
        ))}
      </ul>
    </fieldset>
  );
}

function DeviceToggle(props: {
  label: string;
  checked: boolean;
  note: string;
  onChange: (on: boolean) => void;
}): ReactElement {
  return (
    <li>
      <label>
        <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} />
        <span className="label">{props.label}</span>
      </label>
      <span className="note">{props.note}</span>
    </li>
  );
}

function SummaryList(props: { summary: ReturnType<typeof planApproval>['summary'] }): ReactElement {
  const { summary } = props;
  const mark = (e: { label: string; exposed: boolean; wasExposed: boolean }): string =>
    e.exposed === e.wasExposed ? e.label : `${e.label} (${e.wasExposed ? 'was exposed' : 'was private'})`;
  return (
    <section aria-labelledby="summary-title" className="card">
      <h2 id="summary-title">What saving means</h2>
      <div className="two-col">
        <div>
          <h3>Will expose ({summary.exposed.length})</h3>
          <ul>
            {summary.exposed.length === 0 ? (
              <li>nothing</li>
            ) : (
              summary.exposed.map((e) => <li key={e.id}>{mark(e)}</li>)
            )}
          </ul>
        </div>
        <div>
          <h3>Will keep private ({summary.private.length})</h3>
          <ul>
            {summary.private.length === 0 ? (
              <li>nothing</li>
            ) : (
              summary.private.map((e) => <li key={e.id}>{mark(e)}</li>)
            )}
          </ul>
        </div>
      </div>
    </section>
  );
}

/**
 * The Matter devices the node's bridge has commissioned, one toggle per device for all its
 * capabilities (as in `atmosphere approve`); saving writes `expose.capabilities` allow / deny.
 */
function MatterGroup(props: {
  matter: NonNullable<DiscoverData['matter']>;
  choices: ApprovalChoices;
  /** False before the first scan: the planner has nothing to add the devices to yet. */
  planned: boolean;
  onChange: (choices: ApprovalChoices) => void;
}): ReactElement {
  const { matter, choices, planned, onChange } = props;
  const { enabled, devices } = matter;
  const listed = devices.filter((d) => d.capabilities.length > 0);
  const on = listed.filter((d) => matterDeviceExposed(d, choices)).length;
  return (
    <fieldset className="group">
      <legend>
        Matter devices ({!enabled ? 'bridge off' : `${on} of ${devices.length} commissioned exposed`})
      </legend>
      {!enabled ? (
        <p className="note">Requires the Matter bridge: set matter.enabled in config.yaml.</p>
      ) : devices.length === 0 ? (
        <p className="note">None commissioned yet: pair one with `atmosphere matter pair CODE`.</p>
      ) : (
        <>
          {!planned && (
            <p className="note">Scan this device first to choose which Matter devices to expose.</p>
          )}
          <ul className="checks">
            {devices.map((d) => (
              <li key={d.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={matterDeviceExposed(d, choices)}
                    disabled={!planned || d.capabilities.length === 0}
                    onChange={(e) => onChange(withMatterDevice(choices, d, e.target.checked))}
                  />
                  <span className="label">{matterDeviceLabel(d)}</span>
                </label>
                <span className="note">
                  {d.capabilities.length === 0
                    ? 'no capabilities reported yet'
                    : d.capabilities.map((c) => `${c.id} (${c.type})`).join(', ')}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </fieldset>
  );
}
