/**
 * The audit trail on the node's side: `AuditRetention` keeps it to the owner's retention
 * (`access.audit_retention_days`), and `openStoredAuditLog` reads it straight from a home's database
 * when no node runs (`atmosphere logs --requests`).
 */
import { existsSync } from 'node:fs';
import type { HomePaths } from '../client/index.js';
import type { AuditEntry, AuditLog, AuditQuery, Clock, Logger, Startable } from '../core/index.js';
import { toAtmosphereError } from '../core/index.js';

export const DAY_MS = 86_400_000;
/** How often the audit log is pruned while the node runs. */
export const AUDIT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface AuditRetentionComponents {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface AuditRetentionInit {
  /**
   * Days entries are kept, read at every prune so a live config change applies at the next one.
   * Missing, 0, negative or not a finite number: entries are kept forever.
   */
  readonly retentionDays?: () => number;
  /** Time between prunes; default `AUDIT_PRUNE_INTERVAL_MS` (one hour). */
  readonly intervalMs?: number;
}

/**
 * Deletes audit entries older than the retention: once at start, then every hour (the timer does
 * not keep the process alive). A prune that fails is logged and tried again at the next tick.
 */
export class AuditRetention implements Startable {
  private readonly c: AuditRetentionComponents;
  private readonly init: AuditRetentionInit;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;

  constructor(components: AuditRetentionComponents, init: AuditRetentionInit = {}) {
    this.c = components;
    this.init = init;
    this.log = components.logger;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(_options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.timer !== null) return Promise.resolve();
    this.pruneLogged();
    this.timer = setInterval(() => this.pruneLogged(), this.init.intervalMs ?? AUDIT_PRUNE_INTERVAL_MS);
    this.timer.unref();
    return Promise.resolve();
  }

  stop(_options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return Promise.resolve();
  }

  /** The retention in effect now, in whole days, or null for "keep forever". */
  retentionDays(): number | null {
    const days = this.init.retentionDays?.();
    return days === undefined || !Number.isFinite(days) || days <= 0 ? null : days;
  }

  /**
   * Deletes the entries older than the retention now; returns how many (0 when entries are kept
   * forever). Store failures are thrown.
   */
  pruneNow(): number {
    const days = this.retentionDays();
    if (days === null) return 0;
    const beforeMs = this.c.clock.now() - days * DAY_MS;
    const removed = this.c.audit.prune(beforeMs);
    const fields = { removed, retentionDays: days, before: new Date(beforeMs).toISOString() };
    if (removed > 0) this.log.info(fields, `removed ${removed} audit entries older than ${days} days`);
    else this.log.debug(fields, `no audit entries older than ${days} days`);
    return removed;
  }

  private pruneLogged(): void {
    try {
      this.pruneNow();
    } catch (err) {
      this.log.warn({ err: toAtmosphereError(err).message }, 'could not prune the audit log');
    }
  }
}

/** A home's audit log opened read-only; close it when done. */
export interface StoredAuditLog {
  query(query?: AuditQuery): AuditEntry[];
  close(): void;
}

/**
 * The audit log in a home's database, opened read-only (nothing is written, no migration runs),
 * for reading it while no node runs; null when the home has no database yet. Throws `StoreError`
 * when the file is not a database of this build's schema.
 */
export async function openStoredAuditLog(input: {
  readonly home: HomePaths;
  readonly logger: Logger;
  readonly clock: Clock;
}): Promise<StoredAuditLog | null> {
  if (!existsSync(input.home.database)) return null;
  const { openSqliteStore } = await import('../store/index.js');
  const store = openSqliteStore(
    { logger: input.logger.child('store'), clock: input.clock },
    { path: input.home.database, readonly: true },
  );
  return {
    query: (query) => store.audit.query(query),
    close: () => store.close(),
  };
}
