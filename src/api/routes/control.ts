import { Hono } from 'hono';
import type { ApiEnv, ApiRoutes } from '../env.js';
import type { NodeStatusInfo } from '../../core/index.js';

/** The owner control API under `/api/` (authentication is applied by `createApiApp`). */
export function controlRoutes(deps: { status: () => NodeStatusInfo }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.get('/api/status', (c) => c.json(deps.status()));
  return routes;
}
