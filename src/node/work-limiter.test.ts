import { describe, expect, it } from 'vitest';
import type { Release } from './work-limiter.js';
import { WorkLimiter } from './work-limiter.js';
import { AbortedError, ManualClock, NodeBusyError, silentLogger } from '../core/index.js';

function limiter(limits: { maxConcurrent: number; maxQueue: number }, clock = new ManualClock(0)) {
  const current = { ...limits };
  const l = new WorkLimiter({ clock, logger: silentLogger() }, { limits: () => current });
  return { limiter: l, limits: current, clock };
}

/** Lets settled promises run their callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the work limiter', () => {
  it('runs at most max_concurrent at once and admits waiters in arrival order', async () => {
    const { limiter: l } = limiter({ maxConcurrent: 2, maxQueue: 5 });
    const first = await l.acquire();
    const second = await l.acquire();
    const order: number[] = [];
    const waiting = [3, 4, 5].map((n) =>
      l.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await settle();
    expect(order).toEqual([]);
    expect(l.stats()).toMatchObject({ running: 2, queued: 3 });
    first();
    await settle();
    expect(order).toEqual([3]);
    second();
    await settle();
    expect(order).toEqual([3, 4]);
    const [r3, r4] = await Promise.all([waiting[0], waiting[1]]);
    r3?.();
    const r5 = await waiting[2];
    expect(order).toEqual([3, 4, 5]);
    r4?.();
    r5?.();
    expect(l.stats()).toMatchObject({ running: 0, queued: 0, admitted: 5, peakRunning: 2 });
  });

  it('refuses at once with node_busy when every slot is taken and the queue is full', async () => {
    const { limiter: l } = limiter({ maxConcurrent: 1, maxQueue: 1 });
    await l.acquire();
    const queued = l.acquire();
    const refusal = await l.acquire().catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(NodeBusyError);
    expect(refusal).toMatchObject({
      code: 'node_busy',
      category: 'unavailable',
      details: { running: 1, queued: 1, maxConcurrent: 1, maxQueue: 1 },
    });
    expect((refusal as Error).message).toMatch(/busy: 1 requests running .* and 1 waiting/);
    expect(l.stats()).toMatchObject({ refused: 1, queued: 1 });
    void queued;
  });

  it('with no queue refuses as soon as the slots are taken', async () => {
    const { limiter: l } = limiter({ maxConcurrent: 1, maxQueue: 0 });
    const release = await l.acquire();
    await expect(l.acquire()).rejects.toBeInstanceOf(NodeBusyError);
    release();
    await expect(l.acquire()).resolves.toBeTypeOf('function');
  });

  it('takes a waiter whose caller gave up out of the queue, freeing its place', async () => {
    const { limiter: l } = limiter({ maxConcurrent: 1, maxQueue: 1 });
    const running = await l.acquire();
    const controller = new AbortController();
    const gaveUp = l.acquire({ signal: controller.signal });
    await expect(l.acquire()).rejects.toBeInstanceOf(NodeBusyError);
    controller.abort();
    await expect(gaveUp).rejects.toBeInstanceOf(AbortedError);
    expect(l.stats()).toMatchObject({ queued: 0, abandoned: 1 });
    const next = l.acquire();
    running();
    const release = await next;
    expect(l.stats()).toMatchObject({ running: 1, queued: 0 });
    release();
  });

  it('refuses a caller that gave up before asking', async () => {
    const { limiter: l } = limiter({ maxConcurrent: 1, maxQueue: 1 });
    await expect(l.acquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    expect(l.stats().running).toBe(0);
  });

  it('gives a slot back once, however often release is called', async () => {
    const { limiter: l } = limiter({ maxConcurrent: 2, maxQueue: 0 });
    const a = await l.acquire();
    await l.acquire();
    a();
    a();
    expect(l.stats().running).toBe(1);
  });

  it('applies changed limits to the next acquire, and a raised limit admits waiters', async () => {
    const { limiter: l, limits } = limiter({ maxConcurrent: 1, maxQueue: 0 });
    const held: Release[] = [await l.acquire()];
    await expect(l.acquire()).rejects.toBeInstanceOf(NodeBusyError);
    limits.maxConcurrent = 2;
    held.push(await l.acquire());
    expect(l.stats()).toMatchObject({ running: 2, maxConcurrent: 2 });
    limits.maxQueue = 1;
    const waiter = l.acquire();
    expect(l.stats().queued).toBe(1);
    limits.maxConcurrent = 4;
    // the next acquire (or release) sees the raised limit and admits the waiter before itself
    held.push(await l.acquire());
    held.push(await waiter);
    expect(l.stats()).toMatchObject({ running: 4, queued: 0 });
    limits.maxConcurrent = 1;
    for (const release of held) release();
    expect(l.stats().running).toBe(0);
  });

  it('records how long the longest waiter waited, by the injected clock', async () => {
    const { limiter: l, clock } = limiter({ maxConcurrent: 1, maxQueue: 1 });
    const first = await l.acquire();
    const second = l.acquire();
    clock.advance(1_500);
    first();
    (await second)();
    expect(l.stats().longestWaitMs).toBe(1_500);
  });
});
