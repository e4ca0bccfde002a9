// @vitest-environment jsdom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNode, renderWithNode } from '../testing.js';
import { CostPage, factorText } from './cost.js';

afterEach(cleanup);

const work = (total: number, notes: string[] = []): object => ({
  total,
  critical: false,
  breakdown: notes.map((note) => ({ factor: 'battery', op: 'multiply', value: 2, applied: true, note })),
});

describe('Cost', () => {
  it('says honestly that this node has no cost data when the endpoint is missing', async () => {
    renderWithNode(new FakeNode(), <CostPage />);
    expect(await screen.findByText('Cost data not available from this node.')).toBeTruthy();
    expect(screen.queryByText(/\$/)).toBeNull();
  });

  it('shows the factors, per-work costs, history chart, every node and the spend', async () => {
    const now = Date.now();
    const fake = new FakeNode({
      'GET /api/cost': {
        local: {
          nodeId: 'self',
          name: 'laptop',
          factors: { onBattery: true, batteryPercent: 54, cpuLoad: 0.25, gpuLoad: null },
          pinned: ['batteryPercent'],
          sources: {
            onBattery: 'upower',
            batteryPercent: 'pinned in config',
            cpuLoad: '/proc/stat',
            gpuLoad: 'not measured',
          },
          details: {},
          costs: { inference: work(2.4, ['on battery ×2']), training: work(4) },
          overallCost: 2.4,
          sampledAt: new Date(now - 5000).toISOString(),
          lastBroadcastAt: null,
          ttlSeconds: 60,
        },
        mesh: [
          {
            nodeId: 'gpu-1',
            name: 'gpu-box',
            factors: {},
            pinned: [],
            costs: { inference: { total: 0.8, inUse: 0.9, critical: false, terms: {} } },
            overallCost: 0.8,
            receivedAt: new Date(now - 10_000).toISOString(),
            ttlSeconds: 60,
            stale: false,
          },
        ],
        history: [
          { at: new Date(now - 3_600_000).toISOString(), factors: {}, cost: 1, costs: {} },
          { at: new Date(now).toISOString(), factors: {}, cost: 2.4, costs: {} },
        ],
        settings: { hysteresis: 0.2, routeWeights: { semantic: 1, cost: 0.3 }, monthlyBudgetUsd: 20 },
      },
      'GET /api/cost/spend': {
        by: 'day',
        days: 31,
        rows: [{ key: '2026-11-24', usd: 0.0123, requests: 4, promptTokens: 1000, completionTokens: 500 }],
        totalUsd: 0.0123,
        budget: {
          month: '2026-11',
          monthlyBudgetUsd: 20,
          spentThisMonthUsd: 0.0123,
          remainingUsd: 19.9877,
          exhausted: false,
        },
      },
    });
    renderWithNode(fake, <CostPage />);
    expect(await screen.findByRole('heading', { name: 'laptop now: cost 2.40' })).toBeTruthy();
    expect(screen.getByText('pinned in config (pinned)')).toBeTruthy();
    expect(screen.getByText(/on battery ×2/)).toBeTruthy();
    expect(screen.getByRole('img', { name: /between 1.00 and 2.40, now 2.40/ })).toBeTruthy();
    expect(screen.getByText('gpu-box')).toBeTruthy();
    expect(screen.getByText('0.90')).toBeTruthy();
    expect(await screen.findByText(/spent \$0.0123 of \$20.00/)).toBeTruthy();
    expect(screen.getByText('2026-11-24')).toBeTruthy();
  });

  it('words factors with their units and unknowns', () => {
    expect(factorText('cpuLoad', 0.25)).toBe('25%');
    expect(factorText('gpuLoad', null)).toBe('not known');
    expect(factorText('isMetered', false)).toBe('no');
    expect(factorText('latencyMs', 12)).toBe('12 ms');
  });
});
