/**
 * `POST /v1/chat/completions` request bodies (OpenAI's snake_case wire format) → the domain's
 * `ChatRequest`. Fields Atmosphere has no use for are ignored as OpenAI ignores unknown ones; fields
 * whose silent loss would change what the caller gets back (images, `n` > 1, structured output,
 * legacy `functions`) are refused with `UnsupportedParameterError`.
 */
import { z } from 'zod';
import type { ChatMessage, ChatRequest, ToolChoice, ToolDefinition } from '../../core/index.js';
import { UnsupportedParameterError } from '../../core/index.js';

/** The model id that asks the mesh to route on the conversation. */
export const AUTO_MODEL = 'auto';

/** A content part; only `text` parts are accepted after parsing (see `contentText`). */
const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(contentPart)]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const name = z.string().min(1).max(256).nullish();

const message = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.enum(['system', 'developer']), content, name }),
    z.object({ role: z.literal('user'), content, name }),
    z.object({
      role: z.literal('assistant'),
      content: content.nullish(),
      name,
      tool_calls: z.array(toolCall).nullish(),
    }),
    z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1) }),
  ],
  { error: 'role must be one of system, developer, user, assistant, tool' },
);

const tool = z.object({
  type: z.literal('function', { error: 'only tools of type "function" are supported' }),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a function name is 1 to 64 letters, digits, "_" or "-"'),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const maxTokens = z.number().int().positive().nullish();

/** The fields of an OpenAI chat request that Atmosphere reads; anything else is ignored. */
export const chatCompletionBody = z.looseObject({
  model: z.string().min(1).max(512).default(AUTO_MODEL),
  messages: z.array(message).min(1, 'at least one message is required'),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  seed: z.number().int().nullish(),
  tools: z.array(tool).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
  n: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
  functions: z.unknown().optional(),
  function_call: z.unknown().optional(),
});

export type ChatCompletionBody = z.output<typeof chatCompletionBody>;

/** What the route needs from a chat request body. */
export interface ParsedChatCompletion {
  readonly request: ChatRequest;
  readonly stream: boolean;
  /** Send a last chunk with token usage (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
}

function unsupported(param: string, message: string): UnsupportedParameterError {
  return new UnsupportedParameterError(message, { details: { param } });
}

/** The text of a message's content; non-text parts (images, audio, files) are refused. */
function contentText(value: z.output<typeof content>, param: string): string {
  if (typeof value === 'string') return value;
  return value
    .map((part, i) => {
      if (part.type !== 'text' || part.text === undefined) {
        throw unsupported(
          `${param}[${i}]`,
          `${param}[${i}] is a "${part.type}" content part: images, audio and files are not supported yet, only text`,
        );
      }
      return part.text;
    })
    .join('\n');
}

function toMessage(m: z.output<typeof message>, index: number): ChatMessage {
  const param = `messages[${index}].content`;
  const named = m.role !== 'tool' && m.name !== null && m.name !== undefined ? { name: m.name } : {};
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: contentText(m.content, param), ...named };
    case 'user':
      return { role: 'user', content: contentText(m.content, param), ...named };
    case 'tool':
      return { role: 'tool', content: contentText(m.content, param), toolCallId: m.tool_call_id };
    case 'assistant': {
      const toolCalls = (m.tool_calls ?? []).map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments,
      }));
      const text = m.content === null || m.content === undefined ? null : contentText(m.content, param);
      return {
        role: 'assistant',
        content: text,
        ...named,
        ...(toolCalls.length === 0 ? {} : { toolCalls }),
      };
    }
  }
}

function toToolChoice(value: z.output<typeof toolChoice>, tools: readonly ToolDefinition[]): ToolChoice {
  if (typeof value === 'string') return value;
  const wanted = value.function.name;
  if (!tools.some((t) => t.name === wanted)) {
    throw unsupported('tool_choice', `tool_choice names the function "${wanted}", which is not in tools`);
  }
  return { name: wanted };
}

/** Validated body → `ChatRequest` (camelCase) plus how to answer (stream or not, usage chunk). */
export function toChatRequest(body: ChatCompletionBody): ParsedChatCompletion {
  if (body.n !== null && body.n !== undefined && body.n !== 1) {
    throw unsupported('n', `n must be 1: Atmosphere returns one choice per request (got n=${body.n})`);
  }
  const format = body.response_format?.type;
  if (format !== undefined && format !== 'text') {
    throw unsupported(
      'response_format',
      `response_format "${format}" is not supported yet: ask for JSON in the prompt, or leave response_format out`,
    );
  }
  for (const legacy of ['functions', 'function_call'] as const) {
    if (body[legacy] !== undefined && body[legacy] !== null) {
      throw unsupported(
        legacy,
        `${legacy} is the deprecated form of function calling: use tools and tool_choice`,
      );
    }
  }

  const tools: ToolDefinition[] = (body.tools ?? []).map((t) => ({
    name: t.function.name,
    ...(t.function.description === null || t.function.description === undefined
      ? {}
      : { description: t.function.description }),
    ...(t.function.parameters === null || t.function.parameters === undefined
      ? {}
      : { parameters: t.function.parameters }),
  }));
  const toolChoiceValue =
    body.tool_choice === null || body.tool_choice === undefined
      ? undefined
      : toToolChoice(body.tool_choice, tools);
  const maxTokensValue = body.max_completion_tokens ?? body.max_tokens;
  const stop =
    body.stop === null || body.stop === undefined
      ? []
      : typeof body.stop === 'string'
        ? [body.stop]
        : body.stop;

  const request: ChatRequest = {
    model: body.model,
    messages: body.messages.map(toMessage),
    ...(body.temperature === null || body.temperature === undefined ? {} : { temperature: body.temperature }),
    ...(body.top_p === null || body.top_p === undefined ? {} : { topP: body.top_p }),
    ...(maxTokensValue === null || maxTokensValue === undefined ? {} : { maxTokens: maxTokensValue }),
    ...(stop.length === 0 ? {} : { stop }),
    ...(body.seed === null || body.seed === undefined ? {} : { seed: body.seed }),
    ...(tools.length === 0 ? {} : { tools }),
    ...(toolChoiceValue === undefined ? {} : { toolChoice: toolChoiceValue }),
  };
  const stream = body.stream === true;
  return { request, stream, includeUsage: stream && body.stream_options?.include_usage === true };
}
