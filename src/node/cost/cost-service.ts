/**
 * The node's cost: samples its factors (`CostCollector`) on an interval, computes the cost of each
 * work type (`computeCost`), broadcasts `NODE_COST_UPDATE` every `cost.ttl_seconds` and at once on
 * a significant change, keeps the table of every member's reported cost (stale after 3 × its TTL),
 * applies hysteresis to what routing uses, records cloud spend and enforces the monthly budget.
 */
import type {
  Capability,
  ChatChunk,
  Clock,
  CostFactorName,
  CostFactors,
  CostResult,
  CostSettings,
  Logger,
  ResolvedConfig,
  RouteCost,
  SpendGrouping,
  SpendLedger,
  SpendTotal,
  Startable,
  WorkType,
} from '../../core/index.js';
import {
  COST_FACTOR_KEYS,
  COST_FACTOR_NAMES,
  InvalidInputError,
  UNKNOWN_NODE_COST,
  WORK_TYPES,
  computeCosts,
  costSettingsFromConfig,
  costUsd,
  isSignificantCostChange,
  stickyCost,
  toAtmosphereError,
  typicalCallUsd,
} from '../../core/index.js';
import type { CostUpdatePayload, MeshCostUpdate } from '../../mesh/index.js';
import { NODE_COST_UPDATE } from '../../mesh/index.js';
import type { CostCollector, CostSample } from './cost-collector.js';

/** What the service needs from the mesh engine (the node passes its `MeshService`). */
export interface CostMesh {
  publishCost(update: CostUpdatePayload, options?: { signal?: AbortSignal }): Promise<{ meshIds: string[] }>;
  addEventListener(type: 'cost', listener: (event: CustomEvent<MeshCostUpdate>) => void): void;
  addEventListener(type: 'peer:joined', listener: () => void): void;
  removeEventListener(type: 'cost', listener: (event: CustomEvent<MeshCostUpdate>) => void): void;
  removeEventListener(type: 'peer:joined', listener: () => void): void;
}

export interface CostServiceComponents {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly collector: Pick<CostCollector, 'sample'>;
  readonly spend: SpendLedger;
  readonly mesh?: CostMesh;
}

export interface CostServiceInit {
  readonly nodeId: string;
  readonly name: () => string;
  /** The `cost` section as it is now (live config). */
  readonly config: () => ResolvedConfig['cost'];
  /** Minutes since local midnight at `ms`, for peak hours. Default: the machine's time zone. */
  readonly minuteOfDay?: (ms: number) => number;
  /** How long local samples are kept for the history. Default 6 h. */
  readonly historyMs?: number;
  /** Wait after a member comes into view before broadcasting for it. Default 2 s. */
  readonly joinBroadcastDelayMs?: number;
  /** At most one broadcast for members coming into view per this long. Default 30 s. */
  readonly joinBroadcastMinGapMs?: number;
}

/** A member's reported cost of one work type. */
interface ReportedCost {
  readonly total: number;
  readonly critical: boolean;
  readonly terms: Readonly<Record<string, number>>;
}

interface NodeEntry {
  readonly nodeId: string;
  readonly name: string | null;
  readonly factors: CostFactors;
  readonly pinned: readonly string[];
  readonly costs: Partial<Record<WorkType, ReportedCost>>;
  readonly overallCost: number;
  readonly receivedAtMs: number;
  readonly ttlSeconds: number;
}

interface HistoryEntry {
  readonly atMs: number;
  readonly factors: CostFactors;
  readonly costs: Record<WorkType, number>;
}

/** Stale after this many TTLs without an update. */
export const STALE_AFTER_TTLS = 3;
/** Forgotten after this long without an update. */
const FORGET_AFTER_MS = 60 * 60_000;
const DEFAULT_HISTORY_MS = 6 * 60 * 60_000;
/**
 * A member that comes into view (joined, restarted, back from an outage) has missed this node's
 * last broadcast and would count its cost as unknown until the next one (up to a TTL): a broadcast
 * follows shortly (once its gossip subscriptions are exchanged), at most once per gap.
 */
const DEFAULT_JOIN_BROADCAST_DELAY_MS = 2_000;
const DEFAULT_JOIN_BROADCAST_MIN_GAP_MS = 30_000;
const DAY_MS = 86_400_000;

