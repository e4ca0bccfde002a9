/**
 * The local HTTP API (hono): `/health`, the owner control API under `/api/`, web panel sign-in and
 * the `/ui/` mount, Prometheus `/metrics`; the server that runs it; and the typed `ApiClient` the CLI
 * uses. Errors map to HTTP in `http-errors.ts` only.
 */
export { createApiApp } from './app.js';
export type { ApiApp, ApiComponents, ApiInit } from './app.js';
export type { ApiEnv, ApiRoutes, Principal } from './env.js';
export { startHttpServer, isLoopbackHost, httpUrl, DEFAULT_CLOSE_DEADLINE_MS } from './server.js';
export type { RunningHttpServer } from './server.js';
export { ApiClient } from './client.js';
export type { ApiClientInit, HttpMethod } from './client.js';
export { errorToHttp, errorFromHttp } from './http-errors.js';
export type { HttpError } from './http-errors.js';
export { parseJsonBody, DEFAULT_MAX_BODY_BYTES } from './body.js';
export { ApiMetrics, METRICS_PREFIX, UNMATCHED_ROUTE } from './metrics.js';
export type { ApiMetricsInit } from './metrics.js';
export { DEFAULT_LOGIN_TOKEN_TTL_MS, DEFAULT_SESSION_TTL_MS } from './ui-sessions.js';
export { CSRF_HEADER, SESSION_COOKIE } from './types.js';
export type {
  ErrorEnvelope,
  HealthResponse,
  LoginTokenResponse,
  MeshSummary,
  NodeStatusInfo,
  PeerSummary,
  UiSessionResponse,
} from './types.js';
