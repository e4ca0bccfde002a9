/**
 * Cost: this node's cost factors now and where each was read, the cost of each kind of work with
 * its terms, a chart of the cost over the recent hours, every other node's cost as last heard, and
 * cloud spend against the monthly budget (`GET /api/cost`, `GET /api/cost/spend`). A node without
 * those endpoints gets an honest "not available" — never invented numbers.
 */
import type { ReactElement } from 'react';
import { useState } from 'react';
import { PageTitle } from '../app.js';
import { ago, timeText } from '../format.js';
import { useApi, useLoad } from '../hooks.js';

type Factors = Record<string, boolean | number | null>;

interface CostTerm {
  readonly factor: string;
  readonly op: 'multiply' | 'add';
  readonly value: number;
  readonly applied: boolean;
  readonly note: string;
}

export interface CostResponse {
  readonly local: {
    readonly nodeId: string;
    readonly name: string;
    readonly factors: Factors;
    readonly pinned: readonly string[];
    readonly sources: Record<string, string>;
    readonly costs: Record<string, { total: number; critical: boolean; breakdown: readonly CostTerm[] }>;
    readonly overallCost: number;
    readonly sampledAt: string | null;
    readonly lastBroadcastAt: string | null;
  };
  readonly mesh: readonly {
    readonly nodeId: string;
    readonly name: string | null;
    readonly overallCost: number;
    readonly costs: Record<string, { total: number; inUse: number; critical: boolean }>;
    readonly receivedAt: string;
    readonly stale: boolean;
  }[];
  readonly history: readonly { readonly at: string; readonly cost: number }[];
  readonly settings: { readonly monthlyBudgetUsd: number | null };
}

export interface SpendResponse {
  readonly rows: readonly {
    key: string;
    usd: number;
    requests: number;
    promptTokens: number;
    completionTokens: number;
  }[];
  readonly totalUsd: number;
  readonly budget: {
    readonly month: string;
    readonly monthlyBudgetUsd: number | null;
    readonly spentThisMonthUsd: number;
    readonly remainingUsd: number | null;
    readonly exhausted: boolean;
  };
}

const FACTOR_LABELS: Record<string, string> = {
  onBattery: 'On battery',
  batteryPercent: 'Battery',
  cpuLoad: 'CPU load',
  gpuLoad: 'GPU load',
  memoryPressure: 'Memory pressure',
  bandwidthMbps: 'Bandwidth',
  latencyMs: 'Latency',
  isMetered: 'Metered network',
};

/** A factor's value in words; null is "not known". */
export function factorText(name: string, value: boolean | number | null | undefined): string {
  if (value === null || value === undefined) return 'not known';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (name === 'batteryPercent') return `${Math.round(value)}%`;
  if (name === 'bandwidthMbps') return `${value} Mbit/s`;
  if (name === 'latencyMs') return `${value} ms`;
  if (name.endsWith('Load') || name === 'memoryPressure') return `${Math.round(value * 100)}%`;
  return String(value);
}

const clock = (ms: number): string =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

