/**
 * Gossip envelope v1: every message on an Atmosphere topic is wrapped in one. It names its mesh,
 * type and origin, carries the origin's membership credential (so any member can check that the
 * origin belongs to the mesh without having met it), a timestamp, a sequence number and a TTL, and
 * is signed by the origin's node key — on top of gossipsub's own StrictSign signature, which only
 * proves who published, not that they are a member. Layout in docs/PROTOCOLS.md.
 */
import type { CryptoProvider, MembershipCredential, Signer } from '../core/index.js';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  MAX_CREDENTIAL_BYTES,
  MalformedMessageError,
  WireReader,
  WireWriter,
  concatBytes,
  decodeCredential,
  nodeIdFromPublicKey,
  readMeshId,
  utf8,
} from '../core/index.js';

export const WIRE_TAG_GOSSIP = 0x10;
export const ENVELOPE_VERSION = 1;
const ENVELOPE_DOMAIN = utf8('atmosphere:gossip:v1\0');

export type EnvelopeType = 'announce' | 'heartbeat' | 'revocation' | 'event' | 'cost';
const TYPE_CODES: Record<EnvelopeType, number> = {
  announce: 1,
  heartbeat: 2,
  revocation: 3,
  event: 4,
  cost: 5,
};

/** Largest envelope accepted per type (payload + credential + header + signature). */
export const MAX_ENVELOPE_BYTES: Record<EnvelopeType, number> = {
  announce: 16 * 1024,
  heartbeat: 4 * 1024,
  revocation: 8 * 1024,
  // a trigger event: up to 16 KiB of JSON payload plus its fields, the credential and the header
  event: 20 * 1024,
  // NODE_COST_UPDATE: factors and a cost per work type (~1.5 KiB) plus the credential and header
  cost: 6 * 1024,
};
/** Longest TTL an origin may ask for. */
export const MAX_ENVELOPE_TTL_MS = 10 * 60 * 1000;

export interface GossipEnvelope {
  readonly version: 1;
  readonly type: EnvelopeType;
  readonly meshId: string;
  readonly originPublicKey: Uint8Array;
  readonly originId: string;
  readonly seq: number;
  readonly timestampMs: number;
  readonly ttlMs: number;
  /** The origin's membership credential (decoded, not yet verified). */
  readonly credential: MembershipCredential;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

export interface EnvelopeFields {
  readonly type: EnvelopeType;
  readonly meshId: string;
  readonly seq: number;
  readonly timestampMs: number;
  readonly ttlMs: number;
  readonly credential: Uint8Array;
  readonly payload: Uint8Array;
}

export async function sealEnvelope(fields: EnvelopeFields, signer: Signer): Promise<Uint8Array> {
  const body = new WireWriter()
    .u8(WIRE_TAG_GOSSIP)
    .u8(ENVELOPE_VERSION)
    .u8(TYPE_CODES[fields.type])
    .string(fields.meshId)
    .fixed(signer.publicKey, ED25519_PUBLIC_KEY_BYTES)
    .uvarint(fields.seq)
    .uvarint(fields.timestampMs)
    .uvarint(Math.min(fields.ttlMs, MAX_ENVELOPE_TTL_MS))
    .bytes(fields.credential)
    .bytes(fields.payload)
    .finish();
  const signature = await signer.sign(concatBytes(ENVELOPE_DOMAIN, body));
  return concatBytes(body, signature);
}

function typeFromCode(code: number): EnvelopeType {
  for (const [type, value] of Object.entries(TYPE_CODES)) if (value === code) return type as EnvelopeType;
  throw new MalformedMessageError(`unknown gossip message type ${code}`);
}

/** Parses an envelope; throws `MalformedMessageError` (including for a bad embedded credential). */
export function openEnvelope(bytes: Uint8Array): GossipEnvelope {
  const reader = new WireReader(bytes);
  if (reader.u8('type tag') !== WIRE_TAG_GOSSIP) throw new MalformedMessageError('not a gossip envelope');
  const version = reader.u8('version');
  if (version !== ENVELOPE_VERSION) throw new MalformedMessageError(`unsupported gossip version ${version}`);
  const type = typeFromCode(reader.u8('message type'));
  const meshId = readMeshId(reader);
  const originPublicKey = reader.fixed(ED25519_PUBLIC_KEY_BYTES, 'origin key');
  const seq = reader.uvarint('sequence');
  const timestampMs = reader.uvarint('timestamp');
  const ttlMs = reader.uvarint('ttl', MAX_ENVELOPE_TTL_MS);
  const credentialBytes = reader.bytes('credential', MAX_CREDENTIAL_BYTES);
  const payload = reader.bytes('payload', MAX_ENVELOPE_BYTES[type]);
  const signature = reader.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  reader.end('gossip envelope');
  let credential: MembershipCredential;
  try {
    credential = decodeCredential(credentialBytes);
  } catch (err) {
    throw new MalformedMessageError('malformed credential in gossip envelope', { cause: err });
  }
  return {
    version: 1,
    type,
    meshId,
    originPublicKey,
    originId: nodeIdFromPublicKey(originPublicKey),
    seq,
    timestampMs,
    ttlMs,
    credential,
    payload,
    signature,
    bytes,
  };
}

export async function verifyEnvelopeSignature(
  envelope: GossipEnvelope,
  crypto: CryptoProvider,
): Promise<boolean> {
  const body = envelope.bytes.subarray(0, envelope.bytes.length - ED25519_SIGNATURE_BYTES);
  return await crypto.verifyEd25519(
    envelope.originPublicKey,
    concatBytes(ENVELOPE_DOMAIN, body),
    envelope.signature,
  );
}
