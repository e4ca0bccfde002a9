import type BetterSqlite3 from 'better-sqlite3';
import type { KeyValueStore } from '../core/index.js';
import { InvalidInputError, StoreError } from '../core/index.js';
import type { SqliteConnection } from './sqlite-connection.js';

/** Small JSON values by key: the `kv` table (migration 2). Values round-trip through JSON. */
export class SqliteKeyValueStore implements KeyValueStore {
  private readonly connection: SqliteConnection;
  private readonly select: BetterSqlite3.Statement;
  private readonly upsert: BetterSqlite3.Statement;
  private readonly remove: BetterSqlite3.Statement;

  constructor(components: { connection: SqliteConnection }) {
    this.connection = components.connection;
    const db = this.connection.db;
    this.select = db.prepare('SELECT value FROM kv WHERE key = ?');
    this.upsert = db.prepare(
      `INSERT INTO kv (key, value, updated_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms`,
    );
    this.remove = db.prepare('DELETE FROM kv WHERE key = ?');
  }

  get<T = unknown>(key: string): T | undefined {
    assertKey(key);
    const row = this.connection.run(
      `read key ${key}`,
      () => this.select.get(key) as { value: string } | undefined,
    );
    if (row === undefined) return undefined;
    try {
      return JSON.parse(row.value) as T;
    } catch (err) {
      throw new StoreError(`the value of key ${key} in ${this.connection.path} is not valid JSON`, {
        cause: err,
        details: { path: this.connection.path, key },
      });
    }
  }

  set(key: string, value: unknown): void {
    assertKey(key);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      throw new InvalidInputError(
        `the value for key ${key} cannot be stored as JSON: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (json === undefined) {
      throw new InvalidInputError(
        `the value for key ${key} cannot be stored as JSON (use delete to remove a key)`,
      );
    }
    const serialised = json;
    this.connection.run(`write key ${key}`, () =>
      this.upsert.run(key, serialised, this.connection.clock.now()),
    );
  }

  delete(key: string): boolean {
    assertKey(key);
    return this.connection.run(`delete key ${key}`, () => this.remove.run(key).changes > 0);
  }
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidInputError('a store key must be a non-empty string');
  }
}
