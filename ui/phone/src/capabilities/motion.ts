/**
 * `phone/motion` (`sensor/motion`): `get_accel` (accelerometer, m/s² with gravity) and `get_gyro`
 * (orientation angles, degrees) from the browser's `devicemotion` and `deviceorientation` events;
 * while exposed it fires `shake_detected` and `orientation` (portrait/landscape changes). On iOS
 * the browser's permission is asked through `DeviceMotionEvent.requestPermission` on first use.
 */
import { z } from 'zod';
import { AbortedError, ForbiddenError, UnavailableError } from '../../../../src/core/index.js';
import type { Clock } from '../../../../src/core/index.js';
import type { PhoneCapability, PhoneCapabilitySpec, TriggerEmitter } from '../contract.js';
import { OrientationDetector, ShakeDetector } from './motion-detectors.js';
import type { OrientationDetectorInit, ShakeDetectorInit, Vector3 } from './motion-detectors.js';
import { parseArgs, throwIfAborted, toolSpecs, unknownTool } from './tools.js';

type PermissionAnswer = 'granted' | 'denied' | 'default' | 'prompt';

/** iOS 13+ has this static method on the event constructors; other browsers do not. */
interface SensorEventConstructor {
  requestPermission?: () => Promise<PermissionAnswer>;
}

/** The part of `window` the motion capability uses. */
export interface MotionWindow {
  addEventListener(type: 'devicemotion' | 'deviceorientation', listener: (event: Event) => void): void;
  removeEventListener(type: 'devicemotion' | 'deviceorientation', listener: (event: Event) => void): void;
  readonly DeviceMotionEvent?: SensorEventConstructor;
  readonly DeviceOrientationEvent?: SensorEventConstructor;
}

export const motionArgs = {
  get_accel: z.strictObject({}),
  get_gyro: z.strictObject({}),
};

export interface AccelReading extends Vector3 {
  readonly timestampMs: number;
}

export interface GyroReading {
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly timestampMs: number;
}

export interface MotionCapabilityComponents {
  readonly window: MotionWindow;
  readonly clock: Clock;
}

export interface MotionCapabilityInit {
  /** How long a tool waits for the first reading. Default 2000 ms. */
  readonly readingTimeoutMs?: number;
  readonly shake?: ShakeDetectorInit;
  readonly orientation?: OrientationDetectorInit;
}

const ID = 'phone/motion';

const TOOLS = [
  {
    name: 'get_accel',
    description:
      "Read the phone's accelerometer: x, y, z in m/s², gravity included (lying flat, z is about 9.8).",
    args: motionArgs.get_accel,
  },
  {
    name: 'get_gyro',
    description:
      "Read the phone's orientation from its gyroscope: alpha (compass-like, 0–360), beta (front-back tilt, -180–180) and gamma (left-right tilt, -90–90), degrees.",
    args: motionArgs.get_gyro,
  },
];

function accelerationOf(event: Event): Vector3 | null {
  const a = (event as Partial<DeviceMotionEvent>).accelerationIncludingGravity;
  if (a === null || a === undefined || a.x === null || a.y === null || a.z === null) return null;
  return { x: a.x, y: a.y, z: a.z };
}

function anglesOf(event: Event): { alpha: number; beta: number; gamma: number } | null {
  const { alpha, beta, gamma } = event as Partial<DeviceOrientationEvent>;
  if (typeof alpha !== 'number' || typeof beta !== 'number' || typeof gamma !== 'number') return null;
  return { alpha, beta, gamma };
}

export class MotionCapability implements PhoneCapability {
  readonly label = 'Motion';
  readonly spec: PhoneCapabilitySpec = {
    id: ID,
    type: 'sensor/motion',
    description:
      "The phone's accelerometer and gyroscope: read acceleration and tilt, and tell when the phone is shaken or turned between portrait and landscape.",
    tools: toolSpecs(TOOLS),
    triggers: [
      {
        name: 'shake_detected',
        description: 'The phone was shaken (several sharp movements within a second).',
        priority: 'normal',
      },
      {
        name: 'orientation',
        description: 'The phone turned between portrait and landscape.',
        priority: 'low',
      },
    ],
    metadata: { platform: 'browser', device: 'phone' },
  };

