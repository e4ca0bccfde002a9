import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { homePaths } from '../client/index.js';
import type { Logger, NewAuditEntry } from '../core/index.js';
import { ManualClock, StoreError, silentLogger } from '../core/index.js';
import { SqliteStore, openSqliteStore } from '../store/index.js';
import { AUDIT_PRUNE_INTERVAL_MS, AuditRetention, DAY_MS, openStoredAuditLog } from './audit-retention.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

interface Line {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (a: string | Record<string, unknown>, b?: string): void => {
      lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' });
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

function entry(timeMs: number, target = 'chat'): NewAuditEntry {
  return {
    timeMs,
    requester: 'peer',
    target,
    tool: null,
    decision: 'allowed',
    rule: null,
    durationMs: 1,
    bytesIn: null,
    bytesOut: null,
    detail: null,
  };
}

describe('AuditRetention', () => {
  let store: SqliteStore;
  let clock: ManualClock;
  let lines: Line[];
  const started: AuditRetention[] = [];

  beforeEach(() => {
    clock = new ManualClock(NOW);
    lines = [];
    store = new SqliteStore({ logger: silentLogger(), clock });
  });

  afterEach(async () => {
    for (const retention of started.splice(0)) await retention.stop();
    store.close();
    vi.useRealTimers();
  });

  function retention(days: (() => number) | undefined, intervalMs?: number): AuditRetention {
    const r = new AuditRetention(
      { audit: store.audit, clock, logger: recordingLogger(lines) },
      {
        ...(days === undefined ? {} : { retentionDays: days }),
        ...(intervalMs === undefined ? {} : { intervalMs }),
      },
    );
    started.push(r);
    return r;
  }

  const targets = (): string[] =>
    store.audit
      .query({ limit: 10_000 })
      .map((e) => e.target)
      .sort();

  it('removes entries older than the retention at start and logs how many', async () => {
    store.audit.append(entry(NOW - 31 * DAY_MS, 'old-1'));
    store.audit.append(entry(NOW - 30 * DAY_MS - 1, 'old-2'));
    store.audit.append(entry(NOW - 30 * DAY_MS, 'boundary'));
    store.audit.append(entry(NOW - DAY_MS, 'recent'));
    await retention(() => 30).start();
    expect(targets()).toEqual(['boundary', 'recent']);
    const info = lines.find((l) => l.level === 'info');
    expect(info?.fields).toMatchObject({ removed: 2, retentionDays: 30 });
    expect(info?.msg).toContain('removed 2 audit entries');
  });

  it('prunes again every hour, with the clock and the retention read at that moment', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let days = 30;
    store.audit.append(entry(NOW - 20 * DAY_MS, 'twenty-days'));
    store.audit.append(entry(NOW - 2 * DAY_MS, 'two-days'));
    await retention(() => days).start();
    expect(targets()).toEqual(['twenty-days', 'two-days']);

    days = 7; // a live config change
    vi.advanceTimersByTime(AUDIT_PRUNE_INTERVAL_MS - 1);
    expect(targets()).toEqual(['twenty-days', 'two-days']);
    vi.advanceTimersByTime(1);
    expect(targets()).toEqual(['two-days']);

    clock.advance(6 * DAY_MS);
    vi.advanceTimersByTime(AUDIT_PRUNE_INTERVAL_MS);
    expect(targets()).toEqual([]);
  });

  it('keeps everything forever when the retention is 0, negative, not a number or missing', async () => {
    store.audit.append(entry(0, 'epoch'));
    store.audit.append(entry(NOW - 3_000 * DAY_MS, 'ancient'));
    for (const days of [() => 0, () => -5, () => Number.NaN, undefined]) {
      const r = retention(days);
      await r.start();
      expect(r.retentionDays()).toBeNull();
      expect(r.pruneNow()).toBe(0);
    }
    expect(targets()).toEqual(['ancient', 'epoch']);
  });

  it('stops pruning once stopped, and starting twice keeps one timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const r = retention(() => 1);
    await r.start();
    await r.start();
    expect(vi.getTimerCount()).toBe(1);
    await r.stop();
    expect(r.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    store.audit.append(entry(NOW - 5 * DAY_MS, 'old'));
    vi.advanceTimersByTime(3 * AUDIT_PRUNE_INTERVAL_MS);
    expect(targets()).toEqual(['old']);
  });

  it('logs a failed prune as a warning instead of failing the start', async () => {
    const r = retention(() => 30);
    store.close();
    await expect(r.start()).resolves.toBeUndefined();
    expect(lines.find((l) => l.level === 'warn')?.msg).toBe('could not prune the audit log');
    expect(() => r.pruneNow()).toThrow(StoreError);
  });
});

describe('openStoredAuditLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atm-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers null for a home without a database, and creates none', async () => {
    const home = homePaths(dir);
    expect(
      await openStoredAuditLog({ home, logger: silentLogger(), clock: new ManualClock(NOW) }),
    ).toBeNull();
    expect(existsSync(home.database)).toBe(false);
  });

  it('reads the entries a node wrote, with filters, and leaves them as they were', async () => {
    const home = homePaths(dir);
    const clock = new ManualClock(NOW);
    const writer = openSqliteStore({ logger: silentLogger(), clock }, { path: home.database });
    writer.audit.append(entry(NOW - 2_000, 'ollama/a'));
    writer.audit.append(entry(NOW - 1_000, 'camera/front'));
    writer.close();

    const stored = await openStoredAuditLog({ home, logger: silentLogger(), clock });
    expect(stored).not.toBeNull();
    try {
      expect(stored!.query().map((e) => e.target)).toEqual(['camera/front', 'ollama/a']);
      expect(stored!.query({ targetGlob: 'ollama/*' }).map((e) => e.target)).toEqual(['ollama/a']);
    } finally {
      stored!.close();
    }
    // read-only: the entries are still there and nothing else was added
    const again = openSqliteStore({ logger: silentLogger(), clock }, { path: home.database });
    expect(again.audit.query()).toHaveLength(2);
    again.close();
  });
});
