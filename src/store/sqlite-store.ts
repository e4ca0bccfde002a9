import { closeSync, constants, existsSync, fchmodSync, fstatSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Clock, Logger, Store } from '../core/index.js';
import { InvalidInputError, MigrationError, StoreError } from '../core/index.js';
import type { Migration } from './migrations.js';
import {
  assertDatabaseUsable,
  latestVersion,
  migrations,
  readSchemaVersion,
  runMigrations,
} from './migrations.js';
import { SqliteAuditLog } from './sqlite-audit-log.js';
import { SqliteMeshState } from './sqlite-mesh-state.js';
import type { SqliteDatabase } from './sqlite-connection.js';
import { SqliteConnection, sqliteCodeOf, toStoreError } from './sqlite-connection.js';
import { SqliteKeyValueStore } from './sqlite-key-value-store.js';
import { SqliteSpendLedger } from './sqlite-spend-ledger.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
export const IN_MEMORY_PATH = ':memory:';

export interface SqliteStoreInit {
  /** The database file, or `:memory:` (the default) for a private in-memory database. */
  readonly path?: string;
  /** How long a statement waits for another connection's lock before failing (default 5,000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * Open without writing anything (default false): no migrations run, the schema must already be
   * exactly this build's, and every write fails with a StoreError. Not possible for `:memory:`.
   */
  readonly readonly?: boolean;
  /**
   * The migrations to bring the schema to (default: `migrations`). A different list must start with
   * the built-in migrations, since the repositories need their tables.
   */
  readonly migrations?: readonly Migration[];
}

/** The connection settings in effect, as SQLite reports them (for diagnostics and tests). */
export interface SqliteStoreSettings {
  readonly path: string;
  /** `wal` for a file, `memory` for `:memory:`. */
  readonly journalMode: string;
  /** 0 off, 1 normal, 2 full, 3 extra. */
  readonly synchronous: number;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly readonly: boolean;
  readonly schemaVersion: number;
}

export interface SqliteStoreComponents {
  logger: Logger;
  clock: Clock;
}

/**
 * The node's SQLite database behind the `Store` seam. Opening it creates the file (mode 0600) if
 * needed, switches it to WAL with `synchronous=NORMAL`, `foreign_keys=ON` and a busy timeout, and
 * runs pending migrations. A file that is not an Atmosphere database, or whose schema is newer than
 * this build, is refused and left untouched.
 */
export class SqliteStore implements Store {
  readonly path: string;
  readonly readonly: boolean;
  readonly audit: SqliteAuditLog;
  readonly kv: SqliteKeyValueStore;
  readonly mesh: SqliteMeshState;
  readonly spend: SqliteSpendLedger;
  private readonly connection: SqliteConnection;
  private readonly log: Logger;

  constructor(components: SqliteStoreComponents, init: SqliteStoreInit = {}) {
    this.log = components.logger;
    this.path = init.path ?? IN_MEMORY_PATH;
    this.readonly = init.readonly ?? false;
    const busyTimeoutMs = init.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const list = init.migrations ?? migrations;
    if (this.path === '')
      throw new InvalidInputError('the store path must not be empty (use ":memory:" for memory)');
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new InvalidInputError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
    }
    assertExtendsBuiltIn(list);
    const inMemory = this.path === IN_MEMORY_PATH;
    if (inMemory && this.readonly)
      throw new InvalidInputError('an in-memory store cannot be opened read-only');

    if (!inMemory) {
      if (this.readonly) {
        if (!existsSync(this.path)) {
          throw new StoreError(`cannot open ${this.path} read-only: the file does not exist`, {
            details: { path: this.path },
          });
        }
      } else {
        prepareDatabaseFile(this.path, this.log);
      }
    }

