import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describe, expect, it } from 'vitest';
import type { JoinResult } from '../../core/index.js';
import type { ApiEnv } from '../env.js';
import { errorToHttp } from '../http-errors.js';
import type { PendingJoinControl, PendingJoinInfo } from './join-pending.js';
import { joinPendingRoutes } from './join-pending.js';

function appWith(initial: PendingJoinInfo | null) {
  let waiting = initial;
  const completed: number[] = [];
  const joins: PendingJoinControl = {
    pending: () => waiting,
    complete: (): Promise<JoinResult> => {
      completed.push(1);
      waiting = null;
      return Promise.resolve({ meshId: 'mesh-1', meshName: 'family', role: 'member', issuerId: 'i' });
    },
  };
  const app = new Hono<ApiEnv>();
  app.route('/', joinPendingRoutes({ joins }));
  app.onError((err, c) => {
    const { status, body } = errorToHttp(err);
    return c.json(body, status as ContentfulStatusCode);
  });
  return { app, completed };
}

const WAITING: PendingJoinInfo = {
  meshId: 'mesh-1',
  meshName: 'family',
  role: 'member',
  done: ['validate', 'node', 'scan'],
  startedAtMs: 1,
  expiresAtMs: null,
};

describe('/api/join/pending', () => {
  it('answers the waiting join, or null', async () => {
    expect(await (await appWith(WAITING).app.request('/api/join/pending')).json()).toEqual({
      pending: WAITING,
    });
    expect(await (await appWith(null).app.request('/api/join/pending')).json()).toEqual({ pending: null });
  });

  it('finishes the waiting join once and then has none', async () => {
    const { app, completed } = appWith(WAITING);
    const res = await app.request('/api/join/pending', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ meshName: 'family', role: 'member' });
    const again = await app.request('/api/join/pending', { method: 'POST' });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(completed).toEqual([1]);
  });
});
