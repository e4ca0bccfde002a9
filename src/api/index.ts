/**
 * The local HTTP API (hono): `/health`, the owner control API under `/api/`, web panel sign-in and
 * the `/ui/` mount, Prometheus `/metrics`, the OpenAI-compatible `/v1/*` with route explanations at
 * `/api/routes/{id}`; and the server that runs it. Wire types live in
 * `core/api-types.ts`; errors map to HTTP in `core/http-errors.ts` (hono's own exceptions in
 * `http-errors.ts` here); the typed client the CLI uses is in the `client` module.
 */
export { createApiApp } from './app.js';
export type { ApiApp, ApiComponents, ApiInit } from './app.js';
export type { ApiEnv, ApiRoutes, Principal } from './env.js';
export { startHttpServer, isLoopbackHost, httpUrl, DEFAULT_CLOSE_DEADLINE_MS } from './server.js';
export type { RunningHttpServer } from './server.js';
export { errorToHttp } from './http-errors.js';
export type { MeshControl } from './routes/mesh.js';
export type { RouteDryRun } from './routes/route.js';
export type { ScanControl } from './routes/scan.js';
export type { AuditEntryView, AuditListResponse } from './routes/audit.js';
export type { ExposureControl, ExposedCapabilityInfo } from './routes/exposure.js';
export type { CostControl } from './routes/cost.js';
export type { PendingJoinControl, PendingJoinInfo } from './routes/join-pending.js';
export { openAiRoutes } from './routes/openai.js';
export type { OpenAiRoutesDeps } from './routes/openai.js';
export { routesExplainRoutes } from './routes/routes-explain.js';
export { AUTO_MODEL } from './openai/chat-request.js';
export {
  ATTEMPTS_HEADER,
  CAPABILITY_HEADER,
  NODE_HEADER,
  RECEIPT_HEADERS,
  ROUTE_ID_HEADER,
  receiptHeaders,
} from './openai/receipt-headers.js';
export type { OpenAiChatCompletion, OpenAiChatCompletionChunk } from './openai/chat-response.js';
export type { OpenAiModel, OpenAiModelList } from './openai/models-response.js';
export type { OpenAiEmbeddingList } from './openai/embeddings-wire.js';
export { parseJsonBody, DEFAULT_MAX_BODY_BYTES } from './body.js';
export { ApiMetrics, METRICS_PREFIX, UNMATCHED_ROUTE } from './metrics.js';
export type { ApiMetricsInit } from './metrics.js';
export { DEFAULT_LOGIN_TOKEN_TTL_MS, DEFAULT_SESSION_TTL_MS } from './ui-sessions.js';
export { CSRF_HEADER, SESSION_COOKIE } from '../core/index.js';
export type {
  ErrorEnvelope,
  HealthResponse,
  LoginTokenResponse,
  MeshSummary,
  NodeStatusInfo,
  PeerSummary,
  UiSessionResponse,
} from '../core/index.js';
