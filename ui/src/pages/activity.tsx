/**
 * Activity: the audit log (who asked for what, allowed or refused and by which rule) and trigger
 * events, both as they happen over server-sent events with filters the node applies
 * (`GET /api/audit?follow=1`, `GET /api/events?follow=1`). A dropped audit stream is opened again
 * with `Last-Event-ID`, so the node sends only what was missed.
 */
import type { ReactElement } from 'react';
import { useEffect, useState } from 'react';
import { ApiError, errorText, isAbort, readSse } from '../api.js';
import { PageTitle } from '../app.js';
import { timeText } from '../format.js';
import { useApi } from '../hooks.js';
import type { AuditEntryView, TriggerEvent } from '../types.js';

const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
const MAX_EVENTS = 200;
/** Audit entries shown (and asked for when the stream opens). */
const MAX_AUDIT_ENTRIES = 100;
/** First wait before opening a dropped audit stream again; doubles up to the maximum. */
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 15_000;

type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

function streamStateText(state: StreamState): string {
  return state === 'live'
    ? 'live'
    : state === 'connecting'
      ? 'connecting…'
      : state === 'reconnecting'
        ? 'reconnecting…'
        : 'stream closed';
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function ActivityPage(): ReactElement {
  return (
    <>
      <PageTitle>Activity</PageTitle>
      <AuditLog />
      <TriggerEvents />
    </>
  );
}

function AuditLog(): ReactElement {
  const api = useApi();
  const [requester, setRequester] = useState('');
  const [target, setTarget] = useState('');
  const [decision, setDecision] = useState<'' | 'allowed' | 'refused'>('');
  const [entries, setEntries] = useState<AuditEntryView[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const query = new URLSearchParams({ follow: '1', limit: String(MAX_AUDIT_ENTRIES) });
  if (requester.trim()) query.set('requester', requester.trim());
  if (target.trim()) query.set('target', target.trim());
  if (decision) query.set('decision', decision);
  const path = `/api/audit?${query.toString()}`;
  const filtered = query.size > 2;

  // Follows the audit log with these filters; a filter change closes the stream and opens another.
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setEntries([]);
    setError(null);
    setState('connecting');
    const follow = async (): Promise<void> => {
      let lastEventId: string | undefined;
      let waitMs = RECONNECT_FIRST_MS;
      while (!signal.aborted) {
        try {
          const response = await api.request('GET', path, {
            signal,
            headers: {
              Accept: 'text/event-stream',
              ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
            },
          });
          setState('live');
          setError(null);
          waitMs = RECONNECT_FIRST_MS;
          if (response.body === null) throw new Error('the node sent no audit stream');
          for await (const frame of readSse(response.body, { signal })) {
            if (frame.event !== 'message') continue;
            const entry = JSON.parse(frame.data) as AuditEntryView;
            if (frame.id !== undefined) lastEventId = frame.id;
            setEntries((list) =>
              [entry, ...list.filter((e) => e.id !== entry.id)].slice(0, MAX_AUDIT_ENTRIES),
            );
          }
        } catch (err) {
          if (signal.aborted || isAbort(err)) return;
          setError(errorText(err));
          // the node refused the request itself (a bad filter, signed out): asking again will not help
          if (err instanceof ApiError && err.status < 500) {
            setState('closed');
            return;
          }
        }
        if (signal.aborted) return;
        setState('reconnecting');
        await pause(waitMs, signal);
        waitMs = Math.min(waitMs * 2, RECONNECT_MAX_MS);
      }
    };
    void follow();
    return () => controller.abort();
  }, [api, path]);

  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Requests and decisions</h2>
      <div className="filters" role="search" aria-label="Filter the audit log">
        <label>
          Requester{' '}
          <input
            value={requester}
            onChange={(e) => setRequester(e.target.value)}
            placeholder="node id or local"
          />
        </label>
        <label>
          Target <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="ollama/*" />
        </label>
        <label>
          Decision{' '}
          <select
            value={decision}
            onChange={(e) => setDecision(e.target.value as '' | 'allowed' | 'refused')}
          >
            <option value="">any</option>
            <option value="allowed">allowed</option>
            <option value="refused">refused</option>
          </select>
        </label>
        <span className="muted" role="status">
          {streamStateText(state)}
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="table-scroll">
        <table className="audit">
          <caption>Newest first (up to {MAX_AUDIT_ENTRIES}), new requests appear as they are decided</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Requester</th>
              <th scope="col">Target</th>
              <th scope="col">Decision</th>
              <th scope="col">Rule</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.length === 0 && state === 'live' && (
              <tr>
                <td colSpan={6}>Nothing recorded{filtered ? ' that matches the filters' : ''}.</td>
              </tr>
            )}
            {entries.map((e) => (
              <tr key={e.id} className={e.decision}>
                <td>{timeText(e.timeMs)}</td>
                <td>{e.requester}</td>
                <td>
                  {e.target}
                  {e.tool ? ` · ${e.tool}` : ''}
                </td>
                <td>{e.decision}</td>
                <td>{e.rule ?? ''}</td>
                <td>
                  {e.detail ?? ''}
                  {e.durationMs !== null ? ` (${e.durationMs} ms)` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function TriggerEvents(): ReactElement {
  const api = useApi();
  const [match, setMatch] = useState('');
  const [minPriority, setMinPriority] = useState<(typeof PRIORITIES)[number]>('low');
  const [events, setEvents] = useState<TriggerEvent[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const query = new URLSearchParams({ follow: '1', limit: '50', minPriority });
    if (match.trim()) query.set('match', match.trim());
    setEvents([]);
    setError(null);
    setState('connecting');
    const follow = async (): Promise<void> => {
      try {
        const stream = api.stream('GET', `/api/events?${query.toString()}`, { signal: controller.signal });
        setState('live');
        for await (const frame of stream) {
          if (frame.event !== 'message') continue;
          const event = JSON.parse(frame.data) as TriggerEvent;
          setEvents((list) => [event, ...list].slice(0, MAX_EVENTS));
        }
        setState('closed');
      } catch (err) {
        if (controller.signal.aborted || isAbort(err)) return;
        setState('closed');
        setError(errorText(err));
      }
    };
    void follow();
    return () => controller.abort();
  }, [api, match, minPriority]);

  return (
    <section className="card" aria-labelledby="events-title">
      <h2 id="events-title">Trigger events</h2>
      <div className="filters" role="search" aria-label="Filter trigger events">
        <label>
          Match{' '}
          <input value={match} onChange={(e) => setMatch(e.target.value)} placeholder="camera/*/motion" />
        </label>
        <label>
          At least{' '}
          <select
            value={minPriority}
            onChange={(e) => setMinPriority(e.target.value as (typeof PRIORITIES)[number])}
          >
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <span className="muted" role="status">
          {streamStateText(state)}
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="events" aria-live="polite">
        {events.length === 0 && <li className="muted">No events yet.</li>}
        {events.map((e) => (
          <li key={e.eventId} className={`priority-${e.priority}`}>
            <strong>
              {e.capability}/{e.trigger}
            </strong>{' '}
            <span className="muted">
              {e.priority} · from {e.origin.name}
              {e.local ? ' (this node)' : ''} · {timeText(e.firedAtMs)}
            </span>
            {e.payload !== undefined && e.payload !== null && (
              <code className="payload">{JSON.stringify(e.payload)}</code>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
