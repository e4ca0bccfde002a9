/**
 * Pieces every backend shares: the components it is built with, turning a failed probe into a
 * `BackendHealth`, and a bounded-concurrency map for per-model lookups.
 */
import type { BackendHealth, BackendKind, Clock, Logger } from '../core/index.js';
import {
  AbortedError,
  AtmosphereError,
  BackendTimeoutError,
  BackendUnavailableError,
} from '../core/index.js';

/** What a backend is built with. */
export interface BackendComponents {
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Defaults shared by the backends (each can be overridden in its init). */
export const DEFAULT_INFERENCE_TIMEOUT_MS = 300_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 120_000;

/** The health report for a probe that failed; rethrows aborts (the caller stopped waiting). */
export function failedHealth(
  err: unknown,
  identity: { readonly backend: string; readonly kind: BackendKind; readonly url: string },
): BackendHealth {
  if (err instanceof AbortedError) throw err;
  const unreachable = err instanceof BackendUnavailableError || err instanceof BackendTimeoutError;
  return {
    ...identity,
    status: unreachable ? 'unreachable' : 'error',
    version: null,
    latencyMs: null,
    detail: err instanceof Error ? err.message : String(err),
    errorCode: err instanceof AtmosphereError ? err.code : 'internal_error',
  };
}
