/**
 * The HuggingFace hub cache (https://huggingface.co/docs/huggingface_hub/guides/manage-cache): one
 * folder per repo, `models--{org}--{name}`, holding `blobs/` (the files, by hash), `snapshots/{commit}/`
 * (links into `blobs/` under the repo's file names) and `refs/main` (the commit `main` points at).
 * Each model repo becomes a finding: its size is the sum of its blobs (each file counted once,
 * however many snapshots link to it); its kind is guessed from one snapshot (the one `refs/main`
 * names, else the newest) via `config.json`, the model card and friends. A GGUF-only repo is
 * described by the header of its first GGUF file (one finding per repo, however many quantizations
 * it holds). `datasets--*` and `spaces--*` folders are not models and are skipped.
 *
 * Where the cache is, in the order `huggingface_hub` itself resolves it:
 * 1. `HF_HUB_CACHE`
 * 2. `HUGGINGFACE_HUB_CACHE` (the older name)
 * 3. `HF_HOME/hub`
 * 4. `XDG_CACHE_HOME/huggingface/hub`
 * 5. `~/.cache/huggingface/hub`
 */
import { join } from 'node:path';
import type { Clock, ModelFinding, ProbeRun } from '../../core/index.js';
import { mapLimit } from '../../core/index.js';
import type { ScanEnv } from '../scan-env.js';
import { describeGguf, guessTransformersKind, sizeLabelFromName, transformersTask } from './classify.js';
import { expandHome, folderSizeBytes, homeRelative, readGgufHeader } from './fs-helpers.js';
import { readModelFolder } from './model-folder.js';
import type { ReadBytes } from './read-bytes.js';

/** Where the HuggingFace hub cache is for this environment (see the module comment for the order). */
export function huggingFaceHubDir(env: ScanEnv): string {
  const set = (name: string): string | null => {
    const value = env.env[name];
    return value === undefined || value.trim() === '' ? null : expandHome(value.trim(), env.homeDir);
  };
  const hubCache = set('HF_HUB_CACHE') ?? set('HUGGINGFACE_HUB_CACHE');
  if (hubCache !== null) return hubCache;
  const hfHome = set('HF_HOME');
  if (hfHome !== null) return join(hfHome, 'hub');
  const xdg = set('XDG_CACHE_HOME');
  if (xdg !== null) return join(xdg, 'huggingface', 'hub');
  return join(env.homeDir, '.cache', 'huggingface', 'hub');
}

/** `models--openai--whisper-small` → `openai/whisper-small`; `models--gpt2` → `gpt2`. */
export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null;
  const rest = folder.slice('models--'.length);
  if (rest === '') return null;
  const cut = rest.indexOf('--');
  return cut === -1 ? rest : `${rest.slice(0, cut)}/${rest.slice(cut + 2)}`;
}

export interface HuggingFaceScanOptions {
  readonly readBytes: ReadBytes;
  readonly maxHeaderBytes: number;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
}

/** The snapshot folder to describe the repo by: the one `refs/main` names, else the newest. */
async function chooseSnapshot(env: ScanEnv, repoDir: string): Promise<string | null> {
  const snapshots = join(repoDir, 'snapshots');
  const main = (await env.readText(join(repoDir, 'refs', 'main'), { maxBytes: 256 }))?.trim();
  if (main !== undefined && /^[0-9a-f]{7,64}$/i.test(main)) {
    const stat = await env.statOf(join(snapshots, main));
    if (stat?.isDirectory === true) return join(snapshots, main);
  }
  const entries = ((await env.list(snapshots)) ?? []).filter((e) => e.isDirectory());
  let newest: { path: string; mtimeMs: number } | null = null;
  for (const entry of entries) {
    const path = join(snapshots, entry.name);
    const stat = await env.statOf(path);
    if (stat !== null && (newest === null || stat.mtimeMs > newest.mtimeMs)) {
      newest = { path, mtimeMs: stat.mtimeMs };
    }
  }
  return newest?.path ?? null;
}

/** The sum of the repo's blobs (partial downloads, `*.incomplete`, not counted). */
async function blobsSizeBytes(env: ScanEnv, repoDir: string): Promise<number | null> {
  const entries = await env.list(join(repoDir, 'blobs'));
  if (entries === null) return null;
  let total = 0;
  let counted = 0;
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.endsWith('.incomplete')) continue;
    const stat = await env.statOf(join(repoDir, 'blobs', entry.name));
    if (stat === null) continue;
    total += stat.sizeBytes;
    counted++;
  }
  return counted === 0 ? null : total;
}

