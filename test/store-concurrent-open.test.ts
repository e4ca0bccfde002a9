import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/store/index.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..');
const root = mkdtempSync(join(tmpdir(), 'atmosphere-store-processes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Each child process waits until `START_AT_MS`, then opens the same (possibly fresh) database,
 * appends `ENTRIES` audit entries and one key, and closes it.
 */
const child = `
const { openSqliteStore } = await import(${JSON.stringify(join(repo, 'src/store/index.ts'))});
const { ManualClock, silentLogger } = await import(${JSON.stringify(join(repo, 'src/core/index.ts'))});
const startAt = Number(process.env.START_AT_MS);
while (Date.now() < startAt) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
const store = openSqliteStore({ logger: silentLogger(), clock: new ManualClock(Date.now()) }, { path: process.env.DB_PATH });
for (let i = 0; i < Number(process.env.ENTRIES); i++) {
  store.audit.append({ timeMs: i, requester: process.env.WHO, target: 'chat', tool: null, decision: 'allowed',
    rule: null, durationMs: null, bytesIn: null, bytesOut: null, detail: null });
}
store.kv.set('written_by_' + process.env.WHO, true);
process.stdout.write(String(store.schemaVersion()));
store.close();
`;

describe('a store opened by several processes at once', () => {
  it('migrates a fresh database exactly once and keeps every write of every process', async () => {
    const path = join(root, 'shared.db');
    const processes = 4;
    const entries = 50;
    const startAt = Date.now() + 2_500;
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
          cwd: repo,
          env: {
            ...process.env,
            DB_PATH: path,
            START_AT_MS: String(startAt),
            ENTRIES: String(entries),
            WHO: `p${i}`,
          },
          timeout: 30_000,
        }),
      ),
    );
    for (const { stdout } of outputs) expect(stdout).toBe(String(migrations.length));

    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
        migrations.map((m) => m.version),
      );
      expect(db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get()).toBe(processes * entries);
      expect(db.prepare('SELECT COUNT(DISTINCT requester) FROM audit_log').pluck().get()).toBe(processes);
      expect(db.prepare("SELECT COUNT(*) FROM kv WHERE key LIKE 'written_by_%'").pluck().get()).toBe(
        processes,
      );
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
