import type { Clock, Logger } from '../core/index.js';
import { MigrationError, StoreError, StoreSchemaTooNewError } from '../core/index.js';
import type { SqliteDatabase } from './sqlite-connection.js';
import { toStoreError } from './sqlite-connection.js';

/**
 * One step of the schema. `up` runs inside its own transaction together with the row that records
 * it in `schema_migrations`, so it either applies completely or not at all. Rules:
 * - never edit or renumber a migration that has shipped: add a new one with the next version;
 * - use only statements that are transactional in SQLite (DDL and DML are; `PRAGMA foreign_keys`,
 *   `journal_mode` and `VACUUM` are not and must not appear here);
 * - synchronous, deterministic work only (no clock, no I/O outside the database).
 */
export interface Migration {
  /** 1, 2, 3 ...: the list must be ordered and have no gaps. */
  readonly version: number;
  /** A short snake_case description recorded beside the version. */
  readonly name: string;
  up(db: SqliteDatabase): void;
}

/** The table that records which migrations ran: `version`, `name`, `applied_at` (ms since epoch). */
export const SCHEMA_MIGRATIONS_TABLE = 'schema_migrations';

/**
 * SQLite's `application_id` header field for Atmosphere databases ("ATMO"): a file that carries a
 * different one, or tables without it, belongs to something else and is not touched.
 */
export const ATMOSPHERE_APPLICATION_ID = 0x41544d4f;

/** Every migration this build knows, oldest first. Append new ones at the end. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'create_audit_log',
    up(db) {
      db.exec(`
        CREATE TABLE audit_log (
          id          INTEGER PRIMARY KEY AUTOINCREMENT,
          time_ms     INTEGER NOT NULL,
          requester   TEXT    NOT NULL,
          target      TEXT    NOT NULL,
          tool        TEXT,
          decision    TEXT    NOT NULL CHECK (decision IN ('allowed', 'refused')),
          rule        TEXT,
          duration_ms INTEGER,
          bytes_in    INTEGER,
          bytes_out   INTEGER,
          detail      TEXT
        );
        CREATE INDEX audit_log_time ON audit_log (time_ms);
        CREATE INDEX audit_log_requester_time ON audit_log (requester, time_ms);
        CREATE INDEX audit_log_target_time ON audit_log (target, time_ms);
      `);
    },
  },
  {
    version: 2,
    name: 'create_kv',
    up(db) {
      db.exec(`
        CREATE TABLE kv (
          key           TEXT    PRIMARY KEY NOT NULL,
          value         TEXT    NOT NULL,
          updated_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    name: 'create_mesh_state',
    up(db) {
      db.exec(`
        CREATE TABLE mesh_memberships (
          mesh_id         TEXT    PRIMARY KEY NOT NULL,
          mesh_name       TEXT    NOT NULL,
          mesh_public_key BLOB    NOT NULL,
          credential      BLOB    NOT NULL,
          role            TEXT    NOT NULL,
          joined_at_ms    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE mesh_private_keys (
          mesh_id     TEXT PRIMARY KEY NOT NULL,
          private_key BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE mesh_issued_invites (
          nonce        TEXT    PRIMARY KEY NOT NULL,
          mesh_id      TEXT    NOT NULL,
          role         TEXT    NOT NULL,
          max_uses     INTEGER NOT NULL,
          issued_at_ms INTEGER NOT NULL,
          expires_at_ms INTEGER NOT NULL,
          uses         INTEGER NOT NULL DEFAULT 0,
          redeemed_by  TEXT    NOT NULL DEFAULT '[]'
        ) WITHOUT ROWID;
        CREATE INDEX mesh_issued_invites_mesh ON mesh_issued_invites (mesh_id, issued_at_ms);
        CREATE TABLE mesh_credential_serials (
          mesh_id     TEXT    PRIMARY KEY NOT NULL,
          last_serial INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE mesh_members (
          mesh_id      TEXT    NOT NULL,
          node_id      TEXT    NOT NULL,
          credential   BLOB    NOT NULL,
          role         TEXT    NOT NULL,
          name         TEXT    NOT NULL,
          last_seen_ms INTEGER NOT NULL,
          PRIMARY KEY (mesh_id, node_id)
        ) WITHOUT ROWID;
        CREATE TABLE mesh_revocations (
          mesh_id TEXT    NOT NULL,
          node_id TEXT    NOT NULL,
          entry   BLOB    NOT NULL,
          seq     INTEGER NOT NULL,
          PRIMARY KEY (mesh_id, node_id)
        ) WITHOUT ROWID;
        CREATE TABLE mesh_known_peers (
          node_id      TEXT    PRIMARY KEY NOT NULL,
          name         TEXT    NOT NULL,
          addresses    TEXT    NOT NULL,
          last_seen_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 4,
    name: 'create_spend_ledger',
    up(db) {
      db.exec(`
        CREATE TABLE spend_ledger (
          id                INTEGER PRIMARY KEY AUTOINCREMENT,
          time_ms           INTEGER NOT NULL,
          requester         TEXT    NOT NULL,
          capability_id     TEXT    NOT NULL,
          model             TEXT    NOT NULL,
          provider          TEXT    NOT NULL,
          prompt_tokens     INTEGER NOT NULL,
          completion_tokens INTEGER NOT NULL,
          usd               REAL    NOT NULL
        );
        CREATE INDEX spend_ledger_time ON spend_ledger (time_ms);
      `);
    },
  },
];

export interface MigrationResult {
  readonly fromVersion: number;
  readonly toVersion: number;
  /** The migrations this call applied (empty when the database was already current). */
  readonly applied: readonly Migration[];
}

