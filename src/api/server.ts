import type { Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { AbortedError, PortInUseError, toAtmosphereError } from '../core/index.js';
import type { ApiApp } from './app.js';

export const DEFAULT_CLOSE_DEADLINE_MS = 5_000;

export interface RunningHttpServer {
  readonly host: string;
  /** The port actually bound (differs from the requested one when that was 0). */
  readonly port: number;
  /** `http://host:port`, or `https://` when it serves TLS (IPv6 hosts in brackets). */
  readonly url: string;
  /** True when it serves HTTPS. */
  readonly secure: boolean;
  /**
   * Stops accepting connections, lets in-flight requests finish until `deadlineMs` (default 5 s) has
   * passed, then destroys the sockets still open. Idempotent.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}

export function httpUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The certificate (chain) and private key the API serves HTTPS with, as PEM text. */
export interface HttpTlsOptions {
  readonly cert: string;
  readonly key: string;
}

/**
 * Serves `app` over HTTP/1.1 with @hono/node-server, or over HTTPS with `tls` (a phone's browser
 * grants WebCrypto, the camera and the rest only to a secure context). Resolves once listening; a
 * taken port rejects with `PortInUseError`. Binding to a non-loopback address is allowed but logged
 * as a warning.
 */
export async function startHttpServer(
  api: ApiApp,
  options: { host: string; port: number; tls?: HttpTlsOptions; signal?: AbortSignal },
): Promise<RunningHttpServer> {
  const { host, port, tls, signal } = options;
  if (signal?.aborted === true) {
    throw new AbortedError(`starting the API server on ${host}:${port} was aborted`, {
      cause: signal.reason,
    });
  }
  // overrideGlobalObjects: false keeps the process's global Request/Response untouched. An
  // https.Server has the http.Server API used below (request events, closing idle connections).
  const server = (
    tls === undefined
      ? createAdaptorServer({ fetch: api.app.fetch, overrideGlobalObjects: false })
      : createAdaptorServer({
          fetch: api.app.fetch,
          overrideGlobalObjects: false,
          createServer: createHttpsServer,
          serverOptions: { cert: tls.cert, key: tls.key },
        })
  ) as Server;

  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      server.close();
      reject(
        new AbortedError(`starting the API server on ${host}:${port} was aborted`, { cause: signal?.reason }),
      );
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      if (err.code === 'EADDRINUSE') {
        reject(
          new PortInUseError(`cannot serve the API on ${host}:${port}: the port is already in use`, {
            cause: err,
            details: { host, port },
          }),
        );
      } else {
        reject(toAtmosphereError(err));
      }
    };
    const onListening = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      server.off('error', onError);
      server.off('listening', onListening);
      signal?.removeEventListener('abort', onAbort);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    signal?.addEventListener('abort', onAbort, { once: true });
    server.listen(port, host);
  });

  server.on('error', (err) => api.logger.error({ err }, 'API server error'));
  const bound = (server.address() as AddressInfo).port;
  const url = httpUrl(host, bound, tls === undefined ? 'http' : 'https');
  if (!isLoopbackHost(host)) {
    api.logger.warn(
      { host, port: bound },
      `the API listens on ${host}, reachable from other machines; control endpoints still require the owner token`,
    );
  }
  api.logger.info({ url }, 'API listening');

  // Responses in progress, so that closing can ask their connections not to stay open afterwards.
  const active = new Set<ServerResponse>();
  let closing: Promise<void> | undefined;
  server.on('request', (_req, res: ServerResponse) => {
    if (closing !== undefined) res.setHeader('Connection', 'close');
    active.add(res);
    res.once('close', () => {
      active.delete(res);
      // A keep-alive connection whose last request just ended would otherwise hold the close open.
      if (closing !== undefined) server.closeIdleConnections();
    });
  });

  const close = ({ deadlineMs = DEFAULT_CLOSE_DEADLINE_MS }: { deadlineMs?: number } = {}): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const deadline = AbortSignal.timeout(deadlineMs);
      const forceClose = (): void => {
        api.logger.warn(
          { deadlineMs },
          'API requests still running at the close deadline; closing their connections',
        );
        server.closeAllConnections();
      };
      deadline.addEventListener('abort', forceClose, { once: true });
      server.close(() => {
        deadline.removeEventListener('abort', forceClose);
        resolve();
      });
      for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
    });
    return closing;
  };

  return { host, port: bound, url, secure: tls !== undefined, close };
}
