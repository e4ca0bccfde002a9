import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import { appleNeuralEngineCores, parseSystemProfilerJson } from './system-profiler.js';

const GIB = 1024 ** 3;

describe('parseSystemProfilerJson on an Apple Silicon MacBook Pro', () => {
  const report = parseSystemProfilerJson(fixture('system-profiler/apple-silicon-macbook-pro.json.txt'));

  it('reports the chip as a unified-memory Metal GPU sized by the system RAM', () => {
    expect(report.gpus).toHaveLength(1);
    expect(report.gpus[0]).toMatchObject({
      vendor: 'apple',
      name: 'Apple M2 Pro',
      vramBytes: 16 * GIB,
      unifiedMemory: true,
      apis: ['metal'],
      computeCapability: 'Metal 3',
      source: 'system_profiler',
      canRun: ['13B models (Q4)', 'image generation (SDXL)'],
    });
  });

  it('reports the Apple Neural Engine with its 16 cores', () => {
    expect(report.npus).toEqual([
      {
        vendor: 'apple',
        name: 'Apple Neural Engine',
        cores: 16,
        source: 'system_profiler',
        canRun: ['Core ML models', 'on-device speech recognition (Whisper, Core ML)'],
      },
    ]);
  });

  it('reads the chip, core counts and memory of the hardware overview', () => {
    expect(report.hardware).toEqual({
      cpuModel: 'Apple M2 Pro',
      cpuCores: 12,
      performanceCores: 8,
      efficiencyCores: 4,
      cpuSpeedMhz: null,
      memoryBytes: 16 * GIB,
      appleSilicon: true,
    });
  });

  it('lists both cameras by their unique ids', () => {
    expect(report.cameras.map((camera) => [camera.id, camera.name, camera.bus])).toEqual([
      ['47B4B64B-7067-4B9C-AD2B-AE273A71F4B5', 'FaceTime HD Camera', null],
      ['0x1420000046d085c', 'C922 Pro Stream Webcam', 'usb'],
    ]);
  });

  it('splits audio devices into microphones and speakers and marks the defaults', () => {
    expect(report.microphones.map((mic) => [mic.name, mic.isDefault])).toEqual([
      ['MacBook Pro Microphone', true],
      ['C922 Pro Stream Webcam', false],
    ]);
    expect(report.speakers).toEqual([
      {
        id: 'MacBook Pro Speakers',
        name: 'MacBook Pro Speakers',
        kind: 'speaker',
        source: 'coreaudio',
        isDefault: true,
      },
    ]);
  });

  it('sees a laptop discharging on battery', () => {
    expect(report.power).toEqual({
      source: 'battery',
      hasBattery: true,
      batteryPercent: 57,
      charging: false,
      timeRemainingMinutes: null,
    });
  });
});

describe('parseSystemProfilerJson on an Intel MacBook Pro', () => {
  const report = parseSystemProfilerJson(fixture('system-profiler/intel-macbook-pro-2019.json.txt'));

  it('reports the AMD dGPU with its 8 GB and the Intel iGPU with its shared memory', () => {
    expect(report.gpus.map((gpu) => [gpu.vendor, gpu.name, gpu.vramBytes, gpu.unifiedMemory])).toEqual([
      ['intel', 'Intel UHD Graphics 630', 1536 * 1024 ** 2, false],
      ['amd', 'AMD Radeon Pro 5500M', 8 * GIB, false],
    ]);
    expect(report.gpus[1]?.canRun).toContain('image generation (SDXL)');
  });

  it('has no Neural Engine and reads the Intel CPU', () => {
    expect(report.npus).toEqual([]);
    expect(report.hardware).toMatchObject({
      cpuModel: '8-Core Intel Core i9',
      cpuCores: 8,
      cpuSpeedMhz: 2300,
    });
  });

  it('sees the charger connected and the battery charging', () => {
    expect(report.power).toMatchObject({
      source: 'ac',
      hasBattery: true,
      batteryPercent: 81,
      charging: true,
    });
  });
});

describe('parseSystemProfilerJson on bad input', () => {
  it('returns empty sections for garbage and for a document without the data types', () => {
    for (const text of [
      '',
      'not json',
      '[]',
      '{"SPDisplaysDataType": "x"}',
      '{"SPDisplaysDataType": [{"sppci_bus": "no name"}]}',
    ]) {
      const report = parseSystemProfilerJson(text);
      expect(report.gpus).toEqual([]);
      expect(report.npus).toEqual([]);
      expect(report.cameras).toEqual([]);
      expect(report.microphones).toEqual([]);
    }
    expect(parseSystemProfilerJson('{}').power).toBeNull();
  });
});

describe('appleNeuralEngineCores', () => {
  it('gives 16 cores to M-series chips and 32 to the Ultra', () => {
    expect(appleNeuralEngineCores('Apple M1')).toBe(16);
    expect(appleNeuralEngineCores('Apple M3 Max')).toBe(16);
    expect(appleNeuralEngineCores('Apple M2 Ultra')).toBe(32);
    expect(appleNeuralEngineCores('8-Core Intel Core i9')).toBeNull();
  });
});
