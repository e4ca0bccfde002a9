/**
 * The behaviour every `Store` must have (STYLE rule 18), written once and run against each
 * implementation: `storeContract('sqlite (file)', () => ...)`. Not part of the module's public
 * surface (it imports vitest); test files import it directly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry, NewAuditEntry, NewSpendEntry, Store } from '../core/index.js';
import { InvalidInputError, StoreError } from '../core/index.js';

/** `makeStore` returns a fresh, empty store each time; the suite closes it after each test. */
export function storeContract(name: string, makeStore: () => Store): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    const fresh = (): { store: Store } => {
      const store = makeStore();
      opened.push(store);
      return { store };
    };
    afterEach(() => {
      for (const store of opened.splice(0)) store.close();
    });

    const entry = (overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
      timeMs: 1_000,
      requester: 'local',
      target: 'chat',
      tool: null,
      decision: 'allowed',
      rule: null,
      durationMs: null,
      bytesIn: null,
      bytesOut: null,
      detail: null,
      ...overrides,
    });

    describe('schema', () => {
      it('reports a positive schema version once opened', () => {
        const { store } = fresh();
        expect(store.schemaVersion()).toBeGreaterThan(0);
      });
    });

    describe('audit', () => {
      it('returns the appended entry with a new id and every field as given', () => {
        const { store } = fresh();
        const input = entry({
          timeMs: 1_700_000_000_123,
          requester: '12D3KooWPeer',
          target: 'ollama/llama3',
          tool: 'chat',
          decision: 'refused',
          rule: 'expose.models.ollama',
          durationMs: 42,
          bytesIn: 1_024,
          bytesOut: 2_048,
          detail: 'not exposed to mesh "home"',
        });
        const first = store.audit.append(input);
        const second = store.audit.append(entry());
        expect(first).toEqual({ id: first.id, ...input });
        expect(second.id).not.toBe(first.id);
        expect(store.audit.query()).toEqual([first, second]);
      });

      it('does not keep a reference to the caller object', () => {
        const { store } = fresh();
        const input = { ...entry(), detail: 'original' };
        const appended = store.audit.append(input);
        input.detail = 'changed';
        expect(appended.detail).toBe('original');
        expect(store.audit.query()[0]?.detail).toBe('original');
      });

      it('lists entries newest first, breaking ties by insertion order', () => {
        const { store } = fresh();
        const a = store.audit.append(entry({ timeMs: 2_000, target: 'a' }));
        const b = store.audit.append(entry({ timeMs: 1_000, target: 'b' }));
        const c = store.audit.append(entry({ timeMs: 3_000, target: 'c' }));
        const d = store.audit.append(entry({ timeMs: 2_000, target: 'd' }));
        expect(store.audit.query().map((e) => e.target)).toEqual([c, d, a, b].map((e) => e.target));
      });

      it('filters by time range, with since inclusive and until exclusive', () => {
        const { store } = fresh();
        for (const timeMs of [1_000, 2_000, 3_000, 4_000]) store.audit.append(entry({ timeMs }));
        const times = (q: Parameters<Store['audit']['query']>[0]): number[] =>
          store.audit.query(q).map((e) => e.timeMs);
        expect(times({ sinceMs: 2_000 })).toEqual([4_000, 3_000, 2_000]);
        expect(times({ untilMs: 3_000 })).toEqual([2_000, 1_000]);
        expect(times({ sinceMs: 2_000, untilMs: 4_000 })).toEqual([3_000, 2_000]);
        expect(times({ sinceMs: 5_000 })).toEqual([]);
      });

      it('filters by requester, target and decision, combined with AND', () => {
        const { store } = fresh();
        store.audit.append(entry({ requester: 'peer-a', target: 'chat', decision: 'allowed' }));
        store.audit.append(entry({ requester: 'peer-a', target: 'camera', decision: 'refused' }));
        store.audit.append(entry({ requester: 'peer-b', target: 'chat', decision: 'refused' }));
        store.audit.append(entry({ requester: 'local', target: 'chat', decision: 'allowed' }));
        const pick = (q: Parameters<Store['audit']['query']>[0]): string[] =>
          store.audit
            .query(q)
            .map((e) => `${e.requester}:${e.target}:${e.decision}`)
            .sort();
        expect(pick({ requester: 'peer-a' })).toEqual(['peer-a:camera:refused', 'peer-a:chat:allowed']);
        expect(pick({ target: 'chat' })).toEqual([
          'local:chat:allowed',
          'peer-a:chat:allowed',
          'peer-b:chat:refused',
        ]);
        expect(pick({ decision: 'refused' })).toEqual(['peer-a:camera:refused', 'peer-b:chat:refused']);
        expect(pick({ requester: 'peer-a', decision: 'refused' })).toEqual(['peer-a:camera:refused']);
        expect(pick({ requester: 'peer-b', target: 'camera' })).toEqual([]);
      });

      it('treats filter values as data, not SQL', () => {
        const { store } = fresh();
        store.audit.append(entry({ requester: "x' OR '1'='1" }));
        store.audit.append(entry({ requester: 'other' }));
        expect(store.audit.query({ requester: "x' OR '1'='1" })).toHaveLength(1);
        expect(store.audit.query({ requester: "' OR '1'='1" })).toHaveLength(0);
      });

      it('returns 100 entries by default and honours a smaller limit, keeping the newest', () => {
        const { store } = fresh();
        for (let i = 0; i < 120; i++) store.audit.append(entry({ timeMs: i }));
        expect(store.audit.query()).toHaveLength(100);
        expect(store.audit.query()[99]?.timeMs).toBe(20);
        expect(store.audit.query({ limit: 3 }).map((e) => e.timeMs)).toEqual([119, 118, 117]);
      });

      it('caps the limit at 10,000 entries', () => {
        const { store } = fresh();
        for (let i = 0; i < 10_005; i++) store.audit.append(entry({ timeMs: i }));
        expect(store.audit.query({ limit: 50_000 })).toHaveLength(10_000);
      });

      it('rejects a limit that is not a positive integer', () => {
        const { store } = fresh();
        expect(() => store.audit.query({ limit: 0 })).toThrow(InvalidInputError);
        expect(() => store.audit.query({ limit: -5 })).toThrow(InvalidInputError);
        expect(() => store.audit.query({ limit: 2.5 })).toThrow(InvalidInputError);
      });

      it('rejects an entry whose decision is not allowed or refused', () => {
        const { store } = fresh();
        const bad = { ...entry(), decision: 'maybe' } as unknown as NewAuditEntry;
        expect(() => store.audit.append(bad)).toThrow(InvalidInputError);
        expect(store.audit.query()).toEqual([]);
      });

      it('prunes entries older than the cut-off and reports how many it removed', () => {
        const { store } = fresh();
        for (const timeMs of [1_000, 2_000, 3_000, 4_000]) store.audit.append(entry({ timeMs }));
        expect(store.audit.prune(3_000)).toBe(2);
        expect(store.audit.query().map((e) => e.timeMs)).toEqual([4_000, 3_000]);
        expect(store.audit.prune(3_000)).toBe(0);
      });

      it('never reuses the id of a pruned entry', () => {
        const { store } = fresh();
        const first: AuditEntry = store.audit.append(entry({ timeMs: 1 }));
        const second = store.audit.append(entry({ timeMs: 2 }));
        store.audit.prune(10);
        const third = store.audit.append(entry({ timeMs: 3 }));
        expect(third.id).toBeGreaterThan(Math.max(first.id, second.id));
      });
    });

    describe('kv', () => {
      it('returns undefined for a key that was never set', () => {
        const { store } = fresh();
        expect(store.kv.get('missing')).toBeUndefined();
      });

      it('round-trips JSON values of every shape', () => {
        const { store } = fresh();
        const values: Record<string, unknown> = {
          number: 1_700_000_000_000,
          string: 'héllo ✓',
          boolean: false,
          null: null,
          array: [1, 'two', { three: 3 }],
          object: { nested: { list: [true, null] }, empty: {} },
        };
        for (const [key, value] of Object.entries(values)) store.kv.set(key, value);
        for (const [key, value] of Object.entries(values)) expect(store.kv.get(key)).toEqual(value);
      });

      it('overwrites the value of an existing key', () => {
        const { store } = fresh();
        store.kv.set('last_scan', { atMs: 1 });
        store.kv.set('last_scan', { atMs: 2 });
        expect(store.kv.get('last_scan')).toEqual({ atMs: 2 });
      });

      it('stores a copy, so later changes to the caller object are not seen', () => {
        const { store } = fresh();
        const value = { list: [1] };
        store.kv.set('copy', value);
        value.list.push(2);
        expect(store.kv.get('copy')).toEqual({ list: [1] });
      });

      it('deletes a key and says whether it existed', () => {
        const { store } = fresh();
        store.kv.set('gone', 1);
        expect(store.kv.delete('gone')).toBe(true);
        expect(store.kv.get('gone')).toBeUndefined();
        expect(store.kv.delete('gone')).toBe(false);
      });

      it('refuses values that JSON cannot represent and keeps the old value', () => {
        const { store } = fresh();
        store.kv.set('k', 'kept');
        expect(() => store.kv.set('k', undefined)).toThrow(InvalidInputError);
        expect(() => store.kv.set('k', () => 1)).toThrow(InvalidInputError);
        expect(() => store.kv.set('k', 10n)).toThrow(InvalidInputError);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        expect(() => store.kv.set('k', cyclic)).toThrow(InvalidInputError);
        expect(store.kv.get('k')).toBe('kept');
      });

      it('refuses an empty key', () => {
        const { store } = fresh();
        expect(() => store.kv.set('', 1)).toThrow(InvalidInputError);
        expect(() => store.kv.get('')).toThrow(InvalidInputError);
      });
    });

    describe('spend', () => {
      const day = Date.UTC(2026, 10, 24, 12);
      const spend = (over: Partial<NewSpendEntry> = {}): NewSpendEntry => ({
        timeMs: day,
        requester: 'node-a',
        capabilityId: 'openai/gpt-4o-mini',
        model: 'gpt-4o-mini',
        provider: 'openai',
        promptTokens: 1000,
        completionTokens: 500,
        usd: 0.00045,
        ...over,
      });

      it('sums spend by day, model and requesting node over a time range', () => {
        const { store } = fresh();
        store.spend.record(spend());
        store.spend.record(spend({ requester: 'node-b', usd: 0.001 }));
        store.spend.record(spend({ timeMs: day - 86_400_000, capabilityId: 'openai/gpt-4o', usd: 0.01 }));
        store.spend.record(spend({ timeMs: day - 40 * 86_400_000, usd: 5 }));
        const since = day - 31 * 86_400_000;
        const byDay = store.spend.totals('day', since);
        expect(byDay.map((r) => r.key)).toEqual(['2026-11-24', '2026-11-23']);
        expect(byDay[0]).toMatchObject({ requests: 2, promptTokens: 2000, completionTokens: 1000 });
        expect(byDay[0]?.usd).toBeCloseTo(0.00145, 9);
        expect(store.spend.totals('model', since).map((r) => r.key)).toEqual([
          'openai/gpt-4o',
          'openai/gpt-4o-mini',
        ]);
        expect(store.spend.totals('node', since).map((r) => [r.key, r.requests])).toEqual([
          ['node-a', 2],
          ['node-b', 1],
        ]);
        expect(store.spend.sumUsd(since)).toBeCloseTo(0.01145, 9);
        expect(store.spend.sumUsd(day - 41 * 86_400_000, since)).toBeCloseTo(5, 9);
      });

      it('refuses a negative or non-numeric amount', () => {
        const { store } = fresh();
        expect(() => store.spend.record(spend({ usd: -1 }))).toThrow(InvalidInputError);
        expect(() => store.spend.record(spend({ promptTokens: Number.NaN }))).toThrow(InvalidInputError);
        expect(store.spend.sumUsd(0)).toBe(0);
      });
    });

    describe('close', () => {
      it('can be closed twice', () => {
        const { store } = fresh();
        store.close();
        expect(() => store.close()).not.toThrow();
      });

      it('fails with a StoreError when used after close', () => {
        const { store } = fresh();
        store.close();
        expect(() => store.kv.get('k')).toThrow(StoreError);
        expect(() => store.kv.set('k', 1)).toThrow(StoreError);
        expect(() => store.audit.append(entry())).toThrow(StoreError);
        expect(() => store.audit.query()).toThrow(StoreError);
        expect(() => store.audit.prune(1)).toThrow(StoreError);
        expect(() => store.schemaVersion()).toThrow(StoreError);
      });
    });
  });
}
