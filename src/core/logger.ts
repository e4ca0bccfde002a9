/**
 * The logging seam. Components receive a `Logger` and never write to the console. The daemon's
 * implementation (pino, JSON lines into `logs/node.log`) lives in `node/`.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogFn {
  (msg: string): void;
  (fields: Record<string, unknown>, msg: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger whose lines carry `ns` (e.g. `atmosphere:router`). */
  child(namespace: string): Logger;
}

/** Discards everything; for unit tests that do not look at logs. */
export function silentLogger(): Logger {
  const noop = (): void => {};
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    child: () => logger,
  };
  return logger;
}
