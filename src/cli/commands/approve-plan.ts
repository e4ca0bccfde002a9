/**
 * The owner's approval as data (seed Parts 1.2 and 7): which candidates of a scan are exposed, how
 * the hardware is shared and how much VRAM mesh work may use — and the translation of those
 * choices, or of `--expose`/`--deny` globs, into the `expose:` section of config.yaml with as few
 * edits as possible, keeping the owner's own globs. Pure: a config and a scan in, a plan out.
 *
 * Candidates map onto config keys by the first segment of their id: `ollama/…` and `llamafarm/…`
 * → `expose.models.ollama|llamafarm`; `huggingface/…`, `gguf/…`, `transformers/…` →
 * `expose.models.huggingface`; `gpu/…`, `camera/…`, `microphone/…`, `speaker/…` (and `location`,
 * `screen`, which no probe finds yet) → `expose.hardware.*`; anything else → `expose.capabilities`.
 * The GPU's switch also says what it is exposed for (inference, training, image generation): a
 * `gpu/…` device is exposed while the GPU is exposed for any of them.
 */
import type {
  CandidateCapability,
  Capability,
  GpuSetting,
  ResolvedConfig,
  ScanReport,
} from '../../core/index.js';
import {
  GPU_PURPOSES,
  capabilityExposure,
  gpuExposed,
  gpuPurposeLabel,
  gpuPurposes,
  gpuSettingOf,
  matchesAnyGlob,
  ProtocolViolationError,
  matchesGlob,
  sameGpuSetting,
} from '../../core/index.js';

export const HARDWARE_KEYS = ['gpu', 'camera', 'microphone', 'speaker', 'location', 'screen'] as const;
export type HardwareKey = (typeof HARDWARE_KEYS)[number];
/** Hardware kinds the scanner finds devices of (`gpu/0`, `camera/video0` ...). */
type DeviceKey = 'gpu' | 'camera' | 'microphone' | 'speaker';
const DEVICE_KEYS: readonly DeviceKey[] = ['gpu', 'camera', 'microphone', 'speaker'];

export type MicrophoneSetting = ResolvedConfig['expose']['hardware']['microphone'];

export interface HardwareSettings {
  gpu: GpuSetting;
  camera: boolean;
  microphone: MicrophoneSetting;
  speaker: boolean;
  location: boolean;
  screen: boolean;
}

/**
 * What the approval proposes for a GPU the scanner recommends (seed Part 1.2): inference and
 * training, not image generation.
 */
export const RECOMMENDED_GPU: GpuSetting = gpuSettingOf({
  inference: true,
  training: true,
  image_generation: false,
});

/** Private defaults (seed Part 7): camera, microphone, speaker, location and screen off; GPU on. */
export const PRIVATE_HARDWARE_DEFAULTS: Readonly<HardwareSettings> = Object.freeze({
  gpu: true,
  camera: false,
  microphone: false,
  speaker: false,
  location: false,
  screen: false,
});

export const DEFAULT_MAX_VRAM_PERCENT = 80;

/** Whether a hardware switch exposes its device at all (a GPU for any purpose, a microphone in any mode). */
export function switchedOn(hardware: Readonly<HardwareSettings>, key: HardwareKey): boolean {
  if (key === 'gpu') return gpuExposed(hardware.gpu);
  return hardware[key] !== false;
}

/** Whether two settings of one switch mean the same (a GPU's `true` and an all-on object do). */
export function sameSwitch(
  key: HardwareKey,
  a: HardwareSettings[HardwareKey],
  b: HardwareSettings[HardwareKey],
): boolean {
  if (key === 'gpu') return sameGpuSetting(a as GpuSetting, b as GpuSetting);
  return a === b;
}

/** `inference, training and image generation`: what a GPU setting exposes the GPU for, or `nothing`. */
export function gpuPurposesText(setting: GpuSetting): string {
  const purposes = gpuPurposes(setting);
  const on = GPU_PURPOSES.filter((p) => purposes[p]).map(gpuPurposeLabel);
  if (on.length === 0) return 'nothing';
  return on.length === 1 ? (on[0] ?? '') : `${on.slice(0, -1).join(', ')} and ${on[on.length - 1] ?? ''}`;
}

