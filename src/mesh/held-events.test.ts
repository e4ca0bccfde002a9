import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/index.js';
import { HeldEvents } from './held-events.js';

const bytes = (n: number): Uint8Array => Uint8Array.of(n);

/** A pubsub stand-in: who subscribes to which topic, and whether they can be reached yet. */
function harness(options: { windowMs?: number; maxPerTopic?: number } = {}) {
  const clock = new ManualClock(0);
  const subscribers = new Set<string>();
  const reachable = new Set<string>();
  const sent: { topic: string; envelope: number }[] = [];
  let dropped = 0;
  const held = new HeldEvents({
    clock,
    republish: (topic, envelope) => {
      if (!reachable.has(topic)) return Promise.resolve(0);
      sent.push({ topic, envelope: envelope[0] ?? -1 });
      return Promise.resolve(1);
    },
    hasSubscribers: (topic) => subscribers.has(topic),
    onDropped: (count) => {
      dropped += count;
    },
    retryMs: 100,
    ...options,
  });
  return { clock, subscribers, reachable, sent, held, dropped: () => dropped };
}

describe('HeldEvents', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tries again while the topic has subscribers and stops once an event reached someone', async () => {
    const h = harness();
    h.subscribers.add('t');
    h.held.hold('t', bytes(1));
    await vi.advanceTimersByTimeAsync(250); // subscribed but not reachable yet (unverified peer)
    expect(h.sent).toEqual([]);
    expect(h.held.size).toBe(1);
    h.reachable.add('t');
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sent).toEqual([{ topic: 't', envelope: 1 }]);
    expect(h.held.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.sent).toHaveLength(1);
  });

  it('does not poll a topic nobody subscribes to; a subscription starts the tries', async () => {
    const h = harness();
    const tries = vi.spyOn(h.held, 'retry');
    h.held.hold('t', bytes(1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(tries).not.toHaveBeenCalled();
    h.subscribers.add('t');
    h.reachable.add('t');
    h.held.nudge('t');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sent).toEqual([{ topic: 't', envelope: 1 }]);
    h.held.nudge('other'); // nothing held there: nothing to do
    expect(tries).toHaveBeenCalledTimes(1);
  });

  it('gives up on events after the window and keeps at most maxPerTopic, oldest out first', async () => {
    const h = harness({ windowMs: 1_000, maxPerTopic: 2 });
    h.held.hold('t', bytes(1));
    h.held.hold('t', bytes(2));
    h.held.hold('t', bytes(3));
    expect(h.held.size).toBe(2);
    expect(h.dropped()).toBe(1);
    h.clock.advance(1_001);
    h.held.hold('t', bytes(4)); // the two older ones have expired
    expect(h.held.size).toBe(1);
    expect(h.dropped()).toBe(3);
    h.subscribers.add('t');
    h.reachable.add('t');
    await h.held.retry();
    expect(h.sent).toEqual([{ topic: 't', envelope: 4 }]);
  });

  it('counts expired events on a try and keeps each topic apart', async () => {
    const h = harness({ windowMs: 1_000 });
    h.held.hold('a', bytes(1));
    h.clock.advance(600);
    h.held.hold('b', bytes(2));
    h.clock.advance(600);
    h.subscribers.add('b');
    h.reachable.add('b');
    await h.held.retry();
    expect(h.dropped()).toBe(1);
    expect(h.sent).toEqual([{ topic: 'b', envelope: 2 }]);
    expect(h.held.size).toBe(0);
  });

  it('keeps events held while a try is running, and forgets a dropped topic', async () => {
    const clock = new ManualClock(0);
    let release: (() => void) | undefined;
    const held = new HeldEvents({
      clock,
      republish: () =>
        new Promise<number>((resolve) => {
          release = () => {
            resolve(0);
          };
        }),
      hasSubscribers: () => true,
      retryMs: 100,
    });
    held.hold('t', bytes(1));
    held.hold('u', bytes(9));
    const running = held.retry();
    held.hold('t', bytes(2)); // arrives while the first try waits
    held.dropTopic('u');
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    release?.();
    await running;
    expect(held.size).toBe(2); // t: the first (still unsent) and the second; u is gone
    held.clear();
    expect(held.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(held.size).toBe(0);
  });

  it('treats a failing publication as not delivered', async () => {
    const held = new HeldEvents({
      clock: new ManualClock(0),
      republish: () => Promise.reject(new Error('stream reset')),
      hasSubscribers: () => true,
    });
    held.hold('t', bytes(1));
    await held.retry();
    expect(held.size).toBe(1);
    held.clear();
  });
});
