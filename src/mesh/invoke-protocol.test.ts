import type { Stream } from '@libp2p/interface';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { InvokeHandler, InvokeRequest } from '../core/index.js';
import { AbortedError, InvalidInputError } from '../core/index.js';
import { FrameStream } from './framing.js';
import { MeshCounters } from './gossip-guard.js';
import type { InvokeCallOptions } from './invoke-protocol.js';
import { InvokeStreamPool, serveInvoke } from './invoke-protocol.js';

type Status = 'open' | 'closed' | 'aborted' | 'reset';
type WriteStatus = 'writable' | 'closing' | 'closed';

/**
 * One end of an in-memory stream pair with the parts of libp2p's `Stream` the invoke protocol
 * uses: bytes sent arrive at the other end a moment later, `close` ends our writing (the other end
 * reads to the end), `abort` resets both ends.
 */
class MemoryStream extends EventTarget {
  status: Status = 'open';
  writeStatus: WriteStatus = 'writable';
  readStatus: 'readable' | 'closed' = 'readable';
  remoteWriteStatus: 'writable' | 'closed' = 'writable';
  inactivityTimeout = 0;
  writableNeedsDrain = false;
  /** How long our end's close takes to reach the other end (a close still in flight). */
  closeDelayMs = 0;
  peer!: MemoryStream;
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  send(data: Uint8Array | { subarray(): Uint8Array }): boolean {
    if (this.writeStatus !== 'writable' || this.status !== 'open') throw new Error('stream not writable');
    const bytes = data instanceof Uint8Array ? data.slice() : data.subarray().slice();
    setTimeout(() => {
      this.peer.receive(bytes);
    }, 0);
    return true;
  }

