/**
 * Builds the libp2p node under `MeshService`: TCP + WebSocket (WSS with `wsTls`) (+ circuit relay) transports, Noise,
 * Yamux, identify, ping, gossipsub (StrictSign, IP-colocation penalty off, membership-driven app
 * score), AutoNAT, DCUtR, an optional circuit relay server, and mDNS that stays silent until the
 * service enables it (only once this node belongs to a mesh).
 */
import { createHash } from 'node:crypto';
import { autoNAT } from '@libp2p/autonat';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import type { PeerDiscovery, PeerInfo, Startable } from '@libp2p/interface';
import type { MulticastDNSComponents } from '@libp2p/mdns';
import { mdns } from '@libp2p/mdns';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { createLibp2p } from 'libp2p';
import type { MdnsControl, MeshLibp2p, MeshLibp2pOptions, MeshLibp2pServices } from './libp2p-common.js';
import { meshLibp2pBase } from './libp2p-common.js';

export * from './libp2p-common.js';

/** The mDNS service tag: Atmosphere nodes only find each other, not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = '_atmosphere._udp.local';

/**
 * mDNS that libp2p starts and stops with the node but that sends nothing until `enable()`: a node
 * is silent on the LAN until it belongs to a mesh.
 */
export class LazyMdns implements Startable, MdnsControl {
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

function listenAddresses(options: MeshLibp2pOptions): string[] {
  const family = options.listenHost.includes(':') ? 'ip6' : 'ip4';
  const out: string[] = [];
  if (options.tcpPort !== null) out.push(`/${family}/${options.listenHost}/tcp/${options.tcpPort}`);
  if (options.wsPort !== null) {
    const ws = options.wsTls === undefined ? 'ws' : 'tls/ws';
    out.push(`/${family}/${options.listenHost}/tcp/${options.wsPort}/${ws}`);
  }
  if (options.useRelays) out.push('/p2p-circuit');
  return out;
}

/** Node's hash for gossipsub's duplicate check. */
function messageHash(data: Uint8Array, signature: Uint8Array): string {
  return createHash('sha256').update(data).update(signature).digest('base64');
}

export async function createMeshLibp2p(options: MeshLibp2pOptions): Promise<MeshLibp2p> {
  const base = meshLibp2pBase(options, messageHash);
  return await createLibp2p<MeshLibp2pServices>({
    ...base,
    start: false,
    addresses: { listen: listenAddresses(options) },
    // Many members may dial from one address (a NAT, or every node of a test on 127.0.0.1): the
    // default of 5 inbound connections per second per host turns joins away with ECONNRESET.
    connectionManager: { inboundConnectionThreshold: 100, maxIncomingPendingConnections: 100 },
    // with wsTls the one WebSocket listener serves WSS; dialing other members' `/ws` and `/tls/ws`
    // addresses is unchanged (a self-signed `/tls/ws` peer is not trusted by Node: TCP comes first)
    transports: [
      tcp(),
      webSockets(
        options.wsTls === undefined ? {} : { https: { key: options.wsTls.key, cert: options.wsTls.cert } },
      ),
      circuitRelayTransport(),
    ],
    services: {
      ...base.services,
      autonat: autoNAT(),
      dcutr: dcutr(),
      mdns: (components: MulticastDNSComponents) => new LazyMdns(components),
      // members-only (see the gater), so relayed connections between members need no data or time limit
      ...(options.relay ? { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false } }) } : {}),
    },
  });
}
