import type { Connection, Stream } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import { echoStream, streamPair } from '@libp2p/utils';
import { afterEach, describe, expect, it } from 'vitest';
import { PING_PROTOCOL, StaggeredConnectionMonitor } from './connection-monitor.js';

type Peer = 'echo' | 'silent' | 'no-ping';

interface FakeConnection {
  readonly id: string;
  status: 'open' | 'closed';
  readonly remotePeer: { toString(): string };
  rtt?: number;
  abortedWith: Error | undefined;
  readonly pingedAt: number[];
  newStream(protocol: string): Promise<Stream>;
  abort(err: Error): void;
}

/** A connection whose remote echoes pings, never answers them, or has no ping protocol. */
function connection(id: string, peer: Peer): FakeConnection {
  const conn: FakeConnection = {
    id,
    status: 'open',
    remotePeer: { toString: () => `peer-${id}` },
    abortedWith: undefined,
    pingedAt: [],
    async newStream(protocol: string): Promise<Stream> {
      expect(protocol).toBe(PING_PROTOCOL);
      conn.pingedAt.push(Date.now());
      if (peer === 'no-ping') {
        throw Object.assign(new Error('protocol selection failed'), { name: 'UnsupportedProtocolError' });
      }
      if (peer === 'echo') return await echoStream();
      const [outbound] = await streamPair();
      return outbound;
    },
    abort(err: Error): void {
      conn.abortedWith = err;
      conn.status = 'closed';
    },
  };
  return conn;
}

const monitors: StaggeredConnectionMonitor[] = [];
afterEach(() => {
  for (const monitor of monitors) monitor.stop();
  monitors.length = 0;
});

function monitor(
  connections: FakeConnection[],
  init: ConstructorParameters<typeof StaggeredConnectionMonitor>[1],
): StaggeredConnectionMonitor {
  const m = new StaggeredConnectionMonitor(
    {
      connectionManager: {
        getConnections: () => connections.filter((c) => c.status === 'open') as unknown as Connection[],
      },
      logger: defaultLogger(),
    },
    init,
  );
  monitors.push(m);
  m.start();
  return m;
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

describe('StaggeredConnectionMonitor', () => {
  it('pings every connection once per interval, each at its own time, and records the round trip', async () => {
    const connections = Array.from({ length: 20 }, (_, i) => connection(`c${i}`, 'echo'));
    const started = Date.now();
    monitor(connections, { pingIntervalMs: 600, tickMs: 10 });
    await sleep(1_500);
    for (const c of connections) {
      expect(c.pingedAt.length).toBeGreaterThanOrEqual(1);
      expect(c.pingedAt.length).toBeLessThanOrEqual(3);
      expect(c.rtt).toBeTypeOf('number');
      expect(c.abortedWith).toBeUndefined();
    }
    // the first pings fall across the interval, not in one instant (as libp2p's monitor sends them)
    const firsts = connections.map((c) => (c.pingedAt[0] ?? 0) - started);
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(200);
  });

  it('hangs up a connection whose ping gets no echo in time', async () => {
    const silent = connection('silent', 'silent');
    const healthy = connection('healthy', 'echo');
    monitor([silent, healthy], { pingIntervalMs: 100, pingTimeoutMs: 200, tickMs: 10 });
    await sleep(800);
    expect(silent.abortedWith).toBeInstanceOf(Error);
    expect(healthy.abortedWith).toBeUndefined();
  });

  it('keeps a connection whose peer does not speak ping (it answered)', async () => {
    const noPing = connection('no-ping', 'no-ping');
    monitor([noPing], { pingIntervalMs: 100, tickMs: 10 });
    await sleep(500);
    expect(noPing.pingedAt.length).toBeGreaterThanOrEqual(2);
    expect(noPing.abortedWith).toBeUndefined();
  });

  it('sends no pings once stopped', async () => {
    const c = connection('c', 'echo');
    const m = monitor([c], { pingIntervalMs: 100, tickMs: 10 });
    await sleep(300);
    m.stop();
    const pings = c.pingedAt.length;
    expect(pings).toBeGreaterThanOrEqual(1);
    await sleep(300);
    expect(c.pingedAt.length).toBe(pings);
  });
});