async function describeRepo(
  env: ScanEnv,
  repoDir: string,
  repoId: string,
  options: HuggingFaceScanOptions,
): Promise<ModelFinding> {
  const { signal } = options;
  const snapshot = await chooseSnapshot(env, repoDir);
  const names = snapshot === null ? [] : ((await env.list(snapshot)) ?? []).map((e) => e.name);
  const sizeBytes =
    (await blobsSizeBytes(env, repoDir)) ??
    (snapshot === null
      ? null
      : await folderSizeBytes(env, snapshot, {
          maxDepth: 2,
          maxEntries: 2_000,
          ...(signal ? { signal } : {}),
        }));
  const shortName = repoId.includes('/') ? repoId.slice(repoId.indexOf('/') + 1) : repoId;
  const base = {
    source: 'huggingface' as const,
    id: repoId,
    name: shortName,
    sizeBytes,
    location: snapshot ?? repoDir,
  };

  const folder =
    snapshot === null ? null : await readModelFolder(env, snapshot, { names, ...(signal ? { signal } : {}) });
  const gguf = names.find((n) => /\.gguf$/i.test(n) && !/-0000[2-9]-of-\d{5}\.gguf$/i.test(n));
  if (snapshot !== null && folder?.hasConfig !== true && gguf !== undefined) {
    // A repo of GGUF files (no transformers config): its header says what it is.
    const path = join(snapshot, gguf);
    const stat = await env.statOf(path);
    const parsed =
      stat === null
        ? null
        : await readGgufHeader(path, stat.sizeBytes, {
            readBytes: options.readBytes,
            maxBytes: options.maxHeaderBytes,
            // One file per repo: it may be read up to `maxHeaderBytes`.
            mayGrow: () => true,
            ...(signal ? { signal } : {}),
          });
    if (parsed?.status === 'ok') {
      const d = describeGguf(parsed.header, gguf);
      return {
        ...base,
        kind: d.kind,
        task: d.task,
        family: d.architecture,
        parameterSize: d.parameterSize ?? sizeLabelFromName(shortName),
        quantization: d.quantization,
        contextLength: d.contextLength,
      };
    }
  }

  const facts = folder?.facts;
  return {
    ...base,
    kind: facts === undefined ? 'other' : guessTransformersKind(facts),
    task: facts === undefined ? null : transformersTask(facts),
    family: folder?.family ?? null,
    parameterSize: sizeLabelFromName(shortName),
    quantization: folder?.quantization ?? null,
    contextLength: folder?.contextLength ?? null,
  };
}

/** Lists the models in the HuggingFace hub cache, with the probe `huggingface`. */
export async function scanHuggingFaceCache(
  env: ScanEnv,
  options: HuggingFaceScanOptions,
): Promise<{ models: ModelFinding[]; probe: ProbeRun; hubDir: string }> {
  const { clock } = options;
  const started = clock.now();
  const hubDir = huggingFaceHubDir(env);
  const probe = (status: ProbeRun['status'], detail: string): ProbeRun => ({
    id: 'huggingface',
    status,
    durationMs: Math.max(0, Math.round(clock.now() - started)),
    detail,
  });
  const shown = homeRelative(hubDir, env.homeDir);
  const entries = await env.list(hubDir);
  if (entries === null) {
    return { models: [], probe: probe('not_detected', `no HuggingFace cache at ${shown}`), hubDir };
  }
  const repos = entries
    .filter((e) => e.isDirectory())
    .map((e) => ({ dir: join(hubDir, e.name), repoId: repoIdFromFolder(e.name) }))
    .filter((r): r is { dir: string; repoId: string } => r.repoId !== null)
    .sort((a, b) => a.repoId.localeCompare(b.repoId, 'en'));
  const models = await mapLimit(repos, 4, async (repo) => {
    options.signal?.throwIfAborted();
    return describeRepo(env, repo.dir, repo.repoId, options);
  });
  if (models.length === 0) {
    return { models, probe: probe('not_detected', `no models in the HuggingFace cache at ${shown}`), hubDir };
  }
  const count = `${models.length} model${models.length === 1 ? '' : 's'}`;
  return { models, probe: probe('ok', `${count} in ${shown}`), hubDir };
}