const FACTOR_BY_KEY = Object.fromEntries(COST_FACTOR_NAMES.map((n) => [COST_FACTOR_KEYS[n], n])) as Record<
  string,
  CostFactorName
>;

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function localMinuteOfDay(ms: number): number {
  const d = new Date(ms);
  return d.getHours() * 60 + d.getMinutes();
}

/** `YYYY-MM` and the start of that UTC month. */
function monthOf(ms: number): { month: string; startMs: number } {
  const d = new Date(ms);
  const startMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return { month: new Date(startMs).toISOString().slice(0, 7), startMs };
}

export interface BudgetState {
  readonly month: string;
  readonly monthlyBudgetUsd: number | null;
  readonly spentThisMonthUsd: number;
  readonly remainingUsd: number | null;
  readonly exhausted: boolean;
}

export interface SpendReport {
  readonly by: SpendGrouping;
  readonly days: number;
  readonly rows: readonly SpendTotal[];
  readonly totalUsd: number;
  readonly budget: BudgetState;
}

/** Whether a capability is a metered cloud model. */
export function isCloudCapability(capability: Capability): boolean {
  return capability.metadata['backend'] === 'openai-compatible';
}

export class CostService implements Startable {
  private readonly c: CostServiceComponents;
  private readonly init: CostServiceInit;
  private readonly log: Logger;
  private readonly table = new Map<string, NodeEntry>();
  /** What routing uses per node and work type (hysteresis). */
  private readonly inUse = new Map<string, Map<WorkType, { total: number; critical: boolean }>>();
  private readonly history: HistoryEntry[] = [];
  private local: { sample: CostSample; costs: Record<WorkType, CostResult> } | null = null;
  private lastBroadcast: { atMs: number; factors: CostFactors; totals: Record<string, number> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> | null = null;
  private controller = new AbortController();
  private budgetCache: { atMs: number; state: BudgetState } | null = null;
  private readonly onCost = (event: CustomEvent<MeshCostUpdate>): void => {
    this.receive(event.detail);
  };
  /** A broadcast for members that came into view is scheduled, or was last sent (ms). */
  private joinTimer: NodeJS.Timeout | null = null;
  private lastJoinBroadcastMs: number | null = null;
  /** The next sample broadcasts whether or not the TTL is up. */
  private broadcastNext = false;
  private readonly onPeerJoined = (): void => {
    if (this.joinTimer !== null || this.timer === null) return;
    const now = this.c.clock.now();
    const gap = this.init.joinBroadcastMinGapMs ?? DEFAULT_JOIN_BROADCAST_MIN_GAP_MS;
    if (this.lastJoinBroadcastMs !== null && now - this.lastJoinBroadcastMs < gap) return;
    this.joinTimer = setTimeout(() => {
      this.joinTimer = null;
      this.lastJoinBroadcastMs = this.c.clock.now();
      this.broadcastNext = true;
      this.refresh().catch((err: unknown) =>
        this.log.warn({ err: toAtmosphereError(err).message }, 'cost sample failed'),
      );
    }, this.init.joinBroadcastDelayMs ?? DEFAULT_JOIN_BROADCAST_DELAY_MS);
    this.joinTimer.unref();
  };

  constructor(components: CostServiceComponents, init: CostServiceInit) {
    this.c = components;
    this.init = init;
    this.log = components.logger;
  }

  private settings(): CostSettings {
    return costSettingsFromConfig(this.init.config());
  }

  private ttlSeconds(): number {
    return this.init.config().ttl_seconds;
  }

  private minuteOfDay(): number {
    return (this.init.minuteOfDay ?? localMinuteOfDay)(this.c.clock.now());
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.timer !== null) return;
    this.controller = new AbortController();
    this.c.mesh?.addEventListener('cost', this.onCost);
    this.c.mesh?.addEventListener('peer:joined', this.onPeerJoined);
    // Sampling runs several times per TTL so a significant change is broadcast at once.
    const periodMs = Math.min(15_000, Math.max(1_000, (this.ttlSeconds() * 1000) / 5));
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.log.warn({ err: toAtmosphereError(err).message }, 'cost sample failed'),
      );
    }, periodMs);
    this.timer.unref();
    await this.refresh(options);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.joinTimer !== null) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    this.c.mesh?.removeEventListener('cost', this.onCost);
    this.c.mesh?.removeEventListener('peer:joined', this.onPeerJoined);
    this.controller.abort();
    await this.sampling?.catch(() => undefined);
  }

  /**
   * Samples now (joining a sample under way), recomputes the costs and broadcasts when the TTL is
   * up or the change is significant. Call it after a config change.
   */
  refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.sampling) return this.sampling;
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.controller.signal])
      : this.controller.signal;
    this.sampling = this.sampleAndBroadcast(signal).finally(() => {
      this.sampling = null;
    });
    return this.sampling;
  }

  private async sampleAndBroadcast(signal: AbortSignal): Promise<void> {
    const sample = await this.c.collector.sample({ signal });
    const costs = computeCosts(sample.factors, this.settings(), { minuteOfDay: this.minuteOfDay() });
    this.local = { sample, costs };
    const totals = Object.fromEntries(WORK_TYPES.map((w) => [w, costs[w].total])) as Record<WorkType, number>;
    this.remember(this.init.nodeId, costs);
    this.history.push({ atMs: sample.sampledAtMs, factors: sample.factors, costs: totals });
    const keepFrom = this.c.clock.now() - (this.init.historyMs ?? DEFAULT_HISTORY_MS);
    while (this.history.length > 0 && (this.history[0]?.atMs ?? 0) < keepFrom) this.history.shift();

    const now = this.c.clock.now();
    const due =
      this.broadcastNext ||
      this.lastBroadcast === null ||
      now - this.lastBroadcast.atMs >= this.ttlSeconds() * 1000;
    this.broadcastNext = false;
    const significant = isSignificantCostChange(
      this.lastBroadcast,
      { factors: sample.factors, totals },
      this.settings(),
    );
    if (!due && !significant) return;
    if (this.c.mesh === undefined) {
      this.lastBroadcast = { atMs: now, factors: sample.factors, totals };
      return;
    }
    const { meshIds } = await this.c.mesh.publishCost(this.payload(sample, costs, now), { signal });
    // Not a member of any mesh yet: nothing went out, so try again on the next sample.
    if (meshIds.length > 0) this.lastBroadcast = { atMs: now, factors: sample.factors, totals };
    this.log.debug({ meshIds, significant, overall: costs.inference.total }, 'cost broadcast');
  }

  private payload(sample: CostSample, costs: Record<WorkType, CostResult>, now: number): CostUpdatePayload {
    const f = sample.factors;
    return {
      type: NODE_COST_UPDATE,
      v: 1,
      node_id: this.init.nodeId,
      name: this.init.name().slice(0, 64),
      timestamp: now,
      ttl: this.ttlSeconds(),
      cost_factors: {
        on_battery: f.onBattery,
        battery_percent: f.batteryPercent,
        cpu_load: f.cpuLoad,
        gpu_load: f.gpuLoad,
        memory_pressure: f.memoryPressure,
        bandwidth_mbps: f.bandwidthMbps === null ? null : Math.min(f.bandwidthMbps, 1e9),
        latency_ms: f.latencyMs === null ? null : Math.min(f.latencyMs, 1e9),
        is_metered: f.isMetered,
        overall_cost: costs.inference.total,
      },
      costs: Object.fromEntries(
        WORK_TYPES.map((w) => [
          w,
          {
            total: costs[w].total,
            critical: costs[w].critical,
            terms: Object.fromEntries(
              costs[w].breakdown.filter((t) => t.applied && t.value !== 1).map((t) => [t.factor, t.value]),
            ),
          },
        ]),
      ),
      pinned: sample.pinned.map((n) => COST_FACTOR_KEYS[n]),
    };
  }

  // ---- the table of members' costs ----------------------------------------------------------------

  /** Takes a member's update (already validated and signature-checked by the mesh). */
  receive(update: MeshCostUpdate): void {
    if (update.originId === this.init.nodeId) return;
    const cf = update.cost_factors;
    const costs: Partial<Record<WorkType, ReportedCost>> = {};
    for (const w of WORK_TYPES) {
      const c = update.costs[w];
      if (c !== undefined) costs[w] = { total: c.total, critical: c.critical, terms: c.terms };
    }
    this.table.set(update.originId, {
      nodeId: update.originId,
      name: update.name === '' ? null : update.name,
      factors: {
        onBattery: cf.on_battery,
        batteryPercent: cf.battery_percent,
        cpuLoad: cf.cpu_load,
        gpuLoad: cf.gpu_load,
        memoryPressure: cf.memory_pressure,
        bandwidthMbps: cf.bandwidth_mbps,
        latencyMs: cf.latency_ms,
        isMetered: cf.is_metered,
      },
      pinned: update.pinned,
      costs,
      overallCost: cf.overall_cost,
      receivedAtMs: update.receivedAtMs,
      ttlSeconds: update.ttl,
    });
    this.remember(update.originId, costs);
    this.forgetOld();
  }

  /** Applies hysteresis to a node's newly reported costs. */
  private remember(
    nodeId: string,
    costs: Partial<Record<WorkType, { total: number; critical: boolean }>>,
  ): void {
    const margin = this.init.config().hysteresis;
    const current = this.inUse.get(nodeId) ?? new Map<WorkType, { total: number; critical: boolean }>();
    for (const w of WORK_TYPES) {
      const reported = costs[w];
      if (reported === undefined) continue;
      const next = stickyCost(current.get(w) ?? null, reported, margin);
      current.set(w, { total: next.total, critical: next.critical });
    }
    this.inUse.set(nodeId, current);
  }

  private forgetOld(): void {
    const now = this.c.clock.now();
    for (const [id, e] of this.table) {
      if (now - e.receivedAtMs > FORGET_AFTER_MS) {
        this.table.delete(id);
        this.inUse.delete(id);
      }
    }
  }

  private isStale(entry: NodeEntry): boolean {
    return this.c.clock.now() - entry.receivedAtMs > STALE_AFTER_TTLS * entry.ttlSeconds * 1000;
  }

  /** The price per million tokens of a cloud capability: config `cost.model_prices` first. */
  priceOf(capability: Capability): { inputUsdPerMillion: number; outputUsdPerMillion: number } | null {
    const prices = this.init.config().model_prices;
    const model = typeof capability.metadata['model'] === 'string' ? capability.metadata['model'] : null;
    const override = prices[capability.id] ?? (model === null ? undefined : prices[model]);
    if (override !== undefined)
      return {
        inputUsdPerMillion: override.input_usd_per_million,
        outputUsdPerMillion: override.output_usd_per_million,
      };
    const p = capability.metadata['price'];
    if (typeof p === 'object' && p !== null) {
      const { inputUsdPerMillion, outputUsdPerMillion } = p as Record<string, unknown>;
      if (typeof inputUsdPerMillion === 'number' && typeof outputUsdPerMillion === 'number')
        return { inputUsdPerMillion, outputUsdPerMillion };
    }
    return null;
  }

  /**
   * The cost routing uses for a capability: its node's cost for the capability's work type (with
   * hysteresis; unknown or stale → `UNKNOWN_NODE_COST`), plus a cloud model's dollars per typical call.
   */
  routeCost(capability: Capability): RouteCost {
    const workType = capability.workType;
    const own = capability.nodeId === this.init.nodeId;
    const entry = own ? null : (this.table.get(capability.nodeId) ?? null);
    const stale = entry !== null && this.isStale(entry);
    const inUse = stale ? undefined : this.inUse.get(capability.nodeId)?.get(workType);
    const terms: { factor: string; op: 'multiply' | 'add'; value: number }[] = [];
    let reported: number | null = null;
    if (own && this.local !== null) {
      const mine = this.local.costs[workType];
      reported = mine.total;
      for (const t of mine.breakdown)
        if (t.applied && t.value !== 1) terms.push({ factor: t.factor, op: t.op, value: t.value });
    } else if (entry !== null && !stale) {
      const theirs = entry.costs[workType];
      reported = theirs?.total ?? null;
      for (const [factor, value] of Object.entries(theirs?.terms ?? {}))
        terms.push({ factor, op: 'multiply', value });
    }
    const known = inUse !== undefined;
    let total = known ? inUse.total : UNKNOWN_NODE_COST;
    const parts: string[] = [];
    if (!known) parts.push(stale ? 'node cost stale, counted as 1' : 'node cost unknown, counted as 1');
    else {
      parts.push(`node ${workType} cost ${total}`);
      if (reported !== null && reported !== total) parts.push(`reported ${reported}, held by hysteresis`);
    }
    if (isCloudCapability(capability)) {
      const price = this.priceOf(capability);
      if (price !== null) {
        const add = Math.round(typicalCallUsd(price) * this.settings().apiCostScale * 1000) / 1000;
        total += add;
        terms.push({ factor: 'api_dollars', op: 'add', value: add });
        parts.push(`cloud dollars +${add}`);
      } else parts.push('cloud price unknown');
    }
    const critical = known && inUse.critical;
    if (critical) parts.push('critical battery');
    total = Math.round(total * 1000) / 1000;
    return {
      total,
      known,
      critical,
      reported,
      terms,
      note: `cost ${total} (${parts.join('; ')}${terms.length ? `; ${terms.map((t) => `${t.factor} ${t.op === 'add' ? '+' : '×'}${t.value}`).join(', ')}` : ''})`,
    };
  }

  /** The hysteresis margin: also the head start this node's own models get over other nodes'. */
  localMargin(): number {
    return this.init.config().hysteresis;
  }

  // ---- spend and budget ---------------------------------------------------------------------------

  /** The month's spend against `cost.monthly_budget_usd` (cached for a second: asked per candidate). */
  budget(): BudgetState {
    const now = this.c.clock.now();
    if (this.budgetCache !== null && now - this.budgetCache.atMs < 1000) return this.budgetCache.state;
    const { month, startMs } = monthOf(now);
    const limit = this.init.config().monthly_budget_usd;
    const spent = round6(this.c.spend.sumUsd(startMs));
    const state: BudgetState = {
      month,
      monthlyBudgetUsd: limit,
      spentThisMonthUsd: spent,
      remainingUsd: limit === null ? null : round6(Math.max(0, limit - spent)),
      exhausted: limit !== null && spent >= limit,
    };
    this.budgetCache = { atMs: now, state };
    return state;
  }

  /** Why a capability may not be used now (the budget is spent), or null. */
  exclusion(capability: Capability): string | null {
    if (!isCloudCapability(capability)) return null;
    const b = this.budget();
    return b.exhausted
      ? `monthly cloud budget spent: $${b.spentThisMonthUsd} of $${b.monthlyBudgetUsd ?? 0} in ${b.month} (cost.monthly_budget_usd)`
      : null;
  }

  /** Records one cloud call's spend from its token usage; returns the dollars (null: price unknown). */
  recordUsage(
    capability: Capability,
    requester: string,
    usage: { readonly promptTokens: number; readonly completionTokens: number },
  ): number | null {
    if (!isCloudCapability(capability)) return null;
    const price = this.priceOf(capability);
    if (price === null) {
      this.log.debug({ capability: capability.id }, 'cloud call with an unknown price: spend not recorded');
      return null;
    }
    const usd = costUsd(price, usage);
    this.c.spend.record({
      timeMs: this.c.clock.now(),
      requester: requester === 'local' ? this.init.nodeId : requester,
      capabilityId: capability.id,
      model: typeof capability.metadata['model'] === 'string' ? capability.metadata['model'] : capability.id,
      provider: typeof capability.metadata['provider'] === 'string' ? capability.metadata['provider'] : '',
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      usd,
    });
    this.budgetCache = null;
    return usd;
  }

  /** Wraps a cloud model's chat stream: the usage on its last chunk is recorded as spend. */
  meterChat(
    capability: Capability,
    requester: string,
    stream: AsyncIterable<ChatChunk>,
  ): AsyncIterable<ChatChunk> {
    if (!isCloudCapability(capability)) return stream;
    const record = (usage: ChatChunk['usage']): void => {
      if (usage === undefined) return;
      try {
        this.recordUsage(capability, requester, usage);
      } catch (err) {
        this.log.warn({ err: toAtmosphereError(err).message }, 'could not record cloud spend');
      }
    };
    return (async function* () {
      let usage: ChatChunk['usage'];
      try {
        for await (const chunk of stream) {
          if (chunk.usage !== undefined) usage = chunk.usage;
          yield chunk;
        }
      } finally {
        record(usage);
      }
    })();
  }

  spendReport(by: SpendGrouping = 'day', days = 31): SpendReport {
    if (!['day', 'model', 'node'].includes(by)) throw new InvalidInputError(`by must be day, model or node`);
    if (!Number.isInteger(days) || days < 1 || days > 366)
      throw new InvalidInputError('days must be an integer from 1 to 366');
    const now = this.c.clock.now();
    const rows = this.c.spend.totals(by, now - days * DAY_MS).map((r) => ({ ...r, usd: round6(r.usd) }));
    return {
      by,
      days,
      rows,
      totalUsd: round6(rows.reduce((s, r) => s + r.usd, 0)),
      budget: this.budget(),
    };
  }

  // ---- views --------------------------------------------------------------------------------------

  /** The `GET /api/cost` body (see docs/API.md). */
  view(): CostView {
    const config = this.init.config();
    const local = this.local;
    const mine = this.inUse.get(this.init.nodeId);
    const mesh = [...this.table.values()]
      .sort((a, b) => b.receivedAtMs - a.receivedAtMs)
      .map((e) => {
        const stale = this.isStale(e);
        const used = this.inUse.get(e.nodeId);
        return {
          nodeId: e.nodeId,
          name: e.name,
          factors: e.factors,
          pinned: e.pinned.map((k) => FACTOR_BY_KEY[k] ?? k),
          costs: Object.fromEntries(
            Object.entries(e.costs).map(([w, c]) => [
              w,
              {
                total: c.total,
                inUse: stale ? UNKNOWN_NODE_COST : (used?.get(w as WorkType)?.total ?? c.total),
                critical: c.critical,
                terms: c.terms,
              },
            ]),
          ),
          overallCost: e.overallCost,
          receivedAt: iso(e.receivedAtMs) as string,
          ttlSeconds: e.ttlSeconds,
          stale,
        };
      });
    return {
      local: {
        nodeId: this.init.nodeId,
        name: this.init.name(),
        factors: local?.sample.factors ?? null,
        pinned: local?.sample.pinned ?? [],
        sources: local?.sample.sources ?? null,
        details: local?.sample.details ?? null,
        costs: local
          ? Object.fromEntries(
              WORK_TYPES.map((w) => [
                w,
                { ...local.costs[w], inUse: mine?.get(w)?.total ?? local.costs[w].total },
              ]),
            )
          : {},
        overallCost: local?.costs.inference.total ?? null,
        sampledAt: iso(local?.sample.sampledAtMs ?? null),
        lastBroadcastAt: iso(this.lastBroadcast?.atMs ?? null),
        ttlSeconds: config.ttl_seconds,
      },
      mesh,
      history: this.history.map((h) => ({
        at: iso(h.atMs) as string,
        factors: h.factors,
        cost: h.costs.inference,
        costs: h.costs,
      })),
      settings: {
        hysteresis: config.hysteresis,
        routeWeights: { semantic: config.route_weights.semantic, cost: config.route_weights.cost },
        monthlyBudgetUsd: config.monthly_budget_usd,
      },
    };
  }
}

