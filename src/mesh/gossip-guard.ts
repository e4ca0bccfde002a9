/**
 * Freshness and replay rules for gossip, and the drop counters. A message is stale when it is older
 * than its TTL or claims a time too far in the future; it is a replay unless its (timestamp, seq)
 * is strictly after the last accepted one from the same origin, mesh and type. Ordering by
 * timestamp first lets a restarted node (whose sequence starts again at 0) be heard at once.
 */
import type { Clock, MeshDropReason, MeshStats } from '../core/index.js';

export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;
const DEFAULT_MAX_TRACKED = 10_000;

export interface FreshnessInput {
  readonly originId: string;
  readonly meshId: string;
  readonly type: string;
  readonly seq: number;
  readonly timestampMs: number;
  readonly ttlMs: number;
}

interface Last {
  timestampMs: number;
  seq: number;
}

export class ReplayGuard {
  private readonly clock: Clock;
  private readonly maxClockSkewMs: number;
  private readonly maxTracked: number;
  private readonly last = new Map<string, Last>();

  constructor(components: { clock: Clock }, init: { maxClockSkewMs?: number; maxTracked?: number } = {}) {
    this.clock = components.clock;
    this.maxClockSkewMs = init.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.maxTracked = init.maxTracked ?? DEFAULT_MAX_TRACKED;
  }

  /** Stale check only (cheap, before signatures are checked). */
  isStale(input: FreshnessInput): boolean {
    const now = this.clock.now();
    return input.timestampMs + input.ttlMs < now || input.timestampMs > now + this.maxClockSkewMs;
  }

  /** Accepts and records the message unless it is not newer than the last one accepted. */
  accept(input: FreshnessInput): boolean {
    const key = `${input.originId}|${input.meshId}|${input.type}`;
    const last = this.last.get(key);
    if (last !== undefined) {
      const newer =
        input.timestampMs > last.timestampMs ||
        (input.timestampMs === last.timestampMs && input.seq > last.seq);
      if (!newer) return false;
      this.last.delete(key); // re-insert below: the Map keeps insertion order, oldest first
    }
    this.last.set(key, { timestampMs: input.timestampMs, seq: input.seq });
    while (this.last.size > this.maxTracked) {
      const oldest = this.last.keys().next().value;
      if (oldest === undefined) break;
      this.last.delete(oldest);
    }
    return true;
  }

  forgetOrigin(originId: string): void {
    for (const key of this.last.keys()) if (key.startsWith(`${originId}|`)) this.last.delete(key);
  }
}

const DROP_REASONS: readonly MeshDropReason[] = [
  'malformed',
  'oversized',
  'bad_signature',
  'stale',
  'replayed',
  'not_member',
  'revoked',
  'unverified_peer',
  'origin_mismatch',
  'wrong_mesh',
  'stream_refused',
  'handshake_failed',
  'handshake_timeout',
];

export class MeshCounters {
  private readonly dropped = new Map<MeshDropReason, number>(DROP_REASONS.map((reason) => [reason, 0]));
  gossipAccepted = 0;
  gossipPublished = 0;
  handshakesOk = 0;
  invokesServed = 0;
  /** Trigger events that reached nobody when published and were held for another try. */
  eventsHeld = 0;
  /** Held trigger events given up on (nobody could receive them within the window). */
  eventsUndelivered = 0;

  drop(reason: MeshDropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  snapshot(): MeshStats {
    return {
      dropped: Object.fromEntries(this.dropped) as Record<MeshDropReason, number>,
      gossipAccepted: this.gossipAccepted,
      gossipPublished: this.gossipPublished,
      handshakesOk: this.handshakesOk,
      invokesServed: this.invokesServed,
      eventsHeld: this.eventsHeld,
      eventsUndelivered: this.eventsUndelivered,
    };
  }
}
