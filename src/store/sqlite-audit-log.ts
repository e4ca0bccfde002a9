import type BetterSqlite3 from 'better-sqlite3';
import type { AuditDecision, AuditEntry, AuditLog, AuditQuery, NewAuditEntry } from '../core/index.js';
import { InvalidInputError } from '../core/index.js';
import type { SqliteConnection } from './sqlite-connection.js';

export const DEFAULT_AUDIT_QUERY_LIMIT = 100;
export const MAX_AUDIT_QUERY_LIMIT = 10_000;

const DECISIONS: readonly AuditDecision[] = ['allowed', 'refused'];

interface AuditRow {
  id: number;
  time_ms: number;
  requester: string;
  target: string;
  tool: string | null;
  decision: AuditDecision;
  rule: string | null;
  duration_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  detail: string | null;
}

type FilterKey = 'sinceMs' | 'untilMs' | 'requester' | 'target' | 'decision' | 'targetGlob' | 'afterId';

const FILTERS: readonly { key: FilterKey; sql: string }[] = [
  { key: 'sinceMs', sql: 'time_ms >= @sinceMs' },
  { key: 'untilMs', sql: 'time_ms < @untilMs' },
  { key: 'requester', sql: 'requester = @requester' },
  { key: 'target', sql: 'target = @target' },
  { key: 'decision', sql: 'decision = @decision' },
  { key: 'targetGlob', sql: 'target GLOB @targetGlob' },
  { key: 'afterId', sql: 'id > @afterId' },
];

/** Who asked for what and what was decided: the `audit_log` table (migration 1). */
export class SqliteAuditLog implements AuditLog {
  private readonly connection: SqliteConnection;
  private readonly insert: BetterSqlite3.Statement;
  private readonly deleteBefore: BetterSqlite3.Statement;
  /** One prepared query per combination of filters present (at most 128). */
  private readonly queries = new Map<string, BetterSqlite3.Statement>();

  constructor(components: { connection: SqliteConnection }) {
    this.connection = components.connection;
    const db = this.connection.db;
    this.insert = db.prepare(
      `INSERT INTO audit_log (time_ms, requester, target, tool, decision, rule, duration_ms, bytes_in, bytes_out, detail)
       VALUES (@timeMs, @requester, @target, @tool, @decision, @rule, @durationMs, @bytesIn, @bytesOut, @detail)`,
    );
    this.deleteBefore = db.prepare('DELETE FROM audit_log WHERE time_ms < ?');
  }

  append(entry: NewAuditEntry): AuditEntry {
    assertFiniteNumber('timeMs', entry.timeMs);
    if (!DECISIONS.includes(entry.decision)) {
      throw new InvalidInputError(
        `audit decision must be one of ${DECISIONS.join(', ')}, got ${String(entry.decision)}`,
      );
    }
    const stored: NewAuditEntry = {
      timeMs: entry.timeMs,
      requester: entry.requester,
      target: entry.target,
      tool: entry.tool ?? null,
      decision: entry.decision,
      rule: entry.rule ?? null,
      durationMs: entry.durationMs ?? null,
      bytesIn: entry.bytesIn ?? null,
      bytesOut: entry.bytesOut ?? null,
      detail: entry.detail ?? null,
    };
    const result = this.connection.run('append to the audit log', () => this.insert.run(stored));
    return { id: Number(result.lastInsertRowid), ...stored };
  }

  query(query: AuditQuery = {}): AuditEntry[] {
    const limit = resolveLimit(query.limit);
    if (query.sinceMs !== undefined) assertFiniteNumber('sinceMs', query.sinceMs);
    if (query.untilMs !== undefined) assertFiniteNumber('untilMs', query.untilMs);
    if (query.afterId !== undefined && (!Number.isInteger(query.afterId) || query.afterId < 0)) {
      throw new InvalidInputError(
        `audit afterId must be a non-negative integer, got ${String(query.afterId)}`,
      );
    }
    if (query.targetGlob !== undefined && typeof query.targetGlob !== 'string') {
      throw new InvalidInputError(`audit targetGlob must be a string, got ${String(query.targetGlob)}`);
    }
    const present = FILTERS.filter((filter) => query[filter.key] !== undefined);
    const params: Record<string, unknown> = { limit };
    for (const filter of present) params[filter.key] = query[filter.key];
    if (query.targetGlob !== undefined) params.targetGlob = toSqliteGlob(query.targetGlob);
    return this.connection.run('query the audit log', () => {
      const statement = this.statementFor(present);
      return (statement.all(params) as AuditRow[]).map(rowToEntry);
    });
  }

  prune(beforeMs: number): number {
    assertFiniteNumber('beforeMs', beforeMs);
    return this.connection.run('prune the audit log', () => this.deleteBefore.run(beforeMs).changes);
  }

  private statementFor(present: readonly { key: FilterKey; sql: string }[]): BetterSqlite3.Statement {
    const cacheKey = present.map((filter) => filter.key).join(',');
    let statement = this.queries.get(cacheKey);
    if (statement === undefined) {
      const where = present.length === 0 ? '' : `WHERE ${present.map((filter) => filter.sql).join(' AND ')}`;
      statement = this.connection.db.prepare(
        `SELECT * FROM audit_log ${where} ORDER BY time_ms DESC, id DESC LIMIT @limit`,
      );
      this.queries.set(cacheKey, statement);
    }
    return statement;
  }
}

/**
 * A glob as the owner writes it (`*` and `?` wild, everything else literal) as a SQLite `GLOB`
 * pattern, where `[` opens a character class: a literal `[` becomes the class `[[]`.
 */
function toSqliteGlob(glob: string): string {
  return glob.replace(/\[/g, '[[]');
}

function resolveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_AUDIT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InvalidInputError(`audit query limit must be a positive integer, got ${limit}`);
  }
  return Math.min(limit, MAX_AUDIT_QUERY_LIMIT);
}

function assertFiniteNumber(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError(
      `audit ${name} must be a finite number of milliseconds, got ${String(value)}`,
    );
  }
}

function rowToEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    timeMs: row.time_ms,
    requester: row.requester,
    target: row.target,
    tool: row.tool,
    decision: row.decision,
    rule: row.rule,
    durationMs: row.duration_ms,
    bytesIn: row.bytes_in,
    bytesOut: row.bytes_out,
    detail: row.detail,
  };
}
