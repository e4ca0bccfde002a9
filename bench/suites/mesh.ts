/**
 * Mesh benchmarks, all nodes in this process on 127.0.0.1 (TCP only, mDNS off, default gossip
 * timings): gossip convergence at 10, 50 and 100 nodes with formation time, RSS per node and the
 * CPU an idle mesh uses (`../mesh-gossip.ts`, nodes spread over worker threads), then invoke round
 * trip, streamed throughput at 1, 10 and 100 concurrent streams, and the time from `join()` to the
 * first announcement received (on this thread). The suite takes about 6 minutes.
 *
 * Options (after `npm run bench -- mesh`): `--mesh-sizes=10,50` grows the gossip mesh only to those
 * sizes; `--mesh-threads=N` spreads its nodes over N worker threads (default 4, whatever the number
 * of cores; 1 puts every node on one event loop); `--mesh-gossip-only` skips the invoke and join
 * benchmarks.
 */
import '../../src/polyfills.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { silentLogger } from '../../src/core/index.js';
import type { MeshServiceInit } from '../../src/mesh/index.js';
import { MemoryMeshState, MeshService, nodeMeshPlatform } from '../../src/mesh/index.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import type { GossipSize } from '../mesh-gossip.js';
import { percentile, round } from '../harness.js';
import { ALL_GOSSIP_SIZES, DEFAULT_GOSSIP_THREADS, gossipBench } from '../mesh-gossip.js';

const SUITE = 'mesh';
const MB = 1024 * 1024;

/** Loopback only, no multicast, no WebSocket listener (saves ports); otherwise the defaults. */
const BENCH_INIT: MeshServiceInit = {
  listenHost: '127.0.0.1',
  tcpPort: 0,
  wsPort: null,
  mdns: false,
  // every node here is 127.0.0.1: retry a refused dial after 0.5 s rather than the 10 s default
  redialIntervalMs: 500,
  // nodes share one event loop while they connect: give handshakes and dials time
  handshakeTimeoutMs: 30_000,
  dialTimeoutMs: 30_000,
};

const INVOKE_WARMUP = 50;
const INVOKE_SAMPLES = 500;
const STREAM_LEVELS = [1, 10, 100] as const;
const STREAM_CHUNK_BYTES = 16 * 1024;
/** Bytes moved at each concurrency level, split evenly over its streams. */
const STREAM_TOTAL_BYTES = 64 * MB;
const JOIN_SAMPLES = 5;
const JOIN_TARGET_MS = 2_000;

interface MeshBenchOptions {
  readonly sizes: readonly GossipSize[];
  readonly threads: number;
  readonly gossipOnly: boolean;
}

/** `--mesh-sizes=`, `--mesh-threads=` and `--mesh-gossip-only` (see the module comment). */
function meshBenchOptions(argv: readonly string[]): MeshBenchOptions {
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const wanted = value('mesh-sizes')?.split(',').map(Number);
  const sizes = ALL_GOSSIP_SIZES.filter((size) => wanted === undefined || wanted.includes(size));
  if (sizes.length === 0) throw new Error(`--mesh-sizes takes some of ${ALL_GOSSIP_SIZES.join(', ')}`);
  const threads = Number(value('mesh-threads') ?? DEFAULT_GOSSIP_THREADS);
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--mesh-threads takes a whole number >= 1');
  return { sizes, threads, gossipOnly: argv.includes('--mesh-gossip-only') };
}

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

class BenchNodes {
  readonly all: MeshService[] = [];

  async add(name: string, init: MeshServiceInit = {}): Promise<MeshService> {
    const node = new MeshService(
      {
        ...nodeMeshPlatform(),
        privateKey: await generateKeyPair('Ed25519'),
        logger: silentLogger(),
        clock: { now: () => Date.now() },
        state: new MemoryMeshState(),
      },
      { name, ...BENCH_INIT, ...init },
    );
    this.all.push(node);
    await node.start();
    return node;
  }

  async remove(node: MeshService): Promise<void> {
    await node.stop();
    this.all.splice(this.all.indexOf(node), 1);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map(async (node) => await node.stop()));
    this.all.length = 0;
  }
}

function connectedCount(node: MeshService): number {
  return node.peers().filter((p) => p.connected).length;
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
  return performance.now() - started;
}

