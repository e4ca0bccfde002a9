/**
 * The scan report: what `atmosphere scan` found on this device (hardware, models, services), what
 * its capability tests proved, and the candidate capabilities the owner may approve (seed Parts 1.1
 * and 6). The report is JSON end to end — `scan --json`, `GET /api/scan`, the cached copy in the
 * store — so it is a zod schema with the types inferred from it; a cached report from another build
 * is re-validated before use. Field names carry units (`vramBytes`, `durationMs`).
 */
import { z } from 'zod';

/** Bumped when a field changes meaning; readers refuse a report with another version. */
export const SCAN_REPORT_VERSION = 1;

const bytes = z.number().int().nonnegative();
const nullableText = z.string().nullable();

// ---- hardware -------------------------------------------------------------------------------

export const GPU_VENDORS = ['nvidia', 'amd', 'apple', 'intel', 'other'] as const;

export const gpuInfoSchema = z.object({
  vendor: z.enum(GPU_VENDORS),
  name: z.string(),
  /** Dedicated memory; for unified-memory GPUs (Apple) the system RAM the GPU may use. */
  vramBytes: bytes.nullable(),
  vramFreeBytes: bytes.nullable(),
  unifiedMemory: z.boolean(),
  driver: nullableText,
  /** NVIDIA compute capability such as `8.9`; the gfx target for AMD (`gfx1100`). */
  computeCapability: nullableText,
  /** Compute APIs it offers: `cuda`, `rocm`, `metal`, `vulkan`, `opencl`. */
  apis: z.array(z.string()),
  /** Which tool reported it: `nvidia-smi`, `rocm-smi`, `system_profiler`, `lspci`, `vulkaninfo`. */
  source: z.string(),
  /** Plain-words workloads it can hold, e.g. `70B models (Q4)`, `image generation (SDXL)`. */
  canRun: z.array(z.string()),
});
export type GpuInfo = z.infer<typeof gpuInfoSchema>;

export const npuInfoSchema = z.object({
  vendor: z.string(),
  name: z.string(),
  cores: z.number().int().positive().nullable(),
  source: z.string(),
  canRun: z.array(z.string()),
});
export type NpuInfo = z.infer<typeof npuInfoSchema>;

export const cpuInfoSchema = z.object({
  model: z.string(),
  /** `x64`, `arm64` ... as Node names it. */
  architecture: z.string(),
  logicalCores: z.number().int().positive(),
  physicalCores: z.number().int().positive().nullable(),
  speedMhz: z.number().nonnegative().nullable(),
  /** Instruction-set features that matter for inference: `avx2`, `avx512f`, `f16c`, `neon`, `amx` ... */
  features: z.array(z.string()),
});
export type CpuInfo = z.infer<typeof cpuInfoSchema>;

export const memoryInfoSchema = z.object({ totalBytes: bytes, availableBytes: bytes });
export type MemoryInfo = z.infer<typeof memoryInfoSchema>;

export const storageInfoSchema = z.object({
  /** The mount point or folder measured (the Atmosphere home, `/`, the model folders). */
  path: z.string(),
  totalBytes: bytes,
  freeBytes: bytes,
  filesystem: nullableText,
});
export type StorageInfo = z.infer<typeof storageInfoSchema>;

export const cameraInfoSchema = z.object({
  /** `/dev/video0` on Linux, the unique id on macOS. */
  id: z.string(),
  name: z.string(),
  driver: nullableText,
  bus: nullableText,
  /** Pixel formats, e.g. `MJPG`, `YUYV`. */
  formats: z.array(z.string()),
  maxWidth: z.number().int().positive().nullable(),
  maxHeight: z.number().int().positive().nullable(),
  source: z.string(),
});
export type CameraInfo = z.infer<typeof cameraInfoSchema>;

export const AUDIO_DEVICE_KINDS = ['microphone', 'speaker'] as const;

export const audioDeviceInfoSchema = z.object({
  /** `hw:1,0` (ALSA), the PulseAudio/PipeWire source or sink name, or the macOS device name. */
  id: z.string(),
  name: z.string(),
  kind: z.enum(AUDIO_DEVICE_KINDS),
  /** `alsa`, `pulseaudio`, `pipewire`, `coreaudio`. */
  source: z.string(),
  isDefault: z.boolean(),
});
export type AudioDeviceInfo = z.infer<typeof audioDeviceInfoSchema>;

export const POWER_SOURCES = ['ac', 'battery', 'unknown'] as const;

export const powerInfoSchema = z.object({
  source: z.enum(POWER_SOURCES),
  hasBattery: z.boolean(),
  batteryPercent: z.number().min(0).max(100).nullable(),
  charging: z.boolean().nullable(),
  timeRemainingMinutes: z.number().nonnegative().nullable(),
});
export type PowerInfo = z.infer<typeof powerInfoSchema>;

export const hardwareReportSchema = z.object({
  cpu: cpuInfoSchema,
  memory: memoryInfoSchema,
  gpus: z.array(gpuInfoSchema),
  npus: z.array(npuInfoSchema),
  storage: z.array(storageInfoSchema),
  cameras: z.array(cameraInfoSchema),
  microphones: z.array(audioDeviceInfoSchema),
  speakers: z.array(audioDeviceInfoSchema),
  power: powerInfoSchema,
});
export type HardwareReport = z.infer<typeof hardwareReportSchema>;

