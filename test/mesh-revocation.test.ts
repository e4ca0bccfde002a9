import { afterEach, describe, expect, it } from 'vitest';
import type { MeshRevocationNotice } from '../src/core/index.js';
import { MemoryMeshState } from '../src/mesh/index.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

describe('revocation', () => {
  it('disconnects a revoked node within 5 s everywhere and blocks its rejoin', async () => {
    const a = await mesh.node(41);
    const b = await mesh.node(42);
    const c = await mesh.node(43);
    const { meshId } = await a.createMesh('Family');
    await b.join((await a.createInvite({ meshId })).token);
    await c.join((await a.createInvite({ meshId })).token);
    const spareInvite = await a.createInvite({ meshId });
    for (const node of [a, b, c])
      await waitFor(() => connectedIds(node).length === 2, 'a full mesh of three');

    const notices: MeshRevocationNotice[] = [];
    b.addEventListener('revocation', (event) => {
      notices.push(event.detail);
    });
    await a.revoke(c.nodeId, { meshId, reason: 'stolen laptop' });
    const elapsed = await waitFor(
      () =>
        !connectedIds(a).includes(c.nodeId) &&
        !connectedIds(b).includes(c.nodeId) &&
        connectedIds(c).length === 0,
      'c to be disconnected from a and b',
      5_000,
    );
    expect(elapsed).toBeLessThan(5_000);
    expect(notices).toEqual([
      expect.objectContaining({ meshId, nodeId: c.nodeId, reason: 'stolen laptop', self: false }),
    ]);
    expect(b.members(meshId).find((m) => m.nodeId === c.nodeId)).toMatchObject({
      revoked: true,
      connected: false,
    });
    expect(b.peers().find((p) => p.nodeId === c.nodeId)).toMatchObject({
      connected: false,
      reason: 'revoked',
    });

    // c keeps redialing for a while (it may not even know it was revoked): it stays out
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(connectedIds(c)).toEqual([]);
    expect(connectedIds(a)).toEqual([b.nodeId]);

    // and neither an unused old invite nor a fresh one lets it back in
    if (c.meshes().length > 0) await c.leave(meshId);
    await expect(c.join(spareInvite.token)).rejects.toMatchObject({ code: 'membership_revoked' });
    await expect(c.join((await a.createInvite({ meshId })).token)).rejects.toMatchObject({
      code: 'membership_revoked',
    });
  });

  it('lets a node that was offline learn a revocation at its next handshake', async () => {
    const a = await mesh.node(44);
    const b = await mesh.node(45);
    const dState = new MemoryMeshState();
    const d = await mesh.node(46, {}, dState);
    const { meshId } = await a.createMesh('Family');
    await b.join((await a.createInvite({ meshId })).token);
    await d.join((await a.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(d).includes(a.nodeId), 'd to connect');
    await d.stop();
    await a.revoke(b.nodeId, { meshId });
    expect(dState.listRevocations(meshId)).toEqual([]);
    await d.start();
    await waitFor(() => dState.listRevocations(meshId).length === 1, 'd to sync the revocation');
    expect(dState.listRevocations(meshId)).toHaveLength(1);
  });

  it('tells a revoked node that missed the gossip, with the signed entry, so it drops the mesh', async () => {
    const a = await mesh.node(49);
    const e = await mesh.node(50);
    const { meshId } = await a.createMesh('Family');
    await e.join((await a.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(e).includes(a.nodeId), 'e to connect');
    await e.stop(); // offline while it is revoked: the gossip cannot reach it
    await a.revoke(e.nodeId, { meshId, reason: 'lost phone' });
    const notices: MeshRevocationNotice[] = [];
    e.addEventListener('revocation', (event) => {
      notices.push(event.detail);
    });
    await e.start(); // it dials a, which refuses it and sends the entry
    await waitFor(() => e.meshes().length === 0, 'e to drop the mesh it was revoked from');
    expect(notices).toEqual([
      expect.objectContaining({ meshId, nodeId: e.nodeId, reason: 'lost phone', self: true }),
    ]);
    await expect(e.join((await a.createInvite({ meshId })).token)).rejects.toMatchObject({
      code: 'membership_revoked',
    });
  });

  it('refuses revocations from non-admins and of oneself', async () => {
    const a = await mesh.node(47);
    const b = await mesh.node(48);
    const { meshId } = await a.createMesh('Family');
    await b.join((await a.createInvite({ meshId })).token);
    await expect(b.revoke(a.nodeId, { meshId })).rejects.toMatchObject({ code: 'not_mesh_admin' });
    await expect(a.revoke(a.nodeId, { meshId })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
