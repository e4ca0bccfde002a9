import { describe, expect, it } from 'vitest';
import {
  MIN_TIMED_FRAME_BYTES,
  MIN_TIMED_MS,
  ThroughputMeter,
  timeFrame,
  toMbps,
  varintLength,
} from './transfer-rate.js';

describe('transfer-rate', () => {
  it('sizes the varint length prefix of a frame', () => {
    expect([0, 127, 128, 16_383, 16_384, 1_048_576].map(varintLength)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('times a large frame from its first chunk to its last, leaving out the first chunk', () => {
    // a 100-byte frame already read, then a 200 KiB frame in four chunks spread over 20 ms
    const start = 100 + 1 + 3;
    const end = start + 200 * 1024;
    const arrivals = [
      { atMs: 0, totalBytes: 101 + 50_000 },
      { atMs: 10, totalBytes: 101 + 100_000 },
      { atMs: 15, totalBytes: 101 + 150_000 },
      { atMs: 20, totalBytes: end + 30 },
    ];
    expect(timeFrame(arrivals, start, end)).toEqual({ bytes: end - (101 + 50_000), ms: 20 });
  });

  it('does not time small frames, frames in one chunk, or frames not yet covered', () => {
    const one = [{ atMs: 5, totalBytes: 200_000 }];
    expect(timeFrame(one, 0, 1000)).toBeNull();
    expect(timeFrame(one, 0, MIN_TIMED_FRAME_BYTES + 10)).toBeNull();
    expect(timeFrame([{ atMs: 0, totalBytes: 10 }], 0, 100_000)).toBeNull();
    // too fast for a millisecond clock
    const fast = [
      { atMs: 0, totalBytes: 1000 },
      { atMs: MIN_TIMED_MS - 1, totalBytes: 100_000 },
    ];
    expect(timeFrame(fast, 0, 100_000)).toBeNull();
  });

  it('never counts the pause between frames, so a slow producer does not look like a slow link', () => {
    // frame A fully arrives at t=0 in 2 chunks; frame B starts 5 s later (the model thinking)
    const a = 70_000;
    const arrivals = [
      { atMs: 0, totalBytes: 1000 },
      { atMs: 1, totalBytes: a },
      { atMs: 5000, totalBytes: a + 40_000 },
      { atMs: 5040, totalBytes: 2 * a },
    ];
    const sample = timeFrame(arrivals, a + 3, 2 * a);
    // timed: the bytes after frame B's first chunk over the 40 ms they took, not the 5 s before
    expect(sample).toEqual({ bytes: 30_000, ms: 40 });
    expect(toMbps(30_000, 40)).toBe(6);
  });

  it('smooths recent measurements and forgets them when stale', () => {
    const meter = new ThroughputMeter({ smoothing: 0.5, maxAgeMs: 1000 });
    expect(meter.current(0)).toBeNull();
    meter.record({ bytes: 125_000, ms: 10 }, 0); // 100 Mbps
    meter.record({ bytes: 125_000, ms: 50 }, 100); // 20 Mbps
    expect(meter.current(200)).toBe(60);
    expect(meter.current(1101)).toBeNull();
    meter.record({ bytes: 125_000, ms: 100 }, 2000); // 10 Mbps: the stale value is dropped
    expect(meter.current(2000)).toBe(10);
  });
});
