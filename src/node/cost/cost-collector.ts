/**
 * Measures this node's cost factors: power (the node's `PowerMonitor`: sysfs, upower, pmset), CPU
 * load (`/proc/stat` deltas, else the load average), GPU load and VRAM (`nvidia-smi`, else
 * `rocm-smi`), memory pressure (`/proc/meminfo`, raised by `/proc/pressure/memory`; macOS
 * `sysctl kern.memorystatus_level`), network type and metering (`nmcli`), observed transfer rate of
 * invoke replies (else the sysfs link speed) and latency to peers (the mesh's ping RTTs). Loads and latency are smoothed with an EWMA. A factor
 * pinned in config (`cost.pin`) replaces the measurement and is marked pinned. A tool found
 * missing once is not run again. Each sample is cheap (see `bench/suites/cost.ts`).
 */
import { cpus, loadavg } from 'node:os';
import type { CostFactorName, CostFactors, Logger, PowerInfo, ResolvedConfig } from '../../core/index.js';
import { COST_FACTOR_NAMES, UNKNOWN_COST_FACTORS } from '../../core/index.js';
import type { ScanEnv } from '../../scanner/index.js';
import { systemScanEnv } from '../../scanner/index.js';
import type { CpuTimes, GpuLoad, NetworkType } from './cost-parsers.js';
import {
  NMCLI_ARGS,
  NVIDIA_SMI_LOAD_ARGS,
  ROCM_SMI_LOAD_ARGS,
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
} from './cost-parsers.js';

export const PINNED_SOURCE = 'pinned in config';
export const NOT_MEASURED = 'not measured';

/** One measurement of every factor. */
export interface CostSample {
  readonly factors: CostFactors;
  /** Where each factor came from: a tool, `pinned in config` or `not measured`. */
  readonly sources: Readonly<Record<CostFactorName, string>>;
  readonly pinned: readonly CostFactorName[];
  readonly details: {
    readonly networkType: NetworkType;
    readonly gpuVramUsedBytes: number | null;
    readonly gpuVramTotalBytes: number | null;
  };
  readonly sampledAtMs: number;
}

/** The power reading (the node passes its `PowerMonitor`). */
export interface PowerReader {
  refresh(options?: { signal?: AbortSignal }): Promise<(PowerInfo & { readonly via?: string }) | null>;
}

export interface CostCollectorComponents {
  readonly clock: { now(): number };
  readonly logger: Logger;
  /** Files and commands; default this machine. */
  readonly env?: ScanEnv;
  readonly power?: PowerReader;
  /** Round trips to connected peers, in ms (the mesh's pings). */
  readonly peerRtts?: () => readonly number[];
  /** Smoothed transfer rate seen on the mesh's invoke replies, in Mbps (`MeshService.observedThroughputMbps`). */
  readonly observedMbps?: () => number | null;
  /** 1-minute load average and core count; default `os`. */
  readonly loadAverage?: () => { readonly oneMinute: number; readonly cores: number };
}

