import { afterEach, describe, expect, it } from 'vitest';
import type { Capability, ChatChunk, ConfigInput, CostFactors, ResolvedConfig } from '../../core/index.js';
import { ManualClock, parseCapability, silentLogger } from '../../core/index.js';
import type { CostUpdatePayload, MeshCostUpdate } from '../../mesh/index.js';
import { SqliteStore } from '../../store/index.js';
import { resolveConfig } from '../config-file.js';
import type { CostSample } from './cost-collector.js';
import type { CostMesh } from './cost-service.js';
import { CostService } from './cost-service.js';

const SELF = 'node-self';
const idle: CostFactors = {
  onBattery: false,
  batteryPercent: 100,
  cpuLoad: 0,
  gpuLoad: 0,
  memoryPressure: 0,
  bandwidthMbps: null,
  latencyMs: null,
  isMetered: false,
};

function costConfig(flags: ConfigInput['cost'] = {}): ResolvedConfig['cost'] {
  return resolveConfig({ flags: { cost: flags } }).config.cost;
}

class FakeMesh implements CostMesh {
  readonly sent: CostUpdatePayload[] = [];
  private listener: ((e: CustomEvent<MeshCostUpdate>) => void) | null = null;
  private joined: (() => void) | null = null;
  publishCost(update: CostUpdatePayload): Promise<{ meshIds: string[] }> {
    this.sent.push(update);
    return Promise.resolve({ meshIds: ['mesh-x'] });
  }
  addEventListener(type: 'cost', listener: (e: CustomEvent<MeshCostUpdate>) => void): void;
  addEventListener(type: 'peer:joined', listener: () => void): void;
  addEventListener(type: 'cost' | 'peer:joined', listener: (e: CustomEvent<MeshCostUpdate>) => void): void {
    if (type === 'cost') this.listener = listener;
    else this.joined = listener as () => void;
  }
  removeEventListener(type: 'cost' | 'peer:joined'): void {
    if (type === 'cost') this.listener = null;
    else this.joined = null;
  }
  deliver(update: MeshCostUpdate): void {
    this.listener?.(new CustomEvent('cost', { detail: update }));
  }
  memberJoined(): void {
    this.joined?.();
  }
}

function update(
  nodeId: string,
  atMs: number,
  inference: number,
  over: Partial<MeshCostUpdate> = {},
): MeshCostUpdate {
  return {
    type: 'NODE_COST_UPDATE',
    v: 1,
    node_id: nodeId,
    name: `name-${nodeId}`,
    timestamp: atMs,
    ttl: 10,
    cost_factors: {
      on_battery: false,
      battery_percent: 100,
      cpu_load: 0,
      gpu_load: 0,
      memory_pressure: 0,
      bandwidth_mbps: null,
      latency_ms: null,
      is_metered: false,
      overall_cost: inference,
    },
    costs: { inference: { total: inference, critical: false, terms: {} } },
    pinned: [],
    originId: nodeId,
    meshId: 'mesh-x',
    receivedAtMs: atMs,
    ...over,
  };
}

function chatCap(nodeId: string, extra: Record<string, unknown> = {}): Capability {
  return parseCapability(
    {
      id: 'ollama/llama3.2',
      type: 'llm/chat',
      description: 'chat model',
      tools: [{ name: 'chat', description: 'chat' }],
      metadata: { model: 'llama3.2', backend: 'ollama', ...extra },
    },
    { nodeId },
  );
}

