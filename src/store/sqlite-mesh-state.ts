import type BetterSqlite3 from 'better-sqlite3';
import type {
  InviteRedemption,
  IssuedInviteRecord,
  KnownPeerRecord,
  MeshMemberRecord,
  MeshMembershipRecord,
  MeshRole,
  MeshStateRepository,
} from '../core/index.js';
import { StoreError } from '../core/index.js';
import type { SqliteConnection } from './sqlite-connection.js';

interface MembershipRow {
  mesh_id: string;
  mesh_name: string;
  mesh_public_key: Buffer;
  credential: Buffer;
  role: string;
  joined_at_ms: number;
}

interface InviteRow {
  nonce: string;
  mesh_id: string;
  role: string;
  max_uses: number;
  issued_at_ms: number;
  expires_at_ms: number;
  uses: number;
  redeemed_by: string;
}

interface MemberRow {
  mesh_id: string;
  node_id: string;
  credential: Buffer;
  role: string;
  name: string;
  last_seen_ms: number;
}

interface PeerRow {
  node_id: string;
  name: string;
  addresses: string;
  last_seen_ms: number;
}

/** A copy that does not share memory with SQLite's buffer. */
const bytes = (b: Buffer): Uint8Array => new Uint8Array(b);

/**
 * The mesh's persistent state (migration 3): memberships, mesh private keys (the database file is
 * 0600), issued invites with their use counts, credential serials, members, revocations and peers
 * to redial. Every method is one statement or one transaction, so each is atomic.
 */
export class SqliteMeshState implements MeshStateRepository {
  private readonly connection: SqliteConnection;
  private readonly stmts: Record<string, BetterSqlite3.Statement>;
  private readonly redeemTx: BetterSqlite3.Transaction<(nonce: string, nodeId: string) => InviteRedemption>;
  private readonly serialTx: BetterSqlite3.Transaction<(meshId: string) => number>;
  private readonly deleteMeshTx: BetterSqlite3.Transaction<(meshId: string) => void>;

