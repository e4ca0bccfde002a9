import { cpus, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { hardwareReportSchema, type ProbeRun } from '../../core/index.js';
import {
  failed,
  fakeHost,
  fakeScanEnv,
  fixture,
  fixtureTree,
  ok,
} from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import { systemScanEnv } from '../scan-env.js';
import { probeHardware } from './probe-hardware.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const NVIDIA_SMI =
  'nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version,compute_cap --format=csv,noheader,nounits';
const NVIDIA_SMI_OLD =
  'nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version --format=csv,noheader,nounits';
const SYSTEM_PROFILER =
  'system_profiler -json SPDisplaysDataType SPHardwareDataType SPAudioDataType SPCameraDataType SPPowerDataType';

function probe(probes: readonly ProbeRun[], id: string): ProbeRun {
  const run = probes.find((candidate) => candidate.id === id);
  if (run === undefined) throw new Error(`no ${id} probe run`);
  return run;
}

const twoDisksHost = fakeHost({
  cpuModel: 'Intel(R) Xeon(R) Gold 6430',
  logicalCores: 4,
  totalMemoryBytes: 32 * GIB,
  filesystems: {
    '/home/owner': { type: 0xef53, bsize: 4096, blocks: 250_000_000, bavail: 100_000_000, device: 2049 },
    '/': { type: 0xef53, bsize: 4096, blocks: 250_000_000, bavail: 100_000_000, device: 2049 },
    '/models': { type: 0x58465342, bsize: 4096, blocks: 500_000_000, bavail: 400_000_000, device: 2065 },
  },
});

/** A Linux desktop with two NVIDIA cards, an Intel iGPU, two webcams and PulseAudio. */
const linuxNvidia = fakeScanEnv({
  platform: 'linux',
  arch: 'x64',
  commands: {
    [NVIDIA_SMI]: ok(fixture('nvidia-smi/query-two-gpus.csv')),
    'lspci -mm -nn': ok(fixture('lspci/desktop-nvidia-intel.txt')),
    'vulkaninfo --summary': ok(fixture('vulkaninfo/summary-nvidia-and-llvmpipe.txt')),
    'v4l2-ctl --list-devices': ok(fixture('v4l2/list-devices-laptop.txt')),
    'v4l2-ctl -d /dev/video0 --all': ok(fixture('v4l2/all-video0-integrated.txt')),
    'v4l2-ctl -d /dev/video0 --list-formats-ext': ok(fixture('v4l2/list-formats-ext-video0-integrated.txt')),
    'v4l2-ctl -d /dev/video1 --all': ok(fixture('v4l2/all-video1-metadata.txt')),
    'v4l2-ctl -d /dev/video1 --list-formats-ext': ok('ioctl: VIDIOC_ENUM_FMT\n'),
    'v4l2-ctl -d /dev/video2 --all': ok(fixture('v4l2/all-video2-c920.txt')),
    'v4l2-ctl -d /dev/video2 --list-formats-ext': ok(fixture('v4l2/list-formats-ext-video2-c920.txt')),
    'v4l2-ctl -d /dev/video3 --all': ok(fixture('v4l2/all-video3-metadata.txt')),
    'v4l2-ctl -d /dev/video3 --list-formats-ext': ok('ioctl: VIDIOC_ENUM_FMT\n'),
    'pactl info': ok(fixture('pactl/info.txt')),
    'pactl -f json list sources': ok(fixture('pactl/json-list-sources.json.txt')),
    'pactl -f json list sinks': ok(fixture('pactl/json-list-sinks.json.txt')),
    'arecord -l': ok(fixture('alsa/arecord-l-laptop.txt')),
    'aplay -l': ok(fixture('alsa/aplay-l-laptop.txt')),
  },
  files: {
    '/proc/cpuinfo': fixture('proc/cpuinfo-intel-xeon-ht.txt'),
    '/proc/meminfo': fixture('proc/meminfo-vm.txt'),
    ...fixtureTree('power-supply/desktop-with-mouse', '/sys/class/power_supply'),
  },
  dirs: ['/sys/class/accel', '/dev'],
});

describe('probeHardware on a Linux machine with NVIDIA GPUs', () => {
  it('reports each GPU once: nvidia-smi for the NVIDIA cards, lspci for the Intel iGPU', async () => {
    const { hardware, probes } = await probeHardware(linuxNvidia, { host: twoDisksHost });
    expect(hardware.gpus.map((gpu) => [gpu.vendor, gpu.name, gpu.source])).toEqual([
      ['nvidia', 'NVIDIA GeForce RTX 4090', 'nvidia-smi'],
      ['nvidia', 'NVIDIA GeForce RTX 3060', 'nvidia-smi'],
      ['intel', 'Intel UHD Graphics 770', 'lspci'],
    ]);
    expect(hardware.gpus[0]).toMatchObject({
      vramBytes: 24564 * MIB,
      apis: ['cuda', 'vulkan'],
      computeCapability: '8.9',
    });
    expect(hardware.gpus[0]?.canRun).toEqual([
      '34B models (Q4)',
      'image generation (SDXL)',
      'training (LoRA 8B)',
    ]);
    expect(hardware.gpus[2]?.apis).toEqual(['vulkan']);
    expect(probe(probes, 'gpu')).toMatchObject({ status: 'ok' });
    expect(probe(probes, 'gpu').detail).toBe('via nvidia-smi, lspci, vulkaninfo; rocm-smi is not installed');
  });

  it('counts only the capture nodes of the two webcams as cameras', async () => {
    const { hardware } = await probeHardware(linuxNvidia, { host: twoDisksHost });
    expect(hardware.cameras).toEqual([
      {
        id: '/dev/video0',
        name: 'Integrated Camera: Integrated C',
        driver: 'uvcvideo',
        bus: 'usb-0000:00:14.0-8',
        formats: ['MJPG', 'YUYV'],
        maxWidth: 1280,
        maxHeight: 720,
        source: 'v4l2-ctl',
      },
      {
        id: '/dev/video2',
        name: 'HD Pro Webcam C920',
        driver: 'uvcvideo',
        bus: 'usb-0000:00:14.0-2',
        formats: ['YUYV', 'H264', 'MJPG'],
        maxWidth: 2304,
        maxHeight: 1536,
        source: 'v4l2-ctl',
      },
    ]);
  });

  it('takes microphones and speakers from the sound server with its defaults', async () => {
    const { hardware, probes } = await probeHardware(linuxNvidia, { host: twoDisksHost });
    expect(hardware.microphones.map((mic) => [mic.id, mic.isDefault, mic.source])).toEqual([
      ['alsa_input.pci-0000_00_1f.3.analog-stereo', true, 'pulseaudio'],
    ]);
    expect(hardware.speakers).toHaveLength(2);
    expect(probe(probes, 'audio')).toMatchObject({ status: 'ok', detail: 'via pactl' });
  });

  it('reads CPU, memory, power and de-duplicated storage', async () => {
    const { hardware } = await probeHardware(linuxNvidia, {
      host: twoDisksHost,
      storagePaths: ['/home/owner', '/', '/models', '/missing'],
    });
    expect(hardware.cpu).toEqual({
      model: 'Intel(R) Xeon(R) Gold 6430',
      architecture: 'x64',
      logicalCores: 4,
      physicalCores: 2,
      speedMhz: 2100,
      features: ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx'],
    });
    expect(hardware.memory.totalBytes).toBe(24684096 * 1024);
    expect(hardware.power).toMatchObject({ hasBattery: false });
    expect(hardware.storage).toEqual([
      {
        path: '/home/owner',
        totalBytes: 250_000_000 * 4096,
        freeBytes: 100_000_000 * 4096,
        filesystem: 'ext4',
      },
      { path: '/models', totalBytes: 500_000_000 * 4096, freeBytes: 400_000_000 * 4096, filesystem: 'xfs' },
    ]);
  });

  it('records one ok probe run per probe and a report that passes the schema', async () => {
    const messages: string[] = [];
    const { hardware, probes } = await probeHardware(linuxNvidia, {
      host: twoDisksHost,
      onProgress: (m) => messages.push(m),
    });
    expect(probes.map((run) => run.id)).toEqual([
      'gpu',
      'npu',
      'cpu',
      'memory',
      'storage',
      'camera',
      'audio',
      'power',
    ]);
    expect(probes.every((run) => run.status === 'ok' && run.durationMs >= 0)).toBe(true);
    expect(hardwareReportSchema.safeParse(hardware).success).toBe(true);
    expect(messages).toHaveLength(8);
    expect(messages).toContain('camera: 2 cameras (via v4l2-ctl)');
  });
});

describe('probeHardware on an Apple Silicon Mac', () => {
  const mac = fakeScanEnv({
    platform: 'darwin',
    arch: 'arm64',
    homeDir: '/Users/owner',
    commands: {
      [SYSTEM_PROFILER]: ok(fixture('system-profiler/apple-silicon-macbook-pro.json.txt')),
      'sysctl hw.optional': ok(fixture('sysctl/hw-optional-apple-m2.txt')),
      'pmset -g batt': ok(fixture('pmset/batt-discharging.txt')),
    },
  });
  const macHost = fakeHost({
    cpuModel: 'Apple M2 Pro',
    logicalCores: 12,
    totalMemoryBytes: 16 * GIB,
    freeMemoryBytes: 5 * GIB,
    filesystems: {
      '/Users/owner': { type: 0x1a, bsize: 4096, blocks: 120_000_000, bavail: 60_000_000, device: 16777232 },
    },
  });

  it('reports the M2 Pro GPU, its Neural Engine, CPU features and a discharging battery', async () => {
    const { hardware, probes } = await probeHardware(mac, { host: macHost, storagePaths: ['/Users/owner'] });
    expect(hardware.gpus).toEqual([
      {
        vendor: 'apple',
        name: 'Apple M2 Pro',
        vramBytes: 16 * GIB,
        vramFreeBytes: null,
        unifiedMemory: true,
        driver: null,
        computeCapability: 'Metal 3',
        apis: ['metal'],
        source: 'system_profiler',
        canRun: ['13B models (Q4)', 'image generation (SDXL)'],
      },
    ]);
    expect(hardware.npus.map((npu) => [npu.name, npu.cores])).toEqual([['Apple Neural Engine', 16]]);
    expect(hardware.cpu).toEqual({
      model: 'Apple M2 Pro',
      architecture: 'arm64',
      logicalCores: 12,
      physicalCores: 12,
      speedMhz: null,
      features: ['neon', 'dotprod', 'i8mm', 'bf16'],
    });
    expect(hardware.memory).toEqual({ totalBytes: 16 * GIB, availableBytes: 5 * GIB });
    expect(hardware.cameras).toHaveLength(2);
    expect(hardware.microphones.map((mic) => mic.name)).toEqual([
      'MacBook Pro Microphone',
      'C922 Pro Stream Webcam',
    ]);
    expect(hardware.speakers.map((speaker) => speaker.name)).toEqual(['MacBook Pro Speakers']);
    expect(hardware.power).toEqual({
      source: 'battery',
      hasBattery: true,
      batteryPercent: 57,
      charging: false,
      timeRemainingMinutes: 252,
    });
    expect(hardware.storage).toEqual([
      {
        path: '/Users/owner',
        totalBytes: 120_000_000 * 4096,
        freeBytes: 60_000_000 * 4096,
        filesystem: 'apfs',
      },
    ]);
    expect(probes.every((run) => run.status === 'ok')).toBe(true);
    expect(hardwareReportSchema.safeParse(hardware).success).toBe(true);
  });

  it('asks system_profiler once for all the probes that read it', async () => {
    const env = fakeScanEnv({
      platform: 'darwin',
      arch: 'arm64',
      commands: { [SYSTEM_PROFILER]: ok(fixture('system-profiler/apple-silicon-macbook-pro.json.txt')) },
    });
    await probeHardware(env, { host: macHost, storagePaths: [] });
    expect(env.calls.filter((line) => line === SYSTEM_PROFILER)).toHaveLength(1);
  });
});

describe('probeHardware on a bare VM where every tool is missing', () => {
  const bare = fakeScanEnv({ platform: 'linux', arch: 'x64' });
  const host = fakeHost({
    cpuModel: 'QEMU Virtual CPU',
    logicalCores: 2,
    totalMemoryBytes: 4 * GIB,
    filesystems: { '/': { type: 0x794c7630, bsize: 4096, blocks: 1000, bavail: 500, device: 42 } },
  });

  it('says not detected for the hardware it could not ask and still reports CPU and memory from node:os', async () => {
    const { hardware, probes } = await probeHardware(bare, { host, storagePaths: ['/'] });
    expect(probe(probes, 'gpu')).toMatchObject({
      status: 'not_detected',
      detail: 'nvidia-smi, rocm-smi, lspci, vulkaninfo are not installed',
    });
    expect(probe(probes, 'npu').status).toBe('not_detected');
    expect(probe(probes, 'camera')).toMatchObject({
      status: 'not_detected',
      detail: 'v4l2-ctl is not installed; /sys/class/video4linux is not readable',
    });
    expect(probe(probes, 'audio')).toMatchObject({
      status: 'not_detected',
      detail: 'pactl, arecord, aplay are not installed',
    });
    expect(probe(probes, 'power')).toMatchObject({
      status: 'not_detected',
      detail: '/sys/class/power_supply is not readable',
    });
    expect(probe(probes, 'cpu')).toMatchObject({
      status: 'ok',
      detail: 'via node:os (/proc/cpuinfo is not readable)',
    });
    expect(hardware.cpu).toMatchObject({ model: 'QEMU Virtual CPU', logicalCores: 2, physicalCores: null });
    expect(hardware.memory.totalBytes).toBe(4 * GIB);
    expect(hardware.storage).toEqual([
      { path: '/', totalBytes: 4096 * 1000, freeBytes: 4096 * 500, filesystem: 'overlay' },
    ]);
    expect(hardware.gpus).toEqual([]);
    expect(hardwareReportSchema.safeParse(hardware).success).toBe(true);
  });

  it('marks storage failed, not thrown, when no path can be measured', async () => {
    const { probes } = await probeHardware(bare, { host, storagePaths: ['/nowhere'] });
    expect(probe(probes, 'storage')).toMatchObject({
      status: 'failed',
      detail: 'could not measure /nowhere',
    });
  });
});

describe('probeHardware when tools fail', () => {
  it('falls back to lspci when nvidia-smi cannot reach the driver, and says why', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: {
        [NVIDIA_SMI]: failed(
          "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
          fixture('nvidia-smi/driver-not-loaded.stdout.txt'),
          '',
          9,
        ),
        'lspci -mm -nn': ok(fixture('lspci/desktop-nvidia-intel.txt')),
      },
    });
    const { hardware, probes } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.gpus.map((gpu) => [gpu.name, gpu.source])).toEqual([
      ['Intel UHD Graphics 770', 'lspci'],
      ['NVIDIA GeForce RTX 4090', 'lspci'],
      ['NVIDIA GeForce RTX 3060 Lite Hash Rate', 'lspci'],
    ]);
    expect(probe(probes, 'gpu').status).toBe('ok');
    expect(probe(probes, 'gpu').detail).toContain(
      "nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate",
    );
  });

  it('asks nvidia-smi again without compute_cap on drivers older than 510', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: {
        [NVIDIA_SMI]: failed(
          'nvidia-smi exited with code 2',
          fixture('nvidia-smi/old-driver-no-compute-cap.stdout.txt'),
          '',
          2,
        ),
        [NVIDIA_SMI_OLD]: ok(fixture('nvidia-smi/query-without-compute-cap.csv')),
      },
    });
    const { hardware } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.gpus.map((gpu) => [gpu.name, gpu.vramBytes])).toEqual([
      ['NVIDIA GeForce GTX 1080 Ti', 11264 * MIB],
    ]);
  });

  it('reports timed_out when the only tool that exists timed out', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: { 'lspci -mm -nn': { status: 'timed_out', timeoutMs: 50 } },
    });
    const { probes } = await probeHardware(env, { host: fakeHost(), storagePaths: [], timeoutMs: 50 });
    expect(probe(probes, 'gpu')).toMatchObject({
      status: 'timed_out',
      detail: 'nvidia-smi, rocm-smi, vulkaninfo are not installed; lspci: timed out after 50 ms',
    });
  });

  it('marks a probe failed instead of throwing when a source returns nonsense', async () => {
    const env = fakeScanEnv({ platform: 'darwin', arch: 'x64' });
    const { hardware, probes } = await probeHardware(env, {
      host: fakeHost({ totalMemoryBytes: Number.NaN }),
      storagePaths: [],
    });
    expect(probe(probes, 'memory').status).toBe('failed');
    expect(probe(probes, 'memory').detail).toMatch(/^invalid memory data/);
    expect(hardware.memory).toEqual({ totalBytes: 0, availableBytes: 0 });
  });

  it('stops with the abort reason when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('scan cancelled'));
    await expect(
      probeHardware(fakeScanEnv({ platform: 'linux', arch: 'x64' }), {
        host: fakeHost(),
        signal: controller.signal,
      }),
    ).rejects.toThrow('scan cancelled');
  });
});