    let db: SqliteDatabase;
    try {
      db = new Database(this.path, {
        readonly: this.readonly,
        fileMustExist: this.readonly,
        timeout: busyTimeoutMs,
      });
    } catch (err) {
      throw toStoreError(err, this.path, 'open the database');
    }
    try {
      this.configure(components, db, list, busyTimeoutMs);
    } catch (err) {
      db.close();
      throw err;
    }
    this.connection = new SqliteConnection(components, { db, path: this.path });
    this.audit = new SqliteAuditLog({ connection: this.connection });
    this.kv = new SqliteKeyValueStore({ connection: this.connection });
    this.mesh = new SqliteMeshState({ connection: this.connection });
    this.spend = new SqliteSpendLedger({ connection: this.connection });
    this.log.debug(
      { path: this.path, schemaVersion: readSchemaVersion(db), readonly: this.readonly },
      'store opened',
    );
  }

  schemaVersion(): number {
    return this.connection.run('read the schema version', (db) => readSchemaVersion(db));
  }

  settings(): SqliteStoreSettings {
    return this.connection.run('read the connection settings', (db) => ({
      path: this.path,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      foreignKeys: (db.pragma('foreign_keys', { simple: true }) as number) === 1,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
      readonly: this.readonly,
      schemaVersion: readSchemaVersion(db),
    }));
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /** Closes the database (a WAL checkpoint happens when the last connection closes). Idempotent. */
  close(): void {
    if (!this.connection.isOpen) return;
    this.connection.db.close();
    this.log.debug({ path: this.path }, 'store closed');
  }

  private configure(
    components: SqliteStoreComponents,
    db: SqliteDatabase,
    list: readonly Migration[],
    busyTimeoutMs: number,
  ): void {
    const path = this.path;
    const deadline = Date.now() + busyTimeoutMs;
    try {
      // The first statement that reads the file header: a file that is not a database fails here,
      // before anything has been written to it.
      retryWhileBusy(deadline, () => db.pragma('schema_version', { simple: true }));
    } catch (err) {
      const code = sqliteCodeOf(err);
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new StoreError(
          `${path} is not a usable SQLite database (${(err as Error).message}); it was left untouched. Move it aside to start with an empty database`,
          { cause: err, details: { path, sqliteCode: code } },
        );
      }
      throw toStoreError(err, path, 'read the database');
    }
    try {
      db.pragma('foreign_keys = ON');
      assertDatabaseUsable(db, path, list);
      if (this.readonly) {
        db.pragma('synchronous = NORMAL');
        const version = readSchemaVersion(db);
        if (version !== latestVersion(list)) {
          throw new StoreError(
            `${path} has schema version ${version} but this build needs ${latestVersion(list)}; it cannot be migrated read-only (start the node once to migrate it)`,
            { details: { path, schemaVersion: version, knownVersion: latestVersion(list) } },
          );
        }
        return;
      }
      // Switching a fresh file to WAL needs an exclusive lock, and SQLite returns SQLITE_BUSY without
      // calling the busy handler when another process is opening the same file at that moment.
      const mode = retryWhileBusy(
        deadline,
        () => db.pragma('journal_mode = WAL', { simple: true }) as string,
      );
      if (mode !== 'wal' && path !== IN_MEMORY_PATH) {
        this.log.warn({ path, journalMode: mode }, 'the database could not be switched to WAL mode');
      }
      db.pragma('synchronous = NORMAL');
    } catch (err) {
      throw toStoreError(err, path, 'configure the database');
    }
    runMigrations({ logger: this.log, clock: components.clock }, { db, path, migrations: list });
  }
}

/** Runs `fn`, retrying every few milliseconds while SQLite reports the file busy, until `deadline`. */
function retryWhileBusy<T>(deadline: number, fn: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (!(sqliteCodeOf(err) ?? '').startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** Opens (creating if needed) the database at `init.path` and migrates it to this build's schema. */
export function openSqliteStore(
  components: SqliteStoreComponents,
  init: SqliteStoreInit & { readonly path: string },
): SqliteStore {
  return new SqliteStore(components, init);
}

function assertExtendsBuiltIn(list: readonly Migration[]): void {
  for (const [index, builtIn] of migrations.entries()) {
    const given = list[index];
    if (given?.version !== builtIn.version || given.name !== builtIn.name) {
      throw new MigrationError(
        `the migration list must start with the built-in migrations; entry ${index} should be ${builtIn.version} (${builtIn.name})`,
        { details: { version: builtIn.version, name: builtIn.name } },
      );
    }
  }
}

/**
 * Creates the database file with mode 0600 before SQLite opens it (SQLite gives its `-wal` and
 * `-shm` files the same mode), and tightens an existing file that others could read.
 */
function prepareDatabaseFile(path: string, log: Logger): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (err) {
    throw new StoreError(`cannot create or open the database file ${path}: ${(err as Error).message}`, {
      cause: err,
      details: { path },
    });
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      fchmodSync(fd, 0o600);
      log.warn(
        { path, mode: mode.toString(8) },
        'the database file was readable by others; its mode is now 0600',
      );
    }
  } catch (err) {
    throw new StoreError(`cannot make the database file ${path} private: ${(err as Error).message}`, {
      cause: err,
      details: { path },
    });
  } finally {
    closeSync(fd);
  }
}
