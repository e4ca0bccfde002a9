import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { AtmosphereError } from '../core/index.js';
import {
  NodeAlreadyRunningError,
  NodeStartFailedError,
  PortInUseError,
  TimeoutError,
} from '../core/index.js';
import type { RuntimeState, StartErrorRecord } from '../client/index.js';
import {
  ApiClient,
  ensureHome,
  homePaths,
  readRuntimeState,
  readStartError,
  runningNode,
} from '../client/index.js';
import { removeFile } from './runtime-state.js';

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

async function healthy(apiUrl: string, ca?: string): Promise<boolean> {
  try {
    await new ApiClient({ baseUrl: apiUrl, ca }).health({ signal: AbortSignal.timeout(1000) });
    return true;
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
    if (state && state.pid === pid && (await healthy(state.apiUrl, state.apiCa))) return state;
    await delay(POLL_MS);
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  throw new TimeoutError(`the node did not become ready in time; see ${paths.logFile}`);
}