describe('probeHardware on AMD and NPU machines', () => {
  it('gives an AMD card seen only by lspci its VRAM from amdgpu sysfs, and finds a Qualcomm accelerator', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: { 'lspci -mm -nn': ok(fixture('lspci/workstation-amd-and-bmc.txt')) },
      files: fixtureTree('sysfs/amdgpu-workstation', '/sys'),
    });
    const { hardware } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.gpus).toHaveLength(1);
    expect(hardware.gpus[0]).toMatchObject({
      vendor: 'amd',
      vramBytes: 25753026560,
      vramFreeBytes: 25753026560 - 1442840576,
      source: 'lspci+sysfs',
    });
    expect(hardware.gpus[0]?.canRun[0]).toBe('34B models (Q4)');
    expect(hardware.npus.map((npu) => [npu.vendor, npu.name, npu.source])).toEqual([
      ['qualcomm', 'Qualcomm Cloud AI 100', 'lspci'],
    ]);
  });

  it('reports the Intel NPU of a Meteor Lake laptop once, from its accel driver, and the battery', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: { 'lspci -mm -nn': ok(fixture('lspci/laptop-meteor-lake-npu.txt')) },
      files: {
        ...fixtureTree('sysfs/meteor-lake-npu', '/sys'),
        ...fixtureTree('power-supply/laptop-discharging', '/sys/class/power_supply'),
      },
      dirs: ['/dev'],
    });
    const { hardware, probes } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.npus).toEqual([
      {
        vendor: 'intel',
        name: 'Intel Meteor Lake NPU',
        cores: null,
        source: 'sysfs',
        canRun: ['OpenVINO models', 'small on-device models (NPU)'],
      },
    ]);
    expect(probe(probes, 'npu')).toMatchObject({ status: 'ok', detail: 'via lspci, /sys/class/accel' });
    expect(hardware.power).toMatchObject({ source: 'battery', batteryPercent: 57, charging: false });
    expect(hardware.gpus.map((gpu) => gpu.name)).toEqual(['Intel Arc Graphics']);
  });
});