const usd = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`;

export function CostPage(): ReactElement {
  const api = useApi();
  const [by, setBy] = useState<'day' | 'model' | 'node'>('day');
  const cost = useLoad((signal) => api.get<CostResponse>('/api/cost', { signal }), { pollMs: 10_000 });
  const spend = useLoad((signal) => api.get<SpendResponse>(`/api/cost/spend?by=${by}`, { signal }), {
    pollMs: 30_000,
  });
  const { reload: reloadSpend } = spend;
  const [shownBy, setShownBy] = useState(by);
  if (shownBy !== by) {
    setShownBy(by);
    reloadSpend();
  }

  const missing = (l: { error: string | null; errorCode: string | null }): boolean =>
    l.error !== null &&
    (l.errorCode === 'not_found' || l.errorCode === 'route_not_found' || /no route/.test(l.error));

  if (cost.data === null && (missing(cost) || cost.error !== null)) {
    return (
      <>
        <PageTitle>Cost</PageTitle>
        <p className="notice" role="status">
          {missing(cost)
            ? 'Cost data not available from this node.'
            : `Cost data not available from this node: ${cost.error}`}
        </p>
      </>
    );
  }
  if (cost.data === null) {
    return (
      <>
        <PageTitle>Cost</PageTitle>
        <p>Loading…</p>
      </>
    );
  }
  const { local, mesh, history } = cost.data;

  return (
    <>
      <PageTitle>Cost</PageTitle>
      <section className="card" aria-labelledby="local-cost">
        <h2 id="local-cost">
          {local.name} now: cost {local.overallCost.toFixed(2)}
        </h2>
        <p className="muted">
          {local.sampledAt ? `Sampled ${ago(Date.parse(local.sampledAt))}` : 'Not sampled yet'}
          {local.lastBroadcastAt ? `; told the mesh ${ago(Date.parse(local.lastBroadcastAt))}` : ''}. 1 is a
          normal node, 0 free; more is worse.
        </p>
        <table>
          <caption>Factors</caption>
          <thead>
            <tr>
              <th scope="col">Factor</th>
              <th scope="col">Value</th>
              <th scope="col">Read from</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(local.factors).map(([name, value]) => (
              <tr key={name}>
                <td>{FACTOR_LABELS[name] ?? name}</td>
                <td>{factorText(name, value)}</td>
                <td>
                  {local.sources[name] ?? ''}
                  {local.pinned.includes(name) ? ' (pinned)' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>By kind of work</h3>
        <ul className="work-costs">
          {Object.entries(local.costs).map(([work, c]) => (
            <li key={work}>
              <strong>{work}</strong>: {c.total.toFixed(2)}
              {c.critical ? ' (critical)' : ''}
              {c.breakdown.some((t) => t.applied) && (
                <span className="muted">
                  {' '}
                  —{' '}
                  {c.breakdown
                    .filter((t) => t.applied)
                    .map((t) => t.note)
                    .join('; ')}
                </span>
              )}
            </li>
          ))}
        </ul>
        <h3>Recent hours</h3>
        <CostChart history={history} />
      </section>

      <section className="card" aria-labelledby="mesh-cost">
        <h2 id="mesh-cost">Every node</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Cost</th>
              <th scope="col">Routing uses</th>
              <th scope="col">Heard</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>{local.name} (this node)</td>
              <td>{local.overallCost.toFixed(2)}</td>
              <td>{local.costs['inference']?.total.toFixed(2) ?? ''}</td>
              <td>{local.sampledAt ? ago(Date.parse(local.sampledAt)) : 'not yet'}</td>
            </tr>
            {mesh.map((n) => (
              <tr key={n.nodeId} className={n.stale ? 'stale' : ''}>
                <td>{n.name ?? n.nodeId.slice(0, 12)}</td>
                <td>{n.overallCost.toFixed(2)}</td>
                <td>{n.stale ? 'unknown (stale)' : (n.costs['inference']?.inUse.toFixed(2) ?? '')}</td>
                <td>{ago(Date.parse(n.receivedAt))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="card" aria-labelledby="spend-title">
        <h2 id="spend-title">Cloud spend</h2>
        {spend.data === null ? (
          <p className="notice" role="status">
            {spend.error ? `Spend data not available from this node: ${spend.error}` : 'Loading…'}
          </p>
        ) : (
          <>
            <p>
              {spend.data.budget.month}: spent {usd(spend.data.budget.spentThisMonthUsd)}
              {spend.data.budget.monthlyBudgetUsd === null
                ? ' (no monthly budget set)'
                : ` of ${usd(spend.data.budget.monthlyBudgetUsd)}, ${usd(spend.data.budget.remainingUsd ?? 0)} left`}
              {spend.data.budget.exhausted ? ' — budget exhausted: cloud models are not routed to.' : '.'}
            </p>
            <label>
              Group by{' '}
              <select value={by} onChange={(e) => setBy(e.target.value as 'day' | 'model' | 'node')}>
                <option value="day">day</option>
                <option value="model">model</option>
                <option value="node">node</option>
              </select>
            </label>
            <table>
              <thead>
                <tr>
                  <th scope="col">{by}</th>
                  <th scope="col">Spent</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Tokens in / out</th>
                </tr>
              </thead>
              <tbody>
                {spend.data.rows.length === 0 && (
                  <tr>
                    <td colSpan={4}>No cloud spend recorded.</td>
                  </tr>
                )}
                {spend.data.rows.map((r) => (
                  <tr key={r.key}>
                    <td>{r.key}</td>
                    <td>{usd(r.usd)}</td>
                    <td>{r.requests}</td>
                    <td>
                      {r.promptTokens} / {r.completionTokens}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </>
  );
}

/** The cost over time as an SVG line, with its range in words for screen readers. */
export function CostChart(props: { history: readonly { at: string; cost: number }[] }): ReactElement {
  const points = props.history
    .map((h) => ({ t: Date.parse(h.at), cost: h.cost }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.cost));
  if (points.length < 2) return <p className="muted">Not enough samples yet for a chart.</p>;
  const width = 600;
  const height = 160;
  const pad = 28;
  const t0 = points[0]?.t ?? 0;
  const t1 = points[points.length - 1]?.t ?? t0 + 1;
  const max = Math.max(1, ...points.map((p) => p.cost));
  const x = (t: number): number => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
  const y = (c: number): number => height - pad - (c / max) * (height - 2 * pad);
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)} ${y(p.cost).toFixed(1)}`)
    .join(' ');
  const min = Math.min(...points.map((p) => p.cost));
  const top = Math.max(...points.map((p) => p.cost));
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Cost from ${timeText(t0)} to ${timeText(t1)}: between ${min.toFixed(2)} and ${top.toFixed(2)}, now ${(points[points.length - 1]?.cost ?? 0).toFixed(2)}`}
    >
      <line className="axis" x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} />
      <line className="axis" x1={pad} y1={pad} x2={pad} y2={height - pad} />
      <line className="baseline" x1={pad} y1={y(1)} x2={width - pad} y2={y(1)} />
      <text x={4} y={y(max) + 4}>
        {max.toFixed(1)}
      </text>
      <text x={4} y={height - pad + 4}>
        0
      </text>
      <text x={pad} y={height - 8}>
        {clock(t0)}
      </text>
      <text x={width - pad} y={height - 8} textAnchor="end">
        {clock(t1)}
      </text>
      <path className="series" d={path} />
    </svg>
  );
}
