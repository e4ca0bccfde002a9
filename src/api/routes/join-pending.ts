import { Hono } from 'hono';
import type { JoinResult } from '../../core/index.js';
import { NotFoundError } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** An `atmosphere join` that stopped before registering, waiting for the owner's approval. */
export interface PendingJoinInfo {
  readonly meshId: string;
  readonly meshName: string;
  readonly role: string;
  /** Join steps already done: `validate`, `node`, `scan`, `approve` … */
  readonly done: readonly string[];
  readonly startedAtMs: number;
  readonly expiresAtMs: number | null;
}

/** What the API needs to finish a join the CLI started (`<home>/join.json`). */
export interface PendingJoinControl {
  pending(): PendingJoinInfo | null;
  /** Registers with the mesh with the pending invite, then forgets the pending join. */
  complete(options?: { signal?: AbortSignal }): Promise<JoinResult>;
}

/**
 * `GET /api/join/pending` — `{ pending }`, the join in progress or null; `POST /api/join/pending` —
 * registers with that mesh (the web panel's "Save & join mesh") and answers like `POST /api/join`.
 */
export function joinPendingRoutes(deps: { joins: PendingJoinControl }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.get('/api/join/pending', (c) => c.json({ pending: deps.joins.pending() }));
  routes.post('/api/join/pending', async (c) => {
    if (deps.joins.pending() === null) {
      throw new NotFoundError('no join in progress: start one with `atmosphere join TOKEN`');
    }
    return c.json(await deps.joins.complete({ signal: c.req.raw.signal }));
  });
  return routes;
}