describe('probeHardware fallbacks for cameras and audio', () => {
  it('falls back to ALSA when no sound server answers, and says why', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: {
        'pactl info': failed('Connection failure: Connection refused'),
        'arecord -l': ok(fixture('alsa/arecord-l-laptop.txt')),
        'aplay -l': ok('', fixture('alsa/aplay-l-no-soundcards.stderr.txt')),
      },
    });
    const { hardware, probes } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.microphones.map((mic) => mic.id)).toEqual(['hw:0,0', 'hw:2,0']);
    expect(hardware.speakers).toEqual([]);
    expect(probe(probes, 'audio')).toMatchObject({
      status: 'ok',
      detail: 'via arecord, aplay; pactl: Connection failure: Connection refused',
    });
  });

  it("uses pactl's short listing when pactl has no JSON output", async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: {
        'pactl info': ok(fixture('pactl/info.txt')),
        'pactl -f json list sources': failed("pactl: invalid option -- 'f'"),
        'pactl -f json list sinks': failed("pactl: invalid option -- 'f'"),
        'pactl list short sources': ok(fixture('pactl/list-short-sources.txt')),
        'pactl list short sinks': ok(fixture('pactl/list-short-sinks.txt')),
      },
    });
    const { hardware } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.microphones.map((mic) => [mic.id, mic.isDefault])).toEqual([
      ['alsa_input.pci-0000_00_1f.3.analog-stereo', true],
    ]);
    expect(hardware.speakers.map((speaker) => speaker.isDefault)).toEqual([true, false]);
  });

  it('names cameras from sysfs when v4l2-ctl is missing, leaving out secondary nodes', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      files: {
        '/sys/class/video4linux/video0/name': 'Integrated Camera: Integrated C\n',
        '/sys/class/video4linux/video0/index': '0\n',
        '/sys/class/video4linux/video1/name': 'Integrated Camera: Integrated C\n',
        '/sys/class/video4linux/video1/index': '1\n',
      },
    });
    const { hardware, probes } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.cameras.map((camera) => [camera.id, camera.name, camera.source])).toEqual([
      ['/dev/video0', 'Integrated Camera: Integrated C', 'sysfs'],
    ]);
    expect(probe(probes, 'camera').detail).toContain('v4l2-ctl is not installed');
  });

  it('reports no cameras, without a failure, when v4l2-ctl finds no video device', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      commands: {
        'v4l2-ctl --list-devices': failed(
          'Cannot open device /dev/video0, exiting.',
          '',
          fixture('v4l2/list-devices-none.stderr.txt'),
        ),
      },
    });
    const { hardware, probes } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.cameras).toEqual([]);
    expect(probe(probes, 'camera')).toMatchObject({
      status: 'ok',
      detail: 'via v4l2-ctl (no video devices)',
    });
  });

  it("finds Qualcomm's Hexagon NPU from its FastRPC device node", async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'arm64',
      files: { '/dev/fastrpc-cdsp': '' },
      dirs: ['/sys/class'],
    });
    const { hardware } = await probeHardware(env, { host: fakeHost(), storagePaths: [] });
    expect(hardware.npus.map((npu) => [npu.vendor, npu.name, npu.source])).toEqual([
      ['qualcomm', 'Qualcomm Hexagon NPU', 'fastrpc'],
    ]);
  });
});

describe('probeHardware on this machine', () => {
  it('produces a valid report with the real CPU and memory, well under two seconds', async () => {
    const started = performance.now();
    const { hardware, probes } = await probeHardware(systemScanEnv());
    const elapsedMs = performance.now() - started;
    expect(hardwareReportSchema.safeParse(hardware).success).toBe(true);
    expect(hardware.cpu.logicalCores).toBe(cpus().length);
    expect(hardware.cpu.model).toBe(cpus()[0]?.model.trim());
    expect(hardware.cpu.architecture).toBe(process.arch);
    expect(hardware.memory.totalBytes).toBe(totalmem());
    expect(hardware.memory.availableBytes).toBeGreaterThan(0);
    expect(hardware.storage.length).toBeGreaterThanOrEqual(1);
    expect(hardware.storage[0]?.totalBytes).toBeGreaterThan(0);
    expect(probes).toHaveLength(8);
    expect(probe(probes, 'cpu').status).toBe('ok');
    expect(elapsedMs).toBeLessThan(2_000);
  });
});
