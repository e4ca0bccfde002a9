/**
 * macOS `system_profiler -json SPDisplaysDataType SPHardwareDataType SPAudioDataType
 * SPCameraDataType SPPowerDataType`: one JSON document with a key per data type. The parser reads
 * the stable `sppci_*` / `spdisplays_*` / `coreaudio_*` / `sppower_*` keys (the human text is
 * localised), and returns whatever sections are present.
 */
import type { AudioDeviceInfo, CameraInfo, GpuInfo, NpuInfo, PowerInfo } from '../../core/index.js';
import { makeGpu, NPU_WORKLOADS, vendorFromName } from './gpu-parsers.js';
import {
  isRecord,
  parseDecimal,
  parseJsonSafely,
  parseSizeText,
  parseWholeNumber,
  stringField,
} from './text.js';

export const SYSTEM_PROFILER_DATA_TYPES = [
  'SPDisplaysDataType',
  'SPHardwareDataType',
  'SPAudioDataType',
  'SPCameraDataType',
  'SPPowerDataType',
] as const;

export function systemProfilerArgs(): string[] {
  return ['-json', ...SYSTEM_PROFILER_DATA_TYPES];
}

export interface SystemProfilerHardware {
  /** `Apple M2 Pro` or, on Intel Macs, `8-Core Intel Core i9`. */
  readonly cpuModel: string | null;
  readonly cpuCores: number | null;
  readonly performanceCores: number | null;
  readonly efficiencyCores: number | null;
  readonly cpuSpeedMhz: number | null;
  readonly memoryBytes: number | null;
  /** True for Apple Silicon (`chip_type` present). */
  readonly appleSilicon: boolean;
}

export interface SystemProfilerReport {
  readonly hardware: SystemProfilerHardware | null;
  readonly gpus: GpuInfo[];
  readonly npus: NpuInfo[];
  readonly cameras: CameraInfo[];
  readonly microphones: AudioDeviceInfo[];
  readonly speakers: AudioDeviceInfo[];
  /** Null when the document has no SPPowerDataType section. */
  readonly power: PowerInfo | null;
}

function items(doc: Record<string, unknown>, dataType: string): Record<string, unknown>[] {
  const list = doc[dataType];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function flag(value: unknown): boolean | null {
  if (typeof value !== 'string') return null;
  if (/^(true|yes|spaudio_yes)$/i.test(value)) return true;
  if (/^(false|no|spaudio_no)$/i.test(value)) return false;
  return null;
}

/** `proc 12:8:4` → total 12, 8 performance, 4 efficiency; a plain number on Intel Macs. */
function parseProcessorCount(value: unknown): {
  total: number | null;
  performance: number | null;
  efficiency: number | null;
} {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    return { total: value, performance: null, efficiency: null };
  }
  if (typeof value !== 'string') return { total: null, performance: null, efficiency: null };
  const match = /^proc\s+(\d+)(?::(\d+))?(?::(\d+))?/.exec(value.trim());
  if (match === null) return { total: parseWholeNumber(value), performance: null, efficiency: null };
  const total = parseWholeNumber(match[1]);
  const parts = value
    .trim()
    .slice(5)
    .split(':')
    .map((part) => parseWholeNumber(part));
  // Three fields: total:performance:efficiency. Four (newer macOS): total:0:performance:efficiency.
  const tiers = parts.length >= 4 ? parts.slice(2) : parts.slice(1);
  return {
    total: total !== null && total > 0 ? total : null,
    performance: tiers[0] ?? null,
    efficiency: tiers[1] ?? null,
  };
}

function parseHardware(item: Record<string, unknown>): SystemProfilerHardware {
  const chip = stringField(item, 'chip_type');
  const cpuType = stringField(item, 'cpu_type');
  const counts = parseProcessorCount(item['number_processors']);
  const speed = stringField(item, 'current_processor_speed');
  const speedMatch = speed === null ? null : /^([\d.]+)\s*(GHz|MHz)$/i.exec(speed);
  const speedNumber = speedMatch === null ? null : parseDecimal(speedMatch[1]);
  return {
    cpuModel: chip ?? cpuType,
    cpuCores: counts.total,
    performanceCores: counts.performance,
    efficiencyCores: counts.efficiency,
    cpuSpeedMhz:
      speedNumber === null
        ? null
        : /ghz/i.test(speedMatch?.[2] ?? '')
          ? Math.round(speedNumber * 1000)
          : speedNumber,
    memoryBytes: parseSizeText(stringField(item, 'physical_memory')),
    appleSilicon: chip !== null,
  };
}

