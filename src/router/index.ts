/**
 * The router: embedders and the capability index; intent → ranked candidates with scores and
 * reasons, or "no capability". The built-in `WordVectorEmbedder` needs no model server: a compact
 * GloVe word-vector table shipped in `data/word-vectors.bin`, loaded on first use. See
 * docs/ROUTING.md.
 */
export { SemanticRouter, DEFAULT_ROUTE_THRESHOLD } from './router.js';
export type {
  ActionKind,
  RouteCandidate,
  RouteChoice,
  RouteDecision,
  SemanticRouterComponents,
  SemanticRouterInit,
  ToolChoice,
} from './router.js';
export {
  predicateConstraint,
  requestedModelConstraint,
  requestedTypeConstraint,
  typeMatches,
} from './constraints.js';
export type { RouteConstraint, RouteRequest } from './constraints.js';
export {
  BUILTIN_EMBEDDER_ID,
  WordVectorEmbedder,
  embedWithTable,
  isWordVectorProvider,
  rankWeight,
} from './builtin-embedder.js';
export type {
  WordVectorEmbedderComponents,
  WordVectorEmbedderInit,
  WordVectorProvider,
} from './builtin-embedder.js';
export {
  DEFAULT_WORD_VECTORS_URL,
  WordVectorTable,
  WordVectorTableError,
  loadWordVectorTable,
} from './word-vectors.js';
export type { WordVectorTableHeader } from './word-vectors.js';
export { analyzeIntent } from './intent.js';
export type { AnalyzedIntent, IntentForm } from './intent.js';
export { TYPE_EXAMPLES, examplesForType } from './type-examples.js';
export type { TypeExample } from './type-examples.js';
export { CATALOG_NODE_ID, parseCatalog } from './catalog.js';
export { evaluateRouting, judge, parseIntents, summarize } from './evaluate.js';
export type { EvalDecision, EvalItem, EvalReport, Rate } from './evaluate.js';
