/**
 * `GET /api/audit` through the whole HTTP app (`createApiApp`) over a real SQLite store: owner
 * authentication, filters, ordering, limits and the error envelope for bad parameters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../src/api/index.js';
import type { ApiApp } from '../src/api/index.js';
import type { NewAuditEntry } from '../src/core/index.js';
import { ManualClock, silentLogger } from '../src/core/index.js';
import { SqliteStore } from '../src/store/index.js';
import { BEARER, OWNER_TOKEN, STARTED_AT_MS, errorOf, testStatus } from './api-fixtures.js';

const PEER_A = '12D3KooWPeerAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const PEER_B = '12D3KooWPeerBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const T0 = Date.UTC(2025, 0, 31, 10, 0, 0);

interface EntryBody {
  id: number;
  time: string;
  timeMs: number;
  requester: string;
  target: string;
  tool: string | null;
  decision: string;
  rule: string | null;
  durationMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  detail: string | null;
}

function entry(overrides: Partial<NewAuditEntry>): NewAuditEntry {
  return {
    timeMs: T0,
    requester: PEER_A,
    target: 'ollama/llama3.2:3b',
    tool: 'chat',
    decision: 'allowed',
    rule: null,
    durationMs: 120,
    bytesIn: 300,
    bytesOut: 2_048,
    detail: null,
    ...overrides,
  };
}

describe('GET /api/audit', () => {
  let store: SqliteStore;
  let app: ApiApp['app'];

  beforeEach(() => {
    const clock = new ManualClock(STARTED_AT_MS);
    store = new SqliteStore({ logger: silentLogger(), clock });
    app = createApiApp(
      { logger: silentLogger(), clock, ownerToken: OWNER_TOKEN, status: () => testStatus(clock), store },
      { collectProcessMetrics: false },
    ).app;
    store.audit.append(entry({ timeMs: T0 }));
    store.audit.append(
      entry({
        timeMs: T0 + 1_000,
        requester: PEER_B,
        target: 'camera/front',
        tool: 'take_photo',
        decision: 'refused',
        rule: 'expose',
        durationMs: 1,
        bytesOut: null,
        detail: 'camera/front is not exposed to the mesh by its owner',
      }),
    );
    store.audit.append(entry({ timeMs: T0 + 2_000, target: 'ollama/qwen2.5:7b', requester: PEER_B }));
    store.audit.append(entry({ timeMs: T0 + 3_000, decision: 'refused', rule: 'limits.max_concurrent' }));
  });

  afterEach(() => store.close());

  const get = async (query = ''): Promise<{ entries: EntryBody[]; count: number }> => {
    const res = await app.request(`/api/audit${query}`, { headers: BEARER });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as { entries: EntryBody[]; count: number };
  };

  it('needs the owner token', async () => {
    const res = await app.request('/api/audit');
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('unauthorized');
  });

  it('lists every field of each entry, newest first, with its ISO time and the count', async () => {
    const body = await get();
    expect(body.count).toBe(4);
    expect(body.entries.map((e) => e.time)).toEqual([
      '2025-01-31T10:00:03.000Z',
      '2025-01-31T10:00:02.000Z',
      '2025-01-31T10:00:01.000Z',
      '2025-01-31T10:00:00.000Z',
    ]);
    expect(body.entries[2]).toEqual({
      id: 2,
      time: '2025-01-31T10:00:01.000Z',
      timeMs: T0 + 1_000,
      requester: PEER_B,
      target: 'camera/front',
      tool: 'take_photo',
      decision: 'refused',
      rule: 'expose',
      durationMs: 1,
      bytesIn: 300,
      bytesOut: null,
      detail: 'camera/front is not exposed to the mesh by its owner',
    });
  });

  it('filters by decision, requester, exact target and target glob', async () => {
    const targets = async (query: string): Promise<string[]> =>
      (await get(query)).entries.map((e) => `${e.target}@${e.timeMs - T0}`);
    expect(await targets('?decision=refused')).toEqual(['ollama/llama3.2:3b@3000', 'camera/front@1000']);
    expect(await targets(`?requester=${PEER_B}`)).toEqual(['ollama/qwen2.5:7b@2000', 'camera/front@1000']);
    expect(await targets('?target=ollama/llama3.2:3b')).toEqual([
      'ollama/llama3.2:3b@3000',
      'ollama/llama3.2:3b@0',
    ]);
    expect(await targets('?target=ollama/*&decision=allowed')).toEqual([
      'ollama/qwen2.5:7b@2000',
      'ollama/llama3.2:3b@0',
    ]);
    expect(await targets('?target=ollama/qwen?.5:*')).toEqual(['ollama/qwen2.5:7b@2000']);
    expect(await targets('?target=ollama')).toEqual([]);
  });

  it('filters by time with ISO times or epoch milliseconds, since inclusive and until exclusive', async () => {
    const times = async (query: string): Promise<number[]> =>
      (await get(query)).entries.map((e) => e.timeMs - T0);
    expect(await times('?since=2025-01-31T10:00:01Z')).toEqual([3_000, 2_000, 1_000]);
    expect(await times(`?since=${T0 + 1_000}&until=${T0 + 3_000}`)).toEqual([2_000, 1_000]);
    expect(await times('?until=2025-01-31T11:00:01%2B01:00')).toEqual([0]);
  });

  it('returns at most limit entries, the newest ones', async () => {
    const body = await get('?limit=2');
    expect(body.count).toBe(2);
    expect(body.entries.map((e) => e.timeMs - T0)).toEqual([3_000, 2_000]);
  });

  it('returns the entries appended after afterId, for following the log', async () => {
    const late = store.audit.append(entry({ timeMs: T0 - 60_000, target: 'late' }));
    const body = await get('?afterId=4');
    expect(body.entries.map((e) => e.id)).toEqual([late.id]);
    expect((await get(`?afterId=${late.id}`)).entries).toEqual([]);
  });

  it('answers a bad parameter with a 400 naming it and an unknown one with a 400 too', async () => {
    for (const [query, param] of [
      ['?since=last-tuesday', 'since'],
      ['?decision=denied', 'decision'],
      ['?limit=10001', 'limit'],
      ['?limit=0', 'limit'],
      ['?targets=ollama/*', 'targets'],
    ] as const) {
      const res = await app.request(`/api/audit${query}`, { headers: BEARER });
      expect(res.status, query).toBe(400);
      const error = await errorOf(res);
      expect(error.code, query).toBe('invalid_input');
      expect(error.param, query).toBe(param);
    }
  });

  it('treats a requester full of SQL as a plain value', async () => {
    expect((await get(`?requester=${encodeURIComponent("x' OR '1'='1")}`)).entries).toEqual([]);
  });
});
