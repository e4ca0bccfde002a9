/**
 * `phone/camera` (`sensor/camera`): `take_photo` (a JPEG of one frame, scaled down until its base64
 * fits in ~700 kB) and `scan_qr` (frames decoded with jsQR until a code is read or the time is up).
 * Fires `photo_taken` (size only, never the image) and `qr_scanned` after its own tools.
 */
import jsQR from 'jsqr';
import { z } from 'zod';
import { TimeoutError, UnavailableError } from '../../../../src/core/index.js';
import type { Clock } from '../../../../src/core/index.js';
import type { PhoneCapability, PhoneCapabilitySpec, TriggerEmitter } from '../contract.js';
import { bytesToBase64, parseArgs, sleep, throwIfAborted, toolSpecs, unknownTool } from './tools.js';

export type CameraFacing = 'user' | 'environment';

export interface JpegImage {
  readonly width: number;
  readonly height: number;
  readonly bytes: Uint8Array;
}

/** RGBA pixels of one frame. */
export interface CameraFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** An open camera stream. */
export interface CameraSession {
  readonly width: number;
  readonly height: number;
  /** The current frame as JPEG, scaled to at most `maxWidth` pixels wide. */
  jpeg(options: { maxWidth: number; quality: number }): Promise<JpegImage>;
  /** The current frame's pixels, scaled to at most `maxWidth` pixels wide. */
  pixels(options: { maxWidth: number }): CameraFrame;
  /** Stops the stream (the browser's camera indicator goes off). */
  close(): void;
}

export interface CameraDevice {
  /** Opens the camera facing this way (asks the browser's permission the first time). */
  open(facing: CameraFacing, options: { signal: AbortSignal }): Promise<CameraSession>;
}

/** Reads a QR code in a frame: its text, or null when there is none. */
export type QrDecoder = (frame: CameraFrame) => string | null;

export const decodeQrWithJsQr: QrDecoder = (frame) =>
  jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' })?.data ?? null;

export const cameraArgs = {
  take_photo: z.strictObject({
    facing: z.enum(['user', 'environment']).optional(),
    maxWidth: z.number().int().min(160).max(4096).optional(),
  }),
  scan_qr: z.strictObject({
    facing: z.enum(['user', 'environment']).optional(),
    timeoutMs: z.number().int().min(500).max(60_000).optional(),
  }),
};

export interface PhotoResult {
  readonly mimeType: 'image/jpeg';
  readonly width: number;
  readonly height: number;
  readonly dataBase64: string;
  readonly takenAtMs: number;
}

export interface QrResult {
  readonly text: string;
  readonly takenAtMs: number;
}

export interface CameraCapabilityComponents {
  readonly camera: CameraDevice;
  readonly decodeQr: QrDecoder;
  readonly clock: Clock;
}

export interface CameraCapabilityInit {
  /** Wait after the camera opens so exposure and focus settle before the photo. Default 500 ms. */
  readonly photoSettleMs?: number;
  /** Pause between frames while scanning for a QR code. Default 150 ms. */
  readonly qrFrameIntervalMs?: number;
  /** The most base64 characters a photo may take; it is scaled down until it fits. Default 700 000. */
  readonly maxPhotoBase64Chars?: number;
}

const ID = 'phone/camera';
const DEFAULT_MAX_WIDTH = 1280;
const DEFAULT_QR_TIMEOUT_MS = 10_000;
/** Frames are decoded at this width at most: enough for a code held in front of the lens, and fast. */
const QR_FRAME_WIDTH = 960;

const TOOLS = [
  {
    name: 'take_photo',
    description:
      'Take a photo with the phone camera now and return it as a JPEG (base64). facing: "environment" (back, default) or "user" (front); maxWidth in pixels (default 1280).',
    args: cameraArgs.take_photo,
  },
  {
    name: 'scan_qr',
    description:
      'Point the phone camera at a QR code and return the text it holds; fails after timeoutMs (default 10000) without a code.',
    args: cameraArgs.scan_qr,
  },
];

