import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog, AuditQuery, NewAuditEntry } from '../../core/index.js';
import { InvalidInputError } from '../../core/index.js';
import type { ApiEnv } from '../env.js';
import { errorToHttp } from '../http-errors.js';
import type { AuditListResponse } from './audit.js';
import { AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, auditRoutes, parseAuditQuery } from './audit.js';

/** An AuditLog that records the queries it was asked and answers from a list, newest first. */
function recordingAudit(entries: AuditEntry[] = []): AuditLog & { queries: AuditQuery[] } {
  const queries: AuditQuery[] = [];
  return {
    queries,
    append(entry: NewAuditEntry) {
      const full = { ...entry, id: entries.length + 1 };
      entries.push(full);
      return full;
    },
    query(query = {}) {
      queries.push(query);
      return [...entries].sort((a, b) => b.timeMs - a.timeMs).slice(0, query.limit ?? 100);
    },
    prune: () => 0,
  };
}

function appWith(audit: AuditLog): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.route('/', auditRoutes({ audit }));
  app.onError((err, c) => {
    const { status, body } = errorToHttp(err);
    return c.json(body, status as ContentfulStatusCode);
  });
  return app;
}

const T0 = Date.UTC(2025, 0, 31, 10, 0, 0);

describe('parseAuditQuery', () => {
  it('turns ISO times and epoch milliseconds into a time range', () => {
    expect(parseAuditQuery({ since: '2025-01-31T10:00:00Z', until: String(T0 + 60_000) })).toEqual({
      sinceMs: T0,
      untilMs: T0 + 60_000,
      limit: AUDIT_DEFAULT_LIMIT,
    });
    expect(parseAuditQuery({ since: '2025-01-31T11:00:00+01:00' }).sinceMs).toBe(T0);
    expect(parseAuditQuery({ since: '2025-01-31' }).sinceMs).toBe(Date.UTC(2025, 0, 31));
    expect(parseAuditQuery({ since: '2025-01-31T10:00:00.250Z' }).sinceMs).toBe(T0 + 250);
  });

  it('reads a target with * or ? as a glob and any other target as an exact capability id', () => {
    expect(parseAuditQuery({ target: 'ollama/*' })).toMatchObject({ targetGlob: 'ollama/*' });
    expect(parseAuditQuery({ target: 'ollama/*' }).target).toBeUndefined();
    expect(parseAuditQuery({ target: 'camera/front?' })).toMatchObject({ targetGlob: 'camera/front?' });
    expect(parseAuditQuery({ target: 'ollama/llama3.2:3b' })).toMatchObject({
      target: 'ollama/llama3.2:3b',
    });
  });

  it('passes requester, decision, limit and afterId through', () => {
    expect(
      parseAuditQuery({ requester: '12D3KooWPeer', decision: 'refused', limit: '25', afterId: '7' }),
    ).toEqual({ requester: '12D3KooWPeer', decision: 'refused', limit: 25, afterId: 7 });
  });

  it.each([
    [{ since: 'yesterday' }, 'since'],
    [{ until: '2025-13-45T99:00:00Z' }, 'until'],
    [{ decision: 'maybe' }, 'decision'],
    [{ limit: '0' }, 'limit'],
    [{ limit: String(AUDIT_MAX_LIMIT + 1) }, 'limit'],
    [{ limit: '2.5' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ afterId: '-1' }, 'afterId'],
    [{ requester: '' }, 'requester'],
    [{ decison: 'refused' }, 'decison'],
    [{ since: '2025-02-01', until: '2025-01-01' }, 'since'],
  ])('refuses %j naming the parameter %s', (params, param) => {
    let caught: unknown;
    try {
      parseAuditQuery(params);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).details.param).toBe(param);
    expect((caught as InvalidInputError).message).toContain(param);
  });
});

describe('GET /api/audit (route group)', () => {
  it('answers entries newest first with their ISO time and a count', async () => {
    const audit = recordingAudit();
    for (const [i, decision] of (['allowed', 'refused', 'allowed'] as const).entries()) {
      audit.append({
        timeMs: T0 + i * 1_000,
        requester: `peer-${i}`,
        target: 'ollama/llama3.2:3b',
        tool: 'chat',
        decision,
        rule: decision === 'refused' ? 'expose' : null,
        durationMs: 12,
        bytesIn: null,
        bytesOut: 40,
        detail: null,
      });
    }
    const res = await appWith(audit).request('/api/audit');
    expect(res.status).toBe(200);
    const body = (await res.json()) as AuditListResponse;
    expect(body.count).toBe(3);
    expect(body.entries.map((e) => e.time)).toEqual([
      '2025-01-31T10:00:02.000Z',
      '2025-01-31T10:00:01.000Z',
      '2025-01-31T10:00:00.000Z',
    ]);
    expect(body.entries[1]).toMatchObject({ requester: 'peer-1', decision: 'refused', rule: 'expose' });
    expect(audit.queries).toEqual([{ limit: AUDIT_DEFAULT_LIMIT }]);
  });

  it('hands the parsed filters to the audit log', async () => {
    const audit = recordingAudit();
    const res = await appWith(audit).request(
      '/api/audit?since=2025-01-31T10:00:00Z&requester=peer-1&target=ollama/*&decision=refused&limit=5',
    );
    expect(res.status).toBe(200);
    expect(audit.queries).toEqual([
      { sinceMs: T0, requester: 'peer-1', targetGlob: 'ollama/*', decision: 'refused', limit: 5 },
    ]);
  });

  it('answers a bad filter with a 400 error envelope naming the parameter, without querying', async () => {
    const audit = recordingAudit();
    const res = await appWith(audit).request('/api/audit?decision=maybe');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; param: string | null } };
    expect(body.error).toMatchObject({ code: 'invalid_input', param: 'decision' });
    expect(audit.queries).toEqual([]);
  });
});
