/**
 * `OllamaBackend` against the Ollama double: the shared contract, then what is Ollama's own —
 * details from `/api/show` and `/api/ps`, the request shape (`options.num_predict`, tool arguments
 * as objects), `/api/generate`, and `OLLAMA_HOST`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../src/core/index.js';
import { ManualClock, silentLogger } from '../src/core/index.js';
import { OllamaBackend, resolveOllamaUrl } from '../src/integrations/index.js';
import { backendContract, collect } from './backends-contract.js';
import type { OllamaDoubleInit } from './doubles/ollama-double.js';
import { OllamaDouble } from './doubles/ollama-double.js';

const components = { clock: { now: () => Date.now() }, logger: silentLogger() };

backendContract('ollama', {
  async start(timeouts = {}) {
    const double = await OllamaDouble.start();
    return { double, backend: new OllamaBackend(components, { url: double.url, ...timeouts }) };
  },
  backendAt: (url) => new OllamaBackend(components, { url }),
  expectedModels: [
    { id: 'llama3.2:3b', kind: 'chat' },
    { id: 'qwen3:1.7b', kind: 'chat' },
    { id: 'all-minilm:latest', kind: 'embed' },
  ],
  chatModel: 'llama3.2:3b',
  unknownModel: 'llama9:400b',
  embedModel: 'all-minilm:latest',
  streamUsage: true,
  midStreamErrorMessage: true,
});

describe('OllamaBackend', () => {
  const doubles: OllamaDouble[] = [];
  const start = async (
    init: OllamaDoubleInit = {},
  ): Promise<{ double: OllamaDouble; backend: OllamaBackend }> => {
    const double = await OllamaDouble.start(init);
    doubles.push(double);
    return { double, backend: new OllamaBackend(components, { url: double.url }) };
  };
  afterEach(async () => {
    await Promise.all(doubles.splice(0).map((d) => d.close()));
  });

  it('describes models with details from /api/tags, /api/show and /api/ps', async () => {
    const { backend } = await start();
    const models = await backend.listModels();
    const llama = models.find((m) => m.id === 'llama3.2:3b')!;
    expect(llama).toMatchObject({
      family: 'llama',
      parameterSize: '3.2B',
      quantization: 'Q4_K_M',
      sizeBytes: 2_019_393_189,
      contextLength: 131_072,
      loaded: true,
      vramBytes: 2_500_000_000,
      features: ['tools', 'completion'],
      price: null,
    });
    const qwen = models.find((m) => m.id === 'qwen3:1.7b')!;
    expect(qwen.loaded).toBe(false);
    expect(qwen.features).toEqual(['tools', 'thinking', 'completion']);
  });

  it('tells embedding models apart on servers too old to report capabilities', async () => {
    const { backend } = await start({ showWithoutCapabilities: true });
    const models = await backend.listModels();
    expect(models.map((m) => [m.id, m.kind])).toEqual([
      ['llama3.2:3b', 'chat'],
      ['qwen3:1.7b', 'chat'],
      ['all-minilm:latest', 'embed'],
    ]);
    expect(models[0]!.contextLength).toBe(131_072);
  });

  it('reports the server version in its health', async () => {
    const { backend } = await start({ version: '0.9.1' });
    expect((await backend.health()).version).toBe('0.9.1');
  });

  it("sends Ollama's own request shape: options, tools, tool results by name and keep_alive", async () => {
    const double = await OllamaDouble.start();
    doubles.push(double);
    const backend = new OllamaBackend(components, { url: double.url, keepAlive: '10m' });
    const request: ChatRequest = {
      model: 'llama3.2:3b',
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 64,
      stop: ['\n\n'],
      seed: 42,
      tools: [
        { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      ],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '18 C, clear' },
      ],
    };
    await backend.chat(request);
    expect(double.requests.at(-1)!.body).toEqual({
      model: 'llama3.2:3b',
      stream: false,
      keep_alive: '10m',
      options: { temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ['\n\n'], seed: 42 },
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
        },
        { role: 'tool', content: '18 C, clear', tool_name: 'get_weather' },
      ],
    });
  });

  it('offers no tools when the tool choice is none', async () => {
    const { double, backend } = await start();
    await backend.chat({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'get_weather' }],
      toolChoice: 'none',
    });
    expect(double.requests.at(-1)!.body).not.toHaveProperty('tools');
  });

  it('completes a raw prompt through /api/generate, whole and streamed', async () => {
    const { double, backend } = await start();
    double.set({ reply: { chunks: ['def ', 'gcd(a, b):'], promptTokens: 5, completionTokens: 2 } });
    const whole = await backend.generate({
      model: 'llama3.2:3b',
      prompt: 'Write gcd',
      system: 'Python only',
    });
    expect(whole.content).toBe('def gcd(a, b):');
    expect(whole.usage).toEqual({ promptTokens: 5, completionTokens: 2, totalTokens: 7 });
    expect(double.requests.at(-1)).toMatchObject({
      path: '/api/generate',
      body: { model: 'llama3.2:3b', prompt: 'Write gcd', system: 'Python only', stream: false },
    });
    const { chunks, error } = await collect(
      backend.generateStream({ model: 'llama3.2:3b', prompt: 'Write gcd' }),
    );
    expect(error).toBeNull();
    expect(chunks.map((c) => c.content).join('')).toBe('def gcd(a, b):');
    expect(chunks.at(-1)).toMatchObject({
      finishReason: 'stop',
      usage: { promptTokens: 5, completionTokens: 2 },
    });
  });

  it('reports the Ollama error when a chat goes to an embedding-only model', async () => {
    const { backend } = await start();
    await expect(
      backend.chat({ model: 'all-minilm:latest', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toThrow('"all-minilm:latest" does not support chat');
  });

  it('rejects tool-call arguments that are not JSON before sending anything', async () => {
    const { double, backend } = await start();
    const request: ChatRequest = {
      model: 'llama3.2:3b',
      messages: [
        { role: 'assistant', content: null, toolCalls: [{ id: 'c', name: 'f', arguments: '{oops' }] },
      ],
    };
    await expect(backend.chat(request)).rejects.toMatchObject({ code: 'invalid_input' });
    expect(double.requestsTo('/api/chat')).toHaveLength(0);
  });

  it('measures health latency with the injected clock', async () => {
    const double = await OllamaDouble.start();
    doubles.push(double);
    const clock = new ManualClock(1_000);
    const backend = new OllamaBackend({ clock, logger: silentLogger() }, { url: double.url });
    expect((await backend.health()).latencyMs).toBe(0);
  });
});

describe('resolveOllamaUrl', () => {
  it('prefers the configured URL, then OLLAMA_HOST, then the default', () => {
    expect(resolveOllamaUrl({ configUrl: 'http://10.0.0.5:11434/', ollamaHostEnv: '0.0.0.0:9999' })).toBe(
      'http://10.0.0.5:11434',
    );
    expect(resolveOllamaUrl({ configUrl: '', ollamaHostEnv: '0.0.0.0:9999' })).toBe('http://127.0.0.1:9999');
    expect(resolveOllamaUrl({})).toBe('http://127.0.0.1:11434');
  });
});
