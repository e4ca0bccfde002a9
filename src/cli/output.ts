/**
 * The only place the CLI writes to the terminal. Commands print through an `Output` so tests can
 * capture what a person would see.
 */
export interface Output {
  /** A line (or lines) of normal output on stdout. */
  line(text?: string): void;
  /** A line on stderr: progress, warnings, errors. */
  error(text: string): void;
  /** Pretty JSON on stdout, for `--json`. */
  json(value: unknown): void;
  /** Raw bytes on stdout with no newline added (streaming). */
  write(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
}

export function processOutput(): Output {
  return {
    line: (text = '') => console.log(text),
    error: (text) => console.error(text),
    json: (value) => console.log(JSON.stringify(value, null, 2)),
    write: (text) => {
      process.stdout.write(text);
    },
    stdoutIsTTY: process.stdout.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
  };
}

/** Fixed-width columns for human tables. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
