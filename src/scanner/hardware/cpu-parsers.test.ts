import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import {
  inferenceFeatures,
  parseProcCpuinfo,
  parseProcMeminfo,
  parseSysctlHwOptional,
} from './cpu-parsers.js';

describe('parseProcCpuinfo', () => {
  it('reads the /proc/cpuinfo recorded on this VM: model, two cores, AVX2 but no AVX-512', () => {
    const cpu = parseProcCpuinfo(fixture('proc/cpuinfo-amd-epyc-vm.txt'));
    expect(cpu).toMatchObject({ model: 'AMD EPYC', logicalCores: 2, physicalCores: 2, speedMhz: 2445 });
    expect(cpu.features).toEqual(['sse4_2', 'avx', 'avx2', 'fma', 'f16c']);
  });

  it('counts physical cores from unique (physical id, core id) pairs under hyper-threading', () => {
    const cpu = parseProcCpuinfo(fixture('proc/cpuinfo-intel-xeon-ht.txt'));
    expect(cpu.logicalCores).toBe(4);
    expect(cpu.physicalCores).toBe(2);
    expect(cpu.features).toEqual([
      'sse4_2',
      'avx',
      'avx2',
      'fma',
      'f16c',
      'avx512f',
      'avx512_vnni',
      'avx512_bf16',
      'amx',
    ]);
  });

  it('maps ARM features (asimd is NEON) and leaves physical cores unknown', () => {
    const cpu = parseProcCpuinfo(fixture('proc/cpuinfo-arm64-graviton3.txt'));
    expect(cpu).toMatchObject({
      model: null,
      logicalCores: 2,
      physicalCores: null,
      armPart: 'implementer 0x41, part 0xd40',
    });
    expect(cpu.features).toEqual(['neon', 'dotprod', 'sve', 'i8mm', 'bf16']);
  });

  it('gives an empty answer for garbage', () => {
    for (const text of ['', 'garbage', ':::', '\u0000']) {
      expect(parseProcCpuinfo(text)).toEqual({
        model: null,
        logicalCores: 0,
        physicalCores: null,
        speedMhz: null,
        features: [],
        armPart: null,
      });
    }
  });
});

describe('inferenceFeatures', () => {
  it('keeps only inference-relevant flags', () => {
    expect(inferenceFeatures(['fpu', 'sse2', 'avx2', 'aes', 'amx_tile', 'asimd'])).toEqual([
      'avx2',
      'amx',
      'neon',
    ]);
  });
});

describe('parseProcMeminfo', () => {
  it('reads MemTotal and MemAvailable recorded on this VM', () => {
    expect(parseProcMeminfo(fixture('proc/meminfo-vm.txt'))).toEqual({
      totalBytes: 24684096 * 1024,
      availableBytes: 24300196 * 1024,
    });
  });

  it('estimates available memory on kernels without MemAvailable', () => {
    expect(parseProcMeminfo(fixture('proc/meminfo-no-memavailable.txt'))).toEqual({
      totalBytes: 8056532 * 1024,
      availableBytes: (412776 + 187364 + 3129876) * 1024,
    });
  });

  it('gives nulls for garbage', () => {
    expect(parseProcMeminfo('MemTotal: lots\nnonsense')).toEqual({ totalBytes: null, availableBytes: null });
  });
});

describe('parseSysctlHwOptional', () => {
  it('reads the ARM features of an Apple M2', () => {
    expect(parseSysctlHwOptional(fixture('sysctl/hw-optional-apple-m2.txt'))).toEqual([
      'neon',
      'dotprod',
      'i8mm',
      'bf16',
    ]);
  });

  it('reads the x86 features of an Intel Mac and skips those that are 0', () => {
    expect(parseSysctlHwOptional(fixture('sysctl/hw-optional-intel-mac.txt'))).toEqual([
      'sse4_2',
      'avx',
      'avx2',
      'fma',
      'f16c',
    ]);
  });
});
