/**
 * Parsers for the GPU tools: `nvidia-smi` CSV, `rocm-smi --json`, `lspci -mm -nn`,
 * `vulkaninfo --summary`. Text in, `GpuInfo` out; tolerant of missing fields, never throwing —
 * garbage gives an empty list. `canRun` is filled from the memory via `gpuWorkloads`.
 */
import type { GpuInfo, NpuInfo } from '../../core/index.js';
import {
  BYTES_PER_MIB,
  isRecord,
  linesOf,
  parseJsonSafely,
  parseWholeNumber,
  splitKeyValue,
} from './text.js';
import { gpuWorkloads } from './workloads.js';

type GpuVendor = GpuInfo['vendor'];

/** The query `nvidia-smi` is asked (in this order; `compute_cap` needs driver ≥ 510). */
export const NVIDIA_SMI_QUERY_FIELDS = [
  'name',
  'memory.total',
  'memory.free',
  'driver_version',
  'compute_cap',
];

export function nvidiaSmiArgs(fields: readonly string[] = NVIDIA_SMI_QUERY_FIELDS): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
}

function notAvailable(value: string | undefined): boolean {
  return value === undefined || value === '' || /^\[?(N\/A|Not Supported|Unknown Error)\]?$/i.test(value);
}

/** Builds a GpuInfo, filling `canRun` from the memory. */
export function makeGpu(fields: Omit<GpuInfo, 'canRun'>): GpuInfo {
  return {
    ...fields,
    canRun: gpuWorkloads(fields.vramBytes, { unifiedMemory: fields.unifiedMemory, apis: fields.apis }),
  };
}

/**
 * `nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version,compute_cap
 * --format=csv,noheader,nounits`: one line per GPU, memory in MiB, `[N/A]` where unknown. Also
 * reads the four-field form older drivers answer without `compute_cap`.
 */
export function parseNvidiaSmiCsv(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of linesOf(text)) {
    const fields = line.split(',').map((field) => field.trim());
    const [name, total, free, driver, computeCap] = fields;
    // The query always asks at least four fields; anything shorter is not a row.
    if (fields.length < 4 || name === undefined || name === '' || /^[[{]/.test(name)) continue;
    const totalMib = parseWholeNumber(total);
    if (totalMib === null && !notAvailable(total)) continue; // not a CSV row (an error message)
    const freeMib = parseWholeNumber(free);
    gpus.push(
      makeGpu({
        vendor: 'nvidia',
        name,
        vramBytes: totalMib === null ? null : totalMib * BYTES_PER_MIB,
        vramFreeBytes: freeMib === null ? null : freeMib * BYTES_PER_MIB,
        unifiedMemory: false,
        driver: notAvailable(driver) ? null : (driver ?? null),
        computeCapability: notAvailable(computeCap) ? null : (computeCap ?? null),
        apis: ['cuda'],
        source: 'nvidia-smi',
      }),
    );
  }
  return gpus;
}

function fieldIgnoringCase(record: Record<string, unknown>, key: string): string | null {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(record)) {
    if (name.toLowerCase() === wanted) {
      if (typeof value === 'string' && value.trim() !== '' && !notAvailable(value.trim()))
        return value.trim();
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    }
  }
  return null;
}

/**
 * `rocm-smi --showproductname --showmeminfo vram --showdriverversion --json`: an object keyed by
 * `card0`, `card1` …, with `VRAM Total Memory (B)`, `Card Series` (`Card series` in older
 * releases), `GFX Version`; the driver version under `system` (or per card in some releases).
 */
export function parseRocmSmiJson(text: string): GpuInfo[] {
  const doc = parseJsonSafely(text);
  if (!isRecord(doc)) return [];
  const system = isRecord(doc['system']) ? doc['system'] : {};
  const systemDriver = fieldIgnoringCase(system, 'Driver version');
  const cards = Object.entries(doc)
    .filter(
      (entry): entry is [string, Record<string, unknown>] => /^card\d+$/.test(entry[0]) && isRecord(entry[1]),
    )
    .sort((a, b) => Number(a[0].slice(4)) - Number(b[0].slice(4)));
  return cards.map(([cardId, card]) => {
    const total = parseWholeNumber(fieldIgnoringCase(card, 'VRAM Total Memory (B)'));
    const used = parseWholeNumber(fieldIgnoringCase(card, 'VRAM Total Used Memory (B)'));
    const name =
      fieldIgnoringCase(card, 'Card Series') ??
      fieldIgnoringCase(card, 'Device Name') ??
      fieldIgnoringCase(card, 'Card SKU') ??
      `AMD GPU (${cardId})`;
    return makeGpu({
      vendor: 'amd',
      name,
      vramBytes: total,
      vramFreeBytes: total !== null && used !== null ? Math.max(0, total - used) : null,
      unifiedMemory: false,
      driver: fieldIgnoringCase(card, 'Driver version') ?? systemDriver,
      computeCapability: fieldIgnoringCase(card, 'GFX Version'),
      apis: ['rocm'],
      source: 'rocm-smi',
    });
  });
}

