import type BetterSqlite3 from 'better-sqlite3';
import type { NewSpendEntry, SpendEntry, SpendGrouping, SpendLedger, SpendTotal } from '../core/index.js';
import { InvalidInputError } from '../core/index.js';
import type { SqliteConnection } from './sqlite-connection.js';

const FAR_FUTURE_MS = 8.64e15;

const GROUP_SQL: Record<SpendGrouping, string> = {
  day: `strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch')`,
  model: 'capability_id',
  node: 'requester',
};

/** Cloud spend per request: the `spend_ledger` table (migration 4). */
export class SqliteSpendLedger implements SpendLedger {
  private readonly connection: SqliteConnection;
  private readonly insert: BetterSqlite3.Statement;
  private readonly sum: BetterSqlite3.Statement;
  private readonly grouped: Record<SpendGrouping, BetterSqlite3.Statement>;

  constructor(components: { connection: SqliteConnection }) {
    this.connection = components.connection;
    const db = this.connection.db;
    this.insert = db.prepare(
      `INSERT INTO spend_ledger (time_ms, requester, capability_id, model, provider, prompt_tokens, completion_tokens, usd)
       VALUES (@timeMs, @requester, @capabilityId, @model, @provider, @promptTokens, @completionTokens, @usd)`,
    );
    this.sum = db.prepare(
      'SELECT COALESCE(SUM(usd), 0) AS usd FROM spend_ledger WHERE time_ms >= ? AND time_ms < ?',
    );
    const groupedBy = (by: SpendGrouping): BetterSqlite3.Statement =>
      db.prepare(
        `SELECT ${GROUP_SQL[by]} AS key, SUM(usd) AS usd, COUNT(*) AS requests,
                SUM(prompt_tokens) AS promptTokens, SUM(completion_tokens) AS completionTokens
         FROM spend_ledger WHERE time_ms >= ? AND time_ms < ?
         GROUP BY key ORDER BY ${by === 'day' ? 'key DESC' : 'usd DESC, key'}`,
      );
    this.grouped = { day: groupedBy('day'), model: groupedBy('model'), node: groupedBy('node') };
  }

  record(entry: NewSpendEntry): SpendEntry {
    for (const [name, value] of Object.entries({
      usd: entry.usd,
      promptTokens: entry.promptTokens,
      completionTokens: entry.completionTokens,
    })) {
      if (!Number.isFinite(value) || value < 0)
        throw new InvalidInputError(`spend ${name} must be a non-negative number, got ${value}`);
    }
    const result = this.connection.run('record spend', () => this.insert.run(entry));
    return { ...entry, id: Number(result.lastInsertRowid) };
  }

  totals(by: SpendGrouping, sinceMs: number, untilMs = FAR_FUTURE_MS): SpendTotal[] {
    const statement = this.grouped[by];
    if (statement === undefined) throw new InvalidInputError(`cannot group spend by ${String(by)}`);
    return this.connection.run(`sum spend by ${by}`, () => statement.all(sinceMs, untilMs) as SpendTotal[]);
  }

  sumUsd(sinceMs: number, untilMs = FAR_FUTURE_MS): number {
    return this.connection.run('sum spend', () => (this.sum.get(sinceMs, untilMs) as { usd: number }).usd);
  }
}
