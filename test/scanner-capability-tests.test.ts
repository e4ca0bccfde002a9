/**
 * Capability tests against real things where they exist here: an Ollama double on loopback behind
 * the real `OllamaBackend`, a real disk. Camera and microphone tools (ffmpeg, v4l2-ctl, arecord) and
 * devices do not exist on this machine, so those tests run through a `ScanEnv` whose `run` plays
 * the tools' part.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CameraInfo, HardwareReport, ModelFinding } from '../src/core/index.js';
import { AbortedError, silentLogger } from '../src/core/index.js';
import { OllamaBackend } from '../src/integrations/index.js';
import { runCapabilityTests } from '../src/scanner/capability-tests.js';
import type { CommandResult, ScanEnv } from '../src/scanner/scan-env.js';
import { systemScanEnv } from '../src/scanner/scan-env.js';
import { hardware, model } from '../src/scanner/test-builders.js';
import { OllamaDouble } from './doubles/ollama-double.js';

const GIB = 1024 ** 3;
const root = mkdtempSync(join(tmpdir(), 'atmosphere-captests-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const components = { clock: { now: () => Date.now() }, logger: silentLogger() };

let double: OllamaDouble | null = null;
afterEach(async () => {
  await double?.close();
  double = null;
});

function workDir(): string {
  return mkdtempSync(join(root, 'home-'));
}

function byId<T extends { id: string }>(list: readonly T[], id: string): T {
  const found = list.find((t) => t.id === id);
  if (!found) throw new Error(`no ${id} in ${list.map((t) => t.id).join(', ')}`);
  return found;
}

const ollamaModel = (id: string, fields: Partial<ModelFinding> = {}): ModelFinding =>
  model({ id, sizeBytes: 1 * GIB, ...fields });

describe('capability tests of models', () => {
  it('runs a one-token generation on the smallest chat models up to the limit and skips the rest with the reason', async () => {
    double = await OllamaDouble.start();
    const backend = new OllamaBackend(components, { url: double.url });
    const results = await runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [
        ollamaModel('llama3.2:3b', { sizeBytes: 2 * GIB }),
        ollamaModel('qwen3:1.7b', { sizeBytes: 1 * GIB }),
      ],
      backends: [backend],
      workDir: workDir(),
      maxModelTests: 1,
    });
    expect(byId(results, 'generate:ollama/qwen3:1.7b')).toMatchObject({
      status: 'passed',
      candidateId: 'ollama/qwen3:1.7b',
    });
    expect(byId(results, 'generate:ollama/llama3.2:3b')).toMatchObject({
      status: 'skipped',
      reason: 'only the 1 smallest models are tested per scan (scan.max_model_tests)',
    });
    const chats = double.requestsTo('/api/chat');
    expect(chats).toHaveLength(1);
    expect(chats[0]?.body).toMatchObject({ model: 'qwen3:1.7b', options: { num_predict: 1 } });
  });

  it('asks an embedding model for a vector and reports its dimensions', async () => {
    double = await OllamaDouble.start({ embeddingDimensions: 384 });
    const results = await runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [ollamaModel('all-minilm:latest', { kind: 'embedding' })],
      backends: [new OllamaBackend(components, { url: double.url })],
      workDir: workDir(),
    });
    expect(byId(results, 'embed:ollama/all-minilm:latest')).toMatchObject({
      status: 'passed',
      reason: '384-dimensional vector',
    });
  });

  it('fails a model the server cannot run, with the server’s reason', async () => {
    double = await OllamaDouble.start();
    const results = await runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [ollamaModel('ghost:7b')],
      backends: [new OllamaBackend(components, { url: double.url })],
      workDir: workDir(),
    });
    const result = byId(results, 'generate:ollama/ghost:7b');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/ghost:7b/);
  });

  it('fails a generation that does not finish within the test timeout', async () => {
    double = await OllamaDouble.start({ headerDelayMs: 3_000 });
    const results = await runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [ollamaModel('llama3.2:3b')],
      backends: [new OllamaBackend(components, { url: double.url })],
      workDir: workDir(),
      timeoutMs: 300,
    });
    expect(byId(results, 'generate:ollama/llama3.2:3b')).toMatchObject({
      status: 'failed',
      reason: 'did not finish within 300 ms',
    });
  });

  it('skips models of a server this node has no backend for', async () => {
    const results = await runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [ollamaModel('llama3.2:3b')],
      backends: [],
      workDir: workDir(),
    });
    expect(byId(results, 'generate:ollama/llama3.2:3b')).toMatchObject({
      status: 'skipped',
      reason: 'ollama is not configured on this node',
    });
  });

  it('stops with AbortedError when the scan is cancelled', async () => {
    double = await OllamaDouble.start({ headerDelayMs: 3_000 });
    const controller = new AbortController();
    const running = runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [ollamaModel('llama3.2:3b')],
      backends: [new OllamaBackend(components, { url: double.url })],
      workDir: workDir(),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(running).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('memory checks', () => {
  const run = (hw: HardwareReport, models: ModelFinding[]) =>
    runCapabilityTests({ env: systemScanEnv(), hardware: hw, models, backends: [], workDir: workDir() });

  it('passes a model that fits the GPU, one that runs from RAM, and fails one that fits neither', async () => {
    const results = await run(hardware({ ramBytes: 16 * GIB, gpuVramBytes: 8 * GIB }), [
      ollamaModel('small', { sizeBytes: 4 * GIB }),
      ollamaModel('medium', { sizeBytes: 10 * GIB }),
      ollamaModel('huge', { sizeBytes: 40 * GIB }),
    ]);
    expect(byId(results, 'memory:ollama/small').reason).toBe(
      'needs about 5.1 GB; fits on NVIDIA GeForce RTX 4090 (8.0 GB ≥ 5.1 GB)',
    );
    expect(byId(results, 'memory:ollama/medium')).toMatchObject({ status: 'passed' });
    expect(byId(results, 'memory:ollama/medium').reason).toMatch(/^runs from RAM/);
    expect(byId(results, 'memory:ollama/huge')).toMatchObject({
      status: 'failed',
      reason:
        'insufficient memory: needs about 46.5 GB, RAM 16.0 GB; GPU: insufficient VRAM (8.0 GB < 46.5 GB)',
    });
  });

  it('says SDXL cannot run without enough VRAM, and can with 24 GB', async () => {
    expect(byId(await run(hardware(), []), 'memory:image-generation-sdxl')).toMatchObject({
      status: 'failed',
      reason: 'cannot run SDXL: no GPU detected (needs 8 GB)',
    });
    expect(
      byId(await run(hardware({ gpuVramBytes: 6 * GIB }), []), 'memory:image-generation-sdxl').reason,
    ).toBe('cannot run SDXL: insufficient VRAM (6.0 GB < 8 GB)');
    expect(
      byId(await run(hardware({ gpuVramBytes: 24 * GIB }), []), 'memory:image-generation-sdxl').status,
    ).toBe('passed');
  });
});

describe('device and disk tests', () => {
  const camera = (id: string): CameraInfo => ({
    id,
    name: 'C920',
    driver: 'uvcvideo',
    bus: 'usb',
    formats: ['MJPG'],
    maxWidth: 1920,
    maxHeight: 1080,
    source: 'v4l2-ctl',
  });
  /** The real machine, except that `run` answers for the tools named in `tools`. */
  const envWith = (
    tools: Record<string, (args: readonly string[]) => CommandResult>,
    platform: NodeJS.Platform = 'linux',
  ): ScanEnv => {
    const real = systemScanEnv();
    return {
      ...real,
      platform,
      run: (command, args) => {
        const tool = tools[command];
        return Promise.resolve(tool ? tool(args) : { status: 'missing', command });
      },
    };
  };

  it('writes, syncs and removes a file in the home, and reports the speed', async () => {
    const dir = workDir();
    const results = await runCapabilityTests({
      env: systemScanEnv(),
      hardware: hardware(),
      models: [],
      backends: [],
      workDir: dir,
    });
    const disk = byId(results, 'disk-write');
    expect(disk.status).toBe('passed');
    expect(disk.reason).toMatch(/^wrote and synced 4 MiB at \d+ MiB\/s$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes a camera snapshot with ffmpeg when the device can be opened', async () => {
    const dir = workDir();
    const device = join(dir, 'video0');
    writeFileSync(device, '');
    const env = envWith({
      ffmpeg: (args) => {
        writeFileSync(args[args.length - 1] as string, Buffer.alloc(20_000, 1));
        return { status: 'ok', stdout: '', stderr: '' };
      },
    });
    const results = await runCapabilityTests({
      env,
      hardware: { ...hardware(), cameras: [camera(device)] },
      models: [],
      backends: [],
      workDir: dir,
    });
    expect(byId(results, `camera-snapshot:${device}`)).toMatchObject({
      status: 'passed',
      reason: 'captured a 20 KiB image',
    });
  });

  it('skips a camera it may not open, and one no capture tool is installed for', async () => {
    const dir = workDir();
    const device = join(dir, 'video1');
    writeFileSync(device, '');
    const results = await runCapabilityTests({
      env: envWith({}),
      hardware: { ...hardware(), cameras: [camera('/nonexistent/video9'), camera(device)] },
      models: [],
      backends: [],
      workDir: dir,
    });
    expect(byId(results, 'camera-snapshot:/nonexistent/video9').reason).toBe(
      'no permission to open /nonexistent/video9 (add this user to the "video" group)',
    );
    expect(byId(results, `camera-snapshot:${device}`)).toMatchObject({
      status: 'skipped',
      reason: 'neither ffmpeg nor v4l2-ctl is installed',
    });
  });

  it('fails a camera snapshot when ffmpeg reports an error', async () => {
    const dir = workDir();
    const device = join(dir, 'video2');
    writeFileSync(device, '');
    const env = envWith({
      ffmpeg: () => ({
        status: 'failed',
        exitCode: 1,
        stdout: '',
        stderr: '[video4linux2] Device or resource busy\n',
        reason: '[video4linux2] Device or resource busy',
      }),
    });
    const results = await runCapabilityTests({
      env,
      hardware: { ...hardware(), cameras: [camera(device)] },
      models: [],
      backends: [],
      workDir: dir,
    });
    expect(byId(results, `camera-snapshot:${device}`)).toMatchObject({
      status: 'failed',
      reason: '[video4linux2] Device or resource busy',
    });
  });

  it('never opens a camera or microphone on macOS, where that would prompt for permission', async () => {
    const results = await runCapabilityTests({
      env: envWith({}, 'darwin'),
      hardware: {
        ...hardware(),
        cameras: [camera('0x1420000005ac8600')],
        microphones: [
          {
            id: 'MacBook Pro Microphone',
            name: 'MacBook Pro Microphone',
            kind: 'microphone',
            source: 'coreaudio',
            isDefault: true,
          },
        ],
      },
      models: [],
      backends: [],
      workDir: workDir(),
    });
    expect(
      results.filter((r) => r.id.startsWith('camera') || r.id.startsWith('audio')).map((r) => r.status),
    ).toEqual(['skipped', 'skipped']);
  });

  it('records one second from an ALSA microphone with arecord', async () => {
    const env = envWith({
      arecord: (args) => {
        expect(args).toEqual(expect.arrayContaining(['-D', 'hw:1,0', '-d', '1']));
        writeFileSync(args[args.length - 1] as string, Buffer.alloc(32_044, 0));
        return { status: 'ok', stdout: '', stderr: '' };
      },
    });
    const results = await runCapabilityTests({
      env,
      hardware: {
        ...hardware(),
        microphones: [{ id: 'hw:1,0', name: 'Yeti', kind: 'microphone', source: 'alsa', isDefault: true }],
      },
      models: [],
      backends: [],
      workDir: workDir(),
    });
    expect(byId(results, 'audio-capture:hw:1,0')).toMatchObject({
      status: 'passed',
      reason: 'recorded 31 KiB',
      candidateId: 'microphone/hw:1,0',
    });
  });
});
