/**
 * The dynamic cost model (seed Part 3): what it costs *this node, right now* to do one piece of
 * work of a given type. A normal idle node on mains power costs 1; battery, load, memory pressure,
 * a metered network and peak hours multiply that; cloud dollars add to it. Pure: the factors are
 * measured elsewhere (`node/cost`) and the time of day is passed in.
 *
 * The formula (each step is one entry of the breakdown):
 *
 *     cost = 1
 *          × on_battery_multiplier              when on battery                    (default 2)
 *          × critical_battery_multiplier        on battery below critical_battery_percent (default 5)
 *          × (1 + load × weight)                load and weight by work type (see LOAD_RULES)
 *          × (1 + memory_pressure)
 *          × metered_connection_multiplier      on a metered network               (default 3)
 *          × peak_multiplier                    inside peak_hours                  (default 1.5)
 *          + api dollars per call × api_cost_scale                                 (default 100)
 *
 * A factor that is not known (null) leaves the cost unchanged and says so in the breakdown.
 */
import type { WorkType } from './capability.js';
import { WORK_TYPES } from './capability.js';

/** What the node measured (or the owner pinned). `null`: not known. */
export interface CostFactors {
  readonly onBattery: boolean | null;
  /** 0–100. */
  readonly batteryPercent: number | null;
  /** 0–1. */
  readonly cpuLoad: number | null;
  /** 0–1; null on a node without a GPU it can read. */
  readonly gpuLoad: number | null;
  /** 0–1. */
  readonly memoryPressure: number | null;
  readonly bandwidthMbps: number | null;
  readonly latencyMs: number | null;
  readonly isMetered: boolean | null;
}

export type CostFactorName = keyof CostFactors;

export const COST_FACTOR_NAMES: readonly CostFactorName[] = [
  'onBattery',
  'batteryPercent',
  'cpuLoad',
  'gpuLoad',
  'memoryPressure',
  'bandwidthMbps',
  'latencyMs',
  'isMetered',
];

/** Config key (`cost.pin.*`, gossip field) of each factor. */
export const COST_FACTOR_KEYS: Readonly<Record<CostFactorName, string>> = {
  onBattery: 'on_battery',
  batteryPercent: 'battery_percent',
  cpuLoad: 'cpu_load',
  gpuLoad: 'gpu_load',
  memoryPressure: 'memory_pressure',
  bandwidthMbps: 'bandwidth_mbps',
  latencyMs: 'latency_ms',
  isMetered: 'is_metered',
};

export const UNKNOWN_COST_FACTORS: CostFactors = {
  onBattery: null,
  batteryPercent: null,
  cpuLoad: null,
  gpuLoad: null,
  memoryPressure: null,
  bandwidthMbps: null,
  latencyMs: null,
  isMetered: null,
};

/** The multipliers, from config `cost.*`. */
export interface CostSettings {
  readonly onBatteryMultiplier: number;
  readonly criticalBatteryPercent: number;
  readonly criticalBatteryMultiplier: number;
  readonly meteredMultiplier: number;
  readonly apiCostScale: number;
  /** "HH:MM-HH:MM" (may wrap past midnight) or null. */
  readonly peakHours: string | null;
  readonly peakMultiplier: number;
}

/** The seed's numbers. */
export const DEFAULT_COST_SETTINGS: CostSettings = {
  onBatteryMultiplier: 2,
  criticalBatteryPercent: 20,
  criticalBatteryMultiplier: 5,
  meteredMultiplier: 3,
  apiCostScale: 100,
  peakHours: null,
  peakMultiplier: 1.5,
};

/** The settings in a resolved config's `cost` section. */
export function costSettingsFromConfig(cost: {
  readonly on_battery_multiplier: number;
  readonly critical_battery_percent: number;
  readonly critical_battery_multiplier: number;
  readonly metered_connection_multiplier: number;
  readonly api_cost_scale: number;
  readonly peak_hours: string | null;
  readonly peak_multiplier: number;
}): CostSettings {
  return {
    onBatteryMultiplier: cost.on_battery_multiplier,
    criticalBatteryPercent: cost.critical_battery_percent,
    criticalBatteryMultiplier: cost.critical_battery_multiplier,
    meteredMultiplier: cost.metered_connection_multiplier,
    apiCostScale: cost.api_cost_scale,
    peakHours: cost.peak_hours,
    peakMultiplier: cost.peak_multiplier,
  };
}

