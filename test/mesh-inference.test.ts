/**
 * Work goes to capability across real node processes: C's OpenAI-compatible API with
 * `model: "auto"` runs on A's Ollama (a double speaking Ollama's real API), streams back through C,
 * and the receipt names A; a kill of A mid-stream gives C's client a clean error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaDouble } from './doubles/ollama-double.js';
import { cleanEnv, ensureBuilt, runAtmosphere, tempHome, START_ARGS, waitFor } from './helpers/cli.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

beforeAll(() => ensureBuilt(), 120_000);

const START = START_ARGS;
const base = {
  ATMOSPHERE_MESH__PEER_TIMEOUT_SECONDS: '5',
  ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
};

describe('inference routed across the mesh', () => {
  let ollama: OllamaDouble;
  const homes = { a: tempHome('atm-ia-'), b: tempHome('atm-ib-'), c: tempHome('atm-ic-') };
  const envs = {
    a: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url }),
    b: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false' }),
    c: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false' }),
  };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who]() });
  const nodes: Record<string, { nodeId: string; apiUrl: string; pid: number }> = {};
  const token = (who: keyof typeof homes): string =>
    readFileSync(join(homes[who].dir, 'run', 'owner.token'), 'utf8').trim();
  const api = (who: keyof typeof homes, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${nodes[who]!.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token(who)}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    ollama = await OllamaDouble.start({ chunkDelayMs: 20 });
    for (const who of ['a', 'b', 'c'] as const) {
      const res = await atm(who, ...START, '--name', `node-${who}`, '--json');
      expect(res.code, res.stderr).toBe(0);
      nodes[who] = JSON.parse(res.stdout) as { nodeId: string; apiUrl: string; pid: number };
    }
    expect((await atm('a', 'mesh', 'create', 'home')).code).toBe(0);
    for (const who of ['b', 'c'] as const) {
      const inv = JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string };
      const joined = await atm(who, 'join', inv.token, '--yes');
      expect(joined.code, joined.stderr).toBe(0);
    }
  }, 90_000);

  afterAll(async () => {
    for (const who of ['a', 'b', 'c'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await ollama.close();
  });

  it("lists A's models on C's /v1/models, each with the node that has it", async () => {
    const models = await waitFor("C to learn A's models", async () => {
      const body = (await (await api('c', '/v1/models')).json()) as {
        data: { id: string; atmosphere?: { nodeId: string; local: boolean } }[];
      };
      return body.data.some((m) => m.id === 'llama3.2:3b') ? body.data : undefined;
    });
    const llama = models.find((m) => m.id === 'llama3.2:3b');
    expect(llama?.atmosphere).toMatchObject({ nodeId: nodes.a!.nodeId, local: false });
  });

  it('explains on C where an intent would go, without running it', async () => {
    const res = await atm('c', 'route', 'write a short poem about the sea', '--json');
    expect(res.code, res.stderr).toBe(0);
    const routed = JSON.parse(res.stdout) as {
      decision: { capability: string; nodeId: string } | null;
      candidates: { semanticScore: number; reasons: string[] }[];
    };
    expect(routed.decision?.nodeId).toBe(nodes.a!.nodeId);
    expect(routed.decision?.capability).toMatch(/^ollama\//);
    expect(routed.candidates[0]?.reasons.length).toBeGreaterThan(0);
  });

  it("runs C's model:auto chat on A's Ollama, streams it back through C and names A in the receipt", async () => {
    const res = await api('c', '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({
        model: 'auto',
        stream: true,
        messages: [{ role: 'user', content: 'Write a haiku about rain' }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-atmosphere-node')).toBe(nodes.a!.nodeId);
    expect(res.headers.get('x-atmosphere-capability')).toMatch(/^ollama\//);
    const text = await res.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    const content = text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map(
        (l) =>
          (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta
            .content ?? '',
      )
      .join('');
    expect(content).toBe('Hello from the double.');
    const routeId = res.headers.get('x-atmosphere-route-id')!;
    const explained = (await (await api('c', `/api/routes/${routeId}`)).json()) as {
      receipt: { nodeId: string };
    };
    expect(explained.receipt.nodeId).toBe(nodes.a!.nodeId);
  });

  it('streams an intent run with `atmosphere call` and says which node answered', async () => {
    const res = await atm('c', 'call', 'write a haiku about rain');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe('Hello from the double.');
    expect(res.stderr).toContain(nodes.a!.nodeId);
    const json = await atm('c', 'call', 'ollama/qwen3:1.7b', '--args', '{"prompt":"hi"}', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      content: 'Hello from the double.',
      receipt: { node: nodes.a!.nodeId, capability: 'ollama/qwen3:1.7b' },
    });
    const missing = await atm('c', 'call', 'ollama/no-such-model', '--args', '{"prompt":"hi"}');
    expect(missing.code).toBe(6);
  });

  it('gives the client a clean error when the serving node dies mid-stream', async () => {
    ollama.set({ chunkDelayMs: 400 });
    const res = await api('c', '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({
        model: 'llama3.2:3b',
        stream: true,
        messages: [{ role: 'user', content: 'tell me a long story' }],
      }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    process.kill(nodes.a!.pid, 'SIGKILL');
    let rest = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value as Uint8Array);
    }
    expect(rest).toMatch(/"error"/);
    expect(rest).not.toMatch(/data: \[DONE\]\s*$/);
  });
});