// ---- lspci ----------------------------------------------------------------------------------

/** One device line of `lspci -mm -nn`. */
export interface PciDevice {
  /** `01:00.0` (or `0000:01:00.0` with `-D`). */
  readonly slot: string;
  readonly className: string;
  /** Four hex digits, e.g. `0300`. */
  readonly classId: string;
  readonly vendorName: string;
  readonly vendorId: string;
  readonly deviceName: string;
  readonly deviceId: string;
}

/** Splits a `-mm` line into its quoted fields and bare options (`-ra1`, `-p00`). */
function lspciTokens(line: string): string[] {
  const tokens: string[] = [];
  let at = 0;
  while (at < line.length) {
    const char = line[at];
    if (char === ' ' || char === '\t') {
      at += 1;
    } else if (char === '"') {
      const end = line.indexOf('"', at + 1);
      if (end === -1) return [];
      tokens.push(line.slice(at + 1, end));
      at = end + 1;
    } else {
      let end = at;
      while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end += 1;
      tokens.push(line.slice(at, end));
      at = end;
    }
  }
  return tokens;
}

/** `NVIDIA Corporation [10de]` → [`NVIDIA Corporation`, `10de`]. */
function nameAndId(field: string): readonly [string, string] | null {
  const match = /^(.*?)\s*\[([0-9a-fA-F]{4})\]$/.exec(field.trim());
  return match === null ? null : [match[1] ?? '', (match[2] ?? '').toLowerCase()];
}

/** Every device line of `lspci -mm -nn`; lines that are not of that form are skipped. */
export function parseLspciDevices(text: string): PciDevice[] {
  const devices: PciDevice[] = [];
  for (const line of linesOf(text)) {
    const tokens = lspciTokens(line.trim());
    const [slot, classField, vendorField, deviceField] = tokens;
    if (
      slot === undefined ||
      classField === undefined ||
      vendorField === undefined ||
      deviceField === undefined
    ) {
      continue;
    }
    if (!/^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/.test(slot)) continue;
    const cls = nameAndId(classField);
    const vendor = nameAndId(vendorField);
    const device = nameAndId(deviceField);
    if (cls === null || vendor === null || device === null) continue;
    devices.push({
      slot,
      className: cls[0],
      classId: cls[1],
      vendorName: vendor[0],
      vendorId: vendor[1],
      deviceName: device[0],
      deviceId: device[1],
    });
  }
  return devices;
}

/** PCI vendor ids → GPU vendor. */
export const PCI_GPU_VENDORS: Readonly<Record<string, GpuVendor>> = {
  '10de': 'nvidia',
  '1002': 'amd',
  '8086': 'intel',
  '106b': 'apple',
};

/**
 * Display adapters that cannot run models: emulated VGA in virtual machines (QEMU/Bochs `1234`,
 * VMware `15ad`, virtio `1af4`, QXL `1b36`, VirtualBox `80ee`, Hyper-V `1414`) and the baseboard
 * management controllers' VGA on servers (ASPEED `1a03`, Matrox `102b`).
 */
export const PCI_NON_COMPUTE_DISPLAY_VENDORS: ReadonlySet<string> = new Set([
  '1234',
  '15ad',
  '1af4',
  '1b36',
  '80ee',
  '1414',
  '1a03',
  '102b',
]);

/** PCI display classes: VGA `0300`, XGA `0301`, 3D `0302`, other display `0380`. */
function isDisplayClass(classId: string): boolean {
  return classId.startsWith('03');
}