/**
 * Which load a work type is weighed by, and how strongly. The seed: inference and training use
 * GPU load × 2, everything else CPU load × 1. Embeddings run on the GPU too, but are light (× 1).
 * GPU work on a node whose GPU load is unknown (no GPU, or none it can read) runs on the CPU, so
 * it is weighed by CPU load with the same weight.
 */
export const LOAD_RULES: Readonly<
  Record<WorkType, { readonly load: 'gpu' | 'cpu'; readonly weight: number }>
> = {
  inference: { load: 'gpu', weight: 2 },
  training: { load: 'gpu', weight: 2 },
  embedding: { load: 'gpu', weight: 1 },
  retrieval: { load: 'cpu', weight: 1 },
  sensing: { load: 'cpu', weight: 1 },
  actuation: { load: 'cpu', weight: 1 },
  messaging: { load: 'cpu', weight: 1 },
  agent: { load: 'cpu', weight: 1 },
  system: { load: 'cpu', weight: 1 },
};

/** One step of the formula. */
export interface CostTerm {
  /** `battery`, `critical_battery`, `gpu_load`, `cpu_load`, `memory_pressure`, `metered`, `peak_hours`, `api_dollars`. */
  readonly factor: string;
  /** `multiply`: the cost so far × value; `add`: + value. */
  readonly op: 'multiply' | 'add';
  readonly value: number;
  /** False when the step did not apply (value 1 or 0), e.g. on mains power. */
  readonly applied: boolean;
  /** A sentence: "on battery ×2", "GPU load 0.40 × 2 → ×1.8", "battery unknown". */
  readonly note: string;
}

export interface CostResult {
  readonly total: number;
  readonly breakdown: readonly CostTerm[];
  /** On battery below the critical percentage: never chosen while a reasonable alternative exists. */
  readonly critical: boolean;
}

