/**
 * Small helpers the model scan shares: bounded concurrency, `~`-relative ids, folder sizes, and a
 * GGUF header read that grows its prefix only while the caller allows.
 */
import { join, sep } from 'node:path';
import type { ScanEnv } from '../scan-env.js';
import type { GgufParseResult } from './gguf-header.js';
import { parseGgufHeader } from './gguf-header.js';
import type { ReadBytes } from './read-bytes.js';

/** `/home/ana/models/x.gguf` → `~/models/x.gguf`; paths outside the home stay as they are. */
export function homeRelative(path: string, homeDir: string): string {
  if (homeDir === '' || homeDir === sep) return path;
  if (path === homeDir) return '~';
  return path.startsWith(homeDir + sep) ? `~/${path.slice(homeDir.length + 1)}` : path;
}

/** `~` or `~/x` → under `homeDir`; other paths unchanged. */
export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  return path.startsWith('~/') ? join(homeDir, path.slice(2)) : path;
}

/**
 * The total size of the files under `dir` (symbolic links followed to their targets, folders below
 * `maxDepth` and past `maxEntries` not counted).
 */
export async function folderSizeBytes(
  env: ScanEnv,
  dir: string,
  options: { readonly maxDepth: number; readonly maxEntries: number; readonly signal?: AbortSignal },
): Promise<number> {
  let total = 0;
  let seen = 0;
  const queue: { path: string; depth: number }[] = [{ path: dir, depth: 0 }];
  while (queue.length > 0 && seen < options.maxEntries) {
    options.signal?.throwIfAborted();
    const { path, depth } = queue.shift()!;
    const entries = (await env.list(path)) ?? [];
    for (const entry of entries) {
      if (++seen > options.maxEntries) break;
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        if (depth < options.maxDepth) queue.push({ path: child, depth: depth + 1 });
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const stat = await env.statOf(child);
        if (stat !== null && !stat.isDirectory) total += stat.sizeBytes;
      }
    }
  }
  return total;
}

/** The first prefix read of a GGUF file: enough for its general keys in every file seen so far. */
export const GGUF_INITIAL_READ_BYTES = 64 * 1024;

/**
 * Reads and parses a GGUF header: `GGUF_INITIAL_READ_BYTES` first, then a prefix four times longer
 * while the header is incomplete, `maxBytes` allows and `mayGrow()` says yes (the time budget).
 * Null when the file cannot be read.
 */
export async function readGgufHeader(
  path: string,
  fileSizeBytes: number,
  options: {
    readonly readBytes: ReadBytes;
    readonly maxBytes: number;
    readonly mayGrow: () => boolean;
    readonly signal?: AbortSignal;
  },
): Promise<GgufParseResult | null> {
  let want = Math.min(GGUF_INITIAL_READ_BYTES, options.maxBytes);
  for (;;) {
    const bytes = await options.readBytes(path, {
      maxBytes: want,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (bytes === null) return null;
    const endOfFile = bytes.byteLength < want || bytes.byteLength >= fileSizeBytes;
    const result = parseGgufHeader(bytes, { endOfFile });
    if (result.status === 'invalid' || result.header.complete) return result;
    if (want >= options.maxBytes || !options.mayGrow()) return result;
    want = Math.min(want * 4, options.maxBytes);
  }
}
