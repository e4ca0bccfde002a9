import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import type { AuditEntry, AuditLog, AuditQuery } from '../../core/index.js';
import { AbortedError, InvalidInputError, UnavailableError } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { sseBody, sseData, withSseHeartbeat } from '../openai/sse-stream.js';

/** Entries answered when the request names no `limit`. */
export const AUDIT_DEFAULT_LIMIT = 100;
/** The most entries one request may ask for. */
export const AUDIT_MAX_LIMIT = 10_000;

/** One audit entry as `GET /api/audit` answers it: the stored entry plus its time in ISO 8601. */
export interface AuditEntryView extends AuditEntry {
  /** `timeMs` as an ISO 8601 UTC time. */
  readonly time: string;
}

export interface AuditListResponse {
  /** Newest first. */
  readonly entries: readonly AuditEntryView[];
  readonly count: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** An ISO 8601 time (`2025-01-31`, `2025-01-31T10:00:00Z`, with an offset) or epoch milliseconds. */
const timeParam = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  const ms = /^\d{1,16}$/.test(trimmed)
    ? Number(trimmed)
    : ISO_TIME.test(trimmed)
      ? Date.parse(trimmed.replace(' ', 'T'))
      : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an ISO 8601 time (2025-01-31T10:00:00Z) or epoch milliseconds, got "${text}"`,
    });
    return z.NEVER;
  }
  return ms;
});

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const auditParams = z.strictObject({
  since: timeParam.optional(),
  until: timeParam.optional(),
  requester: z.string().min(1).max(200).optional(),
  target: z.string().min(1).max(500).optional(),
  decision: z.enum(['allowed', 'refused']).optional(),
  limit: wholeNumber(1, AUDIT_MAX_LIMIT).optional(),
  afterId: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
});

/**
 * The query string of `GET /api/audit` as an `AuditQuery`. `target` is a glob when it holds `*` or
 * `?` and an exact capability id otherwise. Unknown parameters are refused, so a misspelt filter
 * never silently widens the answer. Throws `InvalidInputError` naming the parameter.
 */
export function parseAuditQuery(params: Readonly<Record<string, string>>): AuditQuery & { limit: number } {
  const result = auditParams.safeParse(params);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
    const name = typeof param === 'string' ? param : 'query';
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown query parameter "${name}"; use since, until, requester, target, decision, limit, afterId or follow`
        : `query parameter "${name}": ${issue?.message ?? 'invalid'}`;
    throw new InvalidInputError(message, { details: { param: name } });
  }
  const p = result.data;
  if (p.since !== undefined && p.until !== undefined && p.since >= p.until) {
    throw new InvalidInputError('query parameter "since" must be earlier than "until"', {
      details: { param: 'since' },
    });
  }
  const isGlob = p.target !== undefined && /[*?]/.test(p.target);
  return {
    ...(p.since === undefined ? {} : { sinceMs: p.since }),
    ...(p.until === undefined ? {} : { untilMs: p.until }),
    ...(p.requester === undefined ? {} : { requester: p.requester }),
    ...(p.target === undefined ? {} : isGlob ? { targetGlob: p.target } : { target: p.target }),
    ...(p.decision === undefined ? {} : { decision: p.decision }),
    ...(p.afterId === undefined ? {} : { afterId: p.afterId }),
    limit: p.limit ?? AUDIT_DEFAULT_LIMIT,
  };
}

/** An entry as the API answers it: its id, its ISO time, then the stored fields. */
export function toAuditEntryView(entry: AuditEntry): AuditEntryView {
  const { id, ...fields } = entry;
  return { id, time: new Date(entry.timeMs).toISOString(), ...fields };
}

/** What following the audit log needs: entries as they are appended (the node's `AuditFeed`). */
export interface AuditFollow {
  /**
   * Entries appended from the moment of the call on that pass the query's filters, oldest first,
   * until `signal` aborts. Subscribes in the call itself, so a backlog read right after misses nothing.
   */
  follow(query: AuditQuery, options?: { signal?: AbortSignal }): AsyncIterable<AuditEntry>;
}

export interface AuditRoutesDeps {
  /** The audit log; with `follow`, `GET /api/audit?follow=1` streams it. */
  readonly audit: AuditLog & Partial<AuditFollow>;
  /** Silence after which a followed stream sends a heartbeat comment; default 15 s. */
  readonly heartbeatMs?: number;
}

