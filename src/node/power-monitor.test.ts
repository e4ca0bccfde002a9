import type { Dirent } from 'node:fs';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PowerInfo } from '../core/index.js';
import { ManualClock, silentLogger } from '../core/index.js';
import type { CommandResult, ScanEnv } from '../scanner/index.js';
import type { PowerSource } from './power-monitor.js';
import { PowerMonitor, systemPowerSource } from './power-monitor.js';

/** A machine seen through recorded files and command outputs. */
function fakeEnv(
  platform: NodeJS.Platform,
  files: Record<string, string>,
  commands: Record<string, CommandResult> = {},
): ScanEnv {
  return {
    platform,
    arch: 'x64',
    hostname: 'test',
    homeDir: '/home/test',
    env: {},
    run: (command, args) =>
      Promise.resolve(commands[[command, ...args].join(' ')] ?? { status: 'missing', command }),
    readText: (path) => Promise.resolve(files[path] ?? null),
    list: (path) => {
      const prefix = `${path}/`;
      const names = [
        ...new Set(
          Object.keys(files)
            .filter((f) => f.startsWith(prefix))
            .map((f) => f.slice(prefix.length).split('/')[0] ?? ''),
        ),
      ];
      return Promise.resolve(names.length === 0 ? null : names.map((name) => ({ name }) as Dirent));
    },
    statOf: () => Promise.resolve(null),
  };
}

const SYS = '/sys/class/power_supply';

const laptop = (adapterOnline: '0' | '1', status: string): Record<string, string> => ({
  [`${SYS}/AC/type`]: 'Mains\n',
  [`${SYS}/AC/online`]: `${adapterOnline}\n`,
  [`${SYS}/BAT0/type`]: 'Battery\n',
  [`${SYS}/BAT0/status`]: `${status}\n`,
  [`${SYS}/BAT0/capacity`]: '57\n',
  [`${SYS}/BAT0/present`]: '1\n',
});

const info = (source: PowerInfo['source']): PowerInfo => ({
  source,
  hasBattery: source !== 'unknown',
  batteryPercent: null,
  charging: null,
  timeRemainingMinutes: null,
});

describe('reading the power source', () => {
  it('tells a Linux laptop on battery from one on its adapter', async () => {
    const onBattery = await systemPowerSource(fakeEnv('linux', laptop('0', 'Discharging')))({});
    expect(onBattery).toMatchObject({ source: 'battery', hasBattery: true, batteryPercent: 57 });
    const plugged = await systemPowerSource(fakeEnv('linux', laptop('1', 'Charging')))({});
    expect(plugged).toMatchObject({ source: 'ac', charging: true });
  });

  it('asks upower when sysfs lists no power supply, and stops asking once it knows nothing', async () => {
    const upowerLine = 'upower -i /org/freedesktop/UPower/devices/DisplayDevice';
    const calls: string[] = [];
    const withUpower = (stdout: string): ScanEnv => {
      const env = fakeEnv('linux', {}, { [upowerLine]: { status: 'ok', stdout, stderr: '' } });
      return {
        ...env,
        run: (command, args, o) => {
          calls.push([command, ...args].join(' '));
          return env.run(command, args, o);
        },
      };
    };
    const discharging = readFileSync(
      new URL('../../test/fixtures/cost/upower-discharging.txt', import.meta.url),
      'utf8',
    );
    expect(await systemPowerSource(withUpower(discharging))({})).toMatchObject({
      source: 'battery',
      batteryPercent: 75,
      via: 'upower',
    });
    const desktop = systemPowerSource(
      withUpower(
        readFileSync(new URL('../../test/fixtures/cost/upower-no-battery.txt', import.meta.url), 'utf8'),
      ),
    );
    calls.length = 0;
    expect(await desktop({})).toBeNull();
    expect(await desktop({})).toBeNull();
    expect(calls).toEqual([upowerLine]);
  });

  it('reads pmset on macOS', async () => {
    const source = systemPowerSource(
      fakeEnv(
        'darwin',
        {},
        {
          'pmset -g batt': {
            status: 'ok',
            stdout:
              "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=4653155)\t57%; discharging; 4:12 remaining present: true\n",
            stderr: '',
          },
        },
      ),
    );
    expect(await source({})).toMatchObject({ source: 'battery', timeRemainingMinutes: 252 });
  });

  it('knows nothing where there is no power supply folder or no pmset', async () => {
    expect(await systemPowerSource(fakeEnv('linux', {}))({})).toBeNull();
    expect(await systemPowerSource(fakeEnv('darwin', {}))({})).toBeNull();
    expect(await systemPowerSource(fakeEnv('win32', {}))({})).toBeNull();
  });
});

describe('the power monitor', () => {
  it('answers on battery, plugged in or unknown from its last reading', async () => {
    let next: PowerInfo | null = info('battery');
    const source: PowerSource = () => Promise.resolve(next);
    const clock = new ManualClock(5_000);
    const monitor = new PowerMonitor({ clock, logger: silentLogger(), source });
    expect(monitor.onBattery()).toBeNull();
    await monitor.start();
    expect(monitor.onBattery()).toBe(true);
    expect(monitor.power()?.readAtMs).toBe(5_000);
    next = info('ac');
    await monitor.refresh();
    expect(monitor.onBattery()).toBe(false);
    next = info('unknown');
    await monitor.refresh();
    expect(monitor.onBattery()).toBeNull();
    next = null;
    await monitor.refresh();
    expect(monitor.onBattery()).toBeNull();
    await monitor.stop();
  });

  it('keeps its last reading when a reading fails', async () => {
    let fail = false;
    const source: PowerSource = () =>
      fail ? Promise.reject(new Error('pmset crashed')) : Promise.resolve(info('battery'));
    const monitor = new PowerMonitor({ clock: new ManualClock(0), logger: silentLogger(), source });
    await monitor.start();
    fail = true;
    await expect(monitor.refresh()).resolves.toMatchObject({ source: 'battery' });
    expect(monitor.onBattery()).toBe(true);
    await monitor.stop();
  });

  it('reads again on its interval until stopped', async () => {
    let reads = 0;
    const source: PowerSource = () => {
      reads++;
      return Promise.resolve(info(reads >= 3 ? 'ac' : 'battery'));
    };
    const monitor = new PowerMonitor(
      { clock: new ManualClock(0), logger: silentLogger(), source },
      { refreshIntervalMs: 10 },
    );
    await monitor.start();
    expect(monitor.onBattery()).toBe(true);
    for (let i = 0; i < 200 && monitor.onBattery() !== false; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(monitor.onBattery()).toBe(false);
    await monitor.stop();
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toBe(after);
  });
});
