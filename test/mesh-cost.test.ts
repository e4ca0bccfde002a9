/**
 * Cost-aware routing across real node processes. A and B serve the same Ollama models (one double
 * on loopback); C asks. Factors are pinned in each node's config.yaml (`cost.pin`) so costs are
 * known exactly: A on critical battery (15 %) → work goes to B; the owners change their pins while
 * the mesh runs → routing follows the next broadcast; a change inside the hysteresis margin does
 * not re-rank; B stops → its cost goes stale. C also has a cloud model (an OpenAI double) and a
 * tiny monthly budget: once spent, cloud candidates are excluded with a clear reason.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaDouble } from './doubles/ollama-double.js';
import { OpenAiDouble } from './doubles/openai-double.js';
import { cleanEnv, ensureBuilt, runAtmosphere, START_ARGS, tempHome, waitFor } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const base = {
  ATMOSPHERE_MESH__PEER_TIMEOUT_SECONDS: '5',
  ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
  ATMOSPHERE_COST__TTL_SECONDS: '5',
};

type Who = 'a' | 'b' | 'c';

interface Pin {
  on_battery: boolean;
  battery_percent?: number;
  cpu_load: number;
}

interface MeshCostEntry {
  nodeId: string;
  stale: boolean;
  costs: Record<string, { total: number; inUse: number; critical: boolean }>;
}

interface CostBody {
  local: { factors: Record<string, unknown>; pinned: string[]; sources: Record<string, string> };
  mesh: MeshCostEntry[];
  factors: Record<string, unknown>;
  costs: Record<string, { total: number; critical: boolean; breakdown: { factor: string }[] }>;
}

describe('cost-aware routing', () => {
  let ollama: OllamaDouble;
  let cloud: OpenAiDouble;
  const homes = { a: tempHome('atm-ca-'), b: tempHome('atm-cb-'), c: tempHome('atm-cc-') };
  const envs: Record<Who, () => NodeJS.ProcessEnv> = {
    a: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url }),
    b: () => cleanEnv({ ...base, ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url }),
    c: () =>
      cleanEnv({
        ...base,
        ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
        OPENAI_API_KEY: 'sk-test-double',
      }),
  };
  const atm = (who: Who, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who]() });
  const nodes: Partial<Record<Who, { nodeId: string; apiUrl: string }>> = {};
  const id = (who: Who): string => nodes[who]!.nodeId;
  const api = (who: Who, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${nodes[who]!.apiUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${readFileSync(join(homes[who].dir, 'run', 'owner.token'), 'utf8').trim()}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });

  /** Writes the node's config.yaml (atomically: the running node watches it). */
  const writeConfig = (who: Who, pin: Pin, extra = ''): void => {
    const lines = [
      'cost:',
      '  pin:',
      `    on_battery: ${pin.on_battery}`,
      ...(pin.battery_percent === undefined ? [] : [`    battery_percent: ${pin.battery_percent}`]),
      // CPU and GPU alike: inference follows GPU load where there is a GPU, CPU load where not
      `    cpu_load: ${pin.cpu_load}`,
      `    gpu_load: ${pin.cpu_load}`,
      '    memory_pressure: 0',
      '    is_metered: false',
      extra,
    ];
    const path = join(homes[who].dir, 'config.yaml');
    writeFileSync(`${path}.tmp`, `${lines.join('\n')}\n`);
    renameSync(`${path}.tmp`, path);
  };
  const cloudConfig = () =>
    [
      '  model_prices:',
      '    gpt-4o-mini: { input_usd_per_million: 1000, output_usd_per_million: 1000 }',
      '  monthly_budget_usd: 0.001',
      'expose:',
      '  models:',
      '    cloud: ["*"]',
      'integrations:',
      '  cloud:',
      `    - { name: openai, base_url: "${cloud.url}", api_key_env: OPENAI_API_KEY, models: [gpt-4o-mini] }`,
    ].join('\n');

  const costOnC = async (): Promise<CostBody> => (await (await api('c', '/api/cost')).json()) as CostBody;
  const entryOnC = (body: CostBody, who: Who): MeshCostEntry | undefined =>
    body.mesh.find((m) => m.nodeId === id(who));
  /** Waits until C uses `inUse` for `who`'s inference cost and `reported` is what it last heard. */
  const waitForCost = (
    who: Who,
    check: (c: { total: number; inUse: number; critical: boolean }) => boolean,
  ) =>
    waitFor(`C to hold the expected cost of ${who}`, async () => {
      const e = entryOnC(await costOnC(), who);
      const c = e?.costs['inference'];
      return c && !e.stale && check(c) ? c : undefined;
    });
  const chatFromC = async (
    model: string,
  ): Promise<{ status: number; node: string | null; routeId: string | null; body: unknown }> => {
    const res = await api('c', '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Write a haiku about rain' }] }),
    });
    return {
      status: res.status,
      node: res.headers.get('x-atmosphere-node'),
      routeId: res.headers.get('x-atmosphere-route-id'),
      body: await res.json(),
    };
  };

  beforeAll(async () => {
    ollama = await OllamaDouble.start();
    cloud = await OpenAiDouble.start();
    writeConfig('a', { on_battery: true, battery_percent: 15, cpu_load: 0 });
    writeConfig('b', { on_battery: false, cpu_load: 0 });
    writeConfig('c', { on_battery: false, cpu_load: 0 }, cloudConfig());
    for (const who of ['a', 'b', 'c'] as const) {
      const res = await atm(who, ...START_ARGS, '--name', `node-${who}`, '--json');
      expect(res.code, res.stderr).toBe(0);
      nodes[who] = JSON.parse(res.stdout) as { nodeId: string; apiUrl: string };
    }
    expect((await atm('a', 'mesh', 'create', 'home')).code).toBe(0);
    for (const who of ['b', 'c'] as const) {
      const inv = JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string };
      const joined = await atm(who, 'join', inv.token, '--yes');
      expect(joined.code, joined.stderr).toBe(0);
    }
    await waitFor("C to learn A's and B's models", async () => {
      const body = (await (await api('c', '/v1/models')).json()) as {
        data: { id: string; atmosphere?: { nodeId: string } }[];
      };
      const servers = new Set(
        body.data.filter((m) => m.id === 'llama3.2:3b').map((m) => m.atmosphere?.nodeId),
      );
      return servers.has(id('a')) && servers.has(id('b')) ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    for (const who of ['a', 'b', 'c'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await ollama.close();
    await cloud.close();
  });

  it("shows this node's factors with their sources, pins marked, and its cost per work type", async () => {
    const res = await atm('a', 'cost', '--json');
    expect(res.code, res.stderr).toBe(0);
    const body = JSON.parse(res.stdout) as CostBody;
    expect(body.factors).toMatchObject({ onBattery: true, batteryPercent: 15, cpuLoad: 0 });
    expect(body.local.sources['batteryPercent']).toBe('pinned in config');
    expect(body.local.pinned).toEqual(expect.arrayContaining(['onBattery', 'batteryPercent', 'cpuLoad']));
    expect(body.costs['inference']).toMatchObject({ total: 10, critical: true });
    expect(body.costs['inference']?.breakdown.map((t) => t.factor)).toEqual(
      expect.arrayContaining(['battery', 'critical_battery']),
    );
    const human = await atm('a', 'cost');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('pinned in config (pinned)');
    expect(human.stdout).toMatch(/inference\s+10 critical/);
  });

  it('sends work away from the node on critical battery to the one that can do it cheaply', async () => {
    await waitForCost('a', (c) => c.critical && c.inUse === 10);
    await waitForCost('b', (c) => c.inUse === 1);
    const explicit = await chatFromC('llama3.2:3b');
    expect(explicit.status, JSON.stringify(explicit.body)).toBe(200);
    expect(explicit.node).toBe(id('b'));

    const auto = await chatFromC('auto');
    expect(auto.status, JSON.stringify(auto.body)).toBe(200);
    expect(auto.node).toBe(id('b'));
    const explained = (await (await api('c', `/api/routes/${auto.routeId}`)).json()) as {
      decision: {
        candidates: {
          nodeId: string;
          eligible: boolean;
          costBreakdown?: { total: number; critical: boolean; terms: { factor: string }[] };
          constraints: { name: string; ok: boolean }[];
        }[];
      };
    };
    const onA = explained.decision.candidates.filter((c) => c.nodeId === id('a'));
    expect(onA.length).toBeGreaterThan(0);
    for (const c of onA) {
      expect(c.eligible).toBe(false);
      expect(c.costBreakdown).toMatchObject({ total: 10, critical: true });
      expect(c.costBreakdown?.terms.map((t) => t.factor)).toEqual(['battery', 'critical_battery']);
      expect(c.constraints).toContainEqual(expect.objectContaining({ name: 'critical-battery', ok: false }));
    }
    expect(explained.decision.candidates.find((c) => c.nodeId === id('b'))?.costBreakdown).toMatchObject({
      total: 1,
      critical: false,
    });
  });

  it("follows the owners' changed pins within one broadcast", async () => {
    writeConfig('a', { on_battery: false, cpu_load: 0 });
    writeConfig('b', { on_battery: true, battery_percent: 15, cpu_load: 0 });
    await waitForCost('a', (c) => c.inUse === 1 && !c.critical);
    await waitForCost('b', (c) => c.inUse === 10 && c.critical);
    expect((await chatFromC('llama3.2:3b')).node).toBe(id('a'));
    expect((await chatFromC('auto')).node).toBe(id('a'));
  });

  it('holds the route when a cost moves by less than the hysteresis margin', async () => {
    // A 1, B 1 + 0.075 × 2 = 1.15: A is cheaper
    writeConfig('b', { on_battery: false, cpu_load: 0.075 });
    await waitForCost('b', (c) => c.inUse === 1.15);
    expect((await chatFromC('llama3.2:3b')).node).toBe(id('a'));
    // A reports 1 + 0.09 × 2 = 1.18, above B's 1.15, but only 18 % above the 1 in use: held
    writeConfig('a', { on_battery: false, cpu_load: 0.09 });
    const held = await waitForCost('a', (c) => c.total === 1.18);
    expect(held.inUse).toBe(1);
    expect((await chatFromC('llama3.2:3b')).node).toBe(id('a'));
    expect((await chatFromC('auto')).node).toBe(id('a'));
  });

  it('excludes cloud candidates once the monthly budget is spent, and reports the spend', async () => {
    const first = await chatFromC('gpt-4o-mini');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.node).toBe(id('c'));
    const spend = await atm('c', 'cost', '--spend', '--by', 'model', '--json');
    expect(spend.code, spend.stderr).toBe(0);
    const report = JSON.parse(spend.stdout) as {
      rows: { key: string; requests: number; usd: number }[];
      budget: { exhausted: boolean; monthlyBudgetUsd: number };
    };
    expect(report.rows[0]).toMatchObject({ key: 'openai/gpt-4o-mini', requests: 1 });
    expect(report.rows[0]!.usd).toBeGreaterThan(0.001);
    expect(report.budget).toMatchObject({ exhausted: true, monthlyBudgetUsd: 0.001 });

    const second = await chatFromC('gpt-4o-mini');
    expect(second.status).toBe(503);
    expect(JSON.stringify(second.body)).toContain('monthly cloud budget spent');
    const routed = (await (
      await api('c', '/api/route', {
        method: 'POST',
        body: JSON.stringify({ intent: 'write a poem', top: 20 }),
      })
    ).json()) as {
      candidates: {
        capabilityId: string;
        eligible: boolean;
        constraints: { name: string; ok: boolean; reason?: string }[];
      }[];
    };
    const cloudCandidate = routed.candidates.find((c) => c.capabilityId === 'openai/gpt-4o-mini');
    expect(cloudCandidate?.eligible).toBe(false);
    expect(cloudCandidate?.constraints).toContainEqual(
      expect.objectContaining({
        name: 'cloud-budget',
        ok: false,
        reason: expect.stringContaining('cost.monthly_budget_usd'),
      }),
    );
  });

  it("lets a stopped node's cost go stale and counts it as unknown", async () => {
    expect((await atm('b', 'stop', '--timeout', '5')).code).toBe(0);
    const entry = await waitFor(
      "B's cost to go stale on C",
      async () => {
        const e = entryOnC(await costOnC(), 'b');
        return e?.stale ? e : undefined;
      },
      40_000,
    );
    expect(entry.costs['inference']?.inUse).toBe(1);
    const human = await atm('c', 'cost');
    expect(human.stdout).toContain('stale');
  }, 60_000);
});