/** One entry as a server-sent event: its id (for `Last-Event-ID`) and the entry as JSON. */
export function auditSseEvent(entry: AuditEntry): string {
  return `id: ${entry.id}\n${sseData(toAuditEntryView(entry))}`;
}

function followRequested(c: Context<ApiEnv>): boolean {
  const follow = c.req.query('follow');
  if (follow !== undefined && !['1', 'true', '0', 'false'].includes(follow)) {
    throw new InvalidInputError('query parameter "follow": expected 1, true, 0 or false', {
      details: { param: 'follow' },
    });
  }
  if (follow !== undefined) return follow === '1' || follow === 'true';
  return (c.req.header('accept') ?? '').includes('text/event-stream');
}

/** The id in a reconnecting client's `Last-Event-ID` header, when it sent a valid one. */
function lastEventId(c: Context<ApiEnv>): number | undefined {
  const header = c.req.header('last-event-id')?.trim();
  if (header === undefined || !/^\d{1,16}$/.test(header)) return undefined;
  const id = Number(header);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * The audit trail: `GET /api/audit` lists who asked this node for what and what was decided,
 * newest first, filtered by `since`/`until` (ISO 8601 or epoch ms; `until` exclusive), `requester`
 * (node id), `target` (capability id or glob), `decision` (`allowed`|`refused`), `afterId` (entries
 * appended after that one, for following) and `limit` (default 100, at most 10 000).
 *
 * With `follow=1` (or `Accept: text/event-stream`) it streams server-sent events instead, one per
 * entry (`id: <entry id>`, `data: <entry as JSON>`), oldest first, with the same filters: first the
 * backlog (entries after `afterId` or `Last-Event-ID`, else the latest `limit` when one is given,
 * else none), then every new entry as it is written, with a heartbeat comment while it is quiet.
 */
export function auditRoutes(deps: AuditRoutesDeps): ApiRoutes {
  const { audit } = deps;
  const routes = new Hono<ApiEnv>();
  routes.get('/api/audit', (c) => {
    const follow = followRequested(c);
    const { follow: _follow, ...params } = c.req.query();
    const query = parseAuditQuery(params);
    if (!follow) {
      const entries = audit.query(query).map(toAuditEntryView);
      const body: AuditListResponse = { entries, count: entries.length };
      return c.json(body);
    }
    if (audit.follow === undefined) {
      throw new UnavailableError('this node cannot follow its audit log; poll GET /api/audit with afterId');
    }
    const { limit, afterId, ...filters } = query;
    // a reconnecting EventSource resumes after the last entry it saw
    const resumeAfter = lastEventId(c) ?? afterId;
    const disconnected = new AbortController();
    const signal = AbortSignal.any([c.req.raw.signal, disconnected.signal]);
    // Subscribe before reading the backlog (both synchronous): nothing falls between them.
    const live = audit.follow(
      { ...filters, ...(resumeAfter === undefined ? {} : { afterId: resumeAfter }) },
      { signal },
    );
    const backlog =
      resumeAfter !== undefined
        ? audit.query({
            ...filters,
            afterId: resumeAfter,
            limit: params.limit === undefined ? AUDIT_MAX_LIMIT : limit,
          })
        : params.limit !== undefined
          ? audit.query({ ...filters, limit })
          : [];
    const oldestFirst = [...backlog].sort((a, b) => a.id - b.id);
    async function* frames(): AsyncGenerator<string> {
      // a comment line: the client sees the stream is open before the first entry
      yield ': subscribed\n\n';
      let lastId = resumeAfter ?? 0;
      for (const entry of oldestFirst) {
        yield auditSseEvent(entry);
        lastId = Math.max(lastId, entry.id);
      }
      for await (const entry of live) {
        if (entry.id <= lastId) continue; // already sent with the backlog
        lastId = entry.id;
        yield auditSseEvent(entry);
      }
    }
    const body = sseBody(
      withSseHeartbeat(frames(), deps.heartbeatMs === undefined ? {} : { intervalMs: deps.heartbeatMs }),
      {
        onCancel: () => disconnected.abort(new AbortedError('the client closed the audit stream')),
        onError: () => undefined,
      },
    );
    return c.body(body, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
  });
  return routes;
}
