/**
 * `OpenAiCompatibleBackend` against the OpenAI double: the shared contract, then what is the
 * cloud's own — the API key, model filtering, prices, usage on the last chunk and the request shape.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../src/core/index.js';
import { BackendAuthError, silentLogger } from '../src/core/index.js';
import type { OpenAiCompatibleBackendInit } from '../src/integrations/index.js';
import { OpenAiCompatibleBackend } from '../src/integrations/index.js';
import { backendContract, collect } from './backends-contract.js';
import { OpenAiDouble } from './doubles/openai-double.js';

const components = { clock: { now: () => Date.now() }, logger: silentLogger() };
const KEY = 'sk-test-double';

const backendFor = (url: string, init: Partial<OpenAiCompatibleBackendInit> = {}): OpenAiCompatibleBackend =>
  new OpenAiCompatibleBackend(components, { name: 'openai', baseUrl: url, apiKey: KEY, ...init });

backendContract('openai-compatible', {
  async start(timeouts = {}) {
    const double = await OpenAiDouble.start();
    return { double, backend: backendFor(double.url, timeouts) };
  },
  backendAt: (url) => backendFor(`${url}/v1`),
  expectedModels: [
    { id: 'gpt-4o-mini', kind: 'chat' },
    { id: 'gpt-4.1-nano', kind: 'chat' },
    { id: 'text-embedding-3-small', kind: 'embed' },
  ],
  chatModel: 'gpt-4o-mini',
  unknownModel: 'gpt-9-ultra',
  embedModel: 'text-embedding-3-small',
  streamUsage: true,
  midStreamErrorMessage: true,
});

describe('OpenAiCompatibleBackend', () => {
  const doubles: OpenAiDouble[] = [];
  const start = async (): Promise<OpenAiDouble> => {
    const double = await OpenAiDouble.start();
    doubles.push(double);
    return double;
  };
  afterEach(async () => {
    await Promise.all(doubles.splice(0).map((d) => d.close()));
  });
  const hello: ChatRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

  it('sends the API key as a Bearer token', async () => {
    const double = await start();
    await backendFor(double.url).chat(hello);
    expect(double.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('fails with BackendAuthError naming the variable when the key is missing or wrong', async () => {
    const double = await start();
    const missing = await backendFor(double.url, { apiKey: null, apiKeyEnv: 'OPENAI_API_KEY' })
      .chat(hello)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BackendAuthError);
    expect((missing as Error).message).toContain("You didn't provide an API key");
    expect((missing as Error).message).toContain('set OPENAI_API_KEY');
    const wrong = await backendFor(double.url, { apiKey: 'sk-wrong-key-1234', apiKeyEnv: 'OPENAI_API_KEY' })
      .health()
      .then((h) => h);
    expect(wrong.status).toBe('error');
    expect(wrong.errorCode).toBe('backend_auth_failed');
    expect(wrong.detail).toContain('Incorrect API key provided');
    expect(wrong.detail).toContain('check the key in OPENAI_API_KEY');
  });

  it('offers only the configured models when a list is given, with known prices attached', async () => {
    const double = await start();
    const models = await backendFor(double.url, {
      models: ['gpt-4.1-nano', 'not-listed-by-provider'],
      prices: { 'gpt-4.1-nano': { inputUsdPerMillion: 1, outputUsdPerMillion: 2 } },
    }).listModels();
    expect(models.map((m) => [m.id, m.price])).toEqual([
      ['gpt-4.1-nano', { inputUsdPerMillion: 1, outputUsdPerMillion: 2 }],
    ]);
  });

  it('leaves prices unknown for a host that is not in the price table', async () => {
    const double = await start();
    const models = await backendFor(double.url).listModels();
    expect(models.every((m) => m.price === null)).toBe(true);
    expect(models.map((m) => m.id)).not.toContain('whisper-1');
  });

  it("sends OpenAI's request shape, asking for usage on the last streamed chunk", async () => {
    const double = await start();
    const backend = backendFor(double.url, { maxTokensField: 'max_completion_tokens' });
    const request: ChatRequest = {
      model: 'gpt-4o-mini',
      temperature: 0,
      maxTokens: 32,
      seed: 7,
      tools: [{ name: 'lookup', description: 'Look up', parameters: { type: 'object' } }],
      toolChoice: { name: 'lookup' },
      messages: [
        { role: 'user', content: 'Look up order 42' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [{ id: 'call_9', name: 'lookup', arguments: '{"id":42}' }],
        },
        { role: 'tool', toolCallId: 'call_9', content: 'shipped' },
      ],
    };
    const { error } = await collect(backend.chatStream(request));
    expect(error).toBeNull();
    expect(double.requests.at(-1)!.body).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_completion_tokens: 32,
      seed: 7,
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', description: 'Look up', parameters: { type: 'object' } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      messages: [
        { role: 'user', content: 'Look up order 42' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_9', type: 'function', function: { name: 'lookup', arguments: '{"id":42}' } },
          ],
        },
        { role: 'tool', content: 'shipped', tool_call_id: 'call_9' },
      ],
    });
  });

  it('orders embeddings by index, whatever order the provider sends them in', async () => {
    const double = await start();
    const backend = backendFor(double.url);
    const both = await backend.embed({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    const alpha = await backend.embed({ model: 'text-embedding-3-small', input: ['alpha'] });
    expect(both.embeddings[0]).toEqual(alpha.embeddings[0]);
  });
});