/** `AD102 [GeForce RTX 4090]` → `GeForce RTX 4090`; the chip code name when no marketing name. */
export function marketingName(deviceName: string): string {
  const match = /\[([^\]]+)\]\s*$/.exec(deviceName);
  return (match?.[1] ?? deviceName).trim();
}

function pciGpuName(device: PciDevice, vendor: GpuVendor): string {
  const model = marketingName(device.deviceName);
  const generic = model === '' || /^device$/i.test(model);
  const label = generic ? `device ${device.vendorId}:${device.deviceId}` : model;
  const prefix = { nvidia: 'NVIDIA', amd: 'AMD', intel: 'Intel', apple: 'Apple', other: device.vendorName }[
    vendor
  ];
  return label.toLowerCase().startsWith(prefix.toLowerCase()) ? label : `${prefix} ${label}`.trim();
}

/**
 * Class `1200` (processing accelerator) devices that are GPUs: NVIDIA data-centre cards (H100)
 * and AMD Instinct — not the NPUs that share the class.
 */
function isAcceleratorGpu(device: PciDevice): boolean {
  if (device.classId !== '1200') return false;
  if (device.vendorId === '10de') return true;
  return device.vendorId === '1002' && !/npu|ipu|xdna/i.test(marketingName(device.deviceName));
}

/** GPUs among `lspci -mm -nn` devices, each with its PCI slot. */
export function pciGpuEntries(
  devices: readonly PciDevice[],
): { readonly slot: string; readonly gpu: GpuInfo }[] {
  return devices
    .filter(
      (device) =>
        (isDisplayClass(device.classId) && !PCI_NON_COMPUTE_DISPLAY_VENDORS.has(device.vendorId)) ||
        isAcceleratorGpu(device),
    )
    .map((device) => {
      const vendor = PCI_GPU_VENDORS[device.vendorId] ?? 'other';
      return {
        slot: device.slot,
        gpu: makeGpu({
          vendor,
          name: pciGpuName(device, vendor),
          vramBytes: null,
          vramFreeBytes: null,
          unifiedMemory: false,
          driver: null,
          computeCapability: null,
          apis: [],
          source: 'lspci',
        }),
      };
    });
}

/** GPUs among `lspci -mm -nn` devices: display controllers of real GPUs and accelerator-class GPUs. */
export function gpusFromPciDevices(devices: readonly PciDevice[]): GpuInfo[] {
  return pciGpuEntries(devices).map((entry) => entry.gpu);
}

/** NPU vendors by PCI vendor id, for processing accelerators (class `1200`). */
const PCI_NPU_VENDORS: Readonly<Record<string, string>> = {
  '8086': 'intel',
  '1022': 'amd',
  '1002': 'amd',
  '17cb': 'qualcomm',
};

/** PCI ids the accel drivers bind to, for a more precise name when `lspci` is absent. */
export const NPU_PCI_NAMES: Readonly<Record<string, string>> = {
  '8086:7d1d': 'Intel Meteor Lake NPU',
  '8086:ad1d': 'Intel Arrow Lake NPU',
  '8086:643e': 'Intel Lunar Lake NPU',
  '8086:b03e': 'Intel Panther Lake NPU',
  '1022:1502': 'AMD Ryzen AI NPU (Phoenix)',
  '1022:17f0': 'AMD Ryzen AI NPU (Strix)',
  '17cb:a100': 'Qualcomm Cloud AI 100',
};

/** What each vendor's NPU runs, in plain words. */
export const NPU_WORKLOADS: Readonly<Record<string, readonly string[]>> = {
  apple: ['Core ML models', 'on-device speech recognition (Whisper, Core ML)'],
  intel: ['OpenVINO models', 'small on-device models (NPU)'],
  amd: ['ONNX Runtime models (Ryzen AI)', 'small on-device models (NPU)'],
  qualcomm: ['QNN / ONNX Runtime models', 'small on-device models (NPU)'],
};

/**
 * NPUs among `lspci -mm -nn` devices: processing accelerators (class `1200`) from Intel (e.g.
 * `Meteor Lake NPU`), AMD or Qualcomm. Data-centre GPUs that also use class `1200` (NVIDIA H100,
 * AMD Instinct) are GPUs, not NPUs, and are left out here.
 */
