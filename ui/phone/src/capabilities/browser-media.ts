/**
 * The browser side of the camera and the microphone: `getUserMedia`, a muted inline `<video>` and a
 * canvas for frames, `MediaRecorder` for audio. The capabilities use these through the small
 * `CameraDevice` and `AudioInput` interfaces, so their logic is tested without a browser.
 */
import { ForbiddenError, UnavailableError } from '../../../../src/core/index.js';
import type { AtmosphereError } from '../../../../src/core/index.js';
import type { CameraDevice, CameraFacing, CameraFrame, CameraSession, JpegImage } from './camera.js';
import type { AudioInput, AudioRecorder } from './microphone.js';

/** What a failed `getUserMedia` means, in words the owner and the asking member understand. */
export function mediaAccessError(err: unknown, device: 'camera' | 'microphone'): AtmosphereError {
  const name = err instanceof Error || err instanceof DOMException ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new ForbiddenError(`the owner did not allow the ${device} on this phone`, { cause: err });
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new UnavailableError(`this phone has no ${device}`, { cause: err });
    case 'NotReadableError':
    case 'AbortError':
      return new UnavailableError(`the ${device} is in use by another app or could not start`, {
        cause: err,
      });
    default:
      return new UnavailableError(
        `the ${device} could not start: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
  }
}

function noMediaDevices(device: 'camera' | 'microphone'): UnavailableError {
  return new UnavailableError(
    `this browser gives no access to the ${device} (it needs HTTPS, or the browser lacks getUserMedia)`,
  );
}

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

async function blobBytes(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

export interface BrowserCameraComponents {
  readonly mediaDevices: Pick<MediaDevices, 'getUserMedia'> | undefined;
  readonly document: Document;
}

/** The phone's cameras through `getUserMedia`. */
export class BrowserCamera implements CameraDevice {
  private readonly components: BrowserCameraComponents;

  constructor(components: BrowserCameraComponents) {
    this.components = components;
  }

  async open(facing: CameraFacing, options: { signal: AbortSignal }): Promise<CameraSession> {
    const { mediaDevices, document } = this.components;
    if (mediaDevices?.getUserMedia === undefined) throw noMediaDevices('camera');
    let stream: MediaStream;
    try {
      stream = await mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: facing }, width: { ideal: 1920 }, height: { ideal: 1080 } },
      });
    } catch (err) {
      throw mediaAccessError(err, 'camera');
    }
    const video = document.createElement('video');
    try {
      video.muted = true;
      video.playsInline = true;
      video.srcObject = stream;
      await video.play();
      if (video.videoWidth === 0) {
        await new Promise<void>((resolve, reject) => {
          video.addEventListener('loadedmetadata', () => resolve(), { once: true });
          options.signal.addEventListener('abort', () => reject(options.signal.reason as Error), {
            once: true,
          });
        });
      }
    } catch (err) {
      stopTracks(stream);
      throw new UnavailableError(
        `the camera stream could not start: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return new VideoCameraSession(video, stream, document);
  }
}

class VideoCameraSession implements CameraSession {
  private readonly video: HTMLVideoElement;
  private readonly stream: MediaStream;
  private readonly canvas: HTMLCanvasElement;

  constructor(video: HTMLVideoElement, stream: MediaStream, document: Document) {
    this.video = video;
    this.stream = stream;
    this.canvas = document.createElement('canvas');
  }

  get width(): number {
    return this.video.videoWidth;
  }

  get height(): number {
    return this.video.videoHeight;
  }

  private draw(maxWidth: number): CanvasRenderingContext2D {
    const scale = Math.min(1, maxWidth / this.video.videoWidth);
    this.canvas.width = Math.max(1, Math.round(this.video.videoWidth * scale));
    this.canvas.height = Math.max(1, Math.round(this.video.videoHeight * scale));
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new UnavailableError('this browser cannot draw camera frames (no 2D canvas)');
    context.drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    return context;
  }

