/**
 * The join flow of seed 1.3 end to end with real node processes: B joins A's mesh with one
 * command — verified offline, B's node started, B scanned, its exposure approved by flags,
 * registered, announced — and A can then use B's models. An interrupted join resumes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaDouble } from './doubles/ollama-double.js';
import { cleanEnv, ensureBuilt, runAtmosphere, START_ARGS, tempHome, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

describe('atmosphere join, the whole flow', () => {
  let ollama: OllamaDouble;
  const homes = { a: tempHome('atm-ja-'), b: tempHome('atm-jb-'), c: tempHome('atm-jc-') };
  const ports = { ATMOSPHERE_API__PORT: '0', ATMOSPHERE_MESH__TCP_PORT: '0', ATMOSPHERE_MESH__WS_PORT: '0' };
  const envs = {
    a: () =>
      cleanEnv({
        ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
    b: () =>
      cleanEnv({
        ...ports,
        ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
    c: () =>
      cleanEnv({
        ...ports,
        ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
  };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who](), timeoutMs: 90_000 });
  let apiA = '';
  const invite = async (): Promise<string> =>
    (JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string }).token;

  beforeAll(async () => {
    ollama = await OllamaDouble.start();
    const res = await atm('a', ...START_ARGS, '--name', 'node-a', '--json');
    expect(res.code, res.stderr).toBe(0);
    apiA = (JSON.parse(res.stdout) as { apiUrl: string }).apiUrl;
    expect((await atm('a', 'mesh', 'create', 'home')).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    for (const who of ['a', 'b', 'c'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await ollama.close();
  });

  it('takes a fresh machine from token to "ready to receive work" in one command, step by step', async () => {
    const res = await atm('b', 'join', await invite(), '--recommended', '--yes', '--json');
    expect(res.code, res.stderr).toBe(0);
    const steps = res.stderr.split('\n').filter((l) => /^\[\d\/6\]/.test(l));
    expect(steps.map((l) => l.slice(0, 5))).toEqual(['[1/6]', '[2/6]', '[3/6]', '[4/6]', '[5/6]', '[6/6]']);
    expect(steps.every((l) => l.includes('✓'))).toBe(true);
    expect(res.stderr).toContain('started the node');
    const result = JSON.parse(res.stdout) as {
      ready: boolean;
      exposedCapabilities: number;
      connectedMembers: number;
    };
    expect(result).toMatchObject({ ready: true, connectedMembers: 1 });
    expect(result.exposedCapabilities).toBe(3);
    expect(existsSync(join(homes.b.dir, 'join.json'))).toBe(false);
    expect(readFileSync(join(homes.b.dir, 'config.yaml'), 'utf8')).toContain('expose:');

    const token = readFileSync(join(homes.a.dir, 'run', 'owner.token'), 'utf8').trim();
    await waitFor("A to see B's models", async () => {
      const body = (await (
        await fetch(`${apiA}/v1/models`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        data: { id: string }[];
      };
      return body.data.some((m) => m.id === 'llama3.2:3b') ? true : undefined;
    });
  });

  it('refuses a tampered invite before it starts anything', async () => {
    const good = await invite();
    const tampered = good.slice(0, -6) + (good.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    const res = await atm('c', 'join', tampered, '--yes');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/\[1\/6\] Verify the invite \(offline\) ✗/);
    expect(existsSync(join(homes.c.dir, 'run', 'node.json'))).toBe(false);
  });

  it('saves its progress when interrupted and resumes from the step that did not finish', async () => {
    const token = await invite();
    const stopped = await atm('c', 'join', token, '--yes', '--no-start');
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toMatch(/\[1\/6\] .* ✓/);
    expect(stopped.stderr).toMatch(/\[2\/6\] Make sure the node runs ✗ .*not running/);
    expect(stopped.stderr).toContain('run `atmosphere join` again to resume');
    const saved = JSON.parse(readFileSync(join(homes.c.dir, 'join.json'), 'utf8')) as { done: string[] };
    expect(saved.done).toEqual(['validate']);

    const resumed = await atm('c', 'join', '--yes');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming the join of mesh "home" \(done: validate\)/);
    expect(resumed.stderr).toMatch(/\[6\/6\] Announce capabilities ✓/);
    expect(resumed.stdout).toContain('Ready to receive work.');
    expect(existsSync(join(homes.c.dir, 'join.json'))).toBe(false);
  });

  it('says which flags to use instead of waiting when there is no terminal to approve in', async () => {
    const res = await atm('c', 'join', await invite());
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Re-run with --yes/);
  });
});