async function invokeBench(rows: BenchRow[]): Promise<void> {
  const nodes = new BenchNodes();
  try {
    const server = await nodes.add('server');
    const client = await nodes.add('client');
    const { meshId } = await server.createMesh('Invoke');
    await client.join((await server.createInvite({ meshId })).token);
    await waitFor(() => connectedCount(client) === 1, 'the pair to connect', 10_000);
    const chunk = 'x'.repeat(STREAM_CHUNK_BYTES);
    // the handler has nothing to wait for: it measures the protocol, not a backend
    // eslint-disable-next-line @typescript-eslint/require-await
    server.handleInvoke(async function* (request) {
      if (request.capability === 'echo') {
        yield { echo: request.input };
        return;
      }
      const { chunks } = request.input as { chunks: number };
      for (let i = 0; i < chunks; i++) yield chunk;
    });

    const once = async (i: number): Promise<void> => {
      for await (const frame of client.invoke(server.nodeId, { capability: 'echo', input: { i } })) {
        if ((frame.data as { echo: { i: number } }).echo.i !== i) throw new Error('echo mismatch');
      }
    };
    for (let i = 0; i < INVOKE_WARMUP; i++) await once(i);
    const times: number[] = [];
    for (let i = 0; i < INVOKE_SAMPLES; i++) {
      const t0 = performance.now();
      await once(i);
      times.push(performance.now() - t0);
    }
    rows.push(
      {
        suite: SUITE,
        name: 'invoke round trip, small request (p50)',
        value: round(percentile(times, 50), 3),
        unit: 'ms',
        target: { op: '<=', value: 3 },
        samples: times.length,
      },
      {
        suite: SUITE,
        name: 'invoke round trip, small request (p99)',
        value: round(percentile(times, 99), 3),
        unit: 'ms',
        samples: times.length,
      },
    );

    for (const streams of STREAM_LEVELS) {
      const chunks = Math.max(1, Math.round(STREAM_TOTAL_BYTES / STREAM_CHUNK_BYTES / streams));
      let frames = 0;
      let bytes = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: streams }, async () => {
          for await (const frame of client.invoke(server.nodeId, {
            capability: 'stream',
            input: { chunks },
          })) {
            frames++;
            bytes += (frame.data as string).length;
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      if (frames !== chunks * streams) throw new Error(`expected ${chunks * streams} frames, got ${frames}`);
      const note = `${streams} x ${chunks} frames of ${STREAM_CHUNK_BYTES / 1024} KiB`;
      rows.push(
        {
          suite: SUITE,
          name: `streamed throughput, ${streams} concurrent stream(s)`,
          value: round(bytes / MB / seconds, 1),
          unit: 'MB/s',
          samples: frames,
          note,
        },
        {
          suite: SUITE,
          name: `streamed frames, ${streams} concurrent stream(s)`,
          value: Math.round(frames / seconds),
          unit: 'frames/s',
          samples: frames,
          note,
        },
      );
    }
  } finally {
    await nodes.stopAll();
  }
}

async function joinBench(rows: BenchRow[]): Promise<void> {
  const nodes = new BenchNodes();
  try {
    const founder = await nodes.add('founder');
    const { meshId } = await founder.createMesh('Join');
    const members = [founder];
    for (let i = 0; i < 2; i++) {
      const member = await nodes.add(`member-${i}`);
      await member.join((await founder.createInvite({ meshId })).token);
      members.push(member);
    }
    await waitFor(() => members.every((m) => connectedCount(m) === 2), 'the 3-node mesh to form', 30_000);
    for (const [i, member] of members.entries()) {
      await member.setAnnouncement({ summary: { member: i }, document: { member: i }, capabilityCount: 1 });
    }
    const times: number[] = [];
    for (let i = 0; i < JOIN_SAMPLES; i++) {
      const invite = await founder.createInvite({ meshId });
      const fresh = await nodes.add(`fresh-${i}`);
      let firstAt: number | undefined;
      fresh.addEventListener('announcement', () => {
        firstAt ??= performance.now();
      });
      const t0 = performance.now();
      await fresh.join(invite.token);
      await waitFor(() => firstAt !== undefined, 'a first announcement after joining', 10_000);
      times.push((firstAt ?? Number.NaN) - t0);
      await fresh.stop();
    }
    rows.push(
      {
        suite: SUITE,
        name: 'join to first announcement received (p50)',
        value: round(percentile(times, 50)),
        unit: 'ms',
        target: { op: '<=', value: JOIN_TARGET_MS },
        samples: times.length,
        note: 'a fresh node joining a 3-node mesh whose members announce',
      },
      {
        suite: SUITE,
        name: 'join to first announcement received (max)',
        value: round(Math.max(...times)),
        unit: 'ms',
        target: { op: '<=', value: JOIN_TARGET_MS },
        samples: times.length,
      },
    );
  } finally {
    await nodes.stopAll();
  }
}

/** Gossip convergence and RSS first (cleanest memory baseline), then invoke, then joining. */
export const meshSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    const options = meshBenchOptions(process.argv.slice(2));
    const rows: BenchRow[] = [];
    await gossipBench(rows, options.sizes, options.threads);
    if (options.gossipOnly) return rows;
    await invokeBench(rows);
    await joinBench(rows);
    return rows;
  },
};
