import { Hono } from 'hono';
import { z } from 'zod';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** What the API needs to run capability tools (the node's gateway). */
export interface ToolControl {
  invokeTool(
    target: { capabilityId: string; tool: string; arguments?: Record<string, unknown>; nodeId?: string },
    options: { requester: string; signal?: AbortSignal },
  ): Promise<unknown>;
  act(
    intent: string,
    args: Record<string, unknown>,
    options: { requester: string; signal?: AbortSignal },
  ): Promise<{ invocation: unknown; decision: unknown }>;
}

const args = z.record(z.string(), z.unknown());
const invokeBody = z.strictObject({
  capability: z.string().trim().min(1).max(200),
  tool: z.string().trim().min(1).max(64),
  arguments: args.optional(),
  node_id: z.string().trim().min(1).max(128).optional(),
});
const actBody = z.strictObject({
  intent: z.string().trim().min(1).max(2000),
  arguments: args.optional(),
});

/**
 * Device tools: `POST /api/tools/invoke` runs one tool of a capability (here or on its node over
 * the mesh); `POST /api/act` routes an intent ("turn off the kitchen light") to a capability and
 * tool and runs it, answering with the invocation and the route decision.
 */
export function toolRoutes(deps: { tools: ToolControl }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.post('/api/tools/invoke', async (c) => {
    const body = await parseJsonBody(c, invokeBody);
    const invocation = await deps.tools.invokeTool(
      {
        capabilityId: body.capability,
        tool: body.tool,
        ...(body.arguments === undefined ? {} : { arguments: body.arguments }),
        ...(body.node_id === undefined ? {} : { nodeId: body.node_id }),
      },
      { requester: 'local', signal: c.req.raw.signal },
    );
    return c.json({ invocation });
  });
  routes.post('/api/act', async (c) => {
    const body = await parseJsonBody(c, actBody);
    const result = await deps.tools.act(body.intent, body.arguments ?? {}, {
      requester: 'local',
      signal: c.req.raw.signal,
    });
    return c.json(result);
  });
  return routes;
}
