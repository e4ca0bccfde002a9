import { renameSync, rmSync, statSync } from 'node:fs';
import pino from 'pino';
import type { Logger } from '../core/index.js';
import { formatLogRecord, parseLogLine } from '../client/index.js';

export interface FileLoggerInit {
  /** JSON lines go here (created 0600). */
  readonly file: string;
  readonly level: string;
  /** Also print each line, formatted for people, to this stream (the foreground node). */
  readonly echo?: NodeJS.WritableStream | null;
  readonly maxFileBytes?: number;
  readonly maxFiles?: number;
}

export interface FileLogger {
  readonly logger: Logger;
  /** Writes anything buffered; called before exit. */
  readonly flush: () => void;
}

/** Shifts node.log → node.log.1 → ... keeping `maxFiles` rotated files. */
function rotate(file: string, maxFiles: number): void {
  rmSync(`${file}.${maxFiles}`, { force: true });
  for (let i = maxFiles - 1; i >= 1; i--) {
    try {
      renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch {
      // that generation does not exist yet
    }
  }
  try {
    renameSync(file, `${file}.1`);
  } catch {
    // nothing to rotate
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * The daemon's logger: pino writing JSON lines synchronously (a kill -9 loses nothing) to
 * `logs/node.log`, rotated by size, optionally echoed to a terminal in a readable form.
 */
export function createFileLogger(init: FileLoggerInit): FileLogger {
  const maxBytes = init.maxFileBytes ?? 10 * 1024 * 1024;
  const maxFiles = init.maxFiles ?? 5;
  if (fileSize(init.file) >= maxBytes) rotate(init.file, maxFiles);
  const dest = pino.destination({ dest: init.file, sync: true, mkdir: true, mode: 0o600 });
  let written = fileSize(init.file);
  const echo = init.echo ?? null;

  const sink = {
    write(line: string): void {
      if (written + line.length > maxBytes && written > 0) {
        rotate(init.file, maxFiles);
        dest.reopen();
        written = 0;
      }
      dest.write(line);
      written += Buffer.byteLength(line);
      if (echo) {
        const rec = parseLogLine(line);
        if (rec) echo.write(`${formatLogRecord(rec)}\n`);
      }
    },
  };

  const root = pino(
    {
      level: init.level,
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    sink,
  );
  return {
    logger: wrap(root, 'atmosphere'),
    flush: () => dest.flushSync(),
  };
}

function wrap(p: pino.Logger, ns: string): Logger {
  const child = p.child({ ns });
  const fn =
    (method: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (a: string | Record<string, unknown>, b?: string): void => {
      if (typeof a === 'string') child[method](a);
      else child[method](a, b ?? '');
    };
  return {
    trace: fn('trace'),
    debug: fn('debug'),
    info: fn('info'),
    warn: fn('warn'),
    error: fn('error'),
    child: (name: string) => wrap(p, `${ns}:${name}`),
  };
}
