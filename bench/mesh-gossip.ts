/**
 * The gossip part of the mesh benchmark (`suites/mesh.ts`): one mesh grown in place to 10, 50 and
 * 100 nodes, all in this process on 127.0.0.1, spread over worker threads (`mesh-node-thread.ts`,
 * `DEFAULT_GOSSIP_THREADS`); the main thread only directs them and measures. For each size: the time
 * the mesh takes to form, RSS per node, the CPU an idle mesh uses, and gossip convergence.
 *
 * A node keeps direct connections to `DEFAULT_TARGET_PEERS` members (all of them in a smaller
 * mesh) and reaches the rest through gossip, so a mesh counts as formed once every node has that
 * many verified connections. Convergence is measured on a formed, settled mesh (after the RSS
 * reading, a 10 s idle-CPU window and a warm-up round), not while members are still connecting:
 * each round one member changes its announcement, and the round's latency is the time until the
 * last other member emitted it. Nodes on one thread share its event loop: everything their devices
 * would do in parallel happens there one thing after another, so the latencies are an upper bound
 * for a real mesh, and they depend on how many cores the threads actually get.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { MeshServiceInit } from '../src/mesh/index.js';
import { DEFAULT_TARGET_PEERS } from '../src/mesh/index.js';
import type { BenchRow } from './harness.js';
import { percentile, round } from './harness.js';
import type { ThreadRequest, ThreadResponse, ThreadResults } from './mesh-node-thread.js';

const SUITE = 'mesh';
const MB = 1024 * 1024;

export const ALL_GOSSIP_SIZES = [10, 50, 100] as const;

/**
 * Worker threads the nodes are spread over by default, whatever the number of cores (the OS
 * time-slices them): one busy node then holds up a quarter of the mesh rather than all of it, as on
 * real devices it would hold up none, and each thread's heap (and garbage-collection pause) is a
 * quarter as large. Measured on 2 cores: 50 nodes p99 171 ms on 4 threads against 426–771 ms on 2
 * and ~1,070 ms on 1 (docs/ARCHITECTURE.md, "The mesh at scale").
 */
export const DEFAULT_GOSSIP_THREADS = 4;
export type GossipSize = (typeof ALL_GOSSIP_SIZES)[number];

/** Loopback only, no multicast, no WebSocket listener (saves ports); otherwise the defaults. */
const BENCH_INIT: MeshServiceInit = {
  listenHost: '127.0.0.1',
  tcpPort: 0,
  wsPort: null,
  mdns: false,
  // every node here is 127.0.0.1: retry a refused dial after 0.5 s rather than the 10 s default
  redialIntervalMs: 500,
  // many nodes share an event loop while they connect: give handshakes and dials time
  handshakeTimeoutMs: 30_000,
  dialTimeoutMs: 30_000,
};

/** Rounds per size: enough that p99 is not simply the slowest round. */
const GOSSIP_ROUNDS: Record<GossipSize, number> = { 10: 50, 50: 100, 100: 100 };
const GOSSIP_TARGET_P99_MS: Partial<Record<GossipSize, number>> = { 50: 250, 100: 500 };
/** From the first new node starting until the mesh is formed (see `growMesh`). */
const FORMATION_TIMEOUT_MS: Record<GossipSize, number> = { 10: 30_000, 50: 120_000, 100: 180_000 };
/** Time for one announcement to reach every node before the round counts as missed. */
const ROUND_TIMEOUT_MS = 5_000;
/** Pause after each round, so that its last duplicate copies are handled before the next begins. */
const ROUND_GAP_MS = 250;
/** Bound on all measured rounds of one size. */
const ROUNDS_BUDGET_MS = 60_000;
/** Window over which an idle (formed, settled) mesh's CPU use is measured. */
const IDLE_CPU_WINDOW_MS = 10_000;
/** Invite redemptions in flight at once, over all threads (they all go to the founder). */
const JOIN_CONCURRENCY = 4;

const now = (): number => performance.timeOrigin + performance.now();

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

/** Starts a worker thread that runs TypeScript (tsx's hooks do not reach workers on Node 20). */
function startThread(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./mesh-node-thread.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true },
  );
}

