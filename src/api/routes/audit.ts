import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditEntry, AuditLog, AuditQuery } from '../../core/index.js';
import { InvalidInputError } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';

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
        ? `unknown query parameter "${name}"; use since, until, requester, target, decision, limit or afterId`
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

/**
 * The audit trail: `GET /api/audit` lists who asked this node for what and what was decided,
 * newest first, filtered by `since`/`until` (ISO 8601 or epoch ms; `until` exclusive), `requester`
 * (node id), `target` (capability id or glob), `decision` (`allowed`|`refused`), `afterId` (entries
 * appended after that one, for following) and `limit` (default 100, at most 10 000).
 */
export function auditRoutes(deps: { audit: AuditLog }): ApiRoutes {
  const { audit } = deps;
  const routes = new Hono<ApiEnv>();
  routes.get('/api/audit', (c) => {
    const query = parseAuditQuery(c.req.query());
    const entries = audit.query(query).map(toAuditEntryView);
    const body: AuditListResponse = { entries, count: entries.length };
    return c.json(body);
  });
  return routes;
}
