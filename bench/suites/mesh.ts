/**
 * Mesh benchmarks, all nodes in this process on 127.0.0.1 (TCP only, mDNS off, default gossip
 * timings): gossip convergence at 10, 50 and 100 nodes (one mesh grown in place) and RSS per extra
 * node, invoke round trip, streamed throughput at 1, 10 and 100 concurrent streams, and the time
 * from `join()` to the first announcement received.
 *
 * Every node shares this one event loop. A node keeps direct connections to `DEFAULT_TARGET_PEERS`
 * members (all of them in a smaller mesh) and reaches the rest through gossip, so a mesh counts as
 * formed once every node has that many verified connections. A mesh that a 2-core machine cannot
 * form in one process in time is reported as not formed (with the connectivity it reached) instead
 * of stalling the run; larger sizes are then skipped. Each phase has a time bound; the suite takes
 * about 3 minutes.
 */
import '../../src/polyfills.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { MeshAnnouncement } from '../../src/core/index.js';
import { PeerUnreachableError, silentLogger } from '../../src/core/index.js';
import type { MeshServiceInit } from '../../src/mesh/index.js';
import { DEFAULT_TARGET_PEERS, MemoryMeshState, MeshService } from '../../src/mesh/index.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const SUITE = 'mesh';
const MB = 1024 * 1024;

/** Loopback only, no multicast, no WebSocket listener (saves ports); otherwise the defaults. */
const BENCH_INIT: MeshServiceInit = {
  listenHost: '127.0.0.1',
  tcpPort: 0,
  wsPort: null,
  mdns: false,
  // libp2p refuses more than 5 inbound connections per second from one remote host, and every
  // node here is 127.0.0.1: retry a refused dial after 0.5 s rather than the 10 s default
  redialIntervalMs: 500,
  // many nodes share one event loop while they connect: give handshakes and dials time
  handshakeTimeoutMs: 30_000,
  dialTimeoutMs: 30_000,
};

const GOSSIP_SIZES = [10, 50, 100] as const;
type GossipSize = (typeof GOSSIP_SIZES)[number];
const GOSSIP_ROUNDS: Record<GossipSize, number> = { 10: 30, 50: 20, 100: 15 };
const GOSSIP_TARGET_P99_MS: Partial<Record<GossipSize, number>> = { 50: 250, 100: 500 };
/** From the first new node starting until the mesh is formed (see `growMesh`). */
const FORMATION_TIMEOUT_MS: Record<GossipSize, number> = { 10: 30_000, 50: 60_000, 100: 60_000 };
/** Time for one announcement to reach every node before the round counts as missed. */
const ROUND_TIMEOUT_MS = 5_000;
/** Bound on all measured rounds of one size. */
const ROUNDS_BUDGET_MS = 30_000;
const JOIN_CONCURRENCY = 4;
const JOIN_ATTEMPTS = 10;
const INVOKE_WARMUP = 50;
const INVOKE_SAMPLES = 500;
const STREAM_LEVELS = [1, 10, 100] as const;
const STREAM_CHUNK_BYTES = 16 * 1024;
/** Bytes moved at each concurrency level, split evenly over its streams. */
const STREAM_TOTAL_BYTES = 64 * MB;
const JOIN_SAMPLES = 5;
const JOIN_TARGET_MS = 2_000;

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

/** A full collection before reading RSS, so garbage does not count as a node's memory. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

async function settledRssMb(): Promise<number> {
  await sleep(1_000);
  collectGarbage();
  await sleep(200);
  collectGarbage();
  return process.memoryUsage().rss / MB;
}

class BenchNodes {
  readonly all: MeshService[] = [];

  async add(name: string, init: MeshServiceInit = {}): Promise<MeshService> {
    const node = new MeshService(
      {
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

/** Runs `work` over `items` with at most `limit` at a time. */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

interface Formation {
  /** From the first new node starting until every new node has joined or given up. */
  readonly joinedMs: number;
  /** New nodes that could not join in time (they are stopped and left out). */
  readonly failedJoins: number;
  /** Until every node had its target of connections, or null when that did not happen in time. */
  readonly connectedMs: number | null;
  /** Verified connections each node needed: its target, or every other member in a smaller mesh. */
  readonly wantedPeers: number;
  /** Mean number of verified connections per node at the end. */
  readonly meanConnected: number;
}