type Op = ThreadRequest['op'];
type Args<O extends Op> = Omit<Extract<ThreadRequest, { op: O }>, 'id' | 'op'>;

/** The worker threads and which of them hosts which node. */
class NodeThreads {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** Node id → index of its thread. */
  readonly home = new Map<string, number>();

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => startThread());
    for (const worker of this.workers) {
      worker.on('message', (response: ThreadResponse) => {
        const waiting = this.pending.get(response.id);
        if (waiting === undefined) return;
        this.pending.delete(response.id);
        if (response.ok) waiting.resolve(response.result);
        else waiting.reject(new Error(response.error));
      });
      worker.on('error', (err) => {
        for (const waiting of this.pending.values()) waiting.reject(err);
        this.pending.clear();
      });
    }
  }

  get count(): number {
    return this.workers.length;
  }

  get size(): number {
    return this.home.size;
  }

  async call<O extends Op>(thread: number, op: O, args: Args<O>): Promise<ThreadResults[O]> {
    const worker = this.workers[thread];
    if (worker === undefined) throw new Error(`no thread ${thread}`);
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
    worker.postMessage({ id, op, ...args });
    return (await result) as ThreadResults[O];
  }

  async all<O extends Op>(op: O, args: Args<O>): Promise<ThreadResults[O][]> {
    return await Promise.all(this.workers.map(async (_, i) => await this.call(i, op, args)));
  }

  /** Calls `op` on the thread hosting `nodeId`. */
  async on<O extends Op>(nodeId: string, op: O, args: Args<O>): Promise<ThreadResults[O]> {
    const thread = this.home.get(nodeId);
    if (thread === undefined) throw new Error(`unknown node ${nodeId}`);
    return await this.call(thread, op, args);
  }

  /** Starts nodes named `names`, spread evenly over the threads. */
  async add(names: readonly string[]): Promise<string[]> {
    const byThread = this.workers.map(() => [] as string[]);
    names.forEach((name, i) => byThread[(this.size + i) % this.count]?.push(name));
    const ids = await Promise.all(
      byThread.map(async (share, thread) => {
        const added =
          share.length === 0 ? [] : await this.call(thread, 'add', { names: share, init: BENCH_INIT });
        for (const id of added) this.home.set(id, thread);
        return added;
      }),
    );
    return ids.flat();
  }

  forget(nodeIds: readonly string[]): void {
    for (const id of nodeIds) this.home.delete(id);
  }

  loopUtilization(): EventLoopUtilization[] {
    return this.workers.map((worker) => worker.performance.eventLoopUtilization());
  }

  loopUtilizationSince(since: readonly EventLoopUtilization[]): number[] {
    return this.workers.map(
      (worker, i) => worker.performance.eventLoopUtilization(since[i] as EventLoopUtilization).utilization,
    );
  }

  async close(): Promise<void> {
    try {
      await this.all('stopAll', {});
    } finally {
      await Promise.all(this.workers.map(async (worker) => await worker.terminate()));
    }
  }
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

/**
 * Adds nodes until the mesh has `size` members, all joined through one multi-use invite, then
 * waits (bounded) until every node has min(DEFAULT_TARGET_PEERS, size - 1) verified connections:
 * the engine dials the members it hears of until it has that many, so up to that size the mesh is
 * fully connected and beyond it gossip crosses a connected graph of that degree.
 */