/** The `expose:` section as approve writes it (mutable while a plan is built). */
export interface ExposeRules {
  models: { ollama: string[]; llamafarm: string[]; huggingface: string[]; cloud: string[] };
  hardware: HardwareSettings;
  services: Record<string, boolean>;
  capabilities: { allow: string[]; deny: string[] };
}

/** What the owner wants, before it is turned into config. */
export interface ApprovalChoices {
  /** Every candidate of the scan (hardware devices included) by id: exposed or not. */
  readonly candidates: Readonly<Record<string, boolean>>;
  readonly hardware: Readonly<HardwareSettings>;
  readonly maxVramPercent: number;
}

export type ExposureConfig = Pick<ResolvedConfig, 'expose' | 'access'>;

export interface CandidateDecision {
  readonly exposed: boolean;
  /** The config key that decided (`expose.models.ollama`, `expose.hardware.camera` ...). */
  readonly rule: string;
}

// ---- candidates and the keys that govern them ----------------------------------------------------

export interface CandidateTarget {
  readonly kind: 'served-model' | 'model-file' | 'hardware' | 'other';
  /** For models: the `expose.models` list that governs it. */
  readonly list: 'ollama' | 'llamafarm' | 'huggingface' | null;
  /** For models: what the model globs match — the id without its source (`llama3.2:3b`). */
  readonly modelId: string | null;
  readonly hardware: DeviceKey | null;
}

const SERVED_SOURCES = new Set(['ollama', 'llamafarm']);
const FILE_SOURCES = new Set(['huggingface', 'gguf', 'transformers']);

/** Which config keys decide a candidate, from the first segment of its id. */
export function targetOf(candidateId: string): CandidateTarget {
  const slash = candidateId.indexOf('/');
  const prefix = slash < 0 ? candidateId : candidateId.slice(0, slash);
  const rest = slash < 0 ? '' : candidateId.slice(slash + 1);
  if (SERVED_SOURCES.has(prefix)) {
    return { kind: 'served-model', list: prefix as 'ollama' | 'llamafarm', modelId: rest, hardware: null };
  }
  if (FILE_SOURCES.has(prefix))
    return { kind: 'model-file', list: 'huggingface', modelId: rest, hardware: null };
  if ((DEVICE_KEYS as readonly string[]).includes(prefix)) {
    return { kind: 'hardware', list: null, modelId: null, hardware: prefix as DeviceKey };
  }
  return { kind: 'other', list: null, modelId: null, hardware: null };
}

/** The capability a served model announces, as far as the exposure rules look at it. */
function servedCapability(
  candidate: Pick<CandidateCapability, 'id' | 'type'>,
  target: CandidateTarget,
): Capability {
  return {
    id: candidate.id,
    type: candidate.type,
    nodeId: 'local',
    description: '',
    tools: [],
    triggers: [],
    metadata: { backend: target.list, provider: target.list, model: target.modelId },
    workType: 'inference',
  };
}

/**
 * Whether the rules expose a candidate, and which key decided. Served models go through the same
 * `capabilityExposure` the node enforces; the rest follow its order: `capabilities.deny`, then
 * `capabilities.allow`, then the key of their kind.
 */
export function decideCandidate(
  config: ExposureConfig,
  candidate: Pick<CandidateCapability, 'id' | 'type'>,
): CandidateDecision {
  const target = targetOf(candidate.id);
  if (target.kind === 'served-model') return capabilityExposure(config, servedCapability(candidate, target));
  const { expose } = config;
  if (matchesAnyGlob(candidate.id, expose.capabilities.deny))
    return { exposed: false, rule: 'expose.capabilities.deny' };
  if (matchesAnyGlob(candidate.id, expose.capabilities.allow))
    return { exposed: true, rule: 'expose.capabilities.allow' };
  if (target.kind === 'model-file') {
    return {
      exposed: matchesAnyGlob(target.modelId ?? '', expose.models.huggingface),
      rule: 'expose.models.huggingface',
    };
  }
  if (target.hardware !== null) {
    return {
      exposed: switchedOn(expose.hardware, target.hardware),
      rule: `expose.hardware.${target.hardware}`,
    };
  }
  return { exposed: false, rule: 'expose.capabilities.allow' };
}

