/**
 * A stand-in for an Ollama server, speaking the shapes of Ollama's API docs (docs/api.md and
 * docs.ollama.com/api): `GET /api/version`, `/api/tags`, `/api/ps`; `POST /api/show`, `/api/chat`,
 * `/api/generate`, `/api/embed`. Streams are NDJSON (`application/x-ndjson`) ending with an object
 * with `done: true`, `done_reason` and the token counts; errors are `{"error": "..."}` with the HTTP
 * status (404 for a missing model), and an error mid-stream is a last line `{"error": "..."}`.
 *
 * Choices of this double where the docs say nothing: `/api/embed` refuses models without the
 * `embedding` capability (HTTP 400), and `/api/chat` refuses embedding-only models (HTTP 400).
 * Its embeddings are a hash of the whole text by default (`embedding: 'hash'`: equal texts, equal
 * vectors), or a hashed bag of words (`embedding: 'bag-of-words'`: texts that share words are
 * close, as a real embedding model's would be); `embedOverride` scripts a raw `/api/embed` answer.
 */
import type { ServerResponse } from 'node:http';
import type { DoubleKnobs, DoubleReply, RecordedRequest } from './double-server.js';
import { DoubleServer, fakeEmbedding } from './double-server.js';

/** How the double turns a text into a vector. */
export type OllamaDoubleEmbedding = 'hash' | 'bag-of-words';

/** A raw `/api/embed` answer: the status and the body text, sent as `application/json`. */
export interface RawEmbedAnswer {
  readonly status: number;
  readonly body: string;
}

/** Scripts `/api/embed`: the answer for these inputs (the request's number, from 0), or null to answer normally. */
export type EmbedOverride = (inputs: readonly string[], call: number) => RawEmbedAnswer | null;

export interface OllamaDoubleModel {
  /** `llama3.2:3b` */
  readonly name: string;
  readonly family?: string;
  readonly parameterSize?: string;
  readonly quantization?: string;
  readonly sizeBytes?: number;
  /** As `/api/show` reports them. Default `["completion"]`. */
  readonly capabilities?: readonly string[];
  readonly contextLength?: number;
  /** Listed by `/api/ps`. */
  readonly loaded?: boolean;
  readonly vramBytes?: number;
}

export interface OllamaDoubleInit extends Partial<DoubleKnobs> {
  readonly models?: readonly OllamaDoubleModel[];
  readonly version?: string;
  /** Mimic a server older than `/api/show` capabilities (the field is omitted). */
  readonly showWithoutCapabilities?: boolean;
  readonly embeddingDimensions?: number;
  /** Answer `/api/tags` with this error (the server is up but cannot list its models). */
  readonly listingError?: { readonly status: number; readonly message: string } | null;
  /** Default `hash`. */
  readonly embedding?: OllamaDoubleEmbedding;
  readonly embedOverride?: EmbedOverride | null;
}

export const OLLAMA_DOUBLE_MODELS: readonly OllamaDoubleModel[] = [
  {
    name: 'llama3.2:3b',
    family: 'llama',
    parameterSize: '3.2B',
    quantization: 'Q4_K_M',
    sizeBytes: 2_019_393_189,
    capabilities: ['completion', 'tools'],
    contextLength: 131_072,
    loaded: true,
    vramBytes: 2_500_000_000,
  },
  {
    name: 'qwen3:1.7b',
    family: 'qwen3',
    parameterSize: '2.0B',
    quantization: 'Q4_K_M',
    sizeBytes: 1_359_293_440,
    capabilities: ['completion', 'tools', 'thinking'],
    contextLength: 40_960,
  },
  {
    name: 'all-minilm:latest',
    family: 'bert',
    parameterSize: '23M',
    quantization: 'F16',
    sizeBytes: 45_960_996,
    capabilities: ['embedding'],
    contextLength: 512,
  },
];

const DIGEST = 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72';

/** Words too common to say what a text is about. */
const BAG_STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'to',
  'of',
  'and',
  'or',
  'is',
  'are',
  'it',
  'my',
  'me',
  'i',
  'for',
  'in',
  'with',
  'this',
  'that',
  'please',
  'can',
  'you',
]);

function hash32(text: string, seed: number): number {
  let h = 2166136261 ^ seed;
  for (let c = 0; c < text.length; c++) h = Math.imul(h ^ text.charCodeAt(c), 16777619);
  return h >>> 0;
}

/**
 * A hashed bag of words (unit length; zeros for a text without words): each word, lowercased and
 * with a plural/-ing/-ed ending cut, adds ±1 to two dimensions chosen by hashing it. Texts sharing
 * words get a high cosine, texts sharing none about 0.
 */
