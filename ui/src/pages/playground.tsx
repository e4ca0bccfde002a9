/**
 * Routing playground: an intent in, the router's ranked candidates out (`POST /api/route`: semantic
 * score, threshold, cost, combined score, reasons, failed constraints) — then "Run it" sends the
 * intent to `/v1/chat/completions` with `model: "auto"` and streams the answer as it is written,
 * with the route receipt (which node and capability answered, and the route id).
 */
import type { FormEvent, ReactElement } from 'react';
import { useEffect, useRef, useState } from 'react';
import { errorText, isAbort, readSse } from '../api.js';
import { PageTitle } from '../app.js';
import { useApi, useLoad } from '../hooks.js';
import type { MeshOverview, NodeStatusInfo } from '../types.js';

interface ConstraintResult {
  readonly name: string;
  readonly ok: boolean;
  readonly reason?: string;
}

export interface RouteCandidateView {
  readonly capabilityId: string;
  readonly nodeId: string;
  readonly type: string;
  readonly tool: { readonly name: string; readonly kind: string } | null;
  readonly semanticScore: number;
  readonly threshold: number;
  readonly cost: unknown;
  readonly costKnown?: boolean;
  readonly score: number;
  readonly eligible: boolean;
  readonly constraints: readonly ConstraintResult[];
  readonly reasons: readonly string[];
}

export interface RouteDecisionView {
  readonly intent: string;
  readonly decision: { readonly capabilityId: string; readonly nodeId: string } | null;
  readonly candidates: readonly RouteCandidateView[];
  readonly indexed: number;
}

interface Receipt {
  readonly node: string | null;
  readonly capability: string | null;
  readonly routeId: string | null;
  readonly attempts: string | null;
}

/** A candidate's cost in words: a number, the fields of a cost breakdown, or "not known". */
export function costText(candidate: Pick<RouteCandidateView, 'cost' | 'costKnown'>): string {
  const { cost } = candidate;
  if (candidate.costKnown === false) return 'not known';
  if (typeof cost === 'number') return cost.toFixed(2);
  if (cost !== null && typeof cost === 'object') {
    const record = cost as Record<string, unknown>;
    const total = record['total'] ?? record['cost'] ?? record['value'];
    if (typeof total === 'number') return total.toFixed(2);
    return JSON.stringify(cost);
  }
  return 'not known';
}

