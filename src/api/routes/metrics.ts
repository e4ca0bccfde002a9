import { Hono } from 'hono';
import type { ApiEnv, ApiRoutes } from '../env.js';
import type { ApiMetrics } from '../metrics.js';

/** `GET /metrics` in Prometheus text format (owner authentication is applied by `createApiApp`). */
export function metricsRoutes(deps: { metrics: ApiMetrics }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.get('/metrics', async (c) => {
    const text = await deps.metrics.render();
    return c.body(text, 200, { 'Content-Type': deps.metrics.contentType });
  });
  return routes;
}
