/**
 * Capability tests (`atmosphere scan --test`): exercise what the scan found instead of trusting
 * that it exists. A one-token generation on the smallest chat models, an embedding call, a memory
 * check for each local model and for image generation, a camera snapshot, a one-second audio
 * capture, a disk write — each bounded by a timeout and ending as passed, failed with the reason, or
 * skipped with the reason (a missing tool, no permission, nothing to test). A test never prompts for
 * a permission the process lacks: a device it may not open is skipped with what to change.
 */
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapabilityTestResult, HardwareReport, InferenceBackend, ModelFinding } from '../core/index.js';
import { AbortedError, mapLimit, toAtmosphereError } from '../core/index.js';
import { candidateIdForModel, estimatedRunBytes, formatGigabytes } from './candidates.js';
import { checkGpuWorkload, fitsInVram, gpuWorkload } from './hardware/index.js';
import type { ScanEnv } from './scan-env.js';
import { describeCommandResult } from './scan-env.js';

export const DEFAULT_TEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_MODEL_TESTS = 3;
const DISK_TEST_BYTES = 4 * 1024 * 1024;

export interface CapabilityTestInput {
  readonly env: ScanEnv;
  readonly hardware: HardwareReport;
  readonly models: readonly ModelFinding[];
  /** Local backends (Ollama, LlamaFarm) whose models the generation and embedding tests call. */
  readonly backends: readonly InferenceBackend[];
  /** A folder this node may write in (the Atmosphere home): disk test, captures. */
  readonly workDir: string;
  readonly timeoutMs?: number;
  readonly maxModelTests?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

type Outcome = Pick<CapabilityTestResult, 'status' | 'reason'>;

interface PlannedTest {
  readonly id: string;
  readonly label: string;
  readonly candidateId: string | null;
  readonly run: (signal: AbortSignal) => Promise<Outcome>;
}

const passed = (reason: string | null = null): Outcome => ({ status: 'passed', reason });
const failed = (reason: string): Outcome => ({ status: 'failed', reason });
const skipped = (reason: string): Outcome => ({ status: 'skipped', reason });

/** Runs every applicable test, two at a time, and returns their results in plan order. */
export async function runCapabilityTests(input: CapabilityTestInput): Promise<CapabilityTestResult[]> {
  const plan = planTests(input);
  const timeoutMs = input.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  return mapLimit(plan, 2, (test) => {
    input.signal?.throwIfAborted();
    input.onProgress?.(`testing: ${test.label}`);
    return runOne(test, timeoutMs, input.signal);
  });
}

async function runOne(
  test: PlannedTest,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<CapabilityTestResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer === undefined ? timeout : AbortSignal.any([outer, timeout]);
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = await test.run(signal);
  } catch (err) {
    if (outer?.aborted) throw new AbortedError('the scan was cancelled');
    outcome = timeout.aborted
      ? failed(
          `did not finish within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`,
        )
      : failed(toAtmosphereError(err).message);
  }
  return {
    id: test.id,
    label: test.label,
    status: outcome.status,
    reason: outcome.reason,
    durationMs: Math.round(performance.now() - started),
    candidateId: test.candidateId,
  };
}

function planTests(input: CapabilityTestInput): PlannedTest[] {
  return [
    ...modelTests(input),
    ...memoryTests(input),
    ...cameraTests(input),
    ...microphoneTests(input),
    diskTest(input),
  ];
}

// ---- models ---------------------------------------------------------------------------------

function backendFor(input: CapabilityTestInput, model: ModelFinding): InferenceBackend | undefined {
  return input.backends.find((b) => b.name === model.source || b.kind === model.source);
}

/**
 * One test per model, smallest first; beyond `limit` each is planned as skipped, saying why (so the
 * report shows every model and which were tried).
 */
function limitedTests(
  models: readonly ModelFinding[],
  limit: number,
  what: { readonly prefix: string; readonly label: (id: string) => string; readonly limitNote: string },
  run: (model: ModelFinding, signal: AbortSignal) => Promise<Outcome>,
): PlannedTest[] {
  const bySize = (a: ModelFinding, b: ModelFinding): number =>
    (a.sizeBytes ?? Number.MAX_SAFE_INTEGER) - (b.sizeBytes ?? Number.MAX_SAFE_INTEGER);
  return [...models].sort(bySize).map((model, index) => {
    const candidateId = candidateIdForModel(model);
    return {
      id: `${what.prefix}:${candidateId}`,
      label: what.label(model.id),
      candidateId,
      run: index < limit ? (signal) => run(model, signal) : () => Promise.resolve(skipped(what.limitNote)),
    };
  });
}