/** `kHW_AMDRadeonPro5500MItem` → null (internal name); a readable `_name` otherwise. */
function readableName(item: Record<string, unknown>): string | null {
  const model = stringField(item, 'sppci_model');
  if (model !== null) return model;
  const name = stringField(item, '_name');
  return name === null || /^kHW_/.test(name) ? null : name;
}

function displayVendor(item: Record<string, unknown>, name: string): GpuInfo['vendor'] {
  const byName = vendorFromName(name);
  if (byName !== 'other') return byName;
  const vendor = (stringField(item, 'spdisplays_vendor') ?? '').toLowerCase();
  if (vendor.includes('apple')) return 'apple';
  if (vendor.includes('nvidia') || vendor.includes('10de')) return 'nvidia';
  if (vendor.includes('amd') || vendor.includes('ati') || vendor.includes('1002')) return 'amd';
  if (vendor.includes('intel') || vendor.includes('8086')) return 'intel';
  return 'other';
}

/** `spdisplays_metal3` → `Metal 3`; null when no Metal family is given. */
function metalFamily(item: Record<string, unknown>): string | null {
  const value =
    stringField(item, 'spdisplays_mtlgpufamilysupport') ??
    stringField(item, 'spdisplays_metalfamily') ??
    stringField(item, 'spdisplays_metal');
  if (value === null) return null;
  const match = /metal(\d+)$/i.exec(value);
  if (match !== null) return `Metal ${match[1]}`;
  const family = /mtlgpufamily(\w+)$/i.exec(value);
  if (family !== null) return `Metal GPU family ${family[1]}`;
  return /supported|metalfeatureset/i.test(value) ? 'Metal' : null;
}

function parseDisplays(
  list: readonly Record<string, unknown>[],
  hardware: SystemProfilerHardware | null,
): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const item of list) {
    const name = readableName(item);
    if (name === null) continue;
    const vendor = displayVendor(item, name);
    const metal = metalFamily(item);
    const unified = vendor === 'apple';
    const dedicated = parseSizeText(
      stringField(item, 'spdisplays_vram') ?? stringField(item, '_spdisplays_vram'),
    );
    const shared = parseSizeText(stringField(item, 'spdisplays_vram_shared'));
    gpus.push(
      makeGpu({
        vendor,
        name,
        vramBytes: unified ? (hardware?.memoryBytes ?? null) : (dedicated ?? shared),
        vramFreeBytes: null,
        unifiedMemory: unified,
        driver: null,
        computeCapability: metal,
        apis: metal !== null || unified ? ['metal'] : [],
        source: 'system_profiler',
      }),
    );
  }
  return gpus;
}

/**
 * Neural Engine cores by Apple's published specs: 16 on every M1–M5 chip and its Pro/Max, 32 on
 * the Ultra (two dies). Null for chips this table does not know.
 */
export function appleNeuralEngineCores(chip: string): number | null {
  if (!/^Apple M\d+/i.test(chip.trim())) return null;
  return /ultra/i.test(chip) ? 32 : 16;
}

function neuralEngine(hardware: SystemProfilerHardware | null): NpuInfo[] {
  if (hardware === null || !hardware.appleSilicon || hardware.cpuModel === null) return [];
  return [
    {
      vendor: 'apple',
      name: 'Apple Neural Engine',
      cores: appleNeuralEngineCores(hardware.cpuModel),
      source: 'system_profiler',
      canRun: [...(NPU_WORKLOADS['apple'] ?? [])],
    },
  ];
}

function parseCameras(list: readonly Record<string, unknown>[]): CameraInfo[] {
  const cameras: CameraInfo[] = [];
  for (const item of list) {
    const name = stringField(item, '_name') ?? stringField(item, 'spcamera_model-id');
    if (name === null) continue;
    const modelId = stringField(item, 'spcamera_model-id') ?? '';
    cameras.push({
      id: stringField(item, 'spcamera_unique-id') ?? name,
      name,
      driver: null,
      bus: /UVC|VendorID/i.test(modelId) ? 'usb' : null,
      formats: [],
      maxWidth: null,
      maxHeight: null,
      source: 'system_profiler',
    });
  }
  return cameras;
}