async function growMesh(
  threads: NodeThreads,
  founder: string,
  meshId: string,
  size: number,
  timeoutMs: number,
): Promise<Formation> {
  const started = now();
  const deadline = started + timeoutMs;
  const count = size - threads.size;
  const fresh = await threads.add(Array.from({ length: count }, (_, i) => `bench-${size}-${i}`));
  const token = await threads.on(founder, 'createInvite', { nodeId: founder, meshId, uses: count });
  const byThread = Array.from({ length: threads.count }, () => [] as string[]);
  for (const id of fresh) byThread[threads.home.get(id) ?? 0]?.push(id);
  const concurrency = Math.max(1, Math.round(JOIN_CONCURRENCY / threads.count));
  const failed = (
    await Promise.all(
      byThread.map(async (nodeIds, thread) =>
        nodeIds.length === 0
          ? []
          : await threads.call(thread, 'join', { nodeIds, token, concurrency, deadline }),
      ),
    )
  ).flat();
  threads.forget(failed);
  const joinedMs = now() - started;
  const wantedPeers = Math.min(DEFAULT_TARGET_PEERS, threads.size - 1);
  const connected = async (): Promise<number[]> => (await threads.all('connected', {})).flat();
  let counts = await connected();
  // every half second: `peers()` on every node is not free with 100 nodes
  while (counts.some((c) => c < wantedPeers) && now() < deadline) {
    await sleep(500);
    counts = await connected();
  }
  const formed = failed.length === 0 && counts.every((c) => c >= wantedPeers);
  return {
    joinedMs,
    failedJoins: failed.length,
    connectedMs: formed ? now() - started : null,
    wantedPeers,
    meanConnected: counts.reduce((a, b) => a + b, 0) / counts.length,
  };
}

/**
 * `origin` changes its announcement; resolves with the time until every other node emitted the
 * `announcement` event for it, or null when some node had not within `ROUND_TIMEOUT_MS`.
 */
async function announceRound(threads: NodeThreads, origin: string, marker: string): Promise<number | null> {
  const watching = await threads.all('watch', { originId: origin, marker });
  const t0 = await threads.on(origin, 'announce', { marker, nodeId: origin });
  const arrivals = (await threads.all('collect', { marker, deadline: t0 + ROUND_TIMEOUT_MS })).flat();
  const expected = watching.reduce((a, b) => a + b, 0);
  if (arrivals.length !== expected || arrivals.some((t) => t === null)) return null;
  return Math.max(...(arrivals as number[])) - t0;
}

/** Announcement rounds from rotating origins, within `ROUNDS_BUDGET_MS`. */
async function measureConvergence(
  threads: NodeThreads,
  rounds: number,
  tag: string,
): Promise<{ latenciesMs: number[]; missed: number }> {
  const ids = [...threads.home.keys()];
  const latenciesMs: number[] = [];
  let missed = 0;
  const started = now();
  for (let r = 0; r < rounds && now() - started < ROUNDS_BUDGET_MS; r++) {
    const latency = await announceRound(threads, ids[(r * 7 + 1) % ids.length] as string, `${tag}-${r}`);
    if (latency === null) missed++;
    else latenciesMs.push(latency);
    await sleep(ROUND_GAP_MS);
  }
  return { latenciesMs, missed };
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

/** RSS of the whole process after a full collection on every thread. */
async function settledRssMb(threads: NodeThreads): Promise<number> {
  await sleep(1_000);
  for (let i = 0; i < 2; i++) {
    await threads.all('gc', {});
    collectGarbage();
    await sleep(200);
  }
  return process.memoryUsage().rss / MB;
}

/** CPU time of the process over a quiet window (% of one core) and how busy each thread's loop was. */
async function idleLoad(
  threads: NodeThreads,
  windowMs: number,
): Promise<{ cpuPercent: number; loops: number[] }> {
  const cpu0 = process.cpuUsage();
  const elu0 = threads.loopUtilization();
  const t0 = now();
  await sleep(windowMs);
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (now() - t0)) * 100,
    loops: threads.loopUtilizationSince(elu0).map((u) => u * 100),
  };
}