export interface CostView {
  readonly local: {
    readonly nodeId: string;
    readonly name: string;
    readonly factors: CostFactors | null;
    readonly pinned: readonly CostFactorName[];
    readonly sources: Readonly<Record<CostFactorName, string>> | null;
    readonly details: CostSample['details'] | null;
    readonly costs: Readonly<Record<string, CostResult & { readonly inUse: number }>>;
    readonly overallCost: number | null;
    readonly sampledAt: string | null;
    readonly lastBroadcastAt: string | null;
    readonly ttlSeconds: number;
  };
  readonly mesh: readonly {
    readonly nodeId: string;
    readonly name: string | null;
    readonly factors: CostFactors;
    readonly pinned: readonly string[];
    readonly costs: Readonly<
      Record<
        string,
        { total: number; inUse: number; critical: boolean; terms: Readonly<Record<string, number>> }
      >
    >;
    readonly overallCost: number;
    readonly receivedAt: string;
    readonly ttlSeconds: number;
    readonly stale: boolean;
  }[];
  readonly history: readonly {
    readonly at: string;
    readonly factors: CostFactors;
    readonly cost: number;
    readonly costs: Readonly<Record<string, number>>;
  }[];
  readonly settings: {
    readonly hysteresis: number;
    readonly routeWeights: { readonly semantic: number; readonly cost: number };
    readonly monthlyBudgetUsd: number | null;
  };
}
