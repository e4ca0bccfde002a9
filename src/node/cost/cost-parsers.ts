/**
 * Pure parsers for what the cost collector reads: `/proc/stat`, `/proc/meminfo`,
 * `/proc/pressure/memory`, `nvidia-smi` and `rocm-smi` utilisation, `nmcli` device state,
 * `upower -i`, `/proc/net/route`. Each takes the tool's text and returns numbers or null; none
 * throws on odd input. Tested on recorded outputs in `test/fixtures/cost/`.
 */
import type { PowerInfo } from '../../core/index.js';

// ---- CPU ---------------------------------------------------------------------------------------

/** The aggregate `cpu` line of `/proc/stat`: total and idle jiffies. */
export interface CpuTimes {
  readonly total: number;
  /** idle + iowait. */
  readonly idle: number;
}

export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (line === undefined) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return null;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

/** CPU load in [0, 1] between two `/proc/stat` readings; null when no time passed. */
export function cpuLoadBetween(before: CpuTimes, after: CpuTimes): number | null {
  const total = after.total - before.total;
  if (total <= 0) return null;
  const busy = total - (after.idle - before.idle);
  return clamp01(busy / total);
}

/** `os.loadavg()[0] / cores`, capped at 1: the fallback where `/proc/stat` is missing. */
export function cpuLoadFromLoadAverage(oneMinute: number, cores: number): number | null {
  if (!Number.isFinite(oneMinute) || cores <= 0) return null;
  return clamp01(oneMinute / cores);
}

// ---- memory ------------------------------------------------------------------------------------

/**
 * Memory pressure from `/proc/meminfo`: the share of memory not available (1 − MemAvailable /
 * MemTotal). Null without MemAvailable (kernels before 3.14).
 */
export function memoryPressureFromMeminfo(text: string): number | null {
  const kb = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  if (total === null || available === null || total <= 0) return null;
  return clamp01(1 - available / total);
}

/** `some avg10` of `/proc/pressure/memory` (share of the last 10 s some task stalled on memory), 0–1. */
export function parsePressureSomeAvg10(text: string): number | null {
  const m = /^some\s+avg10=([\d.]+)/m.exec(text);
  if (!m) return null;
  const pct = Number(m[1]);
  return Number.isFinite(pct) ? clamp01(pct / 100) : null;
}

// ---- GPU ---------------------------------------------------------------------------------------

export interface GpuLoad {
  /** 0–1, the busiest GPU. */
  readonly load: number;
  readonly vramUsedBytes: number | null;
  readonly vramTotalBytes: number | null;
}

/** Arguments for `nvidia-smi` that `parseNvidiaSmiUtilization` reads. */
export const NVIDIA_SMI_LOAD_ARGS = [
  '--query-gpu=utilization.gpu,memory.used,memory.total',
  '--format=csv,noheader,nounits',
] as const;

const MIB = 1024 * 1024;

function numberOrNull(s: string | undefined): number | null {
  if (s === undefined) return null;
  const n = Number(s.trim());
  return s.trim() === '' || !Number.isFinite(n) ? null : n;
}

/**
 * `nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits`:
 * one line per GPU (`37, 2048, 8192`; `[N/A]` where unsupported). Load is the busiest GPU's, VRAM
 * summed over all. Null when no line has a utilisation.
 */
export function parseNvidiaSmiUtilization(text: string): GpuLoad | null {
  let load: number | null = null;
  let used: number | null = null;
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [u, mu, mt] = line.split(',');
    const util = numberOrNull(u);
    if (util !== null) load = Math.max(load ?? 0, clamp01(util / 100));
    const usedMib = numberOrNull(mu);
    const totalMib = numberOrNull(mt);
    if (usedMib !== null) used = (used ?? 0) + usedMib * MIB;
    if (totalMib !== null) total = (total ?? 0) + totalMib * MIB;
  }
  return load === null ? null : { load, vramUsedBytes: used, vramTotalBytes: total };
}

/** Arguments for `rocm-smi` that `parseRocmSmiUtilization` reads. */
export const ROCM_SMI_LOAD_ARGS = ['--showuse', '--showmeminfo', 'vram', '--json'] as const;

/**
 * `rocm-smi --showuse --showmeminfo vram --json`: `{"card0": {"GPU use (%)": "12",
 * "VRAM Total Memory (B)": "…", "VRAM Total Used Memory (B)": "…"}, …}`. Null without a card
 * reporting its use.
 */
export function parseRocmSmiUtilization(text: string): GpuLoad | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  let load: number | null = null;
  let used: number | null = null;
  let total: number | null = null;
  for (const [card, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!card.startsWith('card') || typeof value !== 'object' || value === null) continue;
    const fields = value as Record<string, unknown>;
    const pick = (test: RegExp): number | null => {
      const key = Object.keys(fields).find((k) => test.test(k));
      return key === undefined ? null : numberOrNull(String(fields[key]));
    };
    const use = pick(/^GPU use \(%\)$/i);
    if (use !== null) load = Math.max(load ?? 0, clamp01(use / 100));
    const u = pick(/^VRAM Total Used Memory \(B\)$/i);
    const t = pick(/^VRAM Total Memory \(B\)$/i);
    if (u !== null) used = (used ?? 0) + u;
    if (t !== null) total = (total ?? 0) + t;
  }
  return load === null ? null : { load, vramUsedBytes: used, vramTotalBytes: total };
}

