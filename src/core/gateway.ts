/**
 * The seam between the OpenAI-compatible API (`/v1/*`) and the node that routes and executes work:
 * the API turns HTTP into `ChatRequest`s and receipts into headers; the gateway (built in the
 * composition root) picks a node by route decision and runs the work there, locally or over the mesh.
 */
import type {
  BackendModelKind,
  ChatChunk,
  ChatRequest,
  ChatResult,
  EmbedRequest,
  EmbedResult,
} from './inference.js';

/** A model somewhere in the mesh (what `/v1/models` lists). */
export interface MeshModel {
  /** The model id as its backend names it (`llama3.2:3b`, `default/camelids`, `gpt-4o-mini`). */
  readonly id: string;
  readonly kind: BackendModelKind;
  readonly nodeId: string;
  readonly nodeName: string;
  /** The capability that serves it (`ollama/llama3.2:3b`). */
  readonly capabilityId: string;
  /** This node's own model (no mesh hop). */
  readonly local: boolean;
}

/** One node tried while executing a request. */
export interface RouteAttempt {
  readonly nodeId: string;
  readonly capabilityId: string;
  /** Null when this attempt served the request. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Where a request ran and why: sent as `X-Atmosphere-*` headers, explained at `/api/routes/{id}`. */
export interface RouteReceipt {
  readonly routeId: string;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly capabilityId: string;
  readonly model: string;
  /** `auto` when the router chose by the conversation, `explicit` when the request named a model. */
  readonly mode: 'auto' | 'explicit';
  /** Every node tried, in order; the last one served (earlier ones failed before the first byte). */
  readonly attempts: readonly RouteAttempt[];
}

/** The full explanation of a route, kept for a while after the request. */
export interface RouteExplanation {
  readonly receipt: RouteReceipt;
  readonly atMs: number;
  /** The intent text routed on (the conversation's last user turn for `model: "auto"`). */
  readonly intent: string | null;
  /** The router's decision: candidates with semantic score, cost, score and reasons. */
  readonly decision: unknown;
}

export interface GatewayCallOptions {
  readonly signal?: AbortSignal;
  /** Who asked (`local`, or a node id when the request arrived over the mesh). */
  readonly requester: string;
}

export interface InferenceGateway {
  /** Every routable model in the mesh, with the node that has it. */
  models(): readonly MeshModel[];
  /** `request.model` is a model id or `auto`. */
  chat(
    request: ChatRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; result: ChatResult }>;
  /**
   * Resolves once the chosen node produced its first chunk (a node that fails before that is
   * replaced by the next candidate, and the receipt says so); the stream then yields every chunk
   * including the first.
   */
  chatStream(
    request: ChatRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; stream: AsyncIterable<ChatChunk> }>;
  embed(
    request: EmbedRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; result: EmbedResult }>;
  explain(routeId: string): RouteExplanation | undefined;
}

/**
 * The invoke target a member (e.g. a phone, which has no router of its own) sends a chat to when it
 * wants the node to route it (`model: "auto"`) and run it wherever the router chooses. Replies: one
 * `{ type: 'receipt', receipt }` frame, then `{ type: 'chunk', chunk }` frames. docs/PROTOCOLS.md.
 */
export const MESH_ROUTE_CAPABILITY = 'atmosphere/route';

/** A frame of the reply to a `MESH_ROUTE_CAPABILITY` request. */
export type MeshRouteFrame =
  | { readonly type: 'receipt'; readonly receipt: RouteReceipt }
  | { readonly type: 'chunk'; readonly chunk: ChatChunk };
