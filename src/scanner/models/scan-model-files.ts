/**
 * The file half of the model scan: the HuggingFace cache, GGUF files and transformers-style model
 * folders, with one probe each (`huggingface`, `gguf`, `transformers`). The folder search is
 * bounded by depth, time and entries so a scan stays quick on a big home folder; when a budget stops
 * it, the probes say so. Never throws, except when `signal` aborts.
 */
import { basename } from 'node:path';
import type { Clock, ModelFinding, ProbeRun } from '../../core/index.js';
import { mapLimit } from '../../core/index.js';
import type { ScanEnv } from '../scan-env.js';
import { guessTransformersKind, sizeLabelFromName, transformersTask } from './classify.js';
import { expandHome, folderSizeBytes, homeRelative } from './fs-helpers.js';
import { DEFAULT_GGUF_MAX_HEADER_BYTES, ggufFindings } from './gguf-files.js';
import { huggingFaceHubDir, scanHuggingFaceCache } from './huggingface-cache.js';
import { readModelFolder } from './model-folder.js';
import type { WalkResult } from './model-walk.js';
import { walkModelFolders } from './model-walk.js';
import type { ReadBytes } from './read-bytes.js';
import { readFilePrefix } from './read-bytes.js';

/**
 * Folders searched for GGUF files and model folders on every scan (`~` is the home folder; missing
 * ones are passed over). Ollama's own store is not here: its blobs are GGUF but not named `.gguf`,
 * and Ollama reports them itself.
 */
export const DEFAULT_MODEL_SEARCH_PATHS: readonly string[] = [
  '~/models',
  '~/.cache/lm-studio/models',
  '~/.lmstudio/models',
  '~/.cache/llama.cpp',
  '~/Library/Caches/llama.cpp',
  '~/llama.cpp/models',
  '~/Downloads',
  '~/.local/share/nomic.ai/GPT4All',
  '~/Library/Application Support/nomic.ai/GPT4All',
];
/** Folders below a search root that are searched. */
export const DEFAULT_MODEL_SEARCH_MAX_DEPTH = 4;
/** Time the folder search (and growing GGUF header reads) may take. */
export const DEFAULT_MODEL_SEARCH_TIME_BUDGET_MS = 1_500;
/** Folder entries the search may look at before it stops. */
export const DEFAULT_MODEL_SEARCH_MAX_ENTRIES = 20_000;
/** Notes about skipped files shown in a probe's detail before "and N more". */
const MAX_NOTES_SHOWN = 5;

