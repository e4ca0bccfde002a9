/**
 * Contract suite for the `MeshStateRepository` seam: the same behaviour from the in-memory
 * implementation (mesh tests) and the SQLite one (the node), including persistence across reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IssuedInviteRecord, MeshStateRepository } from '../src/core/index.js';
import { ManualClock, silentLogger } from '../src/core/index.js';
import { MemoryMeshState } from '../src/mesh/memory-state.js';
import { PersistentMeshState } from '../src/mesh/persistent-state.js';
import { SqliteStore } from '../src/store/index.js';

const invite = (over: Partial<IssuedInviteRecord> = {}): IssuedInviteRecord => ({
  nonce: 'aa'.repeat(16),
  meshId: 'mesh-one',
  role: 'member',
  maxUses: 2,
  issuedAtMs: 1000,
  expiresAtMs: 2000,
  uses: 0,
  redeemedBy: [],
  ...over,
});

function meshStateContract(name: string, make: () => { repo: MeshStateRepository; close: () => void }): void {
  describe(`MeshStateRepository contract: ${name}`, () => {
    const opened: (() => void)[] = [];
    const open = (): MeshStateRepository => {
      const { repo, close } = make();
      opened.push(close);
      return repo;
    };
    afterEach(() => {
      for (const close of opened.splice(0)) close();
    });

    it('stores, replaces and deletes memberships by mesh id with their bytes intact', () => {
      const repo = open();
      const rec = {
        meshId: 'mesh-one',
        meshName: 'Home',
        meshPublicKey: new Uint8Array([1, 2, 3]),
        credential: new Uint8Array([9, 8]),
        role: 'admin' as const,
        joinedAtMs: 5,
      };
      repo.putMembership(rec);
      expect(repo.getMembership('mesh-one')).toEqual(rec);
      repo.putMembership({ ...rec, meshName: 'Family' });
      expect(repo.listMemberships()).toHaveLength(1);
      expect(repo.getMembership('mesh-one')?.meshName).toBe('Family');
      repo.deleteMembership('mesh-one');
      expect(repo.getMembership('mesh-one')).toBeUndefined();
    });

    it('keeps mesh private keys and returns copies', () => {
      const repo = open();
      repo.putMeshPrivateKey('mesh-one', new Uint8Array([7, 7, 7]));
      const key = repo.getMeshPrivateKey('mesh-one')!;
      expect([...key]).toEqual([7, 7, 7]);
      key[0] = 0;
      expect([...repo.getMeshPrivateKey('mesh-one')!]).toEqual([7, 7, 7]);
      repo.deleteMeshPrivateKey('mesh-one');
      expect(repo.getMeshPrivateKey('mesh-one')).toBeUndefined();
    });

    it('counts invite uses once per node and stops at the maximum', () => {
      const repo = open();
      repo.putIssuedInvite(invite());
      expect(repo.redeemInvite(invite().nonce, 'node-a')).toEqual({ status: 'redeemed', uses: 1 });
      expect(repo.redeemInvite(invite().nonce, 'node-a')).toEqual({ status: 'repeat', uses: 1 });
      expect(repo.redeemInvite(invite().nonce, 'node-b')).toEqual({ status: 'redeemed', uses: 2 });
      expect(repo.redeemInvite(invite().nonce, 'node-c')).toEqual({ status: 'exhausted', uses: 2 });
      expect(repo.redeemInvite('bb'.repeat(16), 'node-a')).toEqual({ status: 'unknown', uses: 0 });
      expect(repo.getIssuedInvite(invite().nonce)?.redeemedBy).toEqual(['node-a', 'node-b']);
    });

    it('lists the invites of a mesh newest first', () => {
      const repo = open();
      repo.putIssuedInvite(invite({ nonce: '01'.repeat(16), issuedAtMs: 1 }));
      repo.putIssuedInvite(invite({ nonce: '02'.repeat(16), issuedAtMs: 3 }));
      repo.putIssuedInvite(invite({ nonce: '03'.repeat(16), issuedAtMs: 2, meshId: 'mesh-two' }));
      expect(repo.listIssuedInvites('mesh-one').map((i) => i.issuedAtMs)).toEqual([3, 1]);
    });

    it('hands out credential serials that never repeat, even after the mesh is deleted', () => {
      const repo = open();
      expect(repo.nextCredentialSerial('mesh-one')).toBe(1);
      expect(repo.nextCredentialSerial('mesh-one')).toBe(2);
      expect(repo.nextCredentialSerial('mesh-two')).toBe(1);
      repo.deleteMesh('mesh-one');
      expect(repo.nextCredentialSerial('mesh-one')).toBe(3);
    });

    it('records each revocation once per node and mesh, in order', () => {
      const repo = open();
      expect(repo.addRevocation('mesh-one', 'node-a', new Uint8Array([1]))).toBe(true);
      expect(repo.addRevocation('mesh-one', 'node-a', new Uint8Array([2]))).toBe(false);
      expect(repo.addRevocation('mesh-one', 'node-b', new Uint8Array([3]))).toBe(true);
      expect(repo.listRevocations('mesh-one').map((e) => [...e])).toEqual([[1], [3]]);
      expect(repo.listRevocations('mesh-two')).toEqual([]);
    });

    it('keeps members per mesh and known peers, and forgets a deleted mesh entirely', () => {
      const repo = open();
      const member = {
        meshId: 'mesh-one',
        nodeId: 'node-a',
        credential: new Uint8Array([4]),
        role: 'member' as const,
        name: 'laptop',
        lastSeenMs: 10,
      };
      repo.putMember(member);
      repo.putMember({ ...member, lastSeenMs: 20 });
      expect(repo.listMembers('mesh-one')).toEqual([{ ...member, lastSeenMs: 20 }]);
      repo.putKnownPeer({
        nodeId: 'node-a',
        name: 'laptop',
        addresses: ['/ip4/127.0.0.1/tcp/1'],
        lastSeenMs: 1,
      });
      expect(repo.listKnownPeers()[0]?.addresses).toEqual(['/ip4/127.0.0.1/tcp/1']);
      repo.putMembership({
        meshId: 'mesh-one',
        meshName: 'Home',
        meshPublicKey: new Uint8Array([1]),
        credential: new Uint8Array([1]),
        role: 'admin',
        joinedAtMs: 1,
      });
      repo.putMeshPrivateKey('mesh-one', new Uint8Array([1]));
      repo.putIssuedInvite(invite());
      repo.addRevocation('mesh-one', 'node-z', new Uint8Array([1]));
      repo.deleteMesh('mesh-one');
      expect(repo.getMembership('mesh-one')).toBeUndefined();
      expect(repo.getMeshPrivateKey('mesh-one')).toBeUndefined();
      expect(repo.listIssuedInvites('mesh-one')).toEqual([]);
      expect(repo.listMembers('mesh-one')).toEqual([]);
      expect(repo.listRevocations('mesh-one')).toEqual([]);
      repo.deleteKnownPeer('node-a');
      expect(repo.listKnownPeers()).toEqual([]);
    });
  });
}

const components = () => ({ logger: silentLogger(), clock: new ManualClock(1) });

meshStateContract('in memory', () => ({ repo: new MemoryMeshState(), close: () => {} }));

/** `localStorage`'s two methods over a map (what the phone app's state is written to). */
class MapStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

