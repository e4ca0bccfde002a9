/**
 * The bounded search for model files: breadth-first from each root, at most `maxDepth` folders
 * down, stopping when the time budget or the entry budget is spent. It collects `*.gguf` files and
 * transformers-style model folders (whose insides it does not search further). Hidden folders
 * (but `.cache`), `node_modules`, `proc`/`sys`/`dev`, HuggingFace cache repos (`models--*`) and the
 * paths in `skipPaths` are not entered; symbolic links to folders are not followed (no loops), links
 * to `.gguf` files are. Roots and linked files are resolved to their real paths, so a file reached
 * two ways (a root that links into another, a link to a file) is found once.
 */
import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Clock } from '../../core/index.js';
import type { ScanEnv } from '../scan-env.js';
import { isModelFolder } from './model-folder.js';

/** Folder names never searched (beside hidden ones). */
export const SKIPPED_FOLDER_NAMES: readonly string[] = [
  'node_modules',
  '.git',
  'proc',
  'sys',
  'dev',
  '__pycache__',
  'site-packages',
];

export interface WalkOptions {
  readonly maxDepth: number;
  readonly timeBudgetMs: number;
  readonly maxEntries: number;
  /** Folders not to enter (the HuggingFace cache, which is scanned on its own). */
  readonly skipPaths: readonly string[];
  readonly clock: Clock;
  /** Resolves symbolic links; null when the path does not resolve. Default: the file system's. */
  readonly realPath?: (path: string) => Promise<string | null>;
  readonly signal?: AbortSignal;
}

const fsRealPath = async (path: string): Promise<string | null> => {
  try {
    return await realpath(path);
  } catch {
    return null;
  }
};

export interface FoundFile {
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

export interface FoundFolder {
  readonly path: string;
  readonly names: readonly string[];
}

export interface WalkResult {
  readonly ggufFiles: readonly FoundFile[];
  readonly modelFolders: readonly FoundFolder[];
  /** Roots that exist and were searched (fully or until a budget ran out). */
  readonly rootsSearched: readonly string[];
  readonly foldersListed: number;
  readonly entriesVisited: number;
  /** Why the search ended early, if it did. */
  readonly stoppedBy: 'time' | 'entries' | null;
  readonly elapsedMs: number;
}

function skipFolder(name: string): boolean {
  if (SKIPPED_FOLDER_NAMES.includes(name)) return true;
  if (name.startsWith('models--') || name.startsWith('datasets--')) return true;
  return name.startsWith('.') && name !== '.cache';
}

/** Searches `roots` (absolute paths; missing ones are passed over) within the budgets. */
export async function walkModelFolders(
  env: ScanEnv,
  roots: readonly string[],
  options: WalkOptions,
): Promise<WalkResult> {
  const { clock, signal } = options;
  const realPath = options.realPath ?? fsRealPath;
  const started = clock.now();
  const ggufFiles: FoundFile[] = [];
  const modelFolders: FoundFolder[] = [];
  const rootsSearched: string[] = [];
  let foldersListed = 0;
  let entriesVisited = 0;
  let stoppedBy: WalkResult['stoppedBy'] = null;

  // Paths are walked as given (so reports keep the user's own paths, `~/...`); `real` is the
  // same folder with links resolved, which decides whether two paths are one place.
  const skip = new Set<string>();
  for (const p of options.skipPaths) {
    skip.add(resolve(p));
    const real = await realPath(p);
    if (real !== null) skip.add(real);
  }
  const queue: { path: string; real: string; depth: number }[] = [];
  for (const given of roots) {
    const stat = await env.statOf(given);
    if (stat?.isDirectory !== true) continue;
    const path = resolve(given);
    const real = (await realPath(given)) ?? path;
    if (skip.has(path) || skip.has(real) || queue.some((q) => q.real === real)) continue;
    rootsSearched.push(path);
    queue.push({ path, real, depth: 0 });
  }
  const listed = new Set<string>();
  const seenFiles = new Set<string>();

  walk: while (queue.length > 0) {
    signal?.throwIfAborted();
    if (clock.now() - started >= options.timeBudgetMs) {
      stoppedBy = 'time';
      break;
    }
    const { path, real, depth } = queue.shift()!;
    // A root inside another root is searched once.
    if (listed.has(real)) continue;
    listed.add(real);
    const entries = await env.list(path);
    if (entries === null) continue;
    foldersListed++;
    const names = entries.map((e) => e.name);
    const modelFolder = isModelFolder(names);
    if (modelFolder) modelFolders.push({ path, names });

    for (const entry of entries) {
      if (entriesVisited >= options.maxEntries) {
        stoppedBy = 'entries';
        break walk;
      }
      entriesVisited++;
      const child = join(path, entry.name);
      const childReal = join(real, entry.name);
      if (/\.gguf$/i.test(entry.name) && (entry.isFile() || entry.isSymbolicLink())) {
        const stat = await env.statOf(child);
        if (stat === null || stat.isDirectory) continue;
        const identity = entry.isSymbolicLink() ? ((await realPath(child)) ?? childReal) : childReal;
        if (seenFiles.has(identity)) continue;
        seenFiles.add(identity);
        ggufFiles.push({ path: child, sizeBytes: stat.sizeBytes, mtimeMs: stat.mtimeMs });
      } else if (
        entry.isDirectory() &&
        !modelFolder &&
        depth < options.maxDepth &&
        !skipFolder(entry.name) &&
        !skip.has(child) &&
        !skip.has(childReal)
      ) {
        queue.push({ path: child, real: childReal, depth: depth + 1 });
      }
    }
  }

  return {
    ggufFiles,
    modelFolders,
    rootsSearched,
    foldersListed,
    entriesVisited,
    stoppedBy,
    elapsedMs: Math.max(0, Math.round(clock.now() - started)),
  };
}
