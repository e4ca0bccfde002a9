import { afterEach, describe, expect, it } from 'vitest';
import type { MeshAnnouncement } from '../src/core/index.js';
import { fromBase64Url, toBase64Url } from '../src/core/index.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const mesh = new TestMesh();
afterEach(async () => {
  await mesh.stopAll();
});

describe('MeshService: create, invite, join', () => {
  it('lets three nodes join one mesh, see each other and receive announcements', async () => {
    const a = await mesh.node(11);
    const b = await mesh.node(12);
    const c = await mesh.node(13);
    const { meshId } = await a.createMesh('Family');
    const inviteB = await a.createInvite({ meshId });
    const inviteC = await a.createInvite({ meshId, uses: 1 });
    await expect(b.join(inviteB.token)).resolves.toMatchObject({
      meshId,
      meshName: 'Family',
      role: 'member',
    });
    await c.join(inviteC.token);
    const all = [a, b, c].map((n) => n.nodeId);
    for (const node of [a, b, c]) {
      await waitFor(() => connectedIds(node).length === 2, `${node.nodeId} to see the two others`);
      expect(connectedIds(node)).toEqual(all.filter((id) => id !== node.nodeId).sort());
    }
    const received: MeshAnnouncement[] = [];
    c.addEventListener('announcement', (event) => {
      received.push(event.detail);
    });
    const { digest } = await b.setAnnouncement({
      summary: { models: ['llama3'] },
      document: { caps: [1, 2, 3] },
      capabilityCount: 3,
    });
    // A heartbeat naming the new digest may arrive first (summary still unknown); the announcement
    // itself carries the summary.
    const announced = () => received.find((r) => r.nodeId === b.nodeId && r.summary !== null);
    await waitFor(() => announced() !== undefined, "c to receive b's announcement");
    expect(announced()).toMatchObject({
      nodeId: b.nodeId,
      meshId,
      digest,
      capabilityCount: 3,
      summary: { models: ['llama3'] },
    });
    await expect(c.fetchDocument(b.nodeId, digest)).resolves.toEqual({ caps: [1, 2, 3] });
    expect(
      a
        .members(meshId)
        .map((m) => m.nodeId)
        .sort(),
    ).toEqual([...all].sort());
  });
});

describe('MeshService: invites at the edge', () => {
  it('rejects tampered, expired and reused invites with their own errors', async () => {
    const a = await mesh.node(21);
    const b = await mesh.node(22);
    const c = await mesh.node(23);
    const { meshId } = await a.createMesh('Home');
    const invite = await a.createInvite({ meshId, uses: 1 });

    const bytes = fromBase64Url(invite.token.slice('atm1.'.length));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01; // one bit of the signature
    await expect(b.join(`atm1.${toBase64Url(bytes)}`)).rejects.toMatchObject({ code: 'invite_tampered' });
    await expect(b.join('atm1.not-a-token')).rejects.toMatchObject({ code: 'invite_malformed' });

    const shortLived = await a.createInvite({ meshId, ttlMs: 30 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(b.join(shortLived.token)).rejects.toMatchObject({ code: 'invite_expired' });

    await b.join(invite.token);
    await expect(b.join(invite.token)).rejects.toMatchObject({ code: 'already_member' });
    await expect(c.join(invite.token)).rejects.toMatchObject({ code: 'invite_uses_exhausted' });
    expect(c.meshes()).toEqual([]);
  });

  it('lets an invite with several uses admit that many nodes and no more', async () => {
    const a = await mesh.node(24);
    const b = await mesh.node(25);
    const c = await mesh.node(26);
    const d = await mesh.node(27);
    const { meshId } = await a.createMesh('Lab');
    const invite = await a.createInvite({ meshId, uses: 2, role: 'admin' });
    await expect(b.join(invite.token)).resolves.toMatchObject({ role: 'admin' });
    await expect(c.join(invite.token)).resolves.toMatchObject({ role: 'admin' });
    await expect(d.join(invite.token)).rejects.toMatchObject({ code: 'invite_uses_exhausted' });
    // a delegated admin can invite in turn
    const fromB = await b.createInvite({ meshId });
    await expect(d.join(fromB.token)).resolves.toMatchObject({ meshId, role: 'member' });
    await expect(b.createInvite({ meshId, role: 'admin' })).rejects.toMatchObject({ code: 'not_mesh_admin' });
    await expect(d.createInvite({ meshId })).rejects.toMatchObject({ code: 'not_mesh_admin' });
  });

  it('reports an unreachable issuer as peer_unreachable', async () => {
    const a = await mesh.node(28);
    const b = await mesh.node(29);
    const { meshId } = await a.createMesh('Gone');
    const invite = await a.createInvite({ meshId });
    await a.stop();
    await expect(b.join(invite.token)).rejects.toMatchObject({ code: 'peer_unreachable' });
  });
});