export function bagOfWordsEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    if (BAG_STOP_WORDS.has(raw)) continue;
    const word = raw.length > 4 ? raw.replace(/(ing|ed|es|s)$/, '') : raw;
    for (const seed of [1, 2]) {
      const h = hash32(word, seed);
      const d = h % dimensions;
      v[d] = (v[d] as number) + (h >>> 31 === 1 ? 1 : -1);
    }
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

export class OllamaDouble extends DoubleServer {
  models: readonly OllamaDoubleModel[];
  version: string;
  showWithoutCapabilities: boolean;
  embeddingDimensions: number;
  listingError: { readonly status: number; readonly message: string } | null;
  embedding: OllamaDoubleEmbedding;
  embedOverride: EmbedOverride | null;
  /** `/api/embed` requests answered so far (the `call` an `embedOverride` gets). */
  embedCalls = 0;

  private constructor(init: OllamaDoubleInit) {
    super(init);
    this.models = init.models ?? OLLAMA_DOUBLE_MODELS;
    this.version = init.version ?? '0.12.6';
    this.showWithoutCapabilities = init.showWithoutCapabilities ?? false;
    this.embeddingDimensions = init.embeddingDimensions ?? 8;
    this.listingError = init.listingError ?? null;
    this.embedding = init.embedding ?? 'hash';
    this.embedOverride = init.embedOverride ?? null;
  }

  static start(init: OllamaDoubleInit = {}): Promise<OllamaDouble> {
    return new OllamaDouble(init).listen();
  }

