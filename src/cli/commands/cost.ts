/**
 * `atmosphere cost`: this node's cost factors (with where each came from), its cost per work type
 * and every member's cost; `--watch` reprints every few seconds; `--spend` shows cloud spend by
 * day, model or node and the monthly budget. A thin shell over `GET /api/cost` and
 * `GET /api/cost/spend` (docs/COST.md).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { formatTable } from '../output.js';
import { connectToNode } from './shared.js';

interface CostOptions {
  json?: boolean;
  watch?: boolean;
  interval: string;
  spend?: boolean;
  by?: string;
  days: string;
}

type Factors = Record<string, number | boolean | null>;

interface WorkCost {
  total: number;
  inUse?: number;
  critical: boolean;
  breakdown?: { factor: string; applied: boolean; value: number; op: string; note: string }[];
  terms?: Record<string, number>;
}

/** The parts of `GET /api/cost` this command prints. */
export interface CostViewJson {
  local: {
    nodeId: string;
    name: string;
    factors: Factors | null;
    pinned: string[];
    sources: Record<string, string> | null;
    details: {
      networkType: string;
      gpuVramUsedBytes: number | null;
      gpuVramTotalBytes: number | null;
    } | null;
    costs: Record<string, WorkCost>;
    overallCost: number | null;
    sampledAt: string | null;
    lastBroadcastAt: string | null;
    ttlSeconds: number;
  };
  mesh: {
    nodeId: string;
    name: string | null;
    factors: Factors;
    pinned: string[];
    costs: Record<string, WorkCost>;
    overallCost: number;
    receivedAt: string;
    stale: boolean;
  }[];
}

interface SpendJson {
  by: string;
  days: number;
  rows: { key: string; usd: number; requests: number; promptTokens: number; completionTokens: number }[];
  totalUsd: number;
  budget: {
    month: string;
    monthlyBudgetUsd: number | null;
    spentThisMonthUsd: number;
    remainingUsd: number | null;
    exhausted: boolean;
  };
}

const FACTOR_LABELS: Readonly<Record<string, string>> = {
  onBattery: 'on battery',
  batteryPercent: 'battery %',
  cpuLoad: 'CPU load',
  gpuLoad: 'GPU load',
  memoryPressure: 'memory pressure',
  bandwidthMbps: 'bandwidth (Mbit/s)',
  latencyMs: 'latency to peers (ms)',
  isMetered: 'metered network',
};

