/**
 * A worker thread of the mesh benchmark (`suites/mesh.ts`): it hosts a share of the benchmark's
 * mesh nodes on its own event loop and runs what the main thread asks of them. Every request is
 * `{ id, op, ... }` and is answered `{ id, ok: true, result }` or `{ id, ok: false, error }`.
 * Times are absolute (`performance.timeOrigin + performance.now()`), comparable across threads.
 */
import '../src/polyfills.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { MeshAnnouncement } from '../src/core/index.js';
import { PeerUnreachableError, silentLogger } from '../src/core/index.js';
import type { MeshServiceInit } from '../src/mesh/index.js';
import { MemoryMeshState, MeshService, nodeMeshPlatform } from '../src/mesh/index.js';

export type ThreadRequest =
  | { id: number; op: 'add'; names: string[]; init: MeshServiceInit }
  | { id: number; op: 'createMesh'; nodeId: string; name: string }
  | { id: number; op: 'createInvite'; nodeId: string; meshId: string; uses: number }
  | { id: number; op: 'join'; nodeIds: string[]; token: string; concurrency: number; deadline: number }
  | { id: number; op: 'connected' }
  | { id: number; op: 'watch'; originId: string; marker: string }
  | { id: number; op: 'collect'; marker: string; deadline: number }
  | { id: number; op: 'announce'; nodeId: string; marker: string }
  | { id: number; op: 'remove'; nodeIds: string[] }
  | { id: number; op: 'gc' }
  | { id: number; op: 'stopAll' };

export type ThreadResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** What each op resolves with. */
export interface ThreadResults {
  add: string[];
  createMesh: string;
  createInvite: string;
  /** Nodes that could not join (already stopped and removed). */
  join: string[];
  /** Verified connections of each node on this thread. */
  connected: number[];
  /** How many nodes here watch for the announcement (all but its origin). */
  watch: number;
  /** When each watching node emitted the announcement; null if not by the deadline. */
  collect: (number | null)[];
  /** When the origin started to publish. */
  announce: number;
  remove: null;
  gc: null;
  stopAll: null;
}

const JOIN_ATTEMPTS = 10;

const now = (): number => performance.timeOrigin + performance.now();

const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
};

const nodes = new Map<string, MeshService>();

function node(nodeId: string): MeshService {
  const found = nodes.get(nodeId);
  if (found === undefined) throw new Error(`no node ${nodeId} on this thread`);
  return found;
}

async function add(names: readonly string[], init: MeshServiceInit): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const service = new MeshService(
      {
        ...nodeMeshPlatform(),
        privateKey: await generateKeyPair('Ed25519'),
        logger: silentLogger(),
        clock: { now: () => Date.now() },
        state: new MemoryMeshState(),
      },
      { name, ...init },
    );
    await service.start();
    nodes.set(service.nodeId, service);
    ids.push(service.nodeId);
  }
  return ids;
}

async function remove(nodeIds: readonly string[]): Promise<void> {
  for (const nodeId of nodeIds) {
    await nodes.get(nodeId)?.stop();
    nodes.delete(nodeId);
  }
}

/** Joins `nodeIds` with `token`, `concurrency` at a time, retrying refused dials until `deadline`. */
async function join(
  nodeIds: readonly string[],
  token: string,
  concurrency: number,
  deadline: number,
): Promise<string[]> {
  const failed: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < nodeIds.length) {
      const nodeId = nodeIds[next++] as string;
      for (let attempt = 1; ; attempt++) {
        const remainingMs = deadline - now();
        try {
          await node(nodeId).join(token, {
            signal: AbortSignal.timeout(Math.max(1, Math.round(remainingMs))),
          });
          break;
        } catch (err) {
          const retry = err instanceof PeerUnreachableError && attempt < JOIN_ATTEMPTS && remainingMs > 1_000;
          if (!retry) {
            failed.push(nodeId);
            break;
          }
          await sleep(250 * attempt);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, nodeIds.length) }, lane));
  await remove(failed);
  return failed;
}

function connected(): number[] {
  return [...nodes.values()].map((n) => n.peers().filter((p) => p.connected).length);
}

interface Watch {
  readonly watched: MeshService[];
  readonly arrivals: Map<MeshService, number>;
  /** Resolves once every watched node has emitted the announcement. */
  readonly complete: Promise<void>;
  readonly stop: () => void;
}

const watches = new Map<string, Watch>();

/** Starts recording when each node here (but the origin) emits `originId`'s announcement carrying `marker`. */
function watch(originId: string, marker: string): number {
  const watched = [...nodes.values()].filter((n) => n.nodeId !== originId);
  const arrivals = new Map<MeshService, number>();
  let resolve!: () => void;
  const complete = new Promise<void>((done) => {
    resolve = done;
  });
  if (watched.length === 0) resolve();
  const listeners = watched.map((n) => {
    const listener = (event: CustomEvent<MeshAnnouncement>): void => {
      const summary = event.detail.summary as { marker?: string } | null;
      if (event.detail.nodeId !== originId || summary?.marker !== marker || arrivals.has(n)) return;
      arrivals.set(n, now());
      if (arrivals.size === watched.length) resolve();
    };
    n.addEventListener('announcement', listener);
    return { n, listener };
  });
  const stop = (): void => {
    for (const { n, listener } of listeners) n.removeEventListener('announcement', listener);
  };
  watches.set(marker, { watched, arrivals, complete, stop });
  return watched.length;
}

/** The arrival times of a watch, once every watching node has one or at `deadline`. */
async function collect(marker: string, deadline: number): Promise<(number | null)[]> {
  const w = watches.get(marker);
  if (w === undefined) throw new Error(`no watch for ${marker}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      w.complete,
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - now()));
      }),
    ]);
    return w.watched.map((n) => w.arrivals.get(n) ?? null);
  } finally {
    clearTimeout(timer);
    w.stop();
    watches.delete(marker);
  }
}

async function announce(nodeId: string, marker: string): Promise<number> {
  const t0 = now();
  await node(nodeId).setAnnouncement({ summary: { marker }, document: { marker }, capabilityCount: 1 });
  return t0;
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

async function handle(request: ThreadRequest): Promise<unknown> {
  switch (request.op) {
    case 'add':
      return await add(request.names, request.init);
    case 'createMesh':
      return (await node(request.nodeId).createMesh(request.name)).meshId;
    case 'createInvite':
      return (await node(request.nodeId).createInvite({ meshId: request.meshId, uses: request.uses })).token;
    case 'join':
      return await join(request.nodeIds, request.token, request.concurrency, request.deadline);
    case 'connected':
      return connected();
    case 'watch':
      return watch(request.originId, request.marker);
    case 'collect':
      return await collect(request.marker, request.deadline);
    case 'announce':
      return await announce(request.nodeId, request.marker);
    case 'remove':
      await remove(request.nodeIds);
      return null;
    case 'gc':
      collectGarbage();
      return null;
    case 'stopAll':
      await remove([...nodes.keys()]);
      return null;
  }
}

function respond(response: ThreadResponse): void {
  parentPort?.postMessage(response);
}

parentPort?.on('message', (request: ThreadRequest) => {
  handle(request).then(
    (result) => {
      respond({ id: request.id, ok: true, result });
    },
    (err: unknown) => {
      respond({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    },
  );
});
