/**
 * The node's audit writer: every audit entry of a running node (mesh requests, local work with
 * `access.log_all_requests`, panel sign-ins) is appended through one `AuditFeed`, which writes it to
 * the store and then hands it to whoever follows the log (`GET /api/audit?follow=1`). Followers are
 * told about entries as they are written, so nothing polls the database.
 */
import type { AuditEntry, AuditLog, AuditQuery, NewAuditEntry } from '../core/index.js';
import { matchesGlob } from '../core/index.js';

/** A follower more than this many entries behind loses the oldest ones. */
export const AUDIT_FOLLOW_MAX_BACKLOG = 1000;

export interface AuditFeedComponents {
  /** Where entries are stored (the store's audit repository). */
  readonly audit: AuditLog;
}

export interface AuditFeedInit {
  /** Entries kept for a follower that reads slower than they are written; default 1000. */
  readonly maxBacklog?: number;
}

/** Whether `entry` passes the filters of `query` (its time range, requester, target, glob, decision). */
export function auditEntryMatches(entry: AuditEntry, query: AuditQuery): boolean {
  if (query.sinceMs !== undefined && entry.timeMs < query.sinceMs) return false;
  if (query.untilMs !== undefined && entry.timeMs >= query.untilMs) return false;
  if (query.requester !== undefined && entry.requester !== query.requester) return false;
  if (query.target !== undefined && entry.target !== query.target) return false;
  if (query.targetGlob !== undefined && !matchesGlob(entry.target, query.targetGlob)) return false;
  if (query.decision !== undefined && entry.decision !== query.decision) return false;
  if (query.afterId !== undefined && entry.id <= query.afterId) return false;
  return true;
}

/** An `AuditLog` that also tells followers about each entry appended through it. */
export class AuditFeed implements AuditLog {
  private readonly c: AuditFeedComponents;
  private readonly maxBacklog: number;
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  constructor(components: AuditFeedComponents, init: AuditFeedInit = {}) {
    this.c = components;
    this.maxBacklog = init.maxBacklog ?? AUDIT_FOLLOW_MAX_BACKLOG;
  }

  /** Stores the entry, then passes it to every follower (a failing follower does not fail the write). */
  append(entry: NewAuditEntry): AuditEntry {
    const stored = this.c.audit.append(entry);
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch {
        // a follower's failure is its own; the entry is stored and the others still get it
      }
    }
    return stored;
  }

  query(query?: AuditQuery): AuditEntry[] {
    return this.c.audit.query(query);
  }

  prune(beforeMs: number): number {
    return this.c.audit.prune(beforeMs);
  }

  /** Calls `listener` with every entry appended from now on; returns the unsubscribe. */
  subscribe(listener: (entry: AuditEntry) => void): () => void {
    const wrapped = (entry: AuditEntry): void => listener(entry);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  /** How many followers are subscribed now. */
  get followers(): number {
    return this.listeners.size;
  }

  /**
   * Entries appended from the moment of the call on that pass `query`'s filters (its `limit` is
   * ignored), oldest first, until `signal` aborts. Subscribing happens in the call itself, not at
   * the first `next()`, so a caller can read the stored backlog right after it and miss nothing.
   */
  follow(query: AuditQuery, options: { signal?: AbortSignal } = {}): AsyncIterable<AuditEntry> {
    const queue: AuditEntry[] = [];
    let wake: (() => void) | undefined;
    const { signal } = options;
    const unsubscribe = this.subscribe((entry) => {
      if (!auditEntryMatches(entry, query)) return;
      queue.push(entry);
      if (queue.length > this.maxBacklog) queue.shift();
      wake?.();
    });
    const stop = (): void => {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    };
    // an abort unsubscribes at once, even when the iteration never started
    const onAbort = (): void => {
      stop();
      wake?.();
    };
    signal?.addEventListener('abort', onAbort);
    async function* entries(): AsyncGenerator<AuditEntry> {
      try {
        while (signal?.aborted !== true) {
          const next = queue.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        stop();
      }
    }
    if (signal?.aborted === true) stop();
    return entries();
  }
}
