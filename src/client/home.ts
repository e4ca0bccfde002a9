import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { HomeDirectoryError } from '../core/errors.js';

/** Every file the node keeps, under one directory (`~/.atmosphere` unless overridden). */
export interface HomePaths {
  readonly root: string;
  /** Ed25519 private key, 0600. */
  readonly identityKey: string;
  readonly config: string;
  readonly database: string;
  readonly logs: string;
  /** JSON lines written by the daemon; read by `atmosphere logs`. */
  readonly logFile: string;
  /** stdout/stderr of a background node, for crashes that happen before logging is up. */
  readonly daemonOutput: string;
  readonly run: string;
  readonly pidFile: string;
  /** Bearer token for `/api/*`, rewritten at every start, 0600. */
  readonly ownerToken: string;
  /** What a running node publishes about itself (pid, API URL, start time). */
  readonly runtimeState: string;
  /** Why the last start failed, written by the node before it exits. */
  readonly startError: string;
}

export const DEFAULT_HOME_DIRNAME = '.atmosphere';

/** `--home` wins over `ATMOSPHERE_HOME`, which wins over `~/.atmosphere`. */
export function resolveHomeDir(options: { flag?: string | undefined; env?: NodeJS.ProcessEnv } = {}): string {
  const fromEnv = options.env?.ATMOSPHERE_HOME;
  const chosen = options.flag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  if (chosen === undefined) return join(homedir(), DEFAULT_HOME_DIRNAME);
  return isAbsolute(chosen) ? chosen : resolve(chosen);
}

export function homePaths(root: string): HomePaths {
  const logs = join(root, 'logs');
  const run = join(root, 'run');
  return {
    root,
    identityKey: join(root, 'identity.key'),
    config: join(root, 'config.yaml'),
    database: join(root, 'atmosphere.db'),
    logs,
    logFile: join(logs, 'node.log'),
    daemonOutput: join(logs, 'daemon.out'),
    run,
    pidFile: join(run, 'node.pid'),
    ownerToken: join(run, 'owner.token'),
    runtimeState: join(run, 'node.json'),
    startError: join(run, 'start-error.json'),
  };
}

/** Creates the home and its subfolders with mode 0700 (tightening an existing home that is looser). */
export function ensureHome(paths: HomePaths): void {
  for (const dir of [paths.root, paths.logs, paths.run]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const mode = statSync(dir).mode & 0o777;
      if (mode !== 0o700) chmodSync(dir, 0o700);
    } catch (err) {
      throw new HomeDirectoryError(
        `cannot use ${dir} as part of the Atmosphere home: ${(err as Error).message}`,
        {
          cause: err,
          details: { path: dir },
        },
      );
    }
  }
}
