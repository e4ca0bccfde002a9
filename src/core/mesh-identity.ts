/**
 * Identities on the mesh, derived from keys so nobody can choose or squat them:
 * - a node id is the libp2p PeerId string of the node's Ed25519 key (`12D3KooW...`), computed here
 *   without libp2p: base58btc(identity multihash of the protobuf-encoded public key);
 * - a mesh id is `mesh-` + base32(first 16 bytes of sha256(mesh public key)), 26 characters.
 */
import type { CryptoProvider } from './crypto.js';
import { ED25519_PUBLIC_KEY_BYTES } from './crypto.js';
import { MalformedMessageError } from './errors.js';
import { bytesEqual, concatBytes, fromBase58btc, toBase32, toBase58btc } from './wire.js';

export type MeshRole = 'member' | 'admin';
export const MESH_ROLES: readonly MeshRole[] = ['member', 'admin'];

export const MESH_ID_PREFIX = 'mesh-';
export const MESH_ID_PATTERN = /^mesh-[a-z2-7]{26}$/;
/** Bytes of sha256(mesh public key) that make up the mesh id (128 bits). */
const MESH_ID_HASH_BYTES = 16;

/** identity multihash (0x00, length 36) of protobuf PublicKey { Type: Ed25519 (1), Data: 32 bytes }. */
const PEER_ID_PREFIX = new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]);

export function nodeIdFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new RangeError('expected a 32-byte Ed25519 public key');
  return toBase58btc(concatBytes(PEER_ID_PREFIX, publicKey));
}

/** The Ed25519 public key inside a node id; throws `MalformedMessageError` for anything else. */
export function publicKeyFromNodeId(nodeId: string): Uint8Array {
  if (nodeId.length < 46 || nodeId.length > 60) throw new MalformedMessageError('not an Ed25519 node id');
  const bytes = fromBase58btc(nodeId);
  if (
    bytes.length !== PEER_ID_PREFIX.length + ED25519_PUBLIC_KEY_BYTES ||
    !bytesEqual(bytes.subarray(0, PEER_ID_PREFIX.length), PEER_ID_PREFIX)
  ) {
    throw new MalformedMessageError('not an Ed25519 node id');
  }
  return bytes.slice(PEER_ID_PREFIX.length);
}

export function isNodeId(value: string): boolean {
  try {
    publicKeyFromNodeId(value);
    return true;
  } catch {
    return false;
  }
}

export function meshIdFromPublicKey(crypto: CryptoProvider, meshPublicKey: Uint8Array): string {
  if (meshPublicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new RangeError('expected a 32-byte Ed25519 public key');
  return MESH_ID_PREFIX + toBase32(crypto.sha256(meshPublicKey).subarray(0, MESH_ID_HASH_BYTES));
}

export function isMeshId(value: string): boolean {
  return MESH_ID_PATTERN.test(value);
}
