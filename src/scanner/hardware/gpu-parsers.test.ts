import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import {
  gpusFromPciDevices,
  npusFromPciDevices,
  parseLspciDevices,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
  parseUevent,
  parseVulkanInfoSummary,
} from './gpu-parsers.js';

const MIB = 1024 ** 2;
const GARBAGE = [
  '',
  '\n\n',
  'not a tool output at all',
  '{"card0": 5}',
  '[1,2,3]',
  '\u0000\u0001binary',
  'a, b, c, d',
];

describe('parseNvidiaSmiCsv', () => {
  it('reads every GPU of a two-GPU machine with VRAM, driver and compute capability', () => {
    const gpus = parseNvidiaSmiCsv(fixture('nvidia-smi/query-two-gpus.csv'));
    expect(gpus).toHaveLength(2);
    expect(gpus[0]).toMatchObject({
      vendor: 'nvidia',
      name: 'NVIDIA GeForce RTX 4090',
      vramBytes: 24564 * MIB,
      vramFreeBytes: 23880 * MIB,
      driver: '550.54.14',
      computeCapability: '8.9',
      apis: ['cuda'],
      source: 'nvidia-smi',
      unifiedMemory: false,
    });
    expect(gpus[0]?.canRun).toContain('34B models (Q4)');
    expect(gpus[1]).toMatchObject({
      name: 'NVIDIA GeForce RTX 3060',
      vramBytes: 12288 * MIB,
      computeCapability: '8.6',
    });
    expect(gpus[1]?.canRun).toContain('13B models (Q4)');
  });

  it('turns [N/A] and [Not Supported] into nulls', () => {
    const [gpu] = parseNvidiaSmiCsv(fixture('nvidia-smi/query-unsupported-fields.csv'));
    expect(gpu).toMatchObject({
      name: 'NVIDIA A100-SXM4-80GB',
      vramBytes: 81920 * MIB,
      vramFreeBytes: null,
      computeCapability: null,
    });
    expect(gpu?.canRun[0]).toBe('70B models (Q4)');
  });

  it('reads the four-field answer of drivers without compute_cap', () => {
    const [gpu] = parseNvidiaSmiCsv(fixture('nvidia-smi/query-without-compute-cap.csv'));
    expect(gpu).toMatchObject({
      name: 'NVIDIA GeForce GTX 1080 Ti',
      driver: '470.239.06',
      computeCapability: null,
    });
  });

  it('finds no GPU in the message nvidia-smi prints when the driver is not loaded', () => {
    expect(parseNvidiaSmiCsv(fixture('nvidia-smi/driver-not-loaded.stdout.txt'))).toEqual([]);
    expect(parseNvidiaSmiCsv(fixture('nvidia-smi/old-driver-no-compute-cap.stdout.txt'))).toEqual([]);
  });

  it('returns an empty list for garbage', () => {
    for (const text of GARBAGE) expect(parseNvidiaSmiCsv(text)).toEqual([]);
  });
});

describe('parseRocmSmiJson', () => {
  it('reads cards in order with VRAM, free VRAM, gfx target and the system driver version', () => {
    const gpus = parseRocmSmiJson(fixture('rocm-smi/two-cards.json.txt'));
    expect(gpus.map((gpu) => gpu.name)).toEqual(['Radeon RX 7900 XTX', 'Raphael']);
    expect(gpus[0]).toMatchObject({
      vendor: 'amd',
      vramBytes: 25753026560,
      vramFreeBytes: 25753026560 - 1442840576,
      computeCapability: 'gfx1100',
      driver: '6.8.5',
      apis: ['rocm'],
      source: 'rocm-smi',
    });
    expect(gpus[0]?.canRun).toContain('training (LoRA 8B)');
    expect(gpus[1]?.canRun).toEqual([]);
  });

  it('reads the lower-case keys and per-card driver of older releases', () => {
    const [gpu] = parseRocmSmiJson(fixture('rocm-smi/older-lowercase-keys.json.txt'));
    expect(gpu).toMatchObject({
      name: 'Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]',
      vramBytes: 17163091968,
      driver: '6.2.4',
    });
  });

  it('returns an empty list for garbage', () => {
    for (const text of GARBAGE) expect(parseRocmSmiJson(text)).toEqual([]);
  });
});

