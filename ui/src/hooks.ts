/**
 * Shared React plumbing: the API in a context (tests pass one over a fake `fetch`), a loader that
 * aborts what the page no longer needs, and polling for the pages that show live state.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { PanelApi } from './api.js';
import { errorText, isAbort } from './api.js';

export const ApiContext = createContext<PanelApi | null>(null);

export function useApi(): PanelApi {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('the panel API is missing: wrap the page in <ApiContext.Provider>');
  return api;
}

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: string | null;
  /** The error's stable code (`scan_not_found` ...), when the node sent one. */
  readonly errorCode: string | null;
  readonly loading: boolean;
  /** Loads again (keeps showing the old data until the new arrives). */
  readonly reload: () => void;
}

/**
 * Runs `load` when the page mounts and whenever `reload()` is called or `pollMs` passes; the
 * request in flight is aborted when the page goes away.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  options: { pollMs?: number } = {},
): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<{ text: string; code: string | null } | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        const code = (err as { code?: unknown }).code;
        setError({ text: errorText(err), code: typeof code === 'string' ? code : null });
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [tick]);

  useEffect(() => {
    if (options.pollMs === undefined) return;
    const timer = setInterval(reload, options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs, reload]);

  return { data, error: error?.text ?? null, errorCode: error?.code ?? null, loading, reload };
}
