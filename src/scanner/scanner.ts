/**
 * `Scanner` runs a whole scan: hardware, model files, model servers and services at the same time,
 * then (with `withTests`) the capability tests, then turns the findings into candidate capabilities
 * and recommendations. The result is a `ScanReport` checked against core's schema. Progress goes
 * to `onProgress` as short lines; nothing here prints.
 */
import { join } from 'node:path';
import type { Clock, InferenceBackend, Logger, ModelFinding, ProbeRun, ScanReport } from '../core/index.js';
import { SCAN_REPORT_VERSION, scanReportSchema } from '../core/index.js';
import { candidatesFor, recommendationsFor } from './candidates.js';
import { runCapabilityTests } from './capability-tests.js';
import { probeHardware } from './hardware/index.js';
import { modelsFromBackend, scanModelFiles } from './models/index.js';
import type { ScanEnv } from './scan-env.js';
import { scanServices } from './services/index.js';

export interface ScannerComponents {
  readonly env: ScanEnv;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface ScannerInit {
  /** A folder the scan may write in (the Atmosphere home): disk test and capture files. */
  readonly workDir: string;
  /** Extra folders for GGUF files and transformers model folders; `~/` is the user's home. */
  readonly modelPaths?: readonly string[];
  readonly maxDepth?: number;
  readonly timeBudgetMs?: number;
  readonly extraPorts?: readonly number[];
  readonly testTimeoutMs?: number;
  readonly maxModelTests?: number;
}

export interface ScanOptions {
  /** Run the capability tests too (`scan --test`). */
  readonly withTests?: boolean;
  /** Local model servers (Ollama, LlamaFarm) whose models are listed and tested. */
  readonly backends?: readonly InferenceBackend[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

export class Scanner {
  private readonly c: ScannerComponents;
  private readonly init: ScannerInit;

  constructor(components: ScannerComponents, init: ScannerInit) {
    this.c = components;
    this.init = init;
  }

  async scan(options: ScanOptions = {}): Promise<ScanReport> {
    const { env, clock, logger } = this.c;
    const { signal, onProgress } = options;
    const scannedAtMs = clock.now();
    const started = performance.now();
    const backends = options.backends ?? [];
    const modelPaths = (this.init.modelPaths ?? []).map((p) => expandHome(p, env.homeDir));
    onProgress?.('scanning hardware, models and services');

    const [hardwarePart, filePart, servicePart, ...backendParts] = await Promise.all([
      probeHardware(env, {
        storagePaths: [this.init.workDir, ...modelPaths],
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      }),
      scanModelFiles(env, {
        ggufPaths: modelPaths,
        modelPaths,
        ...(this.init.maxDepth === undefined ? {} : { maxDepth: this.init.maxDepth }),
        ...(this.init.timeBudgetMs === undefined ? {} : { timeBudgetMs: this.init.timeBudgetMs }),
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      }),
      scanServices(env, {
        extraPorts: this.init.extraPorts ?? [],
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      }),
      ...backends.map((backend) => modelsFromBackend(backend, signal ? { signal } : {})),
    ]);

    const models: ModelFinding[] = [...backendParts.flatMap((p) => p.models), ...filePart.models];
    const probes: ProbeRun[] = [
      ...hardwarePart.probes,
      ...backendParts.map((p) => p.probe),
      ...filePart.probes,
      ...servicePart.probes,
    ];
    const { hardware } = hardwarePart;
    const services = servicePart.services;

    const tests = options.withTests
      ? await runCapabilityTests({
          env,
          hardware,
          models,
          backends,
          workDir: this.init.workDir,
          ...(this.init.testTimeoutMs === undefined ? {} : { timeoutMs: this.init.testTimeoutMs }),
          ...(this.init.maxModelTests === undefined ? {} : { maxModelTests: this.init.maxModelTests }),
          ...(signal ? { signal } : {}),
          ...(onProgress ? { onProgress } : {}),
        })
      : [];

    const candidates = candidatesFor({ hardware, models, services, tests });
    const report = scanReportSchema.parse({
      version: SCAN_REPORT_VERSION,
      scannedAtMs,
      durationMs: Math.round(performance.now() - started),
      platform: `${env.platform}-${env.arch}`,
      hostname: env.hostname,
      withTests: options.withTests === true,
      hardware,
      models,
      services,
      tests,
      candidates,
      recommended: recommendationsFor(candidates),
      probes,
    });
    logger.info(
      {
        durationMs: report.durationMs,
        gpus: hardware.gpus.length,
        models: models.length,
        services: services.length,
        tests: tests.length,
      },
      'scan finished',
    );
    return report;
  }
}

/** `~` or `~/x` → under `homeDir`; other paths unchanged. */
export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return join(homeDir, path.slice(2));
  return path;
}
