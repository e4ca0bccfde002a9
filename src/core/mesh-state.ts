/**
 * The mesh's persistence seam. Everything the mesh engine must remember across restarts goes
 * through this repository; `MemoryMeshState` (mesh module) keeps it in memory for tests and the
 * store module implements it on SQLite. Methods are synchronous (better-sqlite3 is) and must be
 * atomic individually — `redeemInvite` in particular is a compare-and-increment.
 *
 * Byte fields hold the exact encodings from the wire formats (credentials, revocation entries) or
 * the libp2p protobuf encoding of a private key (`meshPrivateKey`); store them as BLOBs unchanged.
 */
import type { MeshRole } from './mesh-identity.js';

/** A mesh this node belongs to. */
export interface MeshMembershipRecord {
  readonly meshId: string;
  readonly meshName: string;
  /** Raw 32-byte Ed25519 mesh public key. */
  readonly meshPublicKey: Uint8Array;
  /** This node's encoded membership credential. */
  readonly credential: Uint8Array;
  readonly role: MeshRole;
  readonly joinedAtMs: number;
}

/** An invite this node issued; uses are counted here, at the issuer. */
export interface IssuedInviteRecord {
  /** Hex of the 16-byte invite nonce (primary key). */
  readonly nonce: string;
  readonly meshId: string;
  readonly role: MeshRole;
  readonly maxUses: number;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly uses: number;
  /** Node ids that redeemed it, in order. */
  readonly redeemedBy: readonly string[];
}

export type InviteRedemption =
  /** A use was counted for this node. */
  | { readonly status: 'redeemed'; readonly uses: number }
  /** This node had already redeemed it; no use counted (lost replies can be retried). */
  | { readonly status: 'repeat'; readonly uses: number }
  | { readonly status: 'exhausted'; readonly uses: number }
  | { readonly status: 'unknown'; readonly uses: 0 };

/** A member of a mesh as far as this node knows (from handshakes, gossip and issuance). */
export interface MeshMemberRecord {
  readonly meshId: string;
  readonly nodeId: string;
  /** The member's encoded credential, as last verified. */
  readonly credential: Uint8Array;
  readonly role: MeshRole;
  readonly name: string;
  readonly lastSeenMs: number;
}

/** A peer worth dialing again after a restart. */
export interface KnownPeerRecord {
  readonly nodeId: string;
  readonly name: string;
  /** Multiaddr strings including `/p2p/<nodeId>`. */
  readonly addresses: readonly string[];
  readonly lastSeenMs: number;
}

export interface MeshStateRepository {
  // memberships of this node
  listMemberships(): MeshMembershipRecord[];
  getMembership(meshId: string): MeshMembershipRecord | undefined;
  /** Insert or replace by `meshId`. */
  putMembership(record: MeshMembershipRecord): void;
  deleteMembership(meshId: string): void;

  // mesh private keys held (founder); protobuf-encoded libp2p Ed25519 private key. Secret: keep it
  // in a file or column only the owner can read.
  getMeshPrivateKey(meshId: string): Uint8Array | undefined;
  putMeshPrivateKey(meshId: string, privateKey: Uint8Array): void;
  deleteMeshPrivateKey(meshId: string): void;

  // invites issued by this node
  putIssuedInvite(record: IssuedInviteRecord): void;
  getIssuedInvite(nonce: string): IssuedInviteRecord | undefined;
  /** Atomically: `repeat` if `nodeId` already redeemed it, `exhausted` at `maxUses`, else count a use. */
  redeemInvite(nonce: string, nodeId: string): InviteRedemption;
  /** Issued invites of a mesh, newest first. */
  listIssuedInvites(meshId: string): IssuedInviteRecord[];
  /** Next credential serial for a mesh, starting at 1; never repeats for a mesh. */
  nextCredentialSerial(meshId: string): number;

  // members of each mesh, as known to this node
  listMembers(meshId: string): MeshMemberRecord[];
  /** Insert or replace by (`meshId`, `nodeId`). */
  putMember(record: MeshMemberRecord): void;

  // revocations: encoded entries, one per (meshId, revoked node id)
  listRevocations(meshId: string): Uint8Array[];
  /** False (and nothing stored) when the node was already revoked in that mesh. */
  addRevocation(meshId: string, nodeId: string, entry: Uint8Array): boolean;

  // peers to redial
  listKnownPeers(): KnownPeerRecord[];
  /** Insert or replace by `nodeId`. */
  putKnownPeer(record: KnownPeerRecord): void;
  deleteKnownPeer(nodeId: string): void;

  /** Forgets everything about a mesh: membership, key, invites, members, revocations. */
  deleteMesh(meshId: string): void;
}