function channelCount(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return typeof value === 'string' ? (parseWholeNumber(value) ?? 0) : 0;
}

function parseAudio(list: readonly Record<string, unknown>[]): {
  microphones: AudioDeviceInfo[];
  speakers: AudioDeviceInfo[];
} {
  const microphones: AudioDeviceInfo[] = [];
  const speakers: AudioDeviceInfo[] = [];
  const devices = list.flatMap((group) =>
    Array.isArray(group['_items']) ? group['_items'].filter(isRecord) : [],
  );
  for (const device of devices) {
    const name = stringField(device, '_name');
    if (name === null) continue;
    const transport = stringField(device, 'coreaudio_device_transport') ?? '';
    if (/virtual|aggregate/i.test(transport)) continue; // software loopbacks, not hardware
    if (channelCount(device['coreaudio_device_input']) > 0) {
      microphones.push({
        id: name,
        name,
        kind: 'microphone',
        source: 'coreaudio',
        isDefault: flag(device['coreaudio_default_audio_input_device']) === true,
      });
    }
    if (channelCount(device['coreaudio_device_output']) > 0) {
      speakers.push({
        id: name,
        name,
        kind: 'speaker',
        source: 'coreaudio',
        isDefault: flag(device['coreaudio_default_audio_output_device']) === true,
      });
    }
  }
  return { microphones, speakers };
}

function parsePower(list: readonly Record<string, unknown>[]): PowerInfo {
  const battery = list.find((item) => stringField(item, '_name') === 'spbattery_information');
  const charger = list.find((item) => stringField(item, '_name') === 'sppower_ac_charger_information');
  const settings = list.find((item) => isRecord(item['AC Power']) || isRecord(item['Battery Power']));
  const onBattery =
    settings !== undefined && isRecord(settings['Battery Power'])
      ? flag(settings['Battery Power']['Current Power Source'])
      : null;
  const onAc =
    settings !== undefined && isRecord(settings['AC Power'])
      ? flag(settings['AC Power']['Current Power Source'])
      : null;
  const connected = charger === undefined ? null : flag(charger['sppower_battery_charger_connected']);
  let source: PowerInfo['source'] = 'unknown';
  if (onBattery === true) source = 'battery';
  else if (onAc === true || connected === true) source = 'ac';
  else if (connected === false && battery !== undefined) source = 'battery';
  else if (battery === undefined && settings !== undefined) source = 'ac'; // a desktop Mac
  if (battery === undefined) {
    return { source, hasBattery: false, batteryPercent: null, charging: null, timeRemainingMinutes: null };
  }
  const charge = isRecord(battery['sppower_battery_charge_info'])
    ? battery['sppower_battery_charge_info']
    : battery;
  let percent: number | null = null;
  const stateOfCharge = charge['sppower_battery_state_of_charge'];
  if (typeof stateOfCharge === 'number' && stateOfCharge >= 0 && stateOfCharge <= 100)
    percent = stateOfCharge;
  else {
    const current = charge['sppower_battery_current_capacity'];
    const max = charge['sppower_battery_max_capacity'];
    if (typeof current === 'number' && typeof max === 'number' && max > 0) {
      percent = Math.min(100, Math.max(0, Math.round((current / max) * 100)));
    }
  }
  return {
    source,
    hasBattery: true,
    batteryPercent: percent,
    charging: flag(charge['sppower_battery_is_charging']),
    timeRemainingMinutes: null,
  };
}

/** Parses the combined document; sections that are missing come back empty (power: null). */
export function parseSystemProfilerJson(text: string): SystemProfilerReport {
  const doc = parseJsonSafely(text);
  if (!isRecord(doc)) {
    return { hardware: null, gpus: [], npus: [], cameras: [], microphones: [], speakers: [], power: null };
  }
  const hardwareItem = items(doc, 'SPHardwareDataType')[0];
  const hardware = hardwareItem === undefined ? null : parseHardware(hardwareItem);
  const audio = parseAudio(items(doc, 'SPAudioDataType'));
  return {
    hardware,
    gpus: parseDisplays(items(doc, 'SPDisplaysDataType'), hardware),
    npus: neuralEngine(hardware),
    cameras: parseCameras(items(doc, 'SPCameraDataType')),
    microphones: audio.microphones,
    speakers: audio.speakers,
    power: Array.isArray(doc['SPPowerDataType']) ? parsePower(items(doc, 'SPPowerDataType')) : null,
  };
}