function modelTests(input: CapabilityTestInput): PlannedTest[] {
  const limit = input.maxModelTests ?? DEFAULT_MAX_MODEL_TESTS;
  const served = input.models.filter((m) => m.source === 'ollama' || m.source === 'llamafarm');
  const generative = served.filter((m) => m.kind === 'chat' || m.kind === 'rag' || m.kind === 'vision');
  const embedding = served.filter((m) => m.kind === 'embedding');
  return [
    ...limitedTests(
      generative,
      limit,
      {
        prefix: 'generate',
        label: (id) => `one-token generation on ${id}`,
        limitNote: `only the ${limit} smallest models are tested per scan (scan.max_model_tests)`,
      },
      async (model, signal) => {
        const backend = backendFor(input, model);
        if (backend === undefined) return skipped(`${model.source} is not configured on this node`);
        const result = await backend.chat(
          {
            model: model.id,
            messages: [{ role: 'user', content: 'Reply with one word: ready' }],
            maxTokens: 1,
            temperature: 0,
          },
          { signal },
        );
        const tokens = result.usage?.completionTokens ?? null;
        return result.content.length > 0 || (tokens ?? 0) > 0 || result.finishReason === 'length'
          ? passed(`answered${tokens === null ? '' : ` (${tokens} token${tokens === 1 ? '' : 's'})`}`)
          : failed('the model returned no tokens');
      },
    ),
    ...limitedTests(
      embedding,
      limit,
      {
        prefix: 'embed',
        label: (id) => `embedding call on ${id}`,
        limitNote: `only the ${limit} smallest embedding models are tested per scan (scan.max_model_tests)`,
      },
      async (model, signal) => {
        const backend = backendFor(input, model);
        if (backend?.embed === undefined) return skipped(`${model.source} cannot embed here`);
        const result = await backend.embed({ model: model.id, input: ['capability test'] }, { signal });
        const dims = result.embeddings[0]?.length ?? 0;
        return dims > 0 ? passed(`${dims}-dimensional vector`) : failed('the model returned an empty vector');
      },
    ),
  ];
}

// ---- memory checks ---------------------------------------------------------------------------

function memoryTests(input: CapabilityTestInput): PlannedTest[] {
  const { hardware } = input;
  const ram = hardware.memory.totalBytes;
  const tests: PlannedTest[] = [];
  for (const model of input.models) {
    if (model.sizeBytes === null || model.source === 'llamafarm') continue;
    const need = estimatedRunBytes(model.sizeBytes);
    const candidateId = candidateIdForModel(model);
    tests.push({
      id: `memory:${candidateId}`,
      label: `memory check for ${model.id}`,
      candidateId,
      run: () => {
        const gpu = fitsInVram(need, hardware.gpus);
        if (gpu.fits) return Promise.resolve(passed(`needs about ${formatGigabytes(need)}; ${gpu.reason}`));
        if (ram >= need) {
          return Promise.resolve(
            passed(
              `runs from RAM (${formatGigabytes(need)} of ${formatGigabytes(ram)}), slower than on a GPU: ${gpu.reason}`,
            ),
          );
        }
        return Promise.resolve(
          failed(
            `insufficient memory: needs about ${formatGigabytes(need)}, RAM ${formatGigabytes(ram)}; GPU: ${gpu.reason}`,
          ),
        );
      },
    });
  }
  const sdxl = gpuWorkload('sdxl');
  if (sdxl !== undefined) {
    tests.push({
      id: 'memory:image-generation-sdxl',
      label: 'VRAM check for image generation (SDXL)',
      candidateId: null,
      run: () => {
        const fit = checkGpuWorkload(sdxl, hardware.gpus);
        return Promise.resolve(fit.fits ? passed(fit.reason) : failed(fit.reason));
      },
    });
  }
  return tests;
}

// ---- devices --------------------------------------------------------------------------------

