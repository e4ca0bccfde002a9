/** A tiny benchmark harness: suites return rows; the runner prints a table and writes JSON. */

export interface BenchRow {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target, with its comparison: `<= 1500`. */
  readonly target?: { readonly op: '<=' | '>='; readonly value: number };
  readonly samples?: number;
  readonly note?: string;
}

export interface BenchSuite {
  readonly name: string;
  run(): Promise<BenchRow[]>;
}

export function meetsTarget(row: BenchRow): boolean | null {
  if (!row.target) return null;
  return row.target.op === '<=' ? row.value <= row.target.value : row.value >= row.target.value;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
