/**
 * A cloud (or any) server speaking OpenAI's API behind `InferenceBackend`: models from
 * `GET {baseUrl}/models`, chat from `POST {baseUrl}/chat/completions` (SSE when streaming, with
 * `stream_options.include_usage` so the last chunk carries token counts), embeddings from
 * `POST {baseUrl}/embeddings`. The base URL includes the version path
 * (`https://api.openai.com/v1`, `https://api.groq.com/openai/v1`). The class receives the API key
 * itself; reading it from the environment variable the owner named is config resolution's job.
 * Cloud models cost money, so each model carries its price when it is known.
 */
import { z } from 'zod';
import type {
  BackendCallOptions,
  BackendHealth,
  BackendModel,
  ChatChunk,
  ChatRequest,
  ChatResult,
  Clock,
  EmbedRequest,
  EmbedResult,
  InferenceBackend,
  Logger,
  ModelPrice,
} from '../core/index.js';
import { BackendAuthError, BackendError, findModelPrice } from '../core/index.js';
import type { BackendComponents } from './backend-support.js';
import {
  DEFAULT_INFERENCE_TIMEOUT_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  failedHealth,
} from './backend-support.js';
import type { HttpRequest } from './http.js';
import { HttpClient, parseUpstream } from './http.js';
import { fromOpenAiCompletion, fromOpenAiStream, readErrorBody, toOpenAiChatBody } from './openai-wire.js';
import { sseEvents } from './stream-parsers.js';

/** Required fields have no sensible default: every provider has its own name, URL and key. */
export interface OpenAiCompatibleBackendInit {
  /** The provider's name as the owner configured it (`openai`, `groq` ...). */
  readonly name: string;
  /** Including the version path, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  /** The key itself (not the variable's name); null sends no `Authorization` header. */
  readonly apiKey: string | null;
  /** The environment variable the key comes from, named in errors when the key is missing or wrong. */
  readonly apiKeyEnv?: string;
  /** Offer only these model ids (default: every text model the provider lists). */
  readonly models?: readonly string[];
  /** Prices that override the built-in table, by model id. */
  readonly prices?: Readonly<Record<string, ModelPrice>>;
  /** OpenAI's reasoning models want `max_completion_tokens`; most servers `max_tokens` (default). */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Ask for usage on the last streamed chunk. Default true. */
  readonly streamUsage?: boolean;
  /** Extra headers for every request (some providers want e.g. an `HTTP-Referer`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Chat/embeddings: whole request, or until a stream starts. Default 300 s. */
  readonly timeoutMs?: number;
  /** Health and model listing. Default 5 s. */
  readonly probeTimeoutMs?: number;
  /** Longest silence between streamed pieces. Default 120 s. */
  readonly streamIdleTimeoutMs?: number;
}

const modelsSchema = z.object({
  data: z.array(z.object({ id: z.string(), owned_by: z.string().nullish() })),
});

const embeddingsSchema = z.object({
  model: z.string().nullish(),
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).nullish(),
});

/** Models a provider lists that do not take text in and give text (or vectors) out. */
const NON_TEXT_MODEL = /whisper|dall-e|tts|moderation|audio|realtime|transcribe|image|sora|computer-use/i;

export class OpenAiCompatibleBackend implements InferenceBackend {
  readonly kind = 'openai-compatible' as const;
  readonly name: string;
  readonly url: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly http: HttpClient;
  private readonly init: OpenAiCompatibleBackendInit;
  private readonly probeTimeoutMs: number;

