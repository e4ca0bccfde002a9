import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult } from './cli.js';
import { REPO_ROOT, cleanEnv } from './cli.js';

/** This checkout's commit, as the build records it (short hash). */
export function headCommit(): string {
  return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

/** Runs a program (an installed `atmosphere`, a single executable ...) and collects its output. */
export function runProgram(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      [...args],
      {
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs ?? 60_000,
        encoding: 'utf8',
        cwd: options.cwd,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** Version and commit that `npm run build` recorded in `<packageRoot>/dist/build-info.json`. */
export function builtVersion(packageRoot: string): { version: string; commit: string } {
  const info = JSON.parse(readFileSync(join(packageRoot, 'dist', 'build-info.json'), 'utf8')) as {
    version: string;
    commit: string;
  };
  return { version: info.version, commit: info.commit };
}

/** The entries of a .tar.gz, without a leading `./`. */
export function tarEntries(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\.\//, ''));
}

/**
 * A started node's lifecycle through a CLI program: start (every port picked by the OS, loopback
 * only, no mDNS), status --json, stop. Returns what each step printed.
 */
export async function startStatusStop(
  program: string,
  home: string,
  env: NodeJS.ProcessEnv,
): Promise<{ start: CliResult; status: CliResult; stop: CliResult; statusAfter: CliResult }> {
  const run = (...args: string[]) => runProgram(program, ['--home', home, ...args], { env });
  const start = await run(
    'start',
    '--port',
    '0',
    '--p2p-port',
    '0',
    '--ws-port',
    '0',
    '--p2p-host',
    '127.0.0.1',
    '--host',
    '127.0.0.1',
    '--no-mdns',
    '--json',
  );
  const status = await run('status', '--json');
  const stop = await run('stop', '--timeout', '10');
  const statusAfter = await run('status', '--json');
  return { start, status, stop, statusAfter };
}
