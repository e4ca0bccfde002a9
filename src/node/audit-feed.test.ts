import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog, NewAuditEntry } from '../core/index.js';
import { AuditFeed, auditEntryMatches } from './audit-feed.js';

function memoryAudit(): AuditLog & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    append(entry) {
      const full = { ...entry, id: entries.length + 1 };
      entries.push(full);
      return full;
    },
    query: () => [...entries].reverse(),
    prune: () => 0,
  };
}

function entry(fields: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    timeMs: 1_000,
    requester: 'peer-a',
    target: 'ollama/llama3.2:3b',
    tool: 'chat',
    decision: 'allowed',
    rule: null,
    durationMs: 5,
    bytesIn: null,
    bytesOut: null,
    detail: null,
    ...fields,
  };
}

describe('AuditFeed', () => {
  it('stores each entry in the audit log it wraps and answers queries from it', () => {
    const stored = memoryAudit();
    const feed = new AuditFeed({ audit: stored });
    const appended = feed.append(entry());
    expect(appended.id).toBe(1);
    expect(stored.entries).toEqual([appended]);
    expect(feed.query()).toEqual([appended]);
  });

  it('yields entries appended after follow() was called, oldest first, with the filters applied', async () => {
    const feed = new AuditFeed({ audit: memoryAudit() });
    feed.append(entry({ target: 'before' }));
    const controller = new AbortController();
    const followed = feed.follow(
      { decision: 'refused', targetGlob: 'camera/*' },
      { signal: controller.signal },
    );
    feed.append(entry({ target: 'camera/front', decision: 'refused' }));
    feed.append(entry({ target: 'camera/front', decision: 'allowed' }));
    feed.append(entry({ target: 'ollama/x', decision: 'refused' }));
    feed.append(entry({ target: 'camera/back', decision: 'refused' }));
    const seen: string[] = [];
    for await (const e of followed) {
      seen.push(`${e.id} ${e.target}`);
      if (seen.length === 2) controller.abort();
    }
    expect(seen).toEqual(['2 camera/front', '5 camera/back']);
    expect(feed.followers).toBe(0);
  });

  it('wakes a waiting follower when an entry is written and ends it on abort', async () => {
    const feed = new AuditFeed({ audit: memoryAudit() });
    const controller = new AbortController();
    const iterator = feed.follow({}, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    feed.append(entry({ requester: 'peer-b' }));
    expect((await next).value).toMatchObject({ id: 1, requester: 'peer-b' });
    const pending = iterator.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(feed.followers).toBe(0);
  });

  it('unsubscribes on abort even when the follower never started reading', () => {
    const feed = new AuditFeed({ audit: memoryAudit() });
    const controller = new AbortController();
    feed.follow({}, { signal: controller.signal });
    expect(feed.followers).toBe(1);
    controller.abort();
    expect(feed.followers).toBe(0);
  });

  it('keeps only the newest entries for a follower that falls behind', async () => {
    const feed = new AuditFeed({ audit: memoryAudit() }, { maxBacklog: 2 });
    const controller = new AbortController();
    const followed = feed.follow({}, { signal: controller.signal });
    for (let i = 0; i < 5; i++) feed.append(entry());
    const ids: number[] = [];
    for await (const e of followed) {
      ids.push(e.id);
      if (ids.length === 2) controller.abort();
    }
    expect(ids).toEqual([4, 5]);
  });

  it('still stores the entry and tells other followers when one listener throws', () => {
    const feed = new AuditFeed({ audit: memoryAudit() });
    const heard: number[] = [];
    feed.subscribe(() => {
      throw new Error('broken follower');
    });
    feed.subscribe((e) => heard.push(e.id));
    expect(feed.append(entry()).id).toBe(1);
    expect(heard).toEqual([1]);
  });
});

describe('auditEntryMatches', () => {
  const e: AuditEntry = { ...entry({ timeMs: 5_000, requester: 'peer-a', target: 'ollama/m' }), id: 7 };

  it('applies the time range with since inclusive and until exclusive', () => {
    expect(auditEntryMatches(e, { sinceMs: 5_000 })).toBe(true);
    expect(auditEntryMatches(e, { sinceMs: 5_001 })).toBe(false);
    expect(auditEntryMatches(e, { untilMs: 5_000 })).toBe(false);
    expect(auditEntryMatches(e, { untilMs: 5_001 })).toBe(true);
  });

  it('applies requester, exact target, target glob, decision and afterId', () => {
    expect(auditEntryMatches(e, { requester: 'peer-a', target: 'ollama/m', decision: 'allowed' })).toBe(true);
    expect(auditEntryMatches(e, { requester: 'peer-b' })).toBe(false);
    expect(auditEntryMatches(e, { target: 'ollama' })).toBe(false);
    expect(auditEntryMatches(e, { targetGlob: 'ollama/*' })).toBe(true);
    expect(auditEntryMatches(e, { targetGlob: 'camera/*' })).toBe(false);
    expect(auditEntryMatches(e, { decision: 'refused' })).toBe(false);
    expect(auditEntryMatches(e, { afterId: 6 })).toBe(true);
    expect(auditEntryMatches(e, { afterId: 7 })).toBe(false);
  });
});
