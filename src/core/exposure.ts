/**
 * The owner's exposure rules (config `expose` and `access`, seed Part 7) applied to one capability:
 * may a peer in these meshes use it? And the owner's limits on a model's share of the GPU. Pure, so
 * the same decision is made where work executes, when the node announces, and in tests.
 *
 * Order of the exposure rules, first match wins:
 * 1. `expose.capabilities.deny` globs (on the capability id): never exposed.
 * 2. `expose.hardware`: a capability that uses a device (by its type, or by naming it in
 *    `metadata.hardware`) follows that device's switch. The switch is the owner's explicit answer:
 *    an off switch is not overridden by `expose.capabilities.allow`, and an on switch exposes the
 *    device itself (a capability that merely uses an allowed device goes on to the next rules).
 *    The GPU may be exposed for some purposes only (`{ inference, training, image_generation }`):
 *    a capability that uses it is judged by the purpose of its work (see `gpuPurposeOf`).
 *    The microphone has modes: `false` keeps everything that uses it private; `whisper_only` and
 *    `transcription_only` expose only `audio/transcribe` capabilities fed by it (speech becomes
 *    text on this node; raw `audio/capture` stays private); `true` and `always_on` expose both
 *    (they differ in whether a capability may listen continuously, not in what is exposed).
 * 3. `expose.capabilities.allow` globs: exposed.
 * 4. `expose.services.<provider>: false`: everything that provider serves is private.
 * 5. Models by backend: `expose.models.ollama | llamafarm | huggingface | cloud` globs on the model id.
 * 6. Anything else (Matter devices, sensors, services ...) is private until the owner allows it.
 */
import type { Capability } from './capability.js';
import type { GpuPurpose, ResolvedConfig } from './config-schema.js';
import { GPU_PURPOSES } from './config-schema.js';
import { matchesAnyGlob } from './glob.js';

export interface ExposureDecision {
  readonly exposed: boolean;
  /** The config key that decided (`expose.models.ollama`, `access.mesh_ids` ...). */
  readonly rule: string;
}

type ExposureConfig = Pick<ResolvedConfig, 'expose' | 'access'>;

/** The device switches under `expose.hardware`. */
export type HardwareKey = 'gpu' | 'camera' | 'microphone' | 'speaker' | 'location' | 'screen';

export const HARDWARE_KEYS: readonly HardwareKey[] = [
  'gpu',
  'camera',
  'microphone',
  'speaker',
  'location',
  'screen',
];

/** Capability types that are a device themselves (a type, or a family `prefix/`). */
const DEVICE_TYPES: readonly { readonly type: string; readonly device: HardwareKey }[] = [
  { type: 'compute/gpu', device: 'gpu' },
  { type: 'sensor/camera', device: 'camera' },
  { type: 'audio/capture', device: 'microphone' },
  { type: 'audio/playback', device: 'speaker' },
  { type: 'sensor/location', device: 'location' },
  { type: 'sensor/screen', device: 'screen' },
  { type: 'screen', device: 'screen' },
];

/** `audio/transcribe`: the only kind of microphone use the `whisper_only` mode allows. */
export const TRANSCRIBE_TYPE = 'audio/transcribe';

function ofType(type: string, family: string): boolean {
  return type === family || type.startsWith(`${family}/`);
}

// ---- what the GPU may be used for ------------------------------------------------------------

/** `expose.hardware.gpu`: `true`, `false`, or the purposes one by one. */
export type GpuSetting = ResolvedConfig['expose']['hardware']['gpu'];

/** Each GPU purpose on or off. */
export type GpuPurposes = Readonly<Record<GpuPurpose, boolean>>;

/** `image generation`, `training`, `inference`: a purpose in words. */
export function gpuPurposeLabel(purpose: GpuPurpose): string {
  return purpose === 'image_generation' ? 'image generation' : purpose;
}

/** `vision/generate`: the capabilities the `image_generation` purpose speaks about. */
export const IMAGE_GENERATION_TYPE = 'vision/generate';

