/**
 * The scanner's window on the machine: run a tool, read a file, list a folder — each with a
 * timeout and never throwing for "not there". A missing tool is `missing` (the report says "not
 * detected"), a tool that fails is `failed` with its reason; only an abort from the caller throws.
 * Probes receive a `ScanEnv` so their tests can feed recorded outputs of tools this machine lacks.
 */
import { execFile } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';

/** The default time a scan gives one external tool. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
/** Output beyond this is cut (a runaway tool cannot fill memory). */
export const MAX_COMMAND_OUTPUT_BYTES = 4 * 1024 * 1024;

export type CommandResult =
  | { readonly status: 'ok'; readonly stdout: string; readonly stderr: string }
  /** The program is not installed (or not on PATH). */
  | { readonly status: 'missing'; readonly command: string }
  /** It ran and exited non-zero, or could not be started for another reason. */
  | {
      readonly status: 'failed';
      readonly exitCode: number | null;
      readonly stdout: string;
      readonly stderr: string;
      readonly reason: string;
    }
  | { readonly status: 'timed_out'; readonly timeoutMs: number };

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ScanEnv {
  /** `linux`, `darwin`, ... (Node's `process.platform`). */
  readonly platform: NodeJS.Platform;
  /** `x64`, `arm64`, ... */
  readonly arch: string;
  readonly hostname: string;
  /** The user's home folder (for `~/.cache/huggingface`, model folders). */
  readonly homeDir: string;
  /** Environment variables the probes may consult (`HF_HOME`, `PATH` ...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** The file's text, or null when it is missing or unreadable. */
  readText(
    path: string,
    options?: { readonly maxBytes?: number; readonly signal?: AbortSignal },
  ): Promise<string | null>;
  /** The folder's entries, or null when it is missing or unreadable. */
  list(path: string): Promise<readonly Dirent[] | null>;
  /** `stat` of a path, or null when it is missing or unreadable. */
  statOf(
    path: string,
  ): Promise<{ readonly sizeBytes: number; readonly isDirectory: boolean; readonly mtimeMs: number } | null>;
}

/** A `ScanEnv` over the real machine. */
export function systemScanEnv(
  init: { readonly env?: Readonly<Record<string, string | undefined>> } = {},
): ScanEnv {
  const env = init.env ?? process.env;
  return {
    platform: process.platform,
    arch: process.arch,
    hostname: hostname(),
    homeDir: homedir(),
    env,
    run: (command, args, options) => runCommand(command, args, { ...options, env }),
    readText: async (path, options = {}) => {
      try {
        const text = await readFile(path, { encoding: 'utf8', signal: options.signal });
        return options.maxBytes === undefined ? text : text.slice(0, options.maxBytes);
      } catch (err) {
        if (options.signal?.aborted) throw err;
        return null;
      }
    },
    list: async (path) => {
      try {
        return await readdir(path, { withFileTypes: true });
      } catch {
        return null;
      }
    },
    statOf: async (path) => {
      try {
        const s = await stat(path);
        return { sizeBytes: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
      } catch {
        return null;
      }
    },
  };
}

/**
 * Runs `command args` without a shell, with a timeout and bounded output, in the C locale so
 * parsers see the tools' English output. Never throws, except when `signal` aborts.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions & { readonly env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  options.signal?.throwIfAborted();
  return new Promise<CommandResult>((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_COMMAND_OUTPUT_BYTES,
        encoding: 'utf8',
        windowsHide: true,
        signal: options.signal,
        env: { ...(options.env ?? process.env), LC_ALL: 'C', LANG: 'C' },
      },
      (error, stdout, stderr) => {
        if (options.signal?.aborted) {
          reject(options.signal.reason as Error);
          return;
        }
        if (error === null) {
          resolve({ status: 'ok', stdout, stderr });
          return;
        }
        const err = error as Error & { killed?: boolean; signal?: string | null; code?: string | number };
        if (err.code === 'ENOENT') {
          resolve({ status: 'missing', command });
          return;
        }
        if (err.killed === true && err.signal === 'SIGKILL') {
          resolve({ status: 'timed_out', timeoutMs });
          return;
        }
        const exitCode = typeof err.code === 'number' ? err.code : null;
        const firstLine = stderr.trim().split('\n')[0] ?? '';
        resolve({
          status: 'failed',
          exitCode,
          stdout,
          stderr,
          reason:
            firstLine !== ''
              ? firstLine
              : exitCode !== null
                ? `${command} exited with code ${exitCode}`
                : `${command} could not run: ${String(err.message)}`,
        });
      },
    );
  });
}

/** One-line reason for a command result that is not `ok` (for probe notes and test results). */
export function describeCommandResult(result: Exclude<CommandResult, { status: 'ok' }>): string {
  switch (result.status) {
    case 'missing':
      return `${result.command} is not installed`;
    case 'timed_out':
      return `timed out after ${result.timeoutMs} ms`;
    case 'failed':
      return result.reason;
  }
}
