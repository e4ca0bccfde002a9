import { describe, expect, it } from 'vitest';
import { parseCapability } from '../../core/index.js';
import type { MatterNodeInfo } from './matter-mapping.js';
import {
  MATTER_CLUSTERS as C,
  MATTER_DEVICE_TYPES as T,
  crossedThresholds,
  kindOfEndpoint,
  mapMatterNode,
  roomFromLabels,
  slugOf,
} from './matter-mapping.js';

function node(endpoints: MatterNodeInfo['endpoints'], extra: Partial<MatterNodeInfo> = {}): MatterNodeInfo {
  return {
    deviceId: 'peer7',
    vendor: 'Acme',
    product: 'Bulb 9',
    label: 'Kitchen light',
    room: 'kitchen',
    endpoints,
    ...extra,
  };
}

describe('kindOfEndpoint', () => {
  it('decides by device type before clusters', () => {
    expect(
      kindOfEndpoint({ endpoint: 1, deviceTypes: [T.dimmableLight], clusters: [C.onOff, C.levelControl] }),
    ).toBe('light');
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [T.onOffPlugInUnit], clusters: [C.onOff] })).toBe(
      'plug',
    );
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [T.contactSensor], clusters: [C.booleanState] })).toBe(
      'contact',
    );
    expect(
      kindOfEndpoint({ endpoint: 1, deviceTypes: [T.occupancySensor], clusters: [C.occupancySensing] }),
    ).toBe('motion');
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [T.thermostat], clusters: [C.thermostat] })).toBe(
      'hvac',
    );
  });

  it('falls back to clusters for a device type it does not know', () => {
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [0xfff1], clusters: [C.doorLock] })).toBe('lock');
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [0xfff1], clusters: [C.temperatureMeasurement] })).toBe(
      'temperature',
    );
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [0xfff1], clusters: [C.onOff] })).toBe('switch');
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [0xfff1], clusters: [C.onOff, C.colorControl] })).toBe(
      'light',
    );
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [0xfff1], clusters: [C.booleanState] })).toBe(
      'contact',
    );
  });

  it('ignores endpoints with nothing it can use, whatever the device is called', () => {
    expect(kindOfEndpoint({ endpoint: 1, deviceTypes: [0x0016], clusters: [0x0028, 0x001d] })).toBeNull();
  });
});