export interface ScanModelFilesOptions {
  /** More folders to search for GGUF files (besides `DEFAULT_MODEL_SEARCH_PATHS` and `LLAMA_CACHE`). */
  readonly ggufPaths?: readonly string[];
  /** More folders to search for transformers model folders (GGUF files there are found too). */
  readonly modelPaths?: readonly string[];
  /** Default `DEFAULT_MODEL_SEARCH_MAX_DEPTH`. */
  readonly maxDepth?: number;
  /** Default `DEFAULT_MODEL_SEARCH_TIME_BUDGET_MS`. */
  readonly timeBudgetMs?: number;
  /** Default `DEFAULT_MODEL_SEARCH_MAX_ENTRIES`. */
  readonly maxEntries?: number;
  /** The most of one GGUF file read for its metadata. Default `DEFAULT_GGUF_MAX_HEADER_BYTES`. */
  readonly maxHeaderBytes?: number;
  /** Reads the start of a binary file. Default: from the file system. */
  readonly readBytes?: ReadBytes;
  /** Measures budgets and durations; default `performance.now()`. */
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

const monotonicClock: Clock = { now: () => performance.now() };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "stopped after 1500 ms; 12000 entries visited", or null when the search finished. */
function stopNote(walk: WalkResult, maxEntries: number): string | null {
  if (walk.stoppedBy === 'time')
    return `stopped after ${walk.elapsedMs} ms; ${walk.entriesVisited} entries visited`;
  if (walk.stoppedBy === 'entries') {
    return `stopped after ${walk.entriesVisited} entries visited (the limit is ${maxEntries}); ${walk.elapsedMs} ms`;
  }
  return null;
}

function notesText(notes: readonly string[]): string | null {
  if (notes.length === 0) return null;
  const shown = notes.slice(0, MAX_NOTES_SHOWN).join('; ');
  const more = notes.length - MAX_NOTES_SHOWN;
  return `skipped ${shown}${more > 0 ? `; and ${more} more` : ''}`;
}

function where(walk: WalkResult, homeDir: string): string {
  if (walk.rootsSearched.length === 0) return 'none of the folders searched exist';
  return `searched ${walk.rootsSearched.map((r) => homeRelative(r, homeDir)).join(', ')}`;
}

/** A transformers (or diffusers) model folder as a finding. */
async function transformersFinding(
  env: ScanEnv,
  path: string,
  names: readonly string[],
  signal: AbortSignal | undefined,
): Promise<ModelFinding> {
  const signalOption = signal ? { signal } : {};
  const info = await readModelFolder(env, path, { names, ...signalOption });
  const name = basename(path);
  return {
    source: 'transformers',
    id: homeRelative(path, env.homeDir),
    name,
    kind: guessTransformersKind(info.facts),
    task: transformersTask(info.facts),
    family: info.family,
    parameterSize: sizeLabelFromName(name),
    quantization: info.quantization,
    // Diffusers keep their parts one folder down (`unet/`, `vae/`).
    sizeBytes: await folderSizeBytes(env, path, { maxDepth: 2, maxEntries: 2_000, ...signalOption }),
    contextLength: info.contextLength,
    location: path,
  };
}

/**
 * Scans the HuggingFace cache, and searches the default and configured folders for GGUF files and
 * transformers model folders.
 */
export async function scanModelFiles(
  env: ScanEnv,
  options: ScanModelFilesOptions = {},
): Promise<{ models: ModelFinding[]; probes: ProbeRun[] }> {
  const clock = options.clock ?? monotonicClock;
  const { signal, onProgress } = options;
  const started = clock.now();
  const timeBudgetMs = options.timeBudgetMs ?? DEFAULT_MODEL_SEARCH_TIME_BUDGET_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_MODEL_SEARCH_MAX_ENTRIES;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_GGUF_MAX_HEADER_BYTES;
  const readBytes = options.readBytes ?? readFilePrefix;
  const signalOption = signal ? { signal } : {};
  signal?.throwIfAborted();

  const llamaCache = env.env.LLAMA_CACHE;
  const roots = [
    ...DEFAULT_MODEL_SEARCH_PATHS,
    ...(llamaCache === undefined || llamaCache.trim() === '' ? [] : [llamaCache.trim()]),
    ...(options.ggufPaths ?? []),
    ...(options.modelPaths ?? []),
  ].map((p) => expandHome(p, env.homeDir));

  const searchFiles = async (): Promise<{
    walk: WalkResult;
    gguf: { models: ModelFinding[]; notes: string[] };
    transformers: ModelFinding[];
  }> => {
    onProgress?.('searching model folders for GGUF files and transformers models');
    const walk = await walkModelFolders(env, roots, {
      maxDepth: options.maxDepth ?? DEFAULT_MODEL_SEARCH_MAX_DEPTH,
      timeBudgetMs,
      maxEntries,
      // The HuggingFace cache is scanned on its own.
      skipPaths: [huggingFaceHubDir(env)],
      clock,
      ...signalOption,
    });
    if (walk.ggufFiles.length > 0) onProgress?.(`reading ${plural(walk.ggufFiles.length, 'GGUF file')}`);
    const gguf = await ggufFindings(walk.ggufFiles, {
      homeDir: env.homeDir,
      readBytes,
      maxHeaderBytes,
      mayGrow: () => clock.now() - started < timeBudgetMs,
      ...signalOption,
    });
    const transformers = await mapLimit(walk.modelFolders, 4, (folder) =>
      transformersFinding(env, folder.path, folder.names, signal),
    );
    return { walk, gguf, transformers };
  };

  onProgress?.('reading the HuggingFace cache');
  const [hf, { walk, gguf, transformers }] = await Promise.all([
    scanHuggingFaceCache(env, { readBytes, maxHeaderBytes, clock, ...signalOption }),
    searchFiles(),
  ]);
  const stopped = stopNote(walk, maxEntries);
  const ggufProbe: ProbeRun = {
    id: 'gguf',
    status: gguf.models.length > 0 ? 'ok' : 'not_detected',
    durationMs: Math.max(0, Math.round(clock.now() - started)),
    detail: [
      gguf.models.length > 0 ? plural(gguf.models.length, 'GGUF model') : 'no GGUF models',
      where(walk, env.homeDir),
      stopped,
      notesText(gguf.notes),
    ]
      .filter((p): p is string => p !== null)
      .join('; '),
  };
  const transformersProbe: ProbeRun = {
    id: 'transformers',
    status: transformers.length > 0 ? 'ok' : 'not_detected',
    durationMs: ggufProbe.durationMs,
    detail: [
      transformers.length > 0 ? plural(transformers.length, 'model folder') : 'no transformers model folders',
      where(walk, env.homeDir),
      stopped,
    ]
      .filter((p): p is string => p !== null)
      .join('; '),
  };
  const byId = (a: ModelFinding, b: ModelFinding): number => a.id.localeCompare(b.id, 'en');
  return {
    models: [...hf.models, ...[...gguf.models].sort(byId), ...transformers.sort(byId)],
    probes: [hf.probe, ggufProbe, transformersProbe],
  };
}
