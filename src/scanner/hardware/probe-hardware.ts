/**
 * `probeHardware`: the hardware half of `atmosphere scan`. Runs the eight probes concurrently
 * (each tool bounded by the timeout, shared tools asked once) and returns the report with one
 * `ProbeRun` per probe. A missing tool is "not detected", never an error; only an abort throws.
 */
import { z } from 'zod';
import {
  audioDeviceInfoSchema,
  cameraInfoSchema,
  cpuInfoSchema,
  gpuInfoSchema,
  memoryInfoSchema,
  npuInfoSchema,
  powerInfoSchema,
  storageInfoSchema,
  type HardwareReport,
  type ProbeRun,
} from '../../core/index.js';
import type { ScanEnv } from '../scan-env.js';
import { probeAudio } from './audio-probe.js';
import { probeCameras } from './camera-probe.js';
import { probeGpus } from './gpu-probe.js';
import { systemHost, type HostInfo } from './host.js';
import { probeNpus } from './npu-probe.js';
import { probePower } from './power-probe.js';
import { createProbeContext, type ProbeAnswer, type ProbeContext } from './probe-context.js';
import { probeCpu, probeMemory, probeStorage } from './system-probes.js';

export const HARDWARE_PROBE_IDS = [
  'gpu',
  'npu',
  'cpu',
  'memory',
  'storage',
  'camera',
  'audio',
  'power',
] as const;
export type HardwareProbeId = (typeof HARDWARE_PROBE_IDS)[number];

export interface ProbeHardwareOptions {
  /** Folders whose filesystems to measure; default: the home folder and `/`. */
  readonly storagePaths?: readonly string[];
  /** Time each external tool may take; default `DEFAULT_COMMAND_TIMEOUT_MS` of the scan env. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called as each probe finishes, e.g. `gpu: 2 GPUs (via nvidia-smi, lspci)`. */
  readonly onProgress?: (message: string) => void;
  /** What `node:os` and `statfs` say; tests describe another machine with it. Default: this one. */
  readonly host?: HostInfo;
}

export interface HardwareProbeResult {
  readonly hardware: HardwareReport;
  readonly probes: ProbeRun[];
}

function describeCount(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Scans this machine's hardware through `env`. */
export async function probeHardware(
  env: ScanEnv,
  options: ProbeHardwareOptions = {},
): Promise<HardwareProbeResult> {
  options.signal?.throwIfAborted();
  const ctx: ProbeContext = createProbeContext(env, options.host ?? systemHost(), {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const storagePaths = options.storagePaths ?? [env.homeDir, '/'];
  const runs = new Map<HardwareProbeId, ProbeRun>();

  /**
   * Runs one probe, records its ProbeRun, and checks its value against the report schema: a
   * value that does not fit (a parser bug) is replaced by `fallback` and the probe marked failed,
   * so the scan still never throws.
   */
  async function timed<T>(
    id: HardwareProbeId,
    probe: () => Promise<ProbeAnswer<T>>,
    schema: z.ZodType<T>,
    fallback: T,
    summary: (value: T) => string,
  ): Promise<T> {
    const started = performance.now();
    const answer = await probe();
    const durationMs = Math.max(0, performance.now() - started);
    const checked = schema.safeParse(answer.value);
    const status = checked.success ? answer.status : 'failed';
    const detail = checked.success ? answer.detail : `invalid ${id} data: ${z.prettifyError(checked.error)}`;
    const value = checked.success ? checked.data : fallback;
    runs.set(id, { id, status, durationMs, detail });
    const outcome = status === 'ok' ? summary(value) : status.replace('_', ' ');
    options.onProgress?.(`${id}: ${outcome}${detail === null ? '' : ` (${detail})`}`);
    return value;
  }

  const host = ctx.host;
  const [gpus, npus, cpu, memory, storage, cameras, audio, power] = await Promise.all([
    timed(
      'gpu',
      () => probeGpus(ctx),
      z.array(gpuInfoSchema),
      [],
      (value) => describeCount(value.length, 'GPU'),
    ),
    timed(
      'npu',
      () => probeNpus(ctx),
      z.array(npuInfoSchema),
      [],
      (value) => describeCount(value.length, 'NPU'),
    ),
    timed(
      'cpu',
      () => probeCpu(ctx),
      cpuInfoSchema,
      {
        model: 'unknown',
        architecture: env.arch,
        logicalCores: Math.max(1, host.cpus().length),
        physicalCores: null,
        speedMhz: null,
        features: [],
      },
      (value) => `${value.model}, ${describeCount(value.logicalCores, 'thread')}`,
    ),
    timed(
      'memory',
      () => probeMemory(ctx),
      memoryInfoSchema,
      { totalBytes: 0, availableBytes: 0 },
      (value) => `${Math.round(value.totalBytes / 1024 ** 3)} GB`,
    ),
    timed(
      'storage',
      () => probeStorage(ctx, storagePaths),
      z.array(storageInfoSchema),
      [],
      (value) => describeCount(value.length, 'filesystem'),
    ),
    timed(
      'camera',
      () => probeCameras(ctx),
      z.array(cameraInfoSchema),
      [],
      (value) => describeCount(value.length, 'camera'),
    ),
    timed(
      'audio',
      () => probeAudio(ctx),
      z.object({ microphones: z.array(audioDeviceInfoSchema), speakers: z.array(audioDeviceInfoSchema) }),
      { microphones: [], speakers: [] },
      (value) =>
        `${describeCount(value.microphones.length, 'microphone')}, ${describeCount(value.speakers.length, 'speaker')}`,
    ),
    timed(
      'power',
      () => probePower(ctx),
      powerInfoSchema,
      {
        source: 'unknown',
        hasBattery: false,
        batteryPercent: null,
        charging: null,
        timeRemainingMinutes: null,
      },
      (value) => (value.hasBattery ? `battery ${value.batteryPercent ?? '?'}%` : `on ${value.source}`),
    ),
  ]);

  const hardware: HardwareReport = {
    cpu,
    memory,
    gpus,
    npus,
    storage,
    cameras,
    microphones: audio.microphones,
    speakers: audio.speakers,
    power,
  };
  const probes = HARDWARE_PROBE_IDS.map((id) => runs.get(id)).filter(
    (run): run is ProbeRun => run !== undefined,
  );
  return { hardware, probes };
}
