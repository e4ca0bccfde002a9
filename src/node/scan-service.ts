/**
 * The node's side of the scanner: runs scans (one at a time — a second request joins the running
 * one), keeps the latest report in the store so the CLI, the API and the panel see the same one,
 * and rescans every `scan.rescan_interval_seconds` when that is set. The CLI uses the same service
 * without a running node (`atmosphere scan` scans in its own process and stores the result).
 */
import type {
  Clock,
  InferenceBackend,
  KeyValueStore,
  Logger,
  ResolvedConfig,
  ScanReport,
  Startable,
} from '../core/index.js';
import { scanReportSchema, toAtmosphereError } from '../core/index.js';
import type { ScanEnv } from '../scanner/index.js';
import { Scanner, systemScanEnv } from '../scanner/index.js';
import { createBackends } from '../integrations/index.js';
import { backendsInput } from './capability-service.js';

/** Where the latest report lives in the store's key-value table. */
export const SCAN_REPORT_KEY = 'scan.latest';

/**
 * The model servers on this device the config names (Ollama, LlamaFarm). Cloud providers are not
 * part of the device, so a scan neither lists nor tests them (a test would spend money).
 */
export function localScanBackends(
  components: { readonly logger: Logger; readonly clock: Clock },
  config: ResolvedConfig,
  env: { readonly ollamaHost?: string; readonly vars?: NodeJS.ProcessEnv } = {},
): InferenceBackend[] {
  const input = backendsInput(config, {
    ...(env.ollamaHost === undefined ? {} : { ollamaHost: env.ollamaHost }),
    vars: env.vars ?? {},
  });
  return createBackends(
    { logger: components.logger.child('backend'), clock: components.clock },
    { ...input, cloud: [] },
  );
}

export interface ScanServiceComponents {
  readonly kv: KeyValueStore;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The local model servers (Ollama, LlamaFarm) to list and test; cloud providers are not scanned. */
  readonly backends: () => readonly InferenceBackend[];
  /** The machine; default the real one. */
  readonly env?: ScanEnv;
}

export interface ScanServiceInit {
  /** The configuration as it is now (live config: a changed `scan` section applies to the next scan). */
  readonly config: () => Pick<ResolvedConfig, 'scan'>;
  /** The Atmosphere home: where tests may write. */
  readonly workDir: string;
}

export interface RunScanOptions {
  readonly withTests?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

export class ScanService implements Startable {
  private readonly c: ScanServiceComponents;
  private readonly init: ScanServiceInit;
  /** The scanner for the `scan` section it was built from (rebuilt when that section changes). */
  private scanner: { scan: ResolvedConfig['scan']; scanner: Scanner } | null = null;
  /** The rescan interval the timer runs at (seconds; 0 = off). */
  private intervalS = 0;
  private readonly log: Logger;
  private running: { promise: Promise<ScanReport>; withTests: boolean } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private controller = new AbortController();

  constructor(components: ScanServiceComponents, init: ScanServiceInit) {
    this.c = components;
    this.init = init;
    this.log = components.logger;
  }

  private scannerNow(): Scanner {
    const scan = this.init.config().scan;
    if (this.scanner?.scan === scan) return this.scanner.scanner;
    const scanner = new Scanner(
      { env: this.c.env ?? systemScanEnv(), clock: this.c.clock, logger: this.c.logger },
      {
        workDir: this.init.workDir,
        modelPaths: scan.model_paths,
        maxDepth: scan.max_depth,
        timeBudgetMs: scan.time_budget_ms,
        extraPorts: scan.extra_ports,
        testTimeoutMs: scan.test_timeout_seconds * 1000,
        maxModelTests: scan.max_model_tests,
      },
    );
    this.scanner = { scan, scanner };
    return scanner;
  }

  /** The last stored report, or null when there is none (or it was written by an incompatible build). */
  latest(): ScanReport | null {
    const stored = this.c.kv.get(SCAN_REPORT_KEY);
    if (stored === undefined) return null;
    const parsed = scanReportSchema.safeParse(stored);
    if (!parsed.success) {
      this.log.warn('the stored scan report is from another version; scan again');
      return null;
    }
    return parsed.data;
  }

  /** True while a scan runs. */
  get scanning(): boolean {
    return this.running !== null;
  }

  /**
   * Scans and stores the report. While a scan runs, a request joins it — unless it asks for tests
   * the running scan does not do; then it waits and runs its own.
   */
  async scan(options: RunScanOptions = {}): Promise<ScanReport> {
    const withTests = options.withTests === true;
    while (this.running) {
      const current = this.running;
      if (current.withTests || !withTests) return current.promise;
      await current.promise.catch(() => undefined);
    }
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.controller.signal])
      : this.controller.signal;
    const promise = this.scannerNow()
      .scan({
        withTests,
        backends: this.c.backends(),
        signal,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      })
      .then((report) => {
        this.c.kv.set(SCAN_REPORT_KEY, report);
        return report;
      })
      .finally(() => {
        this.running = null;
      });
    this.running = { promise, withTests };
    return promise;
  }

  start(): Promise<void> {
    this.controller = new AbortController();
    this.reschedule();
    return Promise.resolve();
  }

  /**
   * Runs the periodic rescan at `scan.rescan_interval_seconds` as the config says now (0: none).
   * Called at start and whenever the configuration changes.
   */
  reschedule(): void {
    const everyS = this.init.config().scan.rescan_interval_seconds;
    if (everyS === this.intervalS && (this.timer !== null || everyS === 0)) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.intervalS = everyS;
    if (everyS > 0) {
      this.timer = setInterval(() => {
        this.scan().catch((err: unknown) =>
          this.log.warn({ err: toAtmosphereError(err).message }, 'periodic scan failed'),
        );
      }, everyS * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.controller.abort();
    await this.running?.promise.catch(() => undefined);
  }
}
