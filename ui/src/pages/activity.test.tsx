// @vitest-environment jsdom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNode, apiError, renderWithNode, sse } from '../testing.js';
import { ActivityPage } from './activity.js';

afterEach(cleanup);

const entry = (id: number, fields: object): object => ({
  id,
  timeMs: Date.now(),
  time: new Date().toISOString(),
  requester: 'peer-1',
  target: 'ollama/llama3.2:3b',
  tool: null,
  decision: 'allowed',
  rule: 'expose.models.ollama',
  durationMs: 120,
  bytesIn: 10,
  bytesOut: 20,
  detail: null,
  ...fields,
});

/** An audit entry as the node streams it: its id line and the entry. */
const auditFrame = (id: number, fields: object): string =>
  `id: ${id}\ndata: ${JSON.stringify(entry(id, fields))}\n\n`;

/** A server-sent event response the test writes to while the page reads it. */
function liveSse(): { response: Response; push: (frame: string) => void; end: () => void } {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode(': subscribed\n\n'));
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    push: (frame) => controller?.enqueue(encoder.encode(frame)),
    end: () => controller?.close(),
  };
}

const event = (id: string, fields: object = {}): string =>
  `data: ${JSON.stringify({
    eventId: id,
    capability: 'sensor/door',
    trigger: 'opened',
    priority: 'high',
    payload: { door: 'front' },
    firedAtMs: Date.now(),
    origin: { nodeId: 'n', name: 'hall-sensor' },
    local: false,
    meshIds: ['m'],
    receivedAtMs: Date.now(),
    ...fields,
  })}\n\n`;

describe('Activity', () => {
  it('follows the audit log over server-sent events and shows a new entry as soon as the node sends it', async () => {
    const streams: ReturnType<typeof liveSse>[] = [];
    const fake = new FakeNode({
      'GET /api/audit': () => {
        const stream = liveSse();
        streams.push(stream);
        return stream.response;
      },
      'GET /api/events': () => sse([]),
    });
    renderWithNode(fake, <ActivityPage />);
    await waitFor(() => expect(streams).toHaveLength(1));
    const first = fake.sent('GET', '/api/audit')[0];
    expect(first?.path).toBe('/api/audit?follow=1&limit=100');
    expect(first?.headers['accept']).toBe('text/event-stream');
    streams[0]?.push(auditFrame(1, {}));
    expect(await screen.findByText('expose.models.ollama')).toBeTruthy();
    streams[0]?.push(
      auditFrame(2, { decision: 'refused', rule: 'expose.hardware.camera', target: 'camera/video0' }),
    );
    expect(await screen.findByText('expose.hardware.camera')).toBeTruthy();
    const rules = [...document.querySelectorAll('table.audit tbody tr')].map(
      (tr) => tr.children[4]?.textContent,
    );
    expect(rules).toEqual(['expose.hardware.camera', 'expose.models.ollama']);
    // pushed, not polled: still the one request
    expect(fake.sent('GET', '/api/audit')).toHaveLength(1);
  });

  it('opens a new audit stream with the filters when they change', async () => {
    const streams: ReturnType<typeof liveSse>[] = [];
    const fake = new FakeNode({
      'GET /api/audit': () => {
        const stream = liveSse();
        streams.push(stream);
        return stream.response;
      },
      'GET /api/events': () => sse([]),
    });
    const user = userEvent.setup();
    renderWithNode(fake, <ActivityPage />);
    await waitFor(() => expect(streams).toHaveLength(1));
    streams[0]?.push(auditFrame(1, {}));
    expect(await screen.findByText('expose.models.ollama')).toBeTruthy();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Decision' }), 'refused');
    await waitFor(() =>
      expect(fake.requests.map((r) => r.path)).toContain('/api/audit?follow=1&limit=100&decision=refused'),
    );
    // the old stream's entries are gone; the new stream fills the table
    await waitFor(() => expect(screen.queryByText('expose.models.ollama')).toBeNull());
    streams.at(-1)?.push(auditFrame(3, { decision: 'refused', rule: 'expose.hardware.camera' }));
    expect(await screen.findByText('expose.hardware.camera')).toBeTruthy();
  });

  it('reopens a dropped audit stream with Last-Event-ID so only missed entries are sent', async () => {
    const streams: ReturnType<typeof liveSse>[] = [];
    const fake = new FakeNode({
      'GET /api/audit': () => {
        const stream = liveSse();
        streams.push(stream);
        return stream.response;
      },
      'GET /api/events': () => sse([]),
    });
    renderWithNode(fake, <ActivityPage />);
    await waitFor(() => expect(streams).toHaveLength(1));
    streams[0]?.push(auditFrame(7, {}));
    expect(await screen.findByText('expose.models.ollama')).toBeTruthy();
    streams[0]?.end();
    expect(await screen.findByText('reconnecting…')).toBeTruthy();
    expect(screen.getAllByText('expose.models.ollama')).toHaveLength(1);
    await waitFor(() => expect(streams).toHaveLength(2), { timeout: 3000 });
    expect(fake.sent('GET', '/api/audit')[1]?.headers['last-event-id']).toBe('7');
    streams[1]?.push(auditFrame(8, { rule: 'expose.models.later' }));
    expect(await screen.findByText('expose.models.later')).toBeTruthy();
    expect(screen.getAllByText('expose.models.ollama')).toHaveLength(1);
  });

  it('shows why the node refused the audit stream and does not ask again', async () => {
    const fake = new FakeNode({
      'GET /api/audit': () => apiError(400, 'invalid_input', 'query parameter "target": too long', 'target'),
      'GET /api/events': () => sse([]),
    });
    renderWithNode(fake, <ActivityPage />);
    expect((await screen.findByRole('alert')).textContent).toContain('query parameter "target"');
    const auditFilters = screen.getByRole('search', { name: 'Filter the audit log' });
    expect(within(auditFilters).getByRole('status').textContent).toBe('stream closed');
    expect(fake.sent('GET', '/api/audit')).toHaveLength(1);
  });

  it('follows trigger events as they arrive, newest first, with the priority filter sent to the node', async () => {
    const fake = new FakeNode({
      'GET /api/audit': { entries: [], count: 0 },
      'GET /api/events': () => sse([event('e1'), event('e2', { trigger: 'closed', priority: 'low' })]),
    });
    const user = userEvent.setup();
    renderWithNode(fake, <ActivityPage />);
    await screen.findByText('sensor/door/closed');
    const items = [...document.querySelectorAll('ul.events li')].map(
      (li) => li.querySelector('strong')?.textContent,
    );
    expect(items).toEqual(['sensor/door/closed', 'sensor/door/opened']);
    expect(fake.sent('GET', '/api/events')[0]?.headers['accept']).toBe('text/event-stream');
    await user.selectOptions(screen.getByRole('combobox', { name: 'At least' }), 'high');
    await waitFor(() => expect(fake.requests.some((r) => r.path.includes('minPriority=high'))).toBe(true));
  });
});
