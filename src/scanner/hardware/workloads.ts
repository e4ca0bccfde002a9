/**
 * What a GPU can hold, in plain words, from its memory — the "Can run: 70B models (Q4), image
 * generation, training" line of `atmosphere scan`, and the VRAM checks of the capability tests
 * ("cannot run SDXL: insufficient VRAM (6.0 GB < 8 GB)").
 *
 * The table (GB here means GiB, 1024³ bytes, as GPU tools count):
 *
 * | workload                   | needs  | why                                                        |
 * | -------------------------- | ------ | ---------------------------------------------------------- |
 * | 70B models (Q4)            | 40 GB  | Q4 weights ≈ 0.55 GB per billion parameters (4.5 bits per   |
 * | 34B models (Q4)            | 20 GB  | weight, Q4_0/Q4_K_M) + ~1 GB for context and runtime,       |
 * | 13B models (Q4)            |  9 GB  | rounded up to a whole GB: see `q4ModelRequiredBytes`.       |
 * | 8B models (Q4)             |  6 GB  |                                                            |
 * | 3B models (Q4)             |  3 GB  |                                                            |
 * | image generation (SDXL)    |  8 GB  | SDXL base in fp16 at 1024×1024                              |
 * | image generation (SD 1.5)  |  4 GB  | SD 1.5 in fp16 at 512×512                                   |
 * | training (LoRA 8B)         | 16 GB  | LoRA/QLoRA fine-tuning of an 8B model; needs CUDA, ROCm or  |
 * |                            |        | Metal                                                      |
 *
 * Two corrections: GPUs report a little less than their nominal size (the driver reserves some),
 * so a card counts as N GB when it reports at least 96 % of N GB (`VRAM_REPORTING_SLACK`); and a
 * unified-memory GPU (Apple Silicon) may use only about three quarters of the system RAM it shares
 * (`UNIFIED_MEMORY_GPU_SHARE`, Metal's recommended working set).
 */
import type { GpuInfo } from '../../core/index.js';
import { BYTES_PER_GIB, formatGb, formatGbThreshold } from './text.js';

/** A card counts as N GB when it reports at least this share of N GB. */
export const VRAM_REPORTING_SLACK = 0.96;
/** The share of system RAM a unified-memory GPU may use for models. */
export const UNIFIED_MEMORY_GPU_SHARE = 0.75;
/** Q4 weights per billion parameters, in GiB (4.5 bits per weight ≈ 0.5625 bytes). */
export const Q4_GB_PER_BILLION_PARAMS = 0.55;
/** Context, KV cache and runtime on top of the weights, in GiB. */
export const LLM_RUNTIME_OVERHEAD_GB = 1;

export type GpuWorkloadKind = 'llm' | 'image-generation' | 'training';

export interface GpuWorkload {
  /** Stable id, e.g. `llm-70b-q4`, `sdxl`. */
  readonly id: string;
  /** Plain words for the report: `70B models (Q4)`. */
  readonly label: string;
  /** Short name for test results: `SDXL`, `70B Q4`. */
  readonly shortName: string;
  readonly kind: GpuWorkloadKind;
  readonly minVramBytes: number;
  /** Only offered when the GPU has one of these compute APIs (empty: any GPU). */
  readonly requiresApis: readonly string[];
}

/** VRAM for a Q4 model of `paramsBillion` parameters: weights + overhead, rounded up to a GB. */
export function q4ModelRequiredBytes(paramsBillion: number): number {
  return Math.ceil(paramsBillion * Q4_GB_PER_BILLION_PARAMS + LLM_RUNTIME_OVERHEAD_GB) * BYTES_PER_GIB;
}

function llm(paramsBillion: number): GpuWorkload {
  return {
    id: `llm-${paramsBillion}b-q4`,
    label: `${paramsBillion}B models (Q4)`,
    shortName: `${paramsBillion}B Q4`,
    kind: 'llm',
    minVramBytes: q4ModelRequiredBytes(paramsBillion),
    requiresApis: [],
  };
}

/** Largest first within each kind. */
export const GPU_WORKLOADS: readonly GpuWorkload[] = [
  llm(70),
  llm(34),
  llm(13),
  llm(8),
  llm(3),
  {
    id: 'sdxl',
    label: 'image generation (SDXL)',
    shortName: 'SDXL',
    kind: 'image-generation',
    minVramBytes: 8 * BYTES_PER_GIB,
    requiresApis: [],
  },
  {
    id: 'sd15',
    label: 'image generation (SD 1.5)',
    shortName: 'SD 1.5',
    kind: 'image-generation',
    minVramBytes: 4 * BYTES_PER_GIB,
    requiresApis: [],
  },
  {
    id: 'lora-8b',
    label: 'training (LoRA 8B)',
    shortName: 'LoRA training (8B)',
    kind: 'training',
    minVramBytes: 16 * BYTES_PER_GIB,
    requiresApis: ['cuda', 'rocm', 'metal'],
  },
];

