/**
 * What one node asks another to run over `/atmosphere/invoke/1.0.0`, and what comes back: validated
 * on arrival (peers are not trusted), then handed to the local backend as core types.
 */
import { z } from 'zod';
import type { ChatChunk, ChatRequest, EmbedRequest, EmbedResult } from '../core/index.js';
import { InvalidInputError, ProtocolViolationError } from '../core/index.js';

const toolCall = z.object({
  id: z.string().max(200),
  name: z.string().max(200),
  arguments: z.string().max(1_000_000),
});
const message = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().max(4_000_000).nullable(),
  name: z.string().max(200).optional(),
  toolCalls: z.array(toolCall).max(128).optional(),
  toolCallId: z.string().max(200).optional(),
});
const chatRequest = z.object({
  model: z.string().max(300),
  messages: z.array(message).min(1).max(4096),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  stop: z.array(z.string().max(200)).max(16).optional(),
  seed: z.number().int().optional(),
  tools: z
    .array(
      z.object({
        name: z.string().max(200),
        description: z.string().max(4000).optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .max(128)
    .optional(),
  toolChoice: z
    .union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string().max(200) })])
    .optional(),
});
const embedRequest = z.object({
  model: z.string().max(300),
  input: z.array(z.string().max(1_000_000)).min(1).max(2048),
});

export const invokeInputSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('chat'), request: chatRequest }),
  z.object({ op: z.literal('embed'), request: embedRequest }),
  z.object({
    op: z.literal('tool'),
    tool: z.string().min(1).max(64),
    arguments: z.record(z.string(), z.unknown()).default({}),
  }),
]);

export type InvokeInput =
  | { op: 'chat'; request: ChatRequest }
  | { op: 'embed'; request: EmbedRequest }
  | { op: 'tool'; tool: string; arguments: Record<string, unknown> };

export function parseInvokeInput(value: unknown): InvokeInput {
  const parsed = invokeInputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `invalid invoke input${issue ? ` at ${issue.path.join('.') || '(root)'}: ${issue.message}` : ''}`,
    );
  }
  return parsed.data;
}

const usage = z.object({
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  totalTokens: z.number().int().min(0),
});
const chatChunk = z.object({
  content: z.string().max(4_000_000),
  reasoning: z.string().max(4_000_000).optional(),
  toolCalls: z
    .array(
      z.object({
        index: z.number().int().min(0).max(1024),
        id: z.string().max(200).optional(),
        name: z.string().max(200).optional(),
        arguments: z.string().max(1_000_000).optional(),
      }),
    )
    .max(128)
    .optional(),
  finishReason: z.enum(['stop', 'length', 'tool_calls', 'content_filter']).optional(),
  usage: usage.optional(),
});
const embedResult = z.object({
  model: z.string().max(300),
  embeddings: z.array(z.array(z.number()).max(100_000)).max(2048),
  promptTokens: z.number().int().min(0).nullable(),
});

function peerData<T>(schema: z.ZodType<T>, value: unknown, what: string, nodeId: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ProtocolViolationError(`${nodeId} sent a malformed ${what}`);
  return parsed.data;
}

const FINISH_REASONS: ReadonlySet<unknown> = new Set(['stop', 'length', 'tool_calls', 'content_filter']);
const MAX_TEXT = 4_000_000;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The common chunk (text, reasoning, finish reason, usage) checked by hand: one arrives per token,
 * and the schema costs more than the rest of the hop's per-chunk work. The same rules as
 * `chatChunk`, and the same result (a new object with only the known keys); anything else (tool
 * calls, or a value the rules refuse) is null and goes through the schema.
 */
function quickChatChunk(value: unknown): ChatChunk | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const { content, reasoning, finishReason, usage } = v;
  if (typeof content !== 'string' || content.length > MAX_TEXT || v.toolCalls !== undefined) return null;
  const chunk: { -readonly [K in keyof ChatChunk]: ChatChunk[K] } = { content };
  if (reasoning !== undefined) {
    if (typeof reasoning !== 'string' || reasoning.length > MAX_TEXT) return null;
    chunk.reasoning = reasoning;
  }
  if (finishReason !== undefined) {
    if (!FINISH_REASONS.has(finishReason)) return null;
    chunk.finishReason = finishReason as NonNullable<ChatChunk['finishReason']>;
  }
  if (usage !== undefined) {
    if (typeof usage !== 'object' || usage === null) return null;
    const u = usage as Record<string, unknown>;
    if (!isCount(u.promptTokens) || !isCount(u.completionTokens) || !isCount(u.totalTokens)) return null;
    chunk.usage = {
      promptTokens: u.promptTokens,
      completionTokens: u.completionTokens,
      totalTokens: u.totalTokens,
    };
  }
  return chunk;
}

export const parseChatChunk = (value: unknown, nodeId: string): ChatChunk =>
  quickChatChunk(value) ?? peerData(chatChunk, value, 'chat chunk', nodeId);
export const parseEmbedResult = (value: unknown, nodeId: string): EmbedResult =>
  peerData(embedResult, value, 'embedding result', nodeId);
