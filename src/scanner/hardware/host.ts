/**
 * What the hardware probes ask Node itself, behind a seam so tests can describe another machine:
 * CPU list and memory from `node:os` (the fallback when `/proc` is absent, and the source on
 * macOS), and `statfs`/`stat` for storage.
 */
import { stat, statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';

export interface HostFsStats {
  /** The filesystem's magic number (`f_type`). */
  readonly type: number;
  /** Block size in bytes. */
  readonly bsize: number;
  readonly blocks: number;
  /** Free blocks for an unprivileged user. */
  readonly bavail: number;
}

export interface HostInfo {
  cpus(): readonly { readonly model: string; readonly speed: number }[];
  totalMemoryBytes(): number;
  freeMemoryBytes(): number;
  /** `statfs` of a path, or null when it is missing or unreadable. */
  statFs(path: string): Promise<HostFsStats | null>;
  /** The device id of the filesystem holding `path` (`stat().dev`), or null. */
  deviceOf(path: string): Promise<number | null>;
}

/** The real machine, through `node:os` and `node:fs/promises`. */
export function systemHost(): HostInfo {
  return {
    cpus: () => cpus().map((cpu) => ({ model: cpu.model, speed: cpu.speed })),
    totalMemoryBytes: () => totalmem(),
    freeMemoryBytes: () => freemem(),
    statFs: async (path) => {
      try {
        const stats = await statfs(path);
        return { type: stats.type, bsize: stats.bsize, blocks: stats.blocks, bavail: stats.bavail };
      } catch {
        return null;
      }
    },
    deviceOf: async (path) => {
      try {
        return (await stat(path)).dev;
      } catch {
        return null;
      }
    },
  };
}
