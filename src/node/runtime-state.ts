import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { atomicWriteFileSync } from './fs-atomic.js';

/** What a running node publishes in `run/node.json` for the CLI. */
const runtimeStateSchema = z.object({
  pid: z.number().int().positive(),
  nodeId: z.string(),
  name: z.string(),
  version: z.string(),
  apiUrl: z.string(),
  uiUrl: z.string(),
  startedAt: z.string(),
});

export type RuntimeState = z.infer<typeof runtimeStateSchema>;

export function writeRuntimeState(path: string, state: RuntimeState): void {
  atomicWriteFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** The published state, or null when there is none or it is unreadable. */
export function readRuntimeState(path: string): RuntimeState | null {
  try {
    const parsed = runtimeStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** Why a node failed to start, left for the `atmosphere start` that launched it. */
const startErrorSchema = z.object({
  pid: z.number().int(),
  code: z.string(),
  message: z.string(),
  at: z.string(),
});
export type StartErrorRecord = z.infer<typeof startErrorSchema>;

export function writeStartError(path: string, record: StartErrorRecord): void {
  atomicWriteFileSync(path, `${JSON.stringify(record)}\n`);
}

export function readStartError(path: string): StartErrorRecord | null {
  try {
    const parsed = startErrorSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
