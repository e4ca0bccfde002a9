/**
 * The capability scanner (seed Parts 1.1 and 6): what this device has — hardware, models, services —
 * what of it works (capability tests), and the candidate capabilities the owner may approve.
 * Probes reach the machine through a `ScanEnv`, so a missing tool is "not detected", never a crash.
 */
export { Scanner, expandHome } from './scanner.js';
export type { ScannerComponents, ScannerInit, ScanOptions } from './scanner.js';
export { systemScanEnv, runCommand, describeCommandResult, DEFAULT_COMMAND_TIMEOUT_MS } from './scan-env.js';
export type { ScanEnv, CommandResult, RunOptions } from './scan-env.js';
export {
  candidatesFor,
  recommendationsFor,
  candidateIdForModel,
  estimatedRunBytes,
  formatGigabytes,
} from './candidates.js';
export { runCapabilityTests, DEFAULT_TEST_TIMEOUT_MS, DEFAULT_MAX_MODEL_TESTS } from './capability-tests.js';
export type { CapabilityTestInput } from './capability-tests.js';
export * from './hardware/index.js';
export * from './models/index.js';
export * from './services/index.js';
