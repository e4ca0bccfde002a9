import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { NodeAlreadyRunningError } from '../core/index.js';

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
 * after a crash). Where /proc is missing (macOS) liveness alone decides.
 */
export function isNodeProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('atmosphere') || cmdline.includes('start');
  } catch {
    return true;
  }
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

export interface PidFileLock {
  /** The pid of a dead node whose file was cleaned up, if there was one. */
  readonly stalePid: number | null;
  release(): void;
}

/**
 * Claims the node's pid file with an exclusive create, so two starts cannot both win. A file left
 * by a dead process (kill -9, power loss) is removed and the claim retried.
 */
export function acquirePidFile(path: string, pid: number = process.pid): PidFileLock {
  let stalePid: number | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let other = readPidFile(path);
      // another starter may have created the file and not yet written its pid: give it a moment
      for (let wait = 0; other === null && wait < 10; wait++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        other = readPidFile(path);
      }
      if (other !== null && other !== pid && isNodeProcess(other)) {
        throw new NodeAlreadyRunningError(
          `an Atmosphere node is already running with this home (pid ${other})`,
          {
            details: { pid: other },
          },
        );
      }
      stalePid = other;
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, `${pid}\n`);
    closeSync(fd);
    return {
      stalePid,
      release: () => {
        if (readPidFile(path) === pid) rmSync(path, { force: true });
      },
    };
  }
  throw new NodeAlreadyRunningError(`could not claim ${path}: another node keeps claiming it`);
}