/**
 * The GPU purpose a capability's work falls under: `image_generation` for `vision/generate`
 * capabilities, `training` for work of type `training` (raw `compute/gpu` counts as training
 * unless it declares another work type), and `inference` for all other model work (chat,
 * completions, embeddings, transcription, retrieval over a model).
 */
export function gpuPurposeOf(capability: Pick<Capability, 'type' | 'workType'>): GpuPurpose {
  if (ofType(capability.type, IMAGE_GENERATION_TYPE)) return 'image_generation';
  if (capability.workType === 'training') return 'training';
  return 'inference';
}

/** The setting as one switch per purpose: `true` turns every purpose on, `false` every one off. */
export function gpuPurposes(setting: GpuSetting): GpuPurposes {
  if (typeof setting === 'boolean') {
    return { inference: setting, training: setting, image_generation: setting };
  }
  return {
    inference: setting.inference,
    training: setting.training,
    image_generation: setting.image_generation,
  };
}

/** Whether mesh work may use the GPU for anything at all. */
export function gpuExposed(setting: GpuSetting): boolean {
  const purposes = gpuPurposes(setting);
  return GPU_PURPOSES.some((p) => purposes[p]);
}

/**
 * The setting to write for these purposes: `true` when all are on, `false` when none is, else the
 * object with all three keys.
 */
export function gpuSettingOf(purposes: GpuPurposes): GpuSetting {
  const on = GPU_PURPOSES.filter((p) => purposes[p]);
  if (on.length === GPU_PURPOSES.length) return true;
  if (on.length === 0) return false;
  return {
    inference: purposes.inference,
    training: purposes.training,
    image_generation: purposes.image_generation,
  };
}

/** Whether two settings allow the same purposes (`true` and an all-on object are the same). */
export function sameGpuSetting(a: GpuSetting, b: GpuSetting): boolean {
  const pa = gpuPurposes(a);
  const pb = gpuPurposes(b);
  return GPU_PURPOSES.every((p) => pa[p] === pb[p]);
}

/**
 * Whether `expose.hardware.gpu` lets mesh work of this capability's kind use the GPU: the
 * setting's answer for `gpuPurposeOf(capability)`.
 */
export function gpuAllowedFor(
  hardware: Pick<ResolvedConfig['expose']['hardware'], 'gpu'>,
  capability: Pick<Capability, 'type' | 'workType'>,
): boolean {
  return gpuPurposes(hardware.gpu)[gpuPurposeOf(capability)];
}

/**
 * The devices a capability uses: the device its type names (`sensor/camera`, `audio/capture`,
 * `audio/playback`, `sensor/location`, `screen/*`, `compute/gpu`) plus those listed in
 * `metadata.hardware` (a string or a list, e.g. a transcription service fed by the microphone
 * carries `hardware: ["microphone"]`).
 */
export function hardwareUsedBy(capability: Pick<Capability, 'type' | 'metadata'>): HardwareKey[] {
  const used = new Set<HardwareKey>();
  for (const { type, device } of DEVICE_TYPES) if (ofType(capability.type, type)) used.add(device);
  const listed = capability.metadata.hardware;
  const names = typeof listed === 'string' ? [listed] : Array.isArray(listed) ? listed : [];
  for (const name of names) {
    if (typeof name === 'string' && (HARDWARE_KEYS as readonly string[]).includes(name)) {
      used.add(name as HardwareKey);
    }
  }
  return HARDWARE_KEYS.filter((k) => used.has(k));
}

/**
 * What the `expose.hardware` switches say about a capability. A switch that is off (or a
 * microphone mode that does not allow this use, or a GPU not exposed for the purpose of this
 * capability's work) refuses it. A switch that is on exposes what it
 * speaks about: a device itself (`sensor/camera`, `audio/capture` ...) and, for the microphone, a
 * transcription capability fed by it. Anything else that merely uses an allowed device is left to
 * the other rules (null), as is a capability that uses no device.
 */