/** The highest version recorded in `schema_migrations`; 0 for a database that has none. */
export function readSchemaVersion(db: SqliteDatabase): number {
  if (!hasTable(db, SCHEMA_MIGRATIONS_TABLE)) return 0;
  const row = db.prepare(`SELECT MAX(version) AS version FROM ${SCHEMA_MIGRATIONS_TABLE}`).get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/** The newest version in `list` (0 for an empty list). */
export function latestVersion(list: readonly Migration[] = migrations): number {
  return list.at(-1)?.version ?? 0;
}

/**
 * Refuses a database this build must not touch: one whose schema is newer than `list` knows (it is
 * never downgraded), or one that belongs to another application.
 */
export function assertDatabaseUsable(
  db: SqliteDatabase,
  path: string,
  list: readonly Migration[] = migrations,
): void {
  // One read transaction: another process may be creating this database at the same moment, and
  // reads spread over its commit could see "no schema_migrations" and then "tables" and take a
  // fresh Atmosphere database for a foreign one.
  const { applicationId, migrationsTable, anyTable, version } = db.transaction(() => ({
    applicationId: db.pragma('application_id', { simple: true }) as number,
    migrationsTable: hasTable(db, SCHEMA_MIGRATIONS_TABLE),
    anyTable: hasAnyTable(db),
    version: readSchemaVersion(db),
  }))();
  if (applicationId !== 0 && applicationId !== ATMOSPHERE_APPLICATION_ID) {
    throw new StoreError(
      `${path} is a SQLite database of another application (application_id ${applicationId}), not an Atmosphere database; it was left untouched`,
      { details: { path, applicationId } },
    );
  }
  if (applicationId === 0 && !migrationsTable && anyTable) {
    throw new StoreError(
      `${path} is a SQLite database that Atmosphere did not create (it has tables but no ${SCHEMA_MIGRATIONS_TABLE}); it was left untouched`,
      { details: { path } },
    );
  }
  const known = latestVersion(list);
  if (version > known) {
    throw new StoreSchemaTooNewError(
      `${path} has schema version ${version}, newer than this build of Atmosphere knows (${known}): it was written by a newer release. Upgrade Atmosphere to open it; it will not be downgraded`,
      { details: { path, schemaVersion: version, knownVersion: known } },
    );
  }
}

/**
 * Brings the database up to the newest migration in `list`. Each migration runs in its own
 * `BEGIN IMMEDIATE` transaction and re-reads the version inside it, so several processes opening
 * one fresh database at once apply every migration exactly once (the others wait on the busy
 * timeout, then see it done). A migration that throws is rolled back: the database stays at the
 * previous version and a `MigrationError` is thrown.
 */
export function runMigrations(
  components: { logger: Logger; clock: Clock },
  init: { db: SqliteDatabase; path: string; migrations?: readonly Migration[] },
): MigrationResult {
  const { db, path } = init;
  const list = init.migrations ?? migrations;
  assertMigrationList(list);
  const log = components.logger;

  let fromVersion: number;
  try {
    db.transaction(() => {
      assertDatabaseUsable(db, path, list);
      db.exec(`CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (
        version    INTEGER PRIMARY KEY NOT NULL,
        name       TEXT    NOT NULL,
        applied_at INTEGER NOT NULL
      )`);
      if ((db.pragma('application_id', { simple: true }) as number) === 0) {
        db.pragma(`application_id = ${ATMOSPHERE_APPLICATION_ID}`);
      }
    }).immediate();
    fromVersion = readSchemaVersion(db);
  } catch (err) {
    throw toStoreError(err, path, 'prepare the schema');
  }
  warnOnRenamedMigrations(db, path, list, log);

  const applied: Migration[] = [];
  const record = db.prepare(
    `INSERT INTO ${SCHEMA_MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`,
  );
  for (const migration of list) {
    let current = 0;
    try {
      const ran = db
        .transaction(() => {
          current = readSchemaVersion(db);
          if (current >= migration.version) return false;
          migration.up(db);
          record.run(migration.version, migration.name, components.clock.now());
          return true;
        })
        .immediate();
      if (ran) {
        applied.push(migration);
        log.info({ path, version: migration.version, name: migration.name }, 'applied database migration');
      }
    } catch (err) {
      throw new MigrationError(
        `migration ${migration.version} (${migration.name}) failed on ${path}: ${err instanceof Error ? err.message : String(err)}; the database was left at schema version ${current}`,
        {
          cause: err,
          details: { path, version: migration.version, name: migration.name, schemaVersion: current },
        },
      );
    }
  }
  return { fromVersion, toVersion: readSchemaVersion(db), applied };
}

function assertMigrationList(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        `the migration list is malformed: entry ${index} (${migration.name}) has version ${migration.version}, expected ${index + 1}`,
        { details: { version: migration.version, name: migration.name } },
      );
    }
  });
}

function warnOnRenamedMigrations(
  db: SqliteDatabase,
  path: string,
  list: readonly Migration[],
  log: Logger,
): void {
  const rows = db.prepare(`SELECT version, name FROM ${SCHEMA_MIGRATIONS_TABLE} ORDER BY version`).all() as {
    version: number;
    name: string;
  }[];
  for (const row of rows) {
    const known = list[row.version - 1];
    if (known !== undefined && known.name !== row.name) {
      log.warn(
        { path, version: row.version, recorded: row.name, known: known.name },
        'database migration recorded under another name',
      );
    }
  }
}

function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

function hasAnyTable(db: SqliteDatabase): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1`).get() !== undefined;
}
