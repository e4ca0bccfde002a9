/**
 * Finding the model servers a node can use, at start and on rescan: build each configured backend,
 * probe it, and list its models — all in parallel. Unreachable backends are reported with the reason
 * (not dropped), so the owner can see why a server is missing.
 */
import type { BackendHealth, BackendModel, InferenceBackend } from '../core/index.js';
import { AbortedError, AtmosphereError } from '../core/index.js';
import type { BackendComponents } from './backend-support.js';
import { DEFAULT_PROBE_TIMEOUT_MS } from './backend-support.js';
import type { LlamaFarmBackendInit } from './llamafarm-backend.js';
import { LlamaFarmBackend } from './llamafarm-backend.js';
import type { OllamaBackendInit } from './ollama-backend.js';
import { OllamaBackend } from './ollama-backend.js';
import type { OpenAiCompatibleBackendInit } from './openai-compatible-backend.js';
import { OpenAiCompatibleBackend } from './openai-compatible-backend.js';

/** Which backends to look for. A local server is probed unless its entry is `false`. */
export interface DiscoverBackendsInput {
  /** Default: probe Ollama at its default URL. */
  readonly ollama?: OllamaBackendInit | false;
  /** Default: probe LlamaFarm at its default URL. */
  readonly llamafarm?: LlamaFarmBackendInit | false;
  /** OpenAI-compatible providers; none by default (they cost money). */
  readonly cloud?: readonly OpenAiCompatibleBackendInit[];
  /** Limit for each probe and listing, unless a backend's init sets its own. Default 5 s. */
  readonly probeTimeoutMs?: number;
}

export interface DiscoveredBackend {
  readonly backend: InferenceBackend;
  readonly health: BackendHealth;
  /** The server answered (`ok` or `degraded`). */
  readonly reachable: boolean;
  /** Empty when unreachable or when listing failed. */
  readonly models: readonly BackendModel[];
  /** Why the models could not be listed although the server answered. */
  readonly listError: { readonly code: string; readonly message: string } | null;
}

/** Builds the backends the input asks for, without probing them. */
export function createBackends(
  components: BackendComponents,
  input: DiscoverBackendsInput,
): InferenceBackend[] {
  const probeTimeoutMs = input.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const backends: InferenceBackend[] = [];
  if (input.ollama !== false)
    backends.push(new OllamaBackend(components, { probeTimeoutMs, ...input.ollama }));
  if (input.llamafarm !== false) {
    backends.push(new LlamaFarmBackend(components, { probeTimeoutMs, ...input.llamafarm }));
  }
  for (const cloud of input.cloud ?? []) {
    backends.push(new OpenAiCompatibleBackend(components, { probeTimeoutMs, ...cloud }));
  }
  return backends;
}

/** Probes one backend and lists its models if it answers. */
export async function probeBackend(
  backend: InferenceBackend,
  options: { signal?: AbortSignal } = {},
): Promise<DiscoveredBackend> {
  const health = await backend.health(options);
  const reachable = health.status === 'ok' || health.status === 'degraded';
  if (!reachable) return { backend, health, reachable, models: [], listError: null };
  try {
    const models = await backend.listModels(options);
    return { backend, health, reachable, models, listError: null };
  } catch (err) {
    if (err instanceof AbortedError) throw err;
    const e = err instanceof AtmosphereError ? err : new AtmosphereError(String(err), { cause: err });
    return { backend, health, reachable, models: [], listError: { code: e.code, message: e.message } };
  }
}

/** Builds, probes and lists every configured backend in parallel, in input order. */
export async function discoverBackends(
  components: BackendComponents,
  input: DiscoverBackendsInput,
  options: { signal?: AbortSignal } = {},
): Promise<DiscoveredBackend[]> {
  return Promise.all(createBackends(components, input).map((b) => probeBackend(b, options)));
}
