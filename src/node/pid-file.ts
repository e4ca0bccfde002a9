import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { isNodeProcess, readPidFile } from '../client/index.js';
import { NodeAlreadyRunningError } from '../core/index.js';

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
