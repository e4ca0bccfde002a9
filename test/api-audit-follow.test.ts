/**
 * `GET /api/audit?follow=1` over a real socket: the node's audit writer (`AuditFeed` over the SQLite
 * store) pushes each entry to the open stream as it is written, and a reconnect with
 * `Last-Event-ID` resumes after the last entry seen.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '../src/core/index.js';
import type { NewAuditEntry } from '../src/core/index.js';
import { createApiApp, startHttpServer } from '../src/api/index.js';
import type { RunningHttpServer } from '../src/api/index.js';
import { AuditFeed } from '../src/node/audit-feed.js';
import { IN_MEMORY_PATH, openSqliteStore } from '../src/store/index.js';
import type { SqliteStore } from '../src/store/index.js';
import { BEARER, OWNER_TOKEN, STARTED_AT_MS, testStatus } from './api-fixtures.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function entry(fields: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    timeMs: STARTED_AT_MS,
    requester: '12D3KooWPeer',
    target: 'ollama/llama3.2:3b',
    tool: 'chat',
    decision: 'allowed',
    rule: 'expose.models.ollama',
    durationMs: 8,
    bytesIn: 20,
    bytesOut: 400,
    detail: null,
    ...fields,
  };
}

async function serve(): Promise<{ server: RunningHttpServer; feed: AuditFeed; store: SqliteStore }> {
  const clock = new ManualClock(STARTED_AT_MS);
  const store = openSqliteStore({ logger: silentLogger(), clock }, { path: IN_MEMORY_PATH });
  cleanup.push(() => store.close());
  const feed = new AuditFeed({ audit: store.audit });
  const api = createApiApp(
    {
      logger: silentLogger(),
      clock,
      ownerToken: OWNER_TOKEN,
      status: () => testStatus(clock),
      store,
      audit: feed,
    },
    { collectProcessMetrics: false },
  );
  const server = await startHttpServer(api, { host: '127.0.0.1', port: 0 });
  cleanup.push(() => server.close({ deadlineMs: 100 }));
  return { server, feed, store };
}

interface Frame {
  readonly id: number | null;
  readonly data: { id: number; requester: string; target: string; decision: string } | null;
  readonly comment: string | null;
}

/** Frames of a server-sent event stream read off a real socket. */
async function openStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ next: () => Promise<Frame>; close: () => void; response: Response }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { ...BEARER, ...headers }, signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    response,
    close: () => controller.abort(),
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const text = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(text)?.[1];
          const data = /^data: (.*)$/m.exec(text)?.[1];
          const comment = /^: (.*)$/m.exec(text)?.[1];
          return {
            id: id === undefined ? null : Number(id),
            data: data === undefined ? null : (JSON.parse(data) as Frame['data']),
            comment: comment ?? null,
          };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the audit stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
  };
}

describe('GET /api/audit?follow=1 over HTTP', () => {
  it('pushes each entry the node writes to an open stream, filtered, without a new request', async () => {
    const { server, feed } = await serve();
    feed.append(entry({ requester: 'earlier' }));
    const stream = await openStream(`${server.url}/api/audit?follow=1&decision=refused`);
    cleanup.push(() => stream.close());
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect((await stream.next()).comment).toBe('subscribed');

    feed.append(entry({ requester: 'peer-allowed' }));
    feed.append(
      entry({ requester: 'peer-refused', target: 'camera/front', decision: 'refused', rule: 'expose' }),
    );
    const frame = await stream.next();
    expect(frame.id).toBe(3);
    expect(frame.data).toMatchObject({ id: 3, requester: 'peer-refused', target: 'camera/front' });
  });

  it('streams the panel sign-in events the API itself writes', async () => {
    const { server } = await serve();
    const stream = await openStream(`${server.url}/api/audit?follow=1&target=ui.*`);
    cleanup.push(() => stream.close());
    await stream.next();
    const issued = await fetch(`${server.url}/api/ui/login-tokens`, { method: 'POST', headers: BEARER });
    expect(issued.status).toBe(201);
    expect((await stream.next()).data).toMatchObject({ target: 'ui.login-token', decision: 'allowed' });
  });

  it('resumes after Last-Event-ID when a client reconnects, sending what it missed first', async () => {
    const { server, feed } = await serve();
    const first = await openStream(`${server.url}/api/audit?follow=1`);
    await first.next();
    feed.append(entry({ requester: 'one' }));
    const seen = await first.next();
    first.close();
    feed.append(entry({ requester: 'two' }));
    feed.append(entry({ requester: 'three' }));

    const again = await openStream(`${server.url}/api/audit?follow=1`, { 'Last-Event-ID': String(seen.id) });
    cleanup.push(() => again.close());
    await again.next();
    expect((await again.next()).data?.requester).toBe('two');
    expect((await again.next()).data?.requester).toBe('three');
    feed.append(entry({ requester: 'four' }));
    const live = await again.next();
    expect(live).toMatchObject({ id: 4, data: { requester: 'four' } });
  });

  it('stops following when the client disconnects', async () => {
    const { server, feed } = await serve();
    const stream = await openStream(`${server.url}/api/audit?follow=1`);
    await stream.next();
    expect(feed.followers).toBe(1);
    stream.close();
    const deadline = Date.now() + 5_000;
    while (feed.followers > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(feed.followers).toBe(0);
  });
});
