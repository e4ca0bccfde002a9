import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';

/** One request as the API client sends it. */
export interface HttpRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** The headers of an answer; `get` is case-insensitive and returns null for a missing header. */
export interface HttpResponseHeaders {
  get(name: string): string | null;
}

/** The part of a fetch `Response` the API client reads. */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: HttpResponseHeaders;
  /** The body as it arrives; null when there is none. */
  readonly body: AsyncIterable<Uint8Array> | null;
  /** The whole body decoded as UTF-8. */
  text(): Promise<string>;
}

/**
 * Sends one request. Like fetch it resolves once the headers arrive (whatever the status, never
 * following a redirect), rejects with the socket error when nothing answers, and rejects (or ends
 * the body) with `signal.reason` when the signal aborts.
 */
export type HttpTransport = (url: string, request: HttpRequest) => Promise<HttpResponse>;

/** A transport over a WHATWG `fetch` (tests pass one that calls an app in memory). */
export function fetchTransport(fetchFn: typeof fetch): HttpTransport {
  return async (url, request) =>
    fetchFn(url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
      redirect: 'manual',
    });
}

class IncomingHeaders implements HttpResponseHeaders {
  private readonly raw: IncomingMessage['headers'];

  constructor(raw: IncomingMessage['headers']) {
    this.raw = raw;
  }

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * A transport over `node:http` for `http:` URLs (anything else goes to the global fetch). The CLI
 * uses it instead of fetch: on Node 20 the first fetch loads undici (~40 ms), and its pooled
 * keep-alive socket holds a short-lived command open for another ~100 ms after the answer. Each
 * request here has a connection of its own that closes with the answer (`Connection: close`).
 */
export const nodeHttpTransport: HttpTransport = (url, request) => {
  const target = new URL(url);
  if (target.protocol !== 'http:') return fetchTransport(globalThis.fetch)(url, request);
  const { signal } = request;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const outgoing = httpRequest(target, { method: request.method, headers, agent: false });
    let incoming: IncomingMessage | undefined;
    const onAbort = (): void => {
      const reason = signal?.reason as Error;
      if (incoming) incoming.destroy(reason);
      else {
        reject(reason);
        outgoing.destroy();
      }
    };
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (err) => {
      done();
      reject(err);
    });
    outgoing.on('response', (res) => {
      incoming = res;
      res.on('close', done);
      // the reader of the body sees a failure through `text()` or the iterator; this listener only
      // keeps an unread failed body from becoming an uncaught 'error' event
      res.on('error', () => undefined);
      const status = res.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        headers: new IncomingHeaders(res.headers),
        body: res,
        text: () => readText(res),
      });
    });
    outgoing.end(request.body);
  });
};
