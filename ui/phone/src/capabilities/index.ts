/**
 * The phone's device capabilities (camera, microphone, location, motion, notifications), each a
 * `PhoneCapability` over standard browser APIs. `createBrowserCapabilities` builds them all for
 * the running browser; the classes take their browser parts as components so tests use fakes.
 */
import type { Clock } from '../../../../src/core/index.js';
import type { PhoneCapability } from '../contract.js';
import type { PhoneSettingsStore } from '../settings.js';
import { BrowserAudioInput, BrowserCamera } from './browser-media.js';
import { CameraCapability, decodeQrWithJsQr } from './camera.js';
import { LocationCapability } from './location.js';
import { MicrophoneCapability } from './microphone.js';
import { MotionCapability } from './motion.js';
import type { MotionWindow } from './motion.js';
import { NotifyCapability } from './notify.js';
import type { NotificationApi } from './notify.js';

export * from './camera.js';
export * from './microphone.js';
export * from './location.js';
export * from './motion.js';
export * from './notify.js';
export * from './geo.js';
export * from './motion-detectors.js';
export { BrowserAudioInput, BrowserCamera, mediaAccessError } from './browser-media.js';
export { parseArgs, toolSpecs } from './tools.js';

/** Capability ids in the order the screens list them. */
export const PHONE_CAPABILITY_IDS = [
  'phone/camera',
  'phone/microphone',
  'phone/location',
  'phone/motion',
  'phone/notify',
] as const;

export interface BrowserCapabilitiesComponents {
  readonly window: Window & typeof globalThis;
  readonly settings: PhoneSettingsStore;
  readonly clock?: Clock;
}

/** Every capability of this phone, over the browser's own APIs. */
export function createBrowserCapabilities(components: BrowserCapabilitiesComponents): PhoneCapability[] {
  const { window, settings } = components;
  const clock = components.clock ?? { now: () => Date.now() };
  const { navigator } = window;
  // feature checks: these are absent on plain HTTP and in older browsers
  const mediaDevices = 'mediaDevices' in navigator ? navigator.mediaDevices : undefined;
  const geolocation = 'geolocation' in navigator ? navigator.geolocation : undefined;
  const serviceWorker = 'serviceWorker' in navigator ? navigator.serviceWorker : undefined;
  const notification = 'Notification' in window ? (window.Notification as NotificationApi) : undefined;
  const recorder = 'MediaRecorder' in window ? window.MediaRecorder : undefined;
  return [
    new CameraCapability({
      camera: new BrowserCamera({ mediaDevices, document: window.document }),
      decodeQr: decodeQrWithJsQr,
      clock,
    }),
    new MicrophoneCapability({
      audio: new BrowserAudioInput({ mediaDevices, MediaRecorder: recorder }),
      clock,
    }),
    new LocationCapability({ geolocation, settings, clock }),
    new MotionCapability({ window: window as MotionWindow, clock }),
    new NotifyCapability({ Notification: notification, serviceWorker }),
  ];
}