/** Whether `key` (`expose.models.ollama`) is set in any of the layers (file, environment). */
export function isExplicitKey(key: string, layers: readonly unknown[]): boolean {
  const path = key.split('.');
  return layers.some((layer) => {
    let node: unknown = layer;
    for (const segment of path) {
      if (!isPlainObject(node) || !Object.hasOwn(node, segment) || node[segment] === undefined) return false;
      node = node[segment];
    }
    return true;
  });
}

function hardwareOf(config: Pick<ResolvedConfig, 'expose'>): HardwareSettings {
  return { ...config.expose.hardware };
}

function candidatesOf(scan: ScanReport | null): readonly CandidateCapability[] {
  return scan?.candidates ?? [];
}

/** What is in effect now: every candidate as the current rules decide it. */
export function currentChoices(config: ResolvedConfig, scan: ScanReport | null): ApprovalChoices {
  const candidates: Record<string, boolean> = {};
  for (const c of candidatesOf(scan)) candidates[c.id] = decideCandidate(config, c).exposed;
  return { candidates, hardware: hardwareOf(config), maxVramPercent: config.limits.max_vram_percent };
}

function gpuRecommendation(scan: ScanReport | null): boolean | null {
  const gpus = candidatesOf(scan).filter((c) => targetOf(c.id).hardware === 'gpu');
  return gpus.length === 0 ? null : gpus.some((c) => c.recommended);
}

/**
 * `--recommended`: exactly the scanner's recommended candidates, private defaults for the rest
 * (camera, microphone, speaker, location and screen off). The VRAM cap stays what it is.
 */
export function recommendedChoices(config: ResolvedConfig, scan: ScanReport | null): ApprovalChoices {
  const candidates: Record<string, boolean> = {};
  for (const c of candidatesOf(scan)) candidates[c.id] = c.recommended;
  const gpu = gpuRecommendation(scan);
  return {
    candidates,
    hardware: {
      ...PRIVATE_HARDWARE_DEFAULTS,
      gpu: gpu === null ? config.expose.hardware.gpu : gpu ? RECOMMENDED_GPU : false,
    },
    maxVramPercent: config.limits.max_vram_percent,
  };
}

/**
 * What the checklist starts from: where the config already says something (the key that decides a
 * candidate is set in the file or the environment) that is kept; elsewhere the scanner's
 * recommendation and the private defaults.
 */
export function proposedChoices(
  config: ResolvedConfig,
  scan: ScanReport | null,
  explicitLayers: readonly unknown[],
): ApprovalChoices {
  const recommended = recommendedChoices(config, scan);
  const hardware = { ...recommended.hardware };
  for (const key of HARDWARE_KEYS) {
    if (isExplicitKey(`expose.hardware.${key}`, explicitLayers)) {
      (hardware as Record<HardwareKey, unknown>)[key] = config.expose.hardware[key];
    }
  }
  const candidates: Record<string, boolean> = {};
  for (const c of candidatesOf(scan)) {
    const target = targetOf(c.id);
    const decision = decideCandidate(config, c);
    if (target.hardware !== null) {
      // a device follows its kind's switch unless a rule names it
      const own =
        decision.rule.startsWith('expose.capabilities.') && isExplicitKey(decision.rule, explicitLayers);
      candidates[c.id] = own ? decision.exposed : switchedOn(hardware, target.hardware);
    } else {
      candidates[c.id] = isExplicitKey(decision.rule, explicitLayers)
        ? decision.exposed
        : (recommended.candidates[c.id] ?? false);
    }
  }
  return { candidates, hardware, maxVramPercent: config.limits.max_vram_percent };
}

