/**
 * `phone/microphone` (`audio/capture`): `start_recording` opens the microphone and records (for at
 * most `maxSeconds`, default 60), `stop` returns the recording as base64. Stopping, by hand or
 * when `maxSeconds` runs out, fires `recording_complete`; a recording that stopped by itself is
 * returned by the next `stop`.
 */
import { z } from 'zod';
import { InvalidStateError } from '../../../../src/core/index.js';
import type { Clock } from '../../../../src/core/index.js';
import type { PhoneCapability, PhoneCapabilitySpec, TriggerEmitter } from '../contract.js';
import { bytesToBase64, parseArgs, throwIfAborted, toolSpecs, unknownTool } from './tools.js';

/** A microphone that records once. */
export interface AudioRecorder {
  /** The container of the recording, without codec parameters (`audio/webm`, `audio/mp4`). */
  readonly mimeType: string;
  start(): void;
  /** Stops recording, releases the microphone and returns the encoded audio. */
  stop(): Promise<Uint8Array>;
}

export interface AudioInput {
  /** Opens the microphone (asks the browser's permission the first time). */
  open(): Promise<AudioRecorder>;
}

export const microphoneArgs = {
  start_recording: z.strictObject({ maxSeconds: z.number().min(1).max(120).optional() }),
  stop: z.strictObject({}),
};

export interface RecordingStarted {
  readonly recording: true;
  readonly mimeType: string;
  readonly maxSeconds: number;
  readonly startedAtMs: number;
}

export interface RecordingResult {
  readonly mimeType: string;
  readonly durationMs: number;
  readonly dataBase64: string;
}

export interface MicrophoneCapabilityComponents {
  readonly audio: AudioInput;
  readonly clock: Clock;
}

const ID = 'phone/microphone';
const DEFAULT_MAX_SECONDS = 60;

const TOOLS = [
  {
    name: 'start_recording',
    description:
      'Start recording audio with the phone microphone; it stops by itself after maxSeconds (default 60, at most 120). Call stop to get the audio.',
    args: microphoneArgs.start_recording,
  },
  {
    name: 'stop',
    description: 'Stop the recording and return it (mimeType, durationMs, base64 audio).',
    args: microphoneArgs.stop,
  },
];

interface Recording {
  readonly recorder: AudioRecorder;
  readonly startedAtMs: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class MicrophoneCapability implements PhoneCapability {
  readonly label = 'Microphone';
  readonly spec: PhoneCapabilitySpec = {
    id: ID,
    type: 'audio/capture',
    description: "The phone's microphone: record audio for up to two minutes and send it back.",
    tools: toolSpecs(TOOLS),
    triggers: [
      {
        name: 'recording_complete',
        description: 'A recording ended (its duration and size in bytes).',
        priority: 'normal',
      },
    ],
    metadata: { platform: 'browser', device: 'phone' },
  };

  private readonly components: MicrophoneCapabilityComponents;
  private emit: TriggerEmitter | null = null;
  private recording: Recording | null = null;
  /** Set while the microphone is being opened, so a second start is refused. */
  private opening = false;
  /** A recording that stopped by itself (or failed doing so), kept for the next `stop`. */
  private finished: Promise<RecordingResult> | null = null;

  constructor(components: MicrophoneCapabilityComponents) {
    this.components = components;
  }

  async run(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown> {
    switch (tool) {
      case 'start_recording':
        return this.start(parseArgs(ID, tool, microphoneArgs.start_recording, args), options.signal);
      case 'stop':
        parseArgs(ID, tool, microphoneArgs.stop, args);
        return this.stop();
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

  private async start(
    args: z.output<typeof microphoneArgs.start_recording>,
    signal: AbortSignal,
  ): Promise<RecordingStarted> {
    throwIfAborted(signal, 'start_recording');
    if (this.recording !== null || this.opening) {
      throw new InvalidStateError('the microphone is already recording: call stop first');
    }
    const maxSeconds = args.maxSeconds ?? DEFAULT_MAX_SECONDS;
    this.opening = true;
    let recorder: AudioRecorder;
    try {
      recorder = await this.components.audio.open();
    } finally {
      this.opening = false;
    }
    if (signal.aborted) {
      await recorder.stop();
      throwIfAborted(signal, 'start_recording');
    }
    recorder.start();
    this.finished = null;
    const startedAtMs = this.components.clock.now();
    const timer = setTimeout(() => {
      // the result waits for the next `stop`; a failure there is reported by that `stop`
      const result = this.finish();
      result.catch(() => undefined);
      this.finished = result;
    }, maxSeconds * 1000);
    this.recording = { recorder, startedAtMs, timer };
    return { recording: true, mimeType: recorder.mimeType, maxSeconds, startedAtMs };
  }

  private async stop(): Promise<RecordingResult> {
    if (this.recording !== null) return this.finish();
    const finished = this.finished;
    if (finished !== null) {
      this.finished = null;
      return finished;
    }
    throw new InvalidStateError('the microphone is not recording: call start_recording first');
  }

  private async finish(): Promise<RecordingResult> {
    const recording = this.recording;
    if (recording === null) throw new InvalidStateError('the microphone is not recording');
    this.recording = null;
    clearTimeout(recording.timer);
    const bytes = await recording.recorder.stop();
    const durationMs = Math.max(0, this.components.clock.now() - recording.startedAtMs);
    this.emit?.('recording_complete', { durationMs, bytes: bytes.length });
    return { mimeType: recording.recorder.mimeType, durationMs, dataBase64: bytesToBase64(bytes) };
  }
}