export interface CostContext {
  /** Minutes since local midnight, for peak hours; absent: peak hours are not applied. */
  readonly minuteOfDay?: number;
  /** Dollars one call is expected to cost (a cloud model), added × api_cost_scale. */
  readonly apiUsdPerCall?: number;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
const fmt = (n: number): string => String(round3(n));

/** Minutes since midnight of "HH:MM". */
function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Whether `minuteOfDay` lies in "HH:MM-HH:MM" (start inclusive, end exclusive; may wrap midnight). */
export function inPeakHours(range: string, minuteOfDay: number): boolean {
  const [from, to] = range.split('-');
  if (from === undefined || to === undefined) return false;
  const start = minutesOf(from);
  const end = minutesOf(to);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/** Whether the factors say "on battery and below the critical percentage". */
export function isCriticalBattery(
  factors: CostFactors,
  settings: CostSettings = DEFAULT_COST_SETTINGS,
): boolean {
  return (
    factors.onBattery === true &&
    factors.batteryPercent !== null &&
    factors.batteryPercent < settings.criticalBatteryPercent
  );
}

/** The seed's `compute_cost`, with the owner's multipliers: a total and each step that made it. */
export function computeCost(
  factors: CostFactors,
  workType: WorkType,
  settings: CostSettings = DEFAULT_COST_SETTINGS,
  context: CostContext = {},
): CostResult {
  const breakdown: CostTerm[] = [];
  let total = 1;
  const multiply = (factor: string, value: number, applied: boolean, note: string): void => {
    if (applied) total *= value;
    breakdown.push({ factor, op: 'multiply', value: applied ? round3(value) : 1, applied, note });
  };

  if (factors.onBattery === null) multiply('battery', 1, false, 'power source unknown');
  else if (!factors.onBattery) multiply('battery', 1, false, 'on mains power');
  else
    multiply(
      'battery',
      settings.onBatteryMultiplier,
      true,
      `on battery ×${fmt(settings.onBatteryMultiplier)}`,
    );

  const critical = isCriticalBattery(factors, settings);
  if (critical) {
    multiply(
      'critical_battery',
      settings.criticalBatteryMultiplier,
      true,
      `battery ${fmt(factors.batteryPercent ?? 0)}% below ${fmt(settings.criticalBatteryPercent)}% ×${fmt(settings.criticalBatteryMultiplier)}`,
    );
  } else if (factors.onBattery === true) {
    multiply(
      'critical_battery',
      1,
      false,
      factors.batteryPercent === null
        ? 'battery level unknown'
        : `battery ${fmt(factors.batteryPercent)}% not critical`,
    );
  }

  const rule = LOAD_RULES[workType];
  const useGpu = rule.load === 'gpu' && factors.gpuLoad !== null;
  const loadName = useGpu ? 'gpu_load' : 'cpu_load';
  const load = useGpu ? factors.gpuLoad : factors.cpuLoad;
  const via = rule.load === 'gpu' && !useGpu ? ' (no GPU reading: CPU does the work)' : '';
  if (load === null) multiply(loadName, 1, false, `${useGpu ? 'GPU' : 'CPU'} load unknown${via}`);
  else {
    const m = 1 + load * rule.weight;
    multiply(
      loadName,
      m,
      true,
      `${useGpu ? 'GPU' : 'CPU'} load ${fmt(load)} × ${rule.weight} for ${workType}${via} → ×${fmt(m)}`,
    );
  }

  if (factors.memoryPressure === null) multiply('memory_pressure', 1, false, 'memory pressure unknown');
  else
    multiply(
      'memory_pressure',
      1 + factors.memoryPressure,
      true,
      `memory pressure ${fmt(factors.memoryPressure)} → ×${fmt(1 + factors.memoryPressure)}`,
    );

  if (factors.isMetered === true)
    multiply(
      'metered',
      settings.meteredMultiplier,
      true,
      `metered network ×${fmt(settings.meteredMultiplier)}`,
    );
  else multiply('metered', 1, false, factors.isMetered === null ? 'metering unknown' : 'network not metered');

  if (settings.peakHours !== null) {
    const known = context.minuteOfDay !== undefined;
    const peak = known && inPeakHours(settings.peakHours, context.minuteOfDay ?? 0);
    multiply(
      'peak_hours',
      settings.peakMultiplier,
      peak,
      peak
        ? `peak hours ${settings.peakHours} ×${fmt(settings.peakMultiplier)}`
        : known
          ? `outside peak hours ${settings.peakHours}`
          : 'time of day unknown',
    );
  }

  if (context.apiUsdPerCall !== undefined && context.apiUsdPerCall > 0) {
    const add = context.apiUsdPerCall * settings.apiCostScale;
    total += add;
    breakdown.push({
      factor: 'api_dollars',
      op: 'add',
      value: round3(add),
      applied: true,
      note: `cloud API about $${context.apiUsdPerCall.toPrecision(3)} per call × ${fmt(settings.apiCostScale)} → +${fmt(add)}`,
    });
  }

  return { total: round3(total), breakdown, critical };
}

/** The cost of every work type at once (what a node broadcasts). */
export function computeCosts(
  factors: CostFactors,
  settings: CostSettings = DEFAULT_COST_SETTINGS,
  context: CostContext = {},
): Record<WorkType, CostResult> {
  const out = {} as Record<WorkType, CostResult>;
  for (const w of WORK_TYPES) out[w] = computeCost(factors, w, settings, context);
  return out;
}

/** Tokens of the request used to turn a price per million tokens into dollars per call. */
export const TYPICAL_REQUEST_TOKENS = { prompt: 1000, completion: 500 } as const;

/** Dollars a typical call costs at this price. */
export function typicalCallUsd(price: {
  readonly inputUsdPerMillion: number;
  readonly outputUsdPerMillion: number;
}): number {
  return (
    (TYPICAL_REQUEST_TOKENS.prompt * price.inputUsdPerMillion +
      TYPICAL_REQUEST_TOKENS.completion * price.outputUsdPerMillion) /
    1_000_000
  );
}

/** Relative change between two costs (0.2 = 20 %). */
export function relativeCostChange(before: number, after: number): number {
  if (before === after) return 0;
  const base = Math.max(Math.abs(before), 1e-9);
  return Math.abs(after - before) / base;
}

/**
 * Whether factors changed enough to broadcast at once instead of waiting for the next TTL:
 * plugged in or unplugged, crossed the critical battery level, metering flipped, or the cost of
 * any work type changed by more than `threshold` (default 20 %).
 */
export function isSignificantCostChange(
  before: { readonly factors: CostFactors; readonly totals: Readonly<Record<string, number>> } | null,
  after: { readonly factors: CostFactors; readonly totals: Readonly<Record<string, number>> },
  settings: CostSettings = DEFAULT_COST_SETTINGS,
  threshold = 0.2,
): boolean {
  if (before === null) return true;
  if (before.factors.onBattery !== after.factors.onBattery) return true;
  if (before.factors.isMetered !== after.factors.isMetered) return true;
  if (isCriticalBattery(before.factors, settings) !== isCriticalBattery(after.factors, settings)) return true;
  for (const [k, v] of Object.entries(after.totals)) {
    const old = before.totals[k];
    if (old === undefined || relativeCostChange(old, v) > threshold) return true;
  }
  return false;
}

/**
 * Hysteresis: the cost routing uses for a node moves only when the newly reported cost differs
 * from the one in use by more than `margin` (relative), or when the node's critical-battery state
 * changed. Small wobbles in load therefore never re-rank equal nodes back and forth.
 */
export function stickyCost(
  inUse: { readonly total: number; readonly critical: boolean } | null,
  reported: { readonly total: number; readonly critical: boolean },
  margin: number,
): { readonly total: number; readonly critical: boolean; readonly moved: boolean } {
  if (inUse === null || inUse.critical !== reported.critical)
    return { total: reported.total, critical: reported.critical, moved: true };
  if (relativeCostChange(inUse.total, reported.total) > margin)
    return { total: reported.total, critical: reported.critical, moved: true };
  return { total: inUse.total, critical: inUse.critical, moved: false };
}

/** A candidate as the critical-battery rule sees it. */
export interface CriticalRuleCandidate {
  readonly semanticScore: number;
  readonly threshold: number;
  readonly constraints: readonly { readonly ok: boolean }[];
  /** Its node is on critical battery. */
  readonly critical: boolean;
}

/**
 * A node on critical battery is never chosen while a reasonable alternative exists: an alternative
 * is a candidate not on critical battery that passes its constraints and clears its threshold.
 * Returns, per candidate, whether the rule excludes it.
 */
export function criticalBatteryExclusions(candidates: readonly CriticalRuleCandidate[]): boolean[] {
  const alternative = candidates.some(
    (c) => !c.critical && c.semanticScore >= c.threshold && c.constraints.every((r) => r.ok),
  );
  return candidates.map((c) => alternative && c.critical);
}

/** Cost routing assumes for a node whose cost is unknown or stale: a normal node. */
export const UNKNOWN_NODE_COST = 1;

/** The cost of one route candidate, as the router ranks it and the receipt shows it. */
export interface RouteCost {
  /** What ranking uses (after hysteresis; `UNKNOWN_NODE_COST` when not known). */
  readonly total: number;
  readonly known: boolean;
  /** The node is on critical battery. */
  readonly critical: boolean;
  /** The latest cost its node reported (before hysteresis); null when not known. */
  readonly reported: number | null;
  /** The steps that applied: node factors, then cloud dollars. */
  readonly terms: readonly {
    readonly factor: string;
    readonly op: 'multiply' | 'add';
    readonly value: number;
  }[];
  /** One sentence: "cost 2.88 (on battery ×2, gpu_load ×1.2, …)", "cost unknown (stale), counted as 1". */
  readonly note: string;
}
