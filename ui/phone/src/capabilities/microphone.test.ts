import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../../src/core/index.js';
import type { TriggerEmitter } from '../contract.js';
import { MicrophoneCapability } from './microphone.js';
import type { AudioInput, AudioRecorder } from './microphone.js';

const signal = (): AbortSignal => new AbortController().signal;

class FakeAudio implements AudioInput {
  readonly recorders: { started: boolean; stopped: boolean }[] = [];
  bytes = new Uint8Array([1, 2, 3, 4, 5]);

  open(): Promise<AudioRecorder> {
    const state = { started: false, stopped: false };
    this.recorders.push(state);
    const bytes = this.bytes;
    return Promise.resolve({
      mimeType: 'audio/webm',
      start: () => {
        state.started = true;
      },
      stop: () => {
        state.stopped = true;
        return Promise.resolve(bytes);
      },
    });
  }
}

function setup() {
  const audio = new FakeAudio();
  const clock = new ManualClock(10_000);
  const capability = new MicrophoneCapability({ audio, clock });
  const events: [string, unknown][] = [];
  const emit: TriggerEmitter = (trigger, payload) => events.push([trigger, payload]);
  capability.watch(emit);
  return { audio, clock, capability, events };
}

describe('phone/microphone', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records until stop and returns the audio with its duration', async () => {
    const { audio, clock, capability, events } = setup();
    expect(await capability.run('start_recording', { maxSeconds: 30 }, { signal: signal() })).toEqual({
      recording: true,
      mimeType: 'audio/webm',
      maxSeconds: 30,
      startedAtMs: 10_000,
    });
    expect(audio.recorders[0]).toEqual({ started: true, stopped: false });
    clock.advance(4_500);
    expect(await capability.run('stop', {}, { signal: signal() })).toEqual({
      mimeType: 'audio/webm',
      durationMs: 4_500,
      dataBase64: 'AQIDBAU=',
    });
    expect(audio.recorders[0]?.stopped).toBe(true);
    expect(events).toEqual([['recording_complete', { durationMs: 4_500, bytes: 5 }]]);
  });

  it('refuses stop when not recording, and a second start while recording', async () => {
    const { capability } = setup();
    await expect(capability.run('stop', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'invalid_state',
      message: 'the microphone is not recording: call start_recording first',
    });
    await capability.run('start_recording', {}, { signal: signal() });
    await expect(capability.run('start_recording', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('stops by itself after maxSeconds, fires the trigger, and hands the recording to the next stop once', async () => {
    const { audio, clock, capability, events } = setup();
    await capability.run('start_recording', {}, { signal: signal() });
    clock.advance(60_000);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(audio.recorders[0]?.stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(audio.recorders[0]?.stopped).toBe(true);
    expect(events).toEqual([['recording_complete', { durationMs: 60_000, bytes: 5 }]]);
    expect(await capability.run('stop', {}, { signal: signal() })).toMatchObject({ durationMs: 60_000 });
    await expect(capability.run('stop', {}, { signal: signal() })).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('rejects a maxSeconds outside 1–120', async () => {
    const { capability } = setup();
    await expect(
      capability.run('start_recording', { maxSeconds: 600 }, { signal: signal() }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