// ---- Matter devices ------------------------------------------------------------------------------

/**
 * A commissioned Matter device as `GET /api/matter/devices` reports it (the fields approve reads).
 * Its capabilities (`matter/kitchen-light-peer3` ...) are decided like any capability that is not
 * a model: `expose.capabilities.deny`, then `expose.capabilities.allow`, else private.
 */
export interface MatterDeviceInfo {
  readonly id: string;
  readonly label: string | null;
  readonly room: string | null;
  readonly vendor: string | null;
  readonly product: string | null;
  readonly capabilities: readonly {
    readonly id: string;
    readonly type: string;
    readonly tools: readonly string[];
    readonly triggers: readonly string[];
  }[];
}

/** How a Matter device is named to the owner: its label (or product, or id), and its room. */
export function matterDeviceLabel(device: MatterDeviceInfo): string {
  const name = device.label ?? device.product ?? device.id;
  return device.room === null ? name : `${name} (${device.room})`;
}

/** A device's capabilities as candidates, so the planner writes them like any other capability. */
export function matterCandidates(devices: readonly MatterDeviceInfo[]): CandidateCapability[] {
  return devices.flatMap((d) =>
    d.capabilities.map((c): CandidateCapability => ({
      id: c.id,
      type: c.type,
      name: `${matterDeviceLabel(d)} · ${c.type}`,
      description: [d.vendor, d.product].filter((v): v is string => v !== null).join(' '),
      tools: [...c.tools],
      triggers: [...c.triggers],
      recommended: false,
      reason: 'a Matter device: private until you expose it',
      privateByDefault: true,
      test: 'untested',
    })),
  );
}

/**
 * The scan with the Matter devices' capabilities added as candidates (those already in it are not
 * added twice); the scan itself when there are none.
 */
export function withMatterCandidates(
  scan: ScanReport | null,
  devices: readonly MatterDeviceInfo[],
): ScanReport | null {
  if (scan === null || devices.length === 0) return scan;
  const known = new Set(scan.candidates.map((c) => c.id));
  const extra = matterCandidates(devices).filter((c) => !known.has(c.id));
  return { ...scan, candidates: [...scan.candidates, ...extra] };
}

const matterText = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const matterList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * The devices of a `GET /api/matter/devices` body (`{enabled, devices}`); entries without an id,
 * and capabilities without an id and type, are left out. Throws when the body is not that shape.
 */
export function parseMatterDevices(body: unknown): { enabled: boolean; devices: MatterDeviceInfo[] } {
  if (!isPlainObject(body) || typeof body.enabled !== 'boolean' || !Array.isArray(body.devices)) {
    throw new ProtocolViolationError(
      'GET /api/matter/devices answered with something else than {enabled, devices}',
    );
  }
  const devices: MatterDeviceInfo[] = [];
  for (const raw of body.devices) {
    if (!isPlainObject(raw) || typeof raw.id !== 'string' || raw.id === '') continue;
    const capabilities = (Array.isArray(raw.capabilities) ? raw.capabilities : []).flatMap((c: unknown) =>
      isPlainObject(c) && typeof c.id === 'string' && c.id !== '' && typeof c.type === 'string'
        ? [{ id: c.id, type: c.type, tools: matterList(c.tools), triggers: matterList(c.triggers) }]
        : [],
    );
    devices.push({
      id: raw.id,
      label: matterText(raw.label),
      room: matterText(raw.room),
      vendor: matterText(raw.vendor),
      product: matterText(raw.product),
      capabilities,
    });
  }
  return { enabled: body.enabled, devices };
}

// ---- patterns ------------------------------------------------------------------------------------

export interface PatternRule {
  readonly action: 'expose' | 'deny';
  /** A glob over candidate ids: `ollama/llama3.2:*`, `camera/*`, `service/comfyui`. */
  readonly pattern: string;
}

const HAS_WILDCARD = /[*?]/;

