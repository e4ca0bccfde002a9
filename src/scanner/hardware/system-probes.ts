/**
 * CPU, memory and storage probes. Linux reads `/proc/cpuinfo` and `/proc/meminfo`; macOS asks
 * `system_profiler` and `sysctl hw.optional`; wherever those are absent, `node:os` answers, so
 * these probes always report something real.
 */
import type { CpuInfo, MemoryInfo, StorageInfo } from '../../core/index.js';
import { parseProcCpuinfo, parseProcMeminfo, parseSysctlHwOptional } from './cpu-parsers.js';
import type { ProbeAnswer, ProbeContext } from './probe-context.js';
import { parseSystemProfilerJson, systemProfilerArgs } from './system-profiler.js';

function hostCpuSummary(ctx: ProbeContext): {
  model: string | null;
  logical: number;
  speedMhz: number | null;
} {
  const cpus = ctx.host.cpus();
  const model = cpus.find((cpu) => cpu.model.trim() !== '')?.model.trim() ?? null;
  const speed = cpus[0]?.speed ?? 0;
  return { model, logical: cpus.length, speedMhz: speed > 0 ? speed : null };
}

function positiveOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isInteger(value) && value > 0 ? value : null;
}

async function probeLinuxCpu(ctx: ProbeContext): Promise<ProbeAnswer<CpuInfo>> {
  const host = hostCpuSummary(ctx);
  const text = await ctx.readText('/proc/cpuinfo');
  if (text === null) return hostOnlyCpu(ctx, '/proc/cpuinfo is not readable');
  const parsed = parseProcCpuinfo(text);
  return {
    value: {
      model:
        parsed.model ?? host.model ?? (parsed.armPart === null ? 'unknown' : `ARM CPU (${parsed.armPart})`),
      architecture: ctx.env.arch,
      logicalCores: positiveOrNull(parsed.logicalCores) ?? positiveOrNull(host.logical) ?? 1,
      physicalCores: positiveOrNull(parsed.physicalCores),
      speedMhz: parsed.speedMhz ?? host.speedMhz,
      features: parsed.features,
    },
    status: 'ok',
    detail: 'via /proc/cpuinfo',
  };
}

async function probeDarwinCpu(ctx: ProbeContext): Promise<ProbeAnswer<CpuInfo>> {
  const host = hostCpuSummary(ctx);
  const [profiler, sysctl] = await Promise.all([
    ctx.run('system_profiler', systemProfilerArgs()),
    ctx.run('sysctl', ['hw.optional']),
  ]);
  const hardware = profiler.status === 'ok' ? parseSystemProfilerJson(profiler.stdout).hardware : null;
  const features = sysctl.status === 'ok' ? parseSysctlHwOptional(sysctl.stdout) : [];
  if (hardware === null) {
    const fallback = hostOnlyCpu(ctx, 'system_profiler gave no hardware overview');
    return { ...fallback, value: { ...fallback.value, features } };
  }
  const physical = positiveOrNull(hardware.cpuCores);
  return {
    value: {
      model: hardware.cpuModel ?? host.model ?? 'unknown',
      architecture: ctx.env.arch,
      // Apple Silicon has no SMT: its core count is the logical count too.
      logicalCores: positiveOrNull(host.logical) ?? physical ?? 1,
      physicalCores: physical,
      speedMhz: hardware.cpuSpeedMhz ?? host.speedMhz,
      features,
    },
    status: 'ok',
    detail: sysctl.status === 'ok' ? 'via system_profiler, sysctl' : 'via system_profiler',
  };
}

function hostOnlyCpu(ctx: ProbeContext, why: string): ProbeAnswer<CpuInfo> {
  const host = hostCpuSummary(ctx);
  return {
    value: {
      model: host.model ?? 'unknown',
      architecture: ctx.env.arch,
      logicalCores: positiveOrNull(host.logical) ?? 1,
      physicalCores: null,
      speedMhz: host.speedMhz,
      features: [],
    },
    status: 'ok',
    detail: `via node:os (${why})`,
  };
}

