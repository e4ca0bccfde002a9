import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { InvalidInputError } from '../../core/index.js';
import type { ApiEnv } from '../env.js';
import { CSRF_HEADER } from '../../core/index.js';
import { RECEIPT_HEADERS } from '../openai/receipt-headers.js';

/**
 * CORS for an explicit list of origins, never `*`. A request from any other origin (or with no
 * Origin) passes through untouched and gets no CORS headers at all, so the browser blocks the reply.
 * Credentials (cookies) are not allowed cross-origin: other origins must use the bearer token.
 */
export function corsForOrigins(origins: readonly string[]): MiddlewareHandler<ApiEnv> {
  if (origins.includes('*'))
    throw new InvalidInputError('CORS origin "*" is not allowed: list origins explicitly');
  const allowed = new Set(origins.map((o) => o.replace(/\/+$/, '')));
  const handler = cors({
    origin: [...allowed],
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', CSRF_HEADER],
    exposeHeaders: [...RECEIPT_HEADERS],
    maxAge: 600,
    credentials: false,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined || !allowed.has(origin)) return next();
    return handler(c, next);
  };
}
