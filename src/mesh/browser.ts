/**
 * The mesh engine for a browser (the phone app): the same `MeshService` as a node, on WebCrypto and
 * a dial-only libp2p node (WebSocket + circuit relay). Nothing here imports `node:*`.
 */
import type { MeshPlatform } from './node-platform.js';
import { createBrowserMeshLibp2p } from './libp2p-browser.js';
import { WebCryptoProvider } from './webcrypto-provider.js';

export * from './memory-state.js';
export * from './mesh-service.js';
export { createBrowserMeshLibp2p, NoMdns } from './libp2p-browser.js';
export { WebCryptoProvider, generateWebCryptoEd25519Key } from './webcrypto-provider.js';
export { decodeEd25519PrivateKey, encodePrivateKey } from './keys.js';
export { INVOKE_PROTOCOL } from './messages.js';

/** The `MeshService` components that come from the platform, in a browser. */
export function browserMeshPlatform(): MeshPlatform {
  return { crypto: new WebCryptoProvider(), createLibp2p: createBrowserMeshLibp2p };
}
export { PersistentMeshState } from './persistent-state.js';
export type { StringStore } from './persistent-state.js';
