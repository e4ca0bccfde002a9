/**
 * `/atmosphere/invoke/1.0.0` on one stream: the caller sends one request frame, the server answers
 * with data frames and an end or error frame. Either side cancels by resetting the stream. Gating
 * (membership, shared meshes) is done by `MeshService` before these run.
 *
 * Kept streams: a caller that sets `keep: true` in its request may send its next request on the
 * same stream; a server that can answers `{ t: "end", keep: true }` and waits for it (closing its
 * end cleanly once the stream has been idle for `keepIdleMs`). A new stream costs a multistream-select
 * round trip, open/acknowledge frames and libp2p's per-stream bookkeeping on both nodes before the
 * request can go; a kept stream costs none of that. `keep` is optional on both sides: a server that
 * does not know it answers a plain `end` and closes, and the caller then closes too, as before.
 */
import type { Stream } from '@libp2p/interface';
import type { InvokeFrame, InvokeHandler, InvokeRequest } from '../core/index.js';
import {
  AbortedError,
  AtmosphereError,
  InvokeRefusedError,
  InvokeRemoteError,
  ProtocolViolationError,
  TimeoutError,
  toAtmosphereError,
} from '../core/index.js';
import { FrameStream, decodeJsonFrame, validateJson } from './framing.js';
import type { MeshCounters } from './gossip-guard.js';
import { invokeReplySchema, invokeRequestSchema } from './messages.js';
import { abortError, unrefTimer } from './signals.js';
import type { ChunkArrival } from './transfer-rate.js';
import { timeFrame, varintLength } from './transfer-rate.js';

/** How long a caller keeps an unused invoke stream for its next call. */
export const DEFAULT_INVOKE_STREAM_IDLE_MS = 5_000;
/** Unused invoke streams a caller keeps per connection. */
export const DEFAULT_INVOKE_STREAMS_KEPT = 64;
/** How long a server waits for the next request on a kept stream (longer than a caller keeps it). */
export const DEFAULT_KEEP_IDLE_MS = 30_000;

export interface InvokeCallOptions {
  readonly signal?: AbortSignal;
  /** The callee, for error messages. */
  readonly nodeId: string;
  readonly maxFrameBytes: number;
  /** The stream is reset after this long without traffic. */
  readonly idleTimeoutMs: number;
  /**
   * Told of each large reply frame's transfer time (see `transfer-rate.ts`: only the bytes of one
   * frame, which travel back to back, are timed, never the gaps between frames).
   */
  readonly onTransfer?: (sample: { readonly bytes: number; readonly ms: number }) => void;
  /** Milliseconds for `onTransfer`'s timing; required with it. */
  readonly now?: () => number;
}

/** A stream with its frame reader (one reader per stream, for as long as the stream is used). */
interface InvokeChannel {
  readonly stream: Stream;
  readonly frames: FrameStream;
}

/**
 * How one call on a channel ended: `keep` (answered; the server waits for another request), `done`
 * (answered or refused; the stream is closed), `stale` (a kept stream the server had already
 * closed: the request was never read, so it is safe to send it again on another stream).
 */
type CallOutcome = 'keep' | 'done' | 'stale';

type InvokeReplyFrame =
  | { readonly t: 'data'; readonly data: unknown }
  | { readonly t: 'end'; readonly keep: boolean }
  | { readonly t: 'error'; readonly code: string; readonly message: string };

/** Whether a kept stream can carry another call (neither side closed or reset it). */
function usable(stream: Stream): boolean {
  return (
    stream.status === 'open' &&
    stream.writeStatus === 'writable' &&
    stream.readStatus === 'readable' &&
    stream.remoteWriteStatus === 'writable'
  );
}

/** Data and end frames are checked by hand (every reply has them); anything else by the schema. */
function parseReply(frame: Uint8Array): InvokeReplyFrame {
  const value = decodeJsonFrame(frame, 'invoke reply');
  if (typeof value === 'object' && value !== null) {
    const v = value as { t?: unknown; data?: unknown; keep?: unknown };
    if (v.t === 'data') return { t: 'data', data: v.data };
    if (v.t === 'end') return { t: 'end', keep: v.keep === true };
  }
  const reply = validateJson(value, invokeReplySchema, 'invoke reply');
  return reply.t === 'error' ? reply : { t: 'end', keep: false };
}

