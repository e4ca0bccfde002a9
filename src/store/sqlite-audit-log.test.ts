import { afterEach, describe, expect, it } from 'vitest';
import type { AuditQuery, NewAuditEntry } from '../core/index.js';
import { InvalidInputError, ManualClock, silentLogger } from '../core/index.js';
import { SqliteStore } from './sqlite-store.js';

const stores: SqliteStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function storeWith(targets: readonly string[]): SqliteStore {
  const store = new SqliteStore({ logger: silentLogger(), clock: new ManualClock(0) });
  stores.push(store);
  for (const [i, target] of targets.entries()) store.audit.append(entry({ timeMs: 1_000 + i, target }));
  return store;
}

function entry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    timeMs: 1_000,
    requester: 'peer-a',
    target: 'chat',
    tool: null,
    decision: 'allowed',
    rule: null,
    durationMs: null,
    bytesIn: null,
    bytesOut: null,
    detail: null,
    ...overrides,
  };
}

const targets = (store: SqliteStore, query: AuditQuery): string[] =>
  store.audit
    .query(query)
    .map((e) => e.target)
    .sort();

describe('SqliteAuditLog target globs', () => {
  it('matches * across slashes and colons and ? as exactly one character', () => {
    const store = storeWith(['ollama/llama3.2:3b', 'ollama/llama3.2:1b', 'ollama/qwen:7b', 'camera/front']);
    expect(targets(store, { targetGlob: 'ollama/*' })).toEqual([
      'ollama/llama3.2:1b',
      'ollama/llama3.2:3b',
      'ollama/qwen:7b',
    ]);
    expect(targets(store, { targetGlob: '*:?b' })).toEqual([
      'ollama/llama3.2:1b',
      'ollama/llama3.2:3b',
      'ollama/qwen:7b',
    ]);
    expect(targets(store, { targetGlob: 'ollama/llama3.2:?' })).toEqual([]);
    expect(targets(store, { targetGlob: '*' })).toHaveLength(4);
  });

  it('treats brackets and other characters as literals, like the config globs', () => {
    const store = storeWith(['x[1]', 'x1', 'a.b', 'axb']);
    expect(targets(store, { targetGlob: 'x[1]' })).toEqual(['x[1]']);
    expect(targets(store, { targetGlob: 'x[*' })).toEqual(['x[1]']);
    expect(targets(store, { targetGlob: 'a.b' })).toEqual(['a.b']);
  });

  it('is case-sensitive', () => {
    const store = storeWith(['Camera/front', 'camera/front']);
    expect(targets(store, { targetGlob: 'camera/*' })).toEqual(['camera/front']);
  });

  it('combines with the other filters', () => {
    const store = storeWith([]);
    store.audit.append(entry({ target: 'ollama/a', decision: 'refused', timeMs: 1 }));
    store.audit.append(entry({ target: 'ollama/b', decision: 'allowed', timeMs: 2 }));
    store.audit.append(entry({ target: 'camera/c', decision: 'refused', timeMs: 3 }));
    store.audit.append(entry({ target: 'ollama/d', decision: 'refused', timeMs: 4, requester: 'peer-b' }));
    expect(targets(store, { targetGlob: 'ollama/*', decision: 'refused', requester: 'peer-a' })).toEqual([
      'ollama/a',
    ]);
    expect(targets(store, { targetGlob: 'ollama/*', sinceMs: 2, untilMs: 4 })).toEqual(['ollama/b']);
  });
});

describe('SqliteAuditLog afterId', () => {
  it('returns only entries appended after the given one, whatever their times', () => {
    const store = storeWith([]);
    const first = store.audit.append(entry({ timeMs: 5_000, target: 'first' }));
    store.audit.append(entry({ timeMs: 1_000, target: 'late-but-older' }));
    store.audit.append(entry({ timeMs: 9_000, target: 'newest' }));
    expect(store.audit.query({ afterId: first.id }).map((e) => e.target)).toEqual([
      'newest',
      'late-but-older',
    ]);
    expect(store.audit.query({ afterId: 0 })).toHaveLength(3);
    expect(store.audit.query({ afterId: first.id + 2 })).toEqual([]);
  });

  it('refuses a negative or fractional id', () => {
    const store = storeWith(['a']);
    expect(() => store.audit.query({ afterId: -1 })).toThrow(InvalidInputError);
    expect(() => store.audit.query({ afterId: 1.5 })).toThrow(InvalidInputError);
  });
});
