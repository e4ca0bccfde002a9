import { Hono } from 'hono';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { NotFoundError } from '../../core/index.js';
import type { AuditDecision, AuditLog, Clock, Logger } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { LOGIN_LINK_USED_PAGE, SIGN_IN_PAGE } from '../pages.js';
import { SESSION_COOKIE } from '../../core/index.js';
import type { LoginTokenResponse, UiSessionResponse } from '../../core/index.js';
import type { UiSessions } from '../ui-sessions.js';

export interface UiAuthDeps {
  readonly sessions: UiSessions;
  /** Where sign-in events are written (the node's audit writer). */
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Signing in to the web panel: the owner (CLI) asks for a one-time login token, the browser trades it
 * at `/ui/login` for an httpOnly session cookie, and the panel reads its CSRF token from
 * `/api/ui/session`. `/api/*` authentication is applied by `createApiApp`; `/ui/login` is public.
 */
export function uiAuthRoutes(deps: UiAuthDeps): ApiRoutes {
  const routes = new Hono<ApiEnv>();

  // Sign-in events are security relevant, so they go to the audit log; a failing store is logged
  // but does not lock the owner out of their own node.
  const audit = (decision: AuditDecision, target: string, rule: string, detail: string | null): void => {
    try {
      deps.audit.append({
        timeMs: deps.clock.now(),
        requester: 'local',
        target,
        tool: null,
        decision,
        rule,
        durationMs: null,
        bytesIn: null,
        bytesOut: null,
        detail,
      });
    } catch (err) {
      deps.logger.error({ err, target, decision }, 'could not write a sign-in event to the audit log');
    }
  };

  routes.post('/api/ui/login-tokens', (c) => {
    const issued = deps.sessions.issueLoginToken();
    const url = new URL('/ui/login', c.req.url);
    url.searchParams.set('token', issued.token);
    audit('allowed', 'ui.login-token', c.get('principal').kind, null);
    const body: LoginTokenResponse = {
      token: issued.token,
      expiresAt: new Date(issued.expiresAtMs).toISOString(),
      url: url.toString(),
    };
    return c.json(body, 201);
  });

  routes.get('/api/ui/session', (c) => {
    const principal = c.get('principal');
    if (principal.kind !== 'ui-session') {
      throw new NotFoundError('no web panel session: this request was authenticated with the owner token');
    }
    const body: UiSessionResponse = {
      csrfToken: principal.session.csrfToken,
      expiresAt: new Date(principal.session.expiresAtMs).toISOString(),
    };
    return c.json(body);
  });

  routes.delete('/api/ui/session', (c) => {
    const principal = c.get('principal');
    if (principal.kind !== 'ui-session') {
      throw new NotFoundError('no web panel session: this request was authenticated with the owner token');
    }
    deps.sessions.endSession(principal.sessionSecret);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.body(null, 204);
  });

  routes.get('/ui/login', (c) => {
    const token = c.req.query('token');
    if (token === undefined || token === '') {
      const existing = getCookie(c, SESSION_COOKIE);
      if (existing !== undefined && deps.sessions.findSession(existing) !== undefined)
        return c.redirect('/ui/', 302);
      return c.html(SIGN_IN_PAGE, 401);
    }
    const result = deps.sessions.redeemLoginToken(token);
    if (!result.ok) {
      audit(
        'refused',
        'ui.session',
        'login-token',
        result.reason === 'expired' ? 'expired token' : 'unknown or used token',
      );
      return c.html(LOGIN_LINK_USED_PAGE, 401);
    }
    setSessionCookie(c, result.sessionSecret, deps.sessions.sessionTtlMs);
    audit('allowed', 'ui.session', 'login-token', null);
    return c.redirect('/ui/', 302);
  });

  return routes;
}

function setSessionCookie(c: Context<ApiEnv>, secret: string, ttlMs: number): void {
  setCookie(c, SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    // Browsers drop Secure cookies sent over plain http, and the node serves plain http on loopback.
    secure: new URL(c.req.url).protocol === 'https:',
    maxAge: Math.floor(ttlMs / 1000),
  });
}
