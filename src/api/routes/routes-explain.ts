import { Hono } from 'hono';
import type { InferenceGateway } from '../../core/index.js';
import { RouteNotFoundError } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/**
 * `GET /api/routes/{id}`: why a `/v1/*` request went where it did (the id is the
 * `X-Atmosphere-Route-Id` of its response). Owner only, like everything under `/api/`.
 */
export function routesExplainRoutes(deps: { gateway: InferenceGateway }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.get('/api/routes/:id', (c) => {
    const id = c.req.param('id');
    const explanation = deps.gateway.explain(id);
    if (explanation === undefined) {
      throw new RouteNotFoundError(`no route with id "${id}": it is unknown or its explanation has expired`, {
        details: { routeId: id },
      });
    }
    return c.json(explanation);
  });
  return routes;
}
