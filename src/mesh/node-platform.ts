/**
 * What `MeshService` needs from Node: `node:crypto` for hashing and signature checks, and the libp2p
 * node with TCP + WebSocket listeners, mDNS, AutoNAT, DCUtR and the relay server.
 */
import type { CryptoProvider } from '../core/index.js';
import { NodeCryptoProvider } from './crypto-provider.js';
import type { MeshLibp2pFactory } from './libp2p-common.js';
import { createMeshLibp2p } from './libp2p-node.js';

export interface MeshPlatform {
  readonly crypto: CryptoProvider;
  readonly createLibp2p: MeshLibp2pFactory;
}

/** The `MeshService` components that come from the platform, for a node running on Node. */
export function nodeMeshPlatform(): MeshPlatform {
  return { crypto: new NodeCryptoProvider(), createLibp2p: createMeshLibp2p };
}
