import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { InvalidRequestBodyError, RequestBodyTooLargeError } from '../core/index.js';

/** Largest request body the API reads unless `ApiInit.maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Refuses bodies over `maxBytes` with `RequestBodyTooLargeError` (413) before any handler reads them. */
export function bodySizeLimit(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new RequestBodyTooLargeError(`request body is larger than ${maxBytes} bytes`, {
        details: { maxBytes },
      });
    },
  });
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
  const text = await c.req.text();
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
