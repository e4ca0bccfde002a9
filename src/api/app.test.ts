import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BEARER,
  OWNER_TOKEN,
  errorOf,
  memoryStore,
  recordingLogger,
  setupApi as setup,
  signIn,
} from '../../test/api-fixtures.js';
import type { LoggedLine } from '../../test/api-fixtures.js';
import { AtmosphereError, ManualClock, silentLogger } from '../core/index.js';
import type { Logger } from '../core/index.js';
import { createApiApp, parseJsonBody } from './index.js';
import type { ApiInit, LoginTokenResponse, NodeStatusInfo } from './index.js';

describe('GET /health', () => {
  it('answers without authentication with the node id, version and state', async () => {
    const { app } = setup();
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      nodeId: '12D3KooWTestNode',
      version: '0.1.0',
      state: 'started',
    });
  });
});

describe('owner authentication on /api/', () => {
  it('refuses a request without a token with a 401 error envelope', async () => {
    const { app } = setup();
    const res = await app.request('/api/status');
    expect(res.status).toBe(401);
    const error = await errorOf(res);
    expect(error.code).toBe('unauthorized');
    expect(error.type).toBe('authentication_error');
    expect(error.message).toContain('Authorization: Bearer');
  });

  it('refuses a wrong token, a token of another length and a non-bearer scheme', async () => {
    const { app } = setup();
    for (const authorization of [
      `Bearer ${OWNER_TOKEN.slice(0, -1)}x`,
      'Bearer short',
      `Basic ${OWNER_TOKEN}`,
      'Bearer',
    ]) {
      const res = await app.request('/api/status', { headers: { Authorization: authorization } });
      expect(res.status, authorization).toBe(401);
      expect((await errorOf(res)).code).toBe('unauthorized');
    }
  });

  it('returns the node status to the owner token', async () => {
    const { app, clock } = setup();
    clock.advance(90_000);
    const res = await app.request('/api/status', { headers: BEARER });
    expect(res.status).toBe(200);
    const body = (await res.json()) as NodeStatusInfo;
    expect(body.nodeId).toBe('12D3KooWTestNode');
    expect(body.uptimeSeconds).toBe(90);
    expect(body.meshes).toEqual([]);
  });

  it('protects unknown paths under /api/ too, so they do not reveal what exists', async () => {
    const { app } = setup();
    expect((await app.request('/api/nothing-here')).status).toBe(401);
    expect((await app.request('/api/nothing-here', { headers: BEARER })).status).toBe(404);
  });
});