describe('CostService', () => {
  const stores: SqliteStore[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
  });

  function setup(
    cfg: ConfigInput['cost'] = {},
    factors: () => CostFactors = () => idle,
    join: { delayMs: number; gapMs: number } = { delayMs: 2_000, gapMs: 30_000 },
  ) {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 12));
    const store = new SqliteStore({ logger: silentLogger(), clock });
    stores.push(store);
    const mesh = new FakeMesh();
    let config = costConfig(cfg);
    const collector = {
      sample: (): Promise<CostSample> =>
        Promise.resolve({
          factors: factors(),
          sources: {} as CostSample['sources'],
          pinned: [],
          details: { networkType: 'unknown', gpuVramUsedBytes: null, gpuVramTotalBytes: null },
          sampledAtMs: clock.now(),
        }),
    };
    const service = new CostService(
      { clock, logger: silentLogger(), collector, spend: store.spend, mesh },
      {
        nodeId: SELF,
        name: () => 'self',
        config: () => config,
        minuteOfDay: () => 600,
        joinBroadcastDelayMs: join.delayMs,
        joinBroadcastMinGapMs: join.gapMs,
      },
    );
    return {
      clock,
      mesh,
      service,
      store,
      setConfig: (c: ConfigInput['cost']) => {
        config = costConfig(c);
      },
    };
  }

  it('broadcasts at start, then only when the TTL is up or the change is significant', async () => {
    let factors = idle;
    const { clock, mesh, service } = setup({ ttl_seconds: 60 }, () => factors);
    await service.refresh();
    expect(mesh.sent).toHaveLength(1);
    expect(mesh.sent[0]?.cost_factors.overall_cost).toBe(1);
    factors = { ...idle, cpuLoad: 0.05 };
    clock.advance(10_000);
    await service.refresh();
    expect(mesh.sent).toHaveLength(1);
    factors = { ...idle, onBattery: true, batteryPercent: 15 };
    clock.advance(1_000);
    await service.refresh();
    expect(mesh.sent).toHaveLength(2);
    expect(mesh.sent[1]?.costs.inference).toEqual({
      total: 10,
      critical: true,
      terms: { battery: 2, critical_battery: 5 },
    });
    clock.advance(60_000);
    await service.refresh();
    expect(mesh.sent).toHaveLength(3);
  });

  it('broadcasts again soon after a member comes into view, at most once per gap', async () => {
    const { clock, mesh, service } = setup({ ttl_seconds: 60 }, () => idle, { delayMs: 0, gapMs: 30_000 });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
    await service.start();
    expect(mesh.sent).toHaveLength(1);
    clock.advance(5_000);
    mesh.memberJoined(); // it missed the broadcast at start: the TTL is not up, it gets one anyway
    await settle();
    expect(mesh.sent).toHaveLength(2);
    clock.advance(5_000);
    mesh.memberJoined();
    mesh.memberJoined();
    await settle();
    expect(mesh.sent).toHaveLength(2); // within the gap
    clock.advance(30_000);
    mesh.memberJoined();
    await settle();
    expect(mesh.sent).toHaveLength(3);
    await service.stop();
    mesh.memberJoined(); // stopped: no listener, nothing sent
    await settle();
    expect(mesh.sent).toHaveLength(3);
  });

  it('routes on a member cost with hysteresis and forgets it when stale', async () => {
    const { clock, mesh, service } = setup({ hysteresis: 0.2 });
    await service.start();
    mesh.deliver(update('peer-a', clock.now(), 1));
    expect(service.routeCost(chatCap('peer-a'))).toMatchObject({ total: 1, known: true });
    clock.advance(1000);
    mesh.deliver(update('peer-a', clock.now(), 1.15));
    const held = service.routeCost(chatCap('peer-a'));
    expect(held).toMatchObject({ total: 1, reported: 1.15 });
    expect(held.note).toContain('held by hysteresis');
    clock.advance(1000);
    mesh.deliver(update('peer-a', clock.now(), 1.5));
    expect(service.routeCost(chatCap('peer-a')).total).toBe(1.5);
    // stale after 3 × ttl (10 s): unknown, counted as 1
    clock.advance(31_000);
    const stale = service.routeCost(chatCap('peer-a'));
    expect(stale).toMatchObject({ total: 1, known: false });
    expect(service.view().mesh[0]).toMatchObject({ nodeId: 'peer-a', stale: true });
    await service.stop();
  });

  it('adds a cloud model dollars, with config prices over the table', async () => {
    const { service } = setup({
      model_prices: { 'openai/gpt-4o': { input_usd_per_million: 5, output_usd_per_million: 20 } },
    });
    await service.refresh();
    const cloud = parseCapability(
      {
        id: 'openai/gpt-4o',
        type: 'llm/chat',
        description: 'cloud chat',
        tools: [{ name: 'chat', description: 'chat' }],
        metadata: {
          model: 'gpt-4o',
          backend: 'openai-compatible',
          price: { inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 },
        },
      },
      { nodeId: SELF },
    );
    // (1000 × 5 + 500 × 20) / 1e6 = $0.015 × 100 = +1.5
    expect(service.routeCost(cloud)).toMatchObject({ total: 2.5, known: true });
  });

  it('records spend from usage and excludes cloud models once the monthly budget is spent', async () => {
    const { clock, service } = setup({ monthly_budget_usd: 0.01 });
    const cloud = chatCap(SELF, {
      backend: 'openai-compatible',
      price: { inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 },
    });
    expect(service.exclusion(cloud)).toBeNull();
    const chunks = service.meterChat(
      cloud,
      'peer-b',
      (async function* (): AsyncGenerator<ChatChunk> {
        await Promise.resolve();
        yield { content: 'hi' };
        yield { content: '', usage: { promptTokens: 2000, completionTokens: 600, totalTokens: 2600 } };
      })(),
    );
    for await (const _ of chunks) void _;
    // 2000 × 2.5 / 1e6 + 600 × 10 / 1e6 = 0.011
    const report = service.spendReport('node');
    expect(report.rows).toEqual([
      { key: 'peer-b', usd: 0.011, requests: 1, promptTokens: 2000, completionTokens: 600 },
    ]);
    expect(report.budget).toMatchObject({ exhausted: true, spentThisMonthUsd: 0.011, remainingUsd: 0 });
    expect(service.exclusion(cloud)).toContain('monthly cloud budget spent');
    expect(service.exclusion(chatCap(SELF))).toBeNull();
    // a local model costs no dollars: nothing is recorded
    expect(
      service.recordUsage(chatCap(SELF), 'local', { promptTokens: 10, completionTokens: 10 }),
    ).toBeNull();
    expect(service.spendReport('node').rows).toHaveLength(1);
    // a new month starts afresh
    clock.set(Date.UTC(2026, 11, 1));
    expect(service.exclusion(cloud)).toBeNull();
  });

  it('keeps a history of local samples and shows pins and sources in the view', async () => {
    const { clock, service } = setup();
    await service.refresh();
    clock.advance(5000);
    await service.refresh();
    const view = service.view();
    expect(view.history).toHaveLength(2);
    expect(view.history[1]).toMatchObject({ cost: 1, costs: { inference: 1 } });
    expect(view.local.costs['inference']).toMatchObject({ total: 1, inUse: 1 });
    expect(view.settings).toEqual({
      hysteresis: 0.2,
      routeWeights: { semantic: 1, cost: 0.3 },
      monthlyBudgetUsd: null,
    });
  });
});