/** The CPU: model, architecture, cores, speed and inference-relevant features. */
export async function probeCpu(ctx: ProbeContext): Promise<ProbeAnswer<CpuInfo>> {
  if (ctx.env.platform === 'linux') return probeLinuxCpu(ctx);
  if (ctx.env.platform === 'darwin') return probeDarwinCpu(ctx);
  return hostOnlyCpu(ctx, `no ${ctx.env.platform} source`);
}

/** Installed and available memory. */
export async function probeMemory(ctx: ProbeContext): Promise<ProbeAnswer<MemoryInfo>> {
  const hostTotal = Math.max(0, Math.floor(ctx.host.totalMemoryBytes()));
  const hostFree = Math.max(0, Math.floor(ctx.host.freeMemoryBytes()));
  if (ctx.env.platform === 'linux') {
    const text = await ctx.readText('/proc/meminfo');
    const parsed = text === null ? null : parseProcMeminfo(text);
    if (parsed !== null && parsed.totalBytes !== null) {
      return {
        value: {
          totalBytes: parsed.totalBytes,
          availableBytes: parsed.availableBytes ?? Math.min(hostFree, parsed.totalBytes),
        },
        status: 'ok',
        detail: 'via /proc/meminfo',
      };
    }
    return {
      value: { totalBytes: hostTotal, availableBytes: Math.min(hostFree, hostTotal) },
      status: 'ok',
      detail:
        text === null
          ? 'via node:os (/proc/meminfo is not readable)'
          : 'via node:os (/proc/meminfo has no MemTotal)',
    };
  }
  return {
    value: { totalBytes: hostTotal, availableBytes: Math.min(hostFree, hostTotal) },
    status: 'ok',
    detail: 'via node:os',
  };
}

/**
 * Filesystem magic numbers (`statfs` `f_type`) → names. ext2/3/4 share one magic and are
 * reported as `ext4`. macOS assigns its numbers at boot; APFS is `0x1a` on current releases.
 */
const LINUX_FILESYSTEMS: Readonly<Record<number, string>> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlay',
  0x2fc12fc1: 'zfs',
  0xf2f52010: 'f2fs',
  0x6969: 'nfs',
  0x4d44: 'vfat',
  0x5346544e: 'ntfs',
  0x73717368: 'squashfs',
};
const DARWIN_FILESYSTEMS: Readonly<Record<number, string>> = { 0x1a: 'apfs', 0x11: 'hfs' };

export function filesystemName(platform: NodeJS.Platform, type: number): string | null {
  const table = platform === 'darwin' ? DARWIN_FILESYSTEMS : LINUX_FILESYSTEMS;
  return table[type] ?? null;
}

/**
 * Size and free space of the filesystems holding `paths` (default: the home folder and `/`), one
 * entry per filesystem — the first path given names it.
 */
export async function probeStorage(
  ctx: ProbeContext,
  paths: readonly string[],
): Promise<ProbeAnswer<StorageInfo[]>> {
  const measured = await Promise.all(
    paths.map(async (path) => {
      const [stats, device] = await Promise.all([ctx.host.statFs(path), ctx.host.deviceOf(path)]);
      return { path, stats, device };
    }),
  );
  const seen = new Set<string>();
  const storage: StorageInfo[] = [];
  const unreadable: string[] = [];
  for (const { path, stats, device } of measured) {
    if (stats === null) {
      unreadable.push(path);
      continue;
    }
    const key = device !== null ? `dev:${device}` : `fs:${stats.type}:${stats.blocks}:${stats.bsize}`;
    if (seen.has(key)) continue;
    seen.add(key);
    storage.push({
      path,
      totalBytes: Math.max(0, stats.blocks * stats.bsize),
      freeBytes: Math.max(0, stats.bavail * stats.bsize),
      filesystem: filesystemName(ctx.env.platform, stats.type),
    });
  }
  const notes = unreadable.length > 0 ? `; could not measure ${unreadable.join(', ')}` : '';
  if (storage.length === 0 && paths.length > 0) {
    return { value: [], status: 'failed', detail: `could not measure ${unreadable.join(', ')}` };
  }
  return { value: storage, status: 'ok', detail: `via statfs${notes}` };
}