/** `ollama` alone means `ollama/*`; an empty pattern or one with spaces is refused by the caller. */
export function normalizePattern(pattern: string): string {
  const trimmed = pattern.trim();
  if (!trimmed.includes('/') && !HAS_WILDCARD.test(trimmed)) {
    if (
      SERVED_SOURCES.has(trimmed) ||
      FILE_SOURCES.has(trimmed) ||
      HARDWARE_KEYS.includes(trimmed as HardwareKey)
    )
      return `${trimmed}/*`;
  }
  return trimmed;
}

/** The hardware keys a pattern switches as a whole: `camera/*`, `*`, `microphone`. */
function hardwareKeysSwitched(pattern: string): HardwareKey[] {
  return HARDWARE_KEYS.filter((key) => matchesGlob(`${key}/*`, pattern));
}

// ---- the plan ------------------------------------------------------------------------------------

export interface ExposurePlan {
  /** The whole `expose:` section to write. */
  readonly expose: ExposeRules;
  /** The whole `limits:` section to write, or undefined when it does not change. */
  readonly limits: Record<string, unknown> | undefined;
  /** What the plan exposes (the choices after the patterns). */
  readonly choices: ApprovalChoices;
  /** Things the owner should know: patterns that matched nothing in the scan. */
  readonly notes: readonly string[];
}

export interface PlanInput {
  /** The config the write starts from: the file over the defaults (not the environment). */
  readonly config: ResolvedConfig;
  /** The file's own contents (validated), for the `limits` it already sets. */
  readonly fileInput: unknown;
  readonly scan: ScanReport | null;
  /** What to expose, before the patterns. */
  readonly choices: ApprovalChoices;
  /** `--expose`/`--deny` in the order given; a deny wins over an expose of the same thing. */
  readonly patterns?: readonly PatternRule[];
}

/**
 * Switches a device kind on, keeping what an already-on switch says: the microphone's mode, the
 * GPU's purposes (off before: on for everything).
 */
function switchOn(rules: ExposeRules, key: HardwareKey): void {
  if (switchedOn(rules.hardware, key)) return;
  if (key === 'microphone') rules.hardware.microphone = true;
  else rules.hardware[key] = true;
}

function addOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function removeAll(list: string[], value: string): void {
  for (let i = list.length - 1; i >= 0; i--) if (list[i] === value) list.splice(i, 1);
}

function cloneRules(expose: ResolvedConfig['expose']): ExposeRules {
  return {
    models: {
      ollama: [...expose.models.ollama],
      llamafarm: [...expose.models.llamafarm],
      huggingface: [...expose.models.huggingface],
      cloud: [...expose.models.cloud],
    },
    hardware: { ...expose.hardware },
    services: { ...expose.services },
    capabilities: { allow: [...expose.capabilities.allow], deny: [...expose.capabilities.deny] },
  };
}

