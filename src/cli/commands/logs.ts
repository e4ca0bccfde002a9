import type { Command } from 'commander';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { InvalidInputError } from '../../core/index.js';
import type { LogRecord } from '../../client/index.js';
import { formatLogRecord, LOG_LEVELS, levelRank, parseLogLine } from '../../client/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';

interface LogsOptions {
  follow?: boolean;
  lines: string;
  level?: string;
  json?: boolean;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function registerLogsCommand(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("show the node's log (JSON lines in <home>/logs/node.log)")
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the latest lines to show', '50')
    .option('--level <level>', `only this level and above (${LOG_LEVELS.join('|')})`)
    .option('--json', 'print the raw JSON lines')
    .action(async (opts: LogsOptions, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const count = Number(opts.lines);
      if (!Number.isInteger(count) || count < 0) {
        throw new InvalidInputError(`--lines expects a whole number, got "${opts.lines}"`);
      }
      if (opts.level !== undefined && !(LOG_LEVELS as readonly string[]).includes(opts.level)) {
        throw new InvalidInputError(`--level expects one of ${LOG_LEVELS.join(', ')}, got "${opts.level}"`);
      }
      const minRank = opts.level === undefined ? 0 : levelRank(opts.level);
      const accept = (line: string): LogRecord | null => {
        const rec = parseLogLine(line);
        return rec && levelRank(rec.level) >= minRank ? rec : null;
      };
      const print = (line: string, rec: LogRecord): void => {
        ctx.output.line(opts.json === true ? line : formatLogRecord(rec));
      };

      const lines = readLines(paths.logFile);
      const matching: [string, LogRecord][] = [];
      for (const line of lines) {
        const rec = accept(line);
        if (rec) matching.push([line, rec]);
      }
      if (lines.length === 0 && opts.follow !== true) {
        ctx.output.error(`no log yet at ${paths.logFile} (has the node been started with this home?)`);
        return;
      }
      for (const [line, rec] of count === 0 ? [] : matching.slice(-count)) print(line, rec);
      if (opts.follow === true) await follow(paths.logFile, accept, print);
    });
}

/** Polls the log file for appended lines, reopening it when it is rotated or truncated. */
async function follow(
  path: string,
  accept: (line: string) => LogRecord | null,
  print: (line: string, rec: LogRecord) => void,
): Promise<never> {
  let position = fileSize(path);
  let inode = fileInode(path);
  let partial = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const size = fileSize(path);
    const ino = fileInode(path);
    if (ino !== inode || size < position) {
      position = 0;
      inode = ino;
      partial = '';
    }
    if (size <= position) continue;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - position);
      readSync(fd, buf, 0, buf.length, position);
      position = size;
      const text = partial + buf.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        const rec = accept(line);
        if (rec) print(line, rec);
      }
    } finally {
      closeSync(fd);
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function fileInode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return -1;
  }
}
