/**
 * The GPU probe. Order of trust: `nvidia-smi` (NVIDIA, with VRAM and compute capability),
 * `rocm-smi` (AMD), `system_profiler` on macOS, then `lspci` and `vulkaninfo` for the GPUs those
 * did not report — de-duplicated, so a card listed by `nvidia-smi` and `lspci` appears once. AMD
 * cards without `rocm-smi` get their VRAM from amdgpu's sysfs files, which need no privileges.
 */
import type { GpuInfo } from '../../core/index.js';
import {
  makeGpu,
  NVIDIA_SMI_QUERY_FIELDS,
  nvidiaSmiArgs,
  parseLspciDevices,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
  parseUevent,
  parseVulkanInfoSummary,
  pciGpuEntries,
  shortPciSlot,
} from './gpu-parsers.js';
import {
  commandOutcome,
  summarizeOutcomes,
  type ProbeAnswer,
  type ProbeContext,
  type SourceOutcome,
} from './probe-context.js';
import { parseSystemProfilerJson, systemProfilerArgs } from './system-profiler.js';
import { parseWholeNumber } from './text.js';

export const ROCM_SMI_ARGS = ['--showproductname', '--showmeminfo', 'vram', '--showdriverversion', '--json'];
export const LSPCI_ARGS = ['-mm', '-nn'];
export const VULKANINFO_ARGS = ['--summary'];

async function askNvidiaSmi(ctx: ProbeContext): Promise<{ gpus: GpuInfo[]; outcome: SourceOutcome }> {
  let result = await ctx.run('nvidia-smi', nvidiaSmiArgs());
  if (result.status === 'failed' && /compute_cap/.test(`${result.stdout}${result.stderr}`)) {
    // Drivers before 510 do not know the compute_cap field: ask again without it.
    result = await ctx.run('nvidia-smi', nvidiaSmiArgs(NVIDIA_SMI_QUERY_FIELDS.slice(0, 4)));
  }
  return {
    gpus: result.status === 'ok' ? parseNvidiaSmiCsv(result.stdout) : [],
    outcome: commandOutcome('nvidia-smi', result),
  };
}

/** VRAM of amdgpu cards by PCI slot, from `/sys/class/drm/card*\/device/mem_info_vram_*`. */
async function amdgpuSysfsVram(
  ctx: ProbeContext,
): Promise<Map<string, { total: number; used: number | null }>> {
  const out = new Map<string, { total: number; used: number | null }>();
  const cards = (await ctx.listNames('/sys/class/drm')) ?? [];
  await Promise.all(
    cards
      .filter((name) => /^card\d+$/.test(name))
      .map(async (card) => {
        const base = `/sys/class/drm/${card}/device`;
        const [uevent, total, used] = await Promise.all([
          ctx.readText(`${base}/uevent`),
          ctx.readText(`${base}/mem_info_vram_total`),
          ctx.readText(`${base}/mem_info_vram_used`),
        ]);
        const fields = parseUevent(uevent ?? '');
        const totalBytes = parseWholeNumber(total);
        const slot = fields['PCI_SLOT_NAME'];
        if (fields['DRIVER'] !== 'amdgpu' || slot === undefined || totalBytes === null) return;
        out.set(shortPciSlot(slot), { total: totalBytes, used: parseWholeNumber(used) });
      }),
  );
  return out;
}

function withVulkan(gpu: GpuInfo, vulkanVendors: ReadonlySet<string>): GpuInfo {
  if (!vulkanVendors.has(gpu.vendor) || gpu.apis.includes('vulkan')) return gpu;
  return makeGpu({ ...gpu, apis: [...gpu.apis, 'vulkan'] });
}

async function probeDarwinGpus(ctx: ProbeContext): Promise<ProbeAnswer<GpuInfo[]>> {
  const result = await ctx.run('system_profiler', systemProfilerArgs());
  const gpus = result.status === 'ok' ? parseSystemProfilerJson(result.stdout).gpus : [];
  return { value: gpus, ...summarizeOutcomes([commandOutcome('system_profiler', result)]) };
}

async function probeLinuxGpus(ctx: ProbeContext): Promise<ProbeAnswer<GpuInfo[]>> {
  const [nvidia, rocm, lspci, vulkan, sysfsVram] = await Promise.all([
    askNvidiaSmi(ctx),
    ctx.run('rocm-smi', ROCM_SMI_ARGS),
    ctx.run('lspci', LSPCI_ARGS),
    ctx.run('vulkaninfo', VULKANINFO_ARGS),
    amdgpuSysfsVram(ctx),
  ]);
  const rocmGpus = rocm.status === 'ok' ? parseRocmSmiJson(rocm.stdout) : [];
  const pciDevices = lspci.status === 'ok' ? parseLspciDevices(lspci.stdout) : [];
  const vulkanGpus = vulkan.status === 'ok' ? parseVulkanInfoSummary(vulkan.stdout) : [];
  const vulkanVendors = new Set(vulkanGpus.map((gpu) => gpu.vendor));

  const gpus: GpuInfo[] = [...nvidia.gpus, ...rocmGpus];
  const covered = new Set(gpus.map((gpu) => gpu.vendor));
  for (const { slot, gpu } of pciGpuEntries(pciDevices)) {
    if (covered.has(gpu.vendor)) continue;
    const vram = sysfsVram.get(shortPciSlot(slot));
    gpus.push(
      vram === undefined || gpu.vendor !== 'amd'
        ? gpu
        : makeGpu({
            ...gpu,
            vramBytes: vram.total,
            vramFreeBytes: vram.used === null ? null : Math.max(0, vram.total - vram.used),
            source: 'lspci+sysfs',
          }),
    );
  }
  const listed = new Set(gpus.map((gpu) => gpu.vendor));
  for (const gpu of vulkanGpus) {
    if (!listed.has(gpu.vendor) || gpu.vendor === 'other') gpus.push(gpu);
  }
  const merged = gpus.map((gpu) => (gpu.source === 'vulkaninfo' ? gpu : withVulkan(gpu, vulkanVendors)));
  return {
    value: merged,
    ...summarizeOutcomes([
      nvidia.outcome,
      commandOutcome('rocm-smi', rocm),
      commandOutcome('lspci', lspci),
      commandOutcome('vulkaninfo', vulkan),
    ]),
  };
}

/** GPUs of this machine; see the module comment for the order of the sources. */
export async function probeGpus(ctx: ProbeContext): Promise<ProbeAnswer<GpuInfo[]>> {
  return ctx.env.platform === 'darwin' ? probeDarwinGpus(ctx) : probeLinuxGpus(ctx);
}