describe('web panel sign-in', () => {
  it('issues a one-time login token valid for two minutes with a URL on the request origin', async () => {
    const { app, clock, store } = setup();
    const res = await app.request('http://127.0.0.1:7470/api/ui/login-tokens', {
      method: 'POST',
      headers: BEARER,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as LoginTokenResponse;
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.expiresAt).toBe(new Date(clock.now() + 120_000).toISOString());
    expect(body.url).toBe(`http://127.0.0.1:7470/ui/login?token=${body.token}`);
    expect(store.entries.map((e) => [e.target, e.decision, e.rule])).toEqual([
      ['ui.login-token', 'allowed', 'owner-token'],
    ]);
  });

  it('exchanges a login token once for an httpOnly SameSite=Strict session cookie and redirects to /ui/', async () => {
    const { app, store } = setup();
    const issued = (await (
      await app.request('/api/ui/login-tokens', { method: 'POST', headers: BEARER })
    ).json()) as LoginTokenResponse;

    const first = await app.request(`/ui/login?token=${issued.token}`);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/ui/');
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^atmosphere_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('Max-Age=43200');
    expect(setCookie).not.toContain('Secure');

    const again = await app.request(`/ui/login?token=${issued.token}`);
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('atmosphere ui');
    expect(store.entries.filter((e) => e.target === 'ui.session').map((e) => e.decision)).toEqual([
      'allowed',
      'refused',
    ]);
  });

  it('marks the session cookie Secure when the panel is served over https', async () => {
    const { app } = setup();
    const issued = (await (
      await app.request('https://node.example/api/ui/login-tokens', { method: 'POST', headers: BEARER })
    ).json()) as LoginTokenResponse;
    const res = await app.request(`https://node.example/ui/login?token=${issued.token}`);
    expect(res.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses a login token once its time has passed', async () => {
    const { app, clock } = setup({ loginTokenTtlMs: 60_000 });
    const issued = (await (
      await app.request('/api/ui/login-tokens', { method: 'POST', headers: BEARER })
    ).json()) as LoginTokenResponse;
    clock.advance(60_000);
    const res = await app.request(`/ui/login?token=${issued.token}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a made-up login token', async () => {
    const { app } = setup();
    expect((await app.request('/ui/login?token=not-a-real-token')).status).toBe(401);
  });

  it('lets the session cookie read the API and learn its CSRF token', async () => {
    const { app } = setup();
    const { cookie, csrfToken } = await signIn(app);
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await app.request('/api/status', { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
  });

  it('requires the CSRF header on state-changing requests made with the session cookie', async () => {
    const { app } = setup();
    const { cookie, csrfToken } = await signIn(app);

    const without = await app.request('/api/ui/login-tokens', {
      method: 'POST',
      headers: { Cookie: cookie },
    });
    expect(without.status).toBe(401);
    expect((await errorOf(without)).code).toBe('csrf_token_invalid');

    const wrong = await app.request('/api/ui/login-tokens', {
      method: 'POST',
      headers: { Cookie: cookie, 'X-Atmosphere-CSRF': `${csrfToken.slice(0, -2)}xx` },
    });
    expect(wrong.status).toBe(401);

    const right = await app.request('/api/ui/login-tokens', {
      method: 'POST',
      headers: { Cookie: cookie, 'X-Atmosphere-CSRF': csrfToken },
    });
    expect(right.status).toBe(201);
  });

  it('does not ask bearer-token requests for a CSRF token', async () => {
    const { app } = setup();
    const res = await app.request('/api/ui/login-tokens', { method: 'POST', headers: BEARER });
    expect(res.status).toBe(201);
  });

  it('prefers a present Authorization header over a cookie, and refuses a wrong one even with a valid cookie', async () => {
    const { app } = setup();
    const { cookie } = await signIn(app);
    const res = await app.request('/api/status', {
      headers: { Cookie: cookie, Authorization: 'Bearer wrong' },
    });
    expect(res.status).toBe(401);
  });

  it('ends a session after its lifetime', async () => {
    const { app, clock } = setup({ sessionTtlMs: 3_600_000 });
    const { cookie } = await signIn(app);
    clock.advance(3_599_999);
    expect((await app.request('/api/status', { headers: { Cookie: cookie } })).status).toBe(200);
    clock.advance(1);
    const res = await app.request('/api/status', { headers: { Cookie: cookie } });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toContain('atmosphere ui');
  });

  it('signs out on DELETE /api/ui/session and clears the cookie', async () => {
    const { app } = setup();
    const { cookie, csrfToken } = await signIn(app);
    const res = await app.request('/api/ui/session', {
      method: 'DELETE',
      headers: { Cookie: cookie, 'X-Atmosphere-CSRF': csrfToken },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/atmosphere_session=;.*Max-Age=0/);
    expect((await app.request('/api/status', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('answers GET /api/ui/session with 404 for a bearer-token request, which has no session', async () => {
    const { app } = setup();
    const res = await app.request('/api/ui/session', { headers: BEARER });
    expect(res.status).toBe(404);
  });

  it('still signs the owner in when the audit log cannot be written, and logs why', async () => {
    const lines: LoggedLine[] = [];
    const { app, store } = setup({}, { logger: recordingLogger(lines) });
    store.audit.append = () => {
      throw new Error('disk full');
    };
    const { cookie } = await signIn(app);
    expect((await app.request('/api/status', { headers: { Cookie: cookie } })).status).toBe(200);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toContain(
      'could not write a sign-in event to the audit log',
    );
  });

  it('sends a signed-in browser from /ui/login straight to the panel', async () => {
    const { app } = setup();
    const { cookie } = await signIn(app);
    const res = await app.request('/ui/login', { headers: { Cookie: cookie } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ui/');
  });
});

describe('GET /metrics', () => {
  it('requires the owner', async () => {
    const { app } = setup();
    expect((await app.request('/metrics')).status).toBe(401);
  });

  it('counts requests by method, route pattern and status, in Prometheus text format', async () => {
    const { app, clock } = setup();
    await app.request('/health');
    await app.request('/health');
    await app.request('/api/status', { headers: BEARER });
    await app.request('/no/such/page/12345');
    clock.advance(42_000);
    const res = await app.request('/metrics', { headers: BEARER });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('atmosphere_http_requests_total{method="GET",route="/health",status="200"} 2');
    expect(text).toContain('atmosphere_http_requests_total{method="GET",route="/api/status",status="200"} 1');
    expect(text).toContain('atmosphere_http_requests_total{method="GET",route="<unmatched>",status="404"} 1');
    expect(text).not.toContain('12345');
    expect(text).toContain(
      'atmosphere_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/health",status="200"}',
    );
    expect(text).toContain('atmosphere_node_uptime_seconds 42');
  });

  it('keeps each app’s counters apart and exports process metrics with the atmosphere_ prefix', async () => {
    const one = setup({ collectProcessMetrics: true });
    const two = setup({ collectProcessMetrics: true });
    await one.app.request('/health');
    const textOne = await (await one.app.request('/metrics', { headers: BEARER })).text();
    const textTwo = await (await two.app.request('/metrics', { headers: BEARER })).text();
    expect(textOne).toContain('route="/health"');
    expect(textTwo).not.toContain('route="/health"');
    expect(textOne).toMatch(/^atmosphere_process_cpu_user_seconds_total /m);
    expect(textOne).toMatch(/^atmosphere_nodejs_heap_size_used_bytes /m);
  });
});

describe('error envelopes', () => {
  function withEchoRoute(init: ApiInit = {}, options: { logger?: Logger } = {}) {
    const s = setup(init, options);
    const schema = z.strictObject({
      name: z.string().min(1),
      limits: z.strictObject({ max: z.number().int() }),
    });
    s.app.post('/api/echo', async (c) => c.json(await parseJsonBody(c, schema)));
    s.app.get('/api/boom', () => {
      throw new Error('database password is hunter2');
    });
    s.app.get('/api/internal', () => {
      throw new AtmosphereError('the route scorer has no candidates');
    });
    return s;
  }

  it('answers an unknown route with a 404 envelope', async () => {
    const { app } = setup();
    const res = await app.request('/nowhere');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        message: 'no route for GET /nowhere',
        type: 'not_found_error',
        code: 'not_found',
        param: null,
      },
    });
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const { app } = setup();
    const res = await app.request('/health', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const error = await errorOf(res);
    expect(error.code).toBe('method_not_allowed');
    expect(error.type).toBe('invalid_request_error');
  });

  it('answers malformed JSON with 400 invalid_request_body', async () => {
    const { app } = withEchoRoute();
    const res = await app.request('/api/echo', { method: 'POST', headers: BEARER, body: '{"name": ' });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_request_body');
    expect(error.message).toContain('not valid JSON');
  });

  it('names the bad field of a body the schema refuses', async () => {
    const { app } = withEchoRoute();
    const res = await app.request('/api/echo', {
      method: 'POST',
      headers: BEARER,
      body: JSON.stringify({ name: 'x', limits: { max: 1.5 } }),
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_request_body');
    expect(error.param).toBe('limits.max');
    expect(error.message).toContain('limits.max');
    const ok = await app.request('/api/echo', {
      method: 'POST',
      headers: BEARER,
      body: JSON.stringify({ name: 'x', limits: { max: 2 } }),
    });
    expect(await ok.json()).toEqual({ name: 'x', limits: { max: 2 } });
  });

  it('refuses a body over the size limit with 413, whether or not it declares its length', async () => {
    const { app } = withEchoRoute({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ name: 'x'.repeat(2000), limits: { max: 1 } });
    const declared = await app.request('/api/echo', {
      method: 'POST',
      headers: { ...BEARER, 'Content-Length': String(big.length) },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe('request_body_too_large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await app.request('/api/echo', {
      method: 'POST',
      headers: BEARER,
      body: stream,
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);
  });

  it('uses a 1 MiB limit by default', async () => {
    const { app } = withEchoRoute();
    const body = JSON.stringify({ name: 'x'.repeat(1024 * 1024), limits: { max: 1 } });
    const res = await app.request('/api/echo', { method: 'POST', headers: BEARER, body });
    expect(res.status).toBe(413);
  });

  it('hides the message of an unexpected error behind a 500 envelope and logs it', async () => {
    const lines: LoggedLine[] = [];
    const { app } = withEchoRoute({}, { logger: recordingLogger(lines) });
    const res = await app.request('/api/boom', { headers: BEARER });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { message: 'internal server error', type: 'server_error', code: 'internal_error', param: null },
    });
    const logged = lines.find((l) => l.level === 'error');
    expect((logged?.fields.err as Error).message).toBe('database password is hunter2');
  });

  it('reports an internal AtmosphereError with its own message', async () => {
    const { app } = withEchoRoute();
    const res = await app.request('/api/internal', { headers: BEARER });
    expect(res.status).toBe(500);
    expect((await errorOf(res)).message).toBe('the route scorer has no candidates');
  });
});

describe('CORS', () => {
  it('allows only the configured origins and sends no CORS headers to any other', async () => {
    const { app } = setup({ corsOrigins: ['http://localhost:5173'] });
    const allowed = await app.request('/health', { headers: { Origin: 'http://localhost:5173' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('vary')).toContain('Origin');

    const other = await app.request('/health', { headers: { Origin: 'http://evil.example' } });
    expect(other.status).toBe(200);
    for (const name of other.headers.keys()) expect(name).not.toMatch(/^access-control-/);
  });

  it('answers a preflight from an allowed origin and ignores one from another origin', async () => {
    const { app } = setup({ corsOrigins: ['http://localhost:5173'] });
    const preflight = {
      method: 'OPTIONS',
      headers: { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    };
    const allowed = await app.request('/api/ui/login-tokens', {
      ...preflight,
      headers: { ...preflight.headers, Origin: 'http://localhost:5173' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const other = await app.request('/api/ui/login-tokens', {
      ...preflight,
      headers: { ...preflight.headers, Origin: 'http://evil.example' },
    });
    for (const name of other.headers.keys()) expect(name).not.toMatch(/^access-control-/);
  });

  it('refuses a wildcard origin in the configuration', () => {
    expect(() => setup({ corsOrigins: ['*'] })).toThrow(/not allowed/);
  });
});

describe('security headers', () => {
  it('sets nosniff, no-referrer, DENY framing and a strict CSP on API responses and errors', async () => {
    const { app } = setup();
    for (const res of [
      await app.request('/health'),
      await app.request('/api/status'),
      await app.request('/x'),
    ]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('gives /ui pages a CSP that allows only same-origin resources', async () => {
    const { app } = setup();
    const res = await app.request('/ui/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
  });
});

describe('the /ui mount without a built panel', () => {
  it('says honestly that the web panel is not built and points at the CLI', async () => {
    const { app } = setup({ uiDir: null });
    const res = await app.request('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('not include the built web control panel');
    expect(html).toContain('<code>atmosphere ui</code>');
  });

  it('redirects / and /ui to /ui/', async () => {
    const { app } = setup();
    for (const path of ['/', '/ui']) {
      const res = await app.request(path);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/ui/');
    }
  });

  it('treats a uiDir that does not exist like no panel', async () => {
    const { app } = setup({ uiDir: '/nonexistent/atmosphere-ui-dist' });
    const res = await app.request('/ui/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('not include the built web control panel');
  });
});

describe('createApiApp', () => {
  it('refuses an empty owner token', () => {
    expect(() =>
      createApiApp({
        logger: silentLogger(),
        clock: new ManualClock(),
        ownerToken: '',
        status: () => {
          throw new Error('unused');
        },
        store: memoryStore(),
      }),
    ).toThrow(/owner token/);
  });
});
