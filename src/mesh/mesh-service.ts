/**
 * `MeshService`: this node's presence on its meshes. It owns the libp2p node and enforces the
 * membership gate: every connection runs the handshake (`/atmosphere/handshake/1.0.0`) in which
 * both sides present credentials for a shared mesh; the credential binds the PeerId that Noise
 * already authenticated, so a valid credential is proof of membership. Until the handshake
 * succeeds none of our protocols answer (except invite redemption) and gossip from that peer is
 * dropped; a failed or missing handshake hangs up. On top: signed gossip (heartbeats,
 * announcements, revocations), invite redemption, revocation, capability documents by digest and
 * the streaming invoke protocol. Wire details: docs/PROTOCOLS.md.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { Message as GossipMessage } from '@libp2p/gossipsub';
import type { Connection, PeerId, PrivateKey, Stream } from '@libp2p/interface';
import { TypedEventEmitter } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Multiaddr } from '@multiformats/multiaddr';
import { multiaddr } from '@multiformats/multiaddr';
import type {
  AnnouncementInput,
  Clock,
  CreateInviteOptions,
  CreatedInvite,
  CreatedMesh,
  CryptoProvider,
  InvokeFrame,
  InvokeHandler,
  InvokeRequest,
  JoinResult,
  Logger,
  MeshAnnouncement,
  MeshDropReason,
  MeshInfo,
  MeshIssuer,
  MeshMemberInfo,
  MeshPeerInfo,
  MeshRevocationNotice,
  MeshStateRepository,
  MeshStats,
  MembershipCredential,
  NodeState,
  PeerUnavailableReason,
  RevocationEntry,
  Startable,
} from '../core/index.js';
import {
  AbortedError,
  AlreadyMemberError,
  AtmosphereError,
  CredentialInvalidError,
  DEFAULT_P2P_TCP_PORT,
  DEFAULT_P2P_WS_PORT,
  DEFAULT_SCOPE,
  HandshakeFailedError,
  IncompatibleVersionError,
  InvalidInputError,
  InvalidStateError,
  InviteExpiredError,
  InviteMalformedError,
  InviteMeshMismatchError,
  InviteTamperedError,
  InviteUnknownError,
  InviteUsesExhaustedError,
  MeshNotFoundError,
  MembershipRevokedError,
  MessageTooLargeError,
  NodeStartFailedError,
  NotFoundError,
  NotMeshAdminError,
  NotMeshMemberError,
  PeerUnreachableError,
  PortInUseError,
  ProtocolViolationError,
  RevocationInvalidError,
  RevocationSet,
  bytesEqual,
  createInviteToken,
  credentialFromText,
  credentialToText,
  decodeCredential,
  decodeRevocation,
  fromBase64Url,
  fromUtf8,
  inviteNonceHex,
  issueCredential,
  issueRevocation,
  meshIdFromPublicKey,
  nodeIdFromPublicKey,
  toAtmosphereError,
  toBase64Url,
  toHex,
  utf8,
  validateMeshName,
  verifyCredential,
  verifyInviteToken,
  verifyRevocation,
} from '../core/index.js';
import { PrivateKeySigner, decodeEd25519PrivateKey, encodePrivateKey, generateEd25519Key } from './keys.js';
import type { EnvelopeType, GossipEnvelope } from './envelope.js';
import {
  MAX_ENVELOPE_BYTES,
  MAX_ENVELOPE_TTL_MS,
  openEnvelope,
  sealEnvelope,
  verifyEnvelopeSignature,
} from './envelope.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameStream, encodeJsonFrame, parseJsonFrame } from './framing.js';
import { InvokeStreamPool, serveInvoke } from './invoke-protocol.js';
import { ThroughputMeter } from './transfer-rate.js';
import { abortError, raceSignal, unrefTimer, withTimeout } from './signals.js';
import { MeshCounters, ReplayGuard } from './gossip-guard.js';
import type { MeshLibp2p, MeshLibp2pFactory } from './libp2p-common.js';
import { REFUSED_PEER_SCORE, UNVERIFIED_PEER_SCORE } from './libp2p-common.js';
import type {
  CostUpdatePayload,
  EventPayload,
  HandshakeRefusalReason,
  Hello,
  HelloReply,
  TopicKind,
} from './messages.js';
import {
  AGENT,
  DOCUMENT_PROTOCOL,
  HANDSHAKE_PROTOCOL,
  INVOKE_PROTOCOL,
  JOIN_PROTOCOL,
  MAX_EVENT_PAYLOAD_BYTES,
  MAX_SUMMARY_BYTES,
  REVOCATIONS_PROTOCOL,
  TOPIC_KINDS,
  announcePayloadSchema,
  costUpdatePayloadSchema,
  eventPayloadSchema,
  documentReplySchema,
  documentRequestSchema,
  heartbeatPayloadSchema,
  helloReplySchema,
  helloSchema,
  joinReplySchema,
  joinRequestSchema,
  revocationsReplySchema,
  revocationsRequestSchema,
  topicFor,
  versionedSchema,
} from './messages.js';
import { CredentialCheck } from './credential-check.js';
import { SeenIds } from './seen-ids.js';
import { HeldEvents } from './held-events.js';
import { transportKind } from './transport-kind.js';

export interface MeshServiceComponents {
  /** The node's Ed25519 key: its PeerId is the node id, and it signs gossip. */
  readonly privateKey: PrivateKey;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly state: MeshStateRepository;
  /** `NodeCryptoProvider` on Node; WebCrypto-based in the browser. */
  readonly crypto: CryptoProvider;
  /** Builds the libp2p node: `createMeshLibp2p` on Node, the browser build's factory in the phone app. */
  readonly createLibp2p: MeshLibp2pFactory;
}

export interface MeshServiceInit {
  /** Human-readable node name sent to peers; default ''. */
  readonly name?: string;
  /** Default '0.0.0.0'. */
  readonly listenHost?: string;
  /** Default 7471; 0 picks a free port; null disables the TCP listener. */
  readonly tcpPort?: number | null;
  /** Default 7472; 0 picks a free port; null disables the WebSocket listener. */
  readonly wsPort?: number | null;
  /**
   * Certificate and key (PEM) for the WebSocket listener, which then serves WSS (`/tls/ws`): the
   * phone app on an `https:` page can dial nothing else. Default: none (plain `/ws`).
   */
  readonly wsTls?: { readonly key: string; readonly cert: string };
  /** LAN discovery, only ever active while this node belongs to a mesh. Default true. */
  readonly mdns?: boolean;
  /** Multiaddrs (with `/p2p/<id>`) dialed at start. */
  readonly bootstrap?: readonly string[];
  /** Serve as a circuit relay for other members. Default false. */
  readonly relay?: boolean;
  /**
   * Reserve a slot on relay-capable members and advertise the relayed address, for nodes behind
   * NAT. Default false.
   */
  readonly useRelays?: boolean;
  /**
   * A peer not heard from for this long leaves the view. Default 30 s. Grows with the heartbeat
   * period beyond `HEARTBEAT_FULL_RATE_MEMBERS` known members (see `heartbeatIntervalMs`).
   */
  readonly peerTimeoutMs?: number;
  /**
   * Heartbeat period on every mesh. Default a third of `peerTimeoutMs`, at most 10 s. Every member
   * hears every heartbeat, so their cost grows with the square of the mesh size: beyond
   * `HEARTBEAT_FULL_RATE_MEMBERS` known members the period (and `peerTimeoutMs`) grows in
   * proportion, so that a member hears at most that many heartbeats per period. Each period is
   * jittered by ±10% and the first falls at a random point of it, so members started together do
   * not heartbeat together.
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * Re-announcement period. Default 60 s. Grows with the heartbeat period beyond
   * `HEARTBEAT_FULL_RATE_MEMBERS` known members (every member hears every re-announcement; a
   * change is announced at once and heartbeats carry the current digest between two).
   */
  readonly announceIntervalMs?: number;
  /** Time a new connection has to complete the handshake. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Minimum time between dials to the same member. Default 10 s. */
  readonly redialIntervalMs?: number;
  /** Timeout of one dial. Default 10 s. */
  readonly dialTimeoutMs?: number;
  /** Longest an invoke handler may run. Default 10 min. */
  readonly invokeTimeoutMs?: number;
  /** Largest frame on the request/response protocols. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  /** How far in the future a gossip timestamp may be. Default 60 s. */
  readonly maxClockSkewMs?: number;
  /**
   * Members this node keeps direct connections to. It dials the members it hears of until this
   * many are connected and reaches the rest through gossip (an invoke still dials the member it
   * needs; inbound connections are always accepted). Default 16.
   */
  readonly targetPeers?: number;
}

export interface MeshServiceEvents {
  /** A member became visible (handshake or valid gossip). */
  'peer:joined': CustomEvent<MeshPeerInfo>;
  /** A member left the view (not heard from within `peerTimeoutMs`, revoked, or left a mesh). */
  'peer:left': CustomEvent<MeshPeerInfo>;
  announcement: CustomEvent<MeshAnnouncement>;
  revocation: CustomEvent<MeshRevocationNotice>;
  /** A member's trigger event, once per event id even when it arrives on several meshes. */
  event: CustomEvent<MeshEvent>;
  /** A member's `NODE_COST_UPDATE` (validated, signed by `originId`, newest per origin only). */
  cost: CustomEvent<MeshCostUpdate>;
}

/** A cost update received from a member. */
export interface MeshCostUpdate extends CostUpdatePayload {
  readonly originId: string;
  readonly meshId: string;
  readonly receivedAtMs: number;
}

/** A trigger event to publish (this node is its origin). */
export type MeshEventInput = EventPayload;

/** A trigger event received from a member (validated, signed by `originId`). */
export interface MeshEvent extends EventPayload {
  readonly originId: string;
  /** The mesh it arrived on first. */
  readonly meshId: string;
  readonly receivedAtMs: number;
}

export { MAX_EVENT_PAYLOAD_BYTES };

/** How long a trigger event may travel: older ones are stale and dropped. */
export const EVENT_TTL_MS = 2 * 60_000;

interface MeshContext {
  readonly meshId: string;
  readonly name: string;
  readonly meshPublicKey: Uint8Array;
  readonly credential: MembershipCredential;
  readonly joinedAtMs: number;
  readonly revocations: RevocationSet;
}

type GateStatus = 'pending' | 'verified' | 'refused';

interface ConnectionGate {
  readonly connection: Connection;
  status: GateStatus;
  readonly settled: Promise<boolean>;
  settle(ok: boolean): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Handshake exchanges running on this connection (either side). */
  handshakes: number;
}

interface PeerRecord {
  readonly nodeId: string;
  name: string;
  addresses: string[];
  /** Verified credentials of this peer, by mesh id (only meshes this node belongs to). */
  readonly credentials: Map<string, MembershipCredential>;
  lastSeenMs: number | null;
  inView: boolean;
  capabilityCount: number;
  digest: string | null;
  summary: unknown;
  announcedAtMs: number | null;
  announcedMeshId: string | null;
  reason: PeerUnavailableReason | null;
  detail: string | null;
  lastDialMs: number;
  /** Failed dials and refused handshakes in a row; backs redials off exponentially. */
  failures: number;
  touchedMs: number;
  /** Round trip of the last ping over the verified connection (measured each heartbeat). */
  rttMs: number | null;
}

interface DocumentVersion {
  readonly digest: string;
  readonly text: string;
}

const DEFAULTS = {
  listenHost: '0.0.0.0',
  peerTimeoutMs: 30_000,
  heartbeatIntervalMs: 10_000,
  announceIntervalMs: 60_000,
  handshakeTimeoutMs: 10_000,
  redialIntervalMs: 10_000,
  dialTimeoutMs: 10_000,
  invokeTimeoutMs: 10 * 60_000,
  inviteTtlMs: 24 * 60 * 60_000,
  targetPeers: 16,
};
/** Members a node keeps direct connections to unless `targetPeers` says otherwise. */
export const DEFAULT_TARGET_PEERS = DEFAULTS.targetPeers;
/** Dials to members that one node keeps in flight at once (beyond them, the next sweep dials). */
const MAX_CONCURRENT_DIALS = 4;
/** Strangers (no shared mesh) are forgotten after this long. */
const STRANGER_RETENTION_MS = 10 * 60_000;
const MAX_STRANGERS = 256;
const JOIN_ATTEMPTS_PER_MINUTE = 10;
const ANNOUNCE_AFTER_JOIN_MS = 1_100;
/**
 * Known members up to which heartbeats keep their configured period; beyond, the period and the
 * peer timeout grow in proportion, so that a member hears no more heartbeats per period than it
 * has direct connections by default (`DEFAULT_TARGET_PEERS`): 1.6 a second mesh-wide at the 10 s
 * default, whatever the mesh size. A mesh of that size is fully connected, and a connected member's
 * liveness comes from its connection; the heartbeats keep members beyond it in view.
 */
export const HEARTBEAT_FULL_RATE_MEMBERS = 16;
/** Each heartbeat period is drawn from ±this fraction of the period. */
const HEARTBEAT_JITTER = 0.1;
/** Re-announcements for new members: at least this much apart per member in view (see `scheduleAnnounce`). */
const ANNOUNCE_SPACING_PER_MEMBER_MS = 200;
const MAX_INVITE_ADDRESSES = 4;

