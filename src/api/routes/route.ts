import { Hono } from 'hono';
import { z } from 'zod';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** A dry-run route decision over every capability the node knows (the router's own JSON shape). */
export interface RouteDryRun {
  route(
    intent: string,
    options: { top?: number; requester?: string; signal?: AbortSignal },
  ): Promise<unknown>;
}

const routeBody = z.strictObject({
  intent: z.string().trim().min(1).max(2000),
  top: z.number().int().min(1).max(50).optional(),
});

/** `POST /api/route`: where an intent would go and why, without running anything. */
export function routeRoutes(deps: { router: RouteDryRun }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.post('/api/route', async (c) => {
    const body = await parseJsonBody(c, routeBody);
    const decision = await deps.router.route(body.intent, {
      ...(body.top === undefined ? {} : { top: body.top }),
      requester: 'local',
      signal: c.req.raw.signal,
    });
    return c.json(decision);
  });
  return routes;
}
