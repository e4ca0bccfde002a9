import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Logger, NewAuditEntry } from '../core/index.js';
import { InvalidInputError, ManualClock, StoreError, silentLogger } from '../core/index.js';
import { SqliteStore, openSqliteStore } from './index.js';
import { storeContract } from './store.contract.js';

const root = mkdtempSync(join(tmpdir(), 'atmosphere-store-'));
let counter = 0;
const freshPath = (): string => join(root, `db-${++counter}.sqlite`);
const components = () => ({ logger: silentLogger(), clock: new ManualClock(1_700_000_000_000) });

afterAll(() => rmSync(root, { recursive: true, force: true }));

storeContract('SQLite file in a temp dir', () => openSqliteStore(components(), { path: freshPath() }));
storeContract('SQLite :memory:', () => openSqliteStore(components(), { path: ':memory:' }));

const entry = (overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  timeMs: 1_000,
  requester: 'local',
  target: 'chat',
  tool: null,
  decision: 'allowed',
  rule: null,
  durationMs: null,
  bytesIn: null,
  bytesOut: null,
  detail: null,
  ...overrides,
});

interface Captured {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function capturingLogger(lines: Captured[]): Logger {
  const at =
    (level: string) =>
    (a: string | Record<string, unknown>, b?: string): void => {
      lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' });
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describe('SqliteStore', () => {
  const opened: SqliteStore[] = [];
  const open = (path: string, init: Partial<Parameters<typeof openSqliteStore>[1]> = {}): SqliteStore => {
    const store = openSqliteStore(components(), { path, ...init });
    opened.push(store);
    return store;
  };
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
  });

  it('creates the database file and its WAL files with mode 0600', () => {
    const path = freshPath();
    const lines: Captured[] = [];
    const store = openSqliteStore({ logger: capturingLogger(lines), clock: new ManualClock() }, { path });
    opened.push(store);
    store.audit.append(entry());
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-shm`).mode & 0o777).toBe(0o600);
  });

  it('runs with WAL, synchronous=NORMAL, foreign keys on and the default busy timeout of 5 s', () => {
    const store = open(freshPath());
    expect(store.settings()).toMatchObject({
      journalMode: 'wal',
      synchronous: 1,
      foreignKeys: true,
      busyTimeoutMs: 5_000,
      readonly: false,
    });
    expect(open(freshPath(), { busyTimeoutMs: 250 }).settings().busyTimeoutMs).toBe(250);
  });

  it('keeps what was written after it is closed and opened again', () => {
    const path = freshPath();
    const first = open(path);
    const appended = first.audit.append(entry({ target: 'persisted' }));
    first.kv.set('first_start_ms', 1_700_000_000_000);
    first.close();
    const second = open(path);
    expect(second.audit.query()).toEqual([appended]);
    expect(second.kv.get('first_start_ms')).toBe(1_700_000_000_000);
  });

  it('tightens an existing database file that others could read and says so', () => {
    const path = freshPath();
    open(path).close();
    chmodSync(path, 0o644);
    const lines: Captured[] = [];
    opened.push(openSqliteStore({ logger: capturingLogger(lines), clock: new ManualClock() }, { path }));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lines.some((l) => l.level === 'warn' && l.fields.path === path)).toBe(true);
  });

  it('lets a second connection see the writes of the first, in both directions', () => {
    const path = freshPath();
    const a = open(path);
    const b = open(path);
    const fromA = a.audit.append(entry({ requester: 'a' }));
    expect(b.audit.query()).toEqual([fromA]);
    b.kv.set('written_by', 'b');
    expect(a.kv.get('written_by')).toBe('b');
    expect(a.schemaVersion()).toBe(b.schemaVersion());
  });

  it('waits for the busy timeout, then fails with a StoreError, while another process holds the write lock', () => {
    const path = freshPath();
    const store = open(path, { busyTimeoutMs: 300 });
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      expect(() => store.audit.append(entry())).toThrow(StoreError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      other.exec('ROLLBACK');
      expect(store.audit.append(entry()).id).toBeGreaterThan(0);
    } finally {
      other.close();
    }
  });

  it('retries the switch to WAL while another connection holds a lock, then fails with a StoreError at the deadline', () => {
    const path = freshPath();
    const other = new Database(path);
    try {
      // A read transaction on the still-empty file: the switch to WAL needs it to end first.
      other.exec('BEGIN');
      other.prepare('SELECT * FROM sqlite_master').all();
      const started = performance.now();
      let caught: unknown;
      try {
        open(path, { busyTimeoutMs: 300 });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).details).toMatchObject({
        sqliteCode: expect.stringMatching(/^SQLITE_BUSY/),
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      other.exec('COMMIT');
      expect(open(path).settings().journalMode).toBe('wal');
    } finally {
      other.close();
    }
  });

  it('refuses a file that is not a database, names it and leaves it untouched', () => {
    const path = freshPath();
    const bytes = Buffer.from('this is my shopping list, not a database\n'.repeat(200));
    writeFileSync(path, bytes, { mode: 0o600 });
    expect(() => open(path)).toThrow(StoreError);
    expect(() => open(path)).toThrow(path);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a SQLite database that another application made and leaves it untouched', () => {
    const path = freshPath();
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE photos (name TEXT); INSERT INTO photos VALUES ('cat.jpg')");
    foreign.close();
    const before = readFileSync(path);
    expect(() => open(path)).toThrow(/not an Atmosphere database|did not create/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('reports a StoreError naming the path when the directory does not exist', () => {
    const path = join(root, 'no-such-dir', 'atmosphere.db');
    expect(() => open(path)).toThrow(StoreError);
    expect(() => open(path)).toThrow(path);
  });

  it('opens read-only: reads work, writes fail with a StoreError and nothing changes', () => {
    const path = freshPath();
    const writer = open(path);
    writer.audit.append(entry({ target: 'before' }));
    writer.close();
    const reader = open(path, { readonly: true });
    expect(reader.settings().readonly).toBe(true);
    expect(reader.audit.query().map((e) => e.target)).toEqual(['before']);
    expect(() => reader.audit.append(entry())).toThrow(StoreError);
    expect(() => reader.kv.set('k', 1)).toThrow(StoreError);
    expect(reader.audit.query()).toHaveLength(1);
  });

  it('refuses to open a missing file read-only instead of creating it', () => {
    const path = freshPath();
    expect(() => open(path, { readonly: true })).toThrow(StoreError);
    expect(existsSync(path)).toBe(false);
  });

  it('rejects settings that make no sense', () => {
    expect(() => open(':memory:', { readonly: true })).toThrow(InvalidInputError);
    expect(() => open('')).toThrow(InvalidInputError);
    expect(() => open(freshPath(), { busyTimeoutMs: -1 })).toThrow(InvalidInputError);
  });

  it('defaults to a private in-memory database', () => {
    const a = new SqliteStore(components());
    const b = new SqliteStore(components());
    opened.push(a, b);
    a.kv.set('only_in_a', true);
    expect(a.settings().journalMode).toBe('memory');
    expect(b.kv.get('only_in_a')).toBeUndefined();
  });
});
