/**
 * `MeshStateRepository` kept in a string key-value store (the browser's `localStorage` in the phone
 * app): the in-memory state, written as one JSON snapshot after every change, so a write is whole
 * or not at all. A snapshot that does not parse is not loaded (the phone starts over, as after a
 * fresh install) and the reason is kept for the app to show.
 */
import type {
  InviteRedemption,
  IssuedInviteRecord,
  KnownPeerRecord,
  MeshMemberRecord,
  MeshMembershipRecord,
} from '../core/index.js';
import { fromBase64Url, toBase64Url } from '../core/index.js';
import type { MeshStateSnapshot } from './memory-state.js';
import { MemoryMeshState } from './memory-state.js';

/** The part of the Web Storage API this needs (`localStorage` has it). */
export interface StringStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const SNAPSHOT_VERSION = 1;
const BYTES_TAG = '$bytes';

function encode(snapshot: MeshStateSnapshot): string {
  return JSON.stringify({ version: SNAPSHOT_VERSION, state: snapshot }, (_key, value: unknown) =>
    value instanceof Uint8Array ? { [BYTES_TAG]: toBase64Url(value) } : value,
  );
}

function decode(text: string): MeshStateSnapshot {
  const parsed = JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && BYTES_TAG in value) {
      const bytes = (value as Record<string, unknown>)[BYTES_TAG];
      if (typeof bytes !== 'string') throw new Error('bad bytes value');
      return fromBase64Url(bytes);
    }
    return value;
  }) as { version?: unknown; state?: Partial<MeshStateSnapshot> };
  if (parsed.version !== SNAPSHOT_VERSION)
    throw new Error(`unknown snapshot version ${String(parsed.version)}`);
  const s = parsed.state ?? {};
  const list = <T>(value: readonly T[] | undefined, what: string): readonly T[] => {
    const items: unknown = value;
    if (!Array.isArray(items)) throw new Error(`${what} is not a list`);
    return items as readonly T[];
  };
  return {
    memberships: list(s.memberships, 'memberships'),
    meshKeys: list(s.meshKeys, 'meshKeys'),
    invites: list(s.invites, 'invites'),
    serials: list(s.serials, 'serials'),
    members: list(s.members, 'members'),
    revocations: list(s.revocations, 'revocations'),
    knownPeers: list(s.knownPeers, 'knownPeers'),
  };
}

export class PersistentMeshState extends MemoryMeshState {
  private readonly store: StringStore;
  private readonly key: string;
  /** Why the saved state could not be loaded, or null. */
  readonly loadError: string | null;

  constructor(components: { store: StringStore }, init: { key?: string } = {}) {
    super();
    this.store = components.store;
    this.key = init.key ?? 'atmosphere.mesh-state';
    let loadError: string | null = null;
    const saved = this.store.getItem(this.key);
    if (saved !== null) {
      try {
        this.restore(decode(saved));
      } catch (err) {
        loadError = `the saved mesh state is unreadable (${err instanceof Error ? err.message : String(err)}); starting over`;
        this.restore(new MemoryMeshState().snapshot());
      }
    }
    this.loadError = loadError;
  }

  private save(): void {
    this.store.setItem(this.key, encode(this.snapshot()));
  }

  override putMembership(record: MeshMembershipRecord): void {
    super.putMembership(record);
    this.save();
  }

  override deleteMembership(meshId: string): void {
    super.deleteMembership(meshId);
    this.save();
  }

  override putMeshPrivateKey(meshId: string, privateKey: Uint8Array): void {
    super.putMeshPrivateKey(meshId, privateKey);
    this.save();
  }

  override deleteMeshPrivateKey(meshId: string): void {
    super.deleteMeshPrivateKey(meshId);
    this.save();
  }

  override putIssuedInvite(record: IssuedInviteRecord): void {
    super.putIssuedInvite(record);
    this.save();
  }

  override redeemInvite(nonce: string, nodeId: string): InviteRedemption {
    const result = super.redeemInvite(nonce, nodeId);
    if (result.status === 'redeemed') this.save();
    return result;
  }

  override nextCredentialSerial(meshId: string): number {
    const serial = super.nextCredentialSerial(meshId);
    this.save();
    return serial;
  }

  override putMember(record: MeshMemberRecord): void {
    super.putMember(record);
    this.save();
  }

  override addRevocation(meshId: string, nodeId: string, entry: Uint8Array): boolean {
    const added = super.addRevocation(meshId, nodeId, entry);
    if (added) this.save();
    return added;
  }

  override putKnownPeer(record: KnownPeerRecord): void {
    super.putKnownPeer(record);
    this.save();
  }

  override deleteKnownPeer(nodeId: string): void {
    super.deleteKnownPeer(nodeId);
    this.save();
  }

  override deleteMesh(meshId: string): void {
    super.deleteMesh(meshId);
    this.save();
  }
}
