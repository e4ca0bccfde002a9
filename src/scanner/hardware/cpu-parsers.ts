/**
 * Parsers for CPU and memory facts: Linux `/proc/cpuinfo` and `/proc/meminfo`, macOS
 * `sysctl hw.optional`. Only the instruction-set features that matter for inference are kept.
 */
import { BYTES_PER_KIB, linesOf, parseDecimal, parseWholeNumber, splitKeyValue } from './text.js';

/**
 * x86 `flags` kept (the kernel's names), in this order. `amx_tile` is reported as `amx`: it is
 * the flag that says AMX works at all (`amx_bf16`, `amx_int8` refine it).
 */
const X86_FEATURES: readonly (readonly [string, string])[] = [
  ['sse4_2', 'sse4_2'],
  ['avx', 'avx'],
  ['avx2', 'avx2'],
  ['fma', 'fma'],
  ['f16c', 'f16c'],
  ['avx512f', 'avx512f'],
  ['avx512_vnni', 'avx512_vnni'],
  ['avx512_bf16', 'avx512_bf16'],
  ['amx_tile', 'amx'],
];

/** ARM `Features` kept: `asimd` is NEON; `asimddp` is the dot-product extension llama.cpp uses. */
const ARM_FEATURES: readonly (readonly [string, string])[] = [
  ['asimd', 'neon'],
  ['asimddp', 'dotprod'],
  ['sve', 'sve'],
  ['sve2', 'sve2'],
  ['i8mm', 'i8mm'],
  ['bf16', 'bf16'],
];

/** Inference-relevant features from a CPU's flag words, normalised and in a stable order. */
export function inferenceFeatures(flags: Iterable<string>): string[] {
  const present = new Set([...flags].map((flag) => flag.toLowerCase()));
  const out: string[] = [];
  for (const [flag, name] of [...X86_FEATURES, ...ARM_FEATURES]) {
    if (present.has(flag) && !out.includes(name)) out.push(name);
  }
  return out;
}

export interface ProcCpuinfo {
  /** `model name` (x86), else `Model`/`Hardware` (ARM boards); null when none is given. */
  readonly model: string | null;
  /** How many `processor` entries. */
  readonly logicalCores: number;
  /** Unique (`physical id`, `core id`) pairs; null when the file does not say (most ARM). */
  readonly physicalCores: number | null;
  readonly speedMhz: number | null;
  readonly features: string[];
  /** `CPU implementer` and `CPU part` of ARM cores, to name a CPU that has no model name. */
  readonly armPart: string | null;
}

/** Parses Linux `/proc/cpuinfo` (x86 and ARM layouts). */
export function parseProcCpuinfo(text: string): ProcCpuinfo {
  const blocks: Map<string, string>[] = [];
  const global = new Map<string, string>();
  let current: Map<string, string> | null = null;
  for (const line of linesOf(text)) {
    if (line.trim() === '') {
      current = null;
      continue;
    }
    const pair = splitKeyValue(line);
    if (pair === null) continue;
    const [key, value] = pair;
    if (key === 'processor' && parseWholeNumber(value) !== null) {
      current = new Map();
      blocks.push(current);
    }
    (current ?? global).set(key, value);
  }
  const first = blocks[0] ?? global;
  const read = (key: string): string | null => {
    const value = first.get(key) ?? global.get(key);
    return value === undefined || value === '' ? null : value;
  };
  const cores = new Set<string>();
  let topologyKnown = blocks.length > 0;
  for (const block of blocks) {
    const physical = block.get('physical id');
    const core = block.get('core id');
    if (physical === undefined || core === undefined) {
      topologyKnown = false;
      break;
    }
    cores.add(`${physical}:${core}`);
  }
  const flags = read('flags') ?? read('Features') ?? '';
  const implementer = read('CPU implementer');
  const part = read('CPU part');
  const speed = parseDecimal(read('cpu MHz'));
  return {
    model: read('model name') ?? read('Model') ?? read('Hardware') ?? read('cpu model'),
    logicalCores: blocks.length,
    physicalCores: topologyKnown && cores.size > 0 ? cores.size : null,
    speedMhz: speed === null || speed <= 0 ? null : Math.round(speed),
    features: inferenceFeatures(flags.split(/\s+/).filter((flag) => flag !== '')),
    armPart: implementer !== null && part !== null ? `implementer ${implementer}, part ${part}` : null,
  };
}

export interface ProcMeminfo {
  readonly totalBytes: number | null;
  /** `MemAvailable`; on kernels before 3.14, `MemFree + Buffers + Cached`. */
  readonly availableBytes: number | null;
}

/** Parses Linux `/proc/meminfo` (values in kB, which the kernel means as KiB). */
export function parseProcMeminfo(text: string): ProcMeminfo {
  const values = new Map<string, number>();
  for (const line of linesOf(text)) {
    const pair = splitKeyValue(line);
    if (pair === null) continue;
    const match = /^(\d+)\s*kB$/i.exec(pair[1]);
    if (match !== null) values.set(pair[0], Number(match[1]) * BYTES_PER_KIB);
    else if (/^\d+$/.test(pair[1])) values.set(pair[0], Number(pair[1]));
  }
  const total = values.get('MemTotal') ?? null;
  let available = values.get('MemAvailable') ?? null;
  if (available === null) {
    const free = values.get('MemFree');
    if (free !== undefined) available = free + (values.get('Buffers') ?? 0) + (values.get('Cached') ?? 0);
  }
  if (total !== null && available !== null) available = Math.min(available, total);
  return { totalBytes: total, availableBytes: available };
}

/** `sysctl hw.optional` names → the feature names of `inferenceFeatures`. */
const SYSCTL_FEATURES: Readonly<Record<string, string>> = {
  'hw.optional.sse4_2': 'sse4_2',
  'hw.optional.avx1_0': 'avx',
  'hw.optional.avx2_0': 'avx2',
  'hw.optional.fma': 'fma',
  'hw.optional.f16c': 'f16c',
  'hw.optional.avx512f': 'avx512f',
  'hw.optional.avx512vnni': 'avx512_vnni',
  'hw.optional.neon': 'neon',
  'hw.optional.arm.FEAT_DotProd': 'dotprod',
  'hw.optional.arm.FEAT_I8MM': 'i8mm',
  'hw.optional.arm.FEAT_BF16': 'bf16',
};

const FEATURE_ORDER = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512_vnni',
  'avx512_bf16',
  'amx',
  'neon',
  'dotprod',
  'sve',
  'sve2',
  'i8mm',
  'bf16',
];

/** macOS `sysctl hw.optional` (`hw.optional.arm.FEAT_BF16: 1` lines) → features that are 1. */
export function parseSysctlHwOptional(text: string): string[] {
  const found = new Set<string>();
  for (const line of linesOf(text)) {
    const pair = splitKeyValue(line);
    if (pair === null || pair[1] !== '1') continue;
    const feature = SYSCTL_FEATURES[pair[0]];
    if (feature !== undefined) found.add(feature);
  }
  return FEATURE_ORDER.filter((feature) => found.has(feature));
}
