import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../../src/core/index.js';
import type { TriggerEmitter } from '../contract.js';
import { MotionCapability } from './motion.js';
import type { MotionWindow } from './motion.js';

const signal = (): AbortSignal => new AbortController().signal;

type Answer = 'granted' | 'denied';

/** A window with motion events the test dispatches; `ios` adds `requestPermission`. */
function fakeWindow(options: { motion?: boolean; ios?: Answer } = {}) {
  const target = new EventTarget();
  const permissionCalls: string[] = [];
  const ctor = (name: string) =>
    options.ios === undefined
      ? {}
      : {
          requestPermission: () => {
            permissionCalls.push(name);
            return Promise.resolve(options.ios!);
          },
        };
  const window: MotionWindow = {
    addEventListener: (type, listener) => target.addEventListener(type, listener),
    removeEventListener: (type, listener) => target.removeEventListener(type, listener),
    ...(options.motion === false
      ? {}
      : { DeviceMotionEvent: ctor('motion'), DeviceOrientationEvent: ctor('orientation') }),
  };
  const motion = (x: number | null, y: number | null, z: number | null): void => {
    target.dispatchEvent(
      Object.assign(new Event('devicemotion'), { accelerationIncludingGravity: { x, y, z } }),
    );
  };
  const orientation = (alpha: number | null, beta: number | null, gamma: number | null): void => {
    target.dispatchEvent(Object.assign(new Event('deviceorientation'), { alpha, beta, gamma }));
  };
  return { window, motion, orientation, permissionCalls };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('phone/motion', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the accelerometer from the next devicemotion event', async () => {
    const fake = fakeWindow();
    const capability = new MotionCapability({ window: fake.window, clock: new ManualClock(77) });
    const reading = capability.run('get_accel', {}, { signal: signal() });
    await tick();
    fake.motion(null, null, null); // no data yet: keeps waiting
    fake.motion(0.1, 0.2, 9.8);
    expect(await reading).toEqual({ x: 0.1, y: 0.2, z: 9.8, timestampMs: 77 });
  });

  it('reads orientation angles for get_gyro', async () => {
    const fake = fakeWindow();
    const capability = new MotionCapability({ window: fake.window, clock: new ManualClock(5) });
    const reading = capability.run('get_gyro', {}, { signal: signal() });
    await tick();
    fake.orientation(10, 20, -30);
    expect(await reading).toEqual({ alpha: 10, beta: 20, gamma: -30, timestampMs: 5 });
  });

  it('fails clearly when no reading arrives within 2 s', async () => {
    vi.useFakeTimers();
    const fake = fakeWindow();
    const capability = new MotionCapability({ window: fake.window, clock: new ManualClock() });
    const reading = capability.run('get_accel', {}, { signal: signal() });
    const outcome = expect(reading).rejects.toMatchObject({
      code: 'unavailable',
      message: 'no accelerometer reading within 2 s: this device seems to have no accelerometer',
    });
    await vi.advanceTimersByTimeAsync(2_000);
    await outcome;
  });

  it('fails clearly without motion events at all', async () => {
    const fake = fakeWindow({ motion: false });
    const capability = new MotionCapability({ window: fake.window, clock: new ManualClock() });
    await expect(capability.run('get_accel', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('asks iOS for permission and reports a refusal', async () => {
    const fake = fakeWindow({ ios: 'denied' });
    const capability = new MotionCapability({ window: fake.window, clock: new ManualClock() });
    await expect(capability.run('get_accel', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'the owner did not allow motion sensors on this phone',
    });
    expect(fake.permissionCalls).toEqual(['motion']);
  });

  it('reads after iOS grants permission', async () => {
    const fake = fakeWindow({ ios: 'granted' });
    const capability = new MotionCapability({ window: fake.window, clock: new ManualClock() });
    const reading = capability.run('get_accel', {}, { signal: signal() });
    await tick();
    fake.motion(1, 2, 3);
    expect(await reading).toMatchObject({ x: 1, y: 2, z: 3 });
    expect(fake.permissionCalls).toEqual(['motion', 'orientation']);
  });

  it('fires shake_detected and orientation while watched, nothing after', () => {
    const fake = fakeWindow();
    const clock = new ManualClock(0);
    const capability = new MotionCapability({ window: fake.window, clock });
    const events: [string, unknown][] = [];
    const emit: TriggerEmitter = (trigger, payload) => events.push([trigger, payload]);
    const stop = capability.watch(emit);
    const at = (ms: number, x: number, y: number, z: number) => {
      clock.set(ms);
      fake.motion(x, y, z);
    };
    at(0, 0, 9.8, 0); // portrait, recorded silently
    at(600, 0, 9.8, 0);
    for (const t of [700, 900, 1100]) {
      at(t, 0, 30, 0);
      at(t + 50, 0, 9.8, 0);
    }
    at(3000, 9.8, 0, 0);
    at(3600, 9.8, 0, 0); // landscape held 600 ms
    expect(events).toEqual([
      ['shake_detected', { peaks: 3, maxAccelerationMps2: 30, timestampMs: 1100 }],
      ['orientation', { orientation: 'landscape', timestampMs: 3600 }],
    ]);
    stop();
    for (const t of [5000, 5200, 5400]) at(t, 0, 30, 0);
    expect(events).toHaveLength(2);
  });
});
