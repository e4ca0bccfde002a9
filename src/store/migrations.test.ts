import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '../core/index.js';
import {
  ManualClock,
  MigrationError,
  StoreError,
  StoreSchemaTooNewError,
  silentLogger,
} from '../core/index.js';
import type { Migration, SqliteStore } from './index.js';
import { ATMOSPHERE_APPLICATION_ID, migrations, openSqliteStore, runMigrations } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'atmosphere-migrations-'));
let counter = 0;
const freshPath = (): string => join(root, `db-${++counter}.sqlite`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entry: NewAuditEntry = {
  timeMs: 5,
  requester: 'local',
  target: 'chat',
  tool: null,
  decision: 'allowed',
  rule: null,
  durationMs: null,
  bytesIn: null,
  bytesOut: null,
  detail: null,
};

interface MigrationRow {
  version: number;
  name: string;
  applied_at: number;
}

/** Reads `schema_migrations` through a separate connection, as an operator would. */
function recorded(path: string): MigrationRow[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
      .all() as MigrationRow[];
  } finally {
    db.close();
  }
}

function tableNames(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** Brings a raw connection to the file up to `list` only, as an older build would have. */
function migrateRaw(
  path: string,
  list: readonly Migration[],
  nowMs: number,
  then?: (db: Database.Database) => void,
): void {
  const db = new Database(path);
  try {
    runMigrations({ logger: silentLogger(), clock: new ManualClock(nowMs) }, { db, path, migrations: list });
    then?.(db);
  } finally {
    db.close();
  }
}

const extra = (version: number, name: string, up: Migration['up']): Migration => ({ version, name, up });
const next = migrations.length + 1;

describe('migrations', () => {
  const opened: SqliteStore[] = [];
  const open = (
    path: string,
    list?: readonly Migration[],
    clock = new ManualClock(1_700_000_000_000),
  ): SqliteStore => {
    const store = openSqliteStore(
      { logger: silentLogger(), clock },
      { path, ...(list ? { migrations: list } : {}) },
    );
    opened.push(store);
    return store;
  };
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
  });

  it('are numbered 1, 2, 3 ... without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(new Set(migrations.map((m) => m.name)).size).toBe(migrations.length);
  });

  it('bring a fresh database to the newest version and record each one with its name and time', () => {
    const path = freshPath();
    const store = open(path, undefined, new ManualClock(1_234));
    expect(store.schemaVersion()).toBe(migrations.length);
    store.close();
    expect(recorded(path)).toEqual(
      migrations.map((m) => ({ version: m.version, name: m.name, applied_at: 1_234 })),
    );
    expect(tableNames(path)).toEqual(expect.arrayContaining(['audit_log', 'kv', 'schema_migrations']));
  });

  it('mark the file as an Atmosphere database', () => {
    const path = freshPath();
    open(path).close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('application_id', { simple: true })).toBe(ATMOSPHERE_APPLICATION_ID);
    } finally {
      db.close();
    }
  });

  it('do nothing when a current database is opened again', () => {
    const path = freshPath();
    const first = open(path, undefined, new ManualClock(1_000));
    first.audit.append(entry);
    first.close();
    const before = recorded(path);
    const second = open(path, undefined, new ManualClock(9_000));
    expect(second.schemaVersion()).toBe(migrations.length);
    expect(second.audit.query()).toHaveLength(1);
    second.close();
    expect(recorded(path)).toEqual(before);
  });

  it('upgrade an older database in place, keeping its data', () => {
    const path = freshPath();
    migrateRaw(path, migrations.slice(0, 1), 1_000, (db) =>
      db.exec(
        "INSERT INTO audit_log (time_ms, requester, target, decision) VALUES (5, 'local', 'chat', 'allowed')",
      ),
    );
    expect(tableNames(path)).not.toContain('kv');

    const upgraded = open(path, undefined, new ManualClock(2_000));
    expect(upgraded.schemaVersion()).toBe(migrations.length);
    expect(upgraded.audit.query()).toHaveLength(1);
    upgraded.kv.set('works', true);
    upgraded.close();
    expect(recorded(path).map((r) => [r.version, r.applied_at])).toEqual(
      migrations.map((m) => [m.version, m.version === 1 ? 1_000 : 2_000]),
    );
  });

  it('roll back a failing migration, leave the previous version and throw a MigrationError', () => {
    const path = freshPath();
    open(path).close();
    const broken = extra(next, 'half_done', (db) => {
      db.exec('CREATE TABLE half_done (x INTEGER)');
      db.exec("INSERT INTO kv (key, value, updated_at_ms) VALUES ('half', '1', 0)");
      throw new Error('disk on fire');
    });

    let error: unknown;
    try {
      open(path, [...migrations, broken]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('store_migration_failed');
    expect((error as MigrationError).message).toContain('disk on fire');
    expect((error as MigrationError).message).toContain(path);
    expect((error as MigrationError).details).toMatchObject({
      version: next,
      schemaVersion: migrations.length,
    });

    expect(recorded(path).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    expect(tableNames(path)).not.toContain('half_done');
    const store = open(path);
    expect(store.schemaVersion()).toBe(migrations.length);
    expect(store.kv.get('half')).toBeUndefined();
  });

  it('keep the migrations that succeeded before a failing one on a fresh database', () => {
    const path = freshPath();
    const failing = extra(next, 'fails', () => {
      throw new Error('nope');
    });
    expect(() => open(path, [...migrations, failing])).toThrow(MigrationError);
    expect(recorded(path).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it('refuse a database newer than this build knows, without changing it', () => {
    const path = freshPath();
    const future = extra(next, 'from_the_future', (db) => db.exec('CREATE TABLE future (x INTEGER)'));
    open(path, [...migrations, future]).close();
    const bytes = readFileSync(path);

    let error: unknown;
    try {
      open(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreSchemaTooNewError);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(path);
    expect((error as StoreError).message).toContain(`schema version ${next}`);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(recorded(path).map((r) => r.version)).toContain(next);
  });

  it('refuse a database newer than this build knows when opened read-only too', () => {
    const path = freshPath();
    open(path, [...migrations, extra(next, 'future', () => {})]).close();
    expect(() =>
      openSqliteStore({ logger: silentLogger(), clock: new ManualClock() }, { path, readonly: true }),
    ).toThrow(StoreSchemaTooNewError);
  });

  it('refuse to open an out-of-date database read-only, since it cannot be migrated', () => {
    const path = freshPath();
    migrateRaw(path, migrations.slice(0, 1), 1_000);
    expect(() =>
      openSqliteStore({ logger: silentLogger(), clock: new ManualClock() }, { path, readonly: true }),
    ).toThrow(/cannot be migrated read-only/);
    expect(recorded(path).map((r) => r.version)).toEqual([1]);
  });

  it('refuse a migration list with a gap or out of order', () => {
    const path = freshPath();
    const gap = [...migrations, extra(next + 1, 'skips_one', () => {})];
    expect(() => open(path, gap)).toThrow(MigrationError);
    const db = new Database(':memory:');
    try {
      expect(() =>
        runMigrations(
          { logger: silentLogger(), clock: new ManualClock() },
          { db, path: ':memory:', migrations: [extra(2, 'two', () => {}), extra(1, 'one', () => {})] },
        ),
      ).toThrow(MigrationError);
    } finally {
      db.close();
    }
  });

  it('report what they applied when run directly on a connection', () => {
    const db = new Database(':memory:');
    try {
      const components = { logger: silentLogger(), clock: new ManualClock() };
      const first = runMigrations(components, { db, path: ':memory:' });
      expect(first).toMatchObject({ fromVersion: 0, toVersion: migrations.length });
      expect(first.applied.map((m) => m.name)).toEqual(migrations.map((m) => m.name));
      const again = runMigrations(components, { db, path: ':memory:' });
      expect(again).toEqual({ fromVersion: migrations.length, toVersion: migrations.length, applied: [] });
    } finally {
      db.close();
    }
  });

  it('apply each migration once when a second connection migrates the same file', () => {
    const path = freshPath();
    const old = new Database(path);
    try {
      runMigrations(
        { logger: silentLogger(), clock: new ManualClock() },
        { db: old, path, migrations: migrations.slice(0, 1) },
      );
      const store = open(path);
      expect(store.schemaVersion()).toBe(migrations.length);
      expect(
        runMigrations({ logger: silentLogger(), clock: new ManualClock() }, { db: old, path }).applied,
      ).toEqual([]);
      store.kv.set('from_store', 1);
      expect(old.prepare("SELECT value FROM kv WHERE key = 'from_store'").get()).toEqual({ value: '1' });
    } finally {
      old.close();
    }
    expect(recorded(path).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it('refuse a migration list that does not start with the built-in migrations', () => {
    expect(() => open(freshPath(), migrations.slice(0, 1))).toThrow(MigrationError);
    const renamed = migrations.map((m, i) => (i === 0 ? extra(1, 'something_else', (db) => m.up(db)) : m));
    expect(() => open(freshPath(), renamed)).toThrow(MigrationError);
  });
});
