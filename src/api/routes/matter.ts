import { Hono } from 'hono';
import { z } from 'zod';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** What the API needs from the node's Matter bridge (its methods throw `matter_disabled` when it is off). */
export interface MatterControl {
  /** Whether `matter.enabled` is on and the bridge runs. */
  enabled(): boolean;
  discover(options: { timeoutMs?: number; signal?: AbortSignal }): Promise<readonly unknown[]>;
  pair(code: string, options: { label?: string; room?: string; signal?: AbortSignal }): Promise<unknown>;
  devices(): readonly unknown[];
  remove(id: string, options: { signal?: AbortSignal }): Promise<{ decommissioned: boolean }>;
}

const discoverBody = z.strictObject({ timeout_seconds: z.number().min(1).max(120).optional() }).optional();
const pairBody = z.strictObject({
  code: z.string().trim().min(1).max(200),
  label: z.string().trim().min(1).max(100).optional(),
  room: z.string().trim().min(1).max(100).optional(),
});

/**
 * The Matter bridge: `GET /api/matter/devices` (commissioned devices, their state and capabilities),
 * `POST /api/matter/discover` (commissionable devices on the network), `POST /api/matter/pair`
 * (commission by pairing code or QR payload), `DELETE /api/matter/devices/{id}`.
 */
export function matterRoutes(deps: { matter: MatterControl }): ApiRoutes {
  const { matter } = deps;
  const routes = new Hono<ApiEnv>();

  routes.get('/api/matter/devices', (c) =>
    c.json({ enabled: matter.enabled(), devices: matter.enabled() ? matter.devices() : [] }),
  );

  routes.post('/api/matter/discover', async (c) => {
    const body = (await parseJsonBody(c, discoverBody)) ?? {};
    const devices = await matter.discover({
      ...(body.timeout_seconds === undefined ? {} : { timeoutMs: body.timeout_seconds * 1000 }),
      signal: c.req.raw.signal,
    });
    return c.json({ devices });
  });

  routes.post('/api/matter/pair', async (c) => {
    const body = await parseJsonBody(c, pairBody);
    const device = await matter.pair(body.code, {
      ...(body.label === undefined ? {} : { label: body.label }),
      ...(body.room === undefined ? {} : { room: body.room }),
      signal: c.req.raw.signal,
    });
    return c.json({ device }, 201);
  });

  routes.delete('/api/matter/devices/:id', async (c) => {
    const result = await matter.remove(c.req.param('id'), { signal: c.req.raw.signal });
    return c.json({ removed: c.req.param('id'), ...result });
  });

  return routes;
}
