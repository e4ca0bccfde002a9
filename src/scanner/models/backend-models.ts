/**
 * Models a local model server offers — Ollama's installed models, LlamaFarm's projects — as scan
 * findings, through core's `InferenceBackend` (the node passes the real backends). A server that is
 * not running is "not detected", a slow one "timed out", one that answers badly "failed": the scan
 * goes on either way; only an abort of the caller's signal throws.
 */
import type {
  BackendModel,
  Clock,
  InferenceBackend,
  ModelFinding,
  ModelKind,
  ModelSource,
  ProbeRun,
} from '../../core/index.js';
import { BackendTimeoutError, BackendUnavailableError } from '../../core/index.js';

/** How long listing one server's models may take within a scan (the whole scan aims at ≤ 5 s). */
export const DEFAULT_BACKEND_SCAN_TIMEOUT_MS = 3_000;

/** Families of embedding-only models, for servers that do not say what a model does. */
export const EMBEDDING_FAMILIES: readonly string[] = ['bert', 'nomic-bert', 'nomic-bert-moe', 'jina-bert-v2'];

export interface ModelsFromBackendOptions {
  readonly signal?: AbortSignal;
  /** Default `DEFAULT_BACKEND_SCAN_TIMEOUT_MS`. */
  readonly timeoutMs?: number;
  /** Measures the probe's duration; default `performance.now()`. */
  readonly clock?: Clock;
}

const monotonicClock: Clock = { now: () => performance.now() };

/** What the report calls the server: `Ollama is not running at http://127.0.0.1:11434`. */
function serverName(backend: InferenceBackend): string {
  switch (backend.kind) {
    case 'ollama':
      return 'Ollama';
    case 'llamafarm':
      return 'LlamaFarm';
    default:
      return backend.name;
  }
}

function kindOf(model: BackendModel): ModelKind {
  if (model.kind === 'embed') return 'embedding';
  if (model.kind === 'rag') return 'rag';
  if (model.family !== null && EMBEDDING_FAMILIES.includes(model.family)) return 'embedding';
  return 'chat';
}

function taskOf(model: BackendModel, kind: ModelKind): string | null {
  if (kind === 'embedding') return 'embedding';
  if (model.features.length > 0) return model.features.join(', ');
  return kind === 'rag' ? 'chat over documents' : null;
}

/** One backend model as a scan finding. */
export function findingFromBackendModel(
  model: BackendModel,
  source: ModelSource,
  location: string,
): ModelFinding {
  const kind = kindOf(model);
  return {
    source,
    id: model.id,
    name: model.name,
    kind,
    task: taskOf(model, kind),
    family: model.family,
    parameterSize: model.parameterSize === '' ? null : model.parameterSize,
    quantization: model.quantization === '' ? null : model.quantization,
    sizeBytes: model.sizeBytes !== null && model.sizeBytes >= 0 ? Math.round(model.sizeBytes) : null,
    contextLength: model.contextLength !== null && model.contextLength > 0 ? model.contextLength : null,
    location,
  };
}

/**
 * Lists the models of `backend` (Ollama or LlamaFarm) as findings, with a probe named after the
 * backend (`ollama`, `llamafarm`). Never throws except when `options.signal` aborts.
 */
export async function modelsFromBackend(
  backend: InferenceBackend,
  options: ModelsFromBackendOptions = {},
): Promise<{ models: ModelFinding[]; probe: ProbeRun }> {
  const clock = options.clock ?? monotonicClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_BACKEND_SCAN_TIMEOUT_MS;
  const started = clock.now();
  const probe = (status: ProbeRun['status'], detail: string | null): ProbeRun => ({
    id: backend.name,
    status,
    durationMs: Math.max(0, Math.round(clock.now() - started)),
    detail,
  });
  options.signal?.throwIfAborted();

  const source: ModelSource | null =
    backend.kind === 'ollama' ? 'ollama' : backend.kind === 'llamafarm' ? 'llamafarm' : null;
  if (source === null) {
    return {
      models: [],
      probe: probe(
        'not_detected',
        `${backend.name} is a remote provider, not a model server on this machine`,
      ),
    };
  }

  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const name = serverName(backend);
  try {
    const listed = await backend.listModels({ signal });
    const models = listed.map((m) => findingFromBackendModel(m, source, backend.url));
    const what = source === 'llamafarm' ? 'project' : 'model';
    return {
      models,
      probe: probe('ok', `${models.length} ${what}${models.length === 1 ? '' : 's'} at ${backend.url}`),
    };
  } catch (err) {
    options.signal?.throwIfAborted();
    if (timeout.aborted || err instanceof BackendTimeoutError) {
      return { models: [], probe: probe('timed_out', `${name} did not answer within ${timeoutMs} ms`) };
    }
    if (err instanceof BackendUnavailableError) {
      return { models: [], probe: probe('not_detected', `${name} is not running at ${backend.url}`) };
    }
    const reason = err instanceof Error ? err.message : String(err);
    return {
      models: [],
      probe: probe('failed', `${name} at ${backend.url} could not list its models: ${reason}`),
    };
  }
}
