/**
 * SQLite persistence behind the `Store` seam of core: one database file (`atmosphere.db` in the
 * home, mode 0600, WAL), versioned migrations recorded in `schema_migrations`, and one repository
 * per concern (`audit`, `kv`). `openSqliteStore()` is called once, by the composition root.
 *
 * Adding a repository (later issues):
 * 1. Declare its interface in `core/store.ts` and add it as a property of `Store`.
 * 2. Append a `Migration` to `migrations` in `migrations.ts` with the next version number
 *    (never edit or renumber one that has shipped; see the rules on `Migration`).
 * 3. Write `sqlite-<name>.ts`: a class taking `{ connection: SqliteConnection }` that prepares its
 *    statements in the constructor and runs every query through `connection.run(operation, fn)`,
 *    so failures become `StoreError`s naming the file.
 * 4. Construct it in the `SqliteStore` constructor beside `audit` and `kv`.
 * 5. Add its behaviour to `storeContract()` in `store.contract.ts`, which runs against both a
 *    file-backed and an in-memory store.
 */
export type { Migration, MigrationResult } from './migrations.js';
export {
  ATMOSPHERE_APPLICATION_ID,
  SCHEMA_MIGRATIONS_TABLE,
  assertDatabaseUsable,
  latestVersion,
  migrations,
  readSchemaVersion,
  runMigrations,
} from './migrations.js';
export type { SqliteDatabase } from './sqlite-connection.js';
export { SqliteConnection } from './sqlite-connection.js';
export { DEFAULT_AUDIT_QUERY_LIMIT, MAX_AUDIT_QUERY_LIMIT, SqliteAuditLog } from './sqlite-audit-log.js';
export { SqliteKeyValueStore } from './sqlite-key-value-store.js';
export { SqliteMeshState } from './sqlite-mesh-state.js';
export { SqliteSpendLedger } from './sqlite-spend-ledger.js';
export type { SqliteStoreComponents, SqliteStoreInit, SqliteStoreSettings } from './sqlite-store.js';
export { DEFAULT_BUSY_TIMEOUT_MS, IN_MEMORY_PATH, SqliteStore, openSqliteStore } from './sqlite-store.js';
