import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { EventFilter, TriggerEvent, TriggerPriority } from '../../core/index.js';
import {
  AbortedError,
  InvalidInputError,
  TRIGGER_PRIORITIES,
  TriggerThrottledError,
} from '../../core/index.js';
import { parseJsonBody } from '../body.js';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { errorToHttp } from '../http-errors.js';
import { sseBody, sseData } from '../openai/sse-stream.js';

/** What the API needs from the node's trigger service. */
export interface TriggerControl {
  fire(
    input: { capability: string; trigger: string; payload?: unknown; priority?: TriggerPriority },
    options?: { signal?: AbortSignal },
  ): Promise<{ event: TriggerEvent; meshIds: readonly string[] }>;
  recent(filter: EventFilter, limit?: number): TriggerEvent[];
  stream(filter: EventFilter, options?: { signal?: AbortSignal }): AsyncIterable<TriggerEvent>;
  subscriptions(): unknown[];
  addSubscription(input: { url: string; match?: readonly string[]; minPriority?: TriggerPriority }): unknown;
  removeSubscription(id: string): void;
}

const priority = z.enum(TRIGGER_PRIORITIES);
const fireBody = z
  .strictObject({
    payload: z.unknown().optional(),
    priority: priority.optional(),
  })
  .optional();
const globs = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(32)]);
const subscriptionBody = z.strictObject({
  url: z.string().min(1).max(2048),
  match: globs.optional(),
  minPriority: priority.optional(),
});

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 100_000;

/** `?match=a&match=b` or `?match=a,b` → globs; `?minPriority=`; `?limit=`. */
function filterFrom(c: Context<ApiEnv>): { filter: EventFilter; limit: number | undefined } {
  const match = (c.req.queries('match') ?? [])
    .flatMap((m) => m.split(','))
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  const min = c.req.query('minPriority') ?? c.req.query('min_priority');
  if (min !== undefined && !(TRIGGER_PRIORITIES as readonly string[]).includes(min)) {
    throw new InvalidInputError(`minPriority must be one of ${TRIGGER_PRIORITIES.join(', ')}`, {
      details: { param: 'minPriority' },
    });
  }
  const limitText = c.req.query('limit');
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
      throw new InvalidInputError(`limit must be an integer 0-${MAX_LIMIT}`, { details: { param: 'limit' } });
    }
  }
  return {
    filter: {
      ...(match.length > 0 ? { match } : {}),
      ...(min === undefined ? {} : { minPriority: min as TriggerPriority }),
    },
    limit,
  };
}

/**
 * Trigger events: fire one (`POST /api/triggers/{capability}/{trigger}`, where the capability id
 * may contain `/`), list or follow recent ones (`GET /api/events`, JSON or server-sent events),
 * and manage webhook subscriptions (`/api/subscriptions`).
 */
export function triggerRoutes(deps: { triggers: TriggerControl }): ApiRoutes {
  const { triggers } = deps;
  const routes = new Hono<ApiEnv>();

  routes.post('/api/triggers/*', async (c) => {
    const rest = c.req.path.slice('/api/triggers/'.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new InvalidInputError('expected POST /api/triggers/{capability}/{trigger}', {
        details: { param: 'path' },
      });
    }
    const capability = decodeURIComponent(rest.slice(0, slash));
    const trigger = decodeURIComponent(rest.slice(slash + 1));
    const body = (await parseJsonBody(c, fireBody)) ?? {};
    try {
      const fired = await triggers.fire(
        {
          capability,
          trigger,
          ...(body.payload === undefined ? {} : { payload: body.payload }),
          ...(body.priority === undefined ? {} : { priority: body.priority }),
        },
        { signal: c.req.raw.signal },
      );
      const { event } = fired;
      return c.json(
        {
          eventId: event.eventId,
          capability: event.capability,
          trigger: event.trigger,
          priority: event.priority,
          firedAt: new Date(event.firedAtMs).toISOString(),
          meshIds: fired.meshIds,
        },
        202,
      );
    } catch (err) {
      if (!(err instanceof TriggerThrottledError)) throw err;
      const retryAfterMs = typeof err.details.retryAfterMs === 'number' ? err.details.retryAfterMs : 1000;
      const { body: envelope } = errorToHttp(err);
      return c.json(envelope, 429 as ContentfulStatusCode, {
        'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      });
    }
  });

  routes.get('/api/events', (c) => {
    const { filter, limit } = filterFrom(c);
    const follow =
      c.req.query('follow') === '1' ||
      c.req.query('follow') === 'true' ||
      (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!follow) {
      const events = triggers.recent(filter, limit ?? DEFAULT_LIMIT);
      return c.json({ events });
    }
    const disconnected = new AbortController();
    const signal = AbortSignal.any([c.req.raw.signal, disconnected.signal]);
    // Subscribe before reading the backlog (both synchronous): nothing falls between them.
    const live = triggers.stream(filter, { signal })[Symbol.asyncIterator]();
    const first = live.next();
    const backlog = triggers.recent(filter, limit ?? 0);
    async function* frames(): AsyncGenerator<string> {
      // a comment line: the client sees the stream is open before the first event
      yield ': subscribed\n\n';
      for (const event of backlog) yield sseData(event);
      let next = await first;
      while (next.done !== true) {
        yield sseData(next.value);
        next = await live.next();
      }
    }
    const body = sseBody(frames(), {
      onCancel: () => {
        disconnected.abort(new AbortedError('the client closed the event stream'));
        live.return?.(undefined).catch(() => undefined);
      },
      onError: () => undefined,
    });
    return c.body(body, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
  });

  routes.get('/api/subscriptions', (c) => c.json({ subscriptions: triggers.subscriptions() }));

  routes.post('/api/subscriptions', async (c) => {
    const body = await parseJsonBody(c, subscriptionBody);
    const match =
      body.match === undefined ? undefined : typeof body.match === 'string' ? [body.match] : body.match;
    const created = triggers.addSubscription({
      url: body.url,
      ...(match === undefined ? {} : { match }),
      ...(body.minPriority === undefined ? {} : { minPriority: body.minPriority }),
    });
    return c.json(created, 201);
  });

  routes.delete('/api/subscriptions/:id', (c) => {
    const id = c.req.param('id');
    triggers.removeSubscription(id);
    return c.json({ id, removed: true });
  });

  return routes;
}
