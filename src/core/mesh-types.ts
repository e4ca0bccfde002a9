/**
 * What the mesh engine reports and accepts, as plain data: peers and why they are (not) connected,
 * meshes and members, announcements, invoke requests and frames, drop counters. Declared in core
 * so the API and CLI can use them without depending on the mesh module.
 */
import type { MeshRole } from './mesh-identity.js';

/** How a connected peer is reached: LAN/loopback address, public address, or through a relay. */
export type PeerTransport = 'direct' | 'relayed' | 'lan';

/** Why a known peer is not connected (or was refused). */
export type PeerUnavailableReason = 'unreachable' | 'not_member' | 'revoked' | 'incompatible_version';

export interface MeshPeerInfo {
  readonly nodeId: string;
  readonly name: string;
  /** Meshes this node shares with the peer (verified credentials). */
  readonly meshIds: readonly string[];
  readonly addresses: readonly string[];
  /** A verified connection is open right now. */
  readonly connected: boolean;
  readonly transport: PeerTransport | null;
  readonly rttMs: number | null;
  /** Last valid heartbeat, announcement or live connection; null if never seen. */
  readonly lastSeenMs: number | null;
  readonly capabilityCount: number;
  /** Digest of the peer's capability document, if it announced one. */
  readonly digest: string | null;
  /** Set for peers that are not connected: the reason, as best known. */
  readonly reason: PeerUnavailableReason | null;
  /** A human sentence explaining `reason` (e.g. "handshake refused: not a member of any shared mesh"). */
  readonly detail: string | null;
}

export interface MeshInfo {
  readonly meshId: string;
  readonly name: string;
  readonly role: MeshRole;
  /** This node holds the mesh key. */
  readonly founder: boolean;
  /** Known members, this node included, revoked ones excluded. */
  readonly memberCount: number;
  readonly joinedAtMs: number;
}

export interface MeshMemberInfo {
  readonly nodeId: string;
  readonly name: string;
  readonly role: MeshRole;
  readonly self: boolean;
  readonly revoked: boolean;
  readonly connected: boolean;
  readonly lastSeenMs: number | null;
  readonly issuedAtMs: number;
  readonly serial: number;
}

export interface CreatedMesh {
  readonly meshId: string;
  readonly name: string;
}

export interface CreateInviteOptions {
  readonly meshId: string;
  /** Lifetime; default 24 h, at most 30 days. */
  readonly ttlMs?: number;
  /** Default 1. */
  readonly uses?: number;
  /** Default `member`. */
  readonly role?: MeshRole;
  /** Capability scope patterns granted; default `['*']`. */
  readonly scope?: readonly string[];
}

export interface CreatedInvite {
  /** `atm1.…` */
  readonly token: string;
  /** `atmosphere://join/atm1.…` */
  readonly link: string;
  readonly meshId: string;
  readonly meshName: string;
  readonly role: MeshRole;
  readonly scope: readonly string[];
  readonly maxUses: number;
  readonly expiresAtMs: number;
  /** Addresses embedded for the joiner to dial. */
  readonly addresses: readonly string[];
}

export interface JoinResult {
  readonly meshId: string;
  readonly meshName: string;
  readonly role: MeshRole;
  /** The admin node that redeemed the invite. */
  readonly issuerId: string;
}

/** A peer's capability announcement: small; the full document is fetched by digest. */
export interface MeshAnnouncement {
  readonly nodeId: string;
  readonly meshId: string;
  readonly name: string;
  /** Hex sha256 of the capability document bytes. */
  readonly digest: string;
  readonly capabilityCount: number;
  /** Small JSON summary chosen by the announcer (at most 8 KiB encoded). */
  readonly summary: unknown;
  readonly addresses: readonly string[];
  readonly timestampMs: number;
  /** The digest differs from the last one seen from this node (or it is the first). */
  readonly changed: boolean;
}

/** What this node announces about itself. */
export interface AnnouncementInput {
  readonly summary: unknown;
  /** The full capability document (any JSON), served by digest. */
  readonly document: unknown;
  readonly capabilityCount: number;
}

export interface MeshRevocationNotice {
  readonly meshId: string;
  readonly nodeId: string;
  readonly reason: string;
  readonly revokedAtMs: number;
  /** This node is the one revoked. */
  readonly self: boolean;
}

export interface InvokeRequest {
  /** What to run, e.g. a capability id or tool name; meaning is up to the handler. */
  readonly capability: string;
  readonly input: unknown;
  /** Restrict the call to one shared mesh (its exposure rules apply); default any shared mesh. */
  readonly meshId?: string;
}

export interface InvokeContext {
  /** The calling node. */
  readonly nodeId: string;
  /** Meshes shared with the caller (verified), or just `request.meshId` when given. */
  readonly meshIds: readonly string[];
  /** Aborted when the caller cancels, the stream breaks, the timeout passes or the node stops. */
  readonly signal: AbortSignal;
}

export interface InvokeFrame {
  readonly type: 'data';
  readonly data: unknown;
}

/** Serves invoke requests: yields the reply as a stream of JSON values. */
export type InvokeHandler = (request: InvokeRequest, context: InvokeContext) => AsyncIterable<unknown>;

/** Why an incoming message or stream was dropped. */
export type MeshDropReason =
  | 'malformed'
  | 'oversized'
  | 'bad_signature'
  | 'stale'
  | 'replayed'
  | 'not_member'
  | 'revoked'
  | 'unverified_peer'
  | 'origin_mismatch'
  | 'wrong_mesh'
  | 'stream_refused'
  | 'handshake_failed'
  | 'handshake_timeout';

export interface MeshStats {
  readonly dropped: Readonly<Record<MeshDropReason, number>>;
  readonly gossipAccepted: number;
  readonly gossipPublished: number;
  readonly handshakesOk: number;
  readonly invokesServed: number;
  /** Trigger events that reached nobody when published and were held for another try. */
  readonly eventsHeld: number;
  /** Held trigger events given up on (nobody could receive them within the window). */
  readonly eventsUndelivered: number;
}
