/**
 * `POST /v1/embeddings`: OpenAI's request body → `EmbedRequest`, and `EmbedResult` → OpenAI's
 * `list` of `embedding` objects. `encoding_format: "base64"` (what the official client asks for by
 * default) sends each vector as little-endian float32 bytes in base64.
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';
import type { EmbedRequest, EmbedResult } from '../../core/index.js';
import { UnsupportedParameterError } from '../../core/index.js';
import { AUTO_MODEL } from './chat-request.js';

/** Most inputs in one request (OpenAI's own limit). */
export const MAX_EMBEDDING_INPUTS = 2048;

const tokenArrays = z.union([z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)]);

export const embeddingsBody = z.looseObject({
  model: z.string().min(1).max(512).default(AUTO_MODEL),
  input: z.union([
    z.string().min(1, 'input must not be empty'),
    z
      .array(z.string().min(1, 'input must not contain empty strings'))
      .min(1, 'input must not be empty')
      .max(MAX_EMBEDDING_INPUTS),
    tokenArrays,
  ]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().positive().nullish(),
});

export type EmbeddingsBody = z.output<typeof embeddingsBody>;

export interface ParsedEmbeddings {
  readonly request: EmbedRequest;
  readonly encoding: 'float' | 'base64';
  readonly dimensions: number | null;
}

export function toEmbedRequest(body: EmbeddingsBody): ParsedEmbeddings {
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!texts.every((t): t is string => typeof t === 'string')) {
    throw new UnsupportedParameterError(
      'input as token arrays is not supported: send the text (a string or an array of strings)',
      { details: { param: 'input' } },
    );
  }
  return {
    request: { model: body.model, input: texts },
    encoding: body.encoding_format ?? 'float',
    dimensions: body.dimensions ?? null,
  };
}

export interface OpenAiEmbedding {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

export interface OpenAiEmbeddingList {
  object: 'list';
  data: OpenAiEmbedding[];
  model: string;
  /** Zero when the backend reported no token counts. */
  usage: { prompt_tokens: number; total_tokens: number };
}

/** A vector as little-endian float32 bytes, base64-encoded. */
export function float32Base64(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return Buffer.from(view.buffer).toString('base64');
}

export function toOpenAiEmbeddings(result: EmbedResult, parsed: ParsedEmbeddings): OpenAiEmbeddingList {
  const first = result.embeddings[0];
  if (parsed.dimensions !== null && first !== undefined && first.length !== parsed.dimensions) {
    throw new UnsupportedParameterError(
      `${result.model} makes ${first.length}-dimensional vectors; dimensions=${parsed.dimensions} is not supported`,
      { details: { param: 'dimensions' } },
    );
  }
  const tokens = result.promptTokens ?? 0;
  return {
    object: 'list',
    data: result.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: parsed.encoding === 'base64' ? float32Base64(vector) : [...vector],
    })),
    model: result.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
