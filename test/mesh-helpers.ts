/** Helpers for the multi-node mesh tests: nodes on 127.0.0.1 with short windows, and polling. */
import type { MeshServiceInit } from '../src/mesh/index.js';
import { MemoryMeshState, MeshService, nodeMeshPlatform } from '../src/mesh/index.js';
import { silentLogger } from '../src/core/index.js';
import { fixedKey, systemClock } from './mesh-fixtures.js';

/** Short windows so tests run fast; mDNS always off (no multicast outside a namespace). */
export const FAST: MeshServiceInit = {
  listenHost: '127.0.0.1',
  tcpPort: 0,
  wsPort: 0,
  mdns: false,
  peerTimeoutMs: 1_500,
  heartbeatIntervalMs: 200,
  announceIntervalMs: 1_000,
  handshakeTimeoutMs: 2_000,
  redialIntervalMs: 300,
  dialTimeoutMs: 2_000,
};

export class TestMesh {
  readonly nodes: MeshService[] = [];

  async node(
    n: number,
    init: MeshServiceInit = {},
    state: MemoryMeshState = new MemoryMeshState(),
    start = true,
  ): Promise<MeshService> {
    const service = new MeshService(
      {
        ...nodeMeshPlatform(),
        privateKey: await fixedKey(n),
        logger: silentLogger(),
        clock: systemClock,
        state,
      },
      { name: `node-${n}`, ...FAST, ...init },
    );
    this.nodes.push(service);
    if (start) await service.start();
    return service;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => await node.stop()));
    this.nodes.length = 0;
  }
}

/** Polls `predicate` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

export function connectedIds(node: MeshService): string[] {
  return node
    .peers()
    .filter((p) => p.connected)
    .map((p) => p.nodeId)
    .sort();
}
