/**
 * The models half of `atmosphere scan` (seed Parts 1.1 and 6): what model servers offer
 * (`modelsFromBackend`: Ollama's models, LlamaFarm's projects) and what lies on disk
 * (`scanModelFiles`: the HuggingFace cache, GGUF files read for real, transformers model folders),
 * each as `ModelFinding`s with a `ProbeRun` that tells "not detected" apart from "failed".
 */
export type { ModelsFromBackendOptions } from './backend-models.js';
export {
  DEFAULT_BACKEND_SCAN_TIMEOUT_MS,
  EMBEDDING_FAMILIES,
  findingFromBackendModel,
  modelsFromBackend,
} from './backend-models.js';
export type { ScanModelFilesOptions } from './scan-model-files.js';
export {
  DEFAULT_MODEL_SEARCH_MAX_DEPTH,
  DEFAULT_MODEL_SEARCH_MAX_ENTRIES,
  DEFAULT_MODEL_SEARCH_PATHS,
  DEFAULT_MODEL_SEARCH_TIME_BUDGET_MS,
  scanModelFiles,
} from './scan-model-files.js';
export { DEFAULT_GGUF_MAX_HEADER_BYTES } from './gguf-files.js';
export { GGUF_INITIAL_READ_BYTES } from './fs-helpers.js';
export { SKIPPED_FOLDER_NAMES } from './model-walk.js';
export { huggingFaceHubDir, repoIdFromFolder } from './huggingface-cache.js';
export type { ReadBytes } from './read-bytes.js';
export { readFilePrefix } from './read-bytes.js';
export type {
  GgufArraySummary,
  GgufHeader,
  GgufParseResult,
  GgufValue,
  GgufValueType,
  ParseGgufOptions,
} from './gguf-header.js';
export {
  GGUF_FILE_TYPES,
  GGUF_MAGIC,
  GGUF_VALUE_TYPES,
  SUPPORTED_GGUF_VERSIONS,
  ggufFileTypeName,
  parseGgufHeader,
} from './gguf-header.js';
export type { GgufDescription, TransformersFacts } from './classify.js';
export {
  GGUF_EMBEDDING_ARCHITECTURES,
  PIPELINE_TAG_KINDS,
  describeGguf,
  guessTransformersKind,
  quantizationFromName,
  sizeLabelFromName,
  transformersTask,
} from './classify.js';