async function canOpen(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.R_OK | fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function withTempDir<T>(workDir: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(workDir, '.scan-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function nonEmptyFile(path: string, minBytes: number): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.size >= minBytes ? s.size : null;
  } catch {
    return null;
  }
}

function cameraTests(input: CapabilityTestInput): PlannedTest[] {
  return input.hardware.cameras.map((camera) => ({
    id: `camera-snapshot:${camera.id}`,
    label: `camera snapshot from ${camera.name}`,
    candidateId: `camera/${camera.id.replace(/^\/dev\//, '')}`,
    run: async (signal) => {
      if (input.env.platform !== 'linux') {
        return skipped(
          'the operating system would ask for camera permission; test it from a session where you can grant it',
        );
      }
      if (!(await canOpen(camera.id))) {
        return skipped(`no permission to open ${camera.id} (add this user to the "video" group)`);
      }
      return withTempDir(input.workDir, async (dir) => {
        const out = join(dir, 'snapshot.jpg');
        const ffmpeg = await input.env.run(
          'ffmpeg',
          ['-hide_banner', '-loglevel', 'error', '-f', 'v4l2', '-i', camera.id, '-frames:v', '1', '-y', out],
          { timeoutMs: 15_000, signal },
        );
        if (ffmpeg.status === 'ok') {
          const size = await nonEmptyFile(out, 100);
          return size === null
            ? failed('ffmpeg wrote no image')
            : passed(`captured a ${Math.round(size / 1024)} KiB image`);
        }
        if (ffmpeg.status !== 'missing') return failed(describeCommandResult(ffmpeg));
        const raw = join(dir, 'frame.raw');
        const v4l2 = await input.env.run(
          'v4l2-ctl',
          ['-d', camera.id, '--stream-mmap', '--stream-count=1', `--stream-to=${raw}`],
          { timeoutMs: 15_000, signal },
        );
        if (v4l2.status === 'missing') return skipped('neither ffmpeg nor v4l2-ctl is installed');
        if (v4l2.status !== 'ok') return failed(describeCommandResult(v4l2));
        const size = await nonEmptyFile(raw, 100);
        return size === null
          ? failed('v4l2-ctl captured no frame')
          : passed(`captured a ${Math.round(size / 1024)} KiB frame`);
      });
    },
  }));
}

function microphoneTests(input: CapabilityTestInput): PlannedTest[] {
  return input.hardware.microphones.map((mic) => ({
    id: `audio-capture:${mic.id}`,
    label: `one-second recording from ${mic.name}`,
    candidateId: `microphone/${mic.id}`,
    run: async (signal) => {
      if (input.env.platform !== 'linux') {
        return skipped(
          'the operating system would ask for microphone permission; test it from a session where you can grant it',
        );
      }
      return withTempDir(input.workDir, async (dir) => {
        const out = join(dir, 'capture.wav');
        const args =
          mic.source === 'alsa'
            ? {
                command: 'arecord',
                args: ['-q', '-D', mic.id, '-d', '1', '-f', 'S16_LE', '-r', '16000', '-c', '1', out],
              }
            : { command: 'parecord', args: [`--device=${mic.id}`, '--file-format=wav', out] };
        const result =
          args.command === 'parecord'
            ? await recordForOneSecond(input.env, args.command, args.args, signal)
            : await input.env.run(args.command, args.args, { timeoutMs: 10_000, signal });
        if (result.status === 'missing') return skipped(`${args.command} is not installed`);
        if (result.status !== 'ok') return failed(describeCommandResult(result));
        // A WAV header is 44 bytes; one second of 16 kHz mono is 32 000 more.
        const size = await nonEmptyFile(out, 1_000);
        return size === null
          ? failed('the recording is empty')
          : passed(`recorded ${Math.round(size / 1024)} KiB`);
      });
    },
  }));
}

/** `parecord` records until stopped: give it one second through its timeout. */
async function recordForOneSecond(
  env: ScanEnv,
  command: string,
  args: readonly string[],
  signal: AbortSignal,
): ReturnType<ScanEnv['run']> {
  const result = await env.run(command, args, { timeoutMs: 1_000, signal });
  return result.status === 'timed_out' ? { status: 'ok', stdout: '', stderr: '' } : result;
}

// ---- disk -----------------------------------------------------------------------------------

function diskTest(input: CapabilityTestInput): PlannedTest {
  return {
    id: 'disk-write',
    label: 'disk write in the Atmosphere home',
    candidateId: null,
    run: (signal) =>
      withTempDir(input.workDir, async (dir) => {
        const path = join(dir, 'write-test.bin');
        const data = Buffer.alloc(DISK_TEST_BYTES, 0x5a);
        const started = performance.now();
        const file = await open(path, 'w', 0o600);
        try {
          await file.writeFile(data, { signal });
          await file.sync();
        } finally {
          await file.close();
        }
        const seconds = Math.max((performance.now() - started) / 1000, 1e-6);
        const size = await nonEmptyFile(path, DISK_TEST_BYTES);
        if (size === null) return failed('the file read back shorter than written');
        const mbPerSecond = DISK_TEST_BYTES / 1024 / 1024 / seconds;
        return passed(`wrote and synced 4 MiB at ${mbPerSecond.toFixed(0)} MiB/s`);
      }),
  };
}
