/**
 * Token buckets keyed by string (a `capability/trigger`, or a peer's node id): each key may take
 * `burst` tokens at once and earns them back at `perMinute`. Time comes from the injected clock,
 * so tests drive it by hand. Idle keys are forgotten once their bucket is full again.
 */
import type { Clock } from '../core/index.js';

export interface ThrottleDecision {
  readonly allowed: boolean;
  /** When not allowed: how long until one token is back. */
  readonly retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const DEFAULT_MAX_KEYS = 10_000;

export class TriggerThrottle {
  private readonly clock: Clock;
  private readonly burst: number;
  private readonly msPerToken: number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(components: { clock: Clock }, init: { burst: number; perMinute: number; maxKeys?: number }) {
    this.clock = components.clock;
    this.burst = Math.max(1, init.burst);
    this.msPerToken = 60_000 / Math.max(init.perMinute, 1e-6);
    this.maxKeys = init.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** Takes one token for `key` if there is one. */
  take(key: string): ThrottleDecision {
    const now = this.clock.now();
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.remember(key, bucket);
      return { allowed: true, retryAfterMs: 0 };
    }
    this.remember(key, bucket);
    return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((1 - bucket.tokens) * this.msPerToken)) };
  }

  /** Tokens `key` has now (without taking one). */
  available(key: string): number {
    return Math.floor(this.refilled(key, this.clock.now()).tokens);
  }

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return { tokens: this.burst, updatedMs: now };
    const earned = Math.max(0, now - bucket.updatedMs) / this.msPerToken;
    return { tokens: Math.min(this.burst, bucket.tokens + earned), updatedMs: now };
  }

  private remember(key: string, bucket: Bucket): void {
    this.buckets.delete(key); // re-insert: the Map keeps insertion order, least recently used first
    this.buckets.set(key, bucket);
    if (this.buckets.size <= this.maxKeys) return;
    const now = this.clock.now();
    for (const [k, b] of this.buckets) {
      if (this.buckets.size <= this.maxKeys) break;
      // a full bucket carries no information: forgetting it changes nothing
      if (b.tokens + (now - b.updatedMs) / this.msPerToken >= this.burst) this.buckets.delete(k);
    }
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
