import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeNotRunningError, TimeoutError } from '../core/index.js';
import { ApiClient } from './api-client.js';
import { nodeHttpTransport } from './http-transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

/** A server on loopback answering with `handler`; resolves with its base URL. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback URL nobody listens on (a port that was just free). */
async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('nodeHttpTransport', () => {
  it('sends the method, headers and body and reads status, headers and text', async () => {
    const url = await serve((req, res) => {
      void readBody(req).then((body) => {
        res.setHeader('X-Atmosphere-Node', 'kitchen');
        res.statusCode = 201;
        res.end(
          JSON.stringify({
            method: req.method,
            path: req.url,
            auth: req.headers.authorization,
            length: req.headers['content-length'],
            connection: req.headers.connection,
            body,
          }),
        );
      });
    });
    const res = await nodeHttpTransport(`${url}/api/echo?x=1`, {
      method: 'POST',
      headers: { Authorization: 'Bearer t0k', 'Content-Type': 'application/json' },
      body: '{"name":"höhe"}',
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-atmosphere-node')).toBe('kitchen');
    expect(res.headers.get('X-Atmosphere-Node')).toBe('kitchen');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(JSON.parse(await res.text())).toEqual({
      method: 'POST',
      path: '/api/echo?x=1',
      auth: 'Bearer t0k',
      length: String(Buffer.byteLength('{"name":"höhe"}')),
      connection: 'close',
      body: '{"name":"höhe"}',
    });
  });

  it('hands back an error status and a redirect as they are, without following it', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { Location: '/elsewhere' }).end();
        return;
      }
      res.writeHead(404).end('{"error":{"code":"not_found"}}');
    });
    const moved = await nodeHttpTransport(`${url}/moved`, { method: 'GET', headers: {} });
    expect(moved.status).toBe(302);
    expect(moved.ok).toBe(false);
    expect(moved.headers.get('location')).toBe('/elsewhere');
    const missing = await nodeHttpTransport(`${url}/nothing`, { method: 'GET', headers: {} });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"error":{"code":"not_found"}}');
  });

  it('rejects with the socket error when nothing listens', async () => {
    const err = await nodeHttpTransport(`${await closedUrl()}/health`, { method: 'GET', headers: {} }).catch(
      (e: unknown) => e,
    );
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it("rejects with the signal's reason when it aborts before the answer", async () => {
    const url = await serve(() => {
      // never answers
    });
    const timedOut = await nodeHttpTransport(`${url}/slow`, {
      method: 'GET',
      headers: {},
      signal: AbortSignal.timeout(50),
    }).catch((e: unknown) => e);
    expect((timedOut as Error).name).toBe('TimeoutError');

    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(
      nodeHttpTransport(`${url}/slow`, { method: 'GET', headers: {}, signal: controller.signal }),
    ).rejects.toThrow('gave up');
  });

  it("streams the body as it arrives and ends it with the signal's reason on abort", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: 1\n\n');
      // holds the stream open
    });
    const controller = new AbortController();
    const res = await nodeHttpTransport(`${url}/events`, {
      method: 'GET',
      headers: {},
      signal: controller.signal,
    });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of res.body ?? []) {
        seen.push(Buffer.from(chunk).toString('utf8'));
        controller.abort(new Error('stop reading'));
      }
    })();
    await expect(reading).rejects.toThrow('stop reading');
    expect(seen).toEqual(['data: 1\n\n']);
  });
});

describe('ApiClient over node:http', () => {
  it('reads JSON and server-sent events from a real server', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/api/status') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"name":"kitchen"}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Atmosphere-Route-Id': 'r1' });
      res.end('data: {"n":1}\n\nevent: message\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    });
    const client = new ApiClient({ baseUrl: url, token: 't' });
    expect(await client.status()).toEqual({ name: 'kitchen' });
    const events: unknown[] = [];
    for await (const { data, headers } of client.events('GET', '/api/events')) {
      events.push(data);
      expect(headers.get('x-atmosphere-route-id')).toBe('r1');
    }
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('reports a refused connection as NodeNotRunningError and a timeout as TimeoutError', async () => {
    const down = await closedUrl();
    const refused = await new ApiClient({ baseUrl: down }).health().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NodeNotRunningError);
    expect((refused as Error).message).toBe(`no node answering at ${down} (connection refused)`);

    const url = await serve(() => {
      // never answers
    });
    await expect(
      new ApiClient({ baseUrl: url }).health({ signal: AbortSignal.timeout(50) }),
    ).rejects.toBeInstanceOf(TimeoutError);
  });
});
