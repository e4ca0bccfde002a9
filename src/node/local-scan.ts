/**
 * A scan run by the CLI in its own process (`atmosphere scan`), whether or not a node runs: the
 * same `ScanService` a node uses, over the same store, so the node, the API and the panel see the
 * report it leaves. The store and scanner load here, on demand.
 */
import type { HomePaths } from '../client/index.js';
import type { Clock, Logger, ResolvedConfig, ScanReport } from '../core/index.js';

export interface LocalScanInput {
  readonly home: HomePaths;
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The environment config was resolved with (`OLLAMA_HOST`). */
  readonly env?: NodeJS.ProcessEnv;
  readonly withTests?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

export async function runLocalScan(input: LocalScanInput): Promise<ScanReport> {
  const [{ ScanService, localScanBackends }, { openSqliteStore }] = await Promise.all([
    import('./scan-service.js'),
    import('../store/index.js'),
  ]);
  const { home, config, logger, clock } = input;
  const store = openSqliteStore({ logger: logger.child('store'), clock }, { path: home.database });
  try {
    const backends = localScanBackends({ logger, clock }, config, {
      ...(input.env?.OLLAMA_HOST === undefined ? {} : { ollamaHost: input.env.OLLAMA_HOST }),
    });
    const service = new ScanService(
      { kv: store.kv, logger: logger.child('scanner'), clock, backends: () => backends },
      { config: () => config, workDir: home.root },
    );
    return await service.scan({
      withTests: input.withTests === true,
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
  } finally {
    store.close();
  }
}

/** The report the last scan stored, or null (no scan yet, or one from an incompatible build). */
export async function readStoredScan(input: {
  readonly home: HomePaths;
  readonly logger: Logger;
  readonly clock: Clock;
}): Promise<ScanReport | null> {
  const [{ SCAN_REPORT_KEY }, { openSqliteStore }, { scanReportSchema }] = await Promise.all([
    import('./scan-service.js'),
    import('../store/index.js'),
    import('../core/index.js'),
  ]);
  const store = openSqliteStore(
    { logger: input.logger.child('store'), clock: input.clock },
    { path: input.home.database },
  );
  try {
    const parsed = scanReportSchema.safeParse(store.kv.get(SCAN_REPORT_KEY));
    return parsed.success ? parsed.data : null;
  } finally {
    store.close();
  }
}