  async onDrain(): Promise<void> {
    await Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.writeStatus !== 'writable') return;
    this.writeStatus = 'closed';
    await new Promise((resolve) => setTimeout(resolve, this.closeDelayMs));
    this.peer.remoteClosed();
  }

  abort(err: Error): void {
    if (this.status !== 'open') return;
    this.finish('aborted', err);
    this.peer.finish('reset', err);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = this.chunks.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private receive(bytes: Uint8Array): void {
    if (this.status !== 'open') return;
    this.chunks.push(bytes);
    this.dispatchEvent(Object.assign(new Event('message'), { data: bytes }));
    this.poke();
  }

  private remoteClosed(): void {
    if (this.status !== 'open') return;
    this.remoteWriteStatus = 'closed';
    this.ended = true;
    this.poke();
    if (this.writeStatus === 'closed') {
      this.finish('closed');
      this.peer.finish('closed');
    }
  }

  private finish(status: Status, err?: Error): void {
    if (this.status !== 'open') return;
    this.status = status;
    this.writeStatus = 'closed';
    this.readStatus = 'closed';
    this.remoteWriteStatus = 'closed';
    if (err !== undefined) this.failure = err;
    this.ended = true;
    this.poke();
    this.dispatchEvent(new Event('close'));
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

interface Opened {
  readonly caller: MemoryStream;
  readonly served: Promise<void>;
}

/** Opens stream pairs whose far end is served by `handler` (`serveInvoke`), and counts them. */
function server(
  handler: InvokeHandler,
  options: { keepIdleMs?: number; closeDelayMs?: number; stopSignal?: AbortSignal } = {},
) {
  const opened: Opened[] = [];
  const open = async (): Promise<Stream> => {
    await Promise.resolve();
    const caller = new MemoryStream();
    const callee = new MemoryStream();
    caller.peer = callee;
    callee.peer = caller;
    callee.closeDelayMs = options.closeDelayMs ?? 0;
    const served = serveInvoke(callee as unknown as Stream, {
      callerId: 'caller',
      handler,
      meshIdsFor: () => ['mesh-a'],
      maxFrameBytes: 64 * 1024,
      invokeTimeoutMs: 5_000,
      requestTimeoutMs: 1_000,
      stopSignal: options.stopSignal ?? new AbortController().signal,
      counters: new MeshCounters(),
      ...(options.keepIdleMs === undefined ? {} : { keepIdleMs: options.keepIdleMs }),
    });
    opened.push({ caller, served });
    return caller as unknown as Stream;
  };
  return { opened, open };
}

const OPTIONS: InvokeCallOptions = { nodeId: 'server', maxFrameBytes: 64 * 1024, idleTimeoutMs: 5_000 };
const CONNECTION = {};
const request = (capability: string): InvokeRequest => ({ capability, input: null });

async function collect(
  pool: InvokeStreamPool,
  open: () => Promise<Stream>,
  capability: string,
  signal?: AbortSignal,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const frame of pool.call(CONNECTION, open, request(capability), { ...OPTIONS, signal }))
    out.push(frame.data);
  return out;
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

const echo: InvokeHandler = async function* (req) {
  await Promise.resolve();
  yield `${req.capability}:1`;
  yield `${req.capability}:2`;
};

describe('kept invoke streams', () => {
  it('carries calls made one after another on one stream', async () => {
    const pool = new InvokeStreamPool();
    const { opened, open } = server(echo);
    expect(await collect(pool, open, 'a')).toEqual(['a:1', 'a:2']);
    expect(await collect(pool, open, 'b')).toEqual(['b:1', 'b:2']);
    expect(await collect(pool, open, 'c')).toEqual(['c:1', 'c:2']);
    expect(opened).toHaveLength(1);
    expect(pool.size()).toBe(1);
    pool.clear();
  });

  it('opens another stream only for a call made while every kept one is busy', async () => {
    const pool = new InvokeStreamPool();
    const { opened, open } = server(async function* (req) {
      await sleep(20);
      yield req.capability;
    });
    expect(await Promise.all(['a', 'b', 'c'].map((c) => collect(pool, open, c)))).toEqual([
      ['a'],
      ['b'],
      ['c'],
    ]);
    expect(opened).toHaveLength(3);
    expect(await Promise.all(['d', 'e'].map((c) => collect(pool, open, c)))).toEqual([['d'], ['e']]);
    expect(opened).toHaveLength(3);
    pool.clear();
  });

  it('closes the stream after one call when the server does not keep it (an older node)', async () => {
    const pool = new InvokeStreamPool();
    const callers: MemoryStream[] = [];
    // the protocol before kept streams: one request, data frames, a plain end, and the end closed
    const open = async (): Promise<Stream> => {
      await Promise.resolve();
      const caller = new MemoryStream();
      const callee = new MemoryStream();
      caller.peer = callee;
      callee.peer = caller;
      callers.push(caller);
      const frames = new FrameStream(callee as unknown as Stream);
      void (async () => {
        const req = await frames.readJson(z.object({ capability: z.string() }));
        await frames.writeJson({ t: 'data', data: `${req.capability}:old` });
        await frames.writeJson({ t: 'end' });
        await frames.closeWrite();
      })();
      return caller as unknown as Stream;
    };
    expect(await collect(pool, open, 'a')).toEqual(['a:old']);
    expect(pool.size()).toBe(0);
    await sleep(10);
    expect(callers[0]?.status).toBe('closed');
    expect(await collect(pool, open, 'b')).toEqual(['b:old']);
    expect(callers).toHaveLength(2);
  });

  it('sends a request again on a new stream when the server had closed the kept one, running it once', async () => {
    const pool = new InvokeStreamPool({ idleMs: 10_000 });
    const runs: string[] = [];
    const handler: InvokeHandler = async function* (req) {
      await Promise.resolve();
      runs.push(req.capability);
      yield req.capability;
    };
    // the server's close is still on its way when the next call takes the kept stream
    const { opened, open } = server(handler, { keepIdleMs: 30, closeDelayMs: 100 });
    expect(await collect(pool, open, 'a')).toEqual(['a']);
    await sleep(60);
    expect(await collect(pool, open, 'b')).toEqual(['b']);
    expect(runs).toEqual(['a', 'b']);
    expect(opened).toHaveLength(2);
    // a close that has arrived: the kept stream is dropped before it is used
    await sleep(60);
    expect(await collect(pool, open, 'c')).toEqual(['c']);
    expect(runs).toEqual(['a', 'b', 'c']);
    expect(opened).toHaveLength(3);
    pool.clear();
  });

  it('never keeps a stream whose call was cancelled, and the server sees the cancellation', async () => {
    const pool = new InvokeStreamPool();
    let serverSawAbort = false;
    const { opened, open } = server(async function* (req, { signal }) {
      signal.addEventListener('abort', () => {
        serverSawAbort = true;
      });
      for (let i = 0; req.capability === 'slow' && !signal.aborted; i++) {
        yield i;
        await sleep(10);
      }
      yield 'done';
    });
    expect(await collect(pool, open, 'quick')).toEqual(['done']);
    const controller = new AbortController();
    await expect(
      (async () => {
        for await (const frame of pool.call(CONNECTION, open, request('slow'), {
          ...OPTIONS,
          signal: controller.signal,
        })) {
          if (frame.data === 2) controller.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(AbortedError);
    await sleep(30);
    expect(serverSawAbort).toBe(true);
    expect(opened[0]?.caller.status).toBe('aborted');
    expect(pool.size()).toBe(0);
    expect(await collect(pool, open, 'quick')).toEqual(['done']);
    expect(opened).toHaveLength(2);
    pool.clear();
  });

  it('closes the stream after an error answer and reports the remote code', async () => {
    const pool = new InvokeStreamPool();
    const { opened, open } = server(async function* (req) {
      await Promise.resolve();
      if (req.capability === 'bad') throw new InvalidInputError('no such thing');
      yield 'fine';
    });
    expect(await collect(pool, open, 'ok')).toEqual(['fine']);
    await expect(collect(pool, open, 'bad')).rejects.toMatchObject({
      code: 'invoke_remote_error',
      details: { remoteCode: 'invalid_input' },
    });
    expect(pool.size()).toBe(0);
    expect(await collect(pool, open, 'ok')).toEqual(['fine']);
    expect(opened).toHaveLength(2);
    pool.clear();
  });

  it('closes kept streams that stay unused for idleMs, and the server ends them too', async () => {
    const pool = new InvokeStreamPool({ idleMs: 20 });
    const { opened, open } = server(echo);
    await collect(pool, open, 'a');
    expect(pool.size()).toBe(1);
    await sleep(60);
    expect(pool.size()).toBe(0);
    await opened[0]?.served;
    expect(opened[0]?.caller.status).toBe('closed');
  });

  it('resets the streams it keeps when the serving node stops, and a new call opens a new one', async () => {
    const pool = new InvokeStreamPool();
    const stop = new AbortController();
    const { opened, open } = server(echo, { stopSignal: stop.signal });
    await collect(pool, open, 'a');
    stop.abort(new AbortedError('the mesh node is stopping'));
    await opened[0]?.served;
    expect(opened[0]?.caller.status).toBe('reset');
    await expect(collect(pool, open, 'b')).rejects.toMatchObject({ code: 'invoke_remote_error' });
    expect(opened).toHaveLength(2);
    pool.clear();
  });

  it('keeps at most maxKeptPerConnection streams and resets the kept ones on clear', async () => {
    const pool = new InvokeStreamPool({ maxKeptPerConnection: 2 });
    const { opened, open } = server(async function* (req) {
      await sleep(10);
      yield req.capability;
    });
    await Promise.all(['a', 'b', 'c', 'd'].map((c) => collect(pool, open, c)));
    expect(opened).toHaveLength(4);
    expect(pool.size()).toBe(2);
    pool.clear();
    expect(pool.size()).toBe(0);
    await Promise.all(opened.map((o) => o.served));
    expect(opened.filter((o) => o.caller.status === 'aborted')).toHaveLength(2);
  });
});