function meanConnected(nodes: readonly MeshService[]): number {
  return nodes.reduce((sum, node) => sum + connectedCount(node), 0) / nodes.length;
}

/**
 * Adds nodes until the mesh has `size` members, all joined through one multi-use invite, then
 * waits (bounded) until every node has min(DEFAULT_TARGET_PEERS, size - 1) verified connections:
 * the engine dials the members it hears of until it has that many, so up to that size the mesh is
 * fully connected and beyond it gossip crosses a connected graph of that degree.
 */
async function growMesh(
  nodes: BenchNodes,
  founder: MeshService,
  meshId: string,
  size: number,
  timeoutMs: number,
): Promise<Formation> {
  const started = performance.now();
  const count = size - nodes.all.length;
  const fresh: MeshService[] = [];
  for (let i = 0; i < count; i++) fresh.push(await nodes.add(`bench-${size}-${i}`));
  const invite = await founder.createInvite({ meshId, uses: count });
  const failed: MeshService[] = [];
  // at most 5 inbound connections per second from one host: redeem a few at a time and retry
  await inBatches(fresh, JOIN_CONCURRENCY, async (node) => {
    for (let attempt = 1; ; attempt++) {
      const remainingMs = timeoutMs - (performance.now() - started);
      try {
        await node.join(invite.token, { signal: AbortSignal.timeout(Math.max(1, Math.round(remainingMs))) });
        return;
      } catch (err) {
        const retry = err instanceof PeerUnreachableError && attempt < JOIN_ATTEMPTS && remainingMs > 1_000;
        if (!retry) {
          failed.push(node);
          return;
        }
        await sleep(250 * attempt);
      }
    }
  });
  for (const node of failed) await nodes.remove(node);
  const joinedMs = performance.now() - started;
  const wantedPeers = Math.min(DEFAULT_TARGET_PEERS, nodes.all.length - 1);
  const formed = (): boolean => nodes.all.every((node) => connectedCount(node) >= wantedPeers);
  while (!formed() && performance.now() - started < timeoutMs) await sleep(100);
  return {
    joinedMs,
    failedJoins: failed.length,
    connectedMs: failed.length === 0 && formed() ? performance.now() - started : null,
    wantedPeers,
    meanConnected: meanConnected(nodes.all),
  };
}

/**
 * `origin` changes its announcement; resolves with the time until every other node emitted the
 * `announcement` event for it, or null when some node had not within `timeoutMs`.
 */
async function announceRound(
  nodes: readonly MeshService[],
  origin: MeshService,
  marker: string,
  timeoutMs: number,
): Promise<number | null> {
  const others = nodes.filter((n) => n !== origin);
  const arrivals = new Map<MeshService, number>();
  const listeners = others.map((node) => {
    const listener = (event: CustomEvent<MeshAnnouncement>): void => {
      const summary = event.detail.summary as { marker?: string } | null;
      if (event.detail.nodeId === origin.nodeId && summary?.marker === marker && !arrivals.has(node))
        arrivals.set(node, performance.now());
    };
    node.addEventListener('announcement', listener);
    return { node, listener };
  });
  try {
    const t0 = performance.now();
    await origin.setAnnouncement({ summary: { marker }, document: { marker }, capabilityCount: 1 });
    const deadline = t0 + timeoutMs;
    while (arrivals.size < others.length && performance.now() < deadline) await sleep(5);
    return arrivals.size === others.length ? Math.max(...arrivals.values()) - t0 : null;
  } finally {
    for (const { node, listener } of listeners) node.removeEventListener('announcement', listener);
  }
}

interface Convergence {
  readonly latenciesMs: number[];
  readonly missed: number;
}

/** Announcement rounds from rotating origins, within `ROUNDS_BUDGET_MS`. */
async function measureConvergence(
  nodes: readonly MeshService[],
  rounds: number,
  tag: string,
): Promise<Convergence> {
  const latenciesMs: number[] = [];
  let missed = 0;
  const started = performance.now();
  for (let r = 0; r < rounds && performance.now() - started < ROUNDS_BUDGET_MS; r++) {
    const origin = nodes[(r * 7 + 1) % nodes.length] as MeshService;
    const latency = await announceRound(nodes, origin, `${tag}-${r}`, ROUND_TIMEOUT_MS);
    if (latency === null) missed++;
    else latenciesMs.push(latency);
    await sleep(100);
  }
  return { latenciesMs, missed };
}