describe('lspci -mm -nn', () => {
  it('parses every device line recorded on this virtual machine and finds no GPU among them', () => {
    const devices = parseLspciDevices(fixture('lspci/vm-qemu-virtio.txt'));
    expect(devices).toHaveLength(6);
    expect(devices[2]).toMatchObject({
      slot: '00:02.0',
      className: 'Mass storage controller',
      classId: '0180',
      vendorId: '1af4',
      deviceName: 'Virtio 1.0 block device',
      deviceId: '1042',
    });
    expect(gpusFromPciDevices(devices)).toEqual([]);
  });

  it('lists an NVIDIA dGPU pair and the Intel iGPU of a desktop, named by their marketing names', () => {
    const gpus = gpusFromPciDevices(parseLspciDevices(fixture('lspci/desktop-nvidia-intel.txt')));
    expect(gpus.map((gpu) => [gpu.vendor, gpu.name])).toEqual([
      ['intel', 'Intel UHD Graphics 770'],
      ['nvidia', 'NVIDIA GeForce RTX 4090'],
      ['nvidia', 'NVIDIA GeForce RTX 3060 Lite Hash Rate'],
    ]);
    expect(
      gpus.every((gpu) => gpu.vramBytes === null && gpu.source === 'lspci' && gpu.canRun.length === 0),
    ).toBe(true);
  });

  it('finds the Meteor Lake NPU as a processing accelerator and not as a GPU', () => {
    const devices = parseLspciDevices(fixture('lspci/laptop-meteor-lake-npu.txt'));
    expect(npusFromPciDevices(devices)).toEqual([
      {
        vendor: 'intel',
        name: 'Intel Meteor Lake NPU',
        cores: null,
        source: 'lspci',
        canRun: ['OpenVINO models', 'small on-device models (NPU)'],
      },
    ]);
    expect(gpusFromPciDevices(devices).map((gpu) => gpu.name)).toEqual(['Intel Arc Graphics']);
  });

  it('skips the server BMC display and names a Qualcomm accelerator that lspci cannot name', () => {
    const devices = parseLspciDevices(fixture('lspci/workstation-amd-and-bmc.txt'));
    expect(gpusFromPciDevices(devices).map((gpu) => gpu.name)).toEqual([
      'AMD Radeon RX 7900 XT/7900 XTX/7900M',
    ]);
    expect(npusFromPciDevices(devices).map((npu) => [npu.vendor, npu.name])).toEqual([
      ['qualcomm', 'Qualcomm Cloud AI 100'],
    ]);
  });

  it('lists data-centre cards of class 1200 as GPUs, not NPUs', () => {
    const line =
      '0000:c1:00.0 "Processing accelerators [1200]" "NVIDIA Corporation [10de]" "GH100 [H100 SXM5 80GB] [2330]" -ra1 "NVIDIA Corporation [10de]" "GH100 [H100 SXM5 80GB] [16c1]"';
    const devices = parseLspciDevices(line);
    expect(gpusFromPciDevices(devices).map((gpu) => gpu.name)).toEqual(['NVIDIA H100 SXM5 80GB']);
    expect(npusFromPciDevices(devices)).toEqual([]);
  });

  it('returns no devices for garbage', () => {
    for (const text of [...GARBAGE, '01:00.0 "unterminated', '01:00.0 "VGA" "NVIDIA" "x"']) {
      expect(parseLspciDevices(text)).toEqual([]);
    }
  });
});

describe('parseVulkanInfoSummary', () => {
  it('skips the llvmpipe CPU device recorded on this machine', () => {
    expect(parseVulkanInfoSummary(fixture('vulkaninfo/summary-llvmpipe-only.txt'))).toEqual([]);
  });

  it('reads the real GPUs of a desktop and leaves llvmpipe out', () => {
    const gpus = parseVulkanInfoSummary(fixture('vulkaninfo/summary-nvidia-and-llvmpipe.txt'));
    expect(gpus.map((gpu) => [gpu.vendor, gpu.name, gpu.driver])).toEqual([
      ['nvidia', 'NVIDIA GeForce RTX 4090', '550.54.14'],
      ['intel', 'Intel(R) Graphics (RPL-S)', 'Mesa 24.0.5-1ubuntu1'],
    ]);
    expect(gpus.every((gpu) => gpu.apis.includes('vulkan') && gpu.source === 'vulkaninfo')).toBe(true);
  });

  it('returns an empty list for garbage', () => {
    for (const text of GARBAGE) expect(parseVulkanInfoSummary(text)).toEqual([]);
  });
});

describe('parseUevent', () => {
  it('reads KEY=value lines of a sysfs uevent file', () => {
    const fields = parseUevent(fixture('sysfs/meteor-lake-npu/class/accel/accel0/device/uevent'));
    expect(fields['DRIVER']).toBe('intel_vpu');
    expect(fields['PCI_SLOT_NAME']).toBe('0000:00:0b.0');
  });
});
