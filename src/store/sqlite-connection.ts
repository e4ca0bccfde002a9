import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '../core/index.js';
import { AtmosphereError, StoreError } from '../core/index.js';

/** An open better-sqlite3 database. */
export type SqliteDatabase = BetterSqlite3.Database;

/**
 * What every repository shares: the open database, its path (for error messages) and the clock.
 * Repositories do all their SQL inside `run()`, so a closed store or a SQLite failure always
 * surfaces as a `StoreError` that names the file and the operation.
 */
export class SqliteConnection {
  readonly db: SqliteDatabase;
  readonly path: string;
  readonly clock: Clock;

  constructor(components: { clock: Clock }, init: { db: SqliteDatabase; path: string }) {
    this.db = init.db;
    this.path = init.path;
    this.clock = components.clock;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Runs `fn` against the database; errors other than AtmosphereErrors become StoreErrors. */
  run<T>(operation: string, fn: (db: SqliteDatabase) => T): T {
    if (!this.db.open) {
      throw new StoreError(`cannot ${operation}: the store at ${this.path} is closed`, {
        details: { path: this.path, operation },
      });
    }
    try {
      return fn(this.db);
    } catch (err) {
      throw toStoreError(err, this.path, operation);
    }
  }
}

/** A StoreError naming the file and the operation; AtmosphereErrors pass through unchanged. */
export function toStoreError(err: unknown, path: string, operation: string): AtmosphereError {
  if (err instanceof AtmosphereError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const sqliteCode = sqliteCodeOf(err);
  return new StoreError(`cannot ${operation} (${path}): ${message}`, {
    cause: err,
    details: { path, operation, ...(sqliteCode === undefined ? {} : { sqliteCode }) },
  });
}

/** The SQLite result code of an error from better-sqlite3 (`SQLITE_BUSY`, `SQLITE_NOTADB` ...). */
export function sqliteCodeOf(err: unknown): string | undefined {
  if (
    err instanceof Error &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('SQLITE_')
  ) {
    return err.code;
  }
  return undefined;
}
