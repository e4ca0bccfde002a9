import { Hono } from 'hono';
import { z } from 'zod';
import type { SpendGrouping } from '../../core/index.js';
import { InvalidInputError } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

/** The node's cost model, as the API shows it (the node passes its `CostService`). */
export interface CostControl {
  /** The `GET /api/cost` body: this node's factors and costs, every member's, recent history. */
  view(): unknown;
  /** The `GET /api/cost/spend` body: cloud spend grouped by day, model or node, and the budget. */
  spend(by: SpendGrouping, days: number): unknown;
}

const spendQuery = z.strictObject({
  by: z.enum(['day', 'model', 'node']).default('day'),
  days: z.coerce.number().int().min(1).max(366).default(31),
});

/** `GET /api/cost` and `GET /api/cost/spend` (docs/API.md, docs/COST.md). */
export function costRoutes(deps: { cost: CostControl }): ApiRoutes {
  const routes = new Hono<ApiEnv>();
  routes.get('/api/cost', (c) => c.json(deps.cost.view() as object));
  routes.get('/api/cost/spend', (c) => {
    const parsed = spendQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(
        `invalid query: ${issue && issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'malformed'}`,
      );
    }
    return c.json(deps.cost.spend(parsed.data.by, parsed.data.days) as object);
  });
  return routes;
}