/** Applies one `--expose`/`--deny` glob: to the wanted states, and as a rule where a glob says more. */
function applyPattern(
  rules: ExposeRules,
  rule: PatternRule,
  candidates: readonly CandidateCapability[],
  wanted: Map<string, boolean>,
  notes: string[],
): void {
  const pattern = normalizePattern(rule.pattern);
  const expose = rule.action === 'expose';
  const matched = candidates.filter((c) => matchesGlob(c.id, pattern));
  for (const c of matched) wanted.set(c.id, expose);

  const keys = hardwareKeysSwitched(pattern);
  for (const key of keys) {
    if (expose) switchOn(rules, key);
    else rules.hardware[key] = false;
  }
  // A device-specific expose (`camera/video0`) needs its kind switched on; its siblings keep their
  // wanted state (exact denies are added for them when they must stay private).
  if (expose) {
    for (const c of matched) {
      const key = targetOf(c.id).hardware;
      if (key !== null) switchOn(rules, key);
    }
  }

  const slash = pattern.indexOf('/');
  const prefix = slash < 0 ? pattern : pattern.slice(0, slash);
  const rest = slash < 0 ? '' : pattern.slice(slash + 1);
  const wildcard = HAS_WILDCARD.test(pattern);
  const unmatched = matched.length === 0 && keys.length === 0;
  const { allow, deny } = rules.capabilities;
  if (HAS_WILDCARD.test(prefix)) {
    // `*`, `*llama*`: no one key to write it under; the candidates it matches are set one by one,
    // and a deny is kept as a rule so what appears later stays private too.
    if (!expose) addOnce(deny, pattern);
  } else if (SERVED_SOURCES.has(prefix) || FILE_SOURCES.has(prefix)) {
    const list =
      rules.models[SERVED_SOURCES.has(prefix) ? (prefix as 'ollama' | 'llamafarm') : 'huggingface'];
    if (expose) {
      if (rest !== '' && !list.includes('*')) addOnce(list, rest);
      removeAll(deny, pattern);
    } else {
      removeAll(list, rest);
      removeAll(allow, pattern);
      if (wildcard || unmatched) addOnce(deny, pattern);
    }
  } else if (HARDWARE_KEYS.includes(prefix as HardwareKey)) {
    removeAll(expose ? deny : allow, pattern);
    if (unmatched) {
      // a device the scan did not see: exposing it means switching its kind on; a deny is kept
      if (!expose) addOnce(deny, pattern);
      else switchOn(rules, prefix as HardwareKey);
    }
  } else if (expose) {
    removeAll(deny, pattern);
    if (wildcard || unmatched) addOnce(allow, pattern);
  } else {
    removeAll(allow, pattern);
    if (wildcard || unmatched) addOnce(deny, pattern);
  }
  if (unmatched) {
    const outcome =
      expose && HARDWARE_KEYS.includes(prefix as HardwareKey)
        ? `expose.hardware.${prefix} is switched on`
        : expose && HAS_WILDCARD.test(prefix)
          ? 'nothing changes'
          : 'it is kept as a rule for what appears later';
    notes.push(`--${rule.action} ${pattern} matches nothing in the last scan; ${outcome}`);
  }
}

/** Changes the rules so that `candidate` is exposed, touching as little as possible. */
function makeExposed(
  rules: ExposeRules,
  config: ExposureConfig,
  candidate: CandidateCapability,
  candidates: readonly CandidateCapability[],
  wanted: ReadonlyMap<string, boolean>,
): void {
  const { deny, allow } = rules.capabilities;
  const denying = deny.filter((g) => matchesGlob(candidate.id, g));
  for (const glob of denying) {
    removeAll(deny, glob);
    // the glob kept others private too: those that must stay so get an exact entry
    for (const other of candidates) {
      if (other.id !== candidate.id && matchesGlob(other.id, glob) && wanted.get(other.id) === false)
        addOnce(deny, other.id);
    }
  }
  if (decideCandidate(config, candidate).exposed) return;
  const target = targetOf(candidate.id);
  if (target.kind === 'served-model' && target.list !== null && target.modelId !== null) {
    if (rules.services[target.list] === false) addOnce(allow, candidate.id);
    else addOnce(rules.models[target.list], target.modelId);
  } else if (target.kind === 'model-file' && target.modelId !== null) {
    addOnce(rules.models.huggingface, target.modelId);
  } else if (target.hardware !== null) {
    switchOn(rules, target.hardware);
  } else {
    addOnce(allow, candidate.id);
  }
}

/** Changes the rules so that `candidate` is private, touching as little as possible. */
function makePrivate(rules: ExposeRules, config: ExposureConfig, candidate: CandidateCapability): void {
  removeAll(rules.capabilities.allow, candidate.id);
  if (!decideCandidate(config, candidate).exposed) return;
  const target = targetOf(candidate.id);
  if (target.list !== null && target.modelId !== null) {
    removeAll(rules.models[target.list], target.modelId);
    if (!decideCandidate(config, candidate).exposed) return;
  }
  addOnce(rules.capabilities.deny, candidate.id);
}