export class CameraCapability implements PhoneCapability {
  readonly label = 'Camera';
  readonly spec: PhoneCapabilitySpec = {
    id: ID,
    type: 'sensor/camera',
    description: "The phone's camera: take a photo of what it sees, or read a QR code held in front of it.",
    tools: toolSpecs(TOOLS),
    triggers: [
      { name: 'photo_taken', description: 'A photo was taken (width, height, time).', priority: 'normal' },
      { name: 'qr_scanned', description: 'A QR code was read (its text).', priority: 'normal' },
    ],
    metadata: { platform: 'browser', device: 'phone' },
  };

  private readonly components: CameraCapabilityComponents;
  private readonly photoSettleMs: number;
  private readonly qrFrameIntervalMs: number;
  private readonly maxPhotoBase64Chars: number;
  private emit: TriggerEmitter | null = null;

  constructor(components: CameraCapabilityComponents, init: CameraCapabilityInit = {}) {
    this.components = components;
    this.photoSettleMs = init.photoSettleMs ?? 500;
    this.qrFrameIntervalMs = init.qrFrameIntervalMs ?? 150;
    this.maxPhotoBase64Chars = init.maxPhotoBase64Chars ?? 700_000;
  }

  async run(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown> {
    switch (tool) {
      case 'take_photo':
        return this.takePhoto(parseArgs(ID, tool, cameraArgs.take_photo, args), options.signal);
      case 'scan_qr':
        return this.scanQr(parseArgs(ID, tool, cameraArgs.scan_qr, args), options.signal);
      default:
        throw unknownTool(
          ID,
          tool,
          TOOLS.map((t) => t.name),
        );
    }
  }

  watch(emit: TriggerEmitter): () => void {
    this.emit = emit;
    return () => {
      if (this.emit === emit) this.emit = null;
    };
  }

  private async takePhoto(
    args: z.output<typeof cameraArgs.take_photo>,
    signal: AbortSignal,
  ): Promise<PhotoResult> {
    throwIfAborted(signal, 'take_photo');
    const session = await this.components.camera.open(args.facing ?? 'environment', { signal });
    try {
      await sleep(this.photoSettleMs, signal, 'take_photo');
      const takenAtMs = this.components.clock.now();
      let width = Math.min(args.maxWidth ?? DEFAULT_MAX_WIDTH, session.width);
      let quality = 0.85;
      for (;;) {
        throwIfAborted(signal, 'take_photo');
        const image = await session.jpeg({ maxWidth: width, quality });
        const dataBase64 = bytesToBase64(image.bytes);
        if (dataBase64.length <= this.maxPhotoBase64Chars) {
          this.emit?.('photo_taken', { width: image.width, height: image.height, takenAtMs });
          return { mimeType: 'image/jpeg', width: image.width, height: image.height, dataBase64, takenAtMs };
        }
        // too big: lower the quality a little first, then the size
        if (quality > 0.6) quality = Math.round((quality - 0.15) * 100) / 100;
        else width = Math.floor(width * 0.75);
        if (width < 160) throw new UnavailableError('the photo could not be made small enough to send');
      }
    } finally {
      session.close();
    }
  }

  private async scanQr(args: z.output<typeof cameraArgs.scan_qr>, signal: AbortSignal): Promise<QrResult> {
    throwIfAborted(signal, 'scan_qr');
    const timeoutMs = args.timeoutMs ?? DEFAULT_QR_TIMEOUT_MS;
    const { clock } = this.components;
    const deadline = clock.now() + timeoutMs;
    const session = await this.components.camera.open(args.facing ?? 'environment', { signal });
    try {
      for (;;) {
        throwIfAborted(signal, 'scan_qr');
        const text = this.components.decodeQr(session.pixels({ maxWidth: QR_FRAME_WIDTH }));
        if (text !== null && text !== '') {
          const takenAtMs = clock.now();
          this.emit?.('qr_scanned', { text });
          return { text, takenAtMs };
        }
        if (clock.now() >= deadline) {
          throw new TimeoutError(`no QR code was found within ${timeoutMs / 1000} s`, {
            details: { timeoutMs },
          });
        }
        await sleep(this.qrFrameIntervalMs, signal, 'scan_qr');
      }
    } finally {
      session.close();
    }
  }
}
