import { create } from 'qrcode';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, ManualClock } from '../../../../src/core/index.js';
import type { TriggerEmitter } from '../contract.js';
import { CameraCapability, decodeQrWithJsQr } from './camera.js';
import type { CameraDevice, CameraFacing, CameraFrame, CameraSession } from './camera.js';

const signal = (): AbortSignal => new AbortController().signal;

/** RGBA pixels of a QR code for `text`: 6 px per module, a 4-module quiet zone. */
function qrFrame(text: string): CameraFrame {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const scale = 6;
  const size = (modules.size + 8) * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const mx = Math.floor(x / scale) - 4;
      const my = Math.floor(y / scale) - 4;
      const dark = mx >= 0 && my >= 0 && mx < modules.size && my < modules.size && modules.get(my, mx) === 1;
      if (dark) data.fill(0, (y * size + x) * 4, (y * size + x) * 4 + 3);
    }
  }
  return { width: size, height: size, data };
}

const blank: CameraFrame = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).fill(255) };

/** A camera whose JPEG size grows with width and quality, and whose frames are given in turn. */
class FakeCamera implements CameraDevice {
  readonly opened: CameraFacing[] = [];
  readonly encodes: { maxWidth: number; quality: number }[] = [];
  closed = 0;
  frames: CameraFrame[] = [];
  onFrame: () => void = () => undefined;
  bytesPerPixel = 0.5;
  error: Error | null = null;

  open(facing: CameraFacing): Promise<CameraSession> {
    if (this.error !== null) return Promise.reject(this.error);
    this.opened.push(facing);
    return Promise.resolve({
      width: 1920,
      height: 1080,
      jpeg: (options) => {
        this.encodes.push(options);
        const width = Math.min(options.maxWidth, 1920);
        const height = Math.round((width * 1080) / 1920);
        const bytes = new Uint8Array(Math.round(width * height * this.bytesPerPixel * options.quality));
        return Promise.resolve({ width, height, bytes });
      },
      pixels: () => {
        this.onFrame();
        return this.frames.shift() ?? blank;
      },
      close: () => {
        this.closed++;
      },
    });
  }
}

function setup(init: ConstructorParameters<typeof CameraCapability>[1] = {}) {
  const camera = new FakeCamera();
  const clock = new ManualClock(1_000);
  const capability = new CameraCapability(
    { camera, decodeQr: decodeQrWithJsQr, clock },
    { photoSettleMs: 0, qrFrameIntervalMs: 0, ...init },
  );
  const events: [string, unknown][] = [];
  const emit: TriggerEmitter = (trigger, payload) => events.push([trigger, payload]);
  return { camera, clock, capability, events, emit };
}

describe('phone/camera', () => {
  it('takes a JPEG photo no wider than maxWidth and fires photo_taken without the image', async () => {
    const { camera, capability, events, emit } = setup();
    capability.watch(emit);
    const photo = (await capability.run(
      'take_photo',
      { facing: 'user', maxWidth: 640 },
      { signal: signal() },
    )) as {
      dataBase64: string;
    };
    expect(photo).toMatchObject({ mimeType: 'image/jpeg', width: 640, height: 360, takenAtMs: 1_000 });
    expect(atob(photo.dataBase64).length).toBe(Math.round(640 * 360 * 0.5 * 0.85));
    expect(camera.opened).toEqual(['user']);
    expect(camera.closed).toBe(1);
    expect(events).toEqual([['photo_taken', { width: 640, height: 360, takenAtMs: 1_000 }]]);
  });

  it('uses the back camera at 1280 px by default', async () => {
    const { camera, capability } = setup();
    await capability.run('take_photo', {}, { signal: signal() });
    expect(camera.opened).toEqual(['environment']);
    expect(camera.encodes[0]).toEqual({ maxWidth: 1280, quality: 0.85 });
  });

  it('lowers quality, then size, until the base64 fits the limit', async () => {
    const { camera, capability } = setup({ maxPhotoBase64Chars: 200_000 });
    const photo = (await capability.run('take_photo', {}, { signal: signal() })) as {
      width: number;
      dataBase64: string;
    };
    expect(photo.dataBase64.length).toBeLessThanOrEqual(200_000);
    expect(camera.encodes.map((e) => e.quality).slice(0, 3)).toEqual([0.85, 0.7, 0.55]);
    expect(photo.width).toBeLessThan(1280);
  });

  it('reads a QR code and fires qr_scanned', async () => {
    const { camera, capability, events, emit } = setup();
    capability.watch(emit);
    camera.frames = [blank, blank, qrFrame('atmosphere://join/abc123')];
    const result = await capability.run('scan_qr', {}, { signal: signal() });
    expect(result).toEqual({ text: 'atmosphere://join/abc123', takenAtMs: 1_000 });
    expect(events).toEqual([['qr_scanned', { text: 'atmosphere://join/abc123' }]]);
    expect(camera.closed).toBe(1);
  });

  it('gives up with a timeout error when no code is seen in time', async () => {
    const { camera, clock, capability } = setup();
    camera.onFrame = () => clock.advance(1_000);
    await expect(capability.run('scan_qr', { timeoutMs: 3_000 }, { signal: signal() })).rejects.toMatchObject(
      {
        code: 'timeout',
        message: 'no QR code was found within 3 s',
      },
    );
    expect(camera.closed).toBe(1);
  });

  it('stops scanning when the caller aborts', async () => {
    const { camera, capability } = setup({ qrFrameIntervalMs: 5 });
    const controller = new AbortController();
    camera.onFrame = () => controller.abort();
    await expect(capability.run('scan_qr', {}, { signal: controller.signal })).rejects.toMatchObject({
      code: 'aborted',
    });
    expect(camera.closed).toBe(1);
  });

  it('passes on a refused permission', async () => {
    const { camera, capability } = setup();
    camera.error = new ForbiddenError('the owner did not allow the camera on this phone');
    await expect(capability.run('take_photo', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('emits nothing after the watch is stopped', async () => {
    const { capability, events, emit } = setup();
    capability.watch(emit)();
    await capability.run('take_photo', {}, { signal: signal() });
    expect(events).toEqual([]);
  });
});
