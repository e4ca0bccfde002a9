/**
 * Length-prefixed frames over a libp2p stream (unsigned-varint length, then the bytes, as
 * `it-length-prefixed` encodes them), with a size limit per frame, abort signals on every read and
 * write, and JSON frames validated by a zod schema. Every failure is an `AtmosphereError`:
 * `MessageTooLargeError`, `ProtocolViolationError`, `TimeoutError` or `AbortedError`.
 */
import type { Stream } from '@libp2p/interface';
import * as lp from 'it-length-prefixed';
import type { z } from 'zod';
import {
  AbortedError,
  AtmosphereError,
  MessageTooLargeError,
  ProtocolViolationError,
  fromUtf8,
  utf8,
} from '../core/index.js';
import { abortError, nextTurn } from './signals.js';

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/** Queued bytes beyond which `queueJson` waits for them to be sent (backpressure). */
const QUEUE_HIGH_WATER_BYTES = 256 * 1024;

/** A function, not an inline check, so TypeScript does not keep an earlier narrowing of `aborted`. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export class FrameStream {
  readonly stream: Stream;
  private readonly maxFrameBytes: number;
  private readonly frames: AsyncIterator<{ subarray(): Uint8Array }>;
  private queued: Uint8Array[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | undefined;
  private flushError: AtmosphereError | undefined;
  /** Ends the wait of a scheduled flush early (see `flush`). */
  private hurry: (() => void) | undefined;

  constructor(stream: Stream, init: { maxFrameBytes?: number } = {}) {
    this.stream = stream;
    this.maxFrameBytes = init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.frames = lp.decode(stream, { maxDataLength: this.maxFrameBytes })[Symbol.asyncIterator]();
  }

  /** The next frame, or `undefined` when the remote closed its end cleanly. */
  async read(options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    const { signal } = options;
    if (isAborted(signal)) throw abortError(signal, 'read');
    const onAbort = (): void => {
      this.stream.abort(abortError(signal, 'read'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const next = await this.frames.next();
      return next.done === true ? undefined : next.value.subarray();
    } catch (err) {
      if (isAborted(signal)) throw abortError(signal, 'read');
      if (err instanceof AtmosphereError) throw err;
      const name = err instanceof Error ? err.name : '';
      if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
        throw new MessageTooLargeError(`frame larger than ${this.maxFrameBytes} bytes`, { cause: err });
      }
      throw new ProtocolViolationError(`stream failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async write(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (bytes.length > this.maxFrameBytes) {
      throw new MessageTooLargeError(`frame of ${bytes.length} bytes exceeds ${this.maxFrameBytes}`);
    }
    if (isAborted(options.signal)) throw abortError(options.signal, 'write');
    try {
      if (!this.stream.send(lp.encode.single(bytes))) await this.stream.onDrain({ signal: options.signal });
    } catch (err) {
      if (isAborted(options.signal)) throw abortError(options.signal, 'write');
      throw new ProtocolViolationError(`write failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  /** Reads one JSON frame and validates it; a clean end of stream is a `ProtocolViolationError`. */
  async readJson<T>(schema: z.ZodType<T>, options: { signal?: AbortSignal; what?: string } = {}): Promise<T> {
    const what = options.what ?? 'message';
    const frame = await this.read(options);
    if (frame === undefined) throw new ProtocolViolationError(`stream ended before the ${what}`);
    return parseJsonFrame(frame, schema, what);
  }

  async writeJson(value: unknown, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.write(encodeJsonFrame(value), options);
  }

  /**
   * Queues a JSON frame; the frames queued before the event loop turns (`nextTurn`) go out
   * together, as one muxer frame and one socket write instead of one each (a backend that answers
   * with a burst of chunks). Resolves at once unless too much is queued; a failed send is thrown
   * by the next `queueJson` or `flush`. Call `flush` before closing.
   */
  async queueJson(value: unknown, options: { signal?: AbortSignal } = {}): Promise<void> {
    const bytes = encodeJsonFrame(value);
    if (bytes.length > this.maxFrameBytes) {
      throw new MessageTooLargeError(`frame of ${bytes.length} bytes exceeds ${this.maxFrameBytes}`);
    }
    if (isAborted(options.signal)) throw abortError(options.signal, 'write');
    if (this.flushError !== undefined) throw this.flushError;
    const frame = lp.encode.single(bytes).subarray();
    this.queued.push(frame);
    this.queuedBytes += frame.length;
    this.flushing ??= this.scheduleFlush(options.signal);
    if (this.queuedBytes >= QUEUE_HIGH_WATER_BYTES) await this.flush(options);
  }

  /**
   * Sends the queued frames now (without waiting for the event loop to turn: nothing more is
   * coming, as after a reply's last frame) and waits until every one was handed to the stream;
   * throws if sending failed.
   */
  async flush(_options: { signal?: AbortSignal } = {}): Promise<void> {
    this.hurry?.();
    while (this.flushing !== undefined) await this.flushing;
    if (this.flushError !== undefined) throw this.flushError;
  }

  private async scheduleFlush(signal: AbortSignal | undefined): Promise<void> {
    await Promise.race([
      nextTurn(),
      new Promise<void>((resolve) => {
        this.hurry = resolve;
      }),
    ]);
    this.hurry = undefined;
    const data = new Uint8Array(this.queuedBytes);
    let offset = 0;
    for (const frame of this.queued) {
      data.set(frame, offset);
      offset += frame.length;
    }
    this.queued = [];
    this.queuedBytes = 0;
    try {
      if (!this.stream.send(data)) await this.stream.onDrain({ signal });
    } catch (err) {
      this.flushError = isAborted(signal)
        ? abortError(signal, 'write')
        : new ProtocolViolationError(`write failed: ${err instanceof Error ? err.message : String(err)}`, {
            cause: err,
          });
    } finally {
      this.flushing =
        this.queuedBytes > 0 && this.flushError === undefined ? this.scheduleFlush(signal) : undefined;
    }
  }

  /** Closes our writing end (the remote sees a clean end); never throws. */
  async closeWrite(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.stream.close(options);
    } catch {
      this.stream.abort(new AbortedError('stream close failed'));
    }
  }
}

export function encodeJsonFrame(value: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ProtocolViolationError('value cannot be encoded as JSON', { cause: err });
  }
  if (text === undefined) throw new ProtocolViolationError('value cannot be encoded as JSON');
  return utf8(text);
}

export function parseJsonFrame<T>(frame: Uint8Array, schema: z.ZodType<T>, what = 'message'): T {
  return validateJson(decodeJsonFrame(frame, what), schema, what);
}

/** The JSON value in a frame; `ProtocolViolationError` when it is not JSON. */
export function decodeJsonFrame(frame: Uint8Array, what = 'message'): unknown {
  try {
    return JSON.parse(fromUtf8(frame)) as unknown;
  } catch (err) {
    throw new ProtocolViolationError(`${what} is not valid JSON`, { cause: err });
  }
}

/** `value` checked by `schema`; `ProtocolViolationError` naming the first issues when it does not fit. */
export function validateJson<T>(value: unknown, schema: z.ZodType<T>, what = 'message'): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ProtocolViolationError(
      `invalid ${what}: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`,
      {
        details: {
          issues: parsed.error.issues
            .slice(0, 5)
            .map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
      },
    );
  }
  return parsed.data;
}