/** The `limits:` section to write: unchanged unless the VRAM cap moved or `expose.limits` must move. */
function limitsToWrite(input: PlanInput, maxVramPercent: number): Record<string, unknown> | undefined {
  const file = isPlainObject(input.fileInput) ? input.fileInput : {};
  const top = isPlainObject(file.limits) ? file.limits : {};
  const nested = isPlainObject(file.expose) && isPlainObject(file.expose.limits) ? file.expose.limits : {};
  const changed = maxVramPercent !== input.config.limits.max_vram_percent;
  if (!changed && Object.keys(nested).length === 0) return undefined;
  return { ...nested, ...top, ...(changed ? { max_vram_percent: maxVramPercent } : {}) };
}

/**
 * Turns choices (and patterns) into the sections to write. Starts from the current rules and
 * edits only what must change: a model to expose is added to its `expose.models` list, one to hide
 * is removed from it or denied by exact id (a glob such as `llama3.2:*` is kept), a deny glob that
 * hid a model now wanted is replaced by exact denies for the others it hid.
 */
export function planExposure(input: PlanInput): ExposurePlan {
  const { config } = input;
  const candidates = candidatesOf(input.scan);
  const rules = cloneRules(config.expose);
  const live: ExposureConfig = { expose: rules, access: config.access };
  const wanted = new Map<string, boolean>();
  for (const c of candidates)
    wanted.set(c.id, input.choices.candidates[c.id] ?? decideCandidate(config, c).exposed);
  Object.assign(rules.hardware, input.choices.hardware);

  const notes: string[] = [];
  const patterns = input.patterns ?? [];
  // exposes first, then denies: a deny wins over an expose of the same candidate
  for (const p of patterns.filter((r) => r.action === 'expose'))
    applyPattern(rules, p, candidates, wanted, notes);
  for (const p of patterns.filter((r) => r.action === 'deny'))
    applyPattern(rules, p, candidates, wanted, notes);

  for (let pass = 0; pass < 3; pass++) {
    let changed = false;
    for (const c of candidates) {
      const want = wanted.get(c.id) ?? false;
      if (decideCandidate(live, c).exposed === want) continue;
      changed = true;
      if (want) makeExposed(rules, live, c, candidates, wanted);
      else makePrivate(rules, live, c);
    }
    if (!changed) break;
  }
  const result: Record<string, boolean> = {};
  for (const c of candidates) result[c.id] = decideCandidate(live, c).exposed;
  const choices: ApprovalChoices = {
    candidates: result,
    hardware: { ...rules.hardware },
    maxVramPercent: input.choices.maxVramPercent,
  };
  return { expose: rules, limits: limitsToWrite(input, input.choices.maxVramPercent), choices, notes };
}

// ---- summary -------------------------------------------------------------------------------------

export interface SummaryEntry {
  /** A candidate id, or `hardware/<key>` for a hardware switch no device stands for. */
  readonly id: string;
  readonly label: string;
  readonly exposed: boolean;
  readonly wasExposed: boolean;
}

export interface ExposureSummary {
  readonly exposed: readonly SummaryEntry[];
  readonly private: readonly SummaryEntry[];
  /** `limits.max_vram_percent` now and after the write. */
  readonly maxVramPercent: { readonly from: number; readonly to: number };
  readonly changes: number;
}

const HARDWARE_LABELS: Record<HardwareKey, string> = {
  gpu: 'GPU',
  camera: 'Camera',
  microphone: 'Microphone',
  speaker: 'Speaker',
  location: 'Location',
  screen: 'Screen',
};

/** `transcription only`, `on`, `off`: the microphone setting in words. */
export function microphoneLabel(setting: MicrophoneSetting): string {
  switch (setting) {
    case false:
      return 'off';
    case true:
      return 'on';
    case 'transcription_only':
      return 'transcription only';
    case 'whisper_only':
      return 'Whisper transcription only';
    case 'always_on':
      return 'always on';
  }
}

/** How a candidate is named to the owner: the model id (or file) for models, the scanner's name otherwise. */
export function candidateLabel(candidate: Pick<CandidateCapability, 'id' | 'name'>): string {
  const target = targetOf(candidate.id);
  return target.modelId ?? candidate.name;
}

