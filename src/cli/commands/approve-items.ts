/**
 * The checklist `atmosphere approve` shows, grouped like the seed's mock (Part 1.2): the GPU with
 * what it is exposed for (inference, training, image generation: toggles under the GPU's own) and
 * its VRAM cap, each Ollama model, the LlamaFarm projects, model files
 * nothing serves yet, other findings, then the devices (camera, microphone with "transcription
 * only", speaker, location, screen), then the Matter devices the running node has commissioned
 * (one toggle per device for all its capabilities). Built from a scan and choices, and read back
 * into choices.
 */
import type { CandidateCapability, GpuPurpose, GpuSetting, ScanReport } from '../../core/index.js';
import { GPU_PURPOSES, gpuPurposeLabel, gpuPurposes, gpuSettingOf } from '../../core/index.js';
import type {
  ApprovalChoices,
  HardwareSettings,
  MatterDeviceInfo,
  MicrophoneSetting,
} from './approve-plan.js';
import {
  candidateLabel,
  matterDeviceLabel,
  microphoneLabel,
  sameSwitch,
  switchedOn,
  targetOf,
} from './approve-plan.js';
import type { ChecklistItem, ChecklistOption, ChecklistState } from './approve-checklist.js';
import { itemByKey, modeItem, selectedValue, toggleItem } from './approve-checklist.js';

export const GROUPS = {
  gpu: 'GPU',
  ollama: 'Ollama models',
  llamafarm: 'LlamaFarm projects (select which)',
  files: 'Model files (nothing on this node serves them yet)',
  other: 'Other findings',
  devices: 'Devices, private by default',
  matter: 'Matter devices, private by default',
} as const;

/** The checklist key of a Matter device's toggle: `matter:<device id>` (the bridge's id). */
export function matterKey(deviceId: string): string {
  return `matter:${deviceId}`;
}

/** Whether every capability of a device is exposed in `choices` (what its toggle shows). */
export function matterDeviceExposed(device: MatterDeviceInfo, choices: ApprovalChoices): boolean {
  return (
    device.capabilities.length > 0 && device.capabilities.every((c) => choices.candidates[c.id] === true)
  );
}

/** What each GPU purpose covers, shown beside its toggle. */
const GPU_PURPOSE_NOTES: Readonly<Record<GpuPurpose, string>> = {
  inference: 'chat, completions, embeddings, transcription on local models',
  training: 'training and fine-tuning work',
  image_generation: 'vision/generate capabilities',
};

/** The checklist key of a GPU purpose's toggle: `gpu:inference` … */
export function gpuPurposeKey(purpose: GpuPurpose): string {
  return `gpu:${purpose}`;
}

const GIB = 1024 ** 3;

const MICROPHONE_MODES: readonly MicrophoneSetting[] = [false, 'transcription_only', true];

function microphoneOptions(current: MicrophoneSetting): ChecklistOption[] {
  const modes = MICROPHONE_MODES.includes(current) ? MICROPHONE_MODES : [...MICROPHONE_MODES, current];
  return modes.map((m) => ({ value: String(m), label: microphoneLabel(m) }));
}

function parseMicrophone(value: string | null, fallback: MicrophoneSetting): MicrophoneSetting {
  switch (value) {
    case 'false':
      return false;
    case 'true':
      return true;
    case 'transcription_only':
    case 'whisper_only':
    case 'always_on':
      return value;
    default:
      return fallback;
  }
}

function vramOptions(current: number): ChecklistOption[] {
  const steps = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  const values = steps.includes(current) ? steps : [...steps, current].sort((a, b) => a - b);
  return values.map((v) => ({ value: String(v), label: `${v}% of VRAM` }));
}

/** A short note on a model: what it is when recommended, else why not. */
function modelNote(candidate: CandidateCapability, scan: ScanReport): string {
  if (!candidate.recommended) return candidate.reason;
  const target = targetOf(candidate.id);
  const source = candidate.id.slice(0, candidate.id.indexOf('/'));
  const model = scan.models.find((m) => m.source === source && m.id === target.modelId);
  if (model === undefined) return candidate.reason;
  const facts = [model.family, model.parameterSize, model.quantization].filter((f): f is string => !!f);
  if (model.sizeBytes !== null) facts.push(`${(model.sizeBytes / GIB).toFixed(1)} GB`);
  return facts.length > 0 ? facts.join(' · ') : candidate.reason;
}

