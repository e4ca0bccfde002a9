/**
 * Error → exit code, in one place; the only `process.exit` in the product. Documented in
 * docs/ARCHITECTURE.md ("Errors and exit codes").
 */
import { AtmosphereError, ConfigError, toAtmosphereError } from '../core/errors.js';
import type { ErrorCategory } from '../core/index.js';
import type { Output } from './output.js';

export const EXIT_OK = 0;

export const EXIT_CODES: Readonly<Record<ErrorCategory | 'usage', number>> = {
  internal: 1,
  usage: 2,
  invalid_input: 2,
  unavailable: 3,
  conflict: 4,
  unauthorized: 5,
  forbidden: 5,
  not_found: 6,
  timeout: 7,
  config: 78, // EX_CONFIG from sysexits.h
};

export function exitCodeFor(err: unknown): number {
  return EXIT_CODES[toAtmosphereError(err).category];
}

/** Prints the error the way a person can act on it and returns the exit code. */
export function reportError(output: Output, err: unknown, options: { json?: boolean } = {}): number {
  const e = toAtmosphereError(err);
  if (options.json === true) {
    output.json({ error: { code: e.code, message: e.message, details: e.details } });
  } else if (e instanceof ConfigError) {
    output.error(`atmosphere: ${e.message}`);
  } else {
    output.error(
      `atmosphere: ${e.message}${e instanceof AtmosphereError && e.code !== 'internal_error' ? ` [${e.code}]` : ''}`,
    );
  }
  return exitCodeFor(e);
}

export function exitProcess(code: number): never {
  process.exit(code);
}

/** Sets the code the process will exit with once the event loop drains (keeps output flushed). */
export function setExitCode(code: number): void {
  process.exitCode = code;
}
