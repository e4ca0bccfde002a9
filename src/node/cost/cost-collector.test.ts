import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '../../core/index.js';
import { fakeScanEnv, ok } from '../../../test/fixtures/scanner/hardware/fake-scan-env.js';
import { CostCollector, NOT_MEASURED, PINNED_SOURCE } from './cost-collector.js';
import { NMCLI_ARGS, NVIDIA_SMI_LOAD_ARGS } from './cost-parsers.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/cost/${name}`, import.meta.url), 'utf8');

function linuxLaptop(stat: string) {
  return fakeScanEnv({
    platform: 'linux',
    arch: 'x64',
    commands: {
      [`nvidia-smi ${NVIDIA_SMI_LOAD_ARGS.join(' ')}`]: ok(fixture('nvidia-smi-two-gpus.csv')),
      [`nmcli ${NMCLI_ARGS.join(' ')}`]: ok(fixture('nmcli-wifi-metered.txt')),
    },
    files: {
      '/proc/stat': stat,
      '/proc/meminfo': fixture('meminfo-vm.txt'),
      '/proc/pressure/memory': fixture('pressure-memory-busy.txt'),
      '/sys/class/net/wlp0s20f3/speed': '-1\n',
    },
  });
}

describe('CostCollector', () => {
  it('measures every factor from the machine and names each source', async () => {
    let stat = fixture('proc-stat-a.txt');
    const env = linuxLaptop(stat);
    const collector = new CostCollector(
      {
        clock: new ManualClock(1000),
        logger: silentLogger(),
        env: {
          ...env,
          readText: (path, o) => (path === '/proc/stat' ? Promise.resolve(stat) : env.readText(path, o)),
        },
        power: {
          refresh: () =>
            Promise.resolve({
              source: 'battery' as const,
              hasBattery: true,
              batteryPercent: 57,
              charging: false,
              timeRemainingMinutes: 100,
              via: 'sysfs',
            }),
        },
        peerRtts: () => [4, 2, 9],
        loadAverage: () => ({ oneMinute: 1, cores: 4 }),
      },
      { smoothing: 0.5 },
    );
    const first = await collector.sample();
    // no previous /proc/stat reading yet: the load average per core
    expect(first.factors.cpuLoad).toBe(0.25);
    expect(first.sources.cpuLoad).toBe('os.loadavg');
    stat = fixture('proc-stat-b.txt');
    const second = await collector.sample();
    expect(second.factors).toEqual({
      onBattery: true,
      batteryPercent: 57,
      // EWMA of 0.25 and 66/198
      cpuLoad: Math.round((0.25 + 0.5 * (66 / 198 - 0.25)) * 1000) / 1000,
      gpuLoad: 0.37,
      // PSI some avg10 12.5 % is above the 3 % of memory in use
      memoryPressure: 0.125,
      bandwidthMbps: null,
      latencyMs: 4,
      isMetered: true,
    });
    expect(second.sources).toMatchObject({
      onBattery: 'sysfs',
      cpuLoad: '/proc/stat',
      gpuLoad: 'nvidia-smi',
      memoryPressure: '/proc/pressure/memory',
      isMetered: 'nmcli',
      latencyMs: 'mesh ping',
      bandwidthMbps: NOT_MEASURED,
    });
    expect(second.details).toEqual({
      networkType: 'wifi',
      gpuVramUsedBytes: 2560 * 1024 * 1024,
      gpuVramTotalBytes: 32768 * 1024 * 1024,
    });
    expect(second.pinned).toEqual([]);
  });

  it('takes bandwidth from observed transfers over the link speed, and a pin over both', async () => {
    const env = fakeScanEnv({
      platform: 'linux',
      arch: 'x64',
      files: {
        '/proc/net/route':
          'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\n',
        '/sys/class/net/eth0/speed': '1000\n',
      },
    });
    let observed: number | null = null;
    const pins: { bandwidth_mbps?: number } = {};
    const collector = new CostCollector(
      { clock: new ManualClock(0), logger: silentLogger(), env, observedMbps: () => observed },
      { pins: () => pins },
    );
    const link = await collector.sample();
    expect([link.factors.bandwidthMbps, link.sources.bandwidthMbps]).toEqual([1000, 'sysfs link speed']);
    observed = 87.5;
    const seen = await collector.sample();
    expect([seen.factors.bandwidthMbps, seen.sources.bandwidthMbps]).toEqual([87.5, 'observed transfers']);
    pins.bandwidth_mbps = 20;
    const pin = await collector.sample();
    expect([pin.factors.bandwidthMbps, pin.sources.bandwidthMbps]).toEqual([20, PINNED_SOURCE]);
  });

  it('lets config pins override measurements and marks them pinned', async () => {
    const collector = new CostCollector(
      { clock: new ManualClock(0), logger: silentLogger(), env: linuxLaptop(fixture('proc-stat-a.txt')) },
      { pins: () => ({ on_battery: true, battery_percent: 15, is_metered: false }) },
    );
    const s = await collector.sample();
    expect(s.factors).toMatchObject({ onBattery: true, batteryPercent: 15, isMetered: false });
    expect(s.pinned).toEqual(['onBattery', 'batteryPercent', 'isMetered']);
    expect(s.sources.batteryPercent).toBe(PINNED_SOURCE);
  });

  it('stops running a tool it found missing and leaves its factor unmeasured', async () => {
    const env = fakeScanEnv({ platform: 'linux', arch: 'x64', files: {} });
    const collector = new CostCollector({
      clock: new ManualClock(0),
      logger: silentLogger(),
      env,
      loadAverage: () => ({ oneMinute: 0, cores: 2 }),
    });
    await collector.sample();
    await collector.sample();
    expect(env.calls.filter((c) => c.startsWith('nvidia-smi'))).toHaveLength(1);
    expect(env.calls.filter((c) => c.startsWith('rocm-smi'))).toHaveLength(1);
    const s = collector.latest();
    expect(s?.factors.gpuLoad).toBeNull();
    expect(s?.sources.gpuLoad).toBe(NOT_MEASURED);
    expect(s?.details.networkType).toBe('unknown');
  });
});
