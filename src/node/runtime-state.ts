import { rmSync } from 'node:fs';
import type { RuntimeState, StartErrorRecord } from '../client/index.js';
import { atomicWriteFileSync } from './fs-atomic.js';

/** Publishes `run/node.json` (read back by `readRuntimeState` in the client module). */
export function writeRuntimeState(path: string, state: RuntimeState): void {
  atomicWriteFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

export function writeStartError(path: string, record: StartErrorRecord): void {
  atomicWriteFileSync(path, `${JSON.stringify(record)}\n`);
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}
