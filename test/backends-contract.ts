/**
 * The behaviour every `InferenceBackend` must have (STYLE rule 18), written once and run against
 * each backend and the double of its server (`test/backend-*.test.ts`). The doubles are real HTTP
 * servers on 127.0.0.1 speaking the real API shapes, so this exercises the whole path: request
 * building, HTTP, NDJSON/SSE parsing, cancellation and error mapping.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendModelKind, ChatChunk, ChatRequest, InferenceBackend } from '../src/core/index.js';
import {
  AbortedError,
  BackendError,
  BackendStreamInterruptedError,
  BackendTimeoutError,
  BackendUnavailableError,
  ChatResultBuilder,
  ModelNotFoundError,
} from '../src/core/index.js';
import type { DoubleServer } from './doubles/double-server.js';
import { closedPortUrl } from './doubles/double-server.js';

export interface BackendTimeouts {
  readonly timeoutMs?: number;
  readonly streamIdleTimeoutMs?: number;
}

export interface BackendContractHarness {
  /** Starts a fresh double and a backend pointed at it. */
  start(timeouts?: BackendTimeouts): Promise<{ backend: InferenceBackend; double: DoubleServer }>;
  /** A backend of the same kind for `url`. */
  backendAt(url: string): InferenceBackend;
  /** What `listModels` must return for the double's default models. */
  readonly expectedModels: readonly { readonly id: string; readonly kind: BackendModelKind }[];
  readonly chatModel: string;
  readonly unknownModel: string;
  /** A model to embed with, or null if the backend has no embeddings. */
  readonly embedModel: string | null;
  /** Whether streamed answers carry token counts. */
  readonly streamUsage: boolean;
  /** Whether a failure in the middle of a stream carries the server's message to the client. */
  readonly midStreamErrorMessage: boolean;
}

export interface Collected {
  readonly chunks: ChatChunk[];
  readonly error: unknown;
}

/** Reads a stream to its end (or its error); `onChunk` runs before the next piece is read. */
export async function collect(
  stream: AsyncIterable<ChatChunk>,
  onChunk: (chunk: ChatChunk, index: number) => void = () => {},
): Promise<Collected> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      onChunk(chunk, chunks.length - 1);
    }
    return { chunks, error: null };
  } catch (error) {
    return { chunks, error };
  }
}

const text = (chunks: readonly ChatChunk[]): string => chunks.map((c) => c.content).join('');

