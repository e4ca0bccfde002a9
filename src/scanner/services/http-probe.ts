/**
 * The two network moves of the port scan, both to one given host: "does this TCP port accept a
 * connection?" and "what does `GET path` answer?". Each is bounded by a timeout signal and never
 * throws, except when the caller's signal aborts.
 *
 * The GET uses `node:http` with no agent (one connection per request, closed after the answer) rather
 * than the global fetch: a scan talks to servers it does not know, so it keeps no pooled sockets
 * open to them afterwards, follows no redirects (a redirect could point at another host), and stops
 * reading at a small body cap.
 */
import { request } from 'node:http';
import { Socket } from 'node:net';
import type { SignatureResponse } from './known-services.js';

/** Bodies beyond this are cut; a signature needs the first bytes, not a whole page. */
export const MAX_SIGNATURE_BODY_BYTES = 256 * 1024;

export type HttpAnswer =
  | ({ readonly ok: true } & SignatureResponse)
  | { readonly ok: false; readonly reason: string; readonly timedOut: boolean };

function callerAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** True when `host:port` accepts a TCP connection within `timeoutMs`. */
export function isPortOpen(
  host: string,
  port: number,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
): Promise<boolean> {
  const { signal } = options;
  signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const bounded = signal ? AbortSignal.any([deadline, signal]) : deadline;
  return new Promise<boolean>((resolve, reject) => {
    const socket = new Socket();
    let settled = false;
    const finish = (open: boolean): void => {
      if (settled) return;
      settled = true;
      bounded.removeEventListener('abort', onAbort);
      socket.destroy();
      if (callerAborted(signal)) reject(signal?.reason as Error);
      else resolve(open);
    };
    const onAbort = (): void => finish(false);
    bounded.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.connect({ host, port });
  });
}

function parseJson(body: string): unknown {
  const start = body.trimStart()[0];
  if (start === undefined || !'{["-0123456789tfn'.includes(start)) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `GET http://host:port{path}` with a timeout and a body cap. Resolves with the answer or with why
 * there is none; rejects only when `signal` aborts.
 */
export function httpGet(
  host: string,
  port: number,
  path: string,
  options: { readonly timeoutMs: number; readonly maxBodyBytes?: number; readonly signal?: AbortSignal },
): Promise<HttpAnswer> {
  const { signal } = options;
  signal?.throwIfAborted();
  const maxBytes = options.maxBodyBytes ?? MAX_SIGNATURE_BODY_BYTES;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const bounded = signal ? AbortSignal.any([deadline, signal]) : deadline;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (answer: HttpAnswer): void => {
      if (settled) return;
      settled = true;
      if (callerAborted(signal)) reject(signal?.reason as Error);
      else resolve(answer);
    };
    const failed = (err: unknown): void => {
      const timedOut = deadline.aborted;
      settle({
        ok: false,
        timedOut,
        reason: timedOut ? `no answer within ${options.timeoutMs} ms` : String((err as Error).message ?? err),
      });
    };
    const req = request(
      {
        host,
        port,
        path,
        method: 'GET',
        agent: false,
        signal: bounded,
        headers: {
          accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
          'user-agent': 'atmosphere-scanner',
          connection: 'close',
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        const done = (): void => {
          const body = Buffer.concat(parts).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          settle({ ok: true, status: res.statusCode ?? 0, headers, body, json: parseJson(body) });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = maxBytes - size;
          parts.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          size += Math.min(chunk.length, room);
          if (size >= maxBytes) done();
        });
        res.once('end', done);
        res.once('error', failed);
        res.once('close', () => {
          if (!res.complete) failed(new Error('connection closed mid-answer'));
        });
      },
    );
    req.once('error', failed);
    req.end();
  });
}