/** Caller side, one call on `channel`: sends the request and yields the reply's data frames. */
async function* exchange(
  channel: InvokeChannel,
  request: InvokeRequest,
  options: InvokeCallOptions,
  reused: boolean,
): AsyncGenerator<InvokeFrame, CallOutcome> {
  const { stream, frames } = channel;
  const { signal, nodeId } = options;
  stream.inactivityTimeout = options.idleTimeoutMs;
  let outcome: CallOutcome | null = null;
  let received = 0;
  const { onTransfer, now } = options;
  const timing = onTransfer !== undefined && now !== undefined;
  let arrivals: ChunkArrival[] = [];
  let totalBytes = 0;
  let consumed = 0;
  const onMessage = (event: { data: { byteLength: number } }): void => {
    totalBytes += event.data.byteLength;
    arrivals.push({ atMs: (now as () => number)(), totalBytes });
  };
  let listening = false;
  try {
    try {
      await frames.writeJson(
        { v: 1, capability: request.capability, input: request.input, meshId: request.meshId, keep: true },
        { signal },
      );
    } catch (err) {
      // a kept stream that the server closed (or reset) while it was idle: nothing was sent
      if (reused && signal?.aborted !== true && !usable(stream)) return (outcome = 'stale');
      throw err;
    }
    for (;;) {
      let frame: Uint8Array | undefined;
      try {
        const pending = frames.read({ signal });
        // only now: the frame reader's own listener is registered, so no chunk reaches ours alone
        if (timing && !listening) {
          stream.addEventListener('message', onMessage);
          listening = true;
        }
        frame = await pending;
      } catch (err) {
        if (signal?.aborted === true) throw err;
        if (received === 0 && err instanceof ProtocolViolationError) {
          throw new InvokeRefusedError(`${nodeId} closed the invoke stream without answering`, {
            cause: err,
          });
        }
        throw err;
      }
      if (frame === undefined) {
        // a kept stream closed cleanly by the server before it read this request
        if (received === 0 && reused) return (outcome = 'stale');
        if (received === 0)
          throw new InvokeRefusedError(`${nodeId} closed the invoke stream without answering`);
        throw new ProtocolViolationError('invoke stream ended without an end frame');
      }
      received++;
      if (timing) {
        const start = consumed + varintLength(frame.length);
        consumed = start + frame.length;
        const sample = timeFrame(arrivals, start, consumed);
        if (sample !== null) onTransfer(sample);
        arrivals = arrivals.filter((a) => a.totalBytes > consumed);
      }
      const reply = parseReply(frame);
      if (reply.t === 'end') return (outcome = reply.keep ? 'keep' : 'done');
      if (reply.t === 'error') {
        outcome = 'done';
        throw new InvokeRemoteError(`${nodeId}: ${reply.message}`, {
          details: { nodeId, remoteCode: reply.code },
        });
      }
      yield { type: 'data', data: reply.data };
    }
  } finally {
    if (listening) stream.removeEventListener('message', onMessage);
    if (outcome === null) stream.abort(new AbortedError('invoke cancelled by the caller'));
    else if (outcome !== 'keep') await frames.closeWrite();
  }
}

export interface InvokeStreamPoolInit {
  /** How long an unused stream is kept for the next call. Default 5 s. */
  readonly idleMs?: number;
  /** Unused streams kept per connection. Default 64. */
  readonly maxKeptPerConnection?: number;
}

interface KeptChannel {
  readonly channel: InvokeChannel;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The caller's invoke streams, kept per connection between calls: a call takes a kept stream when
 * one is free (the most recently used) and opens a new one otherwise; an answered call gives its
 * stream back. Streams unused for `idleMs`, beyond `maxKeptPerConnection`, or closed by either
 * side are closed and dropped. Cancelled or failed calls reset their stream, which is never kept.
 */
export class InvokeStreamPool {
  private readonly idleMs: number;
  private readonly maxKept: number;
  private readonly kept = new Map<object, KeptChannel[]>();

  constructor(init: InvokeStreamPoolInit = {}) {
    this.idleMs = init.idleMs ?? DEFAULT_INVOKE_STREAM_IDLE_MS;
    this.maxKept = init.maxKeptPerConnection ?? DEFAULT_INVOKE_STREAMS_KEPT;
  }

  /**
   * Calls a member's invoke handler over `connection` (any object that identifies it; `open`
   * opens a new invoke stream on it) and yields the reply's data frames.
   */
  async *call(
    connection: object,
    open: () => Promise<Stream>,
    request: InvokeRequest,
    options: InvokeCallOptions,
  ): AsyncGenerator<InvokeFrame> {
    for (;;) {
      const kept = this.take(connection);
      let channel: InvokeChannel;
      if (kept === undefined) {
        const stream = await open();
        channel = { stream, frames: new FrameStream(stream, { maxFrameBytes: options.maxFrameBytes }) };
      } else {
        channel = kept;
      }
      const outcome = yield* exchange(channel, request, options, kept !== undefined);
      if (outcome === 'keep') this.put(connection, channel);
      if (outcome !== 'stale') return;
      // the server closed its idle streams: the others kept for this connection are likely closed too
      this.drop(connection);
    }
  }

