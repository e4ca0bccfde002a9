/**
 * The owner changes exposure while the mesh runs: A serves two Ollama models (a double on loopback),
 * B routes to them; when A's owner withdraws one — by `atmosphere config set`, by the control API,
 * or by editing config.yaml — B stops offering it, and A keeps refusing it. Real node processes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaDouble } from './doubles/ollama-double.js';
import { cleanEnv, ensureBuilt, runAtmosphere, START_ARGS, tempHome, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const base = {
  ATMOSPHERE_MESH__PEER_TIMEOUT_SECONDS: '5',
  ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
};

describe('live exposure changes', () => {
  let ollama: OllamaDouble;
  const homes = { a: tempHome('atm-xa-'), b: tempHome('atm-xb-') };
  const envs = {
    a: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url }),
    b: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false' }),
  };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who]() });
  const nodes: Record<string, { nodeId: string; apiUrl: string }> = {};
  const api = (who: keyof typeof homes, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${nodes[who]!.apiUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${readFileSync(join(homes[who].dir, 'run', 'owner.token'), 'utf8').trim()}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  const modelsOnB = async (): Promise<string[]> => {
    const body = (await (await api('b', '/v1/models')).json()) as { data: { id: string }[] };
    return body.data.map((m) => m.id);
  };

  beforeAll(async () => {
    ollama = await OllamaDouble.start();
    for (const who of ['a', 'b'] as const) {
      const res = await atm(who, ...START_ARGS, '--name', `node-${who}`, '--json');
      expect(res.code, res.stderr).toBe(0);
      nodes[who] = JSON.parse(res.stdout) as { nodeId: string; apiUrl: string };
    }
    expect((await atm('a', 'mesh', 'create', 'home')).code).toBe(0);
    const inv = JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string };
    const joined = await atm('b', 'join', inv.token, '--yes');
    expect(joined.code, joined.stderr).toBe(0);
    await waitFor("B to learn A's models", async () =>
      (await modelsOnB()).includes('qwen3:1.7b') ? true : undefined,
    );
  }, 90_000);

  afterAll(async () => {
    for (const who of ['a', 'b'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await ollama.close();
  });

  it('withdraws a model from the peer when the owner changes config.yaml with `config set`', async () => {
    expect(await modelsOnB()).toEqual(expect.arrayContaining(['llama3.2:3b', 'qwen3:1.7b']));
    const set = await atm('a', 'config', 'set', 'expose.models.ollama', '["qwen3:*", "all-minilm:*"]');
    expect(set.code, set.stderr).toBe(0);
    const models = await waitFor('B to drop llama3.2:3b', async () => {
      const ids = await modelsOnB();
      return ids.includes('llama3.2:3b') ? undefined : ids;
    });
    expect(models).toContain('qwen3:1.7b');
    const refused = await api('b', '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(404);
  });

  it('shows each local capability’s decision and the rule on GET /api/exposure', async () => {
    const body = (await (await api('a', '/api/exposure')).json()) as {
      expose: { models: { ollama: string[] } };
      capabilities: { id: string; exposed: boolean; rule: string }[];
      configError: string | null;
    };
    expect(body.expose.models.ollama).toEqual(['qwen3:*', 'all-minilm:*']);
    expect(body.configError).toBeNull();
    expect(body.capabilities).toEqual(
      expect.arrayContaining([
        { id: 'ollama/llama3.2:3b', type: 'llm/chat', exposed: false, rule: 'expose.models.ollama' },
        { id: 'ollama/qwen3:1.7b', type: 'llm/chat', exposed: true, rule: 'expose.models.ollama' },
      ]),
    );
  });

  it('exposes it again through PUT /api/exposure, and refuses an invalid section without changing the file', async () => {
    const before = readFileSync(join(homes.a.dir, 'config.yaml'), 'utf8');
    const bad = await api('a', '/api/exposure', {
      method: 'PUT',
      body: JSON.stringify({ models: { ollama: 'all' } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /expose\.models\.ollama/,
    );
    expect(readFileSync(join(homes.a.dir, 'config.yaml'), 'utf8')).toBe(before);

    const ok = await api('a', '/api/exposure', {
      method: 'PUT',
      body: JSON.stringify({ models: { ollama: ['*'] } }),
    });
    expect(ok.status).toBe(200);
    await waitFor('B to offer llama3.2:3b again', async () =>
      (await modelsOnB()).includes('llama3.2:3b') ? true : undefined,
    );
  });

  it('follows an edit of config.yaml by hand, and keeps the last good rules when the edit is invalid', async () => {
    const path = join(homes.a.dir, 'config.yaml');
    writeFileSync(path, 'expose:\n  capabilities:\n    deny: ["ollama/qwen3:*"]\n');
    await waitFor('B to drop qwen3', async () =>
      (await modelsOnB()).includes('qwen3:1.7b') ? undefined : true,
    );
    writeFileSync(path, 'expose:\n  capabilities:\n    deny: 12\n');
    const error = await waitFor('A to report the invalid file', async () => {
      const body = (await (await api('a', '/api/exposure')).json()) as { configError: string | null };
      return body.configError ?? undefined;
    });
    expect(error).toMatch(/expose\.capabilities\.deny/);
    expect(await modelsOnB()).toContain('llama3.2:3b');
    expect(await modelsOnB()).not.toContain('qwen3:1.7b');
  });

  it('reads and replaces limits and access through the control API once the file is valid again', async () => {
    const blocked = await api('a', '/api/limits', {
      method: 'PUT',
      body: JSON.stringify({ max_concurrent: 2 }),
    });
    expect(blocked.status).toBe(400);
    expect(((await blocked.json()) as { error: { message: string } }).error.message).toMatch(
      /expose\.capabilities\.deny/,
    );
    writeFileSync(join(homes.a.dir, 'config.yaml'), 'expose:\n  capabilities:\n    deny: []\n');
    const limits = await api('a', '/api/limits', {
      method: 'PUT',
      body: JSON.stringify({ max_concurrent: 2, max_queue: 4 }),
    });
    expect(limits.status, await limits.clone().text()).toBe(200);
    const answer = (await limits.json()) as {
      limits: Record<string, unknown>;
      usage: Record<string, unknown>;
    };
    expect(answer.limits).toMatchObject({ max_concurrent: 2, max_queue: 4 });
    expect(answer.usage).toMatchObject({ running: 0, queued: 0, maxConcurrent: 2, maxQueue: 4 });
    const access = (await (await api('a', '/api/access')).json()) as { access: { mesh_ids: string[] } };
    expect(access.access.mesh_ids).toEqual(['*']);
  });
});
