/**
 * Trigger events that no member could receive when they were published — the node had just joined
 * and gossipsub had not yet learned who subscribes, its members were not yet verified, or every
 * connection was down for a moment — are kept and published again (the same sealed envelope) once
 * someone can receive them. Without this an event fired in the first second after joining was
 * lost. Receivers drop an envelope they already have (replay guard) and deliver an event id once,
 * so a second publication never delivers twice.
 *
 * Bounded: at most `maxPerTopic` events per topic (the oldest goes first) and each for at most
 * `windowMs` (well inside the event TTL, so receivers still accept it). Retries run every `retryMs`
 * only while the topic has subscribers (they may not be publishable yet: unverified peers score
 * below gossipsub's publish threshold); with none, the next subscription starts them again.
 */
import type { Clock } from '../core/index.js';
import { unrefTimer } from './signals.js';

/** How long an event nobody received is kept for another try. */
export const DEFAULT_HELD_EVENT_WINDOW_MS = 30_000;
/** Events kept per topic. */
export const DEFAULT_HELD_EVENTS_PER_TOPIC = 64;
/** Pause between tries while the topic has subscribers. */
export const DEFAULT_HELD_EVENT_RETRY_MS = 500;

export interface HeldEventsInit {
  readonly clock: Clock;
  /** Publishes `envelope` on `topic` again; resolves with how many peers it went to. */
  readonly republish: (topic: string, envelope: Uint8Array) => Promise<number>;
  /** Whether any peer subscribes to `topic` (reachable or not yet). */
  readonly hasSubscribers: (topic: string) => boolean;
  /** Told of events given up on: kept for the whole window, or pushed out by newer ones. */
  readonly onDropped?: (count: number) => void;
  readonly windowMs?: number;
  readonly maxPerTopic?: number;
  readonly retryMs?: number;
}

interface HeldEvent {
  readonly envelope: Uint8Array;
  readonly untilMs: number;
}

export class HeldEvents {
  private held = new Map<string, HeldEvent[]>();
  /** Topics dropped while a try was running (its events must not come back). */
  private readonly droppedDuringRetry = new Set<string>();
  private readonly windowMs: number;
  private readonly maxPerTopic: number;
  private readonly retryMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retrying = false;
  /** Bumped by `clear`: a try that was running when it happened keeps nothing. */
  private generation = 0;

  private readonly init: HeldEventsInit;

  constructor(init: HeldEventsInit) {
    this.init = init;
    this.windowMs = init.windowMs ?? DEFAULT_HELD_EVENT_WINDOW_MS;
    this.maxPerTopic = init.maxPerTopic ?? DEFAULT_HELD_EVENTS_PER_TOPIC;
    this.retryMs = init.retryMs ?? DEFAULT_HELD_EVENT_RETRY_MS;
  }

  /** Events waiting, over all topics. */
  get size(): number {
    let n = 0;
    for (const list of this.held.values()) n += list.length;
    return n;
  }

  /** Keeps an event that went to nobody, and schedules a try if anyone subscribes to `topic`. */
  hold(topic: string, envelope: Uint8Array): void {
    let list = this.held.get(topic);
    if (list === undefined) {
      list = [];
      this.held.set(topic, list);
    }
    const now = this.init.clock.now();
    // held in arrival order, so the expired ones are the first
    const firstLive = list.findIndex((event) => event.untilMs > now);
    const stale = firstLive === -1 ? list.length : firstLive;
    list.splice(0, stale);
    list.push({ envelope, untilMs: now + this.windowMs });
    const excess = list.length - this.maxPerTopic;
    if (excess > 0) list.splice(0, excess);
    if (stale + Math.max(0, excess) > 0) this.init.onDropped?.(stale + Math.max(0, excess));
    this.schedule();
  }

  /** Someone subscribed (or became reachable): try now rather than at the next tick. */
  nudge(topic: string): void {
    if (this.held.has(topic)) void this.retry();
  }

  /** Forgets the events of `topic` (this node left that mesh). */
  dropTopic(topic: string): void {
    this.held.delete(topic);
    if (this.retrying) this.droppedDuringRetry.add(topic);
  }

  /** Forgets everything and stops trying (the node is stopping). */
  clear(): void {
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.held.clear();
  }

  /** Publishes every held event again; keeps those that still reached nobody. */
  async retry(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    const generation = this.generation;
    // events held while this try runs go to a fresh map and are merged back after it
    const batch = this.held;
    this.held = new Map();
    try {
      const now = this.init.clock.now();
      for (const [topic, list] of batch) {
        const live = list.filter((event) => event.untilMs > now);
        let dropped = list.length - live.length;
        const kept: HeldEvent[] = [];
        const subscribed = this.init.hasSubscribers(topic);
        for (const event of live) {
          const sent = subscribed ? await this.init.republish(topic, event.envelope).catch(() => 0) : 0;
          if (sent === 0) kept.push(event);
        }
        if (this.generation !== generation) return;
        if (this.droppedDuringRetry.has(topic)) continue;
        const merged = [...kept, ...(this.held.get(topic) ?? [])];
        const excess = merged.length - this.maxPerTopic;
        if (excess > 0) {
          merged.splice(0, excess);
          dropped += excess;
        }
        if (merged.length > 0) this.held.set(topic, merged);
        if (dropped > 0) this.init.onDropped?.(dropped);
      }
    } finally {
      this.retrying = false;
      this.droppedDuringRetry.clear();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const due = [...this.held.keys()].some((topic) => this.init.hasSubscribers(topic));
    if (!due) return; // nobody to send to: `nudge` starts the tries again
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.retry();
    }, this.retryMs);
    unrefTimer(this.timer);
  }
}
