/**
 * GGUF files found on disk → model findings. Each file's header is read for real; a file that is
 * not GGUF, is truncated, or holds no tensors is left out with a note saying why. A model split
 * into parts (`name-00001-of-00003.gguf`) is one finding, read from its first part, sized as the
 * sum of the parts.
 */
import { basename, dirname, join } from 'node:path';
import type { ModelFinding } from '../../core/index.js';
import { mapLimit } from '../../core/index.js';
import { describeGguf } from './classify.js';
import type { FoundFile } from './model-walk.js';
import { homeRelative, readGgufHeader } from './fs-helpers.js';
import type { ReadBytes } from './read-bytes.js';

/** The most of one file read to find its metadata (a big vocabulary can come before the last keys). */
export const DEFAULT_GGUF_MAX_HEADER_BYTES = 1024 * 1024;

const SPLIT_PART = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/** A model on disk: one file, or the parts of a split one. */
interface GgufModelFile {
  /** The file whose header describes the model (the first part of a split model). */
  readonly path: string;
  readonly sizeBytes: number;
  /** The name without `.gguf` and without the part numbers. */
  readonly stem: string;
  readonly parts: number;
}

/** Groups split parts; a split model without its first part becomes a note. */
export function groupGgufFiles(files: readonly FoundFile[]): {
  models: GgufModelFile[];
  notes: string[];
} {
  const models: GgufModelFile[] = [];
  const notes: string[] = [];
  const splits = new Map<string, { total: number; parts: Map<number, FoundFile> }>();
  for (const file of files) {
    const match = SPLIT_PART.exec(basename(file.path));
    if (match === null) {
      models.push({
        path: file.path,
        sizeBytes: file.sizeBytes,
        stem: basename(file.path).replace(/\.gguf$/i, ''),
        parts: 1,
      });
      continue;
    }
    const key = join(dirname(file.path), `${match[1]!}\0${match[3]!}`);
    const group = splits.get(key) ?? { total: Number(match[3]), parts: new Map<number, FoundFile>() };
    group.parts.set(Number(match[2]), file);
    splits.set(key, group);
  }
  for (const [key, group] of splits) {
    const first = group.parts.get(1);
    const stem = basename(key.split('\0')[0]!);
    if (first === undefined) {
      notes.push(`${stem}: part 1 of ${group.total} is missing`);
      continue;
    }
    const sizeBytes = [...group.parts.values()].reduce((sum, f) => sum + f.sizeBytes, 0);
    if (group.parts.size < group.total) {
      notes.push(`${stem}: only ${group.parts.size} of ${group.total} parts present`);
    }
    models.push({ path: first.path, sizeBytes, stem, parts: group.parts.size });
  }
  return { models, notes };
}

export interface GgufFindingsOptions {
  readonly homeDir: string;
  readonly readBytes: ReadBytes;
  readonly maxHeaderBytes: number;
  /** Whether a header may be read further than its first prefix (the time budget is not spent). */
  readonly mayGrow: () => boolean;
  readonly signal?: AbortSignal;
}

/** Reads the headers of the found GGUF files and returns findings and notes on skipped files. */
export async function ggufFindings(
  files: readonly FoundFile[],
  options: GgufFindingsOptions,
): Promise<{ models: ModelFinding[]; notes: string[] }> {
  const grouped = groupGgufFiles(files);
  const notes = [...grouped.notes];
  const results = await mapLimit(grouped.models, 4, async (file) => {
    const result = await readGgufHeader(file.path, file.sizeBytes, {
      readBytes: options.readBytes,
      maxBytes: options.maxHeaderBytes,
      mayGrow: options.mayGrow,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { file, result };
  });
  const models: ModelFinding[] = [];
  for (const { file, result } of results) {
    const shown = homeRelative(file.path, options.homeDir);
    if (result === null) {
      notes.push(`${shown}: could not be read`);
      continue;
    }
    if (result.status === 'invalid') {
      notes.push(`${shown}: not a model (${result.reason})`);
      continue;
    }
    const { header } = result;
    if (header.tensorCount === 0) {
      notes.push(`${shown}: not a model (it holds no tensors, only a vocabulary)`);
      continue;
    }
    const described = describeGguf(header, basename(file.path));
    models.push({
      source: 'gguf',
      id: shown,
      name: described.name ?? file.stem,
      kind: described.kind,
      task: described.task,
      family: described.architecture,
      parameterSize: described.parameterSize,
      quantization: described.quantization,
      sizeBytes: file.sizeBytes,
      contextLength: described.contextLength,
      location: file.path,
    });
  }
  return { models, notes };
}