/** Grows one mesh through `sizes` on `threadCount` threads and adds the gossip rows to `rows`. */
export async function gossipBench(
  rows: BenchRow[],
  sizes: readonly GossipSize[],
  threadCount: number,
): Promise<void> {
  const row = (name: string, value: number, unit: string, extra: Partial<BenchRow> = {}): void => {
    rows.push({ suite: SUITE, name, value, unit, ...extra });
  };
  const threads = new NodeThreads(threadCount);
  const where = `${threadCount} thread(s)`;
  try {
    const rssBefore = await settledRssMb(threads);
    const [founder] = await threads.add(['founder']);
    if (founder === undefined) throw new Error('the founder did not start');
    const meshId = await threads.on(founder, 'createMesh', { nodeId: founder, name: 'Bench' });
    const rss = new Map<number, number>();
    let skipped: string | null = null;
    for (const size of sizes) {
      const target = GOSSIP_TARGET_P99_MS[size];
      const targetField = target === undefined ? {} : { target: { op: '<=' as const, value: target } };
      if (skipped !== null) {
        row(`gossip convergence, ${size} nodes (p99)`, Number.NaN, 'ms', { ...targetField, note: skipped });
        continue;
      }
      const formation = await growMesh(threads, founder, meshId, size, FORMATION_TIMEOUT_MS[size]);
      const connectivity = [
        `mean ${round(formation.meanConnected, 1)} of ${threads.size - 1} peers connected`,
        ...(formation.failedJoins > 0 ? [`${formation.failedJoins} of the new nodes could not join`] : []),
      ].join(', ');
      const wanted = `every node connected to >= ${formation.wantedPeers} members`;
      row(`mesh formed (${size} nodes)`, round((formation.connectedMs ?? Number.NaN) / 1000), 's', {
        note:
          formation.connectedMs === null
            ? `${wanted}: not within ${FORMATION_TIMEOUT_MS[size] / 1000} s (joins took ${round(formation.joinedMs / 1000)} s); ${connectivity}; ${where}`
            : `${wanted}; joins took ${round(formation.joinedMs / 1000)} s; ${connectivity}; ${where}`,
      });
      rss.set(size, await settledRssMb(threads));
      const idle = await idleLoad(threads, IDLE_CPU_WINDOW_MS);
      row(`CPU of an idle ${size}-node mesh`, round(idle.cpuPercent, 1), '% of a core', {
        note: `all ${size} nodes, over ${IDLE_CPU_WINDOW_MS / 1000} s: heartbeats, gossipsub upkeep, pings; event loops ${idle.loops.map((l) => `${round(l)}%`).join(', ')} busy (${where})`,
      });
      // a warm-up round: gossipsub grafts its topic meshes on its 1 s heartbeat
      if ((await announceRound(threads, founder, `warmup-${size}`)) === null) {
        skipped = `skipped: an announcement did not reach all of the ${size}-node mesh in ${ROUND_TIMEOUT_MS / 1000} s (${connectivity})`;
        row(`gossip convergence, ${size} nodes (p99)`, Number.NaN, 'ms', { ...targetField, note: skipped });
        continue;
      }
      const { latenciesMs, missed } = await measureConvergence(threads, GOSSIP_ROUNDS[size], `n${size}`);
      const note = [
        `announcement from a rotating member until the last of the ${size - 1} others has it; ${where}`,
        ...(formation.connectedMs === null ? [`partly connected: ${connectivity}`] : []),
        ...(missed > 0 ? [`${missed} round(s) did not reach every node within ${ROUND_TIMEOUT_MS} ms`] : []),
      ].join('; ');
      row(`gossip convergence, ${size} nodes (p50)`, round(percentile(latenciesMs, 50)), 'ms', {
        samples: latenciesMs.length,
        note,
      });
      row(`gossip convergence, ${size} nodes (p99)`, round(percentile(latenciesMs, 99)), 'ms', {
        samples: latenciesMs.length,
        ...targetField,
        note,
      });
      if (formation.connectedMs === null) {
        skipped = `skipped: the ${size}-node mesh did not form in one process`;
      }
    }
    const first = sizes[0] as GossipSize;
    row(
      `RSS per node (first ${first}, one mesh)`,
      round(((rss.get(first) ?? Number.NaN) - rssBefore) / first, 1),
      'MB',
    );
    for (let i = 1; i < sizes.length; i++) {
      const from = sizes[i - 1] as number;
      const to = sizes[i] as number;
      const perNode = ((rss.get(to) ?? Number.NaN) - (rss.get(from) ?? Number.NaN)) / (to - from);
      row(`RSS per extra node (${from} -> ${to} nodes)`, round(perNode, 1), 'MB', {
        ...(rss.has(to) ? {} : { note: `no ${to}-node mesh` }),
      });
    }
  } finally {
    await threads.close();
  }
}
