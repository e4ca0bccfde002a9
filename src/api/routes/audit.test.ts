import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog, AuditQuery, NewAuditEntry } from '../../core/index.js';
import { InvalidInputError } from '../../core/index.js';
import type { ApiEnv } from '../env.js';
import { errorToHttp } from '../http-errors.js';
import type { AuditEntryView, AuditFollow, AuditListResponse } from './audit.js';
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

/** A followable audit log in memory: `query` honours afterId, decision and limit; `follow` pushes appends. */
function followableAudit(): AuditLog & AuditFollow & { followers: () => number } {
  const entries: AuditEntry[] = [];
  const listeners = new Set<(e: AuditEntry) => void>();
  const matches = (e: AuditEntry, q: AuditQuery): boolean =>
    (q.afterId === undefined || e.id > q.afterId) && (q.decision === undefined || e.decision === q.decision);
  return {
    followers: () => listeners.size,
    append(entry: NewAuditEntry) {
      const full = { ...entry, id: entries.length + 1 };
      entries.push(full);
      for (const listener of listeners) listener(full);
      return full;
    },
    query(q = {}) {
      return entries
        .filter((e) => matches(e, q))
        .reverse()
        .slice(0, q.limit ?? 100);
    },
    prune: () => 0,
    follow(q, options = {}) {
      const queue: AuditEntry[] = [];
      let wake: (() => void) | undefined;
      const listener = (e: AuditEntry): void => {
        if (!matches(e, q)) return;
        queue.push(e);
        wake?.();
      };
      listeners.add(listener);
      options.signal?.addEventListener('abort', () => {
        listeners.delete(listener);
        wake?.();
      });
      return (async function* () {
        while (options.signal?.aborted !== true) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      })();
    },
  };
}

function auditEntry(fields: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    timeMs: T0,
    requester: 'peer-a',
    target: 'ollama/llama3.2:3b',
    tool: 'chat',
    decision: 'allowed',
    rule: null,
    durationMs: 3,
    bytesIn: null,
    bytesOut: null,
    detail: null,
    ...fields,
  };
}

/** Reads a server-sent event stream frame by frame (a frame ends with a blank line). */
function frameReader(body: ReadableStream<Uint8Array>): {
  next: () => Promise<string>;
  cancel: () => Promise<void>;
} {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return frame;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended; unread: ${JSON.stringify(buffer)}`);
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

const idOf = (frame: string): number => Number(/^id: (\d+)$/m.exec(frame)?.[1]);
const dataOf = (frame: string): AuditEntryView =>
  JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? 'null') as AuditEntryView;

describe('GET /api/audit?follow=1 (route group)', () => {
  it('answers server-sent events, sends entries as they are written with their id, and stops following on cancel', async () => {
    const audit = followableAudit();
    audit.append(auditEntry({ requester: 'before' }));
    const res = await appWith(audit).request('/api/audit?follow=1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const frames = frameReader(res.body as ReadableStream<Uint8Array>);
    expect(await frames.next()).toBe(': subscribed');
    audit.append(auditEntry({ requester: 'peer-live', decision: 'refused', rule: 'expose' }));
    const frame = await frames.next();
    expect(idOf(frame)).toBe(2);
    expect(dataOf(frame)).toMatchObject({
      id: 2,
      time: '2025-01-31T10:00:00.000Z',
      requester: 'peer-live',
      decision: 'refused',
      rule: 'expose',
    });
    expect(audit.followers()).toBe(1);
    await frames.cancel();
    expect(audit.followers()).toBe(0);
  });

  it('streams when the client accepts text/event-stream, without the follow parameter', async () => {
    const res = await appWith(followableAudit()).request('/api/audit', {
      headers: { Accept: 'text/event-stream' },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await res.body?.cancel();
  });

  it('sends the backlog after afterId oldest first, then live entries, with the same filters', async () => {
    const audit = followableAudit();
    for (const decision of ['refused', 'allowed', 'refused', 'refused'] as const) {
      audit.append(auditEntry({ decision }));
    }
    const res = await appWith(audit).request('/api/audit?follow=1&afterId=1&decision=refused');
    const frames = frameReader(res.body as ReadableStream<Uint8Array>);
    expect(await frames.next()).toBe(': subscribed');
    expect(idOf(await frames.next())).toBe(3);
    expect(idOf(await frames.next())).toBe(4);
    audit.append(auditEntry({ decision: 'allowed' }));
    audit.append(auditEntry({ decision: 'refused' }));
    expect(idOf(await frames.next())).toBe(6);
    await frames.cancel();
  });

  it('resumes after the Last-Event-ID a reconnecting client sends', async () => {
    const audit = followableAudit();
    for (let i = 0; i < 4; i++) audit.append(auditEntry());
    const res = await appWith(audit).request('/api/audit?follow=1&limit=2', {
      headers: { 'Last-Event-ID': '2' },
    });
    const frames = frameReader(res.body as ReadableStream<Uint8Array>);
    await frames.next();
    // limit bounds the backlog: the newest two after id 2
    expect([idOf(await frames.next()), idOf(await frames.next())]).toEqual([3, 4]);
    await frames.cancel();
  });

  it('sends the latest limit entries first only when a limit is given', async () => {
    const audit = followableAudit();
    for (let i = 0; i < 5; i++) audit.append(auditEntry());
    const withLimit = frameReader(
      (await appWith(audit).request('/api/audit?follow=1&limit=2')).body as ReadableStream<Uint8Array>,
    );
    await withLimit.next();
    expect([idOf(await withLimit.next()), idOf(await withLimit.next())]).toEqual([4, 5]);
    await withLimit.cancel();
    const without = frameReader(
      (await appWith(audit).request('/api/audit?follow=1')).body as ReadableStream<Uint8Array>,
    );
    await without.next();
    audit.append(auditEntry());
    expect(idOf(await without.next())).toBe(6);
    await without.cancel();
  });

  it('sends a heartbeat comment while no entry is written', async () => {
    const app = new Hono<ApiEnv>();
    app.route('/', auditRoutes({ audit: followableAudit(), heartbeatMs: 20 }));
    const res = await app.request('/api/audit?follow=1');
    const frames = frameReader(res.body as ReadableStream<Uint8Array>);
    expect(await frames.next()).toBe(': subscribed');
    expect(await frames.next()).toBe(': heartbeat');
    await frames.cancel();
  });

  it('refuses a bad follow value or filter with a 400 and answers 503 when the log cannot be followed', async () => {
    const bad = await appWith(followableAudit()).request('/api/audit?follow=yes');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('follow');
    const badFilter = await appWith(followableAudit()).request('/api/audit?follow=1&decision=maybe');
    expect(badFilter.status).toBe(400);
    const plain = await appWith(recordingAudit()).request('/api/audit?follow=1');
    expect(plain.status).toBe(503);
    const json = await appWith(followableAudit()).request('/api/audit?follow=0');
    expect(json.headers.get('content-type')).toContain('application/json');
  });
});