export function hardwareExposure(
  hardware: ResolvedConfig['expose']['hardware'],
  capability: Pick<Capability, 'type' | 'metadata' | 'workType'>,
): ExposureDecision | null {
  const used = hardwareUsedBy(capability);
  if (used.length === 0) return null;
  const transcribes = ofType(capability.type, TRANSCRIBE_TYPE);
  for (const device of used) {
    const rule = `expose.hardware.${device}`;
    if (device === 'microphone') {
      const mode = hardware.microphone;
      if (mode === false) return { exposed: false, rule };
      if ((mode === 'whisper_only' || mode === 'transcription_only') && !transcribes)
        return { exposed: false, rule };
    } else if (device === 'gpu') {
      if (!gpuAllowedFor(hardware, capability)) return { exposed: false, rule };
    } else if (!hardware[device]) {
      return { exposed: false, rule };
    }
  }
  const device = DEVICE_TYPES.find((d) => ofType(capability.type, d.type))?.device;
  if (device !== undefined) return { exposed: true, rule: `expose.hardware.${device}` };
  if (transcribes && used.includes('microphone'))
    return { exposed: true, rule: 'expose.hardware.microphone' };
  return null;
}

function metaString(capability: Capability, key: string): string | null {
  const value = capability.metadata[key];
  return typeof value === 'string' ? value : null;
}

/** Whether the owner lets the mesh use `capability` at all (before asking which mesh). */
export function capabilityExposure(config: ExposureConfig, capability: Capability): ExposureDecision {
  const { expose } = config;
  if (matchesAnyGlob(capability.id, expose.capabilities.deny))
    return { exposed: false, rule: 'expose.capabilities.deny' };
  const device = hardwareExposure(expose.hardware, capability);
  if (device !== null) return device;
  if (matchesAnyGlob(capability.id, expose.capabilities.allow))
    return { exposed: true, rule: 'expose.capabilities.allow' };
  const backend = capability.metadata.backend;
  const provider = metaString(capability, 'provider');
  const model = metaString(capability, 'model') ?? capability.id;
  if (provider !== null && expose.services[provider] === false) {
    return { exposed: false, rule: `expose.services.${provider}` };
  }
  switch (backend) {
    case 'ollama':
      return { exposed: matchesAnyGlob(model, expose.models.ollama), rule: 'expose.models.ollama' };
    case 'llamafarm':
      return { exposed: matchesAnyGlob(model, expose.models.llamafarm), rule: 'expose.models.llamafarm' };
    case 'huggingface':
      return {
        exposed: matchesAnyGlob(model, expose.models.huggingface),
        rule: 'expose.models.huggingface',
      };
    case 'openai-compatible':
      return {
        exposed:
          matchesAnyGlob(model, expose.models.cloud) || matchesAnyGlob(capability.id, expose.models.cloud),
        rule: 'expose.models.cloud',
      };
    default:
      // Anything else (devices, sensors ...) is private until the owner approves it.
      return { exposed: false, rule: 'expose.capabilities.allow' };
  }
}

/** Whether a peer that shares `meshIds` with this node may use `capability`. */
export function exposedToMeshes(
  config: ExposureConfig,
  capability: Capability,
  meshIds: readonly string[],
): ExposureDecision {
  const base = capabilityExposure(config, capability);
  if (!base.exposed) return base;
  if (!meshIds.some((id) => matchesAnyGlob(id, config.access.mesh_ids))) {
    return { exposed: false, rule: 'access.mesh_ids' };
  }
  return base;
}

// ---- the GPU share of mesh work -------------------------------------------------------------

/** What the VRAM check knows about one request for a local model. */
export interface VramCheck {
  /** GPU memory the model occupies when loaded, else its size on disk; null when unknown. */
  readonly modelBytes: number | null;
  /** All GPU memory of this device (unified memory for Apple GPUs); null when no GPU is known. */
  readonly gpuMemoryBytes: number | null;
  /** `limits.max_vram_percent`. */
  readonly maxVramPercent: number;
  /**
   * Whether `expose.hardware.gpu` lets this work use the GPU: already decided
   * (`gpuAllowedFor(hardware, capability)`), or the setting itself, read for `gpuPurpose`.
   */
  readonly gpuAllowed: GpuSetting;
  /**
   * The purpose of the work (`gpuPurposeOf(capability)`): which purpose of a setting given as
   * `gpuAllowed` applies (inference when absent: what local model servers run), named in a refusal.
   */
  readonly gpuPurpose?: GpuPurpose;
}