describe('mapMatterNode', () => {
  it('makes a dimmable light an iot/light with on, off, toggle and set_brightness but no set_color', () => {
    const [cap] = mapMatterNode(
      node([
        { endpoint: 0, deviceTypes: [0x0016], clusters: [0x0028] },
        { endpoint: 1, deviceTypes: [T.dimmableLight], clusters: [C.onOff, C.levelControl] },
      ]),
    );
    expect(cap?.capability.type).toBe('iot/light');
    expect(cap?.capabilityId).toBe('matter/kitchen-light-peer7');
    expect(cap?.capability.tools?.map((t) => t.name)).toEqual([
      'on',
      'off',
      'toggle',
      'get_status',
      'set_brightness',
    ]);
    expect(cap?.capability.metadata).toMatchObject({
      room: 'kitchen',
      vendor: 'Acme',
      product: 'Bulb 9',
      endpoint: 1,
    });
    expect(cap?.capability.description).toMatch(/Kitchen light.*light.*in the kitchen/);
  });

  it('adds set_color to a light with ColorControl', () => {
    const [cap] = mapMatterNode(
      node([
        {
          endpoint: 1,
          deviceTypes: [T.extendedColorLight],
          clusters: [C.onOff, C.levelControl, C.colorControl],
        },
      ]),
    );
    expect(cap?.capability.tools?.map((t) => t.name)).toContain('set_color');
  });

  it('gives a lock locked, unlocked and a critical tamper trigger', () => {
    const [cap] = mapMatterNode(node([{ endpoint: 1, deviceTypes: [T.doorLock], clusters: [C.doorLock] }]));
    expect(cap?.capability.type).toBe('iot/lock');
    expect(cap?.capability.tools?.map((t) => t.name)).toEqual(['lock', 'unlock', 'get_status']);
    const triggers = Object.fromEntries((cap?.capability.triggers ?? []).map((t) => [t.name, t.priority]));
    expect(triggers).toMatchObject({ locked: 'normal', unlocked: 'high', tamper: 'critical' });
  });

  it('maps thermostats, contact, motion and temperature sensors per the seed table', () => {
    const kinds = (types: number[], clusters: number[]) =>
      mapMatterNode(node([{ endpoint: 1, deviceTypes: types, clusters }]))[0]?.capability;
    expect(kinds([T.thermostat], [C.thermostat])).toMatchObject({
      type: 'iot/hvac',
      tools: [{ name: 'set_temp' }, { name: 'get_temp' }, { name: 'set_mode' }],
      triggers: [{ name: 'temp_reached' }, { name: 'mode_changed' }],
    });
    expect(kinds([T.contactSensor], [C.booleanState])).toMatchObject({
      type: 'sensor/contact',
      triggers: [{ name: 'opened' }, { name: 'closed' }],
    });
    expect(kinds([T.occupancySensor], [C.occupancySensing])).toMatchObject({
      type: 'sensor/motion',
      triggers: [{ name: 'motion_detected' }],
    });
    expect(kinds([T.temperatureSensor], [C.temperatureMeasurement])).toMatchObject({
      type: 'sensor/temperature',
      tools: [{ name: 'get_reading' }],
      triggers: [{ name: 'threshold_crossed' }],
    });
  });

  it('makes one capability per outlet of a power strip, each with its endpoint in the id', () => {
    const caps = mapMatterNode(
      node(
        [
          { endpoint: 1, deviceTypes: [T.onOffPlugInUnit], clusters: [C.onOff] },
          { endpoint: 2, deviceTypes: [T.onOffPlugInUnit], clusters: [C.onOff] },
        ],
        { label: 'Desk strip', room: null },
      ),
    );
    expect(caps.map((c) => c.capabilityId)).toEqual([
      'matter/desk-strip-peer7-ep1',
      'matter/desk-strip-peer7-ep2',
    ]);
    expect(caps.every((c) => c.capability.type === 'iot/plug')).toBe(true);
  });

  it('produces capabilities that pass the capability schema', () => {
    for (const mapped of mapMatterNode(
      node([
        { endpoint: 1, deviceTypes: [T.dimmableLight], clusters: [C.onOff, C.levelControl] },
        { endpoint: 2, deviceTypes: [T.doorLock], clusters: [C.doorLock] },
        { endpoint: 3, deviceTypes: [T.thermostat], clusters: [C.thermostat] },
      ]),
    )) {
      expect(() => parseCapability(mapped.capability, { nodeId: 'n1' })).not.toThrow();
    }
  });

  it('names a device without a label by its product, then its id', () => {
    const ep = [{ endpoint: 1, deviceTypes: [T.onOffLight], clusters: [C.onOff] }];
    expect(mapMatterNode(node(ep, { label: null }))[0]?.capabilityId).toBe('matter/bulb-9-peer7');
    expect(mapMatterNode(node(ep, { label: null, product: null }))[0]?.capabilityId).toBe(
      'matter/peer7-peer7',
    );
  });
});

describe('helpers', () => {
  it('slugs labels into id-safe words', () => {
    expect(slugOf('Kitchen Light #2')).toBe('kitchen-light-2');
    expect(slugOf('***')).toBe('device');
  });

  it('reads the room from fixed or user labels', () => {
    expect(roomFromLabels([{ label: 'Room', value: 'Kitchen' }])).toBe('kitchen');
    expect(roomFromLabels([{ label: 'colour', value: 'red' }])).toBeNull();
  });

  it('reports each threshold a reading crossed, in the direction it moved', () => {
    expect(crossedThresholds(20, 27.5, [16, 26])).toEqual([{ threshold: 26, direction: 'rising' }]);
    expect(crossedThresholds(27, 15, [16, 26])).toEqual([
      { threshold: 26, direction: 'falling' },
      { threshold: 16, direction: 'falling' },
    ]);
    expect(crossedThresholds(null, 30, [26])).toEqual([]);
    expect(crossedThresholds(26, 26.5, [26])).toEqual([]);
  });
});
