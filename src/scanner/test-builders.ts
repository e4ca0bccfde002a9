/**
 * Report pieces for unit tests of the scanner (plain objects that pass core's schemas). Only test
 * files import this module.
 */
import type { CandidateCapability, HardwareReport, ModelFinding } from '../core/index.js';
import { candidateCapabilitySchema } from '../core/index.js';

const GIB = 1024 ** 3;

export function hardware(
  options: { ramBytes?: number; gpuVramBytes?: number; canRun?: string[] } = {},
): HardwareReport {
  const vram = options.gpuVramBytes;
  return {
    cpu: {
      model: 'Test CPU',
      architecture: 'x64',
      logicalCores: 8,
      physicalCores: 4,
      speedMhz: 3000,
      features: ['avx2'],
    },
    memory: { totalBytes: options.ramBytes ?? 32 * GIB, availableBytes: (options.ramBytes ?? 32 * GIB) / 2 },
    gpus:
      vram === undefined
        ? []
        : [
            {
              vendor: 'nvidia',
              name: 'NVIDIA GeForce RTX 4090',
              vramBytes: vram,
              vramFreeBytes: vram,
              unifiedMemory: false,
              driver: '550.54',
              computeCapability: '8.9',
              apis: ['cuda', 'vulkan'],
              source: 'nvidia-smi',
              canRun: options.canRun ?? ['70B models (Q4)', 'image generation (SDXL)'],
            },
          ],
    npus: [],
    storage: [],
    cameras: [],
    microphones: [],
    speakers: [],
    power: {
      source: 'ac',
      hasBattery: false,
      batteryPercent: null,
      charging: null,
      timeRemainingMinutes: null,
    },
  };
}

export function model(fields: Partial<ModelFinding> = {}): ModelFinding {
  return {
    source: 'ollama',
    id: 'llama3.2:3b',
    name: fields.id ?? 'llama3.2:3b',
    kind: 'chat',
    task: null,
    family: 'llama',
    parameterSize: '3.2B',
    quantization: 'Q4_K_M',
    sizeBytes: 2 * GIB,
    contextLength: null,
    location: 'http://127.0.0.1:11434',
    ...fields,
  };
}

export function candidateSchemaCheck(candidate: CandidateCapability): void {
  candidateCapabilitySchema.parse(candidate);
}
