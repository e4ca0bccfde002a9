/**
 * Whether this device runs on battery, for `limits.off_battery_only` and the cost model: read at
 * start and every 30 s after (the timer does not keep the process alive) with the scanner's
 * parsers — Linux `/sys/class/power_supply` (then `upower` when sysfs cannot tell), macOS
 * `pmset -g batt`. Answers from memory, so the check on each mesh
 * request costs nothing. Unknown (no reading yet, a desktop without a power supply listed, another
 * platform) is `null`: the node does not refuse work on a guess.
 */
import type { Clock, Logger, PowerInfo, Startable } from '../core/index.js';
import { toAtmosphereError } from '../core/index.js';
import type { PowerSupplyEntry, ScanEnv } from '../scanner/index.js';
import { parseLinuxPowerSupplies, parsePmsetBatt, systemScanEnv } from '../scanner/index.js';
import { parseUpowerDisplayDevice } from './cost/cost-parsers.js';

export const POWER_REFRESH_INTERVAL_MS = 30_000;

/** A power reading and the tool it came from (`sysfs`, `upower`, `pmset`), when known. */
export type PowerReading = PowerInfo & { readonly via?: string };

/** Reads the power state now; null when it cannot be told. */
export type PowerSource = (options: { signal?: AbortSignal }) => Promise<PowerReading | null>;

export interface PowerMonitorComponents {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where readings come from; default this machine (`systemPowerSource()`). */
  readonly source?: PowerSource;
}

export interface PowerMonitorInit {
  /** Time between readings. Default 30 s. */
  readonly refreshIntervalMs?: number;
}

const POWER_SUPPLY_DIR = '/sys/class/power_supply';
/** The attribute files `parseLinuxPowerSupplies` looks at. */
const POWER_SUPPLY_FILES = ['type', 'scope', 'status', 'capacity', 'online', 'present'] as const;

/** The power state of the machine this runs on, through a scanner `ScanEnv`. */
export function systemPowerSource(env: ScanEnv = systemScanEnv()): PowerSource {
  // upower is asked only while it helps: a machine where it is missing or knows no battery (a
  // desktop, a VM) would otherwise start a process on every reading for nothing.
  let upowerHelps = true;
  return async ({ signal }) => {
    if (env.platform === 'linux') {
      const upower = async (): Promise<PowerReading | null> => {
        if (!upowerHelps) return null;
        const result = await env.run(
          'upower',
          ['-i', '/org/freedesktop/UPower/devices/DisplayDevice'],
          signal ? { signal } : {},
        );
        const info = result.status === 'ok' ? parseUpowerDisplayDevice(result.stdout) : null;
        if (info === null && !signal?.aborted) upowerHelps = false;
        return info === null ? null : { ...info, via: 'upower' };
      };
      const names = (await env.list(POWER_SUPPLY_DIR))?.map((d) => d.name) ?? null;
      if (names === null || names.length === 0) return upower();
      const entries: PowerSupplyEntry[] = await Promise.all(
        names.map(async (name) => {
          const pairs = await Promise.all(
            POWER_SUPPLY_FILES.map(async (file) => {
              const text = await env.readText(`${POWER_SUPPLY_DIR}/${name}/${file}`, {
                maxBytes: 256,
                ...(signal ? { signal } : {}),
              });
              return [file, text?.trim()] as const;
            }),
          );
          return { name, attributes: Object.fromEntries(pairs.filter((p) => p[1] !== undefined)) };
        }),
      );
      const info = parseLinuxPowerSupplies(entries);
      return info.source === 'unknown'
        ? ((await upower()) ?? { ...info, via: 'sysfs' })
        : { ...info, via: 'sysfs' };
    }
    if (env.platform === 'darwin') {
      const result = await env.run('pmset', ['-g', 'batt'], signal ? { signal } : {});
      const info = result.status === 'ok' ? parsePmsetBatt(result.stdout) : null;
      return info === null ? null : { ...info, via: 'pmset' };
    }
    return null;
  };
}

export class PowerMonitor implements Startable {
  private readonly c: PowerMonitorComponents;
  private readonly init: PowerMonitorInit;
  private readonly log: Logger;
  private readonly source: PowerSource;
  private reading: PowerReading | null = null;
  private readAtMs: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private controller = new AbortController();
  private refreshing: Promise<PowerInfo | null> | null = null;

  constructor(components: PowerMonitorComponents, init: PowerMonitorInit = {}) {
    this.c = components;
    this.init = init;
    this.log = components.logger;
    this.source = components.source ?? systemPowerSource();
  }

  /** True on battery, false on mains, null when unknown. */
  onBattery(): boolean | null {
    const source = this.reading?.source;
    return source === 'battery' ? true : source === 'ac' ? false : null;
  }

  /** The last reading and when it was taken (null before the first). */
  power(): { readonly info: PowerReading; readonly readAtMs: number } | null {
    return this.reading === null || this.readAtMs === null
      ? null
      : { info: this.reading, readAtMs: this.readAtMs };
  }

  /** Reads now (joining a reading under way). A failed reading keeps the last one and is logged. */
  refresh(options: { signal?: AbortSignal } = {}): Promise<PowerInfo | null> {
    if (this.refreshing) return this.refreshing;
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.controller.signal])
      : this.controller.signal;
    const before = this.onBattery();
    this.refreshing = this.source({ signal })
      .then((info) => {
        this.reading = info;
        this.readAtMs = this.c.clock.now();
        const now = this.onBattery();
        if (now !== before) this.log.info({ onBattery: now }, 'power source changed');
        return info;
      })
      .catch((err: unknown) => {
        if (!signal.aborted)
          this.log.warn({ err: toAtmosphereError(err).message }, 'could not read the power source');
        return this.reading;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.timer !== null) return;
    this.controller = new AbortController();
    this.timer = setInterval(() => {
      void this.refresh();
    }, this.init.refreshIntervalMs ?? POWER_REFRESH_INTERVAL_MS);
    this.timer.unref();
    await this.refresh(options);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.controller.abort();
    await this.refreshing;
  }
}