export function PlaygroundPage(): ReactElement {
  const api = useApi();
  const names = useLoad(async (signal) => {
    const [status, mesh] = await Promise.all([
      api.get<NodeStatusInfo>('/api/status', { signal }),
      api.get<MeshOverview>('/api/mesh', { signal }).catch(() => null),
    ]);
    const map: Record<string, string> = { [status.nodeId]: `${status.name} (this node)` };
    for (const p of mesh?.peers ?? []) map[p.nodeId] = p.name;
    return map;
  });
  const [intent, setIntent] = useState('');
  const [route, setRoute] = useState<RouteDecisionView | null>(null);
  const [routeError, setRouteError] = useState<string | null>(null);
  const [routing, setRouting] = useState(false);
  const [answer, setAnswer] = useState('');
  const [reasoning, setReasoning] = useState('');
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [runState, setRunState] = useState<'idle' | 'running' | 'done' | 'stopped' | 'failed'>('idle');
  const [runError, setRunError] = useState<string | null>(null);
  const running = useRef<AbortController | null>(null);

  useEffect(() => () => running.current?.abort(), []);

  const nodeName = (id: string): string => names.data?.[id] ?? id.slice(0, 12);

  const explain = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (intent.trim() === '') return;
    setRouting(true);
    setRouteError(null);
    try {
      setRoute(
        await api.json<RouteDecisionView>('POST', '/api/route', { body: { intent: intent.trim(), top: 5 } }),
      );
    } catch (err) {
      setRoute(null);
      setRouteError(errorText(err));
    } finally {
      setRouting(false);
    }
  };

  const run = async (): Promise<void> => {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setAnswer('');
    setReasoning('');
    setReceipt(null);
    setRunError(null);
    setRunState('running');
    try {
      const response = await api.request('POST', '/v1/chat/completions', {
        body: { model: 'auto', stream: true, messages: [{ role: 'user', content: intent.trim() }] },
        headers: { Accept: 'text/event-stream' },
        signal: controller.signal,
      });
      setReceipt({
        node: response.headers.get('x-atmosphere-node'),
        capability: response.headers.get('x-atmosphere-capability'),
        routeId: response.headers.get('x-atmosphere-route-id'),
        attempts: response.headers.get('x-atmosphere-attempts'),
      });
      if (response.body === null) throw new Error('the node sent no stream');
      let finished = false;
      for await (const event of readSse(response.body, { signal: controller.signal })) {
        if (event.event === 'error') {
          const body = JSON.parse(event.data) as { error?: { message?: string; code?: string } };
          throw new Error(`${body.error?.message ?? 'the stream failed'} (${body.error?.code ?? 'error'})`);
        }
        if (event.data === '[DONE]') {
          finished = true;
          break;
        }
        const chunk = JSON.parse(event.data) as {
          choices?: { delta?: { content?: string | null; reasoning_content?: string | null } }[];
        };
        const delta = chunk.choices?.[0]?.delta;
        if (delta?.content) setAnswer((a) => a + delta.content);
        if (delta?.reasoning_content) setReasoning((r) => r + delta.reasoning_content);
      }
      setRunState(finished ? 'done' : 'failed');
      if (!finished) setRunError('the stream ended before the answer was complete');
    } catch (err) {
      if (isAbort(err) || controller.signal.aborted) {
        setRunState('stopped');
      } else {
        setRunState('failed');
        setRunError(errorText(err));
      }
    } finally {
      if (running.current === controller) running.current = null;
    }
  };

  return (
    <>
      <PageTitle>Routing playground</PageTitle>
      <form className="card" onSubmit={(e) => void explain(e)}>
        <label className="field">
          <span className="field-label">Intent</span>
          <textarea
            rows={3}
            value={intent}
            onChange={(e) => setIntent(e.target.value)}
            placeholder="summarise this paragraph in one line: …"
          />
        </label>
        <div className="actions">
          <button type="submit" disabled={routing || intent.trim() === ''}>
            {routing ? 'Routing…' : 'Show the route'}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => void run()}
            disabled={intent.trim() === '' || runState === 'running'}
          >
            Run it
          </button>
          {runState === 'running' && (
            <button type="button" className="secondary" onClick={() => running.current?.abort()}>
              Stop
            </button>
          )}
        </div>
      </form>
      {routeError && (
        <p className="error" role="alert">
          {routeError}
        </p>
      )}
      {route && (
        <section className="card" aria-labelledby="candidates-title">
          <h2 id="candidates-title">Ranked candidates</h2>
          <p role="status">
            {route.decision
              ? `Goes to ${route.decision.capabilityId} on ${nodeName(route.decision.nodeId)}.`
              : 'No capability clears its threshold: the mesh would answer "no capability".'}{' '}
            <span className="muted">({route.indexed} capabilities indexed)</span>
          </p>
          <ol className="candidates">
            {route.candidates.map((c, i) => (
              <li key={`${c.nodeId}/${c.capabilityId}`} className={c.eligible ? 'eligible' : 'ineligible'}>
                <div className="candidate-head">
                  <strong>
                    #{i + 1} {c.capabilityId}
                  </strong>{' '}
                  <span className="muted">
                    on {nodeName(c.nodeId)} · {c.type}
                    {c.tool ? ` · ${c.tool.kind} ${c.tool.name}` : ''}
                  </span>
                </div>
                <dl className="scores">
                  <div>
                    <dt>semantic</dt>
                    <dd>{c.semanticScore.toFixed(3)}</dd>
                  </div>
                  <div>
                    <dt>threshold</dt>
                    <dd>{c.threshold.toFixed(2)}</dd>
                  </div>
                  <div>
                    <dt>cost</dt>
                    <dd>{costText(c)}</dd>
                  </div>
                  <div>
                    <dt>score</dt>
                    <dd>{c.score.toFixed(3)}</dd>
                  </div>
                  <div>
                    <dt>eligible</dt>
                    <dd>{c.eligible ? 'yes' : 'no'}</dd>
                  </div>
                </dl>
                <ul className="reasons">
                  {c.reasons.map((r, j) => (
                    <li key={j}>{r}</li>
                  ))}
                  {c.constraints
                    .filter((k) => !k.ok)
                    .map((k) => (
                      <li key={k.name} className="failed">
                        fails {k.name}
                        {k.reason ? `: ${k.reason}` : ''}
                      </li>
                    ))}
                </ul>
              </li>
            ))}
          </ol>
        </section>
      )}
      {runState !== 'idle' && (
        <section className="card" aria-labelledby="answer-title">
          <h2 id="answer-title">Answer</h2>
          {receipt && (
            <p className="muted">
              Served by {receipt.capability ?? '?'} on {receipt.node ? nodeName(receipt.node) : '?'}
              {receipt.attempts && receipt.attempts !== '1' ? ` after ${receipt.attempts} attempts` : ''};
              route id <code>{receipt.routeId ?? '?'}</code>
            </p>
          )}
          {reasoning && (
            <details>
              <summary>Reasoning</summary>
              <pre className="answer">{reasoning}</pre>
            </details>
          )}
          <pre className="answer" aria-live="polite" aria-busy={runState === 'running'} data-state={runState}>
            {answer}
          </pre>
          <p className="muted" role="status">
            {runState === 'running'
              ? 'Streaming…'
              : runState === 'done'
                ? 'Done.'
                : runState === 'stopped'
                  ? 'Stopped.'
                  : 'Failed.'}
          </p>
          {runError && (
            <p className="error" role="alert">
              {runError}
            </p>
          )}
        </section>
      )}
    </>
  );
}
