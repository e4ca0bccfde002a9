import { afterEach, describe, expect, it } from 'vitest';
import type { InvokeContext, InvokeFrame, InvokeRequest } from '../src/core/index.js';
import { AbortedError, InvalidInputError } from '../src/core/index.js';
import type { MeshService, MeshServiceInit } from '../src/mesh/index.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

async function pair(
  serverInit: MeshServiceInit = {},
): Promise<{ server: MeshService; client: MeshService; meshId: string }> {
  const server = await mesh.node(61, serverInit);
  const client = await mesh.node(62);
  const { meshId } = await server.createMesh('Work');
  await client.join((await server.createInvite({ meshId })).token);
  await waitFor(() => connectedIds(client).includes(server.nodeId), 'the pair to connect');
  return { server, client, meshId };
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

describe('the invoke protocol', () => {
  it('streams the reply frames in order and tells the handler who called', async () => {
    const { server, client, meshId } = await pair();
    const seen: { request: InvokeRequest; context: Omit<InvokeContext, 'signal'> }[] = [];
    server.handleInvoke(async function* (request, context) {
      seen.push({ request, context: { nodeId: context.nodeId, meshIds: context.meshIds } });
      for (let i = 0; i < 5; i++) {
        await sleep(10);
        yield { token: `t${i}`, echo: request.input };
      }
    });
    const frames: InvokeFrame[] = [];
    for await (const frame of client.invoke(server.nodeId, { capability: 'chat', input: { q: 'hi' } }))
      frames.push(frame);
    expect(frames.map((f) => (f.data as { token: string }).token)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(frames[0]).toEqual({ type: 'data', data: { token: 't0', echo: { q: 'hi' } } });
    expect(seen).toEqual([
      {
        request: { capability: 'chat', input: { q: 'hi' } },
        context: { nodeId: client.nodeId, meshIds: [meshId] },
      },
    ]);
    expect(server.stats().invokesServed).toBe(1);
  });

  it('cancels the remote handler when the caller aborts', async () => {
    const { server, client } = await pair();
    let handlerAborted = false;
    server.handleInvoke(async function* (_request, { signal }) {
      signal.addEventListener('abort', () => {
        handlerAborted = true;
      });
      for (let i = 0; ; i++) {
        if (signal.aborted) return;
        yield i;
        await sleep(30);
      }
    });
    const controller = new AbortController();
    const frames: unknown[] = [];
    await expect(
      (async () => {
        for await (const frame of client.invoke(
          server.nodeId,
          { capability: 'count', input: null },
          { signal: controller.signal },
        )) {
          frames.push(frame.data);
          if (frames.length === 3) controller.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(frames).toEqual([0, 1, 2]);
    await waitFor(() => handlerAborted, 'the remote handler to see the cancellation', 2_000);
  });

  it('cancels the remote handler when the caller stops reading', async () => {
    const { server, client } = await pair();
    let handlerAborted = false;
    server.handleInvoke(async function* (_request, { signal }) {
      signal.addEventListener('abort', () => {
        handlerAborted = true;
      });
      for (let i = 0; !signal.aborted; i++) {
        yield i;
        await sleep(30);
      }
    });
    for await (const frame of client.invoke(server.nodeId, { capability: 'count', input: null })) {
      if (frame.data === 1) break;
    }
    await waitFor(() => handlerAborted, 'the remote handler to see the cancellation', 2_000);
  });

  it('reports a handler error with its code, and an unknown capability', async () => {
    const { server, client } = await pair();
    server.handleInvoke(async function* (request) {
      await Promise.resolve();
      if (request.capability !== 'ok') throw new InvalidInputError(`no capability ${request.capability}`);
      yield 'fine';
    });
    const collect = async (capability: string): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const frame of client.invoke(server.nodeId, { capability, input: null }))
        out.push(frame.data);
      return out;
    };
    await expect(collect('ok')).resolves.toEqual(['fine']);
    await expect(collect('nope')).rejects.toMatchObject({
      code: 'invoke_remote_error',
      details: { remoteCode: 'invalid_input' },
      message: expect.stringContaining('no capability nope'),
    });
  });

  it('stops a handler at the server timeout and reports it', async () => {
    const { server, client } = await pair({ invokeTimeoutMs: 300 });
    server.handleInvoke(async function* (_request, { signal }) {
      yield 'started';
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    const out: unknown[] = [];
    await expect(
      (async () => {
        for await (const frame of client.invoke(server.nodeId, { capability: 'slow', input: null }))
          out.push(frame.data);
      })(),
    ).rejects.toMatchObject({ code: 'invoke_remote_error', details: { remoteCode: 'timeout' } });
    expect(out).toEqual(['started']);
  });

  it('enforces frame size limits on both sides', async () => {
    const { server, client } = await pair({ maxFrameBytes: 64 * 1024 });
    server.handleInvoke(async function* (request) {
      await Promise.resolve();
      yield request.capability === 'big' ? 'x'.repeat(100 * 1024) : 'small';
    });
    const collect = async (capability: string, input: unknown): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const frame of client.invoke(server.nodeId, { capability, input })) out.push(frame.data);
      return out;
    };
    await expect(collect('big', null)).rejects.toMatchObject({
      details: { remoteCode: 'message_too_large' },
    });
    await expect(collect('small', 'y'.repeat(2 * 1024 * 1024))).rejects.toMatchObject({
      code: 'message_too_large',
    });
    await expect(collect('small', null)).resolves.toEqual(['small']);
  });

  it('refuses to invoke a node that shares no mesh, and fails a call when the server stops', async () => {
    const { server, client } = await pair();
    const stranger = await mesh.node(63);
    await expect(
      (async () => {
        for await (const _ of client.invoke(stranger.nodeId, { capability: 'x', input: null })) break;
      })(),
    ).rejects.toMatchObject({ code: 'not_member' });
    server.handleInvoke(async function* (_request, { signal }) {
      yield 'first';
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    const out: unknown[] = [];
    await expect(
      (async () => {
        for await (const frame of client.invoke(server.nodeId, { capability: 'x', input: null })) {
          out.push(frame.data);
          await server.stop();
        }
      })(),
    ).rejects.toBeDefined();
    expect(out).toEqual(['first']);
  });
});