// ---- models ---------------------------------------------------------------------------------

export const MODEL_SOURCES = ['ollama', 'llamafarm', 'huggingface', 'gguf', 'transformers'] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];

/** What a model is for, as far as the scanner can tell. */
export const MODEL_KINDS = [
  'chat',
  'embedding',
  'vision',
  'speech-to-text',
  'text-to-speech',
  'image-generation',
  'classification',
  'rag',
  'other',
] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const modelFindingSchema = z.object({
  source: z.enum(MODEL_SOURCES),
  /** What the source calls it: `llama3.2:3b`, `default/chatbot`, `openai/whisper-small`, a file name. */
  id: z.string(),
  name: z.string(),
  kind: z.enum(MODEL_KINDS),
  /** The task as the model states it (HF `pipeline_tag`, an architecture) when known. */
  task: nullableText,
  family: nullableText,
  parameterSize: nullableText,
  quantization: nullableText,
  sizeBytes: bytes.nullable(),
  contextLength: z.number().int().positive().nullable(),
  /** A path on disk or the URL of the server that holds it. */
  location: nullableText,
});
export type ModelFinding = z.infer<typeof modelFindingSchema>;

// ---- services -------------------------------------------------------------------------------

export const SERVICE_SOURCES = ['port', 'docker', 'systemd', 'launchd'] as const;

export const serviceFindingSchema = z.object({
  /** Known service id (`ollama`, `vllm`, `comfyui`, `qdrant` ...) or `unknown`. */
  id: z.string(),
  name: z.string(),
  /** `llm`, `image-generation`, `speech`, `vector-db`, `container`, `system` ... */
  kind: z.string(),
  source: z.enum(SERVICE_SOURCES),
  url: nullableText,
  port: z.number().int().min(1).max(65535).nullable(),
  version: nullableText,
  /** How it was identified: the HTTP signature matched, the container image, the unit name. */
  evidence: z.string(),
});
export type ServiceFinding = z.infer<typeof serviceFindingSchema>;

// ---- capability tests -----------------------------------------------------------------------

export const CAPABILITY_TEST_STATUSES = ['passed', 'failed', 'skipped'] as const;
export type CapabilityTestStatus = (typeof CAPABILITY_TEST_STATUSES)[number];

export const capabilityTestResultSchema = z.object({
  /** Stable id, e.g. `ollama-generate:llama3.2:3b`, `camera-snapshot:/dev/video0`. */
  id: z.string(),
  /** What was tried, in words: `one-token generation on llama3.2:3b`. */
  label: z.string(),
  status: z.enum(CAPABILITY_TEST_STATUSES),
  /** Why it failed or was skipped; a short note on what passing showed. */
  reason: nullableText,
  durationMs: z.number().nonnegative(),
  /** The candidate capability it speaks for, when one. */
  candidateId: nullableText,
});
export type CapabilityTestResult = z.infer<typeof capabilityTestResultSchema>;

// ---- candidates -----------------------------------------------------------------------------

export const candidateCapabilitySchema = z.object({
  /** Stable across scans: `ollama:llama3.2:3b`, `camera:/dev/video0`, `gpu:0`. */
  id: z.string(),
  /** A capability type (`llm/chat`, `sensor/camera` ...). */
  type: z.string(),
  name: z.string(),
  description: z.string(),
  tools: z.array(z.string()),
  triggers: z.array(z.string()),
  /** Whether the scanner recommends exposing it, and why (or why not). */
  recommended: z.boolean(),
  reason: z.string(),
  /** Private by default (camera, microphone, location, screen): never exposed without an explicit yes. */
  privateByDefault: z.boolean(),
  /** The capability test that speaks for it, if `--test` ran. */
  test: z.enum([...CAPABILITY_TEST_STATUSES, 'untested']),
});
export type CandidateCapability = z.infer<typeof candidateCapabilitySchema>;

// ---- the report -----------------------------------------------------------------------------

export const PROBE_STATUSES = ['ok', 'not_detected', 'failed', 'timed_out'] as const;

/** One probe's run: lets the report say "not detected" (tool missing) apart from "failed". */
export const probeRunSchema = z.object({
  id: z.string(),
  status: z.enum(PROBE_STATUSES),
  durationMs: z.number().nonnegative(),
  detail: nullableText,
});
export type ProbeRun = z.infer<typeof probeRunSchema>;

export const scanReportSchema = z.object({
  version: z.literal(SCAN_REPORT_VERSION),
  scannedAtMs: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  platform: z.string(),
  hostname: z.string(),
  withTests: z.boolean(),
  hardware: hardwareReportSchema,
  models: z.array(modelFindingSchema),
  services: z.array(serviceFindingSchema),
  tests: z.array(capabilityTestResultSchema),
  candidates: z.array(candidateCapabilitySchema),
  /** The candidates worth exposing, grouped by type, with the reason in words. */
  recommended: z.array(
    z.object({
      type: z.string(),
      via: z.array(z.string()),
      candidateIds: z.array(z.string()),
      reason: z.string(),
    }),
  ),
  probes: z.array(probeRunSchema),
});
export type ScanReport = z.infer<typeof scanReportSchema>;
export type RecommendedCapability = ScanReport['recommended'][number];