// ---- network -----------------------------------------------------------------------------------

export type NetworkType = 'ethernet' | 'wifi' | 'cellular' | 'other' | 'unknown';

export interface NetworkState {
  readonly device: string | null;
  readonly type: NetworkType;
  /** null: NetworkManager does not know. */
  readonly metered: boolean | null;
}

/** Arguments for `nmcli` that `parseNmcliDeviceShow` reads. */
export const NMCLI_ARGS = [
  '-t',
  '-f',
  'GENERAL.DEVICE,GENERAL.TYPE,GENERAL.STATE,GENERAL.METERED',
  'device',
  'show',
] as const;

function networkTypeOf(nmType: string): NetworkType {
  switch (nmType) {
    case 'ethernet':
      return 'ethernet';
    case 'wifi':
      return 'wifi';
    case 'gsm':
    case 'cdma':
    case 'modem':
      return 'cellular';
    default:
      return 'other';
  }
}

/**
 * `nmcli -t -f GENERAL.DEVICE,GENERAL.TYPE,GENERAL.STATE,GENERAL.METERED device show`: blocks of
 * `KEY:value` lines, one per device, separated by blank lines. The first connected device (state
 * 100) that is not loopback, a bridge or a tunnel is the one traffic uses. Metered: `yes`,
 * `yes (guessed)` → true; `no`, `no (guessed)` → false; `unknown` → null, except that a cellular
 * modem counts as metered.
 */
export function parseNmcliDeviceShow(text: string): NetworkState | null {
  const blocks: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(current).length) blocks.push(current);
      current = {};
      continue;
    }
    const i = line.indexOf(':');
    if (i > 0) current[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  if (Object.keys(current).length) blocks.push(current);
  const skip = new Set(['loopback', 'bridge', 'tun', 'wifi-p2p', 'dummy', 'veth']);
  const active = blocks.find(
    (b) => /^100\b/.test(b['GENERAL.STATE'] ?? '') && !skip.has(b['GENERAL.TYPE'] ?? ''),
  );
  if (active === undefined) return null;
  const type = networkTypeOf(active['GENERAL.TYPE'] ?? '');
  const m = (active['GENERAL.METERED'] ?? '').toLowerCase();
  const metered = m.startsWith('yes') ? true : m.startsWith('no') ? false : type === 'cellular' ? true : null;
  return { device: active['GENERAL.DEVICE'] ?? null, type, metered };
}

/** The interface of the default route in `/proc/net/route` (destination and mask 00000000). */
export function defaultRouteInterface(text: string): string | null {
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000') return f[0] ?? null;
  }
  return null;
}

/** `/sys/class/net/<if>/speed` in Mbit/s; null for -1 (wifi, link down) or junk. */
export function parseLinkSpeedMbps(text: string): number | null {
  const n = Number(text.trim());
  return Number.isFinite(n) && n > 0 ? n : null;
}

// ---- power -------------------------------------------------------------------------------------

/**
 * `upower -i /org/freedesktop/UPower/devices/DisplayDevice`: `state:` (charging, discharging,
 * fully-charged, pending-charge …) and `percentage:`. Null when upower knows no battery
 * (`power supply: no` or no percentage).
 */
export function parseUpowerDisplayDevice(text: string): PowerInfo | null {
  const field = (name: string): string | null => {
    const m = new RegExp(`^\\s*${name}:\\s+(.+)$`, 'm').exec(text);
    return m ? (m[1] ?? '').trim() : null;
  };
  const percentText = field('percentage');
  if (field('power supply') === 'no' || field('present') === 'no' || percentText === null) return null;
  const percent = Number(percentText.replace('%', '').replace(',', '.'));
  if (!Number.isFinite(percent)) return null;
  const state = field('state') ?? 'unknown';
  const discharging = state === 'discharging';
  const charging = state === 'charging' ? true : discharging ? false : null;
  const minutes = ((): number | null => {
    const t = field('time to empty');
    if (t === null || !discharging) return null;
    const m = /^([\d.,]+)\s+(minutes|hours)/.exec(t);
    if (!m) return null;
    const n = Number((m[1] ?? '').replace(',', '.'));
    return Number.isFinite(n) ? Math.round(m[2] === 'hours' ? n * 60 : n) : null;
  })();
  return {
    source: discharging ? 'battery' : 'ac',
    hasBattery: true,
    batteryPercent: Math.max(0, Math.min(100, percent)),
    charging,
    timeRemainingMinutes: minutes,
  };
}

// ---- smoothing ---------------------------------------------------------------------------------

/** Exponentially weighted moving average: `alpha` of the new sample, the rest of the old value. */
export function ewma(previous: number | null, sample: number | null, alpha: number): number | null {
  if (sample === null) return previous;
  if (previous === null) return sample;
  return previous + alpha * (sample - previous);
}

function clamp01(n: number): number {
  return Math.max(0, Math.min(1, n));
}
