/**
 * A connection monitor that pings each connection once per interval at that connection's own
 * phase, instead of libp2p's, which pings every connection of the node in the same instant. The
 * ping (`/ipfs/ping/1.0.0`, 32 random bytes echoed) refreshes `connection.rtt`; a ping that gets no
 * matching reply within the timeout hangs the connection up, so a peer that vanished without
 * closing is noticed. A peer that does not speak ping has still answered, and counts as alive.
 *
 * Why: members started together (a power cut, a test, a benchmark of 50 members in one process)
 * would otherwise ping all of their connections in the same instant every interval; in one
 * process that was a burst of ~1,000 new streams that stalled the event loop for seconds.
 */
import type { ComponentLogger, Connection, Logger, Startable, Stream } from '@libp2p/interface';
import { bytesEqual } from '../core/index.js';
import { unrefTimer } from './signals.js';

export const PING_PROTOCOL = '/ipfs/ping/1.0.0';
const PING_BYTES = 32;

export interface StaggeredConnectionMonitorInit {
  /** Each connection is pinged once per interval (first at a random point within it). Default 30 s. */
  readonly pingIntervalMs?: number;
  /** A ping without its echo within this long hangs the connection up. Default 30 s. */
  readonly pingTimeoutMs?: number;
  /** How often due connections are looked for. Default 1 s (at most a tenth of the interval). */
  readonly tickMs?: number;
}

export interface StaggeredConnectionMonitorComponents {
  readonly connectionManager: { getConnections(): Connection[] };
  readonly logger: ComponentLogger;
}

async function readBytes(stream: Stream, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  for await (const chunk of stream) {
    const bytes = chunk.subarray();
    const take = Math.min(bytes.length, length - filled);
    out.set(bytes.subarray(0, take), filled);
    filled += take;
    if (filled === length) return out;
  }
  throw new Error(`ping stream ended after ${filled} of ${length} bytes`);
}

export class StaggeredConnectionMonitor implements Startable {
  private readonly components: StaggeredConnectionMonitorComponents;
  private readonly log: Logger;
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly tickMs: number;
  /** Connection id → when it is next pinged. */
  private readonly due = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** One per ping in flight, so that `stop()` ends them (no listeners pile up on a shared signal). */
  private readonly pings = new Set<AbortController>();
  private stopped = true;

  constructor(components: StaggeredConnectionMonitorComponents, init: StaggeredConnectionMonitorInit = {}) {
    this.components = components;
    this.log = components.logger.forComponent('atmosphere:connection-monitor');
    this.pingIntervalMs = init.pingIntervalMs ?? 30_000;
    this.pingTimeoutMs = init.pingTimeoutMs ?? 30_000;
    this.tickMs = init.tickMs ?? Math.max(10, Math.min(1_000, Math.round(this.pingIntervalMs / 10)));
  }

  readonly [Symbol.toStringTag] = 'atmosphere:connection-monitor';

  start(): void {
    if (this.timer !== undefined) return;
    this.stopped = false;
    this.timer = setInterval(() => {
      this.tick();
    }, this.tickMs);
    unrefTimer(this.timer);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    for (const ping of this.pings) ping.abort(new Error('the connection monitor stopped'));
    this.pings.clear();
    this.due.clear();
    this.inFlight.clear();
  }

  private tick(): void {
    const now = Date.now();
    const open = new Set<string>();
    for (const connection of this.components.connectionManager.getConnections()) {
      if (connection.status !== 'open') continue;
      open.add(connection.id);
      const due = this.due.get(connection.id);
      if (due === undefined) {
        this.due.set(connection.id, now + Math.random() * this.pingIntervalMs);
        continue;
      }
      if (now < due || this.inFlight.has(connection.id)) continue;
      this.due.set(connection.id, now + this.pingIntervalMs);
      this.inFlight.add(connection.id);
      this.ping(connection)
        .catch((err: unknown) => {
          if (this.stopped || connection.status !== 'open') return;
          const error = err instanceof Error ? err : new Error(String(err));
          this.log.error('ping to %s failed; hanging up: %e', connection.remotePeer.toString(), error);
          connection.abort(error);
        })
        .finally(() => {
          this.inFlight.delete(connection.id);
        });
    }
    for (const id of this.due.keys()) if (!open.has(id)) this.due.delete(id);
  }

  private async ping(connection: Connection): Promise<void> {
    const controller = new AbortController();
    this.pings.add(controller);
    const timeout = setTimeout(() => {
      controller.abort(new Error(`no ping echo within ${this.pingTimeoutMs} ms`));
    }, this.pingTimeoutMs);
    unrefTimer(timeout);
    const { signal } = controller;
    let stream: Stream | undefined;
    const onAbort = (): void => {
      stream?.abort(new Error('ping timed out'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true });
      const payload = crypto.getRandomValues(new Uint8Array(PING_BYTES));
      const started = Date.now();
      stream.send(payload);
      const echo = await readBytes(stream, PING_BYTES);
      if (signal.aborted) throw new Error('ping timed out');
      if (!bytesEqual(echo, payload)) throw new Error('ping echo does not match');
      connection.rtt = Date.now() - started;
      await stream.close({ signal });
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)));
      // the peer answered (it has no ping handler): it is alive
      if (err instanceof Error && err.name === 'UnsupportedProtocolError') return;
      throw err;
    } finally {
      clearTimeout(timeout);
      this.pings.delete(controller);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** A libp2p service factory for `StaggeredConnectionMonitor`. */
export function staggeredConnectionMonitor(
  init: StaggeredConnectionMonitorInit = {},
): (components: StaggeredConnectionMonitorComponents) => StaggeredConnectionMonitor {
  return (components) => new StaggeredConnectionMonitor(components, init);
}
