/**
 * The NPU probe. macOS on Apple Silicon: the Apple Neural Engine (core count from Apple's specs).
 * Linux: compute accelerators the kernel exposes under `/sys/class/accel` (`/dev/accel/accel*`),
 * named by their driver — `intel_vpu` (Intel NPU), `amdxdna` (AMD Ryzen AI), `qaic` (Qualcomm
 * Cloud AI) — plus processing accelerators in `lspci` and Qualcomm's Hexagon NPU when its FastRPC
 * nodes (`/dev/fastrpc-cdsp*`) are visible. Nothing is opened; only names are read.
 */
import type { NpuInfo } from '../../core/index.js';
import {
  NPU_PCI_NAMES,
  NPU_WORKLOADS,
  npusFromPciDevices,
  parseLspciDevices,
  parseUevent,
  shortPciSlot,
} from './gpu-parsers.js';
import { LSPCI_ARGS } from './gpu-probe.js';
import {
  commandOutcome,
  summarizeOutcomes,
  type ProbeAnswer,
  type ProbeContext,
  type SourceOutcome,
} from './probe-context.js';
import { appleNeuralEngineCores, parseSystemProfilerJson, systemProfilerArgs } from './system-profiler.js';

/** Kernel accel drivers → NPU vendor and a generic name. */
const ACCEL_DRIVERS: Readonly<Record<string, { vendor: string; name: string }>> = {
  intel_vpu: { vendor: 'intel', name: 'Intel NPU' },
  amdxdna: { vendor: 'amd', name: 'AMD Ryzen AI NPU' },
  qaic: { vendor: 'qualcomm', name: 'Qualcomm Cloud AI 100' },
};

/** What `npusFromPciDevices` calls an NPU whose model lspci could not name. */
const GENERIC_NPU_NAMES: ReadonlySet<string> = new Set(['Intel NPU', 'AMD NPU', 'Qualcomm NPU']);

async function probeDarwinNpus(ctx: ProbeContext): Promise<ProbeAnswer<NpuInfo[]>> {
  if (ctx.env.arch !== 'arm64') {
    return { value: [], status: 'ok', detail: 'Intel Macs have no Neural Engine' };
  }
  const result = await ctx.run('system_profiler', systemProfilerArgs());
  const report = result.status === 'ok' ? parseSystemProfilerJson(result.stdout) : null;
  if (report !== null && report.npus.length > 0)
    return { value: report.npus, status: 'ok', detail: 'via system_profiler' };
  // Every Apple Silicon Mac has a Neural Engine, even when system_profiler could not say which chip.
  const chip = report?.hardware?.cpuModel ?? null;
  return {
    value: [
      {
        vendor: 'apple',
        name: 'Apple Neural Engine',
        cores: chip === null ? null : appleNeuralEngineCores(chip),
        source: 'platform',
        canRun: [...(NPU_WORKLOADS['apple'] ?? [])],
      },
    ],
    status: 'ok',
    detail: 'Apple Silicon (darwin arm64)',
  };
}

async function accelNpus(
  ctx: ProbeContext,
): Promise<{ npus: (NpuInfo & { slot: string | null })[]; readable: boolean }> {
  const names = await ctx.listNames('/sys/class/accel');
  if (names === null) return { npus: [], readable: false };
  const found = await Promise.all(
    names
      .filter((name) => /^accel\d+$/.test(name))
      .map(async (name) => {
        const uevent = parseUevent((await ctx.readText(`/sys/class/accel/${name}/device/uevent`)) ?? '');
        const driver = ACCEL_DRIVERS[uevent['DRIVER'] ?? ''];
        if (driver === undefined) return null;
        const pciId = (uevent['PCI_ID'] ?? '').toLowerCase();
        const slot = uevent['PCI_SLOT_NAME'];
        return {
          vendor: driver.vendor,
          name: NPU_PCI_NAMES[pciId] ?? driver.name,
          cores: null,
          source: 'sysfs',
          canRun: [...(NPU_WORKLOADS[driver.vendor] ?? [])],
          slot: slot === undefined ? null : shortPciSlot(slot),
        };
      }),
  );
  return { npus: found.filter((npu) => npu !== null), readable: true };
}

async function probeLinuxNpus(ctx: ProbeContext): Promise<ProbeAnswer<NpuInfo[]>> {
  const [accel, lspci, devNames] = await Promise.all([
    accelNpus(ctx),
    ctx.run('lspci', LSPCI_ARGS),
    ctx.listNames('/dev'),
  ]);
  const npus: NpuInfo[] = [];
  const pciDevices = lspci.status === 'ok' ? parseLspciDevices(lspci.stdout) : [];
  const pciNpuBySlot = new Map<string, NpuInfo>();
  for (const device of pciDevices) {
    const [npu] = npusFromPciDevices([device]);
    if (npu !== undefined) pciNpuBySlot.set(shortPciSlot(device.slot), npu);
  }
  const usedSlots = new Set<string>();
  for (const { slot, ...npu } of accel.npus) {
    const fromPci = slot === null ? undefined : pciNpuBySlot.get(slot);
    if (slot !== null) usedSlots.add(slot);
    // pci.ids names the exact part; keep ours when lspci only printed a bare "Device".
    const generic = fromPci === undefined || GENERIC_NPU_NAMES.has(fromPci.name);
    npus.push(generic ? npu : { ...npu, name: fromPci.name });
  }
  for (const [slot, npu] of pciNpuBySlot) {
    if (!usedSlots.has(slot)) npus.push(npu);
  }
  const hexagon = (devNames ?? []).some((name) => /^fastrpc-cdsp/.test(name));
  if (hexagon && !npus.some((npu) => npu.vendor === 'qualcomm')) {
    npus.push({
      vendor: 'qualcomm',
      name: 'Qualcomm Hexagon NPU',
      cores: null,
      source: 'fastrpc',
      canRun: [...(NPU_WORKLOADS['qualcomm'] ?? [])],
    });
  }
  // Without /sys/class/accel the kernel has no compute accelerator; /sys/class itself being
  // readable is what says the kernel was asked.
  const kernel: SourceOutcome = accel.readable
    ? { source: '/sys/class/accel', status: 'ok' }
    : (await ctx.listNames('/sys/class')) !== null
      ? { source: 'kernel (no accel devices)', status: 'ok' }
      : { source: '/sys/class/accel', status: 'missing' };
  return { value: npus, ...summarizeOutcomes([commandOutcome('lspci', lspci), kernel]) };
}

/** NPUs of this machine. */
export async function probeNpus(ctx: ProbeContext): Promise<ProbeAnswer<NpuInfo[]>> {
  if (ctx.env.platform === 'darwin') return probeDarwinNpus(ctx);
  if (ctx.env.platform === 'linux') return probeLinuxNpus(ctx);
  return {
    value: [],
    status: 'not_detected',
    detail: `NPU detection is not supported on ${ctx.env.platform}`,
  };
}
