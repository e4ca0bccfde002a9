/**
 * OpenAI's chat-completions wire format, shared by the backends that speak it (OpenAI-compatible
 * cloud providers and LlamaFarm's project chat): request bodies from a `ChatRequest`, responses and
 * SSE chunks back to `ChatResult` / `ChatChunk`, and reading error bodies. Snake_case stays here.
 */
import { z } from 'zod';
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  FinishReason,
  ToolCall,
  ToolCallDelta,
  TokenUsage,
} from '../core/index.js';
import { BackendError, BackendStreamInterruptedError, tokenUsage } from '../core/index.js';
import type { UpstreamErrorInfo } from './http.js';
import { parseUpstream } from './http.js';
import type { SseEvent } from './stream-parsers.js';

// ---- errors -----------------------------------------------------------------------------------

/**
 * Reads the message and code of the error bodies these servers send: OpenAI's envelope
 * (`{"error":{"message","type","code"}}`), a bare `{"error":"..."}` (Ollama and some compatible
 * servers) and FastAPI's `{"detail": "..." | [{"msg": ...}]}` (LlamaFarm).
 */
export function readErrorBody(body: unknown): UpstreamErrorInfo {
  if (typeof body !== 'object' || body === null) return { message: null, code: null };
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return { message: error, code: null };
  if (typeof error === 'object' && error !== null) {
    const inner = error as Record<string, unknown>;
    const code =
      typeof inner.code === 'string' ? inner.code : typeof inner.type === 'string' ? inner.type : null;
    return { message: typeof inner.message === 'string' ? inner.message : null, code };
  }
  const detail = record.detail;
  if (typeof detail === 'string') return { message: detail, code: null };
  if (Array.isArray(detail)) {
    const messages = detail
      .map((d) => (typeof d === 'object' && d !== null ? (d as Record<string, unknown>).msg : undefined))
      .filter((m): m is string => typeof m === 'string');
    if (messages.length > 0) return { message: messages.join('; '), code: null };
  }
  if (typeof record.message === 'string') return { message: record.message, code: null };
  return { message: null, code: null };
}

// ---- requests ---------------------------------------------------------------------------------

export interface OpenAiBodyOptions {
  readonly stream: boolean;
  /** Send `model` (LlamaFarm's project endpoint selects the model by URL instead). */
  readonly includeModel: boolean;
  /** Ask for token usage on the last streamed chunk (`stream_options.include_usage`). */
  readonly streamUsage: boolean;
  /** `max_tokens` (most servers) or `max_completion_tokens` (OpenAI's reasoning models). */
  readonly maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

export function toOpenAiChatBody(request: ChatRequest, options: OpenAiBodyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.includeModel) body.model = request.model;
  body.messages = request.messages.map((m) => ({
    role: m.role,
    content: m.content,
    ...(m.name === undefined ? {} : { name: m.name }),
    ...(m.toolCalls === undefined || m.toolCalls.length === 0
      ? {}
      : {
          tool_calls: m.toolCalls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          })),
        }),
    ...(m.toolCallId === undefined ? {} : { tool_call_id: m.toolCallId }),
  }));
  body.stream = options.stream;
  if (options.stream && options.streamUsage) body.stream_options = { include_usage: true };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body[options.maxTokensField] = request.maxTokens;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = [...request.stop];
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description === undefined ? {} : { description: t.description }),
        ...(t.parameters === undefined ? {} : { parameters: t.parameters }),
      },
    }));
    if (request.toolChoice !== undefined) {
      body.tool_choice =
        typeof request.toolChoice === 'string'
          ? request.toolChoice
          : { type: 'function', function: { name: request.toolChoice.name } };
    }
  }
  return body;
}

// ---- responses --------------------------------------------------------------------------------

/** Some compatible servers send tool arguments as an object instead of a JSON text. */
const toolArguments = z.union([z.string(), z.record(z.string(), z.unknown())]).optional();

const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative().optional(),
});

const completionSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().int().optional(),
        message: z.object({
          content: z.string().nullish(),
          reasoning_content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                function: z.object({ name: z.string(), arguments: toolArguments }),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

const chunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        index: z.number().int().optional(),
        delta: z
          .object({
            content: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().nonnegative().optional(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: toolArguments }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
});

export function toFinishReason(value: string | null | undefined, hasToolCalls: boolean): FinishReason {
  switch (value) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

function argumentsText(value: string | Record<string, unknown> | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function toUsage(usage: z.infer<typeof usageSchema> | null | undefined): TokenUsage | null {
  if (usage === null || usage === undefined) return null;
  return tokenUsage(usage.prompt_tokens, usage.completion_tokens ?? 0);
}

/** A non-streamed chat completion → `ChatResult`. */
export function fromOpenAiCompletion(body: unknown, backend: string, requestedModel: string): ChatResult {
  const parsed = parseUpstream(completionSchema, body, backend, 'chat completion');
  const choice = parsed.choices.find((c) => (c.index ?? 0) === 0) ?? parsed.choices[0]!;
  const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((c, i) => ({
    id: c.id ?? `call_${i}`,
    name: c.function.name,
    arguments: argumentsText(c.function.arguments),
  }));
  return {
    model: parsed.model ?? requestedModel,
    content: choice.message.content ?? '',
    reasoning: choice.message.reasoning_content ?? null,
    toolCalls,
    finishReason: toFinishReason(choice.finish_reason, toolCalls.length > 0),
    usage: toUsage(parsed.usage),
  };
}

/**
 * SSE events of a streamed chat completion → `ChatChunk`s. The finish reason (and the usage that
 * OpenAI sends in a later chunk) are held back and sent together on one last chunk. A stream
 * without a finish reason was cut off, even if it ended with `[DONE]` (servers that follow OpenAI
 * always send a finish chunk; LlamaFarm sends `[DONE]` after a server-side failure too).
 */
export async function* fromOpenAiStream(
  events: AsyncIterable<SseEvent>,
  backend: string,
): AsyncGenerator<ChatChunk> {
  let finish: string | null = null;
  let usage: TokenUsage | null = null;
  let sawToolCalls = false;
  let sawDone = false;
  for await (const event of events) {
    if (event.data.trim() === '[DONE]') {
      sawDone = true;
      break;
    }
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      throw new BackendError(`${backend} streamed an event that is not JSON`, {
        details: { backend, reason: 'malformed_response' },
      });
    }
    if (typeof json === 'object' && json !== null && 'error' in json) {
      const upstream = readErrorBody(json);
      throw new BackendError(`${backend} failed mid-stream: ${upstream.message ?? 'unknown error'}`, {
        details: { backend, upstreamMessage: upstream.message, upstreamCode: upstream.code },
      });
    }
    const chunk = parseUpstream(chunkSchema, json, backend, 'stream chunk');
    if (chunk.usage !== null && chunk.usage !== undefined) usage = toUsage(chunk.usage);
    const choice = (chunk.choices ?? []).find((c) => (c.index ?? 0) === 0);
    if (choice === undefined) continue;
    const delta = choice.delta;
    const toolCalls: ToolCallDelta[] = (delta?.tool_calls ?? []).map((c, i) => ({
      index: c.index ?? i,
      ...(c.id === null || c.id === undefined ? {} : { id: c.id }),
      ...(c.function?.name === null || c.function?.name === undefined ? {} : { name: c.function.name }),
      ...(c.function?.arguments === undefined ? {} : { arguments: argumentsText(c.function.arguments) }),
    }));
    if (toolCalls.length > 0) sawToolCalls = true;
    const content = delta?.content ?? '';
    const reasoning = delta?.reasoning_content ?? '';
    if (content !== '' || reasoning !== '' || toolCalls.length > 0) {
      yield {
        content,
        ...(reasoning === '' ? {} : { reasoning }),
        ...(toolCalls.length === 0 ? {} : { toolCalls }),
      };
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) finish = choice.finish_reason;
  }
  if (finish === null) {
    // LlamaFarm ends a stream that failed server-side with `[DONE]` but no finish chunk.
    throw new BackendStreamInterruptedError(
      `${backend} ended the stream ${sawDone ? 'without finishing the answer' : 'before the answer was complete'}`,
      { details: { backend } },
    );
  }
  yield {
    content: '',
    finishReason: toFinishReason(finish, sawToolCalls),
    ...(usage === null ? {} : { usage }),
  };
}
