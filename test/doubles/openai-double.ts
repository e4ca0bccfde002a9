/**
 * A stand-in for an OpenAI-compatible provider, speaking the shapes of OpenAI's API reference:
 * `GET /v1/models`, `POST /v1/chat/completions` (a `chat.completion`, or SSE `chat.completion.chunk`
 * events ending with `data: [DONE]`, with a usage-only last chunk when
 * `stream_options.include_usage` is set), `POST /v1/embeddings`. Errors use OpenAI's envelope
 * `{"error":{"message","type","param","code"}}`: 401 `invalid_api_key`, 404 `model_not_found`.
 * An error mid-stream is an event `data: {"error":{...}}` (what OpenAI sends when a stream fails).
 *
 * The chunk builders are exported for the LlamaFarm double, whose project chat speaks this format.
 */
import type { ServerResponse } from 'node:http';
import type { DoubleKnobs, DoubleReply, RecordedRequest } from './double-server.js';
import { DoubleServer, fakeEmbedding, splitArguments } from './double-server.js';

export interface OpenAiDoubleModel {
  readonly id: string;
  readonly ownedBy?: string;
  /** Default `chat`. */
  readonly kind?: 'chat' | 'embed';
}

export interface OpenAiDoubleInit extends Partial<DoubleKnobs> {
  readonly models?: readonly OpenAiDoubleModel[];
  /** The key clients must send as a Bearer token; null accepts any request. Default `sk-test-double`. */
  readonly apiKey?: string | null;
  readonly embeddingDimensions?: number;
}

export const OPENAI_DOUBLE_MODELS: readonly OpenAiDoubleModel[] = [
  { id: 'gpt-4o-mini', ownedBy: 'system' },
  { id: 'gpt-4.1-nano', ownedBy: 'system' },
  { id: 'text-embedding-3-small', ownedBy: 'system', kind: 'embed' },
  { id: 'whisper-1', ownedBy: 'openai-internal' },
];

export function errorEnvelope(message: string, type: string, code: string | null): Record<string, unknown> {
  return { error: { message, type, param: null, code } };
}

const sse = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

export interface CompletionShape {
  readonly id: string;
  readonly model: string;
  readonly created: number;
}

