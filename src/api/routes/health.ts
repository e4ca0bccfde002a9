import { Hono } from 'hono';
import type { ApiEnv, ApiRoutes } from '../env.js';
import type { HealthResponse, NodeStatusInfo } from '../../core/index.js';

/** `GET /health`: unauthenticated liveness, enough for the CLI to tell which node answers. */
export function healthRoutes(deps: { status: () => NodeStatusInfo }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.get('/health', (c) => {
    const { nodeId, version, state } = deps.status();
    const body: HealthResponse = { status: 'ok', nodeId, version, state };
    return c.json(body);
  });
  return routes;
}
