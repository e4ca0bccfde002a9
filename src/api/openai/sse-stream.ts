/**
 * Server-sent events for streamed chat completions. The body is a pull-based `ReadableStream`: a
 * chunk is taken from the upstream only when the HTTP layer wants the next one, so each chunk is
 * written as soon as it exists and a slow reader slows the model down instead of filling memory.
 * A client that disconnects cancels the body, which aborts the upstream and stops its iteration.
 * A failure after the first byte ends the stream with an `error` event carrying OpenAI's error
 * envelope (no `[DONE]` follows):
 *
 *     event: error
 *     data: {"error":{"message":"…","type":"unavailable_error","code":"backend_stream_interrupted","param":null}}
 */
import type { ChatChunk } from '../../core/index.js';
import { BackendStreamInterruptedError } from '../../core/index.js';
import { errorToHttp } from '../http-errors.js';
import type { ChatChunkEncoder } from './chat-response.js';

/** One SSE event whose data is `value` as JSON. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The event that ends a stream that failed: OpenAI's error envelope under `event: error`. */
export function sseErrorEvent(err: unknown): string {
  return `event: error\n${sseData(errorToHttp(err).body)}`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * The SSE frames of a streamed chat completion: OpenAI chunks, then `[DONE]`. The events of one
 * upstream chunk leave together (the opening role chunk with the first piece, the finish chunk
 * with `[DONE]` once the upstream has ended), one body write each instead of one per event; every
 * piece of the answer still leaves as soon as it exists.
 */
export async function* chatCompletionFrames(
  stream: AsyncIterable<ChatChunk>,
  encoder: ChatChunkEncoder,
): AsyncGenerator<string> {
  let pending = sseData(encoder.start());
  try {
    for await (const chunk of stream) {
      for (const encoded of encoder.encode(chunk)) pending += sseData(encoded);
      if (!encoder.finished) {
        yield pending;
        pending = '';
      }
    }
  } catch (err) {
    if (pending !== '') yield pending; // what was answered goes out before the error event
    throw err;
  }
  if (!encoder.finished) {
    throw new BackendStreamInterruptedError('the answer stream ended before the model finished');
  }
  yield pending + SSE_DONE;
}

export interface SseBodyOptions {
  /** Called once when the client goes away before the end (abort the upstream here). */
  readonly onCancel: () => void;
  /** Called with a failure that happened after the first byte (it is also sent as an `error` event). */
  readonly onError: (err: unknown) => void;
}

/** A response body that writes each frame as soon as `frames` yields it. */
export function sseBody(frames: AsyncIterable<string>, options: SseBodyOptions): ReadableStream<Uint8Array> {
  const iterator = frames[Symbol.asyncIterator]();
  const bytes = new TextEncoder();
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (cancelled) return;
          if (next.done === true) controller.close();
          else controller.enqueue(bytes.encode(next.value));
        } catch (err) {
          if (cancelled) return;
          options.onError(err);
          controller.enqueue(bytes.encode(sseErrorEvent(err)));
          controller.close();
        }
      },
      cancel() {
        cancelled = true;
        options.onCancel();
        // Runs the generators' `finally` blocks (a pending `next` finishes first, on the abort).
        iterator.return?.().catch(() => {});
      },
    },
    // Pull only when the consumer asks: nothing is read ahead of what the client has taken.
    { highWaterMark: 0 },
  );
}

/** How long a followed stream may stay silent before a heartbeat comment is sent. */
export const SSE_HEARTBEAT_MS = 15_000;
/** A comment line: clients ignore it; it keeps proxies from closing an idle stream. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/**
 * `frames`, with a heartbeat comment whenever `intervalMs` pass without a frame, for streams that
 * follow something and may be silent for long (the audit log, trigger events). Ends when `frames` does.
 */
export async function* withSseHeartbeat(
  frames: AsyncIterable<string>,
  init: { intervalMs?: number } = {},
): AsyncGenerator<string> {
  const intervalMs = init.intervalMs ?? SSE_HEARTBEAT_MS;
  const iterator = frames[Symbol.asyncIterator]();
  // marked handled: a failure while a heartbeat is being written is thrown by the next race
  const nextFrame = (): Promise<IteratorResult<string>> => {
    const promise = iterator.next();
    promise.catch(() => undefined);
    return promise;
  };
  let pending = nextFrame();
  let finished = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<'silence'>((resolve) => {
        timer = setTimeout(() => resolve('silence'), intervalMs);
      });
      const next = await Promise.race([pending, silence]).finally(() => clearTimeout(timer));
      if (next === 'silence') {
        yield SSE_HEARTBEAT;
        continue;
      }
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
      pending = nextFrame();
    }
  } finally {
    // a consumer that stops early ends `frames` too (after its pending `next`, which an abort ends)
    if (!finished) iterator.return?.(undefined).catch(() => undefined);
  }
}
