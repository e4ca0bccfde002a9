/**
 * A bounded set of recently seen ids, each remembered until its own expiry. Used for messages that
 * are not state (trigger events): they are deduplicated by id instead of being ordered per origin,
 * so an event that arrives late or twice (over two meshes, or replayed within its TTL) is delivered
 * once. Past `maxEntries` the oldest ids are forgotten first; past its expiry an id is only
 * refused by the envelope's staleness check, which uses the same horizon.
 */
import type { Clock } from '../core/index.js';

const DEFAULT_MAX_ENTRIES = 10_000;

export class SeenIds {
  private readonly clock: Clock;
  private readonly maxEntries: number;
  /** id → expiry; the Map keeps insertion order, so the first entries are the oldest. */
  private readonly entries = new Map<string, number>();

  constructor(components: { clock: Clock }, init: { maxEntries?: number } = {}) {
    this.clock = components.clock;
    this.maxEntries = init.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** Records `id` until `expiresAtMs`; false when it was already recorded and has not expired. */
  add(id: string, expiresAtMs: number): boolean {
    const now = this.clock.now();
    const known = this.entries.get(id);
    if (known !== undefined && known >= now) return false;
    this.entries.delete(id);
    this.entries.set(id, expiresAtMs);
    if (this.entries.size > this.maxEntries) this.prune(now);
    return true;
  }

  has(id: string): boolean {
    const known = this.entries.get(id);
    return known !== undefined && known >= this.clock.now();
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [id, expiry] of this.entries) if (expiry < now) this.entries.delete(id);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