export function npusFromPciDevices(devices: readonly PciDevice[]): NpuInfo[] {
  const out: NpuInfo[] = [];
  for (const device of devices) {
    if (device.classId !== '1200') continue;
    const vendor = PCI_NPU_VENDORS[device.vendorId];
    if (vendor === undefined) continue;
    const model = marketingName(device.deviceName);
    if (vendor === 'amd' && !/npu|ipu|xdna|ai/i.test(model)) continue; // Instinct accelerators
    const vendorWord = { intel: 'Intel', amd: 'AMD', qualcomm: 'Qualcomm' }[vendor] ?? '';
    const generic = model === '' || /^device$/i.test(model);
    const known = NPU_PCI_NAMES[`${device.vendorId}:${device.deviceId}`];
    const label = generic ? (known ?? `${vendorWord} NPU`) : model;
    out.push({
      vendor,
      name: label.toLowerCase().startsWith(vendorWord.toLowerCase()) ? label : `${vendorWord} ${label}`,
      cores: null,
      source: 'lspci',
      canRun: [...(NPU_WORKLOADS[vendor] ?? [])],
    });
  }
  return out;
}

// ---- vulkaninfo -----------------------------------------------------------------------------

/** Vulkan vendor ids (PCI ids for PCI GPUs, Khronos ids such as `0x10005` for Mesa's CPU devices). */
const VULKAN_VENDORS: Readonly<Record<string, GpuVendor>> = {
  '0x10de': 'nvidia',
  '0x1002': 'amd',
  '0x8086': 'intel',
  '0x106b': 'apple',
};

/**
 * `vulkaninfo --summary`: the `GPU0:` … blocks under `Devices:` with `deviceName`, `deviceType`,
 * `driverName`, `vendorID`. CPU devices (llvmpipe, lavapipe, SwiftShader) are skipped.
 */
export function parseVulkanInfoSummary(text: string): GpuInfo[] {
  const blocks: Record<string, string>[] = [];
  let current: Record<string, string> | null = null;
  for (const line of linesOf(text)) {
    if (/^GPU\d+:\s*$/.test(line.trim()) && !line.startsWith('\t')) {
      current = {};
      blocks.push(current);
      continue;
    }
    if (current === null) continue;
    if (!/^\s/.test(line)) {
      if (line.trim() !== '') current = null;
      continue;
    }
    const pair = splitKeyValue(line, '=');
    if (pair !== null) current[pair[0]] = pair[1];
  }
  const gpus: GpuInfo[] = [];
  for (const block of blocks) {
    const name = block['deviceName'];
    if (name === undefined || name === '') continue;
    const type = block['deviceType'] ?? '';
    const driverName = block['driverName'] ?? '';
    if (/TYPE_CPU/.test(type) || /llvmpipe|lavapipe|swiftshader/i.test(`${name} ${driverName}`)) continue;
    const vendor = VULKAN_VENDORS[(block['vendorID'] ?? '').toLowerCase()] ?? vendorFromName(name);
    gpus.push(
      makeGpu({
        vendor,
        name,
        vramBytes: null,
        vramFreeBytes: null,
        unifiedMemory: false,
        driver: block['driverInfo'] ?? (driverName === '' ? null : driverName),
        computeCapability: null,
        apis: ['vulkan'],
        source: 'vulkaninfo',
      }),
    );
  }
  return gpus;
}

/** A GPU vendor guessed from a product name. */
export function vendorFromName(name: string): GpuVendor {
  if (/nvidia|geforce|quadro|tesla|rtx/i.test(name)) return 'nvidia';
  if (/\bamd\b|radeon|\bati\b|instinct/i.test(name)) return 'amd';
  if (/intel|\biris\b|\barc\b|uhd graphics|hd graphics/i.test(name)) return 'intel';
  if (/apple/i.test(name)) return 'apple';
  return 'other';
}

// ---- sysfs ----------------------------------------------------------------------------------

/** `KEY=value` lines of a sysfs `uevent` file. */
export function parseUevent(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of linesOf(text)) {
    const pair = splitKeyValue(line, '=');
    if (pair !== null) out[pair[0]] = pair[1];
  }
  return out;
}

/** Lower-cased PCI slot without the domain: `0000:03:00.0` → `03:00.0`. */
export function shortPciSlot(slot: string): string {
  return slot.toLowerCase().replace(/^[0-9a-f]{4}:(?=[0-9a-f]{2}:)/, '');
}