async function gossipBench(rows: BenchRow[]): Promise<void> {
  const nodes = new BenchNodes();
  const row = (name: string, value: number, unit: string, extra: Partial<BenchRow> = {}): void => {
    rows.push({ suite: SUITE, name, value, unit, ...extra });
  };
  try {
    const rssBefore = await settledRssMb();
    const founder = await nodes.add('founder');
    const { meshId } = await founder.createMesh('Bench');
    const rss = new Map<number, number>();
    let skipped: string | null = null;
    for (const size of GOSSIP_SIZES) {
      const target = GOSSIP_TARGET_P99_MS[size];
      const targetField = target === undefined ? {} : { target: { op: '<=' as const, value: target } };
      if (skipped !== null) {
        row(`gossip convergence, ${size} nodes (p99)`, Number.NaN, 'ms', { ...targetField, note: skipped });
        continue;
      }
      const formation = await growMesh(nodes, founder, meshId, size, FORMATION_TIMEOUT_MS[size]);
      const connectivity = [
        `mean ${round(formation.meanConnected, 1)} of ${nodes.all.length - 1} peers connected`,
        ...(formation.failedJoins > 0 ? [`${formation.failedJoins} of the new nodes could not join`] : []),
      ].join(', ');
      const wanted = `every node connected to >= ${formation.wantedPeers} members`;
      row(`mesh formed (${size} nodes)`, round((formation.connectedMs ?? Number.NaN) / 1000), 's', {
        note:
          formation.connectedMs === null
            ? `${wanted}: not within ${FORMATION_TIMEOUT_MS[size] / 1000} s (joins took ${round(formation.joinedMs / 1000)} s); ${connectivity}`
            : `${wanted}; joins took ${round(formation.joinedMs / 1000)} s; ${connectivity}`,
      });
      rss.set(size, await settledRssMb());
      // a warm-up round: gossipsub grafts its topic meshes on its 1 s heartbeat
      const warm = await announceRound(nodes.all, founder, `warmup-${size}`, ROUND_TIMEOUT_MS);
      if (warm === null) {
        skipped = `skipped: an announcement did not reach all of the ${size}-node mesh in ${ROUND_TIMEOUT_MS / 1000} s (${connectivity})`;
        row(`gossip convergence, ${size} nodes (p99)`, Number.NaN, 'ms', { ...targetField, note: skipped });
        continue;
      }
      const { latenciesMs, missed } = await measureConvergence(nodes.all, GOSSIP_ROUNDS[size], `n${size}`);
      const note = [
        ...(formation.connectedMs === null ? [`partly connected: ${connectivity}`] : []),
        ...(missed > 0 ? [`${missed} round(s) did not reach every node within ${ROUND_TIMEOUT_MS} ms`] : []),
      ].join('; ');
      const noteField = note === '' ? {} : { note };
      row(`gossip convergence, ${size} nodes (p50)`, round(percentile(latenciesMs, 50)), 'ms', {
        samples: latenciesMs.length,
        ...noteField,
      });
      row(`gossip convergence, ${size} nodes (p99)`, round(percentile(latenciesMs, 99)), 'ms', {
        samples: latenciesMs.length,
        ...targetField,
        ...noteField,
      });
      if (formation.connectedMs === null) {
        skipped = `skipped: the ${size}-node mesh did not form in one process`;
      }
    }
    const first = GOSSIP_SIZES[0];
    row(
      `RSS per node (first ${first}, one mesh)`,
      round(((rss.get(first) ?? Number.NaN) - rssBefore) / first, 1),
      'MB',
    );
    for (let i = 1; i < GOSSIP_SIZES.length; i++) {
      const from = GOSSIP_SIZES[i - 1] as number;
      const to = GOSSIP_SIZES[i] as number;
      const perNode = ((rss.get(to) ?? Number.NaN) - (rss.get(from) ?? Number.NaN)) / (to - from);
      row(`RSS per extra node (${from} -> ${to} nodes)`, round(perNode, 1), 'MB', {
        ...(rss.has(to) ? {} : { note: `no ${to}-node mesh` }),
      });
    }
  } finally {
    await nodes.stopAll();
  }
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
    const rows: BenchRow[] = [];
    await gossipBench(rows);
    await invokeBench(rows);
    await joinBench(rows);
    return rows;
  },
};