function deviceNames(candidates: readonly CandidateCapability[], key: string, prefix: string): string | null {
  const names = candidates
    .filter((c) => targetOf(c.id).hardware === key)
    .map((c) => c.name.replace(prefix, '').trim());
  return names.length === 0 ? null : names.join('; ');
}

/**
 * The checklist for a scan, checked as `choices` say. `matter` are the devices the running node
 * has commissioned (their capabilities are candidates of `scan`, see `withMatterCandidates`): a
 * group with one toggle per device; no group when there are none.
 */
export function checklistItems(
  scan: ScanReport | null,
  choices: ApprovalChoices,
  matter: readonly MatterDeviceInfo[] = [],
): ChecklistItem[] {
  const matterIds = new Set(matter.flatMap((d) => d.capabilities.map((c) => c.id)));
  const candidates = (scan?.candidates ?? []).filter((c) => !matterIds.has(c.id));
  const items: ChecklistItem[] = [];
  const gpus = candidates.filter((c) => targetOf(c.id).hardware === 'gpu');
  if (gpus.length > 0) {
    const label =
      gpus.length === 1 ? (gpus[0]?.name ?? 'GPU') : `GPUs: ${deviceNames(candidates, 'gpu', 'GPU:')}`;
    const note = gpus[0]?.description.split('; ').slice(1).join('; ') ?? '';
    const purposes = gpuPurposes(choices.hardware.gpu);
    items.push(
      toggleItem(
        { key: 'hardware:gpu', group: GROUPS.gpu, label, note },
        GPU_PURPOSES.some((p) => purposes[p]),
      ),
      ...GPU_PURPOSES.map((purpose) =>
        toggleItem(
          {
            key: gpuPurposeKey(purpose),
            group: GROUPS.gpu,
            label: `expose for ${gpuPurposeLabel(purpose)}`,
            note: GPU_PURPOSE_NOTES[purpose],
            parent: 'hardware:gpu',
          },
          purposes[purpose],
        ),
      ),
      modeItem(
        {
          key: 'limit:max_vram_percent',
          group: GROUPS.gpu,
          label: 'Mesh work may use up to',
          note: 'limits.max_vram_percent',
        },
        vramOptions(choices.maxVramPercent),
        String(choices.maxVramPercent),
      ),
    );
  }
  const byKind = (kind: 'ollama' | 'llamafarm' | 'files' | 'other'): CandidateCapability[] =>
    candidates.filter((c) => {
      const target = targetOf(c.id);
      if (kind === 'files') return target.kind === 'model-file';
      if (kind === 'other') return target.kind === 'other';
      return target.kind === 'served-model' && target.list === kind;
    });
  for (const kind of ['ollama', 'llamafarm', 'files', 'other'] as const) {
    for (const c of byKind(kind)) {
      const note = scan !== null && kind !== 'other' && kind !== 'files' ? modelNote(c, scan) : c.reason;
      items.push(
        toggleItem(
          {
            key: `candidate:${c.id}`,
            group: GROUPS[kind],
            label: kind === 'other' ? c.name : candidateLabel(c),
            note,
          },
          choices.candidates[c.id] ?? false,
        ),
      );
    }
  }
  const named = (key: string, title: string): string => {
    const names = deviceNames(candidates, key, `${title}:`);
    return names === null ? `${title} (none detected)` : `${title}: ${names}`;
  };
  items.push(
    toggleItem(
      {
        key: 'hardware:camera',
        group: GROUPS.devices,
        label: named('camera', 'Camera'),
        note: 'photos and video',
      },
      choices.hardware.camera,
    ),
    modeItem(
      {
        key: 'hardware:microphone',
        group: GROUPS.devices,
        label: named('microphone', 'Microphone'),
        note: 'off / transcription only / on',
      },
      microphoneOptions(choices.hardware.microphone),
      String(choices.hardware.microphone),
    ),
    toggleItem(
      {
        key: 'hardware:speaker',
        group: GROUPS.devices,
        label: named('speaker', 'Speaker'),
        note: 'play audio here',
      },
      choices.hardware.speaker,
    ),
    toggleItem(
      { key: 'hardware:location', group: GROUPS.devices, label: 'Location', note: "this device's position" },
      choices.hardware.location,
    ),
    toggleItem(
      {
        key: 'hardware:screen',
        group: GROUPS.devices,
        label: 'Screen',
        note: 'capture or show things on it',
      },
      choices.hardware.screen,
    ),
  );
  for (const device of matter) {
    if (device.capabilities.length === 0) continue;
    items.push(
      toggleItem(
        {
          key: matterKey(device.id),
          group: GROUPS.matter,
          label: matterDeviceLabel(device),
          note: device.capabilities.map((c) => `${c.id} (${c.type})`).join(', '),
        },
        matterDeviceExposed(device, choices),
      ),
    );
  }
  return items;
}

