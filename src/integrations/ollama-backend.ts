/**
 * Ollama (https://github.com/ollama/ollama/blob/main/docs/api.md) behind `InferenceBackend`:
 * models from `/api/tags` (kind, features and context length from `/api/show`, loaded state and
 * VRAM from `/api/ps`), chat from `/api/chat`, completion from `/api/generate`, embeddings from
 * `/api/embed`. Streams are NDJSON objects ending with one that has `done: true` and the token
 * counts; an error mid-stream arrives as a line `{"error": "..."}`.
 */
import { z } from 'zod';
import type {
  BackendCallOptions,
  BackendHealth,
  BackendModel,
  BackendModelKind,
  ChatChunk,
  ChatMessage,
  ChatRequest,
  ChatResult,
  Clock,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  GenerateRequest,
  InferenceBackend,
  Logger,
  ModelFeature,
  ToolCall,
  ToolCallDelta,
  TokenUsage,
} from '../core/index.js';
import {
  AbortedError,
  BackendError,
  BackendStreamInterruptedError,
  InvalidInputError,
  mapLimit,
  tokenUsage,
} from '../core/index.js';
import type { BackendComponents } from './backend-support.js';
import {
  DEFAULT_INFERENCE_TIMEOUT_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  failedHealth,
} from './backend-support.js';
import { DEFAULT_OLLAMA_URL } from './backend-urls.js';
import type { HttpRequest } from './http.js';
import { HttpClient, parseUpstream } from './http.js';
import { readErrorBody } from './openai-wire.js';

export interface OllamaBackendInit {
  /** Default `http://127.0.0.1:11434`; see `resolveOllamaUrl` for `OLLAMA_HOST`. */
  readonly url?: string;
  /** Chat/generate/embed: whole request, or until a stream starts (loading a model can be slow). Default 300 s. */
  readonly timeoutMs?: number;
  /** Health and model listing. Default 5 s. */
  readonly probeTimeoutMs?: number;
  /** Longest silence between streamed pieces. Default 120 s. */
  readonly streamIdleTimeoutMs?: number;
  /** Ollama's `keep_alive` for requests (e.g. `"10m"`, `-1`); default: the server's own. */
  readonly keepAlive?: string | number;
  /** Ask `/api/show` for each model's capabilities and context length. Default true. */
  readonly showDetails?: boolean;
}

const detailsSchema = z
  .object({
    family: z.string().nullish(),
    families: z.array(z.string()).nullish(),
    parameter_size: z.string().nullish(),
    quantization_level: z.string().nullish(),
  })
  .nullish();

const tagsSchema = z.object({
  models: z
    .array(
      z.object({
        name: z.string(),
        model: z.string().nullish(),
        size: z.number().nullish(),
        details: detailsSchema,
      }),
    )
    .nullish(),
});

const psSchema = z.object({
  models: z
    .array(
      z.object({
        name: z.string(),
        model: z.string().nullish(),
        size_vram: z.number().nullish(),
        context_length: z.number().nullish(),
      }),
    )
    .nullish(),
});

const showSchema = z.object({
  capabilities: z.array(z.string()).nullish(),
  model_info: z.record(z.string(), z.unknown()).nullish(),
});

const versionSchema = z.object({ version: z.string() });

/** A model in memory (`/api/ps`): its GPU memory and the context length it was loaded with. */
export interface LoadedModel {
  readonly vramBytes: number | null;
  readonly contextLength: number | null;
}

const toolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.object({
    name: z.string(),
    arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  }),
});