  private readonly components: MotionCapabilityComponents;
  private readonly init: MotionCapabilityInit;
  private permission: Promise<void> | null = null;

  constructor(components: MotionCapabilityComponents, init: MotionCapabilityInit = {}) {
    this.components = components;
    this.init = init;
  }

  async run(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown> {
    switch (tool) {
      case 'get_accel': {
        parseArgs(ID, tool, motionArgs.get_accel, args);
        const a = await this.nextReading('devicemotion', accelerationOf, 'accelerometer', options.signal);
        return { x: a.x, y: a.y, z: a.z, timestampMs: this.components.clock.now() } satisfies AccelReading;
      }
      case 'get_gyro': {
        parseArgs(ID, tool, motionArgs.get_gyro, args);
        const g = await this.nextReading('deviceorientation', anglesOf, 'gyroscope', options.signal);
        return { ...g, timestampMs: this.components.clock.now() } satisfies GyroReading;
      }
      default:
        throw unknownTool(
          ID,
          tool,
          TOOLS.map((t) => t.name),
        );
    }
  }

  watch(emit: TriggerEmitter): () => void {
    const { window, clock } = this.components;
    if (window.DeviceMotionEvent === undefined) return () => undefined;
    const shakes = new ShakeDetector(this.init.shake);
    const orientations = new OrientationDetector(this.init.orientation);
    const onMotion = (event: Event): void => {
      const reading = accelerationOf(event);
      if (reading === null) return;
      const atMs = clock.now();
      const shake = shakes.update(reading, atMs);
      if (shake !== null) emit('shake_detected', { ...shake, timestampMs: atMs });
      const turned = orientations.update(reading, atMs);
      if (turned !== null) emit('orientation', { orientation: turned, timestampMs: atMs });
    };
    window.addEventListener('devicemotion', onMotion);
    // without permission (iOS) no events arrive and nothing fires; a tool call reports why
    this.askPermission().catch(() => undefined);
    return () => window.removeEventListener('devicemotion', onMotion);
  }

  /** Asks iOS for motion access once; other browsers need no prompt. */
  private askPermission(): Promise<void> {
    this.permission ??= (async () => {
      const { DeviceMotionEvent: motion, DeviceOrientationEvent: orientation } = this.components.window;
      for (const constructor of [motion, orientation]) {
        const request = constructor?.requestPermission;
        if (request === undefined) continue;
        let answer: PermissionAnswer;
        try {
          answer = await request.call(constructor);
        } catch (err) {
          throw new ForbiddenError(
            'the browser did not ask for motion access (iOS asks only after a tap in the app: open Atmosphere on the phone and try again)',
            { cause: err },
          );
        }
        if (answer !== 'granted')
          throw new ForbiddenError('the owner did not allow motion sensors on this phone');
      }
    })();
    // a refusal is not remembered: the next call asks again
    this.permission.catch(() => {
      this.permission = null;
    });
    return this.permission;
  }

  private async nextReading<T>(
    type: 'devicemotion' | 'deviceorientation',
    pick: (event: Event) => T | null,
    sensor: string,
    signal: AbortSignal,
  ): Promise<T> {
    throwIfAborted(signal, `reading the ${sensor}`);
    const { window } = this.components;
    const constructor = type === 'devicemotion' ? window.DeviceMotionEvent : window.DeviceOrientationEvent;
    if (constructor === undefined)
      throw new UnavailableError(`this browser gives no access to the ${sensor}`);
    await this.askPermission();
    const timeoutMs = this.init.readingTimeoutMs ?? 2000;
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        window.removeEventListener(type, onEvent);
        signal.removeEventListener('abort', onAbort);
      };
      const onEvent = (event: Event): void => {
        const value = pick(event);
        if (value === null) return;
        done();
        resolve(value);
      };
      const onAbort = (): void => {
        done();
        reject(new AbortedError(`reading the ${sensor} was cancelled`, { cause: signal.reason }));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new UnavailableError(
            `no ${sensor} reading within ${timeoutMs / 1000} s: this device seems to have no ${sensor}`,
          ),
        );
      }, timeoutMs);
      window.addEventListener(type, onEvent);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