/** Will expose / will keep private, with what changes against the rules in effect now. */
export function summarizePlan(
  current: ExposureConfig & Pick<ResolvedConfig, 'limits'>,
  plan: ExposurePlan,
  scan: ScanReport | null,
): ExposureSummary {
  const planned: ExposureConfig = { expose: plan.expose, access: current.access };
  const entries: SummaryEntry[] = [];
  const candidates = candidatesOf(scan);
  for (const c of candidates) {
    const exposed = decideCandidate(planned, c).exposed;
    const wasExposed = decideCandidate(current, c).exposed;
    let label = candidateLabel(c);
    const key = targetOf(c.id).hardware;
    if (key === 'gpu' && exposed) {
      const before = current.expose.hardware.gpu;
      const after = plan.expose.hardware.gpu;
      label += ` for ${gpuPurposesText(after)}`;
      if (wasExposed && !sameGpuSetting(before, after)) label += ` (was for ${gpuPurposesText(before)})`;
      label += `, mesh work up to ${plan.choices.maxVramPercent}% of its memory`;
    }
    if (key === 'microphone' && exposed) label += ` (${microphoneLabel(plan.expose.hardware.microphone)})`;
    entries.push({ id: c.id, label, exposed, wasExposed });
  }
  for (const key of HARDWARE_KEYS) {
    // a GPU switch with no GPU exposes nothing; the private kinds are listed either way
    if (key === 'gpu' || candidates.some((c) => targetOf(c.id).hardware === key)) continue;
    const exposed = switchedOn(plan.expose.hardware, key);
    let label = HARDWARE_LABELS[key];
    if (key !== 'location' && key !== 'screen' && scan !== null) label += ' (none detected)';
    if (key === 'microphone' && exposed) label += `, ${microphoneLabel(plan.expose.hardware.microphone)}`;
    entries.push({
      id: `hardware/${key}`,
      label,
      exposed,
      wasExposed: switchedOn(current.expose.hardware, key),
    });
  }
  const vramChanged = plan.choices.maxVramPercent !== current.limits.max_vram_percent;
  // a change of microphone mode while it stays exposed (on ↔ transcription only)
  const before = current.expose.hardware.microphone;
  const after = plan.expose.hardware.microphone;
  const micChanged = before !== false && after !== false && before !== after;
  // a change of what the GPU is exposed for while it stays exposed
  const gpuBefore = current.expose.hardware.gpu;
  const gpuAfter = plan.expose.hardware.gpu;
  const gpuChanged = gpuExposed(gpuBefore) && gpuExposed(gpuAfter) && !sameGpuSetting(gpuBefore, gpuAfter);
  return {
    exposed: entries.filter((e) => e.exposed),
    private: entries.filter((e) => !e.exposed),
    maxVramPercent: { from: current.limits.max_vram_percent, to: plan.choices.maxVramPercent },
    changes:
      entries.filter((e) => e.exposed !== e.wasExposed).length +
      (vramChanged ? 1 : 0) +
      (micChanged ? 1 : 0) +
      (gpuChanged ? 1 : 0),
  };
}

/** The summary as lines of text, wrapped to `width`: "Will expose (3): …" / "Will keep private (5): …". */
export function summaryLines(summary: ExposureSummary, width = 100): string[] {
  const mark = (e: SummaryEntry): string =>
    e.exposed === e.wasExposed ? e.label : `${e.label} (${e.wasExposed ? 'was exposed' : 'was private'})`;
  const { from, to } = summary.maxVramPercent;
  return [
    ...wrapList(`Will expose (${summary.exposed.length}):`, summary.exposed.map(mark), width),
    ...wrapList(`Will keep private (${summary.private.length}):`, summary.private.map(mark), width),
    ...(from === to ? [] : [`GPU memory mesh work may use: ${to}% (was ${from}%)`]),
  ];
}

/** `title` then the items, one per line, indented; long items are cut to `width`. */
function wrapList(title: string, items: readonly string[], width: number): string[] {
  if (items.length === 0) return [`${title} nothing`];
  return [title, ...items.map((i) => clip(`  ${i}`, width))];
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
