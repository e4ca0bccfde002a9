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

/**
 * The phone app also dials the mesh over WebSocket (another port of this node, or another member),
 * shows photos and recordings it makes (`blob:`), and registers its service worker.
 */
export const PHONE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Everything else is data, never a document that should load anything. */
export const API_CONTENT_SECURITY_POLICY =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Sent over HTTPS only (the node serves it when `tls` is configured; browsers ignore the header over
 * plain HTTP anyway). A short max-age and no `includeSubDomains` or `preload`: it binds the host name
 * to HTTPS on every port, and an owner who turns TLS off again is locked out for at most this long.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=3600';

function isUiPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

function isPhonePath(path: string): boolean {
  return path === '/phone' || path.startsWith('/phone/');
}

function policyFor(path: string): string {
  if (isUiPath(path)) return UI_CONTENT_SECURITY_POLICY;
  if (isPhonePath(path)) return PHONE_CONTENT_SECURITY_POLICY;
  return API_CONTENT_SECURITY_POLICY;
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
    headers.set('Content-Security-Policy', policyFor(c.req.path));
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
    if (new URL(c.req.url).protocol === 'https:') {
      headers.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
    }
  };
}
