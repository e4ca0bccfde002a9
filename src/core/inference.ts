/**
 * The inference seam: what a model server (Ollama, LlamaFarm, an OpenAI-compatible cloud provider)
 * offers the node, as one interface and plain data. Implementations live in `integrations/` and are
 * named after their technology (`OllamaBackend implements InferenceBackend`). Domain types here are
 * camelCase; the OpenAI wire shapes (snake_case) stay at the HTTP edge and in the integrations.
 *
 * Every call takes `{ signal?: AbortSignal }` last; aborting it stops the upstream request. Streams
 * are `AsyncIterable<ChatChunk>`: stopping the iteration early (`break`) also stops the upstream
 * request. Failures are the `Backend*Error` classes and `ModelNotFoundError` from `errors.ts`.
 */
import type { JsonSchema } from './capability.js';
import type { ModelPrice } from './model-prices.js';

// ---- backends and their models ------------------------------------------------------------

/** The technology behind a backend. */
export type BackendKind = 'ollama' | 'llamafarm' | 'openai-compatible';

/**
 * What a model does. `rag` is chat over a document collection (a LlamaFarm project): it takes the
 * same `ChatRequest` as `chat`.
 */
export type BackendModelKind = 'chat' | 'embed' | 'rag';

/** Optional abilities of a model, as far as the backend can tell. */
export type ModelFeature = 'tools' | 'vision' | 'thinking' | 'completion';

/** A model (or LlamaFarm project) a backend offers. Fields the backend cannot know are null. */
export interface BackendModel {
  /** What `ChatRequest.model` / `EmbedRequest.model` takes: `llama3.2:3b`, `default/chatbot`, `gpt-4o-mini`. */
  readonly id: string;
  /** Human-readable name. */
  readonly name: string;
  readonly kind: BackendModelKind;
  readonly features: readonly ModelFeature[];
  /** Architecture family, e.g. `llama`, `qwen2`, `bert`. */
  readonly family: string | null;
  /** As the backend writes it, e.g. `8.0B`. */
  readonly parameterSize: string | null;
  /** As the backend writes it, e.g. `Q4_K_M`. */
  readonly quantization: string | null;
  /** Size on disk. */
  readonly sizeBytes: number | null;
  /** Longest context the model supports, in tokens. */
  readonly contextLength: number | null;
  /** In memory right now; null when the backend cannot tell (cloud providers). */
  readonly loaded: boolean | null;
  /** GPU memory the loaded model occupies. */
  readonly vramBytes: number | null;
  readonly description: string | null;
  /** Dollar price for metered (cloud) models; null for local ones and unknown prices. */
  readonly price: ModelPrice | null;
}

export type BackendStatus = 'ok' | 'degraded' | 'unreachable' | 'error';

/** The result of probing a backend. `health()` reports failures here instead of throwing. */
export interface BackendHealth {
  /** The backend's name (`ollama`, `llamafarm`, or the cloud provider's configured name). */
  readonly backend: string;
  readonly kind: BackendKind;
  readonly url: string;
  readonly status: BackendStatus;
  /** The server's version, when it reports one. */
  readonly version: string | null;
  readonly latencyMs: number | null;
  /** Why the status is not `ok` (e.g. "connection refused at http://127.0.0.1:11434"). */
  readonly detail: string | null;
  /** The `code` of the error behind a non-`ok` status. */
  readonly errorCode: string | null;
}

// ---- chat ---------------------------------------------------------------------------------

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A call the model asked for. `arguments` is a JSON text, as in OpenAI's API. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export interface ChatMessage {
  readonly role: ChatRole;
  /** Null for an assistant message that only calls tools. */
  readonly content: string | null;
  /** Optional participant name (OpenAI `name`). */
  readonly name?: string;
  /** The calls an assistant message made. */
  readonly toolCalls?: readonly ToolCall[];
  /** On a `tool` message: the call it answers. */
  readonly toolCallId?: string;
}

/** A function the model may call. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments. */
  readonly parameters?: JsonSchema;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly topP?: number;
  /** Most tokens to generate (OpenAI `max_tokens`, Ollama `num_predict`). */
  readonly maxTokens?: number;
  readonly stop?: readonly string[];
  readonly seed?: number;
  readonly tools?: readonly ToolDefinition[];
  /** Backends that cannot force a choice treat anything but `none` as `auto`. */
  readonly toolChoice?: ToolChoice;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

