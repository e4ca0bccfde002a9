import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResolvedConfig, ScanReport } from '../core/index.js';
import { ManualClock, silentLogger } from '../core/index.js';
import { SqliteStore } from '../store/index.js';
import { resolveConfig } from './config-file.js';
import { ScanService } from './scan-service.js';

describe('ScanService', () => {
  const stores: SqliteStore[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    for (const s of stores.splice(0)) s.close();
  });

  it('runs the periodic rescan at the interval the live config says, and stops when it is set to 0', async () => {
    const clock = new ManualClock(0);
    const store = new SqliteStore({ logger: silentLogger(), clock });
    stores.push(store);
    let config: Pick<ResolvedConfig, 'scan'> = resolveConfig({
      flags: { scan: { rescan_interval_seconds: 0 } },
    }).config;
    const service = new ScanService(
      { kv: store.kv, logger: silentLogger(), clock, backends: () => [] },
      { config: () => config, workDir: '/nonexistent' },
    );
    const scans = vi.spyOn(service, 'scan').mockResolvedValue({} as ScanReport);
    await service.start();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(scans).not.toHaveBeenCalled();

    // the owner sets an interval while the node runs
    config = resolveConfig({ flags: { scan: { rescan_interval_seconds: 60 } } }).config;
    service.reschedule();
    await vi.advanceTimersByTimeAsync(125_000);
    expect(scans).toHaveBeenCalledTimes(2);
    service.reschedule(); // unchanged: the timer keeps its phase
    await vi.advanceTimersByTimeAsync(60_000);
    expect(scans).toHaveBeenCalledTimes(3);

    config = resolveConfig({ flags: { scan: { rescan_interval_seconds: 0 } } }).config;
    service.reschedule();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(scans).toHaveBeenCalledTimes(3);
    await service.stop();
  });
});
