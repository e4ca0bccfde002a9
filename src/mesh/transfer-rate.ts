/**
 * Observed transfer rates of invoke replies, without measuring how fast the remote handler (a
 * model) produces its output. The server writes each reply frame in one write, so a frame's bytes
 * travel back to back: the time from the arrival of a large frame's first chunk to that of its
 * last is network time only, while the gaps *between* frames are the handler's. Only frames of at
 * least `MIN_TIMED_FRAME_BYTES` are timed (a smaller frame often lands in a single chunk and cannot
 * be timed), and the bytes of the first chunk are left out of the count (they arrived before the
 * clock started). Pure: the caller passes the times.
 */

/** Frames smaller than this are not timed. */
export const MIN_TIMED_FRAME_BYTES = 64 * 1024;
/**
 * Transfers shorter than this are not timed: the clock counts whole milliseconds, so the error
 * would exceed 20%; a link that moves a large frame this fast is not a bottleneck anyway, and the
 * link speed stands in for it.
 */
export const MIN_TIMED_MS = 5;
/** A measurement older than this no longer counts. */
export const THROUGHPUT_MAX_AGE_MS = 10 * 60_000;

/** One chunk received on a stream: when, and the running total of bytes received so far. */
export interface ChunkArrival {
  readonly atMs: number;
  readonly totalBytes: number;
}

/** Bytes of the unsigned-varint length prefix of a frame of `length` bytes. */
export function varintLength(length: number): number {
  let bytes = 1;
  let rest = Math.floor(length / 128);
  while (rest > 0) {
    bytes++;
    rest = Math.floor(rest / 128);
  }
  return bytes;
}

/**
 * Times the frame occupying stream bytes `[start, end)` from the chunks that carried it: the bytes
 * after its first chunk over the time from that chunk to the one holding its last byte. Null when
 * the frame is below `minBytes`, took under `MIN_TIMED_MS`, or the chunks do not cover it.
 */
export function timeFrame(
  arrivals: readonly ChunkArrival[],
  start: number,
  end: number,
  minBytes: number = MIN_TIMED_FRAME_BYTES,
): { readonly bytes: number; readonly ms: number } | null {
  if (end - start < minBytes) return null;
  const first = arrivals.find((a) => a.totalBytes > start);
  const last = arrivals.find((a) => a.totalBytes >= end);
  if (first === undefined || last === undefined) return null;
  const bytes = end - first.totalBytes;
  const ms = last.atMs - first.atMs;
  if (bytes <= 0 || ms < MIN_TIMED_MS) return null;
  return { bytes, ms };
}

/** Megabits per second of `bytes` moved in `ms`. */
export function toMbps(bytes: number, ms: number): number {
  return (bytes * 8) / (ms * 1000);
}

/** A smoothed recent transfer rate (EWMA of timed frames); null when none is recent. */
export class ThroughputMeter {
  private readonly alpha: number;
  private readonly maxAgeMs: number;
  private value: number | null = null;
  private atMs = 0;

  constructor(init: { smoothing?: number; maxAgeMs?: number } = {}) {
    this.alpha = init.smoothing ?? 0.3;
    this.maxAgeMs = init.maxAgeMs ?? THROUGHPUT_MAX_AGE_MS;
  }

  record(sample: { readonly bytes: number; readonly ms: number }, nowMs: number): void {
    const mbps = toMbps(sample.bytes, sample.ms);
    this.value =
      this.value === null || nowMs - this.atMs > this.maxAgeMs
        ? mbps
        : this.alpha * mbps + (1 - this.alpha) * this.value;
    this.atMs = nowMs;
  }

  current(nowMs: number): number | null {
    if (this.value === null || nowMs - this.atMs > this.maxAgeMs) return null;
    return Math.round(this.value * 1000) / 1000;
  }
}
