/**
 * The domain's `ChatResult` / `ChatChunk` → OpenAI's `chat.completion` and `chat.completion.chunk`
 * objects (snake_case, as OpenAI sends them). Reasoning text of thinking models travels in
 * `reasoning_content`, the field OpenAI-compatible servers use for it.
 */
import type { ChatChunk, ChatResult, FinishReason, TokenUsage, ToolCallDelta } from '../../core/index.js';

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAiChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [
    {
      index: 0;
      message: {
        role: 'assistant';
        content: string | null;
        refusal: null;
        tool_calls?: OpenAiToolCall[];
        reasoning_content?: string;
      };
      logprobs: null;
      finish_reason: FinishReason;
    },
  ];
  /** Absent when the backend reported no token counts. */
  usage?: OpenAiUsage;
}

export interface OpenAiToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OpenAiChunkDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: OpenAiToolCallDelta[];
}

export interface OpenAiChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: 0; delta: OpenAiChunkDelta; logprobs: null; finish_reason: FinishReason | null }[];
  /** Present (null until the last chunk) only when the request set `stream_options.include_usage`. */
  usage?: OpenAiUsage | null;
}

export function toOpenAiUsage(usage: TokenUsage): OpenAiUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
}

/** Identity of one completion: the same on the answer or on every chunk of its stream. */
export interface CompletionIdentity {
  /** `chatcmpl-…` */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
}

export function toChatCompletion(result: ChatResult, identity: CompletionIdentity): OpenAiChatCompletion {
  const toolCalls: OpenAiToolCall[] = result.toolCalls.map((c) => ({
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null content on an answer that only calls tools.
          content: result.content === '' && toolCalls.length > 0 ? null : result.content,
          refusal: null,
          ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }),
          ...(result.reasoning === null ? {} : { reasoning_content: result.reasoning }),
        },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    ...(result.usage === null ? {} : { usage: toOpenAiUsage(result.usage) }),
  };
}

/**
 * Turns a stream of `ChatChunk`s into OpenAI's chunk sequence: a first chunk with the assistant
 * role, a chunk per piece of content, reasoning or tool call, a chunk with `finish_reason` and an
 * empty delta, and (when asked for and known) a last chunk with `usage` and no choices. The first
 * delta of each tool call carries its id (made up as `call_<index>` when the backend sent none),
 * type and name, as OpenAI's do.
 */
export class ChatChunkEncoder {
  private readonly identity: CompletionIdentity;
  private readonly model: string;
  private readonly includeUsage: boolean;
  private readonly toolCallsSeen = new Set<number>();
  private finishReason: FinishReason | null = null;

  constructor(init: { identity: CompletionIdentity; model: string; includeUsage: boolean }) {
    this.identity = init.identity;
    this.model = init.model;
    this.includeUsage = init.includeUsage;
  }

  /** Whether the chunk carrying the finish reason has been encoded. */
  get finished(): boolean {
    return this.finishReason !== null;
  }

  /** The chunk that opens the stream. */
  start(): OpenAiChatCompletionChunk {
    return this.chunk({ role: 'assistant', content: '' }, null);
  }

  /** The OpenAI chunks for one domain chunk (none for an empty piece). */
  encode(chunk: ChatChunk): OpenAiChatCompletionChunk[] {
    const out: OpenAiChatCompletionChunk[] = [];
    const delta: OpenAiChunkDelta = {};
    if (chunk.content !== '') delta.content = chunk.content;
    if (chunk.reasoning !== undefined && chunk.reasoning !== '') delta.reasoning_content = chunk.reasoning;
    if (chunk.toolCalls !== undefined && chunk.toolCalls.length > 0) {
      delta.tool_calls = chunk.toolCalls.map((d) => this.toolCallDelta(d));
    }
    if (Object.keys(delta).length > 0) out.push(this.chunk(delta, null));
    if (chunk.finishReason !== undefined && this.finishReason === null) {
      this.finishReason = chunk.finishReason;
      out.push(this.chunk({}, chunk.finishReason));
      if (this.includeUsage && chunk.usage !== undefined) {
        out.push({ ...this.base(), choices: [], usage: toOpenAiUsage(chunk.usage) });
      }
    }
    return out;
  }

  private toolCallDelta(d: ToolCallDelta): OpenAiToolCallDelta {
    const fn = {
      ...(d.name === undefined ? {} : { name: d.name }),
      ...(d.arguments === undefined ? {} : { arguments: d.arguments }),
    };
    if (this.toolCallsSeen.has(d.index)) {
      return { index: d.index, ...(d.id === undefined ? {} : { id: d.id }), function: fn };
    }
    this.toolCallsSeen.add(d.index);
    return {
      index: d.index,
      id: d.id === undefined || d.id === '' ? `call_${d.index}` : d.id,
      type: 'function',
      function: { name: fn.name ?? '', arguments: fn.arguments ?? '' },
    };
  }

  private base(): Omit<OpenAiChatCompletionChunk, 'choices'> {
    return {
      id: this.identity.id,
      object: 'chat.completion.chunk',
      created: this.identity.created,
      model: this.model,
    };
  }

  private chunk(delta: OpenAiChunkDelta, finishReason: FinishReason | null): OpenAiChatCompletionChunk {
    return {
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(this.includeUsage ? { usage: null } : {}),
    };
  }
}
