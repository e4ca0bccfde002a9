import { setTimeout as delay } from 'node:timers/promises';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, NodeNotRunningError, PortInUseError } from '../src/core/index.js';
import { startHttpServer } from '../src/api/index.js';
import { ApiClient } from '../src/client/index.js';
import type { RunningHttpServer } from '../src/api/index.js';
import { BEARER, OWNER_TOKEN, recordingLogger, setupApi } from './api-fixtures.js';
import type { LoggedLine } from './api-fixtures.js';

const HOST = '127.0.0.1';
const servers: RunningHttpServer[] = [];

async function serve(api: ReturnType<typeof setupApi>['api']): Promise<RunningHttpServer> {
  const server = await startHttpServer(api, { host: HOST, port: 0 });
  servers.push(server);
  return server;
}

/** A route that signals when it starts and answers only when released. */
function gatedRoute(api: ReturnType<typeof setupApi>['api']) {
  let entered!: () => void;
  let release!: () => void;
  const started = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  api.app.get('/slow', async (c) => {
    entered();
    await gate;
    return c.text('done');
  });
  return { started, release };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ deadlineMs: 100 })));
});

describe('startHttpServer', () => {
  it('serves /health on 127.0.0.1 on the port it picked', async () => {
    const lines: LoggedLine[] = [];
    const { api } = setupApi({}, { logger: recordingLogger(lines) });
    const server = await serve(api);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', nodeId: '12D3KooWTestNode' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(lines.some((l) => l.level === 'warn')).toBe(false);
  });

  it('answers the ApiClient over a real socket, with authentication', async () => {
    const { api } = setupApi();
    const server = await serve(api);
    expect((await new ApiClient({ baseUrl: server.url, token: OWNER_TOKEN }).status()).nodeId).toBe(
      '12D3KooWTestNode',
    );
    const res = await fetch(`${server.url}/metrics`, { headers: BEARER });
    expect(await res.text()).toContain(
      'atmosphere_http_requests_total{method="GET",route="/api/status",status="200"} 1',
    );
  });

  it('refuses a port that is already taken with PortInUseError naming host and port', async () => {
    const first = await serve(setupApi().api);
    const err = await startHttpServer(setupApi().api, { host: HOST, port: first.port }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as Error).message).toContain(`127.0.0.1:${first.port}`);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
  });

  it('does not start when its signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      startHttpServer(setupApi().api, { host: HOST, port: 0, signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    const during = new AbortController();
    const starting = startHttpServer(setupApi().api, { host: HOST, port: 0, signal: during.signal });
    during.abort();
    await expect(starting).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('RunningHttpServer.close', () => {
  it('waits for an in-flight request to finish while refusing new connections', async () => {
    const { api } = setupApi();
    const { started, release } = gatedRoute(api);
    const server = await serve(api);
    const pending = fetch(`${server.url}/slow`);
    await started;

    let closed = false;
    const closing = server.close({ deadlineMs: 10_000 }).then(() => {
      closed = true;
    });
    await delay(200);
    expect(closed).toBe(false);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('done');
    const t0 = Date.now();
    await closing;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(server.close()).toBe(server.close());
  });

  it('closes the connections still busy at the deadline', async () => {
    const lines: LoggedLine[] = [];
    const { api } = setupApi({}, { logger: recordingLogger(lines) });
    const { started } = gatedRoute(api);
    const server = await serve(api);
    const pending = fetch(`${server.url}/slow`).then(
      () => 'answered',
      () => 'failed',
    );
    await started;
    const t0 = Date.now();
    await server.close({ deadlineMs: 300 });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
    expect(await pending).toBe('failed');
    expect(lines.some((l) => l.level === 'warn' && l.msg.includes('deadline'))).toBe(true);
  });

  it('leaves a client that dials it afterwards with NodeNotRunningError', async () => {
    const server = await startHttpServer(setupApi().api, { host: HOST, port: 0 });
    await server.close();
    const err = await new ApiClient({ baseUrl: server.url }).health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeNotRunningError);
    expect((err as Error).message).toContain(`no node answering at ${server.url}`);
  });
});

/** One request over node:http (no fetch): `chunks` are written one by one, which makes the body chunked. */
function rawRequest(
  url: string,
  method: string,
  chunks: readonly string[] = [],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: BEARER, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('request bodies over a real socket', () => {
  function echoApi(maxBodyBytes: number) {
    const { api } = setupApi({ maxBodyBytes });
    api.app.delete('/api/echo', async (c) => c.json({ body: await c.req.text() }));
    api.app.post('/api/echo', async (c) => c.json({ body: await c.req.text() }));
    return api;
  }

  it('accepts a DELETE sent by node:http without a body', async () => {
    const server = await serve(echoApi(64));
    const res = await rawRequest(`${server.url}/api/echo`, 'DELETE');
    expect(res).toEqual({ status: 200, body: JSON.stringify({ body: '' }) });
  });

  it('passes a chunked body under the limit intact and refuses one over it with 413', async () => {
    const server = await serve(echoApi(64));
    const ok = await rawRequest(`${server.url}/api/echo`, 'POST', ['{"a":', '1}']);
    expect(ok).toEqual({ status: 200, body: JSON.stringify({ body: '{"a":1}' }) });
    const big = await rawRequest(`${server.url}/api/echo`, 'POST', ['x'.repeat(40), 'y'.repeat(40)]);
    expect(big.status).toBe(413);
    expect(big.body).toContain('larger than 64 bytes');
  });
});
