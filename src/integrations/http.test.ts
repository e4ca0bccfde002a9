/**
 * `HttpClient` against real `node:http` / `node:https` servers on 127.0.0.1 (port 0): what it
 * sends, how each failure surfaces as its typed error, that aborting really closes the upstream
 * request, and that connections are kept alive and reused without keeping a process alive.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AbortedError,
  BackendAuthError,
  BackendError,
  BackendStreamInterruptedError,
  BackendTimeoutError,
  BackendUnavailableError,
  ModelNotFoundError,
  silentLogger,
} from '../core/index.js';
import { closedPortUrl } from '../../test/doubles/double-server.js';
import type { TestCertificate } from '../../test/tls-fixtures.js';
import { certDir, selfSignedCertificate } from '../../test/tls-fixtures.js';
import type { HttpClientInit } from './http.js';
import { HttpClient } from './http.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly socket: Socket;
}

type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

interface TestServer {
  /** `http(s)://127.0.0.1:<port>` */
  readonly origin: string;
  readonly received: Received[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Resolves when a response closes before the handler ended it (the client went away). */
  nextAbort(): Promise<void>;
}

const servers: Server[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function startServer(handler: Handler, tls?: TestCertificate): Promise<TestServer> {
  const abortWaiters: (() => void)[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: req.socket,
      };
      state.received.push(received);
      res.on('close', () => {
        if (!res.writableEnded) for (const resolve of abortWaiters.splice(0)) resolve();
      });
      handler(req, res, received);
    });
  };
  const server: Server =
    tls === undefined
      ? createServer(listener)
      : createHttpsServer({ cert: tls.cert, key: tls.key }, listener);
  // Far longer than any test: a connection that closes was closed by the client (or the handler).
  server.keepAliveTimeout = 60_000;
  servers.push(server);
  const state: TestServer = {
    origin: '',
    received: [],
    connections: 0,
    nextAbort: () => new Promise((resolve) => abortWaiters.push(resolve)),
  };
  server.on('connection', () => state.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { origin: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}` });
}

function client(baseUrl: string, init: Partial<HttpClientInit> = {}): HttpClient {
  return new HttpClient(
    { logger: silentLogger() },
    {
      backend: 'test',
      baseUrl,
      timeoutMs: 5_000,
      streamIdleTimeoutMs: 5_000,
      readErrorBody: (body) => {
        const error = (body as { error?: { message?: unknown; code?: unknown } } | null)?.error;
        return {
          message: typeof error?.message === 'string' ? error.message : null,
          code: typeof error?.code === 'string' ? error.code : null,
        };
      },
      ...init,
    },
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts a chunked streamed answer with its first pieces. */
function startStream(res: ServerResponse, ...pieces: string[]): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const piece of pieces) res.write(piece);
}

async function drain(
  stream: AsyncIterable<Uint8Array>,
  onChunk: (index: number) => void = () => undefined,
): Promise<{ chunks: string[]; error: unknown }> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) {
      chunks.push(decoder.decode(chunk));
      onChunk(chunks.length - 1);
    }
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('HttpClient.json', () => {
  it('sends the JSON body with its content type, the accept header and custom headers, and parses the answer', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { ok: true, n: 3 }));
    const http = client(`${server.origin}/v1/`, { headers: { authorization: 'Bearer k1' } });
    const answer = await http.json({
      method: 'POST',
      path: '/chat/completions',
      body: { model: 'm', text: 'héllo' },
      headers: { 'x-extra': 'yes' },
    });
    expect(answer).toEqual({ ok: true, n: 3 });
    const [received] = server.received;
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/v1/chat/completions');
    expect(JSON.parse(received?.body ?? '')).toEqual({ model: 'm', text: 'héllo' });
    expect(received?.headers['content-type']).toBe('application/json');
    expect(received?.headers['content-length']).toBe(String(Buffer.byteLength(received?.body ?? '')));
    expect(received?.headers.accept).toBe('application/json, application/x-ndjson, text/event-stream');
    expect(received?.headers.authorization).toBe('Bearer k1');
    expect(received?.headers['x-extra']).toBe('yes');
  });

  it('sends a GET without a body or content type and returns null for an empty answer', async () => {
    const server = await startServer((_req, res) => res.end());
    const answer = await client(server.origin).json({ method: 'GET', path: '/api/tags' });
    expect(answer).toBeNull();
    expect(server.received[0]?.method).toBe('GET');
    expect(server.received[0]?.headers['content-type']).toBeUndefined();
    expect(server.received[0]?.body).toBe('');
  });

  it('fails with a malformed_response BackendError when the answer is not JSON', async () => {
    const server = await startServer((_req, res) => res.end('<html>proxy page</html>'));
    const error = await client(server.origin)
      .json({ method: 'GET', path: '/x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).details.reason).toBe('malformed_response');
    expect((error as BackendError).details.httpStatus).toBe(200);
  });

  it('fails with ModelNotFoundError on a 404 about a model, and a plain BackendError on other 404s', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 404, { error: { message: 'model "ghost" not found, try pulling it first' } }),
    );
    const http = client(server.origin);
    const error = await http
      .json({ method: 'POST', path: '/api/chat', body: {}, model: 'ghost' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as ModelNotFoundError).message).toContain('try pulling it first');
    const other = await http.json({ method: 'GET', path: '/nowhere' }).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(ModelNotFoundError);
    expect(other).toBeInstanceOf(BackendError);
    expect((other as BackendError).details.httpStatus).toBe(404);
  });

  it('fails with BackendAuthError on 401 and a BackendError with the upstream message on 500', async () => {
    let status = 401;
    const server = await startServer((_req, res) =>
      sendJson(res, status, { error: { message: status === 401 ? 'invalid api key' : 'model crashed' } }),
    );
    const http = client(server.origin);
    const auth = await http.json({ method: 'GET', path: '/models' }).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(BackendAuthError);
    expect((auth as BackendAuthError).message).toContain('invalid api key');
    status = 500;
    const failed = await http.json({ method: 'GET', path: '/models' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(BackendError);
    expect(failed).not.toBeInstanceOf(BackendAuthError);
    expect((failed as BackendError).message).toContain('model crashed');
    expect((failed as BackendError).details.httpStatus).toBe(500);
  });

  it('fails with BackendUnavailableError when nothing listens at the port', async () => {
    const error = await client(await closedPortUrl())
      .json({ method: 'GET', path: '/' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).message).toContain('connection refused');
  });

  it('dials an IPv6 loopback base URL', async () => {
    const server = createServer((req, res) => sendJson(res, 200, { host: req.headers.host, url: req.url }));
    servers.push(server);
    server.listen(0, '::1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const answer = await client(`http://[::1]:${port}/base`).json({ method: 'GET', path: '/x' });
    expect(answer).toEqual({ host: `[::1]:${port}`, url: '/base/x' });
  });

  it('fails with BackendUnavailableError for a base URL it cannot dial', async () => {
    const error = await client('ftp://127.0.0.1:1')
      .json({ method: 'GET', path: '/' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).message).toContain('unsupported scheme');
  });

  it('fails with BackendTimeoutError when the whole answer takes longer than the limit, and closes the request', async () => {
    // The head and half the body come at once; the rest never does.
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
    });
    const aborted = server.nextAbort();
    const started = performance.now();
    const error = await client(server.origin, { timeoutMs: 5_000 })
      .json({ method: 'GET', path: '/slow', timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendTimeoutError);
    expect((error as BackendTimeoutError).message).toContain('within 150 ms');
    expect(performance.now() - started).toBeLessThan(4_000);
    await aborted;
  });

  it('fails with AbortedError when the caller aborts, and closes the request', async () => {
    const server = await startServer(() => undefined);
    const aborted = server.nextAbort();
    const controller = new AbortController();
    const pending = client(server.origin)
      .json({ method: 'GET', path: '/never' }, { signal: controller.signal })
      .catch((e: unknown) => e);
    while (server.received.length === 0) await sleep(5);
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortedError);
    await aborted;
  });

  it('fails with BackendUnavailableError naming the kept-alive connection when the server drops it on reuse', async () => {
    let calls = 0;
    const server = await startServer((req, res) => {
      calls++;
      if (calls === 1) sendJson(res, 200, { first: true });
      else req.socket.destroy();
    });
    const http = client(server.origin);
    expect(await http.json({ method: 'GET', path: '/a' })).toEqual({ first: true });
    const error = await http.json({ method: 'GET', path: '/b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).message).toContain('kept-alive connection');
    expect((error as BackendUnavailableError).details.reusedConnection).toBe(true);
    expect(server.connections).toBe(1);
  });
});

