/**
 * Builds the libp2p node under `MeshService`: TCP + WebSocket (+ circuit relay) transports, Noise,
 * Yamux, identify, ping, gossipsub (StrictSign, IP-colocation penalty off, membership-driven app
 * score), AutoNAT, DCUtR, an optional circuit relay server, and mDNS that stays silent until the
 * service enables it (only once this node belongs to a mesh).
 */
import { createHash } from 'node:crypto';
import { autoNAT } from '@libp2p/autonat';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import type { GossipSub } from '@libp2p/gossipsub';
import { gossipsub } from '@libp2p/gossipsub';
import type { Identify } from '@libp2p/identify';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerDiscovery, PeerId, PeerInfo, PrivateKey, Startable } from '@libp2p/interface';
import type { MulticastDNSComponents } from '@libp2p/mdns';
import { mdns } from '@libp2p/mdns';
import { noise } from '@libp2p/noise';
import type { Ping } from '@libp2p/ping';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';

/** The mDNS service tag: Atmosphere nodes only find each other, not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = '_atmosphere._udp.local';

/**
 * mDNS that libp2p starts and stops with the node but that sends nothing until `enable()`: a node
 * is silent on the LAN until it belongs to a mesh.
 */
export class LazyMdns implements Startable {
  private readonly discovery: PeerDiscovery & Startable;
  private enabled = false;

  constructor(components: MulticastDNSComponents) {
    // mdns() returns the MulticastDNS class, which is Startable; its factory type only says PeerDiscovery.
    this.discovery = mdns({ serviceTag: MDNS_SERVICE_TAG })(components) as PeerDiscovery & Startable;
  }

  get active(): boolean {
    return this.enabled;
  }

  start(): void {}

  async stop(): Promise<void> {
    await this.disable();
  }

  async enable(): Promise<void> {
    if (this.enabled) return;
    this.enabled = true;
    await this.discovery.start();
  }

  async disable(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    await this.discovery.stop();
  }

  onPeer(handler: (peer: PeerInfo) => void): void {
    this.discovery.addEventListener('peer', (event) => {
      handler(event.detail);
    });
  }
}

export interface MeshLibp2pServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
  mdns: LazyMdns;
  autonat: unknown;
  dcutr: unknown;
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

/** How often libp2p's connection monitor pings each connection (and refreshes its RTT). */
export const CONNECTION_PING_INTERVAL_MS = 30_000;

/** Concurrent ping streams per connection and direction. */
export const PING_MAX_STREAMS = 8;

/** gossipsub PRUNE backoff (whole seconds: it travels in the PRUNE as seconds). */
export const PRUNE_BACKOFF_MS = 5_000;

/** Score given to a peer that has not completed the membership handshake. */
export const UNVERIFIED_PEER_SCORE = -60;
/** Score given to a peer that was refused (revoked, failed handshake). */
export const REFUSED_PEER_SCORE = -1000;

function listenAddresses(options: MeshLibp2pOptions): string[] {
  const family = options.listenHost.includes(':') ? 'ip6' : 'ip4';
  const out: string[] = [];
  if (options.tcpPort !== null) out.push(`/${family}/${options.listenHost}/tcp/${options.tcpPort}`);
  if (options.wsPort !== null) out.push(`/${family}/${options.listenHost}/tcp/${options.wsPort}/ws`);
  if (options.useRelays) out.push('/p2p-circuit');
  return out;
}

export async function createMeshLibp2p(options: MeshLibp2pOptions): Promise<MeshLibp2p> {
  return await createLibp2p<MeshLibp2pServices>({
    start: false,
    privateKey: options.privateKey,
    nodeInfo: { name: 'atmosphere', version: '1' },
    addresses: { listen: listenAddresses(options) },
    // Many members may dial from one address (a NAT, or every node of a test on 127.0.0.1): the
    // default of 5 inbound connections per second per host turns joins away with ECONNRESET.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 100 },
    // A busy node answers pings late; the mesh's heartbeats judge liveness, so the monitor only
    // hangs up on connections that stay silent for long, and pings each connection every 30 s
    // rather than 10 s (a ping is a new stream each way: with 20 connections a node, the default
    // cost as much as all of its gossip).
    connectionMonitor: {
      pingInterval: CONNECTION_PING_INTERVAL_MS,
      pingTimeout: { minTimeout: 15_000, maxTimeout: 60_000 },
    },
    transports: [tcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // inbound connections from revoked nodes are still accepted so that the handshake and the join
    // protocol can tell them why they are refused; they are hung up right after
    // the relay server relays only to members: the destination of a relayed connection must have
    // completed the membership handshake with it. The source may be anyone (a node joining through
    // a relay is not a member yet); the destination's own gate then applies, as for a direct
    // connection. Reservations are accepted from anyone (a node reserves as soon as identify
    // finishes, before its handshake does), but a non-member's reservation is never relayed to.
    connectionGater: {
      denyDialPeer: (peerId) => options.isRefused(peerId),
      denyOutboundRelayedConnection: (_source, destination) => !options.mayUseRelay(destination),
    },
    services: {
      identify: identify(),
      // The connection monitor pings every connection on this protocol and the mesh measures RTTs
      // on it each heartbeat: with ping's default of 1 outbound (2 inbound) stream, the two collide,
      // the monitor's ping fails and it aborts a healthy connection.
      ping: ping({ maxInboundStreams: PING_MAX_STREAMS, maxOutboundStreams: PING_MAX_STREAMS }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        // drop duplicates before verifying their signature again (a hash of data and signature, so
        // a forged copy cannot shadow the real message)
        fastMsgIdFn: (msg) =>
          createHash('sha256')
            .update(msg.data ?? new Uint8Array())
            .update(msg.signature ?? new Uint8Array())
            .digest('base64'),
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        floodPublish: true,
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
      autonat: autoNAT(),
      dcutr: dcutr(),
      mdns: (components: MulticastDNSComponents) => new LazyMdns(components),
      // members-only (see the gater), so relayed connections between members need no data or time limit
      ...(options.relay ? { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false } }) } : {}),
    },
  });
}