  constructor(components: BackendComponents, init: OpenAiCompatibleBackendInit) {
    this.clock = components.clock;
    this.name = init.name;
    this.logger = components.logger.child(`atmosphere:cloud:${init.name}`);
    this.url = init.baseUrl.replace(/\/+$/, '');
    this.init = init;
    this.probeTimeoutMs = init.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.http = new HttpClient(
      { logger: this.logger },
      {
        backend: init.name,
        baseUrl: this.url,
        headers: {
          ...init.headers,
          ...(init.apiKey === null ? {} : { authorization: `Bearer ${init.apiKey}` }),
        },
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
      await this.request({ method: 'GET', path: '/models', timeoutMs: this.probeTimeoutMs }, options);
      return {
        ...identity,
        status: 'ok',
        version: null,
        latencyMs: this.clock.now() - started,
        detail: null,
        errorCode: null,
      };
    } catch (err) {
      return failedHealth(err, identity);
    }
  }

  async listModels(options: BackendCallOptions = {}): Promise<readonly BackendModel[]> {
    const body = await this.request(
      { method: 'GET', path: '/models', timeoutMs: this.probeTimeoutMs },
      options,
    );
    const listed = parseUpstream(modelsSchema, body, this.name, '/models response').data;
    const wanted = this.init.models;
    const offered =
      wanted === undefined
        ? listed.filter((m) => !NON_TEXT_MODEL.test(m.id))
        : listed.filter((m) => wanted.includes(m.id));
    return offered.map((m) => {
      const price = this.init.prices?.[m.id] ?? findModelPrice(this.url, m.id);
      return {
        id: m.id,
        name: m.id,
        kind: /embed/i.test(m.id) ? 'embed' : 'chat',
        features: [],
        family: null,
        parameterSize: null,
        quantization: null,
        sizeBytes: null,
        contextLength: null,
        loaded: null,
        vramBytes: null,
        description: m.owned_by == null ? `${this.name} model` : `${this.name} model (${m.owned_by})`,
        price:
          price === null
            ? null
            : {
                inputUsdPerMillion: price.inputUsdPerMillion,
                outputUsdPerMillion: price.outputUsdPerMillion,
              },
      } satisfies BackendModel;
    });
  }

  private body(request: ChatRequest, stream: boolean): Record<string, unknown> {
    return toOpenAiChatBody(request, {
      stream,
      includeModel: true,
      streamUsage: this.init.streamUsage ?? true,
      maxTokensField: this.init.maxTokensField ?? 'max_tokens',
    });
  }

  async chat(request: ChatRequest, options: BackendCallOptions = {}): Promise<ChatResult> {
    const body = await this.request(
      { method: 'POST', path: '/chat/completions', body: this.body(request, false), model: request.model },
      options,
    );
    return fromOpenAiCompletion(body, this.name, request.model);
  }

  async *chatStream(request: ChatRequest, options: BackendCallOptions = {}): AsyncGenerator<ChatChunk> {
    const bytes = this.http.stream(
      { method: 'POST', path: '/chat/completions', body: this.body(request, true), model: request.model },
      options,
    );
    try {
      yield* fromOpenAiStream(sseEvents(bytes), this.name);
    } catch (err) {
      throw this.explainAuth(err);
    }
  }

  async embed(request: EmbedRequest, options: BackendCallOptions = {}): Promise<EmbedResult> {
    const body = await this.request(
      {
        method: 'POST',
        path: '/embeddings',
        body: { model: request.model, input: [...request.input], encoding_format: 'float' },
        model: request.model,
      },
      options,
    );
    const parsed = parseUpstream(embeddingsSchema, body, this.name, '/embeddings response');
    const byIndex = [...parsed.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    if (byIndex.length !== request.input.length) {
      throw new BackendError(
        `${this.name} returned ${byIndex.length} embeddings for ${request.input.length} inputs`,
        {
          details: { backend: this.name, model: request.model },
        },
      );
    }
    return {
      model: parsed.model ?? request.model,
      embeddings: byIndex,
      promptTokens: parsed.usage?.prompt_tokens ?? null,
    };
  }

  private async request(request: HttpRequest, options: BackendCallOptions): Promise<unknown> {
    try {
      return await this.http.json(request, options);
    } catch (err) {
      throw this.explainAuth(err);
    }
  }

  /** A refused key is usually a missing or stale environment variable: say which. */
  private explainAuth(err: unknown): unknown {
    if (!(err instanceof BackendAuthError) || this.init.apiKeyEnv === undefined) return err;
    const hint =
      this.init.apiKey === null
        ? `no API key: set ${this.init.apiKeyEnv}`
        : `check the key in ${this.init.apiKeyEnv}`;
    return new BackendAuthError(`${err.message} (${hint})`, { cause: err, details: err.details });
  }
}
