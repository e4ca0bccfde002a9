import { afterEach, describe, expect, it } from 'vitest';
import type { MeshPeerInfo } from '../src/core/index.js';
import { MemoryMeshState } from '../src/mesh/index.js';
import { FAST, TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

describe('MeshService lifecycle', () => {
  it('starts and stops idempotently', async () => {
    const a = await mesh.node(51, {}, new MemoryMeshState(), false);
    await Promise.all([a.start(), a.start()]);
    expect(a.status).toBe('started');
    expect(a.addresses().length).toBe(2);
    await Promise.all([a.stop(), a.stop()]);
    expect(a.status).toBe('stopped');
    expect(a.addresses()).toEqual([]);
    await a.stop();
  });

  it('fails to start on a taken port with port_in_use and can start afterwards', async () => {
    const a = await mesh.node(52);
    const port = Number(/\/tcp\/(\d+)/.exec(a.addresses()[0]!)?.[1]);
    const b = await mesh.node(53, { tcpPort: port }, new MemoryMeshState(), false);
    await expect(b.start()).rejects.toMatchObject({ code: 'port_in_use' });
    expect(b.status).toBe('stopped');
  });

  it('drops a stopped node from the views within the peer timeout and brings it back on restart', async () => {
    const a = await mesh.node(54);
    const bState = new MemoryMeshState();
    const b = await mesh.node(55, {}, bState);
    const { meshId } = await a.createMesh('Family');
    await b.join((await a.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(a).includes(b.nodeId), 'a to see b');

    const left: MeshPeerInfo[] = [];
    const joined: MeshPeerInfo[] = [];
    a.addEventListener('peer:left', (event) => left.push(event.detail));
    a.addEventListener('peer:joined', (event) => joined.push(event.detail));

    const stoppedAt = Date.now();
    await b.stop();
    await waitFor(() => left.some((p) => p.nodeId === b.nodeId), "b to leave a's view", 4_000);
    expect(Date.now() - stoppedAt).toBeLessThan(FAST.peerTimeoutMs! + 1_000);
    expect(a.peers().find((p) => p.nodeId === b.nodeId)).toMatchObject({
      connected: false,
      reason: 'unreachable',
    });

    const restartedAt = Date.now();
    await b.start();
    await waitFor(() => joined.some((p) => p.nodeId === b.nodeId), 'b to reappear', 4_000);
    expect(Date.now() - restartedAt).toBeLessThan(3_000);
    await waitFor(() => connectedIds(a).includes(b.nodeId), 'a to reconnect to b');
    expect(b.meshes().map((m) => m.meshId)).toEqual([meshId]);
  });

  it('stays silent on the LAN until it belongs to a mesh', async () => {
    const lonely = await mesh.node(56, { mdns: true });
    expect(lonely.mdnsActive).toBe(false);
    const off = await mesh.node(57, { mdns: false });
    await off.createMesh('No LAN');
    expect(off.mdnsActive).toBe(false);
  });

  it('leaves a mesh and disconnects peers it no longer shares a mesh with', async () => {
    const a = await mesh.node(58);
    const b = await mesh.node(59);
    const { meshId } = await a.createMesh('Temporary');
    await b.join((await a.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(b).includes(a.nodeId), 'b to connect');
    await b.leave(meshId);
    expect(b.meshes()).toEqual([]);
    await waitFor(
      () => connectedIds(a).length === 0 && connectedIds(b).length === 0,
      'the connection to close',
    );
    await expect(b.leave(meshId)).rejects.toMatchObject({ code: 'mesh_not_found' });
  });
});
