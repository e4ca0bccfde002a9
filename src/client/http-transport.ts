import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { checkServerIdentity } from 'node:tls';

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

/** True for host names and addresses only this machine can reach (`URL.hostname`, brackets or not). */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}

export interface NodeHttpTransportInit {
  /**
   * PEM certificates trusted for `https:` URLs instead of the public roots: the node's own
   * certificate (`tls.cert_file`, self-signed or issued by a private CA such as mkcert's) or the CA
   * that issued it. Default: the public roots, or, for a loopback URL, no check (see `tlsOptions`).
   */
  readonly ca?: string;
}

/**
 * How an `https:` request checks the server. The CLI talks to its own node, whose certificate is
 * meant for phones: it names the node's LAN address or DNS name, rarely the 127.0.0.1 the CLI dials.
 * - With `ca` (the node's certificate, pinned): the chain must lead to it (a leaf counts as an
 *   anchor: `allowPartialTrustChain`); the host name may differ when the URL is loopback or when the
 *   server presents exactly a pinned certificate.
 * - Without `ca`, to a loopback URL: no check. The CLI reaches its own node on this machine and
 *   authenticates with the owner token, as it does over plain HTTP on loopback; TLS there only keeps
 *   the one API port that serves phones from also needing a plain-HTTP twin.
 * - Without `ca`, elsewhere: the public roots and the host name, as any client.
 */
export function tlsOptions(target: URL, ca: string | undefined): HttpsRequestOptions {
  const loopback = isLoopbackHostname(target.hostname);
  if (ca === undefined) return loopback ? { rejectUnauthorized: false } : {};
  const pinned = new Set(pemCertificates(ca).map((pem) => new X509Certificate(pem).fingerprint256));
  return {
    ca,
    allowPartialTrustChain: true,
    checkServerIdentity: (hostname: string, cert: PeerCertificate): Error | undefined => {
      const mismatch = checkServerIdentity(hostname, cert);
      if (mismatch === undefined || loopback || pinned.has(cert.fingerprint256)) return undefined;
      return mismatch;
    },
  };
}

/** Each `-----BEGIN CERTIFICATE-----` block of a PEM bundle. */
function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * A transport over `node:http` and `node:https` (other schemes go to the global fetch). The CLI
 * uses it instead of fetch: on Node 20 the first fetch loads undici (~40 ms), and its pooled
 * keep-alive socket holds a short-lived command open for another ~100 ms after the answer. Each
 * request here has a connection of its own that closes with the answer (`Connection: close`).
 * `https:` URLs are checked as `tlsOptions` says.
 */
export function createNodeHttpTransport(init: NodeHttpTransportInit = {}): HttpTransport {
  return (url, request) => nodeRequest(url, request, init);
}

/** `createNodeHttpTransport()` without a pinned certificate. */
export const nodeHttpTransport: HttpTransport = createNodeHttpTransport();

function nodeRequest(url: string, request: HttpRequest, init: NodeHttpTransportInit): Promise<HttpResponse> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return fetchTransport(globalThis.fetch)(url, request);
  }
  const { signal } = request;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const outgoing =
      target.protocol === 'https:'
        ? httpsRequest(target, {
            method: request.method,
            headers,
            agent: false,
            ...tlsOptions(target, init.ca),
          })
        : httpRequest(target, { method: request.method, headers, agent: false });
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
}
