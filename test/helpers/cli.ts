import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'atmosphere.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * An environment without the caller's ATMOSPHERE_* settings, so tests see only what they set; nodes
 * started with it keep the mesh on loopback with mDNS off (test traffic never leaves the machine).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ATMOSPHERE_') && k !== 'OLLAMA_HOST') env[k] = v;
  }
  return { ...env, ATMOSPHERE_MESH__LISTEN_HOST: '127.0.0.1', ATMOSPHERE_MESH__MDNS: 'false', ...extra };
}

/** Runs the built `atmosphere` binary and collects its output and exit code. */
export function runAtmosphere(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: options.env ?? cleanEnv(), timeout: options.timeoutMs ?? 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** A fresh home directory; remove it with the returned cleanup. */
export function tempHome(prefix = 'atm-home-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let built = false;
/** End-to-end tests run the built CLI: build dist/ first when it is older than the sources. */
export function ensureBuilt(): void {
  if (built) return;
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'ensure-built.mjs')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building dist/ failed; see the compiler output above');
  built = true;
}

/** `atmosphere start` for tests: every port picked by the OS, mesh on loopback, no mDNS. */
export const START_ARGS: readonly string[] = [
  'start',
  '--port',
  '0',
  '--p2p-port',
  '0',
  '--ws-port',
  '0',
  '--p2p-host',
  '127.0.0.1',
  '--no-mdns',
];

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