function deferred(): { promise: Promise<boolean>; resolve: (ok: boolean) => void } {
  let resolve!: (ok: boolean) => void;
  const promise = new Promise<boolean>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isEd25519PeerKey(peerId: PeerId): Uint8Array | undefined {
  return peerId.type === 'Ed25519' ? peerId.publicKey.raw : undefined;
}

const JOIN_ERRORS: Record<
  string,
  new (message: string, options?: { details?: Record<string, unknown> }) => AtmosphereError
> = {
  invite_malformed: InviteMalformedError,
  invite_tampered: InviteTamperedError,
  invite_expired: InviteExpiredError,
  invite_mesh_mismatch: InviteMeshMismatchError,
  invite_uses_exhausted: InviteUsesExhaustedError,
  invite_unknown: InviteUnknownError,
  membership_revoked: MembershipRevokedError,
  not_mesh_admin: NotMeshAdminError,
  not_member: NotMeshMemberError,
  credential_invalid: CredentialInvalidError,
};

export class MeshService extends TypedEventEmitter<MeshServiceEvents> implements Startable {
  private readonly privateKey: PrivateKey;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly state: MeshStateRepository;
  private readonly crypto: CryptoProvider;
  private readonly createLibp2p: MeshLibp2pFactory;
  private readonly signer: PrivateKeySigner;
  private readonly settings: Required<Omit<MeshServiceInit, 'tcpPort' | 'wsPort' | 'wsTls' | 'bootstrap'>> & {
    tcpPort: number | null;
    wsPort: number | null;
    wsTls: { readonly key: string; readonly cert: string } | null;
    bootstrap: readonly string[];
  };
  private readonly guard: ReplayGuard;
  private readonly counters = new MeshCounters();
  /** Transfer rate of large invoke reply frames from any peer (`transfer-rate.ts`). */
  private readonly throughput = new ThroughputMeter();
  /** Invoke streams kept open between calls (see invoke-protocol.ts). */
  private readonly invokeStreams = new InvokeStreamPool();
  /** Trigger event envelopes seen (origin, mesh, timestamp, seq): replays within the TTL. */
  private readonly seenEventEnvelopes: SeenIds;
  /** Trigger event ids seen (origin, event id): one `event` per event across meshes. */
  private readonly seenEventIds: SeenIds;
  /** Trigger events published while no member could receive them, sent again once one can. */
  private readonly heldEvents: HeldEvents;

  /** This node's id (its libp2p PeerId string). */
  readonly nodeId: string;

  private libp2p: MeshLibp2p | undefined;
  private currentStatus: NodeState = 'stopped';
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private readonly meshContexts = new Map<string, MeshContext>();
  private readonly gates = new Map<string, ConnectionGate>();
  private readonly peerRecords = new Map<string, PeerRecord>();
  /** Issuers this node is joining through: no automatic handshake towards them meanwhile. */
  private readonly joining = new Set<string>();
  private readonly dialing = new Set<string>();
  private wantsMorePeersMemo = { atMs: -1, gates: -1, dialing: -1, value: false };
  /** Gossip's membership check, each credential's signatures verified once. */
  private readonly credentialCheck: CredentialCheck;
  private readonly joinAttempts = new Map<string, number[]>();
  /** Aborted when the service stops; running invoke handlers listen to it. */
  private stopController = new AbortController();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private announceTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private reannounceTimer: ReturnType<typeof setTimeout> | undefined;
  private lastAnnounceMs = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private invokeHandler: InvokeHandler | undefined;
  private announcement: { payload: AnnouncementInput; current: DocumentVersion } | undefined;
  private previousDocument: DocumentVersion | undefined;

  constructor(components: MeshServiceComponents, init: MeshServiceInit = {}) {
    super();
    this.privateKey = components.privateKey;
    this.signer = new PrivateKeySigner(components.privateKey);
    this.nodeId = nodeIdFromPublicKey(this.signer.publicKey);
    this.log = components.logger;
    this.clock = components.clock;
    this.state = components.state;
    this.crypto = components.crypto;
    this.credentialCheck = new CredentialCheck(this.crypto);
    this.createLibp2p = components.createLibp2p;
    const peerTimeoutMs = init.peerTimeoutMs ?? DEFAULTS.peerTimeoutMs;
    const heartbeatIntervalMs =
      init.heartbeatIntervalMs ?? Math.min(DEFAULTS.heartbeatIntervalMs, Math.round(peerTimeoutMs / 3));
    this.settings = {
      name: init.name ?? '',
      listenHost: init.listenHost ?? DEFAULTS.listenHost,
      tcpPort: init.tcpPort === undefined ? DEFAULT_P2P_TCP_PORT : init.tcpPort,
      wsPort: init.wsPort === undefined ? DEFAULT_P2P_WS_PORT : init.wsPort,
      wsTls: init.wsTls ?? null,
      mdns: init.mdns ?? true,
      bootstrap: init.bootstrap ?? [],
      relay: init.relay ?? false,
      useRelays: init.useRelays ?? false,
      peerTimeoutMs,
      heartbeatIntervalMs,
      announceIntervalMs: init.announceIntervalMs ?? DEFAULTS.announceIntervalMs,
      handshakeTimeoutMs: init.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
      redialIntervalMs: init.redialIntervalMs ?? DEFAULTS.redialIntervalMs,
      dialTimeoutMs: init.dialTimeoutMs ?? DEFAULTS.dialTimeoutMs,
      invokeTimeoutMs: init.invokeTimeoutMs ?? DEFAULTS.invokeTimeoutMs,
      maxFrameBytes: init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxClockSkewMs: init.maxClockSkewMs ?? 60_000,
      targetPeers: Math.max(1, init.targetPeers ?? DEFAULTS.targetPeers),
    };
    this.guard = new ReplayGuard({ clock: this.clock }, { maxClockSkewMs: this.settings.maxClockSkewMs });
    this.seenEventEnvelopes = new SeenIds({ clock: this.clock });
    this.seenEventIds = new SeenIds({ clock: this.clock });
    this.heldEvents = new HeldEvents({
      clock: this.clock,
      republish: async (topic, envelope) => {
        const pubsub = this.libp2p?.services.pubsub;
        if (pubsub === undefined || this.currentStatus !== 'started') return 0;
        const { recipients } = await pubsub.publish(topic, envelope);
        if (recipients.length > 0) this.counters.gossipPublished++;
        return recipients.length;
      },
      hasSubscribers: (topic) => (this.libp2p?.services.pubsub.getSubscribers(topic).length ?? 0) > 0,
      onDropped: (count) => {
        this.counters.eventsUndelivered += count;
      },
    });
  }

  get status(): NodeState {
    return this.currentStatus;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.currentStatus === 'started') return;
    if (this.stopPromise !== undefined) await this.stopPromise;
    this.startPromise ??= this.doStart(options).finally(() => {
      this.startPromise = undefined;
    });
    await this.startPromise;
  }

  private async doStart(options: { signal?: AbortSignal }): Promise<void> {
    this.currentStatus = 'starting';
    this.stopController = new AbortController();
    try {
      this.loadMeshes();
      const libp2p = await this.createLibp2p({
        privateKey: this.privateKey,
        listenHost: this.settings.listenHost,
        tcpPort: this.settings.tcpPort,
        wsPort: this.settings.wsPort,
        ...(this.settings.wsTls === null ? {} : { wsTls: this.settings.wsTls }),
        relay: this.settings.relay,
        useRelays: this.settings.useRelays,
        appScore: (peerId) => this.gossipScore(peerId),
        isRefused: (peerId) => this.isRefusedEverywhere(peerId.toString()),
        mayUseRelay: (peerId) => this.peerGateStatus(peerId.toString()) === 'verified',
      });
      this.libp2p = libp2p;
      libp2p.addEventListener('connection:open', (event) => {
        this.onConnectionOpen(event.detail);
      });
      libp2p.addEventListener('connection:close', (event) => {
        this.onConnectionClose(event.detail);
      });
      // a member subscribing to an event topic may receive events that so far reached nobody
      libp2p.services.pubsub.addEventListener('subscription-change', (event) => {
        for (const { topic, subscribe } of event.detail.subscriptions) {
          if (subscribe) this.heldEvents.nudge(topic);
        }
      });
      libp2p.services.mdns.onPeer((peer) => {
        if (peer.id.toString() === this.nodeId || this.hasOpenConnection(peer.id.toString())) return;
        libp2p
          .dial(peer.multiaddrs, { signal: AbortSignal.timeout(this.settings.dialTimeoutMs) })
          .catch((err: unknown) => {
            this.log.debug({ peer: peer.id.toString(), err: errorMessage(err) }, 'mDNS peer not dialable');
          });
      });
      const openOptions = { maxInboundStreams: 256, maxOutboundStreams: 256 };
      await libp2p.handle(
        HANDSHAKE_PROTOCOL,
        (stream, connection) =>
          this.handshaking(connection, async () => {
            await this.onHandshakeStream(stream, connection);
          }),
        {
          ...openOptions,
          runOnLimitedConnection: true,
        },
      );
      await libp2p.handle(JOIN_PROTOCOL, (stream, connection) => this.onJoinStream(stream, connection), {
        runOnLimitedConnection: true,
      });
      await libp2p.handle(
        REVOCATIONS_PROTOCOL,
        (stream, connection) => this.onRevocationsStream(stream, connection),
        {
          runOnLimitedConnection: true,
        },
      );
      await libp2p.handle(DOCUMENT_PROTOCOL, (stream, connection) =>
        this.onDocumentStream(stream, connection),
      );
      await libp2p.handle(
        INVOKE_PROTOCOL,
        (stream, connection) => this.onInvokeStream(stream, connection),
        openOptions,
      );
      if (options.signal?.aborted === true) throw abortError(options.signal, 'start');
      try {
        await libp2p.start();
      } catch (err) {
        if (/EADDRINUSE/.test(errorMessage(err))) {
          throw new PortInUseError(
            `mesh port already in use (tcp ${this.settings.tcpPort}, ws ${this.settings.wsPort})`,
            {
              cause: err,
            },
          );
        }
        throw err;
      }
      for (const ctx of this.meshContexts.values()) this.subscribe(ctx.meshId);
      this.scheduleHeartbeat(true);
      this.timers.push(
        setInterval(
          () => {
            this.sweep();
          },
          Math.max(50, Math.min(1_000, this.settings.peerTimeoutMs / 5)),
        ),
      );
      this.scheduleReannounce();
      for (const timer of this.timers) unrefTimer(timer);
      this.currentStatus = 'started';
      this.loadPeersFromState();
      await this.updateMdns();
      this.dialBootstrap();
      this.log.info(
        { nodeId: this.nodeId, addresses: this.addresses(), meshes: this.meshContexts.size },
        'mesh started',
      );
    } catch (err) {
      await this.teardown();
      this.currentStatus = 'stopped';
      if (err instanceof AtmosphereError) throw err;
      throw new NodeStartFailedError(`mesh failed to start: ${errorMessage(err)}`, { cause: err });
    }
  }

  async stop(_options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.startPromise !== undefined) await this.startPromise.catch(() => undefined);
    if (this.currentStatus === 'stopped') return;
    this.stopPromise ??= (async () => {
      this.currentStatus = 'stopping';
      await this.teardown();
      this.currentStatus = 'stopped';
      this.log.info('mesh stopped');
    })().finally(() => {
      this.stopPromise = undefined;
    });
    await this.stopPromise;
  }

  private async teardown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    if (this.announceTimer !== undefined) clearTimeout(this.announceTimer);
    this.announceTimer = undefined;
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    if (this.reannounceTimer !== undefined) clearTimeout(this.reannounceTimer);
    this.reannounceTimer = undefined;
    this.stopController.abort(new AbortedError('the mesh node is stopping'));
    this.invokeStreams.clear();
    this.heldEvents.clear();
    for (const gate of this.gates.values()) {
      if (gate.timer !== undefined) clearTimeout(gate.timer);
      gate.settle(false);
    }
    this.gates.clear();
    const libp2p = this.libp2p;
    this.libp2p = undefined;
    if (libp2p !== undefined) {
      try {
        await libp2p.stop();
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'libp2p stop failed');
      }
    }
    this.peerRecords.clear();
    this.dialing.clear();
    this.joining.clear();
  }

  private requireStarted(): MeshLibp2p {
    if (this.currentStatus !== 'started' || this.libp2p === undefined) {
      throw new InvalidStateError('the mesh service is not started');
    }
    return this.libp2p;
  }

  /** Listen addresses, with `/p2p/<nodeId>`; empty while stopped. */
  addresses(): string[] {
    return this.libp2p?.getMultiaddrs().map((ma) => ma.toString()) ?? [];
  }

  stats(): MeshStats {
    return this.counters.snapshot();
  }

  // ---- meshes ------------------------------------------------------------------------------

  private loadMeshes(): void {
    this.meshContexts.clear();
    for (const record of this.state.listMemberships()) {
      try {
        const credential = decodeCredential(record.credential);
        const revocations = new RevocationSet(record.meshId);
        for (const bytes of this.state.listRevocations(record.meshId)) {
          try {
            revocations.add(decodeRevocation(bytes));
          } catch (err) {
            this.log.warn(
              { meshId: record.meshId, err: errorMessage(err) },
              'ignoring a stored revocation entry',
            );
          }
        }
        this.meshContexts.set(record.meshId, {
          meshId: record.meshId,
          name: record.meshName,
          meshPublicKey: record.meshPublicKey,
          credential,
          joinedAtMs: record.joinedAtMs,
          revocations,
        });
      } catch (err) {
        this.log.error(
          { meshId: record.meshId, err: errorMessage(err) },
          'stored membership is unreadable; skipped',
        );
      }
    }
  }

  private loadPeersFromState(): void {
    for (const ctx of this.meshContexts.values()) {
      for (const member of this.state.listMembers(ctx.meshId)) {
        if (member.nodeId === this.nodeId || ctx.revocations.has(member.nodeId)) continue;
        try {
          const credential = decodeCredential(member.credential);
          const peer = this.peer(member.nodeId);
          peer.credentials.set(ctx.meshId, credential);
          if (peer.name === '') peer.name = member.name;
          peer.lastSeenMs ??= member.lastSeenMs;
        } catch {
          // a corrupt record is ignored; the peer re-proves membership in its next handshake
        }
      }
    }
    for (const known of this.state.listKnownPeers()) {
      if (known.nodeId === this.nodeId) continue;
      const peer = this.peer(known.nodeId);
      if (peer.addresses.length === 0) peer.addresses = [...known.addresses];
      if (peer.name === '') peer.name = known.name;
    }
  }

  /** Creates a mesh with a fresh mesh key; this node becomes its founder and first admin. */
  async createMesh(name: string, _options: { signal?: AbortSignal } = {}): Promise<CreatedMesh> {
    try {
      validateMeshName(name);
    } catch (err) {
      throw new InvalidInputError(`invalid mesh name: ${errorMessage(err)}`, { cause: err });
    }
    const meshKey = await generateEd25519Key();
    const meshSigner = new PrivateKeySigner(meshKey);
    const meshId = meshIdFromPublicKey(this.crypto, meshSigner.publicKey);
    const now = this.clock.now();
    const credential = await issueCredential(
      {
        meshId,
        memberPublicKey: this.signer.publicKey,
        role: 'admin',
        scope: DEFAULT_SCOPE,
        issuedAtMs: now,
        serial: this.state.nextCredentialSerial(meshId),
      },
      { signer: meshSigner, authority: { kind: 'mesh-key' } },
    );
    this.state.putMeshPrivateKey(meshId, encodePrivateKey(meshKey));
    this.state.putMembership({
      meshId,
      meshName: name,
      meshPublicKey: meshSigner.publicKey,
      credential: credential.bytes,
      role: 'admin',
      joinedAtMs: now,
    });
    this.state.putMember({
      meshId,
      nodeId: this.nodeId,
      credential: credential.bytes,
      role: 'admin',
      name: this.settings.name,
      lastSeenMs: now,
    });
    this.addMeshContext({
      meshId,
      name,
      meshPublicKey: meshSigner.publicKey,
      credential,
      joinedAtMs: now,
      revocations: new RevocationSet(meshId),
    });
    this.log.info({ meshId, name }, 'mesh created');
    return { meshId, name };
  }

  private addMeshContext(ctx: MeshContext): void {
    this.meshContexts.set(ctx.meshId, ctx);
    if (this.currentStatus === 'started') {
      this.subscribe(ctx.meshId);
      this.updateMdns().catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, 'mDNS update failed');
      });
    }
  }

  /** The meshes this node belongs to. */
  meshes(): MeshInfo[] {
    return [...this.meshContexts.values()].map((ctx) => ({
      meshId: ctx.meshId,
      name: ctx.name,
      role: ctx.credential.role,
      founder: this.state.getMeshPrivateKey(ctx.meshId) !== undefined,
      memberCount: this.members(ctx.meshId).filter((m) => !m.revoked).length,
      joinedAtMs: ctx.joinedAtMs,
    }));
  }

  /** Known members of a mesh, this node included. */
  members(meshId: string): MeshMemberInfo[] {
    const ctx = this.mesh(meshId);
    const out = new Map<string, MeshMemberInfo>();
    const add = (
      nodeId: string,
      credential: MembershipCredential,
      name: string,
      lastSeenMs: number | null,
    ): void => {
      const self = nodeId === this.nodeId;
      out.set(nodeId, {
        nodeId,
        name: self ? this.settings.name : name,
        role: credential.role,
        self,
        revoked: ctx.revocations.has(nodeId),
        connected: self || this.verifiedConnection(nodeId) !== undefined,
        lastSeenMs: self ? this.clock.now() : lastSeenMs,
        issuedAtMs: credential.issuedAtMs,
        serial: credential.serial,
      });
    };
    for (const record of this.state.listMembers(meshId)) {
      try {
        add(record.nodeId, decodeCredential(record.credential), record.name, record.lastSeenMs);
      } catch {
        // unreadable record: skipped
      }
    }
    for (const peer of this.peerRecords.values()) {
      const credential = peer.credentials.get(meshId);
      if (credential !== undefined) add(peer.nodeId, credential, peer.name, peer.lastSeenMs);
    }
    add(this.nodeId, ctx.credential, this.settings.name, null);
    return [...out.values()];
  }

  private mesh(meshId: string): MeshContext {
    const ctx = this.meshContexts.get(meshId);
    if (ctx === undefined)
      throw new MeshNotFoundError(`this node is not a member of ${meshId}`, { details: { meshId } });
    return ctx;
  }

  private issuerFor(ctx: MeshContext): MeshIssuer | undefined {
    const keyBytes = this.state.getMeshPrivateKey(ctx.meshId);
    if (keyBytes !== undefined) {
      return {
        signer: new PrivateKeySigner(decodeEd25519PrivateKey(keyBytes)),
        authority: { kind: 'mesh-key' },
      };
    }
    if (ctx.credential.role === 'admin' && ctx.credential.authority.kind === 'mesh-key') {
      return { signer: this.signer, authority: { kind: 'admin', adminCredential: ctx.credential } };
    }
    return undefined;
  }

  /** Leaves a mesh: forgets its credential, members and revocations (and its key, for a founder). */
  async leave(meshId: string, _options: { signal?: AbortSignal } = {}): Promise<void> {
    this.mesh(meshId);
    this.dropMesh(meshId);
    this.log.info({ meshId }, 'left mesh');
    await this.updateMdns();
  }

  private dropMesh(meshId: string): void {
    this.meshContexts.delete(meshId);
    this.state.deleteMesh(meshId);
    if (this.libp2p !== undefined) this.unsubscribe(meshId);
    this.heldEvents.dropTopic(topicFor(meshId, 'event'));
    for (const peer of this.peerRecords.values()) {
      if (!peer.credentials.delete(meshId)) continue;
      if (peer.credentials.size === 0) {
        this.hangUpPeer(peer.nodeId, 'not_member', `no longer shares a mesh (left ${meshId})`);
      }
    }
  }

  // ---- invites -----------------------------------------------------------------------------

  /** Signs an invite for `meshId`; needs the mesh key or an admin credential. */
  async createInvite(
    options: CreateInviteOptions,
    _options: { signal?: AbortSignal } = {},
  ): Promise<CreatedInvite> {
    this.requireStarted();
    const ctx = this.mesh(options.meshId);
    const issuer = this.issuerFor(ctx);
    if (issuer === undefined) throw new NotMeshAdminError(`only admins of ${ctx.meshId} can invite`);
    const role = options.role ?? 'member';
    if (role === 'admin' && issuer.authority.kind !== 'mesh-key') {
      throw new NotMeshAdminError('only the mesh founder (holder of the mesh key) can invite admins');
    }
    const now = this.clock.now();
    const ttlMs = options.ttlMs ?? DEFAULTS.inviteTtlMs;
    const maxUses = options.uses ?? 1;
    const scope = options.scope ?? DEFAULT_SCOPE;
    const addresses = this.inviteAddresses();
    const invite = await createInviteToken(
      {
        meshPublicKey: ctx.meshPublicKey,
        meshName: ctx.name,
        issuerPublicKey: this.signer.publicKey,
        role,
        scope,
        issuedAtMs: now,
        expiresAtMs: now + ttlMs,
        maxUses,
        nonce: this.crypto.randomBytes(16),
        addresses,
      },
      issuer,
      { crypto: this.crypto },
    );
    this.state.putIssuedInvite({
      nonce: inviteNonceHex(invite),
      meshId: ctx.meshId,
      role,
      maxUses,
      issuedAtMs: now,
      expiresAtMs: invite.expiresAtMs,
      uses: 0,
      redeemedBy: [],
    });
    this.log.info({ meshId: ctx.meshId, role, maxUses, expiresAtMs: invite.expiresAtMs }, 'invite created');
    return {
      token: invite.text,
      link: `atmosphere://join/${invite.text}`,
      meshId: ctx.meshId,
      meshName: ctx.name,
      role,
      scope: invite.scope,
      maxUses,
      expiresAtMs: invite.expiresAtMs,
      addresses,
    };
  }

  /**
   * Up to 4 of our addresses without the trailing `/p2p/<us>`: direct before relayed, TCP before
   * WebSocket (at least one WebSocket address when there is one), and loopback only when there is
   * nothing else.
   */
  private inviteAddresses(): string[] {
    const all = (this.libp2p?.getMultiaddrs() ?? []).map((ma) => ma.toString().replace(/\/p2p\/[^/]+$/, ''));
    const loopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/');
    const rank = (a: string): number => (a.includes('/p2p-circuit') ? 4 : 0) + (a.includes('/ws') ? 1 : 0);
    const unique = [...new Set(all)].sort((a, b) => rank(a) - rank(b));
    const nonLoopback = unique.filter((a) => !loopback(a));
    const candidates = nonLoopback.length > 0 ? nonLoopback : unique;
    const chosen = candidates.slice(0, MAX_INVITE_ADDRESSES);
    // a browser (the phone app) can dial nothing but WebSocket: keep one even when TCP fills the list
    const webSocket = candidates.find((a) => a.endsWith('/ws') && !a.includes('/p2p-circuit'));
    if (webSocket !== undefined && !chosen.includes(webSocket)) chosen[chosen.length - 1] = webSocket;
    return chosen;
  }

  /**
   * Joins a mesh: verifies the token offline, dials the issuer, redeems the invite over
   * `/atmosphere/join/1.0.0`, checks and stores the credential, then runs the handshake.
   */
  async join(token: string, options: { signal?: AbortSignal } = {}): Promise<JoinResult> {
    const libp2p = this.requireStarted();
    const invite = await verifyInviteToken(token, { crypto: this.crypto, clock: this.clock });
    if (this.meshContexts.has(invite.meshId)) {
      throw new AlreadyMemberError(`this node is already a member of ${invite.meshId}`, {
        details: { meshId: invite.meshId },
      });
    }
    if (invite.issuerId === this.nodeId) {
      throw new AlreadyMemberError('this invite was issued by this node');
    }
    const issuerPeer = peerIdFromString(invite.issuerId);
    let addrs: Multiaddr[];
    try {
      addrs = invite.addresses.map((a) => multiaddr(`${a}/p2p/${invite.issuerId}`));
    } catch (err) {
      throw new InviteMalformedError(`invite carries an invalid address: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    this.joining.add(invite.issuerId);
    try {
      let connection = libp2p.getConnections(issuerPeer).find((c) => c.status === 'open');
      const errors: string[] = [];
      for (const addr of connection === undefined ? addrs : []) {
        try {
          connection = await libp2p.dial(addr, {
            signal: withTimeout(options.signal, this.settings.dialTimeoutMs),
          });
          break;
        } catch (err) {
          if (options.signal?.aborted === true) throw abortError(options.signal, 'join');
          errors.push(`${addr.toString()}: ${errorMessage(err)}`);
        }
      }
      if (connection === undefined) {
        throw new PeerUnreachableError(
          `could not reach the inviting node at any of its ${addrs.length} addresses`,
          {
            details: { issuerId: invite.issuerId, errors },
          },
        );
      }
      const signal = withTimeout(options.signal, this.settings.handshakeTimeoutMs);
      let stream: Stream;
      try {
        stream = await connection.newStream(JOIN_PROTOCOL, { signal, runOnLimitedConnection: true });
      } catch (err) {
        if (options.signal?.aborted === true) throw err;
        // the connection was being hung up (the issuer refusing an earlier redial of a node that
        // joins again, which libp2p hands back instead of a new one): dial afresh, once
        connection = await libp2p.dial(addrs, {
          force: true,
          signal: withTimeout(options.signal, this.settings.dialTimeoutMs),
        });
        stream = await connection.newStream(JOIN_PROTOCOL, { signal, runOnLimitedConnection: true });
      }
      const frames = new FrameStream(stream, { maxFrameBytes: this.settings.maxFrameBytes });
      let reply;
      try {
        await frames.writeJson({ v: 1, token: invite.text }, { signal });
        reply = await frames.readJson(joinReplySchema, { signal, what: 'join reply' });
      } finally {
        await frames.closeWrite();
      }
      if (!reply.ok) {
        const ErrorClass = JOIN_ERRORS[reply.code];
        const details = { meshId: invite.meshId, remoteCode: reply.code };
        if (ErrorClass !== undefined) throw new ErrorClass(reply.message, { details });
        throw new HandshakeFailedError(`the inviting node refused: ${reply.message}`, { details });
      }
      const credential = await verifyCredential(credentialFromText(reply.credential), {
        crypto: this.crypto,
        meshPublicKey: invite.meshPublicKey,
        memberPublicKey: this.signer.publicKey,
      });
      const revocations = new RevocationSet(invite.meshId);
      for (const text of reply.revocations) {
        try {
          const entry = await verifyRevocation(decodeRevocation(fromBase64Url(text)), {
            crypto: this.crypto,
            meshPublicKey: invite.meshPublicKey,
            isRevoked: (id) => revocations.has(id),
          });
          revocations.add(entry);
        } catch (err) {
          this.log.warn({ err: errorMessage(err) }, 'ignoring an invalid revocation entry from the issuer');
        }
      }
      const now = this.clock.now();
      this.state.putMembership({
        meshId: invite.meshId,
        meshName: invite.meshName,
        meshPublicKey: invite.meshPublicKey,
        credential: credential.bytes,
        role: credential.role,
        joinedAtMs: now,
      });
      for (const entry of revocations.entries())
        this.state.addRevocation(invite.meshId, entry.revokedId, entry.bytes);
      this.state.putMember({
        meshId: invite.meshId,
        nodeId: this.nodeId,
        credential: credential.bytes,
        role: credential.role,
        name: this.settings.name,
        lastSeenMs: now,
      });
      this.addMeshContext({
        meshId: invite.meshId,
        name: invite.meshName,
        meshPublicKey: invite.meshPublicKey,
        credential,
        joinedAtMs: now,
        revocations,
      });
      this.joining.delete(invite.issuerId);
      const joined = connection;
      const ok = await this.handshaking(joined, () => this.runHandshake(joined, { signal: options.signal }));
      if (!ok) {
        this.log.warn({ issuerId: invite.issuerId }, 'joined, but the handshake with the issuer failed');
      }
      this.log.info({ meshId: invite.meshId, role: credential.role }, 'joined mesh');
      return {
        meshId: invite.meshId,
        meshName: invite.meshName,
        role: credential.role,
        issuerId: invite.issuerId,
      };
    } catch (err) {
      if (err instanceof AtmosphereError) throw err;
      if (options.signal?.aborted === true) throw abortError(options.signal, 'join');
      throw new PeerUnreachableError(`lost the connection to the inviting node: ${errorMessage(err)}`, {
        cause: err,
        details: { issuerId: invite.issuerId },
      });
    } finally {
      this.joining.delete(invite.issuerId);
    }
  }

  private async onJoinStream(stream: Stream, connection: Connection): Promise<void> {
    const remoteId = connection.remotePeer.toString();
    const now = this.clock.now();
    const attempts = (this.joinAttempts.get(remoteId) ?? []).filter((t) => t > now - 60_000);
    attempts.push(now);
    this.joinAttempts.set(remoteId, attempts);
    if (attempts.length > JOIN_ATTEMPTS_PER_MINUTE) {
      this.counters.drop('stream_refused');
      stream.abort(new AbortedError('too many join attempts'));
      return;
    }
    const frames = new FrameStream(stream, { maxFrameBytes: 16 * 1024 });
    const signal = AbortSignal.timeout(this.settings.handshakeTimeoutMs);
    try {
      const request = await frames.readJson(joinRequestSchema, { signal, what: 'join request' });
      let reply;
      try {
        reply = await this.redeem(request.token, connection);
      } catch (err) {
        const error = toAtmosphereError(err);
        this.log.info({ peer: remoteId, code: error.code }, 'invite redemption refused');
        reply = { v: 1, ok: false, code: error.code, message: error.message };
      }
      await frames.writeJson(reply, { signal });
      await frames.closeWrite({ signal });
    } catch (err) {
      this.counters.drop('malformed');
      stream.abort(toAtmosphereError(err));
    }
  }

  private async redeem(token: string, connection: Connection): Promise<unknown> {
    const remoteId = connection.remotePeer.toString();
    const invite = await verifyInviteToken(token, { crypto: this.crypto, clock: this.clock });
    const ctx = this.meshContexts.get(invite.meshId);
    if (ctx === undefined) throw new InviteUnknownError('this node is no longer a member of that mesh');
    const issuer = this.issuerFor(ctx);
    if (issuer === undefined) throw new NotMeshAdminError('this node is no longer an admin of that mesh');
    if (!bytesEqual(invite.issuerPublicKey, this.signer.publicKey)) {
      throw new InviteUnknownError('this invite was issued by another node');
    }
    const remoteKey = isEd25519PeerKey(connection.remotePeer);
    if (remoteKey === undefined) throw new CredentialInvalidError('only Ed25519 nodes can join');
    if (ctx.revocations.has(remoteId)) {
      throw new MembershipRevokedError('this node was revoked from the mesh and cannot rejoin', {
        details: { meshId: ctx.meshId },
      });
    }
    const redemption = this.state.redeemInvite(inviteNonceHex(invite), remoteId);
    if (redemption.status === 'unknown')
      throw new InviteUnknownError('this node has no record of that invite');
    if (redemption.status === 'exhausted') {
      throw new InviteUsesExhaustedError(`the invite was already used ${redemption.uses} time(s)`, {
        details: { meshId: ctx.meshId, uses: redemption.uses },
      });
    }
    const now = this.clock.now();
    const credential = await issueCredential(
      {
        meshId: ctx.meshId,
        memberPublicKey: remoteKey,
        role: invite.role,
        scope: invite.scope,
        issuedAtMs: now,
        serial: this.state.nextCredentialSerial(ctx.meshId),
      },
      issuer,
    );
    this.state.putMember({
      meshId: ctx.meshId,
      nodeId: remoteId,
      credential: credential.bytes,
      role: credential.role,
      name: '',
      lastSeenMs: now,
    });
    this.log.info(
      { meshId: ctx.meshId, peer: remoteId, role: credential.role, uses: redemption.uses },
      'invite redeemed',
    );
    return {
      v: 1,
      ok: true,
      meshName: ctx.name,
      credential: credentialToText(credential),
      revocations: ctx.revocations.entries().map((entry) => toBase64Url(entry.bytes)),
    };
  }

  // ---- connections and the membership gate ---------------------------------------------

  private gossipScore(peerId: string): number {
    const status = this.peerGateStatus(peerId);
    if (status === 'verified') return 0;
    if (status === 'refused') return REFUSED_PEER_SCORE;
    return UNVERIFIED_PEER_SCORE;
  }

  private peerGateStatus(peerId: string): GateStatus | undefined {
    let result: GateStatus | undefined;
    for (const gate of this.gates.values()) {
      if (gate.connection.remotePeer.toString() !== peerId || gate.connection.status !== 'open') continue;
      if (gate.status === 'verified') return 'verified';
      if (gate.status === 'pending' || result === undefined) result = gate.status;
    }
    return result;
  }

  /** True when the peer is revoked in every mesh this node belongs to (and it has at least one). */
  private isRefusedEverywhere(peerId: string): boolean {
    if (this.meshContexts.size === 0) return false;
    for (const ctx of this.meshContexts.values()) if (!ctx.revocations.has(peerId)) return false;
    return true;
  }

  private hasOpenConnection(peerId: string): boolean {
    return (this.libp2p?.getConnections(peerIdFromString(peerId)) ?? []).some((c) => c.status === 'open');
  }

  private verifiedConnection(peerId: string): Connection | undefined {
    for (const gate of this.gates.values()) {
      if (
        gate.status === 'verified' &&
        gate.connection.status === 'open' &&
        gate.connection.remotePeer.toString() === peerId
      ) {
        return gate.connection;
      }
    }
    return undefined;
  }

  private gateFor(connection: Connection): ConnectionGate {
    let gate = this.gates.get(connection.id);
    if (gate !== undefined) return gate;
    const { promise, resolve } = deferred();
    let done = false;
    gate = {
      connection,
      status: 'pending',
      settled: promise,
      settle: (ok) => {
        if (done) return;
        done = true;
        resolve(ok);
      },
      timer: undefined,
      handshakes: 0,
    };
    this.gates.set(connection.id, gate);
    return gate;
  }

  private onConnectionOpen(connection: Connection): void {
    const gate = this.gateFor(connection);
    const remoteId = connection.remotePeer.toString();
    gate.timer = setTimeout(() => {
      if (gate.status !== 'pending') return;
      this.counters.drop('handshake_timeout');
      this.log.debug({ peer: remoteId }, 'no handshake in time; hanging up');
      this.refuse(gate, null, 'no membership handshake in time');
    }, this.settings.handshakeTimeoutMs);
    unrefTimer(gate.timer);
    if (connection.direction === 'outbound' && this.meshContexts.size > 0 && !this.joining.has(remoteId)) {
      this.handshaking(connection, () => this.runHandshake(connection)).catch((err: unknown) => {
        this.log.debug({ peer: remoteId, err: errorMessage(err) }, 'handshake failed');
      });
    }
  }

  private onConnectionClose(connection: Connection): void {
    const gate = this.gates.get(connection.id);
    if (gate === undefined) return;
    if (gate.timer !== undefined) clearTimeout(gate.timer);
    gate.settle(false);
    this.gates.delete(connection.id);
  }

  /** Members-only protocols: true once the peer is verified; otherwise the stream is refused and counted. */
  private async acceptMemberStream(stream: Stream, connection: Connection): Promise<boolean> {
    if (await this.awaitVerified(connection)) return true;
    this.counters.drop('stream_refused');
    stream.abort(new NotMeshMemberError('not a verified member'));
    return false;
  }

  /**
   * True when `peerId` is a verified member; while a handshake with it is running, waits for that
   * (bounded). gossipsub marks a message seen before validating it, so ignoring a copy that a peer
   * forwards before our side of the handshake finished (the peer verified us first) would drop the
   * message for good: every later copy is a duplicate. A peer with no handshake running (a silent
   * non-member) is refused at once.
   */
  private async peerVerified(peerId: string): Promise<boolean> {
    const status = this.peerGateStatus(peerId);
    if (status === 'verified') return true;
    if (status !== 'pending') return false;
    const pending = [...this.gates.values()].filter(
      (gate) =>
        gate.status === 'pending' &&
        gate.handshakes > 0 &&
        gate.connection.status === 'open' &&
        gate.connection.remotePeer.toString() === peerId,
    );
    if (pending.length === 0) return false;
    const results = await Promise.all(pending.map(async (gate) => await this.awaitVerified(gate.connection)));
    return results.some(Boolean) || this.peerGateStatus(peerId) === 'verified';
  }

  /** Waits for the connection's handshake (bounded); false if the peer is not a verified member. */
  private async awaitVerified(connection: Connection): Promise<boolean> {
    const gate = this.gateFor(connection);
    if (gate.status === 'verified') return true;
    if (gate.status === 'refused') return false;
    const timer = AbortSignal.timeout(this.settings.handshakeTimeoutMs);
    try {
      return await raceSignal(gate.settled, timer, 'handshake');
    } catch {
      return false;
    }
  }

  private refuse(gate: ConnectionGate, reason: PeerUnavailableReason | null, detail: string): void {
    if (gate.timer !== undefined) clearTimeout(gate.timer);
    gate.status = 'refused';
    gate.settle(false);
    const peerId = gate.connection.remotePeer.toString();
    if (reason !== null) {
      const peer = this.peer(peerId);
      peer.failures++;
      if (this.verifiedConnection(peerId) === undefined) {
        peer.reason = reason;
        peer.detail = detail;
      }
    }
    gate.connection.close().catch(() => {
      gate.connection.abort(new AbortedError(detail));
    });
  }

  private hangUpPeer(peerId: string, reason: PeerUnavailableReason, detail: string): void {
    const peer = this.peerRecords.get(peerId);
    if (peer !== undefined) {
      peer.reason = reason;
      peer.detail = detail;
    }
    for (const gate of [...this.gates.values()]) {
      if (gate.connection.remotePeer.toString() === peerId) this.refuse(gate, reason, detail);
    }
    if (peer?.inView === true) {
      peer.inView = false;
      this.safeDispatchEvent('peer:left', { detail: this.peerInfo(peer) });
    }
  }

  private hello(meshIds?: Iterable<string>): Hello {
    const selected =
      meshIds === undefined ? [...this.meshContexts.values()] : [...meshIds].map((id) => this.mesh(id));
    return {
      v: 1,
      agent: AGENT,
      name: this.settings.name,
      addrs: this.addresses().slice(0, 16),
      credentials: selected.map((ctx) => credentialToText(ctx.credential)),
      revocationDigests: Object.fromEntries(
        selected.map((ctx) => [ctx.meshId, ctx.revocations.digest(this.crypto)]),
      ),
    };
  }

  /** Checks a peer's credentials against the meshes this node belongs to. */
  private async checkCredentials(
    texts: readonly string[],
    remotePeer: PeerId,
  ): Promise<{ shared: Map<string, MembershipCredential>; revokedIn: string[] }> {
    const shared = new Map<string, MembershipCredential>();
    const revokedIn: string[] = [];
    const remoteKey = isEd25519PeerKey(remotePeer);
    if (remoteKey === undefined) return { shared, revokedIn };
    for (const text of texts) {
      try {
        const credential = credentialFromText(text);
        const ctx = this.meshContexts.get(credential.meshId);
        if (ctx === undefined) continue;
        await verifyCredential(credential, {
          crypto: this.crypto,
          meshPublicKey: ctx.meshPublicKey,
          memberPublicKey: remoteKey,
          isRevoked: (id) => ctx.revocations.has(id),
        });
        shared.set(credential.meshId, credential);
      } catch (err) {
        if (err instanceof MembershipRevokedError) {
          revokedIn.push(String(err.details.meshId));
        } else {
          this.log.debug(
            { peer: remotePeer.toString(), err: errorMessage(err) },
            'peer presented a bad credential',
          );
        }
      }
    }
    return { shared, revokedIn };
  }

  private refusalFor(
    shared: Map<string, unknown>,
    revokedIn: string[],
  ): { reason: HandshakeRefusalReason; message: string } {
    if (revokedIn.length > 0 && shared.size === 0) {
      return { reason: 'revoked', message: `revoked from ${revokedIn.join(', ')}` };
    }
    return { reason: 'not_member', message: 'no valid credential for a mesh this node belongs to' };
  }

  /** Runs one side of a handshake with the connection's gate marked as handshaking (see `peerVerified`). */
  private async handshaking<T>(connection: Connection, work: () => Promise<T>): Promise<T> {
    const gate = this.gateFor(connection);
    gate.handshakes++;
    try {
      return await work();
    } finally {
      gate.handshakes--;
    }
  }

  /** Initiator side of the handshake. Resolves true when the connection is verified. */
  private async runHandshake(
    connection: Connection,
    options: { signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const gate = this.gateFor(connection);
    const remoteId = connection.remotePeer.toString();
    const signal = withTimeout(options.signal, this.settings.handshakeTimeoutMs);
    let reply: HelloReply;
    try {
      const stream = await connection.newStream(HANDSHAKE_PROTOCOL, { signal, runOnLimitedConnection: true });
      const frames = new FrameStream(stream, { maxFrameBytes: 256 * 1024 });
      try {
        await frames.writeJson(this.hello(), { signal });
        const frame = await frames.read({ signal });
        if (frame === undefined) throw new ProtocolViolationError('handshake stream ended without a reply');
        const version = parseJsonFrame(frame, versionedSchema, 'handshake reply');
        if (version.v !== 1) throw new IncompatibleVersionError(`peer speaks handshake version ${version.v}`);
        reply = parseJsonFrame(frame, helloReplySchema, 'handshake reply');
      } finally {
        await frames.closeWrite();
      }
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'UnsupportedProtocolError' || err instanceof IncompatibleVersionError) {
        this.refuse(gate, 'incompatible_version', 'the peer does not speak /atmosphere/handshake/1.0.0');
      } else if (gate.status === 'pending') {
        this.counters.drop('handshake_failed');
        this.refuse(gate, 'unreachable', `handshake failed: ${errorMessage(err)}`);
      }
      return false;
    }
    if (!reply.ok) {
      this.counters.drop('handshake_failed');
      if (reply.reason === 'revoked' && reply.revocations !== undefined) {
        await this.learnOwnRevocations(reply.revocations);
      }
      this.refuse(
        gate,
        reply.reason === 'malformed' ? 'not_member' : reply.reason,
        `peer refused: ${reply.message}`,
      );
      return false;
    }
    const { shared, revokedIn } = await this.checkCredentials(reply.credentials, connection.remotePeer);
    if (shared.size === 0) {
      const refusal = this.refusalFor(shared, revokedIn);
      this.counters.drop('handshake_failed');
      this.refuse(gate, refusal.reason === 'revoked' ? 'revoked' : 'not_member', refusal.message);
      return false;
    }
    this.markVerified(gate, shared, reply);
    this.log.debug({ peer: remoteId, meshes: [...shared.keys()] }, 'handshake complete (initiator)');
    return true;
  }

  /** Responder side of the handshake. */
  private async onHandshakeStream(stream: Stream, connection: Connection): Promise<void> {
    const gate = this.gateFor(connection);
    const frames = new FrameStream(stream, { maxFrameBytes: 256 * 1024 });
    const signal = AbortSignal.timeout(this.settings.handshakeTimeoutMs);
    let hello: Hello;
    try {
      const frame = await frames.read({ signal });
      if (frame === undefined) throw new ProtocolViolationError('handshake stream ended without a hello');
      const version = parseJsonFrame(frame, versionedSchema, 'hello');
      if (version.v !== 1) {
        await frames.writeJson(
          { v: 1, ok: false, reason: 'incompatible_version', message: 'this node speaks handshake v1' },
          { signal },
        );
        await frames.closeWrite({ signal });
        this.refuse(gate, 'incompatible_version', `peer speaks handshake version ${version.v}`);
        return;
      }
      hello = parseJsonFrame(frame, helloSchema, 'hello');
    } catch (err) {
      this.counters.drop('malformed');
      stream.abort(toAtmosphereError(err));
      this.refuse(gate, 'not_member', `malformed handshake: ${errorMessage(err)}`);
      return;
    }
    const { shared, revokedIn } = await this.checkCredentials(hello.credentials, connection.remotePeer);
    try {
      if (shared.size === 0) {
        const refusal = this.refusalFor(shared, revokedIn);
        this.counters.drop('handshake_failed');
        // a revoked node is told why with the signed entries, so it can drop the mesh itself
        const revocations = this.revocationsOf(connection.remotePeer.toString(), revokedIn);
        await frames.writeJson(
          { v: 1, ok: false, ...refusal, ...(revocations.length > 0 ? { revocations } : {}) },
          { signal },
        );
        await frames.closeWrite({ signal });
        this.refuse(
          gate,
          refusal.reason === 'revoked' ? 'revoked' : 'not_member',
          `handshake refused: ${refusal.message}`,
        );
        return;
      }
      await frames.writeJson({ ...this.hello(shared.keys()), ok: true }, { signal });
      await frames.closeWrite({ signal });
    } catch (err) {
      stream.abort(toAtmosphereError(err));
      this.refuse(gate, 'unreachable', `handshake failed: ${errorMessage(err)}`);
      return;
    }
    this.markVerified(gate, shared, hello);
    this.log.debug(
      { peer: connection.remotePeer.toString(), meshes: [...shared.keys()] },
      'handshake complete (responder)',
    );
  }

  private markVerified(gate: ConnectionGate, shared: Map<string, MembershipCredential>, hello: Hello): void {
    if (gate.connection.status !== 'open') return;
    if (gate.timer !== undefined) clearTimeout(gate.timer);
    gate.status = 'verified';
    gate.settle(true);
    this.counters.handshakesOk++;
    const nodeId = gate.connection.remotePeer.toString();
    const now = this.clock.now();
    const peer = this.peer(nodeId);
    peer.failures = 0;
    peer.name = hello.name;
    const addresses = hello.addrs.filter((a) => a.endsWith(`/p2p/${nodeId}`));
    if (addresses.length > 0) peer.addresses = addresses;
    for (const [meshId, credential] of shared) {
      peer.credentials.set(meshId, credential);
      this.state.putMember({
        meshId,
        nodeId,
        credential: credential.bytes,
        role: credential.role,
        name: hello.name,
        lastSeenMs: now,
      });
    }
    this.state.putKnownPeer({ nodeId, name: hello.name, addresses: peer.addresses, lastSeenMs: now });
    this.seen(peer);
    void this.measureRoundTrip(peer);
    for (const meshId of shared.keys()) this.heldEvents.nudge(topicFor(meshId, 'event'));
    for (const [meshId, digest] of Object.entries(hello.revocationDigests)) {
      const ctx = this.meshContexts.get(meshId);
      if (ctx === undefined || !shared.has(meshId) || ctx.revocations.digest(this.crypto) === digest)
        continue;
      this.syncRevocations(gate.connection, ctx).catch((err: unknown) => {
        this.log.debug({ peer: nodeId, err: errorMessage(err) }, 'revocation sync failed');
      });
    }
  }

  // ---- peers ---------------------------------------------------------------------------------

  private peer(nodeId: string): PeerRecord {
    let peer = this.peerRecords.get(nodeId);
    if (peer === undefined) {
      peer = {
        nodeId,
        name: '',
        addresses: [],
        credentials: new Map(),
        lastSeenMs: null,
        inView: false,
        capabilityCount: 0,
        digest: null,
        summary: null,
        announcedAtMs: null,
        announcedMeshId: null,
        reason: null,
        detail: null,
        lastDialMs: 0,
        failures: 0,
        touchedMs: this.clock.now(),
        rttMs: null,
      };
      this.peerRecords.set(nodeId, peer);
    }
    peer.touchedMs = this.clock.now();
    return peer;
  }

  /** Records fresh evidence that a member is alive; emits `peer:joined` when it enters the view. */
  private seen(peer: PeerRecord): void {
    peer.lastSeenMs = this.clock.now();
    peer.reason = null;
    peer.detail = null;
    if (!peer.inView && peer.credentials.size > 0) {
      peer.inView = true;
      this.safeDispatchEvent('peer:joined', { detail: this.peerInfo(peer) });
      this.scheduleAnnounce();
    }
  }

  private sweep(): void {
    if (this.currentStatus !== 'started') return;
    const now = this.clock.now();
    for (const [peerId, attempts] of this.joinAttempts) {
      if (attempts.every((t) => t <= now - 60_000)) this.joinAttempts.delete(peerId);
    }
    let strangers = 0;
    const candidates: PeerRecord[] = [];
    const peerTimeoutMs = this.settings.peerTimeoutMs * this.heartbeatScale();
    const verified = new Set<string>();
    for (const gate of this.gates.values()) {
      if (gate.status === 'verified' && gate.connection.status === 'open') {
        verified.add(gate.connection.remotePeer.toString());
      }
    }
    for (const peer of [...this.peerRecords.values()]) {
      if (verified.has(peer.nodeId)) {
        peer.lastSeenMs = now;
      }
      if (peer.inView && (peer.lastSeenMs === null || peer.lastSeenMs < now - peerTimeoutMs)) {
        peer.inView = false;
        peer.reason ??= 'unreachable';
        peer.detail ??= `not heard from for ${Math.round((now - (peer.lastSeenMs ?? now)) / 1000)} s`;
        this.safeDispatchEvent('peer:left', { detail: this.peerInfo(peer) });
      }
      if (peer.credentials.size === 0) {
        strangers++;
        if (peer.touchedMs < now - STRANGER_RETENTION_MS || strangers > MAX_STRANGERS)
          this.peerRecords.delete(peer.nodeId);
        continue;
      }
      if (peer.addresses.length > 0 && now - peer.lastDialMs >= this.redialDelay(peer)) candidates.push(peer);
    }
    // in random order, so that the members everyone heard of first do not become hubs
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j] as PeerRecord, candidates[i] as PeerRecord];
    }
    for (const peer of candidates) {
      if (!this.wantsMorePeers()) break;
      if (!this.isRevokedInAllShared(peer) && !this.hasOpenConnection(peer.nodeId)) this.dialPeer(peer);
    }
  }

  /**
   * True while fewer than `targetPeers` members are connected (or being handshaken with, or
   * dialled) and fewer than `MAX_CONCURRENT_DIALS` dials are in flight. Past the target, members
   * are reached through gossip: a mesh of 100 nodes needs no 4,950 connections to converge.
   */
  private wantsMorePeers(): boolean {
    if (this.dialing.size >= MAX_CONCURRENT_DIALS) return false;
    // asked for every gossip message from a member this node is not connected to: within one
    // millisecond and with the same gates and dials, the answer is the one just computed
    const now = this.clock.now();
    const memo = this.wantsMorePeersMemo;
    if (memo.atMs === now && memo.gates === this.gates.size && memo.dialing === this.dialing.size)
      return memo.value;
    const connected = new Set<string>();
    for (const gate of this.gates.values()) {
      if (gate.status !== 'refused' && gate.connection.status === 'open') {
        connected.add(gate.connection.remotePeer.toString());
      }
    }
    const value = connected.size + this.dialing.size < this.settings.targetPeers;
    this.wantsMorePeersMemo = { atMs: now, gates: this.gates.size, dialing: this.dialing.size, value };
    return value;
  }

  /**
   * Dials the members this node knows again now, forgetting their back-off: for a device that has
   * just come back (a phone leaving airplane mode or reopening the app, a laptop waking up).
   */
  redialNow(): void {
    for (const peer of this.peerRecords.values()) {
      if (peer.credentials.size === 0 || this.hasOpenConnection(peer.nodeId)) continue;
      peer.failures = 0;
      peer.lastDialMs = 0;
    }
    this.sweep();
  }

  /** `redialIntervalMs`, doubled per consecutive failure up to 32 times as long. */
  private redialDelay(peer: PeerRecord): number {
    return this.settings.redialIntervalMs * 2 ** Math.min(peer.failures, 5);
  }

  private isRevokedInAllShared(peer: PeerRecord): boolean {
    for (const meshId of peer.credentials.keys()) {
      if (this.meshContexts.get(meshId)?.revocations.has(peer.nodeId) === false) return false;
    }
    return true;
  }

  /** Dials a member proactively (to keep `targetPeers` connected); on-demand dials use `connectTo`. */
  private dialPeer(peer: PeerRecord): void {
    const libp2p = this.libp2p;
    if (libp2p === undefined || this.dialing.has(peer.nodeId) || peer.nodeId === this.nodeId) return;
    if (!this.wantsMorePeers()) return;
    const addrs: Multiaddr[] = [];
    for (const address of peer.addresses) {
      try {
        addrs.push(multiaddr(address));
      } catch {
        // a bad address from a peer is skipped
      }
    }
    if (addrs.length === 0) return;
    peer.lastDialMs = this.clock.now();
    this.dialing.add(peer.nodeId);
    libp2p
      .dial(addrs, { signal: AbortSignal.timeout(this.settings.dialTimeoutMs) })
      .catch((err: unknown) => {
        peer.failures++;
        if (this.verifiedConnection(peer.nodeId) === undefined && !peer.inView) {
          peer.reason = peer.reason === 'revoked' ? 'revoked' : 'unreachable';
          peer.detail = `dial failed: ${errorMessage(err)}`;
        }
      })
      .finally(() => {
        this.dialing.delete(peer.nodeId);
      });
  }

  private dialBootstrap(): void {
    if (this.meshContexts.size === 0) return;
    const libp2p = this.libp2p;
    if (libp2p === undefined) return;
    for (const address of this.settings.bootstrap) {
      let addr: Multiaddr;
      try {
        addr = multiaddr(address);
      } catch (err) {
        this.log.warn({ address, err: errorMessage(err) }, 'invalid bootstrap address');
        continue;
      }
      libp2p
        .dial(addr, { signal: AbortSignal.timeout(this.settings.dialTimeoutMs) })
        .catch((err: unknown) => {
          this.log.debug({ address, err: errorMessage(err) }, 'bootstrap dial failed');
        });
    }
    for (const peer of this.peerRecords.values()) {
      if (peer.credentials.size > 0 && !this.isRevokedInAllShared(peer)) this.dialPeer(peer);
    }
  }

  private async updateMdns(): Promise<void> {
    const mdns = this.libp2p?.services.mdns;
    if (mdns === undefined) return;
    if (this.settings.mdns && this.meshContexts.size > 0 && this.currentStatus === 'started') {
      await mdns.enable();
    } else {
      await mdns.disable();
    }
  }

  /** Whether LAN discovery is currently announcing and browsing. */
  get mdnsActive(): boolean {
    return this.libp2p?.services.mdns.active ?? false;
  }

  private peerInfo(peer: PeerRecord): MeshPeerInfo {
    const connection = this.verifiedConnection(peer.nodeId);
    const meshIds = [...peer.credentials.keys()].filter(
      (meshId) => this.meshContexts.get(meshId)?.revocations.has(peer.nodeId) === false,
    );
    const connected = connection !== undefined;
    return {
      nodeId: peer.nodeId,
      name: peer.name,
      meshIds,
      addresses: [...peer.addresses],
      connected,
      transport: connection === undefined ? null : transportKind(connection.remoteAddr.toString()),
      rttMs: connection === undefined ? null : (connection.rtt ?? peer.rttMs ?? null),
      lastSeenMs: peer.lastSeenMs,
      capabilityCount: peer.capabilityCount,
      digest: peer.digest,
      reason: connected ? null : (peer.reason ?? (peer.inView ? null : 'unreachable')),
      detail: connected
        ? null
        : (peer.detail ?? (peer.inView ? 'in view through gossip; connected on demand' : null)),
    };
  }

  /**
   * True when work can be sent to `nodeId` now: a member that is connected, or in view (heard from
   * within `peerTimeoutMs`) with an address to dial, and not revoked. Beyond `targetPeers`, members
   * are in view without a direct connection; `invoke` dials them on demand. Cheap enough to call
   * per capability on every request.
   */
  isReachable(nodeId: string): boolean {
    if (nodeId === this.nodeId) return true;
    const peer = this.peerRecords.get(nodeId);
    if (peer === undefined || peer.credentials.size === 0 || this.isRevokedInAllShared(peer)) return false;
    if (this.verifiedConnection(nodeId) !== undefined) return true;
    return peer.inView && peer.addresses.length > 0;
  }

  /** Every peer this node knows of: members (connected or not) and refused strangers, with reasons. */
  peers(): MeshPeerInfo[] {
    const out = new Map<string, MeshPeerInfo>();
    for (const peer of this.peerRecords.values()) {
      if (peer.nodeId !== this.nodeId) out.set(peer.nodeId, this.peerInfo(peer));
    }
    for (const ctx of this.meshContexts.values()) {
      for (const member of this.state.listMembers(ctx.meshId)) {
        if (member.nodeId === this.nodeId || out.has(member.nodeId)) continue;
        const revoked = ctx.revocations.has(member.nodeId);
        out.set(member.nodeId, {
          nodeId: member.nodeId,
          name: member.name,
          meshIds: revoked ? [] : [ctx.meshId],
          addresses: [],
          connected: false,
          transport: null,
          rttMs: null,
          lastSeenMs: member.lastSeenMs,
          capabilityCount: 0,
          digest: null,
          reason: revoked ? 'revoked' : 'unreachable',
          detail: revoked ? `revoked from ${ctx.meshId}` : 'not seen since this node started',
        });
      }
    }
    return [...out.values()];
  }

  /** The latest announcement of each peer in view. */
  announcements(): MeshAnnouncement[] {
    const out: MeshAnnouncement[] = [];
    for (const peer of this.peerRecords.values()) {
      if (
        !peer.inView ||
        peer.digest === null ||
        peer.announcedAtMs === null ||
        peer.announcedMeshId === null
      )
        continue;
      out.push({
        nodeId: peer.nodeId,
        meshId: peer.announcedMeshId,
        name: peer.name,
        digest: peer.digest,
        capabilityCount: peer.capabilityCount,
        summary: peer.summary,
        addresses: [...peer.addresses],
        timestampMs: peer.announcedAtMs,
        changed: false,
      });
    }
    return out;
  }

  // ---- gossip --------------------------------------------------------------------------------

  private subscribe(meshId: string): void {
    const pubsub = this.libp2p?.services.pubsub;
    if (pubsub === undefined) return;
    for (const kind of TOPIC_KINDS) {
      const topic = topicFor(meshId, kind);
      pubsub.topicValidators.set(topic, (from, message) => this.validateGossip(meshId, kind, from, message));
      pubsub.subscribe(topic);
    }
  }

  private unsubscribe(meshId: string): void {
    const pubsub = this.libp2p?.services.pubsub;
    if (pubsub === undefined) return;
    for (const kind of TOPIC_KINDS) {
      const topic = topicFor(meshId, kind);
      pubsub.unsubscribe(topic);
      pubsub.topicValidators.delete(topic);
    }
  }

  private dropGossip(reason: MeshDropReason, result: TopicValidatorResult): TopicValidatorResult {
    this.counters.drop(reason);
    return result;
  }

  /** Every gossip message passes here before gossipsub accepts or forwards it. Never throws. */
  private async validateGossip(
    meshId: string,
    kind: TopicKind,
    from: PeerId,
    message: GossipMessage,
  ): Promise<TopicValidatorResult> {
    try {
      return await this.checkGossip(meshId, kind, from, message);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'gossip validation failed unexpectedly');
      return this.dropGossip('malformed', TopicValidatorResult.Reject);
    }
  }

  private async checkGossip(
    meshId: string,
    kind: TopicKind,
    from: PeerId,
    message: GossipMessage,
  ): Promise<TopicValidatorResult> {
    const { Accept, Ignore, Reject } = TopicValidatorResult;
    if (!(await this.peerVerified(from.toString()))) return this.dropGossip('unverified_peer', Ignore);
    if (message.type !== 'signed') return this.dropGossip('malformed', Reject);
    if (message.data.length > MAX_ENVELOPE_BYTES[kind]) return this.dropGossip('oversized', Reject);
    let envelope: GossipEnvelope;
    try {
      envelope = openEnvelope(message.data);
    } catch {
      return this.dropGossip('malformed', Reject);
    }
    if (envelope.meshId !== meshId || envelope.type !== kind) return this.dropGossip('wrong_mesh', Reject);
    if (message.from.toString() !== envelope.originId) return this.dropGossip('origin_mismatch', Reject);
    if (envelope.originId === this.nodeId) return this.dropGossip('replayed', Ignore);
    if (this.guard.isStale(envelope)) return this.dropGossip('stale', Ignore);
    if (!(await verifyEnvelopeSignature(envelope, this.crypto)))
      return this.dropGossip('bad_signature', Reject);
    const ctx = this.meshContexts.get(meshId);
    if (ctx === undefined) return this.dropGossip('wrong_mesh', Ignore);
    if (ctx.revocations.has(envelope.originId)) return this.dropGossip('revoked', Ignore);
    const membership = await this.credentialCheck.check({
      meshId,
      meshPublicKey: ctx.meshPublicKey,
      credential: envelope.credential,
      originPublicKey: envelope.originPublicKey,
      isRevoked: (id) => ctx.revocations.has(id),
    });
    if (membership !== 'ok') return this.dropGossip(membership, Reject);
    // Events are not state: they are deduplicated by envelope instead of ordered per origin, so one
    // that arrives after a later one from the same origin is still delivered.
    const fresh =
      kind === 'event'
        ? this.seenEventEnvelopes.add(
            `${envelope.originId}|${meshId}|${envelope.timestampMs}|${envelope.seq}`,
            envelope.timestampMs + envelope.ttlMs + this.settings.maxClockSkewMs,
          )
        : this.guard.accept(envelope);
    if (!fresh) return this.dropGossip('replayed', Ignore);
    const handled = await this.handleGossip(ctx, envelope);
    if (!handled) return this.dropGossip('malformed', Reject);
    this.counters.gossipAccepted++;
    return Accept;
  }

  private async handleGossip(ctx: MeshContext, envelope: GossipEnvelope): Promise<boolean> {
    if (envelope.type === 'revocation') {
      let entry: RevocationEntry;
      try {
        entry = await verifyRevocation(decodeRevocation(envelope.payload), {
          crypto: this.crypto,
          meshPublicKey: ctx.meshPublicKey,
          isRevoked: (id) => ctx.revocations.has(id),
        });
      } catch {
        return false;
      }
      if (entry.meshId !== ctx.meshId) return false;
      this.applyRevocation(ctx, entry);
      this.notePeerAlive(ctx, envelope, undefined);
      return true;
    }
    let value: unknown;
    try {
      value = JSON.parse(fromUtf8(envelope.payload));
    } catch {
      return false;
    }
    if (envelope.type === 'event') return this.handleEvent(ctx, envelope, value);
    if (envelope.type === 'cost') return this.handleCost(ctx, envelope, value);
    if (envelope.type === 'heartbeat') {
      const parsed = heartbeatPayloadSchema.safeParse(value);
      if (!parsed.success) return false;
      const peer = this.notePeerAlive(ctx, envelope, parsed.data);
      peer.capabilityCount = parsed.data.capabilityCount;
      const digest = parsed.data.digest;
      if (digest !== null && digest !== peer.digest) {
        // A heartbeat names a document this node has not seen announced (the announcement was
        // published before the gossip mesh reached us): tell listeners, so they fetch it by digest.
        // The summary of the earlier document no longer describes it; it stays unknown until the
        // announcement itself arrives.
        peer.digest = digest;
        peer.summary = null;
        peer.announcedAtMs ??= envelope.timestampMs;
        peer.announcedMeshId ??= ctx.meshId;
        this.safeDispatchEvent('announcement', {
          detail: {
            nodeId: peer.nodeId,
            meshId: ctx.meshId,
            name: peer.name,
            digest,
            capabilityCount: parsed.data.capabilityCount,
            summary: peer.summary,
            addresses: [...peer.addresses],
            timestampMs: envelope.timestampMs,
            changed: true,
          },
        });
      }
      return true;
    }
    const parsed = announcePayloadSchema.safeParse(value);
    if (!parsed.success) return false;
    const peer = this.notePeerAlive(ctx, envelope, parsed.data);
    const changed = peer.digest !== parsed.data.digest || peer.announcedAtMs === null;
    peer.digest = parsed.data.digest;
    peer.capabilityCount = parsed.data.capabilityCount;
    peer.summary = parsed.data.summary;
    peer.announcedAtMs = envelope.timestampMs;
    peer.announcedMeshId = ctx.meshId;
    this.safeDispatchEvent('announcement', {
      detail: {
        nodeId: peer.nodeId,
        meshId: ctx.meshId,
        name: peer.name,
        digest: parsed.data.digest,
        capabilityCount: parsed.data.capabilityCount,
        summary: parsed.data.summary,
        addresses: [...peer.addresses],
        timestampMs: envelope.timestampMs,
        changed,
      },
    });
    return true;
  }

  private handleEvent(ctx: MeshContext, envelope: GossipEnvelope, value: unknown): boolean {
    const parsed = eventPayloadSchema.safeParse(value);
    if (!parsed.success) return false;
    if (utf8(JSON.stringify(parsed.data.payload ?? null)).length > MAX_EVENT_PAYLOAD_BYTES) return false;
    this.notePeerAlive(ctx, envelope, undefined);
    const first = this.seenEventIds.add(
      `${envelope.originId}|${parsed.data.eventId}`,
      envelope.timestampMs + envelope.ttlMs + this.settings.maxClockSkewMs,
    );
    // Seen on another mesh already: still valid (so gossipsub forwards it here), not delivered twice.
    if (!first) return true;
    this.safeDispatchEvent('event', {
      detail: {
        ...parsed.data,
        payload: parsed.data.payload ?? null,
        originId: envelope.originId,
        meshId: ctx.meshId,
        receivedAtMs: this.clock.now(),
      },
    });
    return true;
  }

  private handleCost(ctx: MeshContext, envelope: GossipEnvelope, value: unknown): boolean {
    const parsed = costUpdatePayloadSchema.safeParse(value);
    if (!parsed.success || parsed.data.node_id !== envelope.originId) return false;
    this.notePeerAlive(ctx, envelope, undefined);
    this.safeDispatchEvent('cost', {
      detail: {
        ...parsed.data,
        originId: envelope.originId,
        meshId: ctx.meshId,
        receivedAtMs: this.clock.now(),
      },
    });
    return true;
  }

  private notePeerAlive(
    ctx: MeshContext,
    envelope: GossipEnvelope,
    payload: { name: string; addrs: string[] } | undefined,
  ): PeerRecord {
    const peer = this.peer(envelope.originId);
    const known = peer.credentials.get(ctx.meshId);
    peer.credentials.set(ctx.meshId, envelope.credential);
    if (known === undefined || !bytesEqual(known.bytes, envelope.credential.bytes)) {
      this.state.putMember({
        meshId: ctx.meshId,
        nodeId: peer.nodeId,
        credential: envelope.credential.bytes,
        role: envelope.credential.role,
        name: payload?.name ?? peer.name,
        lastSeenMs: this.clock.now(),
      });
    }
    if (payload !== undefined) {
      peer.name = payload.name;
      const addresses = payload.addrs.filter((a) => a.endsWith(`/p2p/${peer.nodeId}`));
      if (addresses.length > 0) peer.addresses = addresses;
    }
    this.seen(peer);
    if (
      this.clock.now() - peer.lastDialMs >= this.redialDelay(peer) &&
      this.wantsMorePeers() &&
      !this.hasOpenConnection(peer.nodeId) &&
      !this.isRevokedInAllShared(peer)
    ) {
      this.dialPeer(peer);
    }
    return peer;
  }

  /** Seals and publishes one envelope; resolves with it and how many peers it went to. */
  private async publish(
    ctx: MeshContext,
    type: EnvelopeType,
    payload: Uint8Array,
    ttlMs: number,
  ): Promise<{ envelope: Uint8Array; recipients: number } | null> {
    const pubsub = this.libp2p?.services.pubsub;
    if (pubsub === undefined) return null;
    const envelope = await sealEnvelope(
      {
        type,
        meshId: ctx.meshId,
        seq: this.seq++,
        timestampMs: this.clock.now(),
        ttlMs: Math.min(ttlMs, MAX_ENVELOPE_TTL_MS),
        credential: ctx.credential.bytes,
        payload,
      },
      this.signer,
    );
    const { recipients } = await pubsub.publish(topicFor(ctx.meshId, type), envelope);
    this.counters.gossipPublished++;
    return { envelope, recipients: recipients.length };
  }

  /**
   * How much longer than configured the heartbeat period and the peer timeout are: 1 up to
   * `HEARTBEAT_FULL_RATE_MEMBERS` known members, then in proportion to them. Known members (not
   * only those in view) count, so that a member who missed a few heartbeats does not shorten
   * everyone's timeout.
   */
  private heartbeatScale(): number {
    let known = 0;
    for (const peer of this.peerRecords.values()) if (peer.credentials.size > 0) known++;
    return Math.max(1, known / HEARTBEAT_FULL_RATE_MEMBERS);
  }

  /** Re-publishes the announcement after the next (jittered, scaled) period, and so on. */
  private scheduleReannounce(): void {
    const jitter = 1 - HEARTBEAT_JITTER + 2 * HEARTBEAT_JITTER * Math.random();
    this.reannounceTimer = setTimeout(
      () => {
        this.reannounceTimer = undefined;
        if (this.currentStatus !== 'started') return;
        this.publishAnnouncements()
          .catch((err: unknown) => {
            this.log.warn({ err: errorMessage(err) }, 'announcement failed');
          })
          .finally(() => {
            if (this.currentStatus === 'started' && this.reannounceTimer === undefined)
              this.scheduleReannounce();
          });
      },
      Math.round(this.settings.announceIntervalMs * this.heartbeatScale() * jitter),
    );
    unrefTimer(this.reannounceTimer);
  }

  /** Publishes heartbeats after the next (jittered, scaled) period; the first at a random point of it. */
  private scheduleHeartbeat(first = false): void {
    const periodMs = this.settings.heartbeatIntervalMs * this.heartbeatScale();
    const jitter = 1 - HEARTBEAT_JITTER + 2 * HEARTBEAT_JITTER * Math.random();
    this.heartbeatTimer = setTimeout(
      () => {
        this.heartbeatTimer = undefined;
        if (this.currentStatus !== 'started') return;
        this.scheduleHeartbeat();
        this.publishHeartbeats().catch((err: unknown) => {
          this.log.warn({ err: errorMessage(err) }, 'heartbeat failed');
        });
      },
      first ? Math.random() * periodMs : periodMs * jitter,
    );
    unrefTimer(this.heartbeatTimer);
  }

  private async publishHeartbeats(): Promise<void> {
    if (this.currentStatus !== 'started') return;
    const payload = utf8(
      JSON.stringify({
        name: this.settings.name,
        addrs: this.addresses().slice(0, 16),
        capabilityCount: this.announcement?.payload.capabilityCount ?? 0,
        digest: this.announcement?.current.digest ?? null,
      }),
    );
    for (const ctx of this.meshContexts.values())
      await this.publish(ctx, 'heartbeat', payload, this.settings.peerTimeoutMs * this.heartbeatScale());
    await this.measureRoundTrips();
  }

  /**
   * Pings the verified members whose connection has no RTT yet; the RTT shows in `peers()`. After
   * that, libp2p's connection monitor pings every connection (each 10 s) and keeps `rtt` fresh:
   * pinging each member again on every heartbeat doubled the pings for nothing.
   */
  private async measureRoundTrips(): Promise<void> {
    await Promise.all([...this.peerRecords.values()].map((peer) => this.measureRoundTrip(peer)));
  }

  /** Pings `peer` once when its verified connection has no RTT yet (at verification and on heartbeats). */
  private async measureRoundTrip(peer: PeerRecord): Promise<void> {
    const libp2p = this.libp2p;
    if (libp2p === undefined) return;
    const connection = this.verifiedConnection(peer.nodeId);
    if (connection === undefined || connection.rtt !== undefined) return;
    const timeoutMs = Math.min(2_000, Math.round(this.settings.heartbeatIntervalMs));
    try {
      peer.rttMs = await libp2p.services.ping.ping(peerIdFromString(peer.nodeId), {
        signal: AbortSignal.any([this.stopController.signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (err) {
      peer.rttMs = null;
      this.log.debug({ peer: peer.nodeId, err: errorMessage(err) }, 'round-trip ping failed');
    }
  }

  private async publishAnnouncements(): Promise<void> {
    if (this.currentStatus !== 'started' || this.announcement === undefined) return;
    this.lastAnnounceMs = this.clock.now();
    const { payload, current } = this.announcement;
    const bytes = utf8(
      JSON.stringify({
        name: this.settings.name,
        addrs: this.addresses().slice(0, 16),
        capabilityCount: payload.capabilityCount,
        digest: current.digest,
        summary: payload.summary,
      }),
    );
    const scale = this.heartbeatScale();
    const ttlMs = Math.max(this.settings.announceIntervalMs * 2, this.settings.peerTimeoutMs) * scale;
    for (const ctx of this.meshContexts.values()) await this.publish(ctx, 'announce', bytes, ttlMs);
  }

  /**
   * Re-announces ~1 s after a member enters the view, so it learns this node's capabilities at
   * once. Re-announcements are spaced by `ANNOUNCE_SPACING_PER_MEMBER_MS` per member in view: while
   * a large mesh grows, every member would otherwise re-publish on every join (N announcements per
   * join, mesh-wide); a member that joins in between learns the digest from the next heartbeat.
   */
  private scheduleAnnounce(delayMs = ANNOUNCE_AFTER_JOIN_MS): void {
    if (
      this.announcement === undefined ||
      this.currentStatus !== 'started' ||
      this.announceTimer !== undefined
    )
      return;
    let inView = 0;
    for (const peer of this.peerRecords.values()) if (peer.inView) inView++;
    const spacedMs = this.lastAnnounceMs + inView * ANNOUNCE_SPACING_PER_MEMBER_MS - this.clock.now();
    delayMs = Math.max(delayMs, spacedMs);
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      this.publishAnnouncements().catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, 'announcement failed');
      });
    }, delayMs);
    unrefTimer(this.announceTimer);
  }

  /**
   * Sets what this node announces on every mesh and publishes it now. The summary travels in the
   * announcement (at most 8 KiB as JSON); the document is served by digest to members who ask.
   */
  async setAnnouncement(
    input: AnnouncementInput,
    _options: { signal?: AbortSignal } = {},
  ): Promise<{ digest: string }> {
    if (!Number.isSafeInteger(input.capabilityCount) || input.capabilityCount < 0) {
      throw new InvalidInputError('capabilityCount must be a non-negative integer');
    }
    const summary = encodeJsonFrame(input.summary);
    if (summary.length > MAX_SUMMARY_BYTES) {
      throw new MessageTooLargeError(
        `announcement summary is ${summary.length} bytes; at most ${MAX_SUMMARY_BYTES}`,
      );
    }
    const text = fromUtf8(encodeJsonFrame(input.document));
    if (utf8(text).length > this.settings.maxFrameBytes - 1024) {
      throw new MessageTooLargeError(
        `capability document exceeds ${this.settings.maxFrameBytes - 1024} bytes`,
      );
    }
    const digest = toHex(this.crypto.sha256(utf8(text)));
    if (this.announcement !== undefined && this.announcement.current.digest !== digest) {
      this.previousDocument = this.announcement.current;
    }
    this.announcement = { payload: input, current: { digest, text } };
    await this.publishAnnouncements();
    return { digest };
  }

  // ---- trigger events ------------------------------------------------------------------------

  /**
   * Publishes a trigger event on the event topic of each mesh in `meshIds` (default: every mesh
   * this node belongs to); members receive it as an `event`. Resolves with the meshes it went to.
   */
  async publishEvent(
    event: MeshEventInput,
    options: { meshIds?: readonly string[]; signal?: AbortSignal } = {},
  ): Promise<{ meshIds: string[] }> {
    const parsed = eventPayloadSchema.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(
        `invalid event: ${issue && issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'malformed'}`,
      );
    }
    const payloadBytes = encodeJsonFrame(parsed.data.payload ?? null).length;
    if (payloadBytes > MAX_EVENT_PAYLOAD_BYTES) {
      throw new MessageTooLargeError(
        `event payload is ${payloadBytes} bytes as JSON; at most ${MAX_EVENT_PAYLOAD_BYTES}`,
      );
    }
    const bytes = utf8(JSON.stringify({ ...parsed.data, payload: parsed.data.payload ?? null }));
    if (this.libp2p === undefined || this.currentStatus !== 'started') return { meshIds: [] };
    const contexts = [...this.meshContexts.values()].filter(
      (ctx) => options.meshIds === undefined || options.meshIds.includes(ctx.meshId),
    );
    const sent: string[] = [];
    for (const ctx of contexts) {
      options.signal?.throwIfAborted();
      const published = await this.publish(ctx, 'event', bytes, EVENT_TTL_MS);
      if (published !== null && published.recipients === 0) {
        // nobody could receive it yet (just joined, members not verified, connections down)
        this.counters.eventsHeld++;
        this.heldEvents.hold(topicFor(ctx.meshId, 'event'), published.envelope);
      }
      sent.push(ctx.meshId);
    }
    return { meshIds: sent };
  }

  // ---- cost updates --------------------------------------------------------------------------

  /**
   * Gossips this node's `NODE_COST_UPDATE` on the cost topic of every mesh it belongs to (the
   * envelope lives 3 × `ttl`). `node_id` must be this node. Resolves with the meshes it went to.
   */
  async publishCost(
    update: CostUpdatePayload,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ meshIds: string[] }> {
    const parsed = costUpdatePayloadSchema.safeParse(update);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(
        `invalid cost update: ${issue && issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'malformed'}`,
      );
    }
    if (parsed.data.node_id !== this.nodeId)
      throw new InvalidInputError('a cost update must carry this node id');
    if (this.libp2p === undefined || this.currentStatus !== 'started') return { meshIds: [] };
    const bytes = utf8(JSON.stringify(parsed.data));
    const sent: string[] = [];
    for (const ctx of this.meshContexts.values()) {
      options.signal?.throwIfAborted();
      await this.publish(ctx, 'cost', bytes, parsed.data.ttl * 3000);
      sent.push(ctx.meshId);
    }
    return { meshIds: sent };
  }

  // ---- revocation ----------------------------------------------------------------------------

  /** Revokes a node from a mesh (admins only): signed, stored, gossiped; the node is disconnected. */
  async revoke(
    nodeId: string,
    options: { meshId: string; reason?: string; signal?: AbortSignal },
  ): Promise<MeshRevocationNotice> {
    const ctx = this.mesh(options.meshId);
    const issuer = this.issuerFor(ctx);
    if (issuer === undefined) throw new NotMeshAdminError(`only admins of ${ctx.meshId} can revoke`);
    if (nodeId === this.nodeId) throw new InvalidInputError('a node cannot revoke itself; use leave');
    let revokedPublicKey: Uint8Array;
    try {
      revokedPublicKey = peerIdFromString(nodeId).publicKey?.raw ?? new Uint8Array();
    } catch (err) {
      throw new InvalidInputError(`not a node id: ${nodeId}`, { cause: err });
    }
    if (revokedPublicKey.length !== 32) throw new InvalidInputError(`not an Ed25519 node id: ${nodeId}`);
    const existing = ctx.revocations.get(nodeId);
    const entry =
      existing ??
      (await issueRevocation(
        { meshId: ctx.meshId, revokedPublicKey, revokedAtMs: this.clock.now(), reason: options.reason ?? '' },
        issuer,
      ));
    this.applyRevocation(ctx, entry);
    if (this.currentStatus === 'started') {
      await this.publish(ctx, 'revocation', entry.bytes, MAX_ENVELOPE_TTL_MS);
    }
    return { meshId: ctx.meshId, nodeId, reason: entry.reason, revokedAtMs: entry.revokedAtMs, self: false };
  }

  /** Applies a verified entry: stores it, updates views, disconnects the node where needed. */
  private applyRevocation(ctx: MeshContext, entry: RevocationEntry): void {
    if (!ctx.revocations.add(entry)) return;
    this.state.addRevocation(ctx.meshId, entry.revokedId, entry.bytes);
    const self = entry.revokedId === this.nodeId;
    this.log.warn({ meshId: ctx.meshId, nodeId: entry.revokedId, self }, 'revocation applied');
    this.safeDispatchEvent('revocation', {
      detail: {
        meshId: ctx.meshId,
        nodeId: entry.revokedId,
        reason: entry.reason,
        revokedAtMs: entry.revokedAtMs,
        self,
      },
    });
    if (self) {
      this.dropMesh(ctx.meshId);
      this.updateMdns().catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, 'mDNS update failed');
      });
      return;
    }
    const peer = this.peerRecords.get(entry.revokedId);
    peer?.credentials.delete(ctx.meshId);
    this.guard.forgetOrigin(entry.revokedId);
    const stillShared = peer !== undefined && peer.credentials.size > 0;
    if (!stillShared) {
      this.hangUpPeer(entry.revokedId, 'revoked', `revoked from ${ctx.meshId}`);
      if (this.isRefusedEverywhere(entry.revokedId)) this.state.deleteKnownPeer(entry.revokedId);
    }
  }

  /** The signed revocations of `nodeId` in `meshIds`, base64url (what a refusal carries). */
  private revocationsOf(nodeId: string, meshIds: readonly string[]): string[] {
    const out: string[] = [];
    for (const meshId of meshIds) {
      const entry = this.meshContexts.get(meshId)?.revocations.get(nodeId);
      if (entry !== undefined) out.push(toBase64Url(entry.bytes));
    }
    return out.slice(0, 16);
  }

  /**
   * A member refused this node as revoked and sent the entries: each one that is valid (signed for
   * a mesh this node belongs to) and names this node is applied — the mesh is dropped, as when the
   * revocation arrives by gossip. Anything else in the list is ignored.
   */
  private async learnOwnRevocations(texts: readonly string[]): Promise<void> {
    for (const text of texts) {
      try {
        const decoded = decodeRevocation(fromBase64Url(text));
        const ctx = this.meshContexts.get(decoded.meshId);
        if (ctx === undefined || decoded.revokedId !== this.nodeId) continue;
        const entry = await verifyRevocation(decoded, {
          crypto: this.crypto,
          meshPublicKey: ctx.meshPublicKey,
          isRevoked: (id) => ctx.revocations.has(id),
        });
        if (entry.meshId === ctx.meshId) this.applyRevocation(ctx, entry);
      } catch (err) {
        if (!(err instanceof RevocationInvalidError) && !(err instanceof AtmosphereError)) throw err;
        this.counters.drop('malformed');
      }
    }
  }

  private async syncRevocations(connection: Connection, ctx: MeshContext): Promise<void> {
    const signal = AbortSignal.timeout(this.settings.handshakeTimeoutMs);
    const stream = await connection.newStream(REVOCATIONS_PROTOCOL, { signal, runOnLimitedConnection: true });
    const frames = new FrameStream(stream, { maxFrameBytes: this.settings.maxFrameBytes });
    let reply;
    try {
      await frames.writeJson({ v: 1, meshId: ctx.meshId }, { signal });
      reply = await frames.readJson(revocationsReplySchema, { signal, what: 'revocation list' });
    } finally {
      await frames.closeWrite();
    }
    let added = 0;
    for (const text of reply.entries) {
      try {
        const entry = await verifyRevocation(decodeRevocation(fromBase64Url(text)), {
          crypto: this.crypto,
          meshPublicKey: ctx.meshPublicKey,
          isRevoked: (id) => ctx.revocations.has(id),
        });
        if (entry.meshId !== ctx.meshId || ctx.revocations.has(entry.revokedId)) continue;
        this.applyRevocation(ctx, entry);
        added++;
      } catch (err) {
        if (!(err instanceof RevocationInvalidError)) throw err;
        this.counters.drop('malformed');
      }
    }
    if (added > 0) this.log.info({ meshId: ctx.meshId, added }, 'revocations synced');
  }

  private async onRevocationsStream(stream: Stream, connection: Connection): Promise<void> {
    if (!(await this.acceptMemberStream(stream, connection))) return;
    const frames = new FrameStream(stream, { maxFrameBytes: this.settings.maxFrameBytes });
    const signal = AbortSignal.timeout(this.settings.handshakeTimeoutMs);
    try {
      const request = await frames.readJson(revocationsRequestSchema, { signal, what: 'revocation request' });
      const ctx = this.meshContexts.get(request.meshId);
      const peer = this.peerRecords.get(connection.remotePeer.toString());
      const entries =
        ctx !== undefined && peer?.credentials.has(request.meshId) === true
          ? ctx.revocations.entries().map((entry) => toBase64Url(entry.bytes))
          : [];
      await frames.writeJson({ v: 1, entries }, { signal });
      await frames.closeWrite({ signal });
    } catch (err) {
      this.counters.drop('malformed');
      stream.abort(toAtmosphereError(err));
    }
  }

  // ---- capability documents ----------------------------------------------------------------

  private async onDocumentStream(stream: Stream, connection: Connection): Promise<void> {
    if (!(await this.acceptMemberStream(stream, connection))) return;
    const frames = new FrameStream(stream, { maxFrameBytes: this.settings.maxFrameBytes });
    const signal = AbortSignal.timeout(this.settings.handshakeTimeoutMs);
    try {
      const request = await frames.readJson(documentRequestSchema, { signal, what: 'document request' });
      const document = [this.announcement?.current, this.previousDocument].find(
        (d) => d?.digest === request.digest,
      );
      await frames.writeJson(
        document === undefined
          ? { v: 1, ok: false, code: 'not_found', message: 'no document with that digest' }
          : { v: 1, ok: true, document: document.text },
        { signal },
      );
      await frames.closeWrite({ signal });
    } catch (err) {
      this.counters.drop('malformed');
      stream.abort(toAtmosphereError(err));
    }
  }

  /** Fetches a member's capability document by digest and checks it against the digest. */
  async fetchDocument(
    nodeId: string,
    digest: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const connection = await this.connectTo(nodeId, options);
    const signal = withTimeout(options.signal, this.settings.handshakeTimeoutMs * 3);
    const stream = await connection.newStream(DOCUMENT_PROTOCOL, { signal });
    const frames = new FrameStream(stream, { maxFrameBytes: this.settings.maxFrameBytes });
    let reply;
    try {
      await frames.writeJson({ v: 1, digest }, { signal });
      reply = await frames.readJson(documentReplySchema, { signal, what: 'document' });
    } finally {
      await frames.closeWrite();
    }
    if (!reply.ok) throw new NotFoundError(`peer has no document ${digest}`, { details: { nodeId, digest } });
    if (toHex(this.crypto.sha256(utf8(reply.document))) !== digest) {
      throw new ProtocolViolationError('document does not match its digest', { details: { nodeId, digest } });
    }
    try {
      return JSON.parse(reply.document) as unknown;
    } catch (err) {
      throw new ProtocolViolationError('document is not valid JSON', { cause: err });
    }
  }

  // ---- invoke --------------------------------------------------------------------------------

  /** Serves `/atmosphere/invoke/1.0.0` with `handler` (replacing any previous handler). */
  handleInvoke(handler: InvokeHandler): void {
    this.invokeHandler = handler;
  }

  /** An open connection to a member whose handshake succeeded, dialing it if needed. */
  private async connectTo(nodeId: string, options: { signal?: AbortSignal }): Promise<Connection> {
    const libp2p = this.requireStarted();
    if (nodeId === this.nodeId) throw new InvalidInputError('cannot connect to this node itself');
    const verified = this.verifiedConnection(nodeId);
    if (verified !== undefined) return verified;
    const peer = this.peerRecords.get(nodeId);
    if (peer === undefined || peer.credentials.size === 0 || this.isRevokedInAllShared(peer)) {
      throw new NotMeshMemberError(`${nodeId} is not a known member of a mesh this node belongs to`, {
        details: { nodeId },
      });
    }
    let peerId: PeerId;
    try {
      peerId = peerIdFromString(nodeId);
    } catch (err) {
      throw new InvalidInputError(`not a node id: ${nodeId}`, { cause: err });
    }
    let connection = libp2p.getConnections(peerId).find((c) => c.status === 'open');
    if (connection === undefined) {
      const addrs: Multiaddr[] = [];
      for (const address of peer.addresses) {
        try {
          addrs.push(multiaddr(address));
        } catch {
          // skipped
        }
      }
      try {
        connection = await libp2p.dial(addrs.length > 0 ? addrs : peerId, {
          signal: withTimeout(options.signal, this.settings.dialTimeoutMs),
        });
      } catch (err) {
        if (options.signal?.aborted === true) throw abortError(options.signal, 'dial');
        throw new PeerUnreachableError(`could not reach ${nodeId}: ${errorMessage(err)}`, {
          cause: err,
          details: { nodeId },
        });
      }
    }
    // outbound connections run the handshake automatically (onConnectionOpen); inbound ones wait for the peer's
    const ok = await raceSignal(this.awaitVerified(connection), options.signal, 'handshake');
    if (!ok) {
      throw new HandshakeFailedError(
        `membership handshake with ${nodeId} failed: ${peer.detail ?? 'refused'}`,
        {
          details: { nodeId, reason: peer.reason },
        },
      );
    }
    return connection;
  }

  /**
   * Calls a member's invoke handler and streams its reply. Cancel with `signal` or by leaving the
   * loop early; either resets the stream and aborts the remote handler.
   */
  async *invoke(
    nodeId: string,
    request: InvokeRequest,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<InvokeFrame> {
    if (request.meshId !== undefined) {
      const peer = this.peerRecords.get(nodeId);
      if (!this.meshContexts.has(request.meshId) || peer?.credentials.has(request.meshId) !== true) {
        throw new NotMeshMemberError(`${nodeId} does not share ${request.meshId} with this node`);
      }
    }
    const connection = await this.connectTo(nodeId, options);
    const { signal } = options;
    // a kept stream when one is free: a new one costs a multistream-select round trip
    const open = async (): Promise<Stream> =>
      await raceSignal(connection.newStream(INVOKE_PROTOCOL, { signal }), signal, 'invoke');
    yield* this.invokeStreams.call(connection, open, request, {
      signal,
      nodeId,
      maxFrameBytes: this.settings.maxFrameBytes,
      idleTimeoutMs: this.settings.invokeTimeoutMs,
      now: () => this.clock.now(),
      onTransfer: (sample) => {
        this.throughput.record(sample, this.clock.now());
      },
    });
  }

  /**
   * The smoothed transfer rate observed on recent invoke replies (frames of 64 KiB or more, timed
   * first to last chunk, so model speed does not count), in Mbps; null when none in 10 minutes.
   */
  observedThroughputMbps(): number | null {
    return this.throughput.current(this.clock.now());
  }

  private async onInvokeStream(stream: Stream, connection: Connection): Promise<void> {
    const callerId = connection.remotePeer.toString();
    if (!(await this.acceptMemberStream(stream, connection))) return;
    await serveInvoke(stream, {
      callerId,
      handler: this.invokeHandler,
      meshIdsFor: (meshId) => {
        const shared = [...(this.peerRecords.get(callerId)?.credentials.keys() ?? [])].filter(
          (id) => this.meshContexts.get(id)?.revocations.has(callerId) === false,
        );
        return meshId === undefined ? shared : shared.filter((id) => id === meshId);
      },
      maxFrameBytes: this.settings.maxFrameBytes,
      invokeTimeoutMs: this.settings.invokeTimeoutMs,
      requestTimeoutMs: this.settings.handshakeTimeoutMs,
      stopSignal: this.stopController.signal,
      counters: this.counters,
    });
  }
}