  protected async handle(request: RecordedRequest, res: ServerResponse): Promise<void> {
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case 'GET /api/version':
        return this.sendJson(res, 200, { version: this.version });
      case 'GET /api/tags':
        if (this.listingError !== null) {
          return this.sendJson(res, this.listingError.status, { error: this.listingError.message });
        }
        return this.sendJson(res, 200, { models: this.models.map((m) => this.tag(m)) });
      case 'GET /api/ps':
        return this.sendJson(res, 200, {
          models: this.models
            .filter((m) => m.loaded === true)
            .map((m) => ({
              ...this.tag(m),
              expires_at: new Date(Date.now() + 300_000).toISOString(),
              size_vram: m.vramBytes ?? m.sizeBytes ?? 0,
              context_length: Math.min(m.contextLength ?? 4096, 4096),
            })),
        });
      case 'POST /api/show':
        return this.show(request, res);
      case 'POST /api/chat':
        return this.generation(request, res, 'chat');
      case 'POST /api/generate':
        return this.generation(request, res, 'generate');
      case 'POST /api/embed':
        return this.embed(request, res);
      default:
        // Ollama's HTTP router answers unknown routes like this.
        return this.sendText(res, 404, '404 page not found');
    }
  }

  private tag(m: OllamaDoubleModel): Record<string, unknown> {
    return {
      name: m.name,
      model: m.name,
      modified_at: '2025-09-01T10:00:00.000000000Z',
      size: m.sizeBytes ?? 0,
      digest: DIGEST,
      details: {
        parent_model: '',
        format: 'gguf',
        family: m.family ?? 'llama',
        families: [m.family ?? 'llama'],
        parameter_size: m.parameterSize ?? '',
        quantization_level: m.quantization ?? '',
      },
    };
  }

  private find(body: unknown): { name: string | null; model: OllamaDoubleModel | null } {
    const name =
      typeof body === 'object' && body !== null && typeof (body as { model?: unknown }).model === 'string'
        ? (body as { model: string }).model
        : null;
    if (name === null) return { name, model: null };
    const withTag = name.includes(':') ? name : `${name}:latest`;
    return { name, model: this.models.find((m) => m.name === name || m.name === withTag) ?? null };
  }

  private show(request: RecordedRequest, res: ServerResponse): void {
    const { name, model } = this.find(request.body);
    if (model === null) return this.sendJson(res, 404, { error: `model '${name ?? ''}' not found` });
    const family = model.family ?? 'llama';
    this.sendJson(res, 200, {
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${model.name}\n`,
      parameters: '',
      template: '{{ .Prompt }}',
      details: (this.tag(model) as { details: unknown }).details,
      model_info: {
        'general.architecture': family,
        'general.parameter_count': 3_212_749_888,
        [`${family}.context_length`]: model.contextLength ?? 4096,
        [`${family}.embedding_length`]: 3072,
      },
      ...(this.showWithoutCapabilities ? {} : { capabilities: model.capabilities ?? ['completion'] }),
      modified_at: '2025-09-01T10:00:00.000000000Z',
    });
  }

  private async generation(
    request: RecordedRequest,
    res: ServerResponse,
    kind: 'chat' | 'generate',
  ): Promise<void> {
    const { name, model } = this.find(request.body);
    if (name === null) return this.sendJson(res, 400, { error: 'model is required' });
    if (model === null) {
      return this.sendJson(res, 404, { error: `model "${name}" not found, try pulling it first` });
    }
    if (!(model.capabilities ?? ['completion']).includes('completion')) {
      return this.sendJson(res, 400, { error: `"${name}" does not support ${kind}` });
    }
    await this.beforeAnswer();
    const failure = this.knobs.errorResponse;
    if (failure !== null) return this.sendJson(res, failure.status, { error: failure.message });

    const reply = this.replyFor(request);
    const stream = (request.body as { stream?: unknown }).stream !== false; // Ollama streams by default
    const created = (): string => new Date().toISOString();
    const piece = (content: string): Record<string, unknown> =>
      kind === 'chat'
        ? { model: model.name, created_at: created(), message: { role: 'assistant', content }, done: false }
        : { model: model.name, created_at: created(), response: content, done: false };
    const toolCalls = (reply.toolCalls ?? []).map((c) => ({
      function: { name: c.name, arguments: c.arguments },
    }));
    const stats = this.finalStats(reply);

    if (!stream) {
      const text = reply.chunks.join('');
      const message: Record<string, unknown> = { role: 'assistant', content: text };
      if (toolCalls.length > 0) message.tool_calls = toolCalls;
      return this.sendJson(
        res,
        200,
        kind === 'chat'
          ? { model: model.name, created_at: created(), message, ...stats }
          : { model: model.name, created_at: created(), response: text, ...stats, context: [1, 2, 3] },
      );
    }
    const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
    const chunks = reply.chunks.map((c) => line(piece(c)));
    if (kind === 'chat' && toolCalls.length > 0) {
      // Ollama sends tool calls whole, in a piece of their own.
      chunks.push(
        line({
          model: model.name,
          created_at: created(),
          message: { role: 'assistant', content: '', tool_calls: toolCalls },
          done: false,
        }),
      );
    }
    const final =
      kind === 'chat'
        ? { model: model.name, created_at: created(), message: { role: 'assistant', content: '' }, ...stats }
        : { model: model.name, created_at: created(), response: '', ...stats, context: [1, 2, 3] };
    await this.stream(res, {
      contentType: 'application/x-ndjson',
      chunks,
      tail: [line(final)],
      errorTail: (message) => [line({ error: message })],
    });
  }

  private finalStats(reply: DoubleReply): Record<string, unknown> {
    return {
      done: true,
      done_reason: reply.finishReason ?? 'stop',
      total_duration: 4_883_583_458,
      load_duration: 1_334_875,
      prompt_eval_count: reply.promptTokens ?? 7,
      prompt_eval_duration: 342_546_000,
      eval_count: reply.completionTokens ?? reply.chunks.length,
      eval_duration: 4_535_599_000,
    };
  }

  private async embed(request: RecordedRequest, res: ServerResponse): Promise<void> {
    const { name, model } = this.find(request.body);
    if (name === null) return this.sendJson(res, 400, { error: 'model is required' });
    if (model === null) {
      return this.sendJson(res, 404, { error: `model "${name}" not found, try pulling it first` });
    }
    if (!(model.capabilities ?? ['completion']).includes('embedding')) {
      return this.sendJson(res, 400, { error: `"${name}" does not support embeddings` });
    }
    await this.beforeAnswer();
    const failure = this.knobs.errorResponse;
    if (failure !== null) return this.sendJson(res, failure.status, { error: failure.message });
    const raw = (request.body as { input?: unknown }).input;
    const inputs = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map(String) : [];
    const call = this.embedCalls++;
    const scripted = this.embedOverride?.(inputs, call) ?? null;
    if (scripted !== null) {
      res.writeHead(scripted.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(scripted.body);
      return;
    }
    const vectorOf = this.embedding === 'bag-of-words' ? bagOfWordsEmbedding : fakeEmbedding;
    this.sendJson(res, 200, {
      model: model.name,
      embeddings: inputs.map((text) => vectorOf(text, this.embeddingDimensions)),
      total_duration: 14_143_917,
      load_duration: 1_019_500,
      prompt_eval_count: inputs.reduce((n, text) => n + text.split(/\s+/).filter(Boolean).length, 0),
    });
  }
}