/** A piece of a streamed tool call; pieces with the same `index` concatenate into one `ToolCall`. */
export interface ToolCallDelta {
  readonly index: number;
  readonly id?: string;
  readonly name?: string;
  /** A piece of the JSON arguments text. */
  readonly arguments?: string;
}

/**
 * One piece of a streamed answer. Exactly one chunk carries `finishReason`: the last one, which also
 * carries `usage` when the backend reports token counts.
 */
export interface ChatChunk {
  /** Text appended to the answer (may be empty). */
  readonly content: string;
  /** Reasoning text of thinking models, kept apart from the answer. */
  readonly reasoning?: string;
  readonly toolCalls?: readonly ToolCallDelta[];
  readonly finishReason?: FinishReason;
  readonly usage?: TokenUsage;
}

export interface ChatResult {
  /** The model that answered, as the backend names it. */
  readonly model: string;
  readonly content: string;
  readonly reasoning: string | null;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Null when the backend reports no token counts. */
  readonly usage: TokenUsage | null;
}

// ---- completion and embeddings --------------------------------------------------------------

/** A raw prompt completion (Ollama's `/api/generate`). */
export interface GenerateRequest {
  readonly model: string;
  readonly prompt: string;
  readonly system?: string;
  readonly temperature?: number;
  readonly topP?: number;
  readonly maxTokens?: number;
  readonly stop?: readonly string[];
  readonly seed?: number;
}

export interface EmbedRequest {
  readonly model: string;
  readonly input: readonly string[];
}

export interface EmbedResult {
  readonly model: string;
  /** One vector per input, in input order. */
  readonly embeddings: readonly (readonly number[])[];
  /** Tokens read, when the backend reports it. */
  readonly promptTokens: number | null;
}

// ---- the seam -------------------------------------------------------------------------------

export interface BackendCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * A model server the node can use. `embed`, `generate` and `generateStream` are present only on
 * backends that support them.
 */
export interface InferenceBackend {
  readonly kind: BackendKind;
  /** `ollama`, `llamafarm`, or the cloud provider's configured name (`openai`, `groq` ...). */
  readonly name: string;
  /** Base URL the backend talks to. */
  readonly url: string;
  /** Probes the server; reports failures in the result rather than throwing (except on abort). */
  health(options?: BackendCallOptions): Promise<BackendHealth>;
  listModels(options?: BackendCallOptions): Promise<readonly BackendModel[]>;
  chat(request: ChatRequest, options?: BackendCallOptions): Promise<ChatResult>;
  chatStream(request: ChatRequest, options?: BackendCallOptions): AsyncIterable<ChatChunk>;
  generate?(request: GenerateRequest, options?: BackendCallOptions): Promise<ChatResult>;
  generateStream?(request: GenerateRequest, options?: BackendCallOptions): AsyncIterable<ChatChunk>;
  embed?(request: EmbedRequest, options?: BackendCallOptions): Promise<EmbedResult>;
}

// ---- helpers --------------------------------------------------------------------------------

export function tokenUsage(promptTokens: number, completionTokens: number): TokenUsage {
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/**
 * Folds a chunk stream into the `ChatResult` a non-streaming call would return: content and
 * reasoning concatenated, tool-call pieces joined by index, the finish reason and usage of the end.
 */
export class ChatResultBuilder {
  private content = '';
  private reasoning = '';
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
  private finishReason: FinishReason | null = null;
  private usage: TokenUsage | null = null;

  add(chunk: ChatChunk): void {
    this.content += chunk.content;
    if (chunk.reasoning !== undefined) this.reasoning += chunk.reasoning;
    for (const delta of chunk.toolCalls ?? []) {
      const call = this.calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
      if (delta.id !== undefined && delta.id !== '') call.id = delta.id;
      if (delta.name !== undefined) call.name += delta.name;
      if (delta.arguments !== undefined) call.arguments += delta.arguments;
      this.calls.set(delta.index, call);
    }
    if (chunk.finishReason !== undefined) this.finishReason = chunk.finishReason;
    if (chunk.usage !== undefined) this.usage = chunk.usage;
  }

  /** Whether a chunk with a finish reason has been added. */
  get finished(): boolean {
    return this.finishReason !== null;
  }

  result(model: string): ChatResult {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        id: call.id === '' ? `call_${index}` : call.id,
        name: call.name,
        arguments: call.arguments,
      }));
    return {
      model,
      content: this.content,
      reasoning: this.reasoning === '' ? null : this.reasoning,
      toolCalls,
      finishReason: this.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      usage: this.usage,
    };
  }
}
