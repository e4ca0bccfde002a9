import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cpuLoadBetween,
  cpuLoadFromLoadAverage,
  defaultRouteInterface,
  ewma,
  memoryPressureFromMeminfo,
  parseLinkSpeedMbps,
  parseNmcliDeviceShow,
  parseNvidiaSmiUtilization,
  parsePressureSomeAvg10,
  parseProcStat,
  parseRocmSmiUtilization,
  parseUpowerDisplayDevice,
} from './cost-parsers.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/cost/${name}`, import.meta.url), 'utf8');

describe('CPU load', () => {
  it('is the busy share of jiffies between two /proc/stat readings', () => {
    const a = parseProcStat(fixture('proc-stat-a.txt'));
    const b = parseProcStat(fixture('proc-stat-b.txt'));
    expect(a).not.toBeNull();
    // user +55, system +11, idle +132 between the recordings: 66 busy of 198
    expect(cpuLoadBetween(a!, b!)).toBeCloseTo(66 / 198, 6);
    expect(cpuLoadBetween(b!, b!)).toBeNull();
  });

  it('falls back to the load average per core, capped at 1', () => {
    expect(cpuLoadFromLoadAverage(1, 4)).toBe(0.25);
    expect(cpuLoadFromLoadAverage(9, 4)).toBe(1);
    expect(cpuLoadFromLoadAverage(1, 0)).toBeNull();
  });

  it('rejects text without a cpu line', () => {
    expect(parseProcStat('intr 1 2 3\n')).toBeNull();
  });
});

describe('memory pressure', () => {
  it('is the share of memory not available', () => {
    expect(memoryPressureFromMeminfo(fixture('meminfo-vm.txt'))).toBeCloseTo(1 - 23926204 / 24684096, 6);
    expect(memoryPressureFromMeminfo('MemTotal: 100 kB\nMemFree: 5 kB\n')).toBeNull();
  });

  it('reads some avg10 of /proc/pressure/memory', () => {
    expect(parsePressureSomeAvg10(fixture('pressure-memory-idle.txt'))).toBe(0);
    expect(parsePressureSomeAvg10(fixture('pressure-memory-busy.txt'))).toBeCloseTo(0.125, 6);
    expect(parsePressureSomeAvg10('garbage')).toBeNull();
  });
});

describe('GPU load', () => {
  it('takes the busiest NVIDIA GPU and sums VRAM', () => {
    expect(parseNvidiaSmiUtilization(fixture('nvidia-smi-two-gpus.csv'))).toEqual({
      load: 0.37,
      vramUsedBytes: (2048 + 512) * 1024 * 1024,
      vramTotalBytes: (8192 + 24576) * 1024 * 1024,
    });
  });

  it('has no load when nvidia-smi reports none', () => {
    expect(parseNvidiaSmiUtilization(fixture('nvidia-smi-no-utilization.csv'))).toBeNull();
  });

  it('reads rocm-smi JSON', () => {
    expect(parseRocmSmiUtilization(fixture('rocm-smi-use-two-cards.json.txt'))).toEqual({
      load: 0.64,
      vramUsedBytes: 12876513280 + 48873472,
      vramTotalBytes: 25753026560 + 536870912,
    });
    expect(parseRocmSmiUtilization('not json')).toBeNull();
  });
});

describe('network', () => {
  it('finds the connected wifi device and its guessed metering', () => {
    expect(parseNmcliDeviceShow(fixture('nmcli-wifi-metered.txt'))).toEqual({
      device: 'wlp0s20f3',
      type: 'wifi',
      metered: true,
    });
  });

  it('skips loopback and bridges', () => {
    expect(parseNmcliDeviceShow(fixture('nmcli-ethernet.txt'))).toEqual({
      device: 'enp5s0',
      type: 'ethernet',
      metered: false,
    });
  });

  it('counts a cellular modem of unknown metering as metered', () => {
    expect(parseNmcliDeviceShow(fixture('nmcli-modem-unknown.txt'))).toEqual({
      device: 'cdc-wdm0',
      type: 'cellular',
      metered: true,
    });
  });

  it('reads the default route interface and link speed', () => {
    expect(defaultRouteInterface(fixture('proc-net-route-vm.txt'))).toBe('eth0');
    expect(parseLinkSpeedMbps(fixture('link-speed-unknown.txt'))).toBeNull();
    expect(parseLinkSpeedMbps('1000\n')).toBe(1000);
  });
});

describe('upower', () => {
  it('reads a discharging laptop', () => {
    expect(parseUpowerDisplayDevice(fixture('upower-discharging.txt'))).toEqual({
      source: 'battery',
      hasBattery: true,
      batteryPercent: 75,
      charging: false,
      timeRemainingMinutes: 234,
    });
  });

  it('reads a full battery on mains', () => {
    expect(parseUpowerDisplayDevice(fixture('upower-fully-charged.txt'))).toMatchObject({
      source: 'ac',
      batteryPercent: 100,
    });
  });

  it('knows no battery on a desktop', () => {
    expect(parseUpowerDisplayDevice(fixture('upower-no-battery.txt'))).toBeNull();
  });
});

describe('ewma', () => {
  it('moves alpha of the way to each sample and keeps the old value without one', () => {
    expect(ewma(null, 0.5, 0.3)).toBe(0.5);
    expect(ewma(0.5, 1, 0.5)).toBe(0.75);
    expect(ewma(0.5, null, 0.5)).toBe(0.5);
  });
});