export interface VramDecision {
  readonly allowed: boolean;
  /** The config key that decided, or null when nothing was checked (unknown sizes). */
  readonly rule: 'limits.max_vram_percent' | 'expose.hardware.gpu' | null;
  /** In words, with the numbers: the refusal's message, or why it was allowed. */
  readonly reason: string;
  /** `gpuMemoryBytes × maxVramPercent / 100`, rounded down; null when no GPU memory is known. */
  readonly limitBytes: number | null;
}

const GIB = 1024 ** 3;

function gigabytes(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GB`;
}

/**
 * May mesh work run a local model of `modelBytes` on this device's GPU? Refused when the model is
 * larger than `max_vram_percent` of the GPU memory, or when the owner's `expose.hardware.gpu` does
 * not allow this work (`gpuAllowed`: off, or off for its purpose) on a device that has a GPU: local
 * model servers (Ollama, llama.cpp) put models on the GPU when there is one, so "no GPU for the
 * mesh" means no local model work of that kind for the mesh there. A device without a known GPU
 * runs models on the CPU, so neither rule applies; nor does the cap when the model's size is
 * unknown.
 */
export function vramDecision(check: VramCheck): VramDecision {
  const { modelBytes, gpuMemoryBytes, maxVramPercent } = check;
  if (gpuMemoryBytes === null || gpuMemoryBytes <= 0) {
    return {
      allowed: true,
      rule: null,
      reason: 'no GPU memory is known on this device: the VRAM cap does not apply',
      limitBytes: null,
    };
  }
  const limitBytes = Math.floor((gpuMemoryBytes * maxVramPercent) / 100);
  // a decided boolean answers for any purpose; a setting is read for the work's purpose
  const purpose: GpuPurpose | undefined =
    check.gpuPurpose ?? (typeof check.gpuAllowed === 'boolean' ? undefined : 'inference');
  if (!gpuPurposes(check.gpuAllowed)[purpose ?? 'inference']) {
    return {
      allowed: false,
      rule: 'expose.hardware.gpu',
      reason:
        purpose === undefined
          ? 'the owner does not let mesh work use the GPU (expose.hardware.gpu)'
          : `the owner does not let mesh work use the GPU for ${gpuPurposeLabel(purpose)} ` +
            `(expose.hardware.gpu)`,
      limitBytes,
    };
  }
  if (modelBytes === null) {
    return {
      allowed: true,
      rule: null,
      reason: "the model's size is unknown: the VRAM cap does not apply",
      limitBytes,
    };
  }
  if (modelBytes > limitBytes) {
    return {
      allowed: false,
      rule: 'limits.max_vram_percent',
      reason:
        `the model needs ${gigabytes(modelBytes)} of GPU memory, more than the ${maxVramPercent}% ` +
        `of ${gigabytes(gpuMemoryBytes)} (${gigabytes(limitBytes)}) the owner lets mesh work use ` +
        '(limits.max_vram_percent)',
      limitBytes,
    };
  }
  return {
    allowed: true,
    rule: 'limits.max_vram_percent',
    reason: `the model needs ${gigabytes(modelBytes)}, within ${gigabytes(limitBytes)}`,
    limitBytes,
  };
}

/** The bytes the VRAM check counts for a model: its GPU footprint when loaded, else its size. */
export function modelVramBytes(model: {
  readonly sizeBytes: number | null;
  readonly loaded: boolean | null;
  readonly vramBytes: number | null;
}): number | null {
  if (model.loaded === true && model.vramBytes !== null && model.vramBytes > 0) return model.vramBytes;
  return model.sizeBytes;
}

/**
 * All GPU memory of a device: the sum over its GPUs whose memory is known (model servers split a
 * model's layers across GPUs). Null when no GPU with known memory is listed.
 */
export function totalGpuMemoryBytes(gpus: readonly { readonly vramBytes: number | null }[]): number | null {
  const known = gpus.map((g) => g.vramBytes).filter((b): b is number => b !== null && b > 0);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}
