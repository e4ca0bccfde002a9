/**
 * The libp2p node under `MeshService`, the part shared by the Node build (`libp2p-node.ts`: TCP +
 * WebSocket listeners, mDNS, relay server, AutoNAT, DCUtR) and the browser build (the phone app:
 * WebSocket dialing and relayed listening only): its type, the factory `MeshService` receives (it
 * never imports a platform's transports itself), and the settings both builds use — Noise, Yamux,
 * identify, ping, gossipsub with the membership score, the connection monitor and the gater.
 */
import type { GossipSub } from '@libp2p/gossipsub';
import { gossipsub } from '@libp2p/gossipsub';
import type { Identify } from '@libp2p/identify';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import type { Ping } from '@libp2p/ping';
import { ping } from '@libp2p/ping';
import type { Libp2pOptions, ServiceFactoryMap } from 'libp2p';
import type { StaggeredConnectionMonitor } from './connection-monitor.js';
import { staggeredConnectionMonitor } from './connection-monitor.js';
import { lazyWindowYamux } from './lazy-window-yamux.js';

/** LAN discovery the service turns on once this node belongs to a mesh (a no-op where there is none). */
export interface MdnsControl {
  readonly active: boolean;
  enable(): Promise<void>;
  disable(): Promise<void>;
  onPeer(handler: (peer: PeerInfo) => void): void;
}

export interface MeshLibp2pServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
  monitor: StaggeredConnectionMonitor;
  mdns: MdnsControl;
  autonat?: unknown;
  dcutr?: unknown;
  relay?: unknown;
}

export type MeshLibp2p = Libp2p<MeshLibp2pServices>;

export interface MeshLibp2pOptions {
  readonly privateKey: PrivateKey;
  readonly listenHost: string;
  /** `null` disables the TCP listener (e.g. a node reachable only through relays). */
  readonly tcpPort: number | null;
  /** `null` disables the WebSocket listener. */
  readonly wsPort: number | null;
  /**
   * Certificate and key (PEM) for the WebSocket listener: it then listens as `/tls/ws` (WSS), which
   * a browser on an `https:` page (the phone app in a secure context) can dial. Node only.
   */
  readonly wsTls?: { readonly key: string; readonly cert: string };
  readonly relay: boolean;
  /** Listen on `/p2p-circuit`: reserve a slot on relay-capable peers and advertise relayed addresses. */
  readonly useRelays: boolean;
  /** gossipsub application score per peer id: 0 for verified members, negative otherwise. */
  readonly appScore: (peerId: string) => number;
  /** This node never dials these peers (revoked in every mesh it belongs to). */
  readonly isRefused: (peerId: PeerId) => boolean;
  /** Relay (as a server) only to these peers: verified members. */
  readonly mayUseRelay: (peerId: PeerId) => boolean;
}

/** How often the connection monitor pings each connection (and refreshes its RTT). */
export const CONNECTION_PING_INTERVAL_MS = 30_000;
/** A connection whose ping gets no echo within this long is hung up (a busy node answers late). */
export const CONNECTION_PING_TIMEOUT_MS = 30_000;

/**
 * gossipsub's topic-mesh degree. Every member forwards each new message to its topic-mesh peers,
 * so a message costs about members × D copies mesh-wide; gossipsub's default (D 6, up to 12)
 * made that ~7 copies per member reached. The publisher sends to all of its direct connections
 * (`floodPublish`, up to `targetPeers`), so a message reaches 100 members in about three hops with
 * D 3, and gossip (IHAVE/IWANT on each 1 s gossipsub heartbeat) repairs a missed copy.
 */
export const GOSSIP_DEGREE = { D: 3, Dlo: 2, Dhi: 5, Dscore: 2, Dout: 1, Dlazy: 2 } as const;

/**
 * gossipsub advertises each recent message id (IHAVE) on every 1 s heartbeat to max(Dlazy,
 * gossipFactor × non-topic-mesh peers) peers. One IHAVE costs about as much to send and handle as
 * a message copy, and a member that many others connect to (the founder, whom every joiner dials)
 * would advertise to a quarter of them by default: `GOSSIP_DEGREE.Dlazy` peers are enough to
 * repair a missed copy.
 */
export const GOSSIP_FACTOR = 0;

/**
 * Messages at least this large are announced with IDONTWANT to topic-mesh peers before they are
 * forwarded. Ours are at most 20 KiB and mostly under 1 KiB: an IDONTWANT costs as much to send
 * and process as the copy it saves, so it is reserved for the largest envelopes.
 */
export const GOSSIP_IDONTWANT_MIN_BYTES = 16 * 1024;

/** Concurrent ping streams per connection and direction. */
export const PING_MAX_STREAMS = 8;

/** gossipsub PRUNE backoff (whole seconds: it travels in the PRUNE as seconds). */
export const PRUNE_BACKOFF_MS = 5_000;

