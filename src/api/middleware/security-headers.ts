import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from '../env.js';

/** The web panel loads only its own scripts, styles and data; nothing may frame it. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Everything else is data, never a document that should load anything. */
export const API_CONTENT_SECURITY_POLICY =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function isUiPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

/** Sets the security headers on every response, whichever handler (or error handler) produced it. */
export function securityHeaders(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set('X-Content-Type-Options', 'nosniff');
    headers.set('Referrer-Policy', 'no-referrer');
    headers.set('X-Frame-Options', 'DENY');
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Resource-Policy', 'same-origin');
    headers.set(
      'Content-Security-Policy',
      isUiPath(c.req.path) ? UI_CONTENT_SECURITY_POLICY : API_CONTENT_SECURITY_POLICY,
    );
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
  };
}
