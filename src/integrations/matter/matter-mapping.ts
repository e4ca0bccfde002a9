/**
 * Matter devices as Atmosphere capabilities (seed Part 5's table), decided from what a device says
 * it is (device types on each endpoint's Descriptor) and which server clusters it has, never from
 * its name. Pure: the bridge reads the device, this decides the capability.
 */
import type { CapabilityInput, ToolSpec, TriggerPriority } from '../../core/index.js';

/** Matter device type ids (Matter Device Library). */
export const MATTER_DEVICE_TYPES = {
  onOffLight: 0x0100,
  dimmableLight: 0x0101,
  colorTemperatureLight: 0x010c,
  extendedColorLight: 0x010d,
  onOffPlugInUnit: 0x010a,
  dimmablePlugInUnit: 0x010b,
  mountedOnOffControl: 0x010f,
  mountedDimmableLoadControl: 0x0110,
  onOffLightSwitch: 0x0103,
  dimmerSwitch: 0x0104,
  colorDimmerSwitch: 0x0105,
  genericSwitch: 0x000f,
  doorLock: 0x000a,
  thermostat: 0x0301,
  contactSensor: 0x0015,
  occupancySensor: 0x0107,
  temperatureSensor: 0x0302,
} as const;

/** Matter cluster ids the mapping looks at. */
export const MATTER_CLUSTERS = {
  onOff: 0x0006,
  levelControl: 0x0008,
  colorControl: 0x0300,
  doorLock: 0x0101,
  thermostat: 0x0201,
  booleanState: 0x0045,
  occupancySensing: 0x0406,
  temperatureMeasurement: 0x0402,
  switch: 0x003b,
} as const;

const T = MATTER_DEVICE_TYPES;
const C = MATTER_CLUSTERS;

const LIGHTS: readonly number[] = [
  T.onOffLight,
  T.dimmableLight,
  T.colorTemperatureLight,
  T.extendedColorLight,
];
const PLUGS: readonly number[] = [
  T.onOffPlugInUnit,
  T.dimmablePlugInUnit,
  T.mountedOnOffControl,
  T.mountedDimmableLoadControl,
];
const SWITCHES: readonly number[] = [
  T.onOffLightSwitch,
  T.dimmerSwitch,
  T.colorDimmerSwitch,
  T.genericSwitch,
];

/** What a mapped endpoint is, which decides its tools, triggers and the commands they send. */
export type MatterDeviceKind =
  'light' | 'plug' | 'switch' | 'lock' | 'hvac' | 'contact' | 'motion' | 'temperature';

export const CAPABILITY_TYPE_OF_KIND: Readonly<Record<MatterDeviceKind, string>> = {
  light: 'iot/light',
  plug: 'iot/plug',
  switch: 'iot/switch',
  lock: 'iot/lock',
  hvac: 'iot/hvac',
  contact: 'sensor/contact',
  motion: 'sensor/motion',
  temperature: 'sensor/temperature',
};

/** One endpoint of a device as its Descriptor cluster describes it. */
export interface MatterEndpointInfo {
  readonly endpoint: number;
  readonly deviceTypes: readonly number[];
  /** Server cluster ids. */
  readonly clusters: readonly number[];
}

/** A commissioned device, read from its Basic Information and Descriptor clusters. */
export interface MatterNodeInfo {
  /** The bridge's id of the device (matter.js peer id, e.g. `peer1`). */
  readonly deviceId: string;
  readonly vendor: string | null;
  readonly product: string | null;
  /** The device's own label (Basic Information `nodeLabel`), else the owner's label at pairing. */
  readonly label: string | null;
  /** From a `room` fixed/user label, or what the owner gave at pairing. */
  readonly room: string | null;
  readonly endpoints: readonly MatterEndpointInfo[];
}

/** One capability a device endpoint becomes. */
export interface MappedCapability {
  readonly capabilityId: string;
  readonly deviceId: string;
  readonly endpoint: number;
  readonly kind: MatterDeviceKind;
  readonly capability: CapabilityInput & { id: string; type: string };
}

function has(list: readonly number[], ...ids: number[]): boolean {
  return ids.some((id) => list.includes(id));
}

