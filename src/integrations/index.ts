/**
 * Integrations with the outside world's model servers, each an `InferenceBackend` (core's seam):
 * Ollama, LlamaFarm and OpenAI-compatible cloud providers, plus `discoverBackends` to find the ones
 * that answer, and `OllamaEmbedder` (core's `Embedder` over Ollama's `/api/embed`, for the router).
 * Built on one HTTP helper (JSON, NDJSON and SSE streaming with timeouts as signals
 * and typed errors). The Matter bridge (`matter/`) loads matter.js only when it starts.
 * (MCP comes later.)
 */
export { OllamaBackend } from './ollama-backend.js';
export type { OllamaBackendInit, LoadedModel } from './ollama-backend.js';
export { LlamaFarmBackend, parseProjectId } from './llamafarm-backend.js';
export type { LlamaFarmBackendInit } from './llamafarm-backend.js';
export { OpenAiCompatibleBackend } from './openai-compatible-backend.js';
export type { OpenAiCompatibleBackendInit } from './openai-compatible-backend.js';
export { discoverBackends, createBackends, probeBackend } from './discover-backends.js';
export type { DiscoverBackendsInput, DiscoveredBackend } from './discover-backends.js';
export type { BackendComponents } from './backend-support.js';
export {
  DEFAULT_INFERENCE_TIMEOUT_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
} from './backend-support.js';
export {
  DEFAULT_OLLAMA_URL,
  DEFAULT_LLAMAFARM_URL,
  ollamaUrlFromHost,
  resolveOllamaUrl,
} from './backend-urls.js';
export {
  OllamaEmbedder,
  DEFAULT_OLLAMA_EMBED_MODEL,
  DEFAULT_EMBED_BATCH_SIZE,
  DEFAULT_EMBED_CACHE_SIZE,
  DEFAULT_EMBED_PROBE_TIMEOUT_MS,
  DEFAULT_EMBED_TIMEOUT_MS,
} from './ollama-embedder.js';
export type { OllamaEmbedderComponents, OllamaEmbedderInit, OllamaEmbedderProbe } from './ollama-embedder.js';
export { HttpClient, parseUpstream } from './http.js';
export type { HttpClientInit, HttpRequest, UpstreamErrorInfo } from './http.js';
export { ndjson, sseEvents, textLines } from './stream-parsers.js';
export type { SseEvent } from './stream-parsers.js';
export {
  MatterBridge,
  mapMatterNode,
  kindOfEndpoint,
  crossedThresholds,
  MATTER_CLUSTERS,
  MATTER_DEVICE_TYPES,
} from './matter/index.js';
export type {
  DiscoveredMatterDevice,
  MappedCapability,
  MatterBridgeInit,
  MatterDeviceKind,
  MatterDeviceState,
  MatterDeviceStatus,
  MatterNodeInfo,
  MatterTriggerEvent,
} from './matter/index.js';