  /** Kept streams (all connections). */
  size(): number {
    let n = 0;
    for (const list of this.kept.values()) n += list.length;
    return n;
  }

  /** Resets every kept stream at once (when the node stops: nothing is waited for). */
  clear(): void {
    for (const list of this.kept.values()) {
      for (const entry of list) {
        clearTimeout(entry.timer);
        entry.channel.stream.abort(new AbortedError('the mesh node is stopping'));
      }
    }
    this.kept.clear();
  }

  private take(connection: object): InvokeChannel | undefined {
    const list = this.kept.get(connection);
    if (list === undefined) return undefined;
    let found: InvokeChannel | undefined;
    while (found === undefined && list.length > 0) {
      const entry = list.pop() as KeptChannel;
      clearTimeout(entry.timer);
      if (usable(entry.channel.stream)) found = entry.channel;
      else close(entry.channel);
    }
    if (list.length === 0) this.kept.delete(connection);
    return found;
  }

  private put(connection: object, channel: InvokeChannel): void {
    let list = this.kept.get(connection);
    if (list === undefined) {
      list = [];
      this.kept.set(connection, list);
    }
    if (list.length >= this.maxKept || !usable(channel.stream)) {
      close(channel);
      return;
    }
    const entries = list;
    const timer = setTimeout(() => {
      const index = entries.findIndex((e) => e.channel === channel);
      if (index >= 0) entries.splice(index, 1);
      if (entries.length === 0 && this.kept.get(connection) === entries) this.kept.delete(connection);
      close(channel);
    }, this.idleMs);
    unrefTimer(timer);
    list.push({ channel, timer });
  }

  private drop(connection: object): void {
    for (const entry of this.kept.get(connection) ?? []) {
      clearTimeout(entry.timer);
      close(entry.channel);
    }
    this.kept.delete(connection);
  }
}

/** Closes our end of an unused stream; the server then closes its end. */
function close(channel: InvokeChannel): void {
  channel.frames.closeWrite().catch(() => undefined);
}

export interface ServeInvokeOptions {
  /** The calling node. */
  readonly callerId: string;
  readonly handler: InvokeHandler | undefined;
  /** Meshes shared with the caller that a request naming `meshId` (or none) may use. */
  readonly meshIdsFor: (meshId: string | undefined) => string[];
  readonly maxFrameBytes: number;
  /** Longest a handler may run. */
  readonly invokeTimeoutMs: number;
  /** Longest wait for the request frame. */
  readonly requestTimeoutMs: number;
  /** Longest wait for the next request on a kept stream. Default 30 s. */
  readonly keepIdleMs?: number;
  /** Aborted when this node stops. */
  readonly stopSignal: AbortSignal;
  readonly counters: MeshCounters;
}

interface ParsedRequest {
  readonly request: InvokeRequest;
  readonly keep: boolean;
}

function parseRequest(frame: Uint8Array): ParsedRequest {
  const value = decodeJsonFrame(frame, 'invoke request');
  const parsed = validateJson(value, invokeRequestSchema, 'invoke request');
  const request: InvokeRequest =
    parsed.meshId === undefined
      ? { capability: parsed.capability, input: parsed.input }
      : { capability: parsed.capability, input: parsed.input, meshId: parsed.meshId };
  return { request, keep: (value as { keep?: unknown }).keep === true };
}

/**
 * The next request on a kept stream, or null once the caller closed it, went away, it idled, or
 * `stopped` aborted (`stopped` is the stream's own signal that follows the node's: a listener on
 * the node's signal for each of many kept streams would trip Node's listener-leak warning).
 */
async function nextFrame(
  frames: FrameStream,
  idleMs: number,
  stopped: AbortSignal,
): Promise<Uint8Array | null> {
  if (stopped.aborted) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onStop: (() => void) | undefined;
  const idle = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), idleMs);
    unrefTimer(timer);
    onStop = () => resolve(null);
    stopped.addEventListener('abort', onStop, { once: true });
  });
  // no signal on the read: aborting it would reset the stream, and an idle stream ends cleanly
  const read = frames.read().then(
    (frame) => frame ?? null,
    () => null,
  );
  try {
    return await Promise.race([read, idle]);
  } finally {
    clearTimeout(timer);
    if (onStop !== undefined) stopped.removeEventListener('abort', onStop);
  }
}