export function backendContract(name: string, harness: BackendContractHarness): void {
  describe(`InferenceBackend contract: ${name}`, () => {
    const doubles: DoubleServer[] = [];
    const start = async (
      timeouts?: BackendTimeouts,
    ): Promise<{ backend: InferenceBackend; double: DoubleServer }> => {
      const started = await harness.start(timeouts);
      doubles.push(started.double);
      return started;
    };
    afterEach(async () => {
      await Promise.all(doubles.splice(0).map((d) => d.close()));
    });

    const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
      model: harness.chatModel,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content },
      ],
      ...extra,
    });

    describe('health and models', () => {
      it('reports itself healthy with a latency when the server answers', async () => {
        const { backend } = await start();
        const health = await backend.health();
        expect(health.status).toBe('ok');
        expect(health.backend).toBe(backend.name);
        expect(health.url).toBe(backend.url);
        expect(health.latencyMs).toBeGreaterThanOrEqual(0);
        expect(health.errorCode).toBeNull();
      });

      it('reports an unreachable server in its health instead of throwing', async () => {
        const backend = harness.backendAt(await closedPortUrl());
        const health = await backend.health();
        expect(health.status).toBe('unreachable');
        expect(health.errorCode).toBe('backend_unavailable');
        expect(health.detail).toContain('not reachable');
      });

      it('lists the models the server offers, with their kinds', async () => {
        const { backend } = await start();
        const models = await backend.listModels();
        expect(models.map((m) => ({ id: m.id, kind: m.kind }))).toEqual(harness.expectedModels);
      });
    });

    describe('chat', () => {
      it('answers with the scripted text, a finish reason and the token counts', async () => {
        const { backend, double } = await start();
        double.set({ reply: { chunks: ['The sky ', 'is blue.'], promptTokens: 12, completionTokens: 4 } });
        const result = await backend.chat(ask('Why is the sky blue?'));
        expect(result.content).toBe('The sky is blue.');
        expect(result.finishReason).toBe('stop');
        expect(result.toolCalls).toEqual([]);
        expect(result.usage).toEqual({ promptTokens: 12, completionTokens: 4, totalTokens: 16 });
      });

      it('sends the conversation to the server', async () => {
        const { backend, double } = await start();
        await backend.chat(ask('What is a llama?'));
        const sent = JSON.stringify(double.requests.at(-1)?.body);
        expect(sent).toContain('What is a llama?');
        expect(sent).toContain('You are terse.');
      });

      it('reports a cut-off answer as finished by length', async () => {
        const { backend, double } = await start();
        double.set({ reply: { chunks: ['Once upon'], finishReason: 'length' } });
        const result = await backend.chat(ask('Tell me a story', { maxTokens: 2 }));
        expect(result.finishReason).toBe('length');
        const streamed = await collect(backend.chatStream(ask('Tell me a story', { maxTokens: 2 })));
        expect(streamed.chunks.at(-1)?.finishReason).toBe('length');
      });

      it('returns tool calls with their names and JSON arguments, whole and streamed', async () => {
        const { backend, double } = await start();
        const call = { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } };
        double.set({ reply: { chunks: [], toolCalls: [call] } });
        const request = ask('Weather in Paris?', {
          tools: [
            {
              name: 'get_weather',
              description: 'Current weather',
              parameters: {
                type: 'object',
                properties: { city: { type: 'string' }, unit: { type: 'string' } },
              },
            },
          ],
        });
        const whole = await backend.chat(request);
        expect(whole.finishReason).toBe('tool_calls');
        expect(
          whole.toolCalls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as unknown })),
        ).toEqual([{ name: 'get_weather', args: call.arguments }]);
        expect(whole.toolCalls[0]!.id).not.toBe('');

        const builder = new ChatResultBuilder();
        const streamed = await collect(backend.chatStream(request), (c) => builder.add(c));
        expect(streamed.error).toBeNull();
        const folded = builder.result(harness.chatModel);
        expect(folded.finishReason).toBe('tool_calls');
        expect(
          folded.toolCalls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as unknown })),
        ).toEqual([{ name: 'get_weather', args: call.arguments }]);
      });
    });

    describe('streaming', () => {
      it('delivers pieces while the server is still sending', async () => {
        const { backend, double } = await start();
        const chunks = ['one ', 'two ', 'three ', 'four ', 'five'];
        double.set({ reply: { chunks }, chunkDelayMs: 40 });
        let completedAtFirstPiece = -1;
        let sentAtFirstPiece = -1;
        const { chunks: got, error } = await collect(backend.chatStream(ask('Count to five')), (chunk) => {
          if (chunk.content !== '' && completedAtFirstPiece < 0) {
            completedAtFirstPiece = double.stats.completed;
            sentAtFirstPiece = double.stats.chunksSent;
          }
        });
        expect(error).toBeNull();
        expect(completedAtFirstPiece).toBe(0);
        expect(sentAtFirstPiece).toBeLessThan(chunks.length);
        expect(text(got)).toBe('one two three four five');
        expect(got.filter((c) => c.content !== '').length).toBeGreaterThan(1);
      });

      it('ends with exactly one chunk that carries the finish reason (and token counts when the server reports them)', async () => {
        const { backend, double } = await start();
        double.set({ reply: { chunks: ['a', 'b', 'c'], promptTokens: 9, completionTokens: 3 } });
        const { chunks, error } = await collect(backend.chatStream(ask('abc')));
        expect(error).toBeNull();
        const withFinish = chunks.filter((c) => c.finishReason !== undefined);
        expect(withFinish).toHaveLength(1);
        expect(chunks.at(-1)).toBe(withFinish[0]);
        expect(chunks.at(-1)!.finishReason).toBe('stop');
        const usage = chunks.filter((c) => c.usage !== undefined);
        if (harness.streamUsage) {
          expect(usage).toHaveLength(1);
          expect(chunks.at(-1)!.usage).toEqual({ promptTokens: 9, completionTokens: 3, totalTokens: 12 });
        } else {
          expect(usage).toHaveLength(0);
        }
      });

      it('stops the upstream request when the caller aborts a stream', async () => {
        const { backend, double } = await start();
        const total = 40;
        double.set({
          reply: { chunks: Array.from({ length: total }, (_, i) => `w${i} `) },
          chunkDelayMs: 30,
        });
        const upstreamAborted = double.nextAbort();
        const controller = new AbortController();
        const { chunks, error } = await collect(
          backend.chatStream(ask('Talk for a long time'), { signal: controller.signal }),
          (_chunk, index) => {
            if (index === 1) controller.abort();
          },
        );
        expect(error).toBeInstanceOf(AbortedError);
        expect(chunks.length).toBeLessThan(total);
        await upstreamAborted;
        expect(double.stats.aborted).toBe(1);
        expect(double.stats.completed).toBe(0);
        expect(double.stats.chunksSent).toBeLessThan(total);
      });

      it('stops the upstream request when the consumer stops reading', async () => {
        const { backend, double } = await start();
        double.set({ reply: { chunks: Array.from({ length: 40 }, (_, i) => `w${i} `) }, chunkDelayMs: 30 });
        const upstreamAborted = double.nextAbort();
        let seen = 0;
        for await (const chunk of backend.chatStream(ask('Talk for a long time'))) {
          if (chunk.content !== '') seen++;
          if (seen === 2) break;
        }
        await upstreamAborted;
        expect(double.stats.aborted).toBe(1);
        expect(double.stats.chunksSent).toBeLessThan(40);
      });

      it('rejects at once when the signal is already aborted', async () => {
        const { backend, double } = await start();
        const controller = new AbortController();
        controller.abort();
        await expect(backend.chat(ask('hi'), { signal: controller.signal })).rejects.toBeInstanceOf(
          AbortedError,
        );
        const { error } = await collect(backend.chatStream(ask('hi'), { signal: controller.signal }));
        expect(error).toBeInstanceOf(AbortedError);
        expect(double.requests).toHaveLength(0);
      });
    });

    describe('failures', () => {
      it('fails with BackendUnavailableError when nothing listens at the URL', async () => {
        const backend = harness.backendAt(await closedPortUrl());
        await expect(backend.listModels()).rejects.toBeInstanceOf(BackendUnavailableError);
        await expect(backend.chat(ask('hi'))).rejects.toBeInstanceOf(BackendUnavailableError);
        const { error } = await collect(backend.chatStream(ask('hi')));
        expect(error).toBeInstanceOf(BackendUnavailableError);
        expect((error as BackendUnavailableError).code).toBe('backend_unavailable');
      });

      it('fails with ModelNotFoundError for a model the server does not have', async () => {
        const { backend } = await start();
        const request = { ...ask('hi'), model: harness.unknownModel };
        const err = await backend.chat(request).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ModelNotFoundError);
        expect((err as ModelNotFoundError).code).toBe('model_not_found');
        expect((err as ModelNotFoundError).message).toContain(harness.unknownModel);
        const { error } = await collect(backend.chatStream(request));
        expect(error).toBeInstanceOf(ModelNotFoundError);
      });

      it('fails with a BackendError carrying the upstream message when the server answers an error status', async () => {
        const { backend, double } = await start();
        double.set({ errorResponse: { status: 500, message: 'the model failed to generate a response' } });
        const err = await backend.chat(ask('hi')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BackendError);
        expect((err as BackendError).code).toBe('backend_error');
        expect((err as BackendError).message).toContain('the model failed to generate a response');
        expect((err as BackendError).details.httpStatus).toBe(500);
        const { error } = await collect(backend.chatStream(ask('hi')));
        expect(error).toBeInstanceOf(BackendError);
        expect((error as BackendError).message).toContain('the model failed to generate a response');
      });

      it('fails mid-stream with a BackendError after the pieces already sent', async () => {
        const { backend, double } = await start();
        double.set({
          reply: { chunks: ['a', 'b', 'c', 'd'] },
          failStream: {
            afterChunks: 2,
            mode: 'error',
            message: 'an error was encountered while running the model',
          },
        });
        const { chunks, error } = await collect(backend.chatStream(ask('abcd')));
        expect(text(chunks)).toBe('ab');
        expect(chunks.some((c) => c.finishReason !== undefined)).toBe(false);
        expect(error).toBeInstanceOf(BackendError);
        if (harness.midStreamErrorMessage) {
          expect((error as BackendError).message).toContain(
            'an error was encountered while running the model',
          );
        } else {
          expect(error).toBeInstanceOf(BackendStreamInterruptedError);
        }
      });

      it('fails with BackendStreamInterruptedError when the connection drops mid-stream', async () => {
        const { backend, double } = await start();
        double.set({
          reply: { chunks: ['a', 'b', 'c', 'd'] },
          chunkDelayMs: 10,
          failStream: { afterChunks: 2, mode: 'disconnect', message: '' },
        });
        const { chunks, error } = await collect(backend.chatStream(ask('abcd')));
        expect(text(chunks)).toBe('ab');
        expect(error).toBeInstanceOf(BackendStreamInterruptedError);
        expect((error as BackendStreamInterruptedError).code).toBe('backend_stream_interrupted');
      });

      it('fails with BackendTimeoutError when the server does not answer in time', async () => {
        const { backend, double } = await start({ timeoutMs: 150 });
        double.set({ headerDelayMs: 600 });
        const err = await backend.chat(ask('hi')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BackendTimeoutError);
        expect((err as BackendTimeoutError).code).toBe('backend_timeout');
        const { error } = await collect(backend.chatStream(ask('hi')));
        expect(error).toBeInstanceOf(BackendTimeoutError);
      });

      it('fails with BackendTimeoutError when a stream goes silent longer than the idle limit', async () => {
        const { backend, double } = await start({ streamIdleTimeoutMs: 150 });
        double.set({ reply: { chunks: ['a', 'b'] }, chunkDelayMs: 600 });
        const upstreamAborted = double.nextAbort();
        const { error } = await collect(backend.chatStream(ask('hi')));
        expect(error).toBeInstanceOf(BackendTimeoutError);
        expect((error as BackendTimeoutError).message).toContain('150 ms');
        await upstreamAborted;
      });
    });

    describe('embeddings', () => {
      if (harness.embedModel === null) {
        it('offers no embed method', async () => {
          const { backend } = await start();
          expect('embed' in backend).toBe(false);
        });
        return;
      }
      const embedModel = harness.embedModel;

      it('embeds every input into one vector each, in input order', async () => {
        const { backend } = await start();
        const embed = backend.embed!.bind(backend);
        const result = await embed({ model: embedModel, input: ['turn on the light', 'what time is it'] });
        expect(result.embeddings).toHaveLength(2);
        const [first, second] = result.embeddings;
        expect(first!.length).toBeGreaterThan(0);
        expect(second).toHaveLength(first!.length);
        expect(first).not.toEqual(second);
        const again = await embed({ model: embedModel, input: ['what time is it'] });
        expect(again.embeddings[0]).toEqual(second);
        expect(result.promptTokens).toBeGreaterThan(0);
      });

      it('fails with ModelNotFoundError when embedding with a model the server does not have', async () => {
        const { backend } = await start();
        await expect(backend.embed!({ model: harness.unknownModel, input: ['x'] })).rejects.toBeInstanceOf(
          ModelNotFoundError,
        );
      });
    });
  });
}
