/**
 * `discoverBackends` against the doubles: what a node finds at start and on rescan — reachable
 * servers with their models, unreachable ones with the reason, cloud providers only when asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, silentLogger } from '../src/core/index.js';
import { discoverBackends } from '../src/integrations/index.js';
import { closedPortUrl } from './doubles/double-server.js';
import { LlamaFarmDouble } from './doubles/llamafarm-double.js';
import { OllamaDouble } from './doubles/ollama-double.js';
import { OpenAiDouble } from './doubles/openai-double.js';

const components = { clock: { now: () => Date.now() }, logger: silentLogger() };

describe('discoverBackends', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('finds the servers that answer, lists their models, and says why the others are missing', async () => {
    const ollama = await OllamaDouble.start();
    const cloud = await OpenAiDouble.start();
    closers.push(
      () => ollama.close(),
      () => cloud.close(),
    );
    const nowhere = await closedPortUrl();

    const found = await discoverBackends(components, {
      ollama: { url: ollama.url },
      llamafarm: { url: nowhere },
      cloud: [{ name: 'openai', baseUrl: cloud.url, apiKey: 'sk-test-double', models: ['gpt-4o-mini'] }],
    });

    expect(found.map((d) => [d.backend.kind, d.backend.name, d.reachable])).toEqual([
      ['ollama', 'ollama', true],
      ['llamafarm', 'llamafarm', false],
      ['openai-compatible', 'openai', true],
    ]);
    expect(found[0]!.models.map((m) => m.id)).toEqual(['llama3.2:3b', 'qwen3:1.7b', 'all-minilm:latest']);
    expect(found[1]!.health.status).toBe('unreachable');
    expect(found[1]!.health.detail).toContain(nowhere);
    expect(found[1]!.models).toEqual([]);
    expect(found[2]!.models.map((m) => m.id)).toEqual(['gpt-4o-mini']);
  });

  it('probes only the local servers that are not turned off, and no cloud unless configured', async () => {
    const llamafarm = await LlamaFarmDouble.start();
    closers.push(() => llamafarm.close());
    const found = await discoverBackends(components, { ollama: false, llamafarm: { url: llamafarm.url } });
    expect(found.map((d) => d.backend.name)).toEqual(['llamafarm']);
    expect(found[0]!.models.map((m) => m.id)).toEqual(['default/chatbot', 'default/public-docs']);
  });

  it('reports a server that answers its health check but fails to list models', async () => {
    const ollama = await OllamaDouble.start({
      listingError: { status: 500, message: 'open /root/.ollama/models/manifests: permission denied' },
    });
    closers.push(() => ollama.close());
    const found = await discoverBackends(components, {
      ollama: { url: ollama.url },
      llamafarm: false,
    });
    expect(found[0]!.reachable).toBe(true);
    expect(found[0]!.models).toEqual([]);
    expect(found[0]!.health.status).toBe('ok');
    expect(found[0]!.listError).toEqual({
      code: 'backend_error',
      message: 'ollama answered HTTP 500: open /root/.ollama/models/manifests: permission denied',
    });
  });

  it('stops probing when the caller aborts', async () => {
    const ollama = await OllamaDouble.start();
    closers.push(() => ollama.close());
    const controller = new AbortController();
    controller.abort();
    await expect(
      discoverBackends(
        components,
        { ollama: { url: ollama.url }, llamafarm: false },
        { signal: controller.signal },
      ),
    ).rejects.toBeInstanceOf(AbortedError);
  });
});