function finishReasonOf(reply: DoubleReply): string {
  return reply.finishReason ?? ((reply.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop');
}

function usageOf(reply: DoubleReply): Record<string, number> {
  const prompt = reply.promptTokens ?? 7;
  const completion = reply.completionTokens ?? reply.chunks.length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A whole `chat.completion`. */
export function completionBody(shape: CompletionShape, reply: DoubleReply): Record<string, unknown> {
  const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
    id: `call_${shape.id}_${i}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
  return {
    id: shape.id,
    object: 'chat.completion',
    created: shape.created,
    model: shape.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 && reply.chunks.length === 0 ? null : reply.chunks.join(''),
          refusal: null,
          ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: finishReasonOf(reply),
      },
    ],
    usage: usageOf(reply),
    system_fingerprint: 'fp_double',
  };
}

/**
 * The `chat.completion.chunk` events of a streamed answer: the content chunks (which `failStream`
 * counts) and the tail (tool calls, the finish chunk, the optional usage chunk, `[DONE]`).
 */
export function completionChunks(
  shape: CompletionShape,
  reply: DoubleReply,
  options: { readonly includeUsage: boolean; readonly roleChunk: boolean },
): { chunks: string[]; tail: string[] } {
  const base = { id: shape.id, object: 'chat.completion.chunk', created: shape.created, model: shape.model };
  const extra = options.includeUsage ? { usage: null } : {};
  const event = (delta: Record<string, unknown>, finish: string | null): string =>
    sse({
      ...base,
      system_fingerprint: 'fp_double',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    });
  const chunks = reply.chunks.map((c, i) =>
    event(i === 0 && options.roleChunk ? { role: 'assistant', content: c } : { content: c }, null),
  );
  const tail: string[] = [];
  (reply.toolCalls ?? []).forEach((c, i) => {
    const [head, rest] = splitArguments(c.arguments);
    tail.push(
      event(
        {
          tool_calls: [
            {
              index: i,
              id: `call_${shape.id}_${i}`,
              type: 'function',
              function: { name: c.name, arguments: head },
            },
          ],
        },
        null,
      ),
      event({ tool_calls: [{ index: i, function: { arguments: rest } }] }, null),
    );
  });
  tail.push(event({}, finishReasonOf(reply)));
  if (options.includeUsage)
    tail.push(sse({ ...base, system_fingerprint: 'fp_double', choices: [], usage: usageOf(reply) }));
  tail.push(SSE_DONE);
  return { chunks, tail };
}

export class OpenAiDouble extends DoubleServer {
  models: readonly OpenAiDoubleModel[];
  apiKey: string | null;
  embeddingDimensions: number;
  private counter = 0;

  private constructor(init: OpenAiDoubleInit) {
    super(init);
    this.models = init.models ?? OPENAI_DOUBLE_MODELS;
    this.apiKey = init.apiKey === undefined ? 'sk-test-double' : init.apiKey;
    this.embeddingDimensions = init.embeddingDimensions ?? 8;
  }

  static start(init: OpenAiDoubleInit = {}): Promise<OpenAiDouble> {
    return new OpenAiDouble(init).listen();
  }

  protected override get basePath(): string {
    return '/v1';
  }

  protected async handle(request: RecordedRequest, res: ServerResponse): Promise<void> {
    if (!this.authorized(request, res)) return;
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case 'GET /v1/models':
        return this.sendJson(res, 200, {
          object: 'list',
          data: this.models.map((m) => ({
            id: m.id,
            object: 'model',
            created: 1_715_367_049,
            owned_by: m.ownedBy ?? 'system',
          })),
        });
      case 'POST /v1/chat/completions':
        return this.chat(request, res);
      case 'POST /v1/embeddings':
        return this.embeddings(request, res);
      default:
        return this.sendJson(
          res,
          404,
          errorEnvelope(`Invalid URL (${request.method} ${request.path})`, 'invalid_request_error', null),
        );
    }
  }

  private authorized(request: RecordedRequest, res: ServerResponse): boolean {
    if (this.apiKey === null) return true;
    const header = request.headers.authorization;
    if (header === undefined) {
      this.sendJson(
        res,
        401,
        errorEnvelope(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          'invalid_request_error',
          null,
        ),
      );
      return false;
    }
    if (header !== `Bearer ${this.apiKey}`) {
      const shown = header.replace(/^Bearer\s+/, '');
      this.sendJson(
        res,
        401,
        errorEnvelope(
          `Incorrect API key provided: ${shown.slice(0, 3)}***${shown.slice(-4)}.`,
          'invalid_request_error',
          'invalid_api_key',
        ),
      );
      return false;
    }
    return true;
  }

  private findModel(
    request: RecordedRequest,
    res: ServerResponse,
    kind: 'chat' | 'embed',
  ): OpenAiDoubleModel | null {
    const name = (request.body as { model?: unknown } | null)?.model;
    if (typeof name !== 'string') {
      this.sendJson(
        res,
        400,
        errorEnvelope('you must provide a model parameter', 'invalid_request_error', null),
      );
      return null;
    }
    const model = this.models.find((m) => m.id === name);
    if (model === undefined) {
      this.sendJson(
        res,
        404,
        errorEnvelope(
          `The model \`${name}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        ),
      );
      return null;
    }
    if ((model.kind ?? 'chat') !== kind) {
      this.sendJson(
        res,
        400,
        errorEnvelope(
          `This model does not support ${kind === 'chat' ? 'chat completions' : 'embeddings'}.`,
          'invalid_request_error',
          null,
        ),
      );
      return null;
    }
    return model;
  }

  private async failIfAsked(res: ServerResponse): Promise<boolean> {
    await this.beforeAnswer();
    const failure = this.knobs.errorResponse;
    if (failure === null) return false;
    const type = failure.status >= 500 ? 'server_error' : 'invalid_request_error';
    this.sendJson(res, failure.status, errorEnvelope(failure.message, type, null));
    return true;
  }

  private async chat(request: RecordedRequest, res: ServerResponse): Promise<void> {
    const model = this.findModel(request, res, 'chat');
    if (model === null) return;
    if (await this.failIfAsked(res)) return;
    const reply = this.replyFor(request);
    const body = request.body as { stream?: unknown; stream_options?: { include_usage?: unknown } };
    const shape = {
      id: `chatcmpl-double${++this.counter}`,
      model: model.id,
      created: Math.floor(Date.now() / 1000),
    };
    if (body.stream !== true) return this.sendJson(res, 200, completionBody(shape, reply));
    const { chunks, tail } = completionChunks(shape, reply, {
      includeUsage: body.stream_options?.include_usage === true,
      roleChunk: true,
    });
    await this.stream(res, {
      contentType: 'text/event-stream; charset=utf-8',
      chunks,
      tail,
      errorTail: (message) => [sse(errorEnvelope(message, 'server_error', null))],
    });
  }

  private async embeddings(request: RecordedRequest, res: ServerResponse): Promise<void> {
    const model = this.findModel(request, res, 'embed');
    if (model === null) return;
    if (await this.failIfAsked(res)) return;
    const raw = (request.body as { input?: unknown }).input;
    const inputs = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.map(String) : [];
    const tokens = inputs.reduce((n, text) => n + text.split(/\s+/).filter(Boolean).length, 0);
    // Sent in reverse order: clients must order by `index`, not by position.
    const data = inputs
      .map((text, index) => ({
        object: 'embedding',
        index,
        embedding: fakeEmbedding(text, this.embeddingDimensions),
      }))
      .reverse();
    this.sendJson(res, 200, {
      object: 'list',
      data,
      model: model.id,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }
}
