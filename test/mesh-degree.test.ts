import { afterEach, describe, expect, it } from 'vitest';
import type { MeshAnnouncement } from '../src/core/index.js';
import type { MeshService } from '../src/mesh/index.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

const TARGET = 2;
const SIZE = 6;

/** Distinct pairs of nodes with a verified connection between them. */
function connectedPairs(nodes: readonly MeshService[]): number {
  const pairs = new Set<string>();
  for (const node of nodes) {
    for (const id of connectedIds(node)) pairs.add([node.nodeId, id].sort().join('|'));
  }
  return pairs.size;
}

describe('members beyond targetPeers', () => {
  it('are reached through gossip and on demand, without a connection to every member', async () => {
    const nodes: MeshService[] = [];
    for (let i = 0; i < SIZE; i++) nodes.push(await mesh.node(110 + i, { targetPeers: TARGET }));
    const [founder, ...others] = nodes as [MeshService, ...MeshService[]];
    const { meshId } = await founder.createMesh('Degree');
    const invite = await founder.createInvite({ meshId, uses: SIZE });
    for (const node of others) await node.join(invite.token);

    const everyoneInView = (node: MeshService): boolean =>
      nodes.every((other) => other === node || node.isReachable(other.nodeId));
    await waitFor(() => nodes.every(everyoneInView), 'every node to see every other one', 10_000);
    await waitFor(
      () => nodes.every((node) => connectedIds(node).length >= TARGET),
      `every node to connect to ${TARGET} members`,
    );
    // each joiner holds its connection to the founder and dials one more member: no full mesh
    expect(connectedPairs(nodes)).toBeLessThanOrEqual(2 * others.length);
    expect(connectedPairs(nodes)).toBeLessThan((SIZE * (SIZE - 1)) / 2);

    // an announcement crosses the mesh to every node, connected to its origin or not
    const origin = others[others.length - 1] as MeshService;
    const arrived = new Set<string>();
    for (const node of nodes) {
      node.addEventListener('announcement', (event: CustomEvent<MeshAnnouncement>) => {
        if (event.detail.nodeId === origin.nodeId) arrived.add(node.nodeId);
      });
    }
    await origin.setAnnouncement({ summary: { hello: 1 }, document: { hello: 1 }, capabilityCount: 1 });
    await waitFor(() => arrived.size === SIZE - 1, 'the announcement to reach every other node');

    // work goes to a member this node is not connected to: invoke dials it
    const caller = nodes.find((node) => connectedIds(node).length < SIZE - 1) as MeshService;
    const callee = nodes.find(
      (node) => node !== caller && !connectedIds(caller).includes(node.nodeId),
    ) as MeshService;
    expect(caller.peers().find((p) => p.nodeId === callee.nodeId)).toMatchObject({
      connected: false,
      reason: null,
      detail: 'in view through gossip; connected on demand',
    });
    // eslint-disable-next-line @typescript-eslint/require-await
    callee.handleInvoke(async function* (request) {
      yield { echo: request.input };
    });
    const frames = [];
    for await (const frame of caller.invoke(callee.nodeId, { capability: 'echo', input: 'hi' })) {
      frames.push(frame.data);
    }
    expect(frames).toEqual([{ echo: 'hi' }]);
    expect(connectedIds(caller)).toContain(callee.nodeId);
  });
});
