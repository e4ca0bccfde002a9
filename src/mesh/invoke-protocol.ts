/**
 * `/atmosphere/invoke/1.0.0` on one stream: the caller sends one request frame, the server answers
 * with data frames and an end or error frame. Either side cancels by resetting the stream. Gating
 * (membership, shared meshes) is done by `MeshService` before these run.
 */
import type { Stream } from '@libp2p/interface';
import type { InvokeFrame, InvokeHandler, InvokeRequest } from '../core/index.js';
import {
  AbortedError,
  AtmosphereError,
  InvokeRefusedError,
  InvokeRemoteError,
  ProtocolViolationError,
  toAtmosphereError,
} from '../core/index.js';
import { FrameStream, parseJsonFrame } from './framing.js';
import type { MeshCounters } from './gossip-guard.js';
import { invokeReplySchema, invokeRequestSchema } from './messages.js';
import { abortError } from './signals.js';
import type { ChunkArrival } from './transfer-rate.js';
import { timeFrame, varintLength } from './transfer-rate.js';

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

/** Caller side: sends the request and yields the reply's data frames. */
export async function* callInvoke(
  stream: Stream,
  request: InvokeRequest,
  options: InvokeCallOptions,
): AsyncGenerator<InvokeFrame> {
  const { signal, nodeId } = options;
  stream.inactivityTimeout = options.idleTimeoutMs;
  const frames = new FrameStream(stream, { maxFrameBytes: options.maxFrameBytes });
  let finished = false;
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
    await frames.writeJson(
      { v: 1, capability: request.capability, input: request.input, meshId: request.meshId },
      { signal },
    );
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
      const reply = parseJsonFrame(frame, invokeReplySchema, 'invoke reply');
      if (reply.t === 'end') {
        finished = true;
        return;
      }
      if (reply.t === 'error') {
        finished = true;
        throw new InvokeRemoteError(`${nodeId}: ${reply.message}`, {
          details: { nodeId, remoteCode: reply.code },
        });
      }
      yield { type: 'data', data: reply.data };
    }
  } finally {
    if (listening) stream.removeEventListener('message', onMessage);
    if (finished) {
      await frames.closeWrite();
    } else {
      stream.abort(new AbortedError('invoke cancelled by the caller'));
    }
  }
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
  /** Aborted when this node stops. */
  readonly stopSignal: AbortSignal;
  readonly counters: MeshCounters;
}

/** Server side: reads the request, runs the handler, streams its values; never throws. */
export async function serveInvoke(stream: Stream, options: ServeInvokeOptions): Promise<void> {
  const controller = new AbortController();
  const onClose = (): void => {
    controller.abort(new AbortedError('the caller cancelled the invoke'));
  };
  stream.addEventListener('close', onClose);
  const signal = AbortSignal.any([
    controller.signal,
    options.stopSignal,
    AbortSignal.timeout(options.invokeTimeoutMs),
  ]);
  stream.inactivityTimeout = options.invokeTimeoutMs;
  const frames = new FrameStream(stream, { maxFrameBytes: options.maxFrameBytes });
  const sendError = async (code: string, message: string): Promise<void> => {
    if (stream.writeStatus !== 'writable') return;
    try {
      await frames.flush(); // data frames still queued go first
      await frames.writeJson({ t: 'error', code, message });
      await frames.closeWrite();
    } catch {
      stream.abort(new AbortedError(message));
    }
  };
  try {
    let request;
    try {
      request = await frames.readJson(invokeRequestSchema, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.requestTimeoutMs)]),
        what: 'invoke request',
      });
    } catch (err) {
      options.counters.drop('malformed');
      const error = toAtmosphereError(err);
      await sendError(error.code, error.message);
      return;
    }
    const meshIds = options.meshIdsFor(request.meshId);
    if (meshIds.length === 0) {
      options.counters.drop('not_member');
      await sendError('not_member', 'the caller shares no such mesh with this node');
      return;
    }
    const handler = options.handler;
    if (handler === undefined) {
      await sendError('not_found', 'this node serves no invoke requests');
      return;
    }
    options.counters.invokesServed++;
    const invokeRequest: InvokeRequest =
      request.meshId === undefined
        ? { capability: request.capability, input: request.input }
        : { capability: request.capability, input: request.input, meshId: request.meshId };
    try {
      // queued: the values a handler yields in one burst leave in one write
      for await (const data of handler(invokeRequest, { nodeId: options.callerId, meshIds, signal })) {
        if (signal.aborted) break;
        await frames.queueJson({ t: 'data', data }, { signal });
      }
      if (signal.aborted) throw abortError(signal, 'invoke');
      await frames.queueJson({ t: 'end' }, { signal });
      await frames.flush({ signal });
      await frames.closeWrite({ signal });
    } catch (err) {
      const error =
        signal.aborted && !(err instanceof AtmosphereError)
          ? abortError(signal, 'invoke')
          : toAtmosphereError(err);
      if (controller.signal.aborted && stream.status !== 'open') return; // the caller went away
      await sendError(error.code, error.message);
    }
  } finally {
    stream.removeEventListener('close', onClose);
  }
}