/** The workload with that id, or undefined. */
export function gpuWorkload(id: string): GpuWorkload | undefined {
  return GPU_WORKLOADS.find((workload) => workload.id === id);
}

/** What a GPU's memory can be used for: all of dedicated VRAM, a share of unified memory. */
export function usableGpuMemoryBytes(vramBytes: number, unifiedMemory: boolean): number {
  return unifiedMemory ? Math.floor(vramBytes * UNIFIED_MEMORY_GPU_SHARE) : vramBytes;
}

function holds(usableBytes: number, requiredBytes: number): boolean {
  return usableBytes >= requiredBytes * VRAM_REPORTING_SLACK;
}

export interface GpuWorkloadOptions {
  readonly unifiedMemory?: boolean;
  /** The GPU's compute APIs; when omitted, workloads that need one are not ruled out. */
  readonly apis?: readonly string[];
}

/**
 * Plain-words workloads a GPU with `vramBytes` can hold: the largest LLM size, the best image
 * model, and training when it fits. Empty when the memory is unknown or too small for any.
 */
export function gpuWorkloads(vramBytes: number | null, options: GpuWorkloadOptions = {}): string[] {
  if (vramBytes === null || vramBytes <= 0) return [];
  const usable = usableGpuMemoryBytes(vramBytes, options.unifiedMemory === true);
  const out: string[] = [];
  for (const kind of ['llm', 'image-generation', 'training'] as const) {
    const best = GPU_WORKLOADS.find(
      (workload) =>
        workload.kind === kind &&
        holds(usable, workload.minVramBytes) &&
        (workload.requiresApis.length === 0 ||
          options.apis === undefined ||
          workload.requiresApis.some((api) => options.apis?.includes(api) === true)),
    );
    if (best !== undefined) out.push(best.label);
  }
  return out;
}

export type VramGpu = Pick<GpuInfo, 'name' | 'vramBytes' | 'unifiedMemory'>;

export type VramFit =
  | { readonly fits: true; readonly gpu: VramGpu; readonly usableBytes: number; readonly reason: string }
  | {
      readonly fits: false;
      /** The GPU with the most usable memory, when any has a known size. */
      readonly gpu: VramGpu | null;
      readonly usableBytes: number | null;
      readonly reason: string;
    };

/**
 * Whether any GPU can hold `requiredBytes`: the one with the most usable memory is checked. The
 * reason reads `fits on NVIDIA GeForce RTX 3060 (12.0 GB ≥ 8 GB)` or
 * `insufficient VRAM (6.0 GB < 8 GB)`.
 */
export function fitsInVram(requiredBytes: number, gpus: readonly VramGpu[]): VramFit {
  let best: { gpu: VramGpu; usableBytes: number } | null = null;
  for (const gpu of gpus) {
    if (gpu.vramBytes === null || gpu.vramBytes <= 0) continue;
    const usableBytes = usableGpuMemoryBytes(gpu.vramBytes, gpu.unifiedMemory);
    if (best === null || usableBytes > best.usableBytes) best = { gpu, usableBytes };
  }
  const needed = formatGbThreshold(requiredBytes);
  if (best === null) {
    return {
      fits: false,
      gpu: null,
      usableBytes: null,
      reason:
        gpus.length === 0 ? `no GPU detected (needs ${needed})` : `no GPU with known VRAM (needs ${needed})`,
    };
  }
  const have = formatGb(best.usableBytes);
  if (holds(best.usableBytes, requiredBytes)) {
    return {
      fits: true,
      gpu: best.gpu,
      usableBytes: best.usableBytes,
      reason: `fits on ${best.gpu.name} (${have} ≥ ${needed})`,
    };
  }
  return {
    fits: false,
    gpu: best.gpu,
    usableBytes: best.usableBytes,
    reason: `insufficient VRAM (${have} < ${needed})`,
  };
}

/**
 * `fitsInVram` for a named workload, with the reason in the test report's words:
 * `can run SDXL: fits on … (12.0 GB ≥ 8 GB)` / `cannot run SDXL: insufficient VRAM (6.0 GB < 8 GB)`.
 */
export function checkGpuWorkload(workload: GpuWorkload, gpus: readonly VramGpu[]): VramFit {
  const fit = fitsInVram(workload.minVramBytes, gpus);
  return { ...fit, reason: `${fit.fits ? 'can' : 'cannot'} run ${workload.shortName}: ${fit.reason}` };
}
