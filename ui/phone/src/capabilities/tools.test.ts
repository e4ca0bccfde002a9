import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  ManualClock,
  UnknownToolError,
  capabilitySchema,
} from '../../../../src/core/index.js';
import type { PhoneCapability } from '../contract.js';
import { MemoryStorage, PhoneSettingsStore } from '../settings.js';
import {
  CameraCapability,
  LocationCapability,
  MicrophoneCapability,
  MotionCapability,
  NotifyCapability,
  PHONE_CAPABILITY_IDS,
} from './index.js';
import { bytesToBase64 } from './tools.js';

const signal = (): AbortSignal => new AbortController().signal;
const unused = (): never => {
  throw new Error('the device must not be touched for bad arguments');
};

/** Every capability over devices that fail the test if touched. */
function capabilities(): PhoneCapability[] {
  const clock = new ManualClock();
  const settings = new PhoneSettingsStore({ storage: new MemoryStorage() });
  return [
    new CameraCapability({ camera: { open: unused }, decodeQr: unused, clock }),
    new MicrophoneCapability({ audio: { open: unused }, clock }),
    new LocationCapability({
      geolocation: { getCurrentPosition: unused, watchPosition: unused, clearWatch: unused },
      settings,
      clock,
    }),
    new MotionCapability({
      window: { addEventListener: unused, removeEventListener: unused, DeviceMotionEvent: {} },
      clock,
    }),
    new NotifyCapability({ Notification: undefined, serviceWorker: undefined }),
  ];
}

describe('phone capability specs', () => {
  it('are valid announcements with the ids, types and labels the screens expect', () => {
    const all = capabilities();
    expect(all.map((c) => c.spec.id)).toEqual([...PHONE_CAPABILITY_IDS]);
    expect(all.map((c) => [c.spec.type, c.label])).toEqual([
      ['sensor/camera', 'Camera'],
      ['audio/capture', 'Microphone'],
      ['sensor/location', 'Location'],
      ['sensor/motion', 'Motion'],
      ['notify/push', 'Notifications'],
    ]);
    for (const capability of all) {
      const parsed = capabilitySchema.safeParse({ ...capability.spec, nodeId: '12D3KooWPhone' });
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  it('name the tools and triggers of the seed, with JSON Schema arguments', () => {
    const byId = Object.fromEntries(capabilities().map((c) => [c.spec.id, c.spec]));
    expect(byId['phone/camera']?.tools.map((t) => t.name)).toEqual(['take_photo', 'scan_qr']);
    expect(byId['phone/camera']?.triggers.map((t) => t.name)).toEqual(['photo_taken', 'qr_scanned']);
    expect(byId['phone/microphone']?.tools.map((t) => t.name)).toEqual(['start_recording', 'stop']);
    expect(byId['phone/location']?.triggers).toContainEqual(
      expect.objectContaining({ name: 'geofence', priority: 'high' }),
    );
    expect(byId['phone/location']?.description).toContain('where is my phone');
    expect(byId['phone/motion']?.triggers.map((t) => t.name)).toEqual(['shake_detected', 'orientation']);
    expect(byId['phone/camera']?.tools[0]?.parameters).toMatchObject({
      type: 'object',
      properties: { facing: { enum: ['user', 'environment'] }, maxWidth: { type: 'integer' } },
      additionalProperties: false,
    });
  });
});

describe('tool arguments', () => {
  it.each([
    ['phone/camera', 'take_photo', { facing: 'sideways' }, 'facing'],
    ['phone/camera', 'take_photo', { maxWidth: 10 }, 'maxWidth'],
    ['phone/camera', 'scan_qr', { timeoutMs: '10s' }, 'timeoutMs'],
    ['phone/camera', 'take_photo', { max_width: 640 }, 'max_width'],
    ['phone/microphone', 'start_recording', { maxSeconds: 0 }, 'maxSeconds'],
    ['phone/microphone', 'stop', { now: true }, 'now'],
    ['phone/location', 'get_location', { maxAgeMs: -1 }, 'maxAgeMs'],
    ['phone/motion', 'get_accel', { rate: 60 }, 'rate'],
    ['phone/notify', 'notify', {}, 'title'],
    ['phone/notify', 'notify', { title: '   ' }, 'title'],
    ['phone/notify', 'notify', { title: 'x', body: 7 }, 'body'],
  ])('%s %s refuses %j as invalid_input naming %s', async (id, tool, args, field) => {
    const capability = capabilities().find((c) => c.spec.id === id)!;
    const failure = await capability.run(tool, args, { signal: signal() }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect((failure as InvalidInputError).code).toBe('invalid_input');
    expect((failure as Error).message).toContain(`${id} ${tool}: `);
    expect((failure as Error).message).toContain(field);
  });

  it('refuses a tool the capability does not have', async () => {
    for (const capability of capabilities()) {
      const failure = await capability
        .run('self_destruct', {}, { signal: signal() })
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(UnknownToolError);
      expect((failure as UnknownToolError).code).toBe('unknown_tool');
      expect((failure as Error).message).toContain('has no tool "self_destruct"');
    }
  });
});

describe('bytesToBase64', () => {
  it('encodes like the standard alphabet, also past one chunk', () => {
    expect(bytesToBase64(new Uint8Array([]))).toBe('');
    expect(bytesToBase64(new TextEncoder().encode('hello'))).toBe('aGVsbG8=');
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString('base64'));
  });
});
