/**
 * The libp2p node of a mesh member running in a browser (the phone app): it cannot listen, so it
 * dials members' WebSocket addresses and, with `useRelays`, reserves a slot on a relay-serving
 * member and is reached through it (`/p2p-circuit`). No TCP, no mDNS (a browser has no multicast),
 * no AutoNAT or DCUtR.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import type { PeerInfo } from '@libp2p/interface';
import { webSockets } from '@libp2p/websockets';
import { sha256 } from '@noble/hashes/sha2.js';
import { createLibp2p } from 'libp2p';
import { concatBytes, toBase64Url } from '../core/index.js';
import type { MdnsControl, MeshLibp2p, MeshLibp2pOptions, MeshLibp2pServices } from './libp2p-common.js';
import { meshLibp2pBase } from './libp2p-common.js';

/** LAN discovery where there is none: never active, finds nobody. */
export class NoMdns implements MdnsControl {
  readonly active = false;

  async enable(): Promise<void> {}

  async disable(): Promise<void> {}

  onPeer(_handler: (peer: PeerInfo) => void): void {}
}

function messageHash(data: Uint8Array, signature: Uint8Array): string {
  return toBase64Url(sha256(concatBytes(data, signature)));
}

export async function createBrowserMeshLibp2p(options: MeshLibp2pOptions): Promise<MeshLibp2p> {
  const base = meshLibp2pBase(options, messageHash);
  return await createLibp2p<MeshLibp2pServices>({
    ...base,
    start: false,
    addresses: { listen: options.useRelays ? ['/p2p-circuit'] : [] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionGater: {
      ...base.connectionGater,
      // libp2p's browser default refuses plain ws:// and private addresses; a phone's mesh is
      // usually exactly that (a node on the home LAN), and it dials only members' addresses from
      // its invite and the mesh's own gossip
      denyDialMultiaddr: () => false,
    },
    services: {
      ...base.services,
      mdns: () => new NoMdns(),
    },
  });
}
