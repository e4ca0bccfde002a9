import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { InvalidRequestBodyError, RequestBodyTooLargeError } from '../core/index.js';

/** Largest request body the API reads unless `ApiInit.maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Refuses bodies over `maxBytes` with `RequestBodyTooLargeError` (413) before any handler reads them.
 * A declared `Content-Length` is checked without reading anything; any other body (chunked, or of
 * unknown length) is read up to the limit and handed on as bytes in a new request. (hono's own
 * `bodyLimit` builds that request from the node server's lightweight one, which undici rejects:
 * bodyless DELETEs sent by `node:http` failed with a 500.)
 */
export function bodySizeLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = (): never => {
    throw new RequestBodyTooLargeError(`request body is larger than ${maxBytes} bytes`, {
      details: { maxBytes },
    });
  };
  return async (c, next) => {
    const raw = c.req.raw;
    const declared = raw.headers.get('content-length');
    if (declared !== null && !raw.headers.has('transfer-encoding')) {
      if (Number.parseInt(declared, 10) > maxBytes) tooLarge();
      return next();
    }
    if (!raw.body || raw.method === 'GET' || raw.method === 'HEAD') return next();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader: ReadableStreamDefaultReader<Uint8Array> = raw.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        tooLarge();
      }
      chunks.push(value);
    }
    const headers = new Headers(raw.headers);
    headers.delete('transfer-encoding');
    headers.set('content-length', String(size));
    c.req.raw = new Request(raw.url, {
      method: raw.method,
      headers,
      body: Buffer.concat(chunks),
      signal: raw.signal,
    });
    return next();
  };
}

/** The Node request behind `c` when @hono/node-server serves it and nothing has read its body yet. */
function unreadIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined || typeof incoming.on !== 'function') return undefined;
  return incoming.readableDidRead || incoming.readableEnded ? undefined : incoming;
}

/**
 * The request body as text. Read straight from Node's request when it is there and unread: asking
 * hono for it first builds a WHATWG `Request` around a web stream of the body, which costs more CPU
 * than the rest of a small `/v1/chat/completions` call's parsing (measured with `--cpu-prof`). The
 * size limit was already applied by `bodySizeLimit` (a declared length; a body of unknown length
 * was read there, so it is no longer unread here).
 */
async function bodyText(c: Context): Promise<string> {
  const incoming = unreadIncoming(c);
  if (incoming === undefined) return c.req.text();
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * Reads the request body as JSON and validates it with `schema`. An empty body is `undefined` (so a
 * schema can make the body optional). Malformed JSON or a value the schema refuses throws
 * `InvalidRequestBodyError` (400) naming the bad field in `details.param`.
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await bodyText(c);
  let value: unknown;
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new InvalidRequestBodyError(`request body is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue === undefined ? '' : pathOf(issue.path);
  const what = param === '' ? 'request body' : `request body field "${param}"`;
  throw new InvalidRequestBodyError(`${what}: ${issue?.message ?? 'invalid'}`, {
    cause: result.error,
    details: { param: param === '' ? null : param, issues: result.error.issues },
  });
}
