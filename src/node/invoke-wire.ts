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

export const parseChatChunk = (value: unknown, nodeId: string): ChatChunk =>
  peerData(chatChunk, value, 'chat chunk', nodeId);
export const parseEmbedResult = (value: unknown, nodeId: string): EmbedResult =>
  peerData(embedResult, value, 'embedding result', nodeId);