  async jpeg(options: { maxWidth: number; quality: number }): Promise<JpegImage> {
    this.draw(options.maxWidth);
    const blob = await new Promise<Blob | null>((resolve) =>
      this.canvas.toBlob(resolve, 'image/jpeg', options.quality),
    );
    if (blob === null) throw new UnavailableError('the camera frame could not be encoded as JPEG');
    return { width: this.canvas.width, height: this.canvas.height, bytes: await blobBytes(blob) };
  }

  pixels(options: { maxWidth: number }): CameraFrame {
    const context = this.draw(options.maxWidth);
    const image = context.getImageData(0, 0, this.canvas.width, this.canvas.height);
    return { width: image.width, height: image.height, data: image.data };
  }

  close(): void {
    stopTracks(this.stream);
    this.video.pause();
    this.video.srcObject = null;
  }
}

export interface BrowserAudioInputComponents {
  readonly mediaDevices: Pick<MediaDevices, 'getUserMedia'> | undefined;
  readonly MediaRecorder: typeof MediaRecorder | undefined;
}

export interface BrowserAudioInputInit {
  /** Bit rate asked of the encoder; 32 kb/s keeps two minutes under ~700 kB of base64. Default 32 000. */
  readonly audioBitsPerSecond?: number;
}

/** Containers tried in order; the first the browser records wins (Chrome: webm, Safari: mp4). */
const AUDIO_TYPES = ['audio/webm;codecs=opus', 'audio/mp4', 'audio/ogg;codecs=opus', 'audio/webm'];

/** The phone's microphone through `getUserMedia` and `MediaRecorder`. */
export class BrowserAudioInput implements AudioInput {
  private readonly components: BrowserAudioInputComponents;
  private readonly audioBitsPerSecond: number;

  constructor(components: BrowserAudioInputComponents, init: BrowserAudioInputInit = {}) {
    this.components = components;
    this.audioBitsPerSecond = init.audioBitsPerSecond ?? 32_000;
  }

  async open(): Promise<AudioRecorder> {
    const { mediaDevices, MediaRecorder: Recorder } = this.components;
    if (mediaDevices?.getUserMedia === undefined) throw noMediaDevices('microphone');
    if (Recorder === undefined)
      throw new UnavailableError('this browser cannot record audio (no MediaRecorder)');
    let stream: MediaStream;
    try {
      stream = await mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (err) {
      throw mediaAccessError(err, 'microphone');
    }
    const mimeType = AUDIO_TYPES.find((type) => Recorder.isTypeSupported(type));
    let recorder: MediaRecorder;
    try {
      recorder = new Recorder(stream, {
        audioBitsPerSecond: this.audioBitsPerSecond,
        ...(mimeType === undefined ? {} : { mimeType }),
      });
    } catch (err) {
      stopTracks(stream);
      throw mediaAccessError(err, 'microphone');
    }
    return new MediaAudioRecorder(recorder, stream);
  }
}

class MediaAudioRecorder implements AudioRecorder {
  private readonly recorder: MediaRecorder;
  private readonly stream: MediaStream;
  private readonly chunks: Blob[] = [];

  constructor(recorder: MediaRecorder, stream: MediaStream) {
    this.recorder = recorder;
    this.stream = stream;
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) this.chunks.push(event.data);
    });
  }

  get mimeType(): string {
    return this.recorder.mimeType === '' ? 'audio/webm' : this.recorder.mimeType.split(';')[0]!;
  }

  start(): void {
    this.recorder.start(1000);
  }

  async stop(): Promise<Uint8Array> {
    const stopped = new Promise<void>((resolve) =>
      this.recorder.addEventListener('stop', () => resolve(), { once: true }),
    );
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    else return this.collect();
    await stopped;
    return this.collect();
  }

  private async collect(): Promise<Uint8Array> {
    stopTracks(this.stream);
    return blobBytes(new Blob(this.chunks, { type: this.mimeType }));
  }
}