/** One `/api/chat` object (the whole answer, or one piece of a stream). */
const chatPieceSchema = z.object({
  model: z.string().nullish(),
  message: z
    .object({
      content: z.string().nullish(),
      thinking: z.string().nullish(),
      tool_calls: z.array(toolCallSchema).nullish(),
    })
    .nullish(),
  done: z.boolean(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().nullish(),
  eval_count: z.number().nullish(),
});

/** One `/api/generate` object. */
const generatePieceSchema = z.object({
  model: z.string().nullish(),
  response: z.string().nullish(),
  thinking: z.string().nullish(),
  done: z.boolean(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().nullish(),
  eval_count: z.number().nullish(),
});

const embedSchema = z.object({
  model: z.string().nullish(),
  embeddings: z.array(z.array(z.number())),
  prompt_eval_count: z.number().nullish(),
});

type ChatPiece = z.infer<typeof chatPieceSchema>;
type GeneratePiece = z.infer<typeof generatePieceSchema>;

/** The fields a streamed piece contributes, for chat and generate alike. */
interface Piece {
  readonly model: string | null;
  readonly content: string;
  readonly reasoning: string;
  readonly toolCalls: readonly z.infer<typeof toolCallSchema>[];
  readonly done: boolean;
  readonly doneReason: string | null;
  readonly usage: TokenUsage | null;
}

function usageOf(p: { prompt_eval_count?: number | null; eval_count?: number | null }): TokenUsage | null {
  if (p.prompt_eval_count == null && p.eval_count == null) return null;
  return tokenUsage(p.prompt_eval_count ?? 0, p.eval_count ?? 0);
}

function chatPiece(p: ChatPiece): Piece {
  return {
    model: p.model ?? null,
    content: p.message?.content ?? '',
    reasoning: p.message?.thinking ?? '',
    toolCalls: p.message?.tool_calls ?? [],
    done: p.done,
    doneReason: p.done_reason ?? null,
    usage: p.done ? usageOf(p) : null,
  };
}

const isText = (v: unknown): v is string | null | undefined =>
  v === undefined || v === null || typeof v === 'string';
const isCount = (v: unknown): v is number | null | undefined =>
  v === undefined || v === null || typeof v === 'number';
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A streamed `/api/chat` piece without tool calls, checked by hand: one arrives per token, and the
 * schema cost more than the rest of the line's work. The rules of `chatPieceSchema`; anything else
 * (tool calls, an error line, a value the rules refuse) is null and takes the schema's path.
 */
function quickChatPiece(value: unknown): Piece | null {
  if (!isRecord(value) || typeof value.done !== 'boolean' || 'error' in value) return null;
  const { model, message, done_reason: doneReason, prompt_eval_count, eval_count } = value;
  if (!isText(model) || !isText(doneReason) || !isCount(prompt_eval_count) || !isCount(eval_count))
    return null;
  let content: string | null | undefined;
  let thinking: string | null | undefined;
  if (message !== undefined && message !== null) {
    if (!isRecord(message)) return null;
    const toolCalls = message.tool_calls;
    if (
      !isText(message.content) ||
      !isText(message.thinking) ||
      (toolCalls !== undefined && toolCalls !== null)
    )
      return null;
    content = message.content;
    thinking = message.thinking;
  }
  return {
    model: model ?? null,
    content: content ?? '',
    reasoning: thinking ?? '',
    toolCalls: [],
    done: value.done,
    doneReason: doneReason ?? null,
    usage: value.done ? usageOf({ prompt_eval_count, eval_count }) : null,
  };
}

function generatePiece(p: GeneratePiece): Piece {
  return {
    model: p.model ?? null,
    content: p.response ?? '',
    reasoning: p.thinking ?? '',
    toolCalls: [],
    done: p.done,
    doneReason: p.done_reason ?? null,
    usage: p.done ? usageOf(p) : null,
  };
}

function finishReason(doneReason: string | null, hasToolCalls: boolean): FinishReason {
  if (doneReason === 'length') return 'length';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

function argumentsText(value: Record<string, unknown> | string | null | undefined): string {
  if (value === null || value === undefined) return '{}';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Ollama takes tool arguments as an object, not a JSON text. */
function argumentsObject(call: ToolCall): unknown {
  if (call.arguments.trim() === '') return {};
  try {
    return JSON.parse(call.arguments) as unknown;
  } catch {
    throw new InvalidInputError(`tool call ${call.id} (${call.name}) has arguments that are not JSON`, {
      details: { param: 'messages' },
    });
  }
}

function toOllamaMessages(messages: readonly ChatMessage[]): Record<string, unknown>[] {
  const toolNames = new Map<string, string>();
  return messages.map((m) => {
    for (const call of m.toolCalls ?? []) toolNames.set(call.id, call.name);
    const out: Record<string, unknown> = { role: m.role, content: m.content ?? '' };
    if (m.toolCalls !== undefined && m.toolCalls.length > 0) {
      out.tool_calls = m.toolCalls.map((c) => ({
        function: { name: c.name, arguments: argumentsObject(c) },
      }));
    }
    if (m.role === 'tool' && m.toolCallId !== undefined) {
      const name = toolNames.get(m.toolCallId);
      if (name !== undefined) out.tool_name = name;
    }
    return out;
  });
}

/** Ollama's `options` for the sampling fields both chat and generate have. */
function ollamaOptions(r: {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: readonly string[];
  seed?: number;
}): Record<string, unknown> | undefined {
  const options: Record<string, unknown> = {};
  if (r.temperature !== undefined) options.temperature = r.temperature;
  if (r.topP !== undefined) options.top_p = r.topP;
  if (r.maxTokens !== undefined) options.num_predict = r.maxTokens;
  if (r.stop !== undefined && r.stop.length > 0) options.stop = [...r.stop];
  if (r.seed !== undefined) options.seed = r.seed;
  return Object.keys(options).length === 0 ? undefined : options;
}

/** Embedding-only families, for servers too old to report capabilities in `/api/show`. */
function looksLikeEmbedding(name: string, family: string | null): boolean {
  return /bert/i.test(family ?? '') || /embed/i.test(name);
}

export class OllamaBackend implements InferenceBackend {
  readonly kind = 'ollama' as const;
  readonly name = 'ollama';
  readonly url: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly http: HttpClient;
  private readonly probeTimeoutMs: number;
  private readonly keepAlive: string | number | undefined;
  private readonly showDetails: boolean;

  constructor(components: BackendComponents, init: OllamaBackendInit = {}) {
    this.clock = components.clock;
    this.logger = components.logger.child('ollama');
    this.url = (init.url ?? DEFAULT_OLLAMA_URL).replace(/\/+$/, '');
    this.probeTimeoutMs = init.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.keepAlive = init.keepAlive;
    this.showDetails = init.showDetails ?? true;
    this.http = new HttpClient(
      { logger: this.logger },
      {
        backend: this.name,
        baseUrl: this.url,
        timeoutMs: init.timeoutMs ?? DEFAULT_INFERENCE_TIMEOUT_MS,
        streamIdleTimeoutMs: init.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
        readErrorBody,
      },
    );
  }

  async health(options: BackendCallOptions = {}): Promise<BackendHealth> {
    const identity = { backend: this.name, kind: this.kind, url: this.url };
    const started = this.clock.now();
    try {
      const body = await this.http.json(
        { method: 'GET', path: '/api/version', timeoutMs: this.probeTimeoutMs },
        options,
      );
      const { version } = parseUpstream(versionSchema, body, this.name, '/api/version response');
      return {
        ...identity,
        status: 'ok',
        version,
        latencyMs: this.clock.now() - started,
        detail: null,
        errorCode: null,
      };
    } catch (err) {
      return failedHealth(err, identity);
    }
  }

  async listModels(options: BackendCallOptions = {}): Promise<readonly BackendModel[]> {
    const probe = { timeoutMs: this.probeTimeoutMs };
    const [tagsBody, loaded] = await Promise.all([
      this.http.json({ method: 'GET', path: '/api/tags', ...probe }, options),
      this.listLoaded(options),
    ]);
    const tags = parseUpstream(tagsSchema, tagsBody, this.name, '/api/tags response').models ?? [];
    return mapLimit(tags, 4, async (tag) => {
      const family = tag.details?.family ?? null;
      const shown = this.showDetails ? await this.show(tag.name, options) : null;
      const running = loaded?.get(tag.name) ?? (tag.model == null ? undefined : loaded?.get(tag.model));
      const kind: BackendModelKind =
        shown?.capabilities != null
          ? shown.capabilities.includes('embedding') && !shown.capabilities.includes('completion')
            ? 'embed'
            : 'chat'
          : looksLikeEmbedding(tag.name, family)
            ? 'embed'
            : 'chat';
      const features: ModelFeature[] =
        shown?.capabilities != null
          ? (['tools', 'vision', 'thinking', 'completion'] as const).filter((f) =>
              shown.capabilities!.includes(f),
            )
          : kind === 'chat'
            ? ['completion']
            : [];
      return {
        id: tag.name,
        name: tag.name,
        kind,
        features,
        family,
        parameterSize: tag.details?.parameter_size ?? null,
        quantization: tag.details?.quantization_level ?? null,
        sizeBytes: tag.size ?? null,
        contextLength: shown?.contextLength ?? null,
        loaded: loaded === null ? null : running !== undefined,
        vramBytes: running?.vramBytes ?? null,
        description: null,
        price: null,
      } satisfies BackendModel;
    });
  }

  /** Models in memory right now (`/api/ps`), by name; null if the server would not say. */
  async listLoaded(options: BackendCallOptions = {}): Promise<ReadonlyMap<string, LoadedModel> | null> {
    try {
      const body = await this.http.json(
        { method: 'GET', path: '/api/ps', timeoutMs: this.probeTimeoutMs },
        options,
      );
      const ps = parseUpstream(psSchema, body, this.name, '/api/ps response').models ?? [];
      const byName = new Map<string, LoadedModel>();
      for (const m of ps) {
        const loaded = { vramBytes: m.size_vram ?? null, contextLength: m.context_length ?? null };
        byName.set(m.name, loaded);
        if (m.model != null) byName.set(m.model, loaded);
      }
      return byName;
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      this.logger.debug({ err: String(err) }, 'could not list loaded models');
      return null;
    }
  }

  private async show(
    model: string,
    options: BackendCallOptions,
  ): Promise<{ capabilities: readonly string[] | null; contextLength: number | null } | null> {
    try {
      const body = await this.http.json(
        { method: 'POST', path: '/api/show', body: { model }, model, timeoutMs: this.probeTimeoutMs },
        options,
      );
      const shown = parseUpstream(showSchema, body, this.name, '/api/show response');
      const info = shown.model_info ?? {};
      const arch = info['general.architecture'];
      const ctx =
        (typeof arch === 'string' ? info[`${arch}.context_length`] : undefined) ??
        Object.entries(info).find(([k]) => k.endsWith('.context_length'))?.[1];
      return {
        capabilities: shown.capabilities ?? null,
        contextLength: typeof ctx === 'number' ? ctx : null,
      };
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      this.logger.debug({ model, err: String(err) }, 'could not read model details');
      return null;
    }
  }

  private chatBody(request: ChatRequest, stream: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: request.model,
      messages: toOllamaMessages(request.messages),
      stream,
    };
    const options = ollamaOptions(request);
    if (options !== undefined) body.options = options;
    // Ollama cannot force a tool; `none` is honoured by not offering any.
    if (request.tools !== undefined && request.tools.length > 0 && request.toolChoice !== 'none') {
      body.tools = request.tools.map((t) => ({
        type: 'function',
        function: {
          name: t.name,
          ...(t.description === undefined ? {} : { description: t.description }),
          parameters: t.parameters ?? { type: 'object', properties: {} },
        },
      }));
    }
    if (this.keepAlive !== undefined) body.keep_alive = this.keepAlive;
    return body;
  }

  private generateBody(request: GenerateRequest, stream: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = { model: request.model, prompt: request.prompt, stream };
    if (request.system !== undefined) body.system = request.system;
    const options = ollamaOptions(request);
    if (options !== undefined) body.options = options;
    if (this.keepAlive !== undefined) body.keep_alive = this.keepAlive;
    return body;
  }

  async chat(request: ChatRequest, options: BackendCallOptions = {}): Promise<ChatResult> {
    const body = await this.http.json(
      { method: 'POST', path: '/api/chat', body: this.chatBody(request, false), model: request.model },
      options,
    );
    return this.result(chatPiece(this.parsePiece(chatPieceSchema, body, '/api/chat')), request.model);
  }

  chatStream(request: ChatRequest, options: BackendCallOptions = {}): AsyncIterable<ChatChunk> {
    const body = this.chatBody(request, true);
    return this.pieces(
      { method: 'POST', path: '/api/chat', body, model: request.model },
      (value) => quickChatPiece(value) ?? chatPiece(this.parsePiece(chatPieceSchema, value, '/api/chat')),
      options,
    );
  }

  async generate(request: GenerateRequest, options: BackendCallOptions = {}): Promise<ChatResult> {
    const body = await this.http.json(
      {
        method: 'POST',
        path: '/api/generate',
        body: this.generateBody(request, false),
        model: request.model,
      },
      options,
    );
    return this.result(
      generatePiece(this.parsePiece(generatePieceSchema, body, '/api/generate')),
      request.model,
    );
  }

  generateStream(request: GenerateRequest, options: BackendCallOptions = {}): AsyncIterable<ChatChunk> {
    const body = this.generateBody(request, true);
    return this.pieces(
      { method: 'POST', path: '/api/generate', body, model: request.model },
      (value) => generatePiece(this.parsePiece(generatePieceSchema, value, '/api/generate')),
      options,
    );
  }

  async embed(request: EmbedRequest, options: BackendCallOptions = {}): Promise<EmbedResult> {
    const body = await this.http.json(
      {
        method: 'POST',
        path: '/api/embed',
        body: {
          model: request.model,
          input: [...request.input],
          ...(this.keepAlive === undefined ? {} : { keep_alive: this.keepAlive }),
        },
        model: request.model,
      },
      options,
    );
    const parsed = parseUpstream(embedSchema, body, this.name, '/api/embed response');
    if (parsed.embeddings.length !== request.input.length) {
      throw new BackendError(
        `${this.name} returned ${parsed.embeddings.length} embeddings for ${request.input.length} inputs`,
        { details: { backend: this.name, model: request.model } },
      );
    }
    return {
      model: parsed.model ?? request.model,
      embeddings: parsed.embeddings,
      promptTokens: parsed.prompt_eval_count ?? null,
    };
  }

  /** Parses one object, turning Ollama's `{"error": "..."}` into a `BackendError`. */
  private parsePiece<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
    if (typeof value === 'object' && value !== null && 'error' in value) {
      const { message } = readErrorBody(value);
      throw new BackendError(`${this.name}: ${message ?? 'unknown error'}`, {
        details: { backend: this.name, path, upstreamMessage: message },
      });
    }
    return parseUpstream(schema, value, this.name, `${path} response`);
  }

  private result(piece: Piece, requestedModel: string): ChatResult {
    const toolCalls: ToolCall[] = piece.toolCalls.map((c, i) => ({
      id: c.id ?? `call_${i}`,
      name: c.function.name,
      arguments: argumentsText(c.function.arguments),
    }));
    return {
      model: piece.model ?? requestedModel,
      content: piece.content,
      reasoning: piece.reasoning === '' ? null : piece.reasoning,
      toolCalls,
      finishReason: finishReason(piece.doneReason, toolCalls.length > 0),
      usage: piece.usage,
    };
  }

  /**
   * Streams NDJSON pieces as chunks; the piece with `done: true` ends the answer. Lines are split
   * and parsed here, not through `stream-parsers.ts`' `ndjson`: two async generators fewer between
   * each token and its reader (the same rules: blank lines skipped, a trailing `\r` dropped,
   * characters split between network chunks kept whole).
   */
  private async *pieces(
    request: HttpRequest,
    toPiece: (value: unknown) => Piece,
    options: BackendCallOptions,
  ): AsyncGenerator<ChatChunk> {
    let toolIndex = 0;
    /** The chunk a line gives (null: nothing to send), and whether it ends the answer. */
    const lineChunk = (line: string): { chunk: ChatChunk | null; done: boolean } | null => {
      if (line.trim() === '') return null;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new BackendError(`${this.name} streamed a line that is not JSON`, {
          details: { backend: this.name, reason: 'malformed_response', line: line.slice(0, 200) },
        });
      }
      const piece = toPiece(value);
      const toolCalls: ToolCallDelta[] = piece.toolCalls.map((c) => {
        const index = toolIndex++;
        return {
          index,
          id: c.id ?? `call_${index}`,
          name: c.function.name,
          arguments: argumentsText(c.function.arguments),
        };
      });
      const chunk: ChatChunk = {
        content: piece.content,
        ...(piece.reasoning === '' ? {} : { reasoning: piece.reasoning }),
        ...(toolCalls.length === 0 ? {} : { toolCalls }),
      };
      if (piece.done) {
        return {
          chunk: {
            ...chunk,
            finishReason: finishReason(piece.doneReason, toolIndex > 0),
            ...(piece.usage === null ? {} : { usage: piece.usage }),
          },
          done: true,
        };
      }
      const some = chunk.content !== '' || chunk.reasoning !== undefined || chunk.toolCalls !== undefined;
      return { chunk: some ? chunk : null, done: false };
    };
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const bytes of this.http.stream(request, options)) {
      buffered += decoder.decode(bytes, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const out = lineChunk(line.endsWith('\r') ? line.slice(0, -1) : line);
        if (out?.chunk) yield out.chunk;
        if (out?.done === true) return;
        newline = buffered.indexOf('\n');
      }
    }
    buffered += decoder.decode();
    const out = lineChunk(buffered.endsWith('\r') ? buffered.slice(0, -1) : buffered);
    if (out?.chunk) yield out.chunk;
    if (out?.done === true) return;
    throw new BackendStreamInterruptedError(`${this.name} ended the stream before the answer was complete`, {
      details: { backend: this.name, model: request.model },
    });
  }
}
