import { describe, expect, it } from 'vitest';
import type { CostFactors } from './cost-model.js';
import {
  DEFAULT_COST_SETTINGS,
  computeCost,
  computeCosts,
  criticalBatteryExclusions,
  inPeakHours,
  isSignificantCostChange,
  stickyCost,
  typicalCallUsd,
} from './cost-model.js';

const idle: CostFactors = {
  onBattery: false,
  batteryPercent: 100,
  cpuLoad: 0,
  gpuLoad: 0,
  memoryPressure: 0,
  bandwidthMbps: 1000,
  latencyMs: 1,
  isMetered: false,
};

describe('computeCost (the seed compute_cost)', () => {
  it('costs 1 for an idle node on mains power', () => {
    const r = computeCost(idle, 'inference');
    expect(r.total).toBe(1);
    expect(r.critical).toBe(false);
    expect(r.breakdown.every((t) => t.value === 1)).toBe(true);
  });

  it('doubles on battery and weighs GPU load twice for inference: 2 × 1.2 × 1.2 = 2.88', () => {
    const r = computeCost(
      { ...idle, onBattery: true, batteryPercent: 50, gpuLoad: 0.1, memoryPressure: 0.2 },
      'inference',
    );
    expect(r.total).toBe(2.88);
    expect(r.breakdown.find((t) => t.factor === 'battery')).toMatchObject({ applied: true, value: 2 });
    expect(r.breakdown.find((t) => t.factor === 'gpu_load')).toMatchObject({ applied: true, value: 1.2 });
  });

  it('multiplies by 10 on battery below 20 % and marks the node critical', () => {
    const r = computeCost({ ...idle, onBattery: true, batteryPercent: 15 }, 'inference');
    expect(r.total).toBe(10);
    expect(r.critical).toBe(true);
    expect(r.breakdown.find((t) => t.factor === 'critical_battery')?.note).toContain('15%');
  });

  it('uses CPU load for non-inference work and triples on a metered network: 1.3 × 1.2 × 3 = 4.68', () => {
    const r = computeCost(
      { ...idle, cpuLoad: 0.3, gpuLoad: 0.9, memoryPressure: 0.2, isMetered: true },
      'actuation',
    );
    expect(r.total).toBe(4.68);
    expect(r.breakdown.some((t) => t.factor === 'gpu_load')).toBe(false);
  });

  it('training follows GPU load like inference: (1 + 0.5 × 2) = 2', () => {
    expect(computeCost({ ...idle, gpuLoad: 0.5, cpuLoad: 0.9 }, 'training').total).toBe(2);
  });

  it('weighs inference by CPU load when the node has no GPU reading', () => {
    const r = computeCost({ ...idle, gpuLoad: null, cpuLoad: 0.5 }, 'inference');
    expect(r.total).toBe(2);
    expect(r.breakdown.find((t) => t.factor === 'cpu_load')?.note).toContain('no GPU reading');
  });

  it('adds cloud dollars × 100: gpt-4o at a typical call is +0.75', () => {
    const usd = typicalCallUsd({ inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 });
    expect(usd).toBeCloseTo(0.0075, 10);
    const r = computeCost(idle, 'inference', DEFAULT_COST_SETTINGS, { apiUsdPerCall: usd });
    expect(r.total).toBe(1.75);
    expect(r.breakdown.at(-1)).toMatchObject({ factor: 'api_dollars', op: 'add', value: 0.75 });
  });

  it('applies the owner multipliers and peak hours from config', () => {
    const settings = {
      ...DEFAULT_COST_SETTINGS,
      onBatteryMultiplier: 3,
      peakHours: '09:00-17:00',
      peakMultiplier: 1.5,
    };
    const onBattery = { ...idle, onBattery: true, batteryPercent: 80 };
    expect(computeCost(onBattery, 'agent', settings, { minuteOfDay: 10 * 60 }).total).toBe(4.5);
    expect(computeCost(onBattery, 'agent', settings, { minuteOfDay: 18 * 60 }).total).toBe(3);
  });

  it('leaves unknown factors out and says they are unknown', () => {
    const r = computeCost({ ...idle, onBattery: null, memoryPressure: null, isMetered: null }, 'inference');
    expect(r.total).toBe(1);
    expect(r.breakdown.map((t) => t.note)).toEqual(
      expect.arrayContaining(['power source unknown', 'memory pressure unknown', 'metering unknown']),
    );
  });

  it('computes every work type at once', () => {
    const all = computeCosts({ ...idle, gpuLoad: 0.5, cpuLoad: 0 });
    expect(all.inference.total).toBe(2);
    expect(all.embedding.total).toBe(1.5);
    expect(all.actuation.total).toBe(1);
  });
});

describe('peak hours', () => {
  it('wraps past midnight', () => {
    expect(inPeakHours('22:00-06:00', 23 * 60)).toBe(true);
    expect(inPeakHours('22:00-06:00', 5 * 60 + 59)).toBe(true);
    expect(inPeakHours('22:00-06:00', 6 * 60)).toBe(false);
    expect(inPeakHours('09:00-17:00', 9 * 60)).toBe(true);
    expect(inPeakHours('09:00-17:00', 17 * 60)).toBe(false);
  });
});

describe('significant change and hysteresis', () => {
  const state = (f: CostFactors) => ({
    factors: f,
    totals: { inference: computeCost(f, 'inference').total },
  });

  it('broadcasts at once on unplugging, crossing critical battery or a change over 20 %', () => {
    expect(isSignificantCostChange(state(idle), state({ ...idle, onBattery: true }))).toBe(true);
    const battery = { ...idle, onBattery: true, batteryPercent: 25 };
    expect(isSignificantCostChange(state(battery), state({ ...battery, batteryPercent: 19 }))).toBe(true);
    expect(isSignificantCostChange(state(idle), state({ ...idle, gpuLoad: 0.15 }))).toBe(true);
    expect(isSignificantCostChange(state(idle), state({ ...idle, gpuLoad: 0.05 }))).toBe(false);
    expect(isSignificantCostChange(null, state(idle))).toBe(true);
  });

  it('keeps the cost in use until a report differs by more than the margin', () => {
    const inUse = { total: 1, critical: false };
    expect(stickyCost(inUse, { total: 1.15, critical: false }, 0.2)).toEqual({
      total: 1,
      critical: false,
      moved: false,
    });
    expect(stickyCost(inUse, { total: 1.3, critical: false }, 0.2)).toEqual({
      total: 1.3,
      critical: false,
      moved: true,
    });
    expect(stickyCost(inUse, { total: 1.05, critical: true }, 0.2).moved).toBe(true);
    expect(stickyCost(null, { total: 2, critical: false }, 0.2).total).toBe(2);
  });
});

describe('critical battery rule', () => {
  const cand = (critical: boolean, semanticScore = 0.8, ok = true) => ({
    semanticScore,
    threshold: 0.4,
    constraints: [{ ok }],
    critical,
  });

  it('excludes a critical node while a capable alternative exists', () => {
    expect(criticalBatteryExclusions([cand(true), cand(false, 0.5)])).toEqual([true, false]);
  });

  it('keeps a critical node when it is the only one that can do the work', () => {
    expect(criticalBatteryExclusions([cand(true), cand(false, 0.2)])).toEqual([false, false]);
    expect(criticalBatteryExclusions([cand(true), cand(false, 0.9, false)])).toEqual([false, false]);
  });
});
