import { describe, expect, it } from 'vitest';
import {
  checkGpuWorkload,
  fitsInVram,
  gpuWorkload,
  gpuWorkloads,
  q4ModelRequiredBytes,
  usableGpuMemoryBytes,
} from './workloads.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

describe('gpuWorkloads', () => {
  it('says a 24 GB card runs 34B models, SDXL and LoRA training but not 70B', () => {
    expect(gpuWorkloads(24564 * MIB, { apis: ['cuda'] })).toEqual([
      '34B models (Q4)',
      'image generation (SDXL)',
      'training (LoRA 8B)',
    ]);
  });

  it('says a 48 GB card runs 70B models', () => {
    expect(gpuWorkloads(48 * GIB, { apis: ['cuda'] })[0]).toBe('70B models (Q4)');
  });

  it('counts a 12 GB card that reports slightly less than 12 GB as holding 13B models', () => {
    expect(gpuWorkloads(12288 * MIB)).toContain('13B models (Q4)');
    expect(gpuWorkloads(11.6 * GIB)).toContain('13B models (Q4)');
  });

  it('gives a 4 GB laptop GPU 3B models and SD 1.5 only', () => {
    expect(gpuWorkloads(4096 * MIB, { apis: ['cuda'] })).toEqual([
      '3B models (Q4)',
      'image generation (SD 1.5)',
    ]);
  });

  it('counts three quarters of unified memory on Apple Silicon', () => {
    expect(usableGpuMemoryBytes(16 * GIB, true)).toBe(12 * GIB);
    // 16 GB of RAM leaves 12 GB for the GPU: 13B models and SDXL, not 16 GB of training.
    expect(gpuWorkloads(16 * GIB, { unifiedMemory: true, apis: ['metal'] })).toEqual([
      '13B models (Q4)',
      'image generation (SDXL)',
    ]);
    expect(gpuWorkloads(64 * GIB, { unifiedMemory: true, apis: ['metal'] })).toContain('70B models (Q4)');
  });

  it('offers training only to GPUs with CUDA, ROCm or Metal', () => {
    expect(gpuWorkloads(24 * GIB, { apis: ['vulkan'] })).not.toContain('training (LoRA 8B)');
    expect(gpuWorkloads(24 * GIB, { apis: ['rocm'] })).toContain('training (LoRA 8B)');
  });

  it('returns nothing for unknown or tiny memory', () => {
    expect(gpuWorkloads(null)).toEqual([]);
    expect(gpuWorkloads(0)).toEqual([]);
    expect(gpuWorkloads(512 * MIB)).toEqual([]);
  });

  it('derives the LLM thresholds from 0.55 GB per billion parameters plus 1 GB', () => {
    expect(q4ModelRequiredBytes(70)).toBe(40 * GIB);
    expect(q4ModelRequiredBytes(34)).toBe(20 * GIB);
    expect(q4ModelRequiredBytes(8)).toBe(6 * GIB);
  });
});

describe('fitsInVram', () => {
  const sdxl = gpuWorkload('sdxl');

  it('refuses SDXL on a 6 GB card with the numbers in the reason', () => {
    const fit = fitsInVram(8 * GIB, [
      { name: 'NVIDIA GeForce RTX 2060', vramBytes: 6 * GIB, unifiedMemory: false },
    ]);
    expect(fit.fits).toBe(false);
    expect(fit.reason).toBe('insufficient VRAM (6.0 GB < 8 GB)');
  });

  it('checks the GPU with the most memory', () => {
    const fit = fitsInVram(8 * GIB, [
      { name: 'Intel UHD Graphics 770', vramBytes: null, unifiedMemory: false },
      { name: 'small', vramBytes: 4 * GIB, unifiedMemory: false },
      { name: 'NVIDIA GeForce RTX 3060', vramBytes: 12 * GIB, unifiedMemory: false },
    ]);
    expect(fit.fits).toBe(true);
    expect(fit.gpu?.name).toBe('NVIDIA GeForce RTX 3060');
    expect(fit.reason).toBe('fits on NVIDIA GeForce RTX 3060 (12.0 GB ≥ 8 GB)');
  });

  it('says when no GPU is known', () => {
    expect(fitsInVram(8 * GIB, []).reason).toBe('no GPU detected (needs 8 GB)');
    expect(fitsInVram(8 * GIB, [{ name: 'x', vramBytes: null, unifiedMemory: false }]).reason).toBe(
      'no GPU with known VRAM (needs 8 GB)',
    );
  });

  it('words a workload check as the capability tests report it', () => {
    expect(sdxl).toBeDefined();
    if (sdxl === undefined) return;
    const fit = checkGpuWorkload(sdxl, [{ name: 'GTX 1660', vramBytes: 6 * GIB, unifiedMemory: false }]);
    expect(fit.reason).toBe('cannot run SDXL: insufficient VRAM (6.0 GB < 8 GB)');
  });
});