/** Score given to a peer that has not completed the membership handshake. */
export const UNVERIFIED_PEER_SCORE = -60;
/** Score given to a peer that was refused (revoked, failed handshake). */
export const REFUSED_PEER_SCORE = -1000;

/** Builds (does not start) the libp2p node for a `MeshService`. */
export type MeshLibp2pFactory = (options: MeshLibp2pOptions) => Promise<MeshLibp2p>;

/** A gossip message's data and signature, hashed: duplicates are dropped before their signature is checked again. */
export type MessageHash = (data: Uint8Array, signature: Uint8Array) => string;

/**
 * The libp2p options both builds share; the platform adds transports, listen addresses and its
 * own services.
 */
/** The libp2p options both builds share (see `meshLibp2pBase`). */
export interface MeshLibp2pBase extends Pick<
  Libp2pOptions<MeshLibp2pServices>,
  | 'privateKey'
  | 'nodeInfo'
  | 'connectionMonitor'
  | 'connectionEncrypters'
  | 'streamMuxers'
  | 'connectionGater'
> {
  readonly services: Pick<ServiceFactoryMap<MeshLibp2pServices>, 'identify' | 'ping' | 'pubsub' | 'monitor'>;
}

export function meshLibp2pBase(options: MeshLibp2pOptions, messageHash: MessageHash): MeshLibp2pBase {
  return {
    privateKey: options.privateKey,
    nodeInfo: { name: 'atmosphere', version: '1' },
    // libp2p's connection monitor pings all of a node's connections in the same instant; ours
    // (the `monitor` service) pings each at its own phase. A busy node answers pings late; the
    // mesh's heartbeats judge liveness, so the monitor only hangs up on connections that stay
    // silent for long, and pings each connection every 30 s rather than 10 s (a ping is a new
    // stream each way: with 20 connections a node, the default cost as much as all of its gossip).
    connectionMonitor: { enabled: false },
    connectionEncrypters: [noise()],
    streamMuxers: [lazyWindowYamux()],
    // inbound connections from revoked nodes are still accepted so that the handshake and the join
    // protocol can tell them why they are refused; they are hung up right after
    // the relay server relays only to members: the destination of a relayed connection must have
    // completed the membership handshake with it. The source may be anyone (a node joining through
    // a relay is not a member yet); the destination's own gate then applies, as for a direct
    // connection. Reservations are accepted from anyone (a node reserves as soon as identify
    // finishes, before its handshake does), but a non-member's reservation is never relayed to.
    connectionGater: {
      denyDialPeer: (peerId: PeerId) => options.isRefused(peerId),
      denyOutboundRelayedConnection: (_source: PeerId, destination: PeerId) =>
        !options.mayUseRelay(destination),
    },
    services: {
      identify: identify(),
      // The connection monitor pings every connection on this protocol and the mesh measures RTTs
      // on it each heartbeat: with ping's default of 1 outbound (2 inbound) stream, the two collide,
      // the monitor's ping fails and it aborts a healthy connection.
      ping: ping({ maxInboundStreams: PING_MAX_STREAMS, maxOutboundStreams: PING_MAX_STREAMS }),
      monitor: staggeredConnectionMonitor({
        pingIntervalMs: CONNECTION_PING_INTERVAL_MS,
        pingTimeoutMs: CONNECTION_PING_TIMEOUT_MS,
      }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        // drop duplicates before verifying their signature again (a hash of data and signature, so
        // a forged copy cannot shadow the real message)
        fastMsgIdFn: (msg) => messageHash(msg.data ?? new Uint8Array(), msg.signature ?? new Uint8Array()),
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        floodPublish: true,
        ...GOSSIP_DEGREE,
        gossipFactor: GOSSIP_FACTOR,
        idontwantMinDataSize: GOSSIP_IDONTWANT_MIN_BYTES,
        doPX: false,
        // A GRAFT that reaches a peer before its membership handshake has verified us is answered
        // with a PRUNE (our score is still negative there), and both sides then back off for this
        // long. The default minute leaves freshly connected members out of each other's topic mesh
        // for a minute; a few seconds covers the handshake race instead.
        pruneBackoff: PRUNE_BACKOFF_MS,
        runOnLimitedConnection: true,
        maxInboundStreams: 256,
        maxOutboundStreams: 256,
        scoreParams: {
          // many members may share one IP (a NAT, or 127.0.0.1 in tests): never penalise that
          IPColocationFactorWeight: 0,
          appSpecificScore: options.appScore,
          appSpecificWeight: 1,
        },
        // unverified peers (-60) sit below the publish and gossip thresholds, so nothing is sent to
        // them, yet above graylist so their subscriptions are recorded for when they are verified
        scoreThresholds: { gossipThreshold: -10, publishThreshold: -50, graylistThreshold: -80 },
      }),
    },
  };
}
