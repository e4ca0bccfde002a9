/**
 * The OpenAI-compatible API over a real socket, driven by the official `openai` npm client: the
 * node's `/v1/*` must work for any program written against OpenAI's SDK. The mesh behind it is a
 * scripted `FakeGateway`; the HTTP server is the real one.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, tokenUsage } from '../src/core/index.js';
import { startHttpServer } from '../src/api/index.js';
import type { RunningHttpServer } from '../src/api/index.js';
import { BEARER, OWNER_TOKEN, scriptedStream, setupOpenAiApi } from './api-fixtures.js';
import type { StreamProbe } from './api-fixtures.js';

const servers: RunningHttpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ deadlineMs: 100 })));
});

async function serve(init: Parameters<typeof setupOpenAiApi>[0] = {}) {
  const setup = setupOpenAiApi(init);
  const server = await startHttpServer(setup.api, { host: '127.0.0.1', port: 0 });
  servers.push(server);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: OWNER_TOKEN, maxRetries: 0 });
  return { ...setup, server, client };
}

function newProbe(): StreamProbe {
  return { yielded: 0, closed: false, aborted: false };
}

describe('the official openai client against /v1', () => {
  it('lists the mesh’s models, auto first, with Atmosphere’s node details', async () => {
    const { client } = await serve();
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([
      'auto',
      'llama3.2:3b',
      'qwen2.5-coder:7b',
      'llama3.2:3b',
      'default/camelids',
      'nomic-embed-text',
    ]);
    expect(page.data[2]).toMatchObject({
      object: 'model',
      owned_by: 'gpu-box',
      atmosphere: { nodeId: '12D3KooWGpuBox', capabilityId: 'ollama/qwen2.5-coder:7b', kind: 'chat' },
    });
    expect((await client.models.retrieve('default/camelids')).owned_by).toBe('gpu-box');
  });

  it('creates a chat completion and exposes the route receipt headers through withResponse()', async () => {
    const { client, server } = await serve();
    const { data, response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('llama3.2:3b');
    expect(data.choices[0]?.message.content).toBe('echo: hello there');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(response.headers.get('x-atmosphere-node')).toBe('12D3KooWTestNode');
    expect(response.headers.get('x-atmosphere-capability')).toBe('ollama/llama3.2:3b');
    expect(response.headers.get('x-atmosphere-attempts')).toBe('1');
    const routeId = response.headers.get('x-atmosphere-route-id');
    const explained = await fetch(`${server.url}/api/routes/${routeId}`, { headers: BEARER });
    expect(await explained.json()).toMatchObject({
      receipt: { routeId, mode: 'auto' },
      intent: 'hello there',
    });
  });

  it('passes tools through and returns the model’s tool calls', async () => {
    const { client, gateway } = await serve();
    gateway.chatReply = (request) => ({
      model: request.model,
      content: '',
      reasoning: null,
      toolCalls: [{ id: 'call_9', name: 'get_weather', arguments: '{"city":"Lyon"}' }],
      finishReason: 'tool_calls',
      usage: tokenUsage(20, 8),
    });
    const completion = await client.chat.completions.create({
      model: 'qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'weather in Lyon?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      tool_choice: 'auto',
    });
    const message = completion.choices[0]?.message;
    expect(message?.content).toBeNull();
    expect(message?.tool_calls).toEqual([
      { id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
    ]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(gateway.calls[0]?.request).toMatchObject({
      model: 'qwen2.5-coder:7b',
      toolChoice: 'auto',
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
    });
  });

  it('streams chunks as they are produced, with receipt headers and usage, over a real socket', async () => {
    const { client, gateway } = await serve();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const probe = newProbe();
    gateway.streamReply = (_request, signal) =>
      scriptedStream(
        [
          { content: 'The ' },
          { content: 'sky ' },
          { content: 'is blue.' },
          { content: '', finishReason: 'stop', usage: tokenUsage(4, 3) },
        ],
        { signal, gates: new Map([[1, gate]]), probe },
      );
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'auto',
        messages: [{ role: 'user', content: 'sky colour?' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-atmosphere-route-id')).toBe('rt_1');
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.role).toBe('assistant');
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe('The ');
    // The client holds the first words while the model has not produced the second piece yet.
    expect(probe.yielded).toBe(1);
    release();
    const rest: OpenAI.ChatCompletionChunk[] = [];
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
      rest.push(next.value);
    expect(rest.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['sky ', 'is blue.', null, null]);
    expect(rest.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(rest.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  });

  it('delivers chunks of a slow model spread out in time, not all at the end', async () => {
    const { client, gateway } = await serve();
    const delayMs = 60;
    gateway.streamReply = (_request, signal) =>
      scriptedStream(
        [
          { content: 'a' },
          { content: 'b' },
          { content: 'c' },
          { content: 'd' },
          { content: '', finishReason: 'stop' },
        ],
        { signal, delayMs },
      );
    const stream = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'letters' }],
      stream: true,
    });
    const arrivals: { content: string; atMs: number }[] = [];
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) arrivals.push({ content, atMs: performance.now() });
    }
    expect(arrivals.map((a) => a.content)).toEqual(['a', 'b', 'c', 'd']);
    // Each piece waits delayMs after the one before: with buffering they would arrive together.
    expect(arrivals[3]!.atMs - arrivals[1]!.atMs).toBeGreaterThanOrEqual(delayMs * 1.5);
  });

  it('assembles streamed tool calls with the client’s own chat.completions.stream() helper', async () => {
    const { client, gateway } = await serve();
    gateway.streamReply = (_request, signal) =>
      scriptedStream(
        [
          { content: '', toolCalls: [{ index: 0, id: 'call_s', name: 'get_weather', arguments: '{"ci' }] },
          { content: '', toolCalls: [{ index: 0, arguments: 'ty":"Rome"}' }] },
          { content: '', finishReason: 'tool_calls' },
        ],
        { signal },
      );
    const runner = client.chat.completions.stream({
      model: 'auto',
      messages: [{ role: 'user', content: 'weather in Rome?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls).toEqual([
      expect.objectContaining({
        id: 'call_s',
        type: 'function',
        function: expect.objectContaining({ name: 'get_weather', arguments: '{"city":"Rome"}' }) as unknown,
      }),
    ]);
  });

  it('stops the upstream when the client breaks out of a stream', async () => {
    const { client, gateway } = await serve();
    const probe = newProbe();
    gateway.streamReply = (_request, signal) =>
      scriptedStream(
        [{ content: 'one' }, { content: 'two' }, { content: 'three' }, { content: '', finishReason: 'stop' }],
        { signal, gates: new Map([[2, new Promise<void>(() => {})]]), probe },
      );
    const stream = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content === 'two') break;
    }
    await vi.waitFor(() => expect(probe.closed).toBe(true));
    expect(probe.aborted).toBe(true);
    expect(probe.yielded).toBe(2);
  });

  it('surfaces a failure mid-stream as the client’s APIError with the error code', async () => {
    const { client, gateway } = await serve();
    gateway.streamReply = (_request, signal) =>
      scriptedStream([{ content: 'x' }, { content: 'y' }, { content: 'z' }], {
        signal,
        failAfter: 2,
        failWith: new BackendUnavailableError('the GPU box went away'),
      });
    const stream = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['', 'x', 'y']);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ code: 'backend_unavailable', type: 'unavailable_error' });
    expect((err as Error).message).toContain('the GPU box went away');
  });

  it('creates embeddings in the client’s default base64 encoding and as floats', async () => {
    const { client, gateway } = await serve();
    gateway.embedReply = (request) => ({
      model: request.model,
      embeddings: request.input.map((_, i) => [0.5, -1.25, i]),
      promptTokens: 6,
    });
    const defaulted = await client.embeddings.create({ model: 'auto', input: ['first', 'second'] });
    expect(defaulted.data.map((d) => d.embedding)).toEqual([
      [0.5, -1.25, 0],
      [0.5, -1.25, 1],
    ]);
    expect(defaulted.model).toBe('nomic-embed-text');
    expect(defaulted.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    const { data: floats, response } = await client.embeddings
      .create({ model: 'nomic-embed-text', input: 'one', encoding_format: 'float' })
      .withResponse();
    expect(floats.data[0]?.embedding).toEqual([0.5, -1.25, 0]);
    expect(response.headers.get('x-atmosphere-capability')).toBe('ollama/nomic-embed-text');
  });

  it('raises the client’s typed errors with status and code: unknown model, bad input, wrong key', async () => {
    const { client, server } = await serve();
    const missing = await client.chat.completions
      .create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'model_not_found', type: 'not_found_error' });

    const image = await client.chat.completions
      .create({
        model: 'auto',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
      })
      .catch((e: unknown) => e);
    expect(image).toBeInstanceOf(OpenAI.BadRequestError);
    expect(image).toMatchObject({
      status: 400,
      code: 'unsupported_parameter',
      param: 'messages[0].content[0]',
    });

    const stranger = new OpenAI({
      baseURL: `${server.url}/v1`,
      apiKey: 'not-the-owner-token',
      maxRetries: 0,
    });
    const refused = await stranger.models.list().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('works without a key when access.require_auth is off', async () => {
    const { server } = await serve({ requireAuthForV1: false });
    const open = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await open.chat.completions.create({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('echo: hi');
  });
});
