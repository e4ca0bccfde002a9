import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { AtmosphereError } from '../core/index.js';
import {
  NodeAlreadyRunningError,
  NodeStartFailedError,
  PortInUseError,
  TimeoutError,
} from '../core/index.js';
import { ensureHome, homePaths } from './home.js';
import { isNodeProcess, readPidFile } from './pid-file.js';
import type { RuntimeState, StartErrorRecord } from './runtime-state.js';
import { readRuntimeState, readStartError, removeFile } from './runtime-state.js';

export interface LaunchOptions {
  /** The CLI script to run (`bin/atmosphere.js`). */
  readonly entryScript: string;
  readonly homeDir: string;
  /** Flags passed through to `start --foreground` (e.g. `--port 0`). */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** How long to wait for the node to answer its health check (default 30 s). */
  readonly readyTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

/** The running node of a home, or null (a pid file whose process is gone does not count). */
export function runningNode(homeDir: string): { pid: number; state: RuntimeState | null } | null {
  const paths = homePaths(homeDir);
  const pid = readPidFile(paths.pidFile);
  if (pid === null || !isNodeProcess(pid)) return null;
  const state = readRuntimeState(paths.runtimeState);
  return { pid, state: state && state.pid === pid ? state : null };
}

function errorFromRecord(record: StartErrorRecord): AtmosphereError {
  switch (record.code) {
    case 'port_in_use':
      return new PortInUseError(record.message);
    case 'node_already_running':
      return new NodeAlreadyRunningError(record.message);
    default:
      return new NodeStartFailedError(`the node failed to start: ${record.message}`, {
        details: { code: record.code },
      });
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function healthy(apiUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts a node as a detached background process and resolves once it answers `/health`, or
 * rejects with the reason it did not start (port in use, already running, bad config ...).
 */
export async function launchBackgroundNode(options: LaunchOptions): Promise<RuntimeState> {
  const paths = homePaths(options.homeDir);
  ensureHome(paths);
  const existing = runningNode(options.homeDir);
  if (existing) {
    throw new NodeAlreadyRunningError(
      `an Atmosphere node is already running with this home (pid ${existing.pid}${existing.state ? `, ${existing.state.apiUrl}` : ''})`,
      { details: { pid: existing.pid } },
    );
  }
  removeFile(paths.startError);
  const out = openSync(paths.daemonOutput, 'a', 0o600);
  const exit: { status: { code: number | null; signal: NodeJS.Signals | null } | null } = { status: null };
  let child;
  try {
    child = spawn(
      process.execPath,
      [
        options.entryScript,
        '--home',
        options.homeDir,
        'start',
        '--foreground',
        '--daemon-child',
        ...options.args,
      ],
      { detached: true, stdio: ['ignore', out, out], env: options.env },
    );
  } finally {
    closeSync(out);
  }
  child.on('exit', (code, signal) => {
    exit.status = { code, signal };
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new NodeStartFailedError('could not launch the node process');

  const deadline = Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    const record = readStartError(paths.startError);
    if (record && record.pid === pid) throw errorFromRecord(record);
    const exited = exit.status;
    if (exited) {
      const why = tail(paths.daemonOutput, 5);
      throw new NodeStartFailedError(
        `the node exited during start-up (${exited.signal ?? `exit code ${exited.code}`})${why ? `:\n${why}` : ''}`,
      );
    }
    const state = readRuntimeState(paths.runtimeState);
    if (state && state.pid === pid && (await healthy(state.apiUrl))) return state;
    await delay(POLL_MS);
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  throw new TimeoutError(`the node did not become ready in time; see ${paths.logFile}`);
}

export interface StopResult {
  readonly pid: number;
  readonly forced: boolean;
}

/** SIGTERM, wait for a graceful stop, then SIGKILL after `timeoutMs`; cleans the run files. */
export async function stopNodeProcess(
  homeDir: string,
  options: { timeoutMs?: number } = {},
): Promise<StopResult | null> {
  const paths = homePaths(homeDir);
  const running = runningNode(homeDir);
  if (!running) {
    // a crashed node may have left files behind
    if (readPidFile(paths.pidFile) !== null) {
      removeFile(paths.pidFile);
      removeFile(paths.runtimeState);
      removeFile(paths.ownerToken);
    }
    return null;
  }
  const { pid } = running;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (!isNodeProcess(pid)) return { pid, forced: false };
    await delay(POLL_MS);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited just now
  }
  while (isNodeProcess(pid)) await delay(POLL_MS);
  removeFile(paths.pidFile);
  removeFile(paths.runtimeState);
  removeFile(paths.ownerToken);
  return { pid, forced: true };
}

/** The owner token of the running node (0600 in run/), or null. */
export function readOwnerToken(homeDir: string): string | null {
  try {
    const token = readFileSync(homePaths(homeDir).ownerToken, 'utf8').trim();
    return token === '' ? null : token;
  } catch {
    return null;
  }
}
