import { describe, expect, it } from 'vitest';
import type { CostViewJson } from './cost.js';
import { formatCostView, formatSpend } from './cost.js';

describe('atmosphere cost output', () => {
  it('shows each factor with its source, pins and the mesh view', () => {
    const view: CostViewJson = {
      local: {
        nodeId: '12D3KooWlocal0000000000',
        name: 'laptop',
        factors: { onBattery: true, batteryPercent: 15, cpuLoad: 0.2, gpuLoad: null },
        pinned: ['batteryPercent'],
        sources: { onBattery: 'sysfs', batteryPercent: 'pinned in config', cpuLoad: '/proc/stat' },
        details: { networkType: 'wifi', gpuVramUsedBytes: null, gpuVramTotalBytes: null },
        costs: {
          inference: {
            total: 14,
            inUse: 10,
            critical: true,
            breakdown: [
              { factor: 'battery', op: 'multiply', value: 2, applied: true, note: 'on battery ×2' },
              { factor: 'metered', op: 'multiply', value: 1, applied: false, note: 'network not metered' },
            ],
          },
        },
        overallCost: 14,
        sampledAt: '2026-11-24T12:00:00.000Z',
        lastBroadcastAt: null,
        ttlSeconds: 60,
      },
      mesh: [
        {
          nodeId: '12D3KooWpeer00000000000',
          name: 'gpu-box',
          factors: { onBattery: false, cpuLoad: 0.1, gpuLoad: 0.4, isMetered: false },
          pinned: [],
          costs: { inference: { total: 1.8, inUse: 1.8, critical: false } },
          overallCost: 1.8,
          receivedAt: '2026-11-24T12:00:01.000Z',
          stale: true,
        },
      ],
    };
    const text = formatCostView(view);
    expect(text).toMatch(/battery %\s+15\s+pinned in config \(pinned\)/);
    expect(text).toMatch(/GPU load\s+unknown\s+not measured/);
    expect(text).toMatch(/inference\s+14 \(routing uses 10\) critical\s+on battery ×2$/m);
    expect(text).not.toContain('network not metered');
    expect(text).toMatch(/gpu-box.*1\.8.*AC.*stale/);
  });

  it('says when the monthly budget is exhausted and totals the spend', () => {
    const text = formatSpend({
      by: 'model',
      days: 31,
      rows: [{ key: 'openai/gpt-4o-mini', usd: 0.012, requests: 2, promptTokens: 14, completionTokens: 10 }],
      totalUsd: 0.012,
      budget: {
        month: '2026-11',
        monthlyBudgetUsd: 0.01,
        spentThisMonthUsd: 0.012,
        remainingUsd: 0,
        exhausted: true,
      },
    });
    expect(text).toContain('2026-11: $0.012 of $0.01 spent — budget exhausted');
    expect(text).toMatch(/openai\/gpt-4o-mini\s+0\.012000\s+2\s+14\s+10/);
    expect(text).toMatch(/total\s+0\.012000/);
  });
});