/** The kind of an endpoint: device types first, then (for devices that declare none we know) clusters. */
export function kindOfEndpoint(ep: MatterEndpointInfo): MatterDeviceKind | null {
  const { deviceTypes: types, clusters } = ep;
  if (has(types, T.doorLock) || has(clusters, C.doorLock)) return 'lock';
  if (has(types, T.thermostat) || (has(clusters, C.thermostat) && !has(types, ...LIGHTS))) return 'hvac';
  if (has(types, ...LIGHTS)) return 'light';
  if (has(types, ...PLUGS)) return 'plug';
  if (has(types, T.contactSensor)) return 'contact';
  if (has(types, T.occupancySensor) || has(clusters, C.occupancySensing)) return 'motion';
  if (has(types, T.temperatureSensor) || has(clusters, C.temperatureMeasurement)) return 'temperature';
  if (has(types, ...SWITCHES)) return 'switch';
  if (has(clusters, C.booleanState)) return 'contact';
  if (has(clusters, C.onOff)) return has(clusters, C.colorControl) ? 'light' : 'switch';
  return null;
}

/** `Kitchen Light #2` → `kitchen-light-2` (at most 40 characters, never empty). */
export function slugOf(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug || 'device';
}

function tool(name: string, description: string, parameters?: Record<string, unknown>): ToolSpec {
  return parameters ? { name, description, parameters } : { name, description };
}

function trigger(
  name: string,
  description: string,
  priority: TriggerPriority,
): { name: string; description: string; priority: TriggerPriority } {
  return { name, description, priority };
}

const ON_OFF_TOOLS = (what: string): ToolSpec[] => [
  tool('on', `Turn the ${what} on, switch it on.`),
  tool('off', `Turn the ${what} off, switch it off.`),
  tool('toggle', `Toggle the ${what}: on if it is off, off if it is on.`),
  tool('get_status', `Whether the ${what} is on or off.`),
];

function toolsAndTriggers(
  kind: MatterDeviceKind,
  clusters: readonly number[],
): { tools: ToolSpec[]; triggers: ReturnType<typeof trigger>[] } {
  switch (kind) {
    case 'light': {
      const tools = ON_OFF_TOOLS('light');
      if (has(clusters, C.levelControl)) {
        tools.push(
          tool('set_brightness', 'Dim or brighten the light: brightness in percent.', {
            type: 'object',
            properties: { percent: { type: 'number', minimum: 0, maximum: 100 } },
            required: ['percent'],
          }),
        );
      }
      if (has(clusters, C.colorControl)) {
        tools.push(
          tool('set_color', 'Change the colour of the light: hue and saturation, or a white temperature.', {
            type: 'object',
            properties: {
              hue: { type: 'number', minimum: 0, maximum: 360 },
              saturation: { type: 'number', minimum: 0, maximum: 100 },
              kelvin: { type: 'number', minimum: 1000, maximum: 10000 },
            },
          }),
        );
      }
      return { tools, triggers: [] };
    }
    case 'plug':
      return { tools: ON_OFF_TOOLS('plug'), triggers: [] };
    case 'switch':
      return {
        tools: has(clusters, C.onOff) ? ON_OFF_TOOLS('switch') : [],
        triggers: has(clusters, C.switch) ? [trigger('pressed', 'The switch was pressed.', 'normal')] : [],
      };
    case 'lock':
      return {
        tools: [
          tool('lock', 'Lock the door.'),
          tool('unlock', 'Unlock the door, open the lock.'),
          tool('get_status', 'Whether the door is locked or unlocked.'),
        ],
        triggers: [
          trigger('locked', 'The door was locked.', 'normal'),
          trigger('unlocked', 'The door was unlocked.', 'high'),
          trigger('tamper', 'Someone tampered with the lock or forced the door.', 'critical'),
          trigger('alarm', 'The lock raised an alarm (jammed, reset, power cycled).', 'high'),
        ],
      };
    case 'hvac':
      return {
        tools: [
          tool('set_temp', 'Set the target temperature of the heating or cooling, in °C.', {
            type: 'object',
            properties: { celsius: { type: 'number', minimum: 5, maximum: 35 } },
            required: ['celsius'],
          }),
          tool('get_temp', 'The room temperature and the target temperature, in °C.'),
          tool('set_mode', 'Set the thermostat mode: off, heat, cool or auto.', {
            type: 'object',
            properties: { mode: { type: 'string', enum: ['off', 'heat', 'cool', 'auto'] } },
            required: ['mode'],
          }),
        ],
        triggers: [
          trigger('temp_reached', 'The room reached the target temperature.', 'normal'),
          trigger('mode_changed', 'The thermostat mode changed.', 'normal'),
        ],
      };
    case 'contact':
      return {
        tools: [tool('get_status', 'Whether the door or window is open or closed.')],
        triggers: [
          trigger('opened', 'The door or window was opened.', 'high'),
          trigger('closed', 'The door or window was closed.', 'normal'),
        ],
      };
    case 'motion':
      return {
        tools: [tool('get_status', 'Whether motion or presence is detected now.')],
        triggers: [trigger('motion_detected', 'Motion or presence was detected.', 'high')],
      };
    case 'temperature':
      return {
        tools: [tool('get_reading', 'The current temperature, in °C.')],
        triggers: [trigger('threshold_crossed', 'The temperature crossed a configured threshold.', 'normal')],
      };
  }
}