describe('HttpClient.stream', () => {
  it('yields the body as it arrives', async () => {
    const server = await startServer((_req, res) => {
      startStream(res, 'one\n');
      setTimeout(() => res.end('two\n'), 30);
    });
    const { chunks, error } = await drain(
      client(server.origin).stream({ method: 'POST', path: '/s', body: {} }),
    );
    expect(error).toBeNull();
    expect(chunks.join('')).toBe('one\ntwo\n');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
  });

  it('fails on the first iteration with the typed error for an error status', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 404, { error: { message: 'no such model' } }),
    );
    const { chunks, error } = await drain(
      client(server.origin).stream({ method: 'POST', path: '/s', body: {}, model: 'ghost' }),
    );
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ModelNotFoundError);
  });

  it('fails with BackendTimeoutError when the response does not start in time', async () => {
    const server = await startServer(() => undefined);
    const aborted = server.nextAbort();
    const { error } = await drain(
      client(server.origin, { timeoutMs: 150 }).stream({ method: 'POST', path: '/s', body: {} }),
    );
    expect(error).toBeInstanceOf(BackendTimeoutError);
    expect((error as BackendTimeoutError).message).toContain('within 150 ms');
    await aborted;
  });

  it('fails with BackendTimeoutError when the stream goes silent mid-way, and closes the request', async () => {
    const server = await startServer((_req, res) => startStream(res, 'a'));
    const aborted = server.nextAbort();
    const { chunks, error } = await drain(
      client(server.origin, { streamIdleTimeoutMs: 150 }).stream({ method: 'POST', path: '/s', body: {} }),
    );
    expect(chunks).toEqual(['a']);
    expect(error).toBeInstanceOf(BackendTimeoutError);
    expect((error as BackendTimeoutError).message).toContain('sent nothing for 150 ms');
    await aborted;
  });

  it('counts only the time spent waiting on the server against the idle limit, not a slow consumer', async () => {
    const server = await startServer((_req, res) => {
      startStream(res, 'a');
      setTimeout(() => res.write('b'), 20);
    });
    const stream = client(server.origin, { streamIdleTimeoutMs: 150 }).stream({
      method: 'POST',
      path: '/s',
      body: {},
    });
    const { chunks, error } = await drain(
      (async function* slowly(): AsyncGenerator<Uint8Array> {
        for await (const chunk of stream) {
          yield chunk;
          await sleep(400);
        }
      })(),
    );
    // Both pieces arrive although the consumer sat on each longer than the limit; the silence after
    // them is still caught.
    expect(chunks).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(BackendTimeoutError);
  });

  it('fails with AbortedError when the caller aborts mid-stream, and the server sees the request close', async () => {
    const server = await startServer((_req, res) => {
      startStream(res, 'a');
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const aborted = server.nextAbort();
    const controller = new AbortController();
    const { chunks, error } = await drain(
      client(server.origin).stream({ method: 'POST', path: '/s', body: {} }, { signal: controller.signal }),
      (index) => {
        if (index === 1) controller.abort();
      },
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    await aborted;
  });

  it('sends nothing when the signal is already aborted', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, {}));
    const controller = new AbortController();
    controller.abort();
    const { error } = await drain(
      client(server.origin).stream({ method: 'POST', path: '/s', body: {} }, { signal: controller.signal }),
    );
    expect(error).toBeInstanceOf(AbortedError);
    const json = await client(server.origin)
      .json({ method: 'GET', path: '/' }, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(json).toBeInstanceOf(AbortedError);
    expect(server.connections).toBe(0);
  });

  it('closes the upstream request when the consumer breaks out of the loop', async () => {
    const server = await startServer((_req, res) => {
      startStream(res, 'a');
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const aborted = server.nextAbort();
    let seen = 0;
    for await (const chunk of client(server.origin).stream({ method: 'POST', path: '/s', body: {} })) {
      expect(chunk.length).toBeGreaterThan(0);
      if (++seen === 2) break;
    }
    await aborted;
    expect(server.received).toHaveLength(1);
  });

  it('fails with BackendStreamInterruptedError when the connection drops mid-stream', async () => {
    const server = await startServer((req, res) => {
      startStream(res, 'a');
      setTimeout(() => req.socket.destroy(), 30);
    });
    const { chunks, error } = await drain(
      client(server.origin).stream({ method: 'POST', path: '/s', body: {} }),
    );
    expect(chunks).toEqual(['a']);
    expect(error).toBeInstanceOf(BackendStreamInterruptedError);
    expect((error as BackendStreamInterruptedError).code).toBe('backend_stream_interrupted');
  });
});

describe('HttpClient connections', () => {
  it('reuses one kept-alive connection for consecutive requests and streams', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/s') {
        startStream(res, 'a');
        res.end('b');
      } else {
        sendJson(res, 200, { url: req.url });
      }
    });
    const http = client(server.origin);
    expect(await http.json({ method: 'GET', path: '/one' })).toEqual({ url: '/one' });
    expect(await http.json({ method: 'POST', path: '/two', body: { x: 1 } })).toEqual({ url: '/two' });
    const { chunks } = await drain(http.stream({ method: 'POST', path: '/s', body: {} }));
    expect(chunks.join('')).toBe('ab');
    expect(await http.json({ method: 'GET', path: '/three' })).toEqual({ url: '/three' });
    expect(server.received).toHaveLength(4);
    expect(server.connections).toBe(1);
    expect(new Set(server.received.map((r) => r.socket)).size).toBe(1);
  });

  it('keeps the connection when the consumer stops at its last piece and the body ends just after', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/s') {
        startStream(res, '{"done":true}\n');
        setTimeout(() => res.end(), 30);
      } else {
        sendJson(res, 200, { url: req.url });
      }
    });
    const http = client(server.origin);
    for await (const chunk of http.stream({ method: 'POST', path: '/s', body: {} })) {
      expect(Buffer.from(chunk).toString()).toContain('done');
      break;
    }
    // the body's end arrives 30 ms later, within the grace: the connection is back in the pool
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await http.json({ method: 'GET', path: '/after' })).toEqual({ url: '/after' });
    expect(server.received).toHaveLength(2);
    expect(new Set(server.received.map((r) => r.socket)).size).toBe(1);
  });

  it('refuses an https server whose certificate it cannot verify', async () => {
    const { dir, cleanup } = certDir();
    cleanups.push(cleanup);
    const server = await startServer((_req, res) => sendJson(res, 200, {}), selfSignedCertificate(dir));
    const error = await client(server.origin)
      .json({ method: 'GET', path: '/' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).message).toMatch(/certificate/);
    expect(server.connections).toBe(1);
    expect(server.received).toHaveLength(0);
  });

  it('talks to an https server it trusts, and its open kept-alive connection does not keep the process alive', async () => {
    const { dir, cleanup } = certDir();
    cleanups.push(cleanup);
    const certificate = selfSignedCertificate(dir);
    const server = await startServer((_req, res) => sendJson(res, 200, { secure: true }), certificate);
    const httpModule = fileURLToPath(new URL('./http.ts', import.meta.url));
    const coreModule = fileURLToPath(new URL('../core/index.ts', import.meta.url));
    const script = `
      import { HttpClient } from ${JSON.stringify(httpModule)};
      import { silentLogger } from ${JSON.stringify(coreModule)};
      const http = new HttpClient({ logger: silentLogger() }, {
        backend: 'test', baseUrl: ${JSON.stringify(server.origin)}, timeoutMs: 5000, streamIdleTimeoutMs: 5000,
        readErrorBody: () => ({ message: null, code: null }),
      });
      process.stdout.write(JSON.stringify(await http.json({ method: 'GET', path: '/' })));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The server keeps idle connections for a minute: a child held alive by its socket would be killed here.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(killer);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ secure: true });
    expect(server.received).toHaveLength(1);
  });
});
