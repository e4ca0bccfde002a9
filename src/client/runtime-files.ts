import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { homePaths } from './home.js';

/** True when a process with this pid exists (EPERM: it exists but is not ours to signal). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is alive and still looks like an Atmosphere node (guards against a recycled pid
 * after a crash, and treats an unreaped zombie, whose command line is empty, as gone). Where /proc
 * is missing (macOS) liveness alone decides.
 */
export function isNodeProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return cmdline.includes('atmosphere') || cmdline.includes('start');
}

/** The pid recorded in a pid file, or null when the file is missing or unreadable. */
export function readPidFile(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** What a running node publishes in `run/node.json` for the CLI. */
export interface RuntimeState {
  readonly pid: number;
  readonly nodeId: string;
  readonly name: string;
  readonly version: string;
  readonly apiUrl: string;
  readonly uiUrl: string;
  readonly startedAt: string;
  /**
   * The certificate (PEM) the API serves HTTPS with, when it does: pass it as `ApiClient`'s `ca`.
   * Read by `runningNode` from `run/api-cert.pem`, which the node writes while it serves HTTPS.
   */
  readonly apiCa?: string;
}

/** Where a node serving HTTPS publishes its certificate for the CLI: `run/api-cert.pem`. */
export function apiCertificatePath(homeDir: string): string {
  return join(homePaths(homeDir).run, 'api-cert.pem');
}

/** The certificate the running node's API serves HTTPS with, or null (plain HTTP, or no node). */
export function readApiCertificate(homeDir: string): string | null {
  try {
    const pem = readFileSync(apiCertificatePath(homeDir), 'utf8');
    return pem.includes('-----BEGIN CERTIFICATE-----') ? pem : null;
  } catch {
    return null;
  }
}

/** Why a node failed to start, left for the `atmosphere start` that launched it. */
export interface StartErrorRecord {
  readonly pid: number;
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

function readJsonObject(path: string): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const isPid = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isString = (v: unknown): v is string => typeof v === 'string';

/** The published state, or null when there is none or it is unreadable. */
export function readRuntimeState(path: string): RuntimeState | null {
  const o = readJsonObject(path);
  if (!o) return null;
  const { pid, nodeId, name, version, apiUrl, uiUrl, startedAt } = o;
  if (!isPid(pid) || ![nodeId, name, version, apiUrl, uiUrl, startedAt].every(isString)) return null;
  return {
    pid,
    nodeId: nodeId as string,
    name: name as string,
    version: version as string,
    apiUrl: apiUrl as string,
    uiUrl: uiUrl as string,
    startedAt: startedAt as string,
  };
}

export function readStartError(path: string): StartErrorRecord | null {
  const o = readJsonObject(path);
  if (!o) return null;
  const { pid, code, message, at } = o;
  if (typeof pid !== 'number' || !isString(code) || !isString(message) || !isString(at)) return null;
  return { pid, code, message, at };
}

/**
 * The running node of a home, or null (a pid file whose process is gone does not count). Its state
 * carries `apiCa` when the node serves HTTPS.
 */
export function runningNode(homeDir: string): { pid: number; state: RuntimeState | null } | null {
  const paths = homePaths(homeDir);
  const pid = readPidFile(paths.pidFile);
  if (pid === null || !isNodeProcess(pid)) return null;
  const state = readRuntimeState(paths.runtimeState);
  if (!state || state.pid !== pid) return { pid, state: null };
  const apiCa = state.apiUrl.startsWith('https:') ? readApiCertificate(homeDir) : null;
  return { pid, state: apiCa === null ? state : { ...state, apiCa } };
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

export interface StopResult {
  readonly pid: number;
  readonly forced: boolean;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, wait for a graceful stop, then SIGKILL after `timeoutMs`; cleans the run files. */
export async function stopNodeProcess(
  homeDir: string,
  options: { timeoutMs?: number } = {},
): Promise<StopResult | null> {
  const paths = homePaths(homeDir);
  const cleanRunFiles = (): void => {
    for (const f of [paths.pidFile, paths.runtimeState, paths.ownerToken, apiCertificatePath(homeDir)]) {
      rmSync(f, { force: true });
    }
  };
  const running = runningNode(homeDir);
  if (!running) {
    // a crashed node may have left files behind
    if (readPidFile(paths.pidFile) !== null) cleanRunFiles();
    return null;
  }
  const { pid } = running;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (!isNodeProcess(pid)) return { pid, forced: false };
    await delay(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited just now
  }
  while (isNodeProcess(pid)) await delay(50);
  cleanRunFiles();
  return { pid, forced: true };
}