/**
 * The GPU setting the checklist stands for: off when the GPU's toggle is, else its purposes
 * (`true` when all are on); `fallback` when the checklist has no GPU.
 */
function gpuFromChecklist(state: ChecklistState, fallback: GpuSetting): GpuSetting {
  const gpu = itemByKey(state, 'hardware:gpu');
  if (gpu === undefined) return fallback;
  if (!gpu.checked) return false;
  const before = gpuPurposes(fallback);
  const purposes = Object.fromEntries(
    GPU_PURPOSES.map((p) => [p, itemByKey(state, gpuPurposeKey(p))?.checked ?? before[p]]),
  ) as Record<GpuPurpose, boolean>;
  return gpuSettingOf(purposes);
}

/**
 * The choices a checklist stands for. A device follows its kind's switch when the owner changed
 * that switch; otherwise it keeps the state it had in `base` (a rule naming one camera survives).
 */
export function choicesFromChecklist(
  state: ChecklistState,
  base: ApprovalChoices,
  scan: ScanReport | null,
  matter: readonly MatterDeviceInfo[] = [],
): ApprovalChoices {
  const toggle = (key: string, fallback: boolean): boolean => itemByKey(state, key)?.checked ?? fallback;
  const micItem = itemByKey(state, 'hardware:microphone');
  const vramItem = itemByKey(state, 'limit:max_vram_percent');
  const hardware: HardwareSettings = {
    gpu: gpuFromChecklist(state, base.hardware.gpu),
    camera: toggle('hardware:camera', base.hardware.camera),
    microphone: parseMicrophone(micItem ? selectedValue(micItem) : null, base.hardware.microphone),
    speaker: toggle('hardware:speaker', base.hardware.speaker),
    location: toggle('hardware:location', base.hardware.location),
    screen: toggle('hardware:screen', base.hardware.screen),
  };
  const vram = vramItem ? Number(selectedValue(vramItem)) : base.maxVramPercent;
  const candidates: Record<string, boolean> = {};
  for (const c of scan?.candidates ?? []) {
    const device = targetOf(c.id).hardware;
    if (device === null) {
      candidates[c.id] = toggle(`candidate:${c.id}`, base.candidates[c.id] ?? false);
    } else if (sameSwitch(device, hardware[device], base.hardware[device])) {
      candidates[c.id] = base.candidates[c.id] ?? switchedOn(hardware, device);
    } else {
      candidates[c.id] = switchedOn(hardware, device);
    }
  }
  // a Matter device's capabilities follow its toggle when the owner changed it; otherwise each
  // keeps its state (a rule naming one endpoint of a device survives)
  for (const device of matter) {
    const item = itemByKey(state, matterKey(device.id));
    if (item === undefined || item.checked === matterDeviceExposed(device, base)) continue;
    for (const c of device.capabilities) candidates[c.id] = item.checked;
  }
  return { candidates, hardware, maxVramPercent: Number.isFinite(vram) ? vram : base.maxVramPercent };
}
