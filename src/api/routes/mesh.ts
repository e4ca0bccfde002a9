import { Hono } from 'hono';
import { z } from 'zod';
import type {
  CreateInviteOptions,
  CreatedInvite,
  CreatedMesh,
  JoinResult,
  MeshInfo,
  MeshMemberInfo,
  MeshPeerInfo,
  MeshOverview,
  MeshStats,
} from '../../core/index.js';
import { MESH_ROLES, MeshNotFoundError } from '../../core/index.js';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** What the API needs from the mesh engine (the node passes its `MeshService`). */
export interface MeshControl {
  meshes(): MeshInfo[];
  members(meshId: string): MeshMemberInfo[];
  peers(): MeshPeerInfo[];
  addresses(): string[];
  stats(): MeshStats;
  createMesh(name: string, options?: { signal?: AbortSignal }): Promise<CreatedMesh>;
  createInvite(options: CreateInviteOptions, signal?: { signal?: AbortSignal }): Promise<CreatedInvite>;
  join(token: string, options?: { signal?: AbortSignal }): Promise<JoinResult>;
  revoke(
    nodeId: string,
    options: { meshId: string; reason?: string; signal?: AbortSignal },
  ): Promise<unknown>;
  leave(meshId: string, options?: { signal?: AbortSignal }): Promise<void>;
}

const MAX_TTL_SECONDS = 30 * 24 * 3600;

const createMeshBody = z.strictObject({ name: z.string().trim().min(1).max(64) });
const inviteBody = z
  .strictObject({
    ttlSeconds: z.number().int().min(60).max(MAX_TTL_SECONDS).optional(),
    uses: z.number().int().min(1).max(1000).optional(),
    role: z.enum(MESH_ROLES as [string, ...string[]]).optional(),
    scope: z.array(z.string().min(1).max(200)).max(32).optional(),
  })
  .optional();
const joinBody = z.strictObject({ token: z.string().min(1).max(8192) });
const revokeBody = z.strictObject({
  nodeId: z.string().min(1).max(128),
  reason: z.string().max(200).optional(),
});

/** The mesh control API: this node's meshes, peers, invites, joins, revocations. */
export function meshRoutes(deps: {
  mesh: MeshControl;
  nodeId: () => string;
  /**
   * Origins (`http://192.168.1.20:7470`) a phone on the LAN can open this node's phone app at, best
   * first; `local: true` when the API listens on loopback only (then only this machine can).
   */
  phoneOrigins?: () => { origins: string[]; local: boolean };
}): ApiRoutes {
  const { mesh } = deps;
  const routes = new Hono<ApiEnv>();
  const requireMesh = (meshId: string): MeshInfo => {
    const found = mesh.meshes().find((m) => m.meshId === meshId);
    if (!found)
      throw new MeshNotFoundError(`this node is not a member of mesh ${meshId}`, { details: { meshId } });
    return found;
  };

  routes.get('/api/mesh', (c) => {
    const overview: MeshOverview = {
      nodeId: deps.nodeId(),
      addresses: mesh.addresses(),
      meshes: mesh.meshes(),
      peers: mesh.peers(),
      stats: mesh.stats(),
    };
    return c.json(overview);
  });

  routes.post('/api/meshes', async (c) => {
    const body = await parseJsonBody(c, createMeshBody);
    return c.json(await mesh.createMesh(body.name, { signal: c.req.raw.signal }), 201);
  });

  routes.get('/api/meshes/:meshId/members', (c) => {
    const meshId = c.req.param('meshId');
    requireMesh(meshId);
    return c.json({ meshId, members: mesh.members(meshId) });
  });

  routes.post('/api/meshes/:meshId/invites', async (c) => {
    const meshId = c.req.param('meshId');
    requireMesh(meshId);
    const body = (await parseJsonBody(c, inviteBody)) ?? {};
    const invite = await mesh.createInvite(
      {
        meshId,
        ...(body.ttlSeconds === undefined ? {} : { ttlMs: body.ttlSeconds * 1000 }),
        ...(body.uses === undefined ? {} : { uses: body.uses }),
        ...(body.role === undefined ? {} : { role: body.role as 'member' | 'admin' }),
        ...(body.scope === undefined ? {} : { scope: body.scope }),
      },
      { signal: c.req.raw.signal },
    );
    const phone = deps.phoneOrigins?.() ?? { origins: [], local: true };
    return c.json(
      {
        ...invite,
        expiresAt: new Date(invite.expiresAtMs).toISOString(),
        // the token travels in the fragment: never sent to a server, never in a log
        phoneLinks: phone.origins.map((origin) => `${origin}/phone/#join=${invite.token}`),
        phoneLocalOnly: phone.local,
      },
      201,
    );
  });

  routes.post('/api/join', async (c) => {
    const body = await parseJsonBody(c, joinBody);
    return c.json(await mesh.join(body.token, { signal: c.req.raw.signal }));
  });

  routes.post('/api/meshes/:meshId/revocations', async (c) => {
    const meshId = c.req.param('meshId');
    requireMesh(meshId);
    const body = await parseJsonBody(c, revokeBody);
    await mesh.revoke(body.nodeId, {
      meshId,
      ...(body.reason === undefined ? {} : { reason: body.reason }),
      signal: c.req.raw.signal,
    });
    return c.json({ meshId, nodeId: body.nodeId, revoked: true }, 201);
  });

  routes.delete('/api/meshes/:meshId', async (c) => {
    const meshId = c.req.param('meshId');
    const info = requireMesh(meshId);
    await mesh.leave(meshId, { signal: c.req.raw.signal });
    return c.json({ meshId, name: info.name, left: true, meshKeyDeleted: info.founder });
  });

  return routes;
}
