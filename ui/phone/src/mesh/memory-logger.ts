/** The phone app's logger: keeps the last lines in memory (a browser has no log file). */
import type { Logger } from '../../../../src/core/index.js';

export interface LogLine {
  readonly atMs: number;
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly ns: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

const MAX_LINES = 500;

export class MemoryLogger implements Logger {
  private readonly lines: LogLine[];
  private readonly ns: string;

  constructor(lines: LogLine[] = [], ns = 'phone') {
    this.lines = lines;
    this.ns = ns;
  }

  private write(level: LogLine['level'], a: unknown, b?: unknown): void {
    if (level === 'trace' || level === 'debug') return;
    const fields = typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
    const msg = typeof a === 'string' ? a : typeof b === 'string' ? b : '';
    this.lines.push({ atMs: Date.now(), level, ns: this.ns, msg, fields });
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  trace = (a: unknown, b?: unknown): void => {
    this.write('trace', a, b);
  };
  debug = (a: unknown, b?: unknown): void => {
    this.write('debug', a, b);
  };
  info = (a: unknown, b?: unknown): void => {
    this.write('info', a, b);
  };
  warn = (a: unknown, b?: unknown): void => {
    this.write('warn', a, b);
  };
  error = (a: unknown, b?: unknown): void => {
    this.write('error', a, b);
  };

  child(namespace: string): Logger {
    return new MemoryLogger(this.lines, `${this.ns}:${namespace}`);
  }

  recent(): readonly LogLine[] {
    return this.lines;
  }
}