function show(value: number | boolean | null | undefined): string {
  if (value === null || value === undefined) return 'unknown';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

const short = (id: string): string => (id.length > 16 ? `…${id.slice(-8)}` : id);

/** The human view of `GET /api/cost`. */
export function formatCostView(view: CostViewJson): string {
  const lines: string[] = [];
  const l = view.local;
  lines.push(
    `${l.name} (${short(l.nodeId)}) · sampled ${l.sampledAt ?? 'not yet'} · broadcast ${l.lastBroadcastAt ?? 'not yet'} · every ${l.ttlSeconds} s`,
  );
  lines.push('');
  lines.push(
    formatTable(
      ['factor', 'value', 'source'],
      Object.keys(FACTOR_LABELS).map((k) => [
        FACTOR_LABELS[k] ?? k,
        show(l.factors?.[k]),
        `${l.sources?.[k] ?? 'not measured'}${l.pinned.includes(k) ? ' (pinned)' : ''}`,
      ]),
    ),
  );
  if (l.details) lines.push(`network: ${l.details.networkType}`);
  lines.push('');
  lines.push(
    formatTable(
      ['work type', 'cost', 'why'],
      Object.entries(l.costs).map(([w, c]) => [
        w,
        `${c.total}${c.inUse !== undefined && c.inUse !== c.total ? ` (routing uses ${c.inUse})` : ''}${c.critical ? ' critical' : ''}`,
        (c.breakdown ?? [])
          .filter((t) => t.applied && t.value !== 1)
          .map((t) => t.note)
          .join('; ') || 'nothing raises it',
      ]),
    ),
  );
  lines.push('');
  if (view.mesh.length === 0) lines.push('mesh: no other node has reported its cost yet');
  else {
    lines.push('mesh:');
    lines.push(
      formatTable(
        ['node', 'inference', 'actuation', 'power', 'CPU', 'GPU', 'metered', 'received', ''],
        view.mesh.map((m) => [
          m.name ? `${m.name} (${short(m.nodeId)})` : short(m.nodeId),
          show(m.costs['inference']?.inUse ?? m.costs['inference']?.total),
          show(m.costs['actuation']?.inUse ?? m.costs['actuation']?.total),
          m.factors['onBattery'] === true
            ? `battery ${show(m.factors['batteryPercent'])}%`
            : m.factors['onBattery'] === false
              ? 'AC'
              : 'unknown',
          show(m.factors['cpuLoad']),
          show(m.factors['gpuLoad']),
          show(m.factors['isMetered']),
          m.receivedAt,
          `${m.stale ? 'stale' : ''}${m.costs['inference']?.critical ? ' critical battery' : ''}${m.pinned.length ? ` pinned: ${m.pinned.join(', ')}` : ''}`.trim(),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/** The human view of `GET /api/cost/spend`. */
export function formatSpend(spend: SpendJson): string {
  const b = spend.budget;
  const lines = [
    b.monthlyBudgetUsd === null
      ? `${b.month}: $${b.spentThisMonthUsd} spent on cloud models (no monthly budget)`
      : `${b.month}: $${b.spentThisMonthUsd} of $${b.monthlyBudgetUsd} spent${b.exhausted ? ' — budget exhausted: cloud models are not used' : ` ($${b.remainingUsd} left)`}`,
    '',
  ];
  if (spend.rows.length === 0) lines.push(`no cloud spend in the last ${spend.days} days`);
  else
    lines.push(
      formatTable(
        [spend.by, 'usd', 'requests', 'tokens in', 'tokens out'],
        [
          ...spend.rows.map((r) => [
            r.key,
            r.usd.toFixed(6),
            String(r.requests),
            String(r.promptTokens),
            String(r.completionTokens),
          ]),
          ['total', spend.totalUsd.toFixed(6), '', '', ''],
        ],
      ),
    );
  return lines.join('\n');
}

export function registerCostCommand(program: Command, ctx: CliContext): void {
  program
    .command('cost')
    .description("this node's cost factors and cost per work type, every member's cost, and cloud spend")
    .option('--json', 'print JSON (the /api/cost or /api/cost/spend body)')
    .option('--watch', 'reprint every few seconds until Ctrl-C')
    .option('--interval <seconds>', 'seconds between reprints with --watch', '5')
    .option('--spend', 'show cloud spend and the monthly budget instead')
    .option('--by <grouping>', 'with --spend: day, model or node', 'day')
    .option('--days <n>', 'with --spend: how many days back', '31')
    .action(async (opts: CostOptions, cmd: Command) => {
      const intervalSeconds = Number(opts.interval);
      if (!(intervalSeconds >= 1))
        throw new InvalidInputError(`--interval expects seconds ≥ 1, got "${opts.interval}"`);
      const by = opts.by ?? 'day';
      if (!['day', 'model', 'node'].includes(by))
        throw new InvalidInputError(`--by expects day, model or node, got "${by}"`);
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 366)
        throw new InvalidInputError(`--days expects a whole number from 1 to 366, got "${opts.days}"`);
      const client = connectToNode(homeFor(ctx, cmd));
      const once = async (): Promise<void> => {
        if (opts.spend === true) {
          const spend = await client.request<SpendJson>('GET', `/api/cost/spend?by=${by}&days=${days}`);
          if (opts.json === true) ctx.output.json(spend);
          else ctx.output.line(formatSpend(spend));
          return;
        }
        const view = await client.request<CostViewJson>('GET', '/api/cost');
        if (opts.json === true)
          ctx.output.json({ ...view, factors: view.local.factors, costs: view.local.costs });
        else ctx.output.line(formatCostView(view));
      };
      await once();
      if (opts.watch !== true) return;
      for (;;) {
        await sleep(intervalSeconds * 1000);
        if (opts.json !== true && ctx.output.stdoutIsTTY) ctx.output.write('\u001b[2J\u001b[H');
        else ctx.output.line('');
        await once();
      }
    });
}
