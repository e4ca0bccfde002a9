import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { CsrfTokenInvalidError, UnauthorizedError } from '../../core/index.js';
import type { ApiEnv } from '../env.js';
import { secretsEqual } from '../secrets.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../../core/index.js';
import type { UiSessions } from '../ui-sessions.js';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Lets a request through when it carries the owner's bearer token, or the cookie of a live web panel
 * session. Cookie requests that change state must also send the session's CSRF token, since a browser
 * attaches cookies to requests other sites make; bearer tokens are never attached automatically.
 */
export function requireOwner(deps: { ownerToken: string; sessions: UiSessions }): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      if (match?.[1] === undefined || !secretsEqual(match[1], deps.ownerToken)) {
        throw new UnauthorizedError('wrong owner token');
      }
      c.set('principal', { kind: 'owner-token' });
      return next();
    }

    const sessionSecret = getCookie(c, SESSION_COOKIE);
    const session = sessionSecret === undefined ? undefined : deps.sessions.findSession(sessionSecret);
    if (sessionSecret === undefined || session === undefined) {
      throw new UnauthorizedError(
        sessionSecret === undefined
          ? 'missing owner token: send "Authorization: Bearer <token>" (the token is in run/owner.token in the Atmosphere home)'
          : 'the web panel session has expired: run `atmosphere ui` to sign in again',
      );
    }
    if (!SAFE_METHODS.has(c.req.method) && !deps.sessions.csrfMatches(session, c.req.header(CSRF_HEADER))) {
      throw new CsrfTokenInvalidError(
        `missing or wrong ${CSRF_HEADER} header: send the csrfToken from GET /api/ui/session`,
      );
    }
    c.set('principal', { kind: 'ui-session', session, sessionSecret });
    return next();
  };
}