/**
 * Server side: reads a request, runs the handler, streams its values, and (when the caller keeps
 * the stream) serves the next request on the same stream; never throws.
 */
export async function serveInvoke(stream: Stream, options: ServeInvokeOptions): Promise<void> {
  const state: ServeState = { current: undefined, callerGone: false };
  const onClose = (): void => {
    state.callerGone = true;
    state.current?.abort(new AbortedError('the caller cancelled the invoke'));
  };
  stream.addEventListener('close', onClose);
  stream.inactivityTimeout = options.invokeTimeoutMs;
  const frames = new FrameStream(stream, { maxFrameBytes: options.maxFrameBytes });
  const keepIdleMs = options.keepIdleMs ?? DEFAULT_KEEP_IDLE_MS;
  let stopped: AbortSignal | undefined;
  try {
    let first = true;
    for (;;) {
      let parsed: ParsedRequest;
      try {
        let frame: Uint8Array | null | undefined;
        if (first) {
          frame = await frames.read({
            signal: AbortSignal.any([options.stopSignal, AbortSignal.timeout(options.requestTimeoutMs)]),
          });
          if (frame === undefined) throw new ProtocolViolationError('stream ended before the invoke request');
        } else {
          stopped ??= AbortSignal.any([options.stopSignal]);
          frame = await nextFrame(frames, keepIdleMs, stopped);
          if (frame === null) {
            // a stopping node resets its kept streams: closing them would wait for the caller
            if (stopped.aborted) stream.abort(new AbortedError('the mesh node is stopping'));
            else await frames.closeWrite();
            return;
          }
        }
        parsed = parseRequest(frame);
      } catch (err) {
        options.counters.drop('malformed');
        const error = toAtmosphereError(err);
        await sendError(stream, frames, error.code, error.message);
        return;
      }
      first = false;
      if (!(await serveOne(stream, frames, parsed, state, options))) return;
    }
  } finally {
    stream.removeEventListener('close', onClose);
  }
}

interface ServeState {
  /** Aborts the request being served. */
  current: AbortController | undefined;
  /** The stream closed under us (the caller reset it or went away). */
  callerGone: boolean;
}

/** Sends an error frame (after any data frames still queued) and closes our end. */
async function sendError(stream: Stream, frames: FrameStream, code: string, message: string): Promise<void> {
  if (stream.writeStatus !== 'writable') return;
  try {
    await frames.flush(); // data frames still queued go first
    await frames.writeJson({ t: 'error', code, message });
    await frames.closeWrite();
  } catch {
    stream.abort(new AbortedError(message));
  }
}

/** Serves one request; true when the stream stays open for the caller's next request. */
async function serveOne(
  stream: Stream,
  frames: FrameStream,
  parsed: ParsedRequest,
  state: ServeState,
  options: ServeInvokeOptions,
): Promise<boolean> {
  const { request, keep } = parsed;
  const meshIds = options.meshIdsFor(request.meshId);
  if (meshIds.length === 0) {
    options.counters.drop('not_member');
    await sendError(stream, frames, 'not_member', 'the caller shares no such mesh with this node');
    return false;
  }
  const handler = options.handler;
  if (handler === undefined) {
    await sendError(stream, frames, 'not_found', 'this node serves no invoke requests');
    return false;
  }
  options.counters.invokesServed++;
  // the caller going away and the timeout abort `controller`; the node stopping, `stopSignal`
  const controller = new AbortController();
  const signal = AbortSignal.any([controller.signal, options.stopSignal]);
  const timer = setTimeout(() => {
    controller.abort(new TimeoutError('invoke timed out'));
  }, options.invokeTimeoutMs);
  unrefTimer(timer);
  state.current = controller;
  try {
    // queued: the values a handler yields in one burst leave in one write
    for await (const data of handler(request, { nodeId: options.callerId, meshIds, signal })) {
      if (signal.aborted) break;
      await frames.queueJson({ t: 'data', data }, { signal });
    }
    if (signal.aborted) throw abortError(signal, 'invoke');
    await frames.queueJson(keep ? { t: 'end', keep: true } : { t: 'end' }, { signal });
    await frames.flush({ signal });
    if (keep) return true;
    await frames.closeWrite({ signal });
    return false;
  } catch (err) {
    const error =
      signal.aborted && !(err instanceof AtmosphereError)
        ? abortError(signal, 'invoke')
        : toAtmosphereError(err);
    if (state.callerGone && stream.status !== 'open') return false; // the caller went away
    await sendError(stream, frames, error.code, error.message);
    return false;
  } finally {
    state.current = undefined;
    clearTimeout(timer);
  }
}