  constructor(components: { connection: SqliteConnection }) {
    this.connection = components.connection;
    const db = this.connection.db;
    this.stmts = {
      listMemberships: db.prepare('SELECT * FROM mesh_memberships ORDER BY joined_at_ms'),
      getMembership: db.prepare('SELECT * FROM mesh_memberships WHERE mesh_id = ?'),
      putMembership: db.prepare(
        `INSERT OR REPLACE INTO mesh_memberships (mesh_id, mesh_name, mesh_public_key, credential, role, joined_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      deleteMembership: db.prepare('DELETE FROM mesh_memberships WHERE mesh_id = ?'),
      getKey: db.prepare('SELECT private_key FROM mesh_private_keys WHERE mesh_id = ?'),
      putKey: db.prepare('INSERT OR REPLACE INTO mesh_private_keys (mesh_id, private_key) VALUES (?, ?)'),
      deleteKey: db.prepare('DELETE FROM mesh_private_keys WHERE mesh_id = ?'),
      putInvite: db.prepare(
        `INSERT OR REPLACE INTO mesh_issued_invites
           (nonce, mesh_id, role, max_uses, issued_at_ms, expires_at_ms, uses, redeemed_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getInvite: db.prepare('SELECT * FROM mesh_issued_invites WHERE nonce = ?'),
      updateInviteUses: db.prepare(
        'UPDATE mesh_issued_invites SET uses = ?, redeemed_by = ? WHERE nonce = ?',
      ),
      listInvites: db.prepare(
        'SELECT * FROM mesh_issued_invites WHERE mesh_id = ? ORDER BY issued_at_ms DESC, nonce DESC',
      ),
      getSerial: db.prepare('SELECT last_serial FROM mesh_credential_serials WHERE mesh_id = ?'),
      putSerial: db.prepare(
        'INSERT OR REPLACE INTO mesh_credential_serials (mesh_id, last_serial) VALUES (?, ?)',
      ),
      listMembers: db.prepare('SELECT * FROM mesh_members WHERE mesh_id = ? ORDER BY node_id'),
      putMember: db.prepare(
        `INSERT OR REPLACE INTO mesh_members (mesh_id, node_id, credential, role, name, last_seen_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      listRevocations: db.prepare('SELECT entry FROM mesh_revocations WHERE mesh_id = ? ORDER BY seq'),
      addRevocation: db.prepare(
        `INSERT OR IGNORE INTO mesh_revocations (mesh_id, node_id, entry, seq)
         VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM mesh_revocations WHERE mesh_id = ?))`,
      ),
      listPeers: db.prepare('SELECT * FROM mesh_known_peers ORDER BY last_seen_ms DESC'),
      putPeer: db.prepare(
        'INSERT OR REPLACE INTO mesh_known_peers (node_id, name, addresses, last_seen_ms) VALUES (?, ?, ?, ?)',
      ),
      deletePeer: db.prepare('DELETE FROM mesh_known_peers WHERE node_id = ?'),
      deleteMeshInvites: db.prepare('DELETE FROM mesh_issued_invites WHERE mesh_id = ?'),
      deleteMeshMembers: db.prepare('DELETE FROM mesh_members WHERE mesh_id = ?'),
      deleteMeshRevocations: db.prepare('DELETE FROM mesh_revocations WHERE mesh_id = ?'),
    };
    const s = this.stmts;
    this.redeemTx = db.transaction((nonce: string, nodeId: string): InviteRedemption => {
      const row = s.getInvite!.get(nonce) as InviteRow | undefined;
      if (row === undefined) return { status: 'unknown', uses: 0 };
      const redeemedBy = this.parseRedeemedBy(row);
      if (redeemedBy.includes(nodeId)) return { status: 'repeat', uses: row.uses };
      if (row.uses >= row.max_uses) return { status: 'exhausted', uses: row.uses };
      const uses = row.uses + 1;
      s.updateInviteUses!.run(uses, JSON.stringify([...redeemedBy, nodeId]), nonce);
      return { status: 'redeemed', uses };
    });
    this.serialTx = db.transaction((meshId: string): number => {
      const row = s.getSerial!.get(meshId) as { last_serial: number } | undefined;
      const next = (row?.last_serial ?? 0) + 1;
      s.putSerial!.run(meshId, next);
      return next;
    });
    this.deleteMeshTx = db.transaction((meshId: string): void => {
      s.deleteMembership!.run(meshId);
      s.deleteKey!.run(meshId);
      s.deleteMeshInvites!.run(meshId);
      s.deleteMeshMembers!.run(meshId);
      s.deleteMeshRevocations!.run(meshId);
      // serials are kept: a mesh created again with the same key must never repeat a serial
    });
  }

  private stmt(name: string): BetterSqlite3.Statement {
    const s = this.stmts[name];
    if (!s) throw new StoreError(`no prepared statement ${name}`);
    return s;
  }

  private parseRedeemedBy(row: InviteRow): string[] {
    try {
      const parsed = JSON.parse(row.redeemed_by) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    } catch {
      // fall through
    }
    throw new StoreError(`invite ${row.nonce} in ${this.connection.path} has a corrupt redeemed_by list`);
  }

  private toInvite(row: InviteRow): IssuedInviteRecord {
    return {
      nonce: row.nonce,
      meshId: row.mesh_id,
      role: row.role as MeshRole,
      maxUses: row.max_uses,
      issuedAtMs: row.issued_at_ms,
      expiresAtMs: row.expires_at_ms,
      uses: row.uses,
      redeemedBy: this.parseRedeemedBy(row),
    };
  }

  listMemberships(): MeshMembershipRecord[] {
    return this.connection.run('list mesh memberships', () =>
      (this.stmt('listMemberships').all() as MembershipRow[]).map(toMembership),
    );
  }

  getMembership(meshId: string): MeshMembershipRecord | undefined {
    return this.connection.run(`read membership of ${meshId}`, () => {
      const row = this.stmt('getMembership').get(meshId) as MembershipRow | undefined;
      return row ? toMembership(row) : undefined;
    });
  }

  putMembership(r: MeshMembershipRecord): void {
    this.connection.run(`write membership of ${r.meshId}`, () =>
      this.stmt('putMembership').run(
        r.meshId,
        r.meshName,
        Buffer.from(r.meshPublicKey),
        Buffer.from(r.credential),
        r.role,
        r.joinedAtMs,
      ),
    );
  }

  deleteMembership(meshId: string): void {
    this.connection.run(`delete membership of ${meshId}`, () => this.stmt('deleteMembership').run(meshId));
  }

  getMeshPrivateKey(meshId: string): Uint8Array | undefined {
    return this.connection.run(`read mesh key of ${meshId}`, () => {
      const row = this.stmt('getKey').get(meshId) as { private_key: Buffer } | undefined;
      return row ? bytes(row.private_key) : undefined;
    });
  }

  putMeshPrivateKey(meshId: string, privateKey: Uint8Array): void {
    this.connection.run(`write mesh key of ${meshId}`, () =>
      this.stmt('putKey').run(meshId, Buffer.from(privateKey)),
    );
  }

  deleteMeshPrivateKey(meshId: string): void {
    this.connection.run(`delete mesh key of ${meshId}`, () => this.stmt('deleteKey').run(meshId));
  }

  putIssuedInvite(r: IssuedInviteRecord): void {
    this.connection.run(`write invite ${r.nonce}`, () =>
      this.stmt('putInvite').run(
        r.nonce,
        r.meshId,
        r.role,
        r.maxUses,
        r.issuedAtMs,
        r.expiresAtMs,
        r.uses,
        JSON.stringify(r.redeemedBy),
      ),
    );
  }

  getIssuedInvite(nonce: string): IssuedInviteRecord | undefined {
    return this.connection.run(`read invite ${nonce}`, () => {
      const row = this.stmt('getInvite').get(nonce) as InviteRow | undefined;
      return row ? this.toInvite(row) : undefined;
    });
  }

  redeemInvite(nonce: string, nodeId: string): InviteRedemption {
    return this.connection.run(`redeem invite ${nonce}`, () => this.redeemTx.immediate(nonce, nodeId));
  }

  listIssuedInvites(meshId: string): IssuedInviteRecord[] {
    return this.connection.run(`list invites of ${meshId}`, () =>
      (this.stmt('listInvites').all(meshId) as InviteRow[]).map((row) => this.toInvite(row)),
    );
  }

  nextCredentialSerial(meshId: string): number {
    return this.connection.run(`allocate a credential serial for ${meshId}`, () =>
      this.serialTx.immediate(meshId),
    );
  }

  listMembers(meshId: string): MeshMemberRecord[] {
    return this.connection.run(`list members of ${meshId}`, () =>
      (this.stmt('listMembers').all(meshId) as MemberRow[]).map((row) => ({
        meshId: row.mesh_id,
        nodeId: row.node_id,
        credential: bytes(row.credential),
        role: row.role as MeshRole,
        name: row.name,
        lastSeenMs: row.last_seen_ms,
      })),
    );
  }

  putMember(r: MeshMemberRecord): void {
    this.connection.run(`write member ${r.nodeId} of ${r.meshId}`, () =>
      this.stmt('putMember').run(r.meshId, r.nodeId, Buffer.from(r.credential), r.role, r.name, r.lastSeenMs),
    );
  }

  listRevocations(meshId: string): Uint8Array[] {
    return this.connection.run(`list revocations of ${meshId}`, () =>
      (this.stmt('listRevocations').all(meshId) as { entry: Buffer }[]).map((row) => bytes(row.entry)),
    );
  }

  addRevocation(meshId: string, nodeId: string, entry: Uint8Array): boolean {
    return this.connection.run(
      `record the revocation of ${nodeId} in ${meshId}`,
      () => this.stmt('addRevocation').run(meshId, nodeId, Buffer.from(entry), meshId).changes > 0,
    );
  }

  listKnownPeers(): KnownPeerRecord[] {
    return this.connection.run('list known peers', () =>
      (this.stmt('listPeers').all() as PeerRow[]).map((row) => ({
        nodeId: row.node_id,
        name: row.name,
        addresses: parseAddresses(row.addresses),
        lastSeenMs: row.last_seen_ms,
      })),
    );
  }

  putKnownPeer(r: KnownPeerRecord): void {
    this.connection.run(`write known peer ${r.nodeId}`, () =>
      this.stmt('putPeer').run(r.nodeId, r.name, JSON.stringify(r.addresses), r.lastSeenMs),
    );
  }

  deleteKnownPeer(nodeId: string): void {
    this.connection.run(`delete known peer ${nodeId}`, () => this.stmt('deletePeer').run(nodeId));
  }

  deleteMesh(meshId: string): void {
    this.connection.run(`delete mesh ${meshId}`, () => this.deleteMeshTx.immediate(meshId));
  }
}

function toMembership(row: MembershipRow): MeshMembershipRecord {
  return {
    meshId: row.mesh_id,
    meshName: row.mesh_name,
    meshPublicKey: bytes(row.mesh_public_key),
    credential: bytes(row.credential),
    role: row.role as MeshRole,
    joinedAtMs: row.joined_at_ms,
  };
}

function parseAddresses(text: string): string[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
