/**
 * The bound on mesh work this node runs at once (`limits.max_concurrent`) and on the requests that
 * wait for a slot (`limits.max_queue`). Waiters are served first come, first served; one more is
 * refused at once with `NodeBusyError`, so a peer hears "busy" instead of waiting without end and
 * its router can try another node. A waiter whose caller gives up (its signal aborts) leaves the
 * queue. The limits are read through a getter on every acquire and release, so a change to
 * `config.yaml` applies to the next request without a restart.
 */
import type { Clock, Logger } from '../core/index.js';
import { AbortedError, NodeBusyError } from '../core/index.js';

export interface WorkLimits {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
}

export interface WorkLimiterComponents {
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface WorkLimiterInit {
  /** The current limits; called on every acquire and release. Default 5 running, 20 waiting. */
  readonly limits?: () => WorkLimits;
}

/** Gives the slot back; calling it more than once does nothing. */
export type Release = () => void;

export interface WorkLimiterStats {
  readonly running: number;
  readonly queued: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Requests given a slot since start (at once or after waiting). */
  readonly admitted: number;
  /** Requests refused as busy since start. */
  readonly refused: number;
  /** Waiters that left the queue because their caller gave up. */
  readonly abandoned: number;
  /** The most that ever ran at once. */
  readonly peakRunning: number;
  /** The longest a request waited for its slot, in milliseconds. */
  readonly longestWaitMs: number;
}

interface Waiter {
  readonly enqueuedAtMs: number;
  readonly grant: (release: Release) => void;
  /** Stops listening to the caller's signal (the waiter got its slot). */
  readonly leave: () => void;
}

export const DEFAULT_WORK_LIMITS: WorkLimits = { maxConcurrent: 5, maxQueue: 20 };

export class WorkLimiter {
  private readonly c: WorkLimiterComponents;
  private readonly limits: () => WorkLimits;
  private readonly log: Logger;
  private running = 0;
  private readonly queue: Waiter[] = [];
  private admitted = 0;
  private refused = 0;
  private abandoned = 0;
  private peakRunning = 0;
  private longestWaitMs = 0;

  constructor(components: WorkLimiterComponents, init: WorkLimiterInit = {}) {
    this.c = components;
    this.log = components.logger;
    this.limits = init.limits ?? (() => DEFAULT_WORK_LIMITS);
  }

  /**
   * Waits for a slot and returns the function that gives it back. Throws `NodeBusyError` at once
   * when every slot is taken and the queue is full, and `AbortedError` when `signal` aborts first.
   */
  acquire(options: { signal?: AbortSignal } = {}): Promise<Release> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortedWhileWaiting(signal));
    const limits = this.current();
    this.drain(limits);
    if (this.queue.length === 0 && this.running < limits.maxConcurrent) {
      return Promise.resolve(this.take(0));
    }
    if (this.queue.length >= limits.maxQueue) {
      this.refused++;
      const details = {
        running: this.running,
        queued: this.queue.length,
        maxConcurrent: limits.maxConcurrent,
        maxQueue: limits.maxQueue,
      };
      this.log.debug(details, 'refused mesh work: every slot is taken and the queue is full');
      return Promise.reject(
        new NodeBusyError(
          `this node is busy: ${details.running} requests running (limits.max_concurrent ${details.maxConcurrent}) ` +
            `and ${details.queued} waiting (limits.max_queue ${details.maxQueue}); try again later or another node`,
          { details },
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        this.abandoned++;
        reject(abortedWhileWaiting(signal));
      };
      const waiter: Waiter = {
        enqueuedAtMs: this.c.clock.now(),
        grant: resolve,
        leave: () => signal?.removeEventListener('abort', onAbort),
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  stats(): WorkLimiterStats {
    const limits = this.current();
    return {
      running: this.running,
      queued: this.queue.length,
      maxConcurrent: limits.maxConcurrent,
      maxQueue: limits.maxQueue,
      admitted: this.admitted,
      refused: this.refused,
      abandoned: this.abandoned,
      peakRunning: this.peakRunning,
      longestWaitMs: this.longestWaitMs,
    };
  }

  private current(): WorkLimits {
    const { maxConcurrent, maxQueue } = this.limits();
    return {
      maxConcurrent: Math.max(1, Math.floor(maxConcurrent)),
      maxQueue: Math.max(0, Math.floor(maxQueue)),
    };
  }

  private take(waitedMs: number): Release {
    this.running++;
    this.admitted++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    this.longestWaitMs = Math.max(this.longestWaitMs, waitedMs);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.drain(this.current());
    };
  }

  /** Gives free slots to waiters, oldest first. */
  private drain(limits: WorkLimits): void {
    while (this.running < limits.maxConcurrent) {
      const waiter = this.queue.shift();
      if (waiter === undefined) return;
      waiter.leave();
      const waitedMs = Math.max(0, this.c.clock.now() - waiter.enqueuedAtMs);
      waiter.grant(this.take(waitedMs));
    }
  }
}

function abortedWhileWaiting(signal: AbortSignal | undefined): AbortedError {
  const reason: unknown = signal?.reason;
  return new AbortedError('the caller gave up while waiting for a free slot', {
    ...(reason === undefined ? {} : { cause: reason }),
  });
}
