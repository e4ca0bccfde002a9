import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import { fixedKey, testCrypto } from '../../test/mesh-fixtures.js';
import { MalformedMessageError } from './errors.js';
import {
  isMeshId,
  isNodeId,
  meshIdFromPublicKey,
  nodeIdFromPublicKey,
  publicKeyFromNodeId,
} from './mesh-identity.js';

describe('node ids', () => {
  it('derives the same node id as libp2p derives the PeerId', async () => {
    for (const n of [1, 2, 3, 200]) {
      const key = await fixedKey(n);
      const nodeId = nodeIdFromPublicKey(key.publicKey.raw);
      expect(nodeId).toBe(peerIdFromPublicKey(key.publicKey).toString());
      expect(publicKeyFromNodeId(nodeId)).toEqual(key.publicKey.raw);
      expect(isNodeId(nodeId)).toBe(true);
    }
  });

  it('rejects strings that are not Ed25519 node ids', () => {
    expect(() => publicKeyFromNodeId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')).toThrow(
      MalformedMessageError,
    );
    expect(isNodeId('12D3KooW')).toBe(false);
    expect(isNodeId('not a node id at all, clearly, and quite long too')).toBe(false);
  });
});

describe('mesh ids', () => {
  it('derives a stable, prefixed mesh id from the mesh key that differs between keys', async () => {
    const a = meshIdFromPublicKey(testCrypto, (await fixedKey(1)).publicKey.raw);
    const b = meshIdFromPublicKey(testCrypto, (await fixedKey(2)).publicKey.raw);
    expect(a).toMatch(/^mesh-[a-z2-7]{26}$/);
    expect(isMeshId(a)).toBe(true);
    expect(a).toBe(meshIdFromPublicKey(testCrypto, (await fixedKey(1)).publicKey.raw));
    expect(a).not.toBe(b);
    expect(isMeshId('mesh-family')).toBe(false);
  });
});
