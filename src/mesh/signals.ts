/** Abort-signal helpers: every wait is bounded by a signal, and an abort becomes an AtmosphereError. */
import { AbortedError, AtmosphereError, TimeoutError } from '../core/index.js';

/** The error for an aborted signal: its reason if that is an AtmosphereError, else timeout/aborted. */
export function abortError(signal: AbortSignal | undefined, what: string): AtmosphereError {
  const reason: unknown = signal?.reason;
  if (reason instanceof AtmosphereError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError(`${what} timed out`, { cause: reason });
  }
  return new AbortedError(`${what} was aborted`, { cause: reason });
}

/** Settles with `promise`, or rejects with `abortError` as soon as `signal` aborts. */
export async function raceSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  if (signal === undefined) return await promise;
  if (signal.aborted) throw abortError(signal, what);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(abortError(signal, what));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** `signal` bounded by a timeout of `ms`. */
export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/** Lets the process exit while `timer` is pending (Node); browsers' numeric timers have nothing to do. */
export function unrefTimer(timer: ReturnType<typeof setTimeout> | undefined): void {
  if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
}

/** Resolves once the event loop has turned: `setImmediate` on Node, a zero timeout elsewhere. */
export async function nextTurn(): Promise<void> {
  await new Promise<void>((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
