/**
 * `MeshStateRepository` in memory: for tests, for nodes that must not persist anything, and (as
 * `PersistentMeshState`, which saves a snapshot after every change) for the phone app.
 */
import type {
  InviteRedemption,
  IssuedInviteRecord,
  KnownPeerRecord,
  MeshMemberRecord,
  MeshMembershipRecord,
  MeshStateRepository,
} from '../core/index.js';

/** Everything a `MemoryMeshState` holds, as plain data (bytes stay `Uint8Array`). */
export interface MeshStateSnapshot {
  readonly memberships: readonly MeshMembershipRecord[];
  readonly meshKeys: readonly (readonly [string, Uint8Array])[];
  readonly invites: readonly IssuedInviteRecord[];
  readonly serials: readonly (readonly [string, number])[];
  readonly members: readonly MeshMemberRecord[];
  readonly revocations: readonly (readonly [string, string, Uint8Array])[];
  readonly knownPeers: readonly KnownPeerRecord[];
}

export class MemoryMeshState implements MeshStateRepository {
  private readonly memberships = new Map<string, MeshMembershipRecord>();
  private readonly meshKeys = new Map<string, Uint8Array>();
  private readonly invites = new Map<string, IssuedInviteRecord>();
  private readonly serials = new Map<string, number>();
  private readonly members = new Map<string, Map<string, MeshMemberRecord>>();
  private readonly revocations = new Map<string, Map<string, Uint8Array>>();
  private readonly knownPeers = new Map<string, KnownPeerRecord>();

  listMemberships(): MeshMembershipRecord[] {
    return [...this.memberships.values()];
  }

  getMembership(meshId: string): MeshMembershipRecord | undefined {
    return this.memberships.get(meshId);
  }

  putMembership(record: MeshMembershipRecord): void {
    this.memberships.set(record.meshId, record);
  }

  deleteMembership(meshId: string): void {
    this.memberships.delete(meshId);
  }

  getMeshPrivateKey(meshId: string): Uint8Array | undefined {
    return this.meshKeys.get(meshId)?.slice();
  }

  putMeshPrivateKey(meshId: string, privateKey: Uint8Array): void {
    this.meshKeys.set(meshId, privateKey.slice());
  }

  deleteMeshPrivateKey(meshId: string): void {
    this.meshKeys.delete(meshId);
  }

  putIssuedInvite(record: IssuedInviteRecord): void {
    this.invites.set(record.nonce, record);
  }

  getIssuedInvite(nonce: string): IssuedInviteRecord | undefined {
    return this.invites.get(nonce);
  }

  redeemInvite(nonce: string, nodeId: string): InviteRedemption {
    const invite = this.invites.get(nonce);
    if (invite === undefined) return { status: 'unknown', uses: 0 };
    if (invite.redeemedBy.includes(nodeId)) return { status: 'repeat', uses: invite.uses };
    if (invite.uses >= invite.maxUses) return { status: 'exhausted', uses: invite.uses };
    const uses = invite.uses + 1;
    this.invites.set(nonce, { ...invite, uses, redeemedBy: [...invite.redeemedBy, nodeId] });
    return { status: 'redeemed', uses };
  }

  listIssuedInvites(meshId: string): IssuedInviteRecord[] {
    return [...this.invites.values()]
      .filter((i) => i.meshId === meshId)
      .sort((a, b) => b.issuedAtMs - a.issuedAtMs);
  }

  nextCredentialSerial(meshId: string): number {
    const next = (this.serials.get(meshId) ?? 0) + 1;
    this.serials.set(meshId, next);
    return next;
  }

  listMembers(meshId: string): MeshMemberRecord[] {
    return [...(this.members.get(meshId)?.values() ?? [])];
  }

  putMember(record: MeshMemberRecord): void {
    let byNode = this.members.get(record.meshId);
    if (byNode === undefined) {
      byNode = new Map();
      this.members.set(record.meshId, byNode);
    }
    byNode.set(record.nodeId, record);
  }

  listRevocations(meshId: string): Uint8Array[] {
    return [...(this.revocations.get(meshId)?.values() ?? [])].map((entry) => entry.slice());
  }

  addRevocation(meshId: string, nodeId: string, entry: Uint8Array): boolean {
    let byNode = this.revocations.get(meshId);
    if (byNode === undefined) {
      byNode = new Map();
      this.revocations.set(meshId, byNode);
    }
    if (byNode.has(nodeId)) return false;
    byNode.set(nodeId, entry.slice());
    return true;
  }

  listKnownPeers(): KnownPeerRecord[] {
    return [...this.knownPeers.values()];
  }

  putKnownPeer(record: KnownPeerRecord): void {
    this.knownPeers.set(record.nodeId, record);
  }

  deleteKnownPeer(nodeId: string): void {
    this.knownPeers.delete(nodeId);
  }

  deleteMesh(meshId: string): void {
    this.memberships.delete(meshId);
    this.meshKeys.delete(meshId);
    for (const [nonce, invite] of this.invites) if (invite.meshId === meshId) this.invites.delete(nonce);
    this.members.delete(meshId);
    this.revocations.delete(meshId);
    // serials are kept: a mesh created again with the same key must never repeat a serial
  }

  snapshot(): MeshStateSnapshot {
    return {
      memberships: [...this.memberships.values()],
      meshKeys: [...this.meshKeys.entries()],
      invites: [...this.invites.values()],
      serials: [...this.serials.entries()],
      members: [...this.members.values()].flatMap((byNode) => [...byNode.values()]),
      revocations: [...this.revocations.entries()].flatMap(([meshId, byNode]) =>
        [...byNode.entries()].map(([nodeId, entry]) => [meshId, nodeId, entry] as const),
      ),
      knownPeers: [...this.knownPeers.values()],
    };
  }

  /** Replaces everything with `snapshot`'s contents. */
  restore(snapshot: MeshStateSnapshot): void {
    this.memberships.clear();
    this.meshKeys.clear();
    this.invites.clear();
    this.serials.clear();
    this.members.clear();
    this.revocations.clear();
    this.knownPeers.clear();
    for (const m of snapshot.memberships) this.memberships.set(m.meshId, m);
    for (const [meshId, key] of snapshot.meshKeys) this.meshKeys.set(meshId, key.slice());
    for (const i of snapshot.invites) this.invites.set(i.nonce, i);
    for (const [meshId, serial] of snapshot.serials) this.serials.set(meshId, serial);
    for (const m of snapshot.members) {
      const byNode = this.members.get(m.meshId) ?? new Map<string, MeshMemberRecord>();
      byNode.set(m.nodeId, m);
      this.members.set(m.meshId, byNode);
    }
    for (const [meshId, nodeId, entry] of snapshot.revocations) {
      const byNode = this.revocations.get(meshId) ?? new Map<string, Uint8Array>();
      byNode.set(nodeId, entry.slice());
      this.revocations.set(meshId, byNode);
    }
    for (const p of snapshot.knownPeers) this.knownPeers.set(p.nodeId, p);
  }
}