meshStateContract('persistent (phone storage)', () => ({
  repo: new PersistentMeshState({ store: new MapStore() }),
  close: () => {},
}));

describe('PersistentMeshState', () => {
  it('comes back with the same memberships, members, revocations and peers after a reload', () => {
    const store = new MapStore();
    const first = new PersistentMeshState({ store });
    const bytes = Uint8Array.from([1, 2, 3, 250]);
    first.putMembership({
      meshId: 'm1',
      meshName: 'Home',
      meshPublicKey: bytes,
      credential: bytes,
      role: 'member',
      joinedAtMs: 5,
    });
    first.putMember({
      meshId: 'm1',
      nodeId: 'n2',
      credential: bytes,
      role: 'admin',
      name: 'desk',
      lastSeenMs: 9,
    });
    expect(first.addRevocation('m1', 'n3', bytes)).toBe(true);
    first.putKnownPeer({ nodeId: 'n2', name: 'desk', addresses: ['/ip4/127.0.0.1/tcp/1/ws'], lastSeenMs: 9 });
    expect(first.nextCredentialSerial('m1')).toBe(1);

    const second = new PersistentMeshState({ store });
    expect(second.loadError).toBeNull();
    expect(second.getMembership('m1')?.credential).toEqual(bytes);
    expect(second.listMembers('m1').map((m) => m.name)).toEqual(['desk']);
    expect(second.listRevocations('m1')).toEqual([bytes]);
    expect(second.addRevocation('m1', 'n3', bytes)).toBe(false);
    expect(second.listKnownPeers()[0]?.addresses).toEqual(['/ip4/127.0.0.1/tcp/1/ws']);
    expect(second.nextCredentialSerial('m1')).toBe(2);
  });

  it('starts over with a reason when the saved state is corrupt, and saves cleanly afterwards', () => {
    for (const junk of [
      '{not json',
      '{"version":99,"state":{}}',
      '{"version":1,"state":{"memberships":7}}',
    ]) {
      const store = new MapStore();
      store.setItem('atmosphere.mesh-state', junk);
      const state = new PersistentMeshState({ store });
      expect(state.loadError).toMatch(/unreadable/);
      expect(state.listMemberships()).toEqual([]);
      state.putKnownPeer({ nodeId: 'n1', name: 'a', addresses: [], lastSeenMs: 1 });
      expect(new PersistentMeshState({ store }).listKnownPeers()).toHaveLength(1);
    }
  });
});
meshStateContract('SQLite', () => {
  const store = new SqliteStore(components());
  return { repo: store.mesh, close: () => store.close() };
});

describe('SqliteMeshState on disk', () => {
  it('keeps memberships, keys, invites and revocations across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atm-meshstate-'));
    try {
      const path = join(dir, 'atmosphere.db');
      const first = new SqliteStore(components(), { path });
      first.mesh.putMeshPrivateKey('mesh-one', new Uint8Array([5, 6]));
      first.mesh.putIssuedInvite(invite());
      first.mesh.redeemInvite(invite().nonce, 'node-a');
      first.mesh.addRevocation('mesh-one', 'node-x', new Uint8Array([1]));
      first.close();
      const second = new SqliteStore(components(), { path });
      expect([...second.mesh.getMeshPrivateKey('mesh-one')!]).toEqual([5, 6]);
      expect(second.mesh.getIssuedInvite(invite().nonce)?.uses).toBe(1);
      expect(second.mesh.redeemInvite(invite().nonce, 'node-a').status).toBe('repeat');
      expect(second.mesh.listRevocations('mesh-one')).toHaveLength(1);
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
