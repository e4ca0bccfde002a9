/**
 * `LlamaFarmBackend` against the LlamaFarm double: the shared contract, then LlamaFarm's own —
 * projects per namespace, the project chat path, stateless sessions and FastAPI error bodies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ModelNotFoundError, silentLogger } from '../src/core/index.js';
import { LlamaFarmBackend, parseProjectId } from '../src/integrations/index.js';
import { backendContract } from './backends-contract.js';
import type { LlamaFarmDoubleInit } from './doubles/llamafarm-double.js';
import { LlamaFarmDouble } from './doubles/llamafarm-double.js';

const components = { clock: { now: () => Date.now() }, logger: silentLogger() };

backendContract('llamafarm', {
  async start(timeouts = {}) {
    const double = await LlamaFarmDouble.start();
    return { double, backend: new LlamaFarmBackend(components, { url: double.url, ...timeouts }) };
  },
  backendAt: (url) => new LlamaFarmBackend(components, { url }),
  expectedModels: [
    { id: 'default/chatbot', kind: 'rag' },
    { id: 'default/public-docs', kind: 'rag' },
  ],
  chatModel: 'default/chatbot',
  unknownModel: 'default/no-such-project',
  embedModel: null,
  streamUsage: false,
  // LlamaFarm logs a mid-stream failure and ends the stream with [DONE]; the message stays server-side.
  midStreamErrorMessage: false,
});

describe('LlamaFarmBackend', () => {
  const doubles: LlamaFarmDouble[] = [];
  const start = async (
    init: LlamaFarmDoubleInit = {},
    namespaces?: string[],
  ): Promise<{ double: LlamaFarmDouble; backend: LlamaFarmBackend }> => {
    const double = await LlamaFarmDouble.start(init);
    doubles.push(double);
    return { double, backend: new LlamaFarmBackend(components, { url: double.url, namespaces }) };
  };
  afterEach(async () => {
    await Promise.all(doubles.splice(0).map((d) => d.close()));
  });

  it('lists the projects of every configured namespace and skips namespaces that do not exist', async () => {
    const { double, backend } = await start(
      {
        projects: [
          { namespace: 'default', name: 'chatbot' },
          { namespace: 'acme', name: 'support', model: 'qwen3:8b', description: 'Customer support' },
        ],
      },
      ['default', 'acme', 'ghost'],
    );
    const models = await backend.listModels();
    expect(models.map((m) => m.id)).toEqual(['default/chatbot', 'acme/support']);
    expect(models[1]!.description).toBe(
      'LlamaFarm project acme/support (model qwen3:8b via ollama): Customer support',
    );
    expect(double.requestsTo('/v1/projects/').map((r) => r.path)).toEqual([
      '/v1/projects/default',
      '/v1/projects/acme',
      '/v1/projects/ghost',
    ]);
  });

  it('chats through the project endpoint, statelessly, answering as the project', async () => {
    const { double, backend } = await start();
    double.set({ reply: { chunks: ['LlamaFarm ', 'grows llamas.'] } });
    const result = await backend.chat({
      model: 'default/chatbot',
      messages: [{ role: 'user', content: 'What is LlamaFarm?' }],
      temperature: 0.5,
      maxTokens: 100,
      stop: ['END'],
    });
    expect(result.content).toBe('LlamaFarm grows llamas.');
    expect(result.model).toBe('default/chatbot');
    const sent = double.requests.at(-1)!;
    expect(sent.path).toBe('/v1/projects/default/chatbot/chat/completions');
    expect(sent.headers['x-no-session']).toBe('true');
    expect(sent.body).toEqual({
      messages: [{ role: 'user', content: 'What is LlamaFarm?' }],
      stream: false,
      temperature: 0.5,
      max_tokens: 100,
      stop: ['END'],
    });
  });

  it('refuses a model id that is not namespace/project without a request', async () => {
    const { double, backend } = await start();
    await expect(
      backend.chat({ model: 'chatbot', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(double.requestsTo('/v1/projects/')).toHaveLength(0);
  });

  it("reports LlamaFarm's own error detail", async () => {
    const { backend } = await start();
    await expect(
      backend.chat({
        model: 'default/chatbot',
        messages: [{ role: 'system', content: 'only a system prompt' }],
      }),
    ).rejects.toThrow('No user message provided');
  });

  it('reports a degraded server as reachable but degraded, with its summary', async () => {
    const { backend } = await start({ healthStatus: 'degraded' });
    const health = await backend.health();
    expect(health.status).toBe('degraded');
    expect(health.detail).toContain('ollama=degraded');
  });

  it('splits project ids into namespace and project', () => {
    expect(parseProjectId('default/public-docs')).toEqual({ namespace: 'default', project: 'public-docs' });
    expect(parseProjectId('a/b/c')).toBeNull();
    expect(parseProjectId('solo')).toBeNull();
  });
});
