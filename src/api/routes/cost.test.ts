import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describe, expect, it } from 'vitest';
import type { SpendGrouping } from '../../core/index.js';
import type { ApiEnv } from '../env.js';
import { errorToHttp } from '../http-errors.js';
import type { CostControl } from './cost.js';
import { costRoutes } from './cost.js';

function appWith(cost: CostControl): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.route('/', costRoutes({ cost }));
  app.onError((err, c) => {
    const { status, body } = errorToHttp(err);
    return c.json(body, status as ContentfulStatusCode);
  });
  return app;
}

describe('cost routes', () => {
  const asked: [SpendGrouping, number][] = [];
  const app = appWith({
    view: () => ({ local: { nodeId: 'n1' }, mesh: [], history: [] }),
    spend: (by, days) => {
      asked.push([by, days]);
      return { by, days, rows: [] };
    },
  });

  it('answers GET /api/cost with the cost view', async () => {
    const res = await app.request('/api/cost');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ local: { nodeId: 'n1' }, mesh: [], history: [] });
  });

  it('groups spend by day over 31 days unless asked otherwise', async () => {
    expect(await (await app.request('/api/cost/spend')).json()).toEqual({ by: 'day', days: 31, rows: [] });
    expect((await app.request('/api/cost/spend?by=model&days=7')).status).toBe(200);
    expect(asked.at(-1)).toEqual(['model', 7]);
  });

  it('refuses an unknown grouping or range with 400 naming the parameter', async () => {
    for (const query of ['by=week', 'days=0', 'days=abc', 'colour=red']) {
      const res = await app.request(`/api/cost/spend?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message, query).toMatch(/invalid query/);
    }
  });
});
