import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeAlreadyRunningError } from '../core/index.js';
import { isProcessAlive, readPidFile } from '../client/index.js';
import { acquirePidFile } from './pid-file.js';

describe('the pid file lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atm-pid-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('claims a free pid file and releases it', () => {
    const path = join(dir, 'node.pid');
    const lock = acquirePidFile(path);
    expect(readPidFile(path)).toBe(process.pid);
    expect(lock.stalePid).toBeNull();
    lock.release();
    expect(readPidFile(path)).toBeNull();
  });

  it('refuses a second claim while the owner is alive', async () => {
    const path = join(dir, 'node.pid');
    // a live process whose command line names atmosphere, standing in for a running node
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', 'atmosphere'], {
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => child.once('spawn', r));
      writeFileSync(path, `${child.pid}\n`);
      expect(() => acquirePidFile(path)).toThrow(NodeAlreadyRunningError);
      expect(readPidFile(path)).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('replaces the pid file of a dead process and reports its pid', async () => {
    const path = join(dir, 'node.pid');
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const deadPid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    expect(isProcessAlive(deadPid)).toBe(false);
    writeFileSync(path, `${deadPid}\n`);
    const lock = acquirePidFile(path);
    expect(lock.stalePid).toBe(deadPid);
    expect(readFileSync(path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });

  it('treats a garbage pid file as stale', () => {
    const path = join(dir, 'node.pid');
    writeFileSync(path, 'not a pid');
    const lock = acquirePidFile(path);
    expect(readPidFile(path)).toBe(process.pid);
    lock.release();
  });

  it('does not remove a pid file that another process has claimed since', () => {
    const path = join(dir, 'node.pid');
    const lock = acquirePidFile(path);
    writeFileSync(path, '999999\n');
    lock.release();
    expect(readPidFile(path)).toBe(999999);
  });
});
