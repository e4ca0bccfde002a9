/** Every long-running part is startable: idempotent start/stop, a failed start cleans up and rethrows. */
export interface Startable {
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(options?: { signal?: AbortSignal }): Promise<void>;
}

export type NodeState = 'starting' | 'started' | 'stopping' | 'stopped';