export interface CostCollectorInit {
  /** The owner's pins, read on every sample (live config). Default none. */
  readonly pins?: () => ResolvedConfig['cost']['pin'];
  /** Weight of a new sample in the moving averages. Default 0.5. */
  readonly smoothing?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const COMMAND_TIMEOUT_MS = 2_000;

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export class CostCollector {
  private readonly c: CostCollectorComponents;
  private readonly init: CostCollectorInit;
  private readonly env: ScanEnv;
  private readonly alpha: number;
  /** Tools found missing: not run again. */
  private readonly missing = new Set<string>();
  private lastCpu: CpuTimes | null = null;
  private smoothed: {
    cpu: number | null;
    gpu: number | null;
    memory: number | null;
    latency: number | null;
  } = {
    cpu: null,
    gpu: null,
    memory: null,
    latency: null,
  };
  private last: CostSample | null = null;

  constructor(components: CostCollectorComponents, init: CostCollectorInit = {}) {
    this.c = components;
    this.init = init;
    this.env = components.env ?? systemScanEnv();
    this.alpha = init.smoothing ?? 0.5;
  }

  /** The last sample, or null before the first. */
  latest(): CostSample | null {
    return this.last;
  }

  /** Measures every factor now; a failing source leaves its factor unknown. */
  async sample(options: { signal?: AbortSignal } = {}): Promise<CostSample> {
    const factors: Mutable<CostFactors> = { ...UNKNOWN_COST_FACTORS };
    const sources = Object.fromEntries(COST_FACTOR_NAMES.map((n) => [n, NOT_MEASURED])) as Record<
      CostFactorName,
      string
    >;
    const [power, cpu, gpu, memory, network] = await Promise.all([
      this.readPower(options),
      this.readCpu(),
      this.readGpu(options),
      this.readMemory(options),
      this.readNetwork(options),
    ]);
    if (power !== null && power.info.source !== 'unknown') {
      factors.onBattery = power.info.source === 'battery';
      sources.onBattery = power.via;
      if (power.info.batteryPercent !== null) {
        factors.batteryPercent = power.info.batteryPercent;
        sources.batteryPercent = power.via;
      }
    }
    this.smoothed.cpu = ewma(this.smoothed.cpu, cpu?.load ?? null, this.alpha);
    if (cpu !== null && this.smoothed.cpu !== null) {
      factors.cpuLoad = round3(this.smoothed.cpu);
      sources.cpuLoad = cpu.via;
    }
    this.smoothed.gpu = ewma(this.smoothed.gpu, gpu?.load.load ?? null, this.alpha);
    if (gpu !== null && this.smoothed.gpu !== null) {
      factors.gpuLoad = round3(this.smoothed.gpu);
      sources.gpuLoad = gpu.via;
    }
    this.smoothed.memory = ewma(this.smoothed.memory, memory?.pressure ?? null, this.alpha);
    if (memory !== null && this.smoothed.memory !== null) {
      factors.memoryPressure = round3(this.smoothed.memory);
      sources.memoryPressure = memory.via;
    }
    if (network.metered !== null) {
      factors.isMetered = network.metered;
      sources.isMetered = 'nmcli';
    }
    const observedMbps = this.c.observedMbps?.() ?? null;
    if (observedMbps !== null) {
      factors.bandwidthMbps = observedMbps;
      sources.bandwidthMbps = 'observed transfers';
    } else if (network.linkMbps !== null) {
      factors.bandwidthMbps = network.linkMbps;
      sources.bandwidthMbps = 'sysfs link speed';
    }
    const rtt = median(this.c.peerRtts?.() ?? []);
    this.smoothed.latency = ewma(this.smoothed.latency, rtt, this.alpha);
    if (rtt !== null && this.smoothed.latency !== null) {
      factors.latencyMs = round3(this.smoothed.latency);
      sources.latencyMs = 'mesh ping';
    }

    const pinned: CostFactorName[] = [];
    const pins = this.init.pins?.() ?? {};
    const pin = <K extends CostFactorName>(name: K, value: CostFactors[K] | undefined): void => {
      if (value === undefined) return;
      factors[name] = value;
      sources[name] = PINNED_SOURCE;
      pinned.push(name);
    };
    pin('onBattery', pins.on_battery);
    pin('batteryPercent', pins.battery_percent);
    pin('cpuLoad', pins.cpu_load);
    pin('gpuLoad', pins.gpu_load);
    pin('memoryPressure', pins.memory_pressure);
    pin('bandwidthMbps', pins.bandwidth_mbps);
    pin('latencyMs', pins.latency_ms);
    pin('isMetered', pins.is_metered);

    this.last = {
      factors,
      sources,
      pinned,
      details: {
        networkType: network.type,
        gpuVramUsedBytes: gpu?.load.vramUsedBytes ?? null,
        gpuVramTotalBytes: gpu?.load.vramTotalBytes ?? null,
      },
      sampledAtMs: this.c.clock.now(),
    };
    return this.last;
  }

  private async run(command: string, args: readonly string[], signal?: AbortSignal): Promise<string | null> {
    if (this.missing.has(command)) return null;
    const result = await this.env.run(command, args, {
      timeoutMs: COMMAND_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    if (result.status === 'missing') {
      this.missing.add(command);
      this.c.logger.debug({ command }, 'not installed: its cost factor is not measured');
      return null;
    }
    return result.status === 'ok' ? result.stdout : null;
  }

  private async readPower(options: {
    signal?: AbortSignal;
  }): Promise<{ info: PowerInfo; via: string } | null> {
    const reading = await this.c.power?.refresh(options);
    if (reading === null || reading === undefined) return null;
    return {
      info: reading,
      via: reading.via ?? (this.env.platform === 'darwin' ? 'pmset' : 'sysfs'),
    };
  }

  private async readCpu(): Promise<{ load: number; via: string } | null> {
    if (this.env.platform === 'linux') {
      const text = await this.env.readText('/proc/stat', { maxBytes: 4096 });
      const now = text === null ? null : parseProcStat(text);
      if (now !== null) {
        const before = this.lastCpu;
        this.lastCpu = now;
        const load = before === null ? null : cpuLoadBetween(before, now);
        if (load !== null) return { load, via: '/proc/stat' };
        if (before !== null) return null;
      }
    }
    const { oneMinute, cores } = this.c.loadAverage?.() ?? {
      oneMinute: loadavg()[0] ?? 0,
      cores: cpus().length,
    };
    const load = cpuLoadFromLoadAverage(oneMinute, cores);
    return load === null ? null : { load, via: 'os.loadavg' };
  }

  private async readGpu(options: { signal?: AbortSignal }): Promise<{ load: GpuLoad; via: string } | null> {
    if (this.env.platform !== 'linux' && this.env.platform !== 'win32') return null;
    const nvidia = await this.run('nvidia-smi', NVIDIA_SMI_LOAD_ARGS, options.signal);
    const fromNvidia = nvidia === null ? null : parseNvidiaSmiUtilization(nvidia);
    if (fromNvidia !== null) return { load: fromNvidia, via: 'nvidia-smi' };
    if (this.env.platform !== 'linux') return null;
    const rocm = await this.run('rocm-smi', ROCM_SMI_LOAD_ARGS, options.signal);
    const fromRocm = rocm === null ? null : parseRocmSmiUtilization(rocm);
    return fromRocm === null ? null : { load: fromRocm, via: 'rocm-smi' };
  }

  private async readMemory(options: {
    signal?: AbortSignal;
  }): Promise<{ pressure: number; via: string } | null> {
    if (this.env.platform === 'linux') {
      const [meminfo, psi] = await Promise.all([
        this.env.readText('/proc/meminfo', { maxBytes: 8192 }),
        this.env.readText('/proc/pressure/memory', { maxBytes: 512 }),
      ]);
      const used = meminfo === null ? null : memoryPressureFromMeminfo(meminfo);
      const stalled = psi === null ? null : parsePressureSomeAvg10(psi);
      if (stalled !== null && (used === null || stalled > used))
        return { pressure: stalled, via: '/proc/pressure/memory' };
      return used === null ? null : { pressure: used, via: '/proc/meminfo' };
    }
    if (this.env.platform === 'darwin') {
      const level = await this.run('sysctl', ['-n', 'kern.memorystatus_level'], options.signal);
      const free = level === null ? Number.NaN : Number(level.trim());
      return Number.isFinite(free) && free >= 0 && free <= 100
        ? { pressure: 1 - free / 100, via: 'sysctl' }
        : null;
    }
    return null;
  }

  private async readNetwork(options: {
    signal?: AbortSignal;
  }): Promise<{ type: NetworkType; metered: boolean | null; linkMbps: number | null }> {
    if (this.env.platform !== 'linux') return { type: 'unknown', metered: null, linkMbps: null };
    const nm = await this.run('nmcli', NMCLI_ARGS, options.signal);
    const state = nm === null ? null : parseNmcliDeviceShow(nm);
    let device = state?.device ?? null;
    if (device === null) {
      const routes = await this.env.readText('/proc/net/route', { maxBytes: 16_384 });
      device = routes === null ? null : defaultRouteInterface(routes);
    }
    let linkMbps: number | null = null;
    let type: NetworkType = state?.type ?? 'unknown';
    if (device !== null && /^[\w.:-]+$/.test(device)) {
      const speed = await this.env.readText(`/sys/class/net/${device}/speed`, { maxBytes: 32 });
      linkMbps = speed === null ? null : parseLinkSpeedMbps(speed);
      if (state === null) {
        const wireless = await this.env.statOf(`/sys/class/net/${device}/wireless`);
        type = wireless?.isDirectory ? 'wifi' : linkMbps !== null ? 'ethernet' : 'other';
      }
    }
    return { type, metered: state?.metered ?? null, linkMbps };
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