const KIND_WORDS: Readonly<Record<MatterDeviceKind, string>> = {
  light: 'light (lamp)',
  plug: 'smart plug (outlet)',
  switch: 'switch',
  lock: 'door lock',
  hvac: 'thermostat (heating and cooling)',
  contact: 'door or window contact sensor',
  motion: 'motion and presence sensor',
  temperature: 'temperature sensor',
};

/**
 * The capabilities of one device: one per endpoint of a kind we know (a power strip with two
 * outlets is two plugs). Ids are `matter/<label-slug>-<deviceId>`, plus `-ep<n>` when the device
 * has several mapped endpoints; they stay the same across restarts.
 */
export function mapMatterNode(info: MatterNodeInfo): MappedCapability[] {
  const mapped = info.endpoints
    .filter((ep) => ep.endpoint !== 0)
    .map((ep) => ({ ep, kind: kindOfEndpoint(ep) }))
    .filter((m): m is { ep: MatterEndpointInfo; kind: MatterDeviceKind } => m.kind !== null);
  const name = info.label ?? info.product ?? info.deviceId;
  const base = `matter/${slugOf(name)}-${slugOf(info.deviceId)}`;
  return mapped.map(({ ep, kind }) => {
    const { tools, triggers } = toolsAndTriggers(kind, ep.clusters);
    const where = info.room ? ` in the ${info.room}` : '';
    const made = [info.product, info.vendor ? `by ${info.vendor}` : null].filter(Boolean).join(' ');
    const description = `${name}: a Matter ${KIND_WORDS[kind]}${where}${made ? ` (${made})` : ''}.`;
    const metadata: Record<string, unknown> = {
      integration: 'matter',
      matterDevice: info.deviceId,
      endpoint: ep.endpoint,
      deviceTypes: [...ep.deviceTypes],
      vendor: info.vendor,
      product: info.product,
      label: info.label,
    };
    if (info.room) metadata.room = info.room;
    const capabilityId = mapped.length > 1 ? `${base}-ep${ep.endpoint}` : base;
    return {
      capabilityId,
      deviceId: info.deviceId,
      endpoint: ep.endpoint,
      kind,
      capability: {
        id: capabilityId,
        type: CAPABILITY_TYPE_OF_KIND[kind],
        description,
        tools,
        triggers,
        metadata,
        workType: kind === 'contact' || kind === 'motion' || kind === 'temperature' ? 'sensing' : 'actuation',
      },
    };
  });
}

/** Room from a device's fixed or user labels (`{label: "room", value: "Kitchen"}`), if any. */
export function roomFromLabels(labels: readonly { label: string; value: string }[]): string | null {
  const room = labels.find((l) => /^(room|location|area)$/i.test(l.label.trim()));
  return room && room.value.trim() ? room.value.trim().toLowerCase() : null;
}

/** Readings that crossed a threshold between `previous` and `current` (°C), in order. */
export function crossedThresholds(
  previous: number | null,
  current: number,
  thresholds: readonly number[],
): { threshold: number; direction: 'rising' | 'falling' }[] {
  if (previous === null || previous === current) return [];
  const rising = current > previous;
  return [...thresholds]
    .sort((a, b) => (rising ? a - b : b - a))
    .filter((t) => (rising ? previous < t && current >= t : previous > t && current <= t))
    .map((threshold) => ({ threshold, direction: rising ? 'rising' : 'falling' }));
}
