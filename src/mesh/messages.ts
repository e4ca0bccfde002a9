/**
 * Protocol ids, gossip topics and the JSON messages of the request/response protocols, each with
 * its zod schema (data from peers is validated before anything else looks at it). Objects are not
 * strict: a newer minor version may add fields that this version ignores; a breaking change gets a
 * new protocol id. See docs/PROTOCOLS.md.
 */
import { z } from 'zod';
import { MESH_ID_PATTERN, WORK_TYPES, capabilityIdSchema, triggerSpecSchema } from '../core/index.js';

export const HANDSHAKE_PROTOCOL = '/atmosphere/handshake/1.0.0';
export const JOIN_PROTOCOL = '/atmosphere/join/1.0.0';
export const REVOCATIONS_PROTOCOL = '/atmosphere/revocations/1.0.0';
export const DOCUMENT_PROTOCOL = '/atmosphere/document/1.0.0';
export const INVOKE_PROTOCOL = '/atmosphere/invoke/1.0.0';

export const AGENT = 'atmosphere/1';

export type TopicKind = 'announce' | 'heartbeat' | 'revocation' | 'event' | 'cost';

/** Every gossip topic kind a member subscribes to on each of its meshes. */
export const TOPIC_KINDS: readonly TopicKind[] = ['announce', 'heartbeat', 'revocation', 'event', 'cost'];

export function topicFor(meshId: string, kind: TopicKind): string {
  return `/atmosphere/${meshId}/${kind}/1`;
}

export function parseTopic(topic: string): { meshId: string; kind: TopicKind } | undefined {
  const match = /^\/atmosphere\/(mesh-[a-z2-7]{26})\/(announce|heartbeat|revocation|event|cost)\/1$/.exec(
    topic,
  );
  if (match === null) return undefined;
  return { meshId: match[1]!, kind: match[2] as TopicKind };
}

const meshId = z.string().regex(MESH_ID_PATTERN);
const base64url = z
  .string()
  .max(8192)
  .regex(/^[A-Za-z0-9_-]*$/);
const nodeName = z.string().max(64);
const addresses = z.array(z.string().min(1).max(512)).max(16);
const digest = z.string().regex(/^[0-9a-f]{64}$/);
const message = z.string().max(500);
const code = z.string().max(64);

/** Any object with a numeric `v`: checked first so a future version is reported as such. */
export const versionedSchema = z.object({ v: z.number().int() });

// ---- handshake -----------------------------------------------------------------------------

export const helloSchema = z.object({
  v: z.literal(1),
  agent: z.string().max(64),
  name: nodeName,
  addrs: addresses,
  /** This node's credentials, one per mesh it belongs to (base64url). */
  credentials: z.array(base64url).max(64),
  /** Revocation digest per mesh, to detect lists that need syncing. */
  revocationDigests: z.record(meshId, digest),
});
export type Hello = z.infer<typeof helloSchema>;

export const handshakeRefusalReason = z.enum(['not_member', 'revoked', 'incompatible_version', 'malformed']);
export type HandshakeRefusalReason = z.infer<typeof handshakeRefusalReason>;

export const helloReplySchema = z.discriminatedUnion('ok', [
  helloSchema.extend({ ok: z.literal(true) }),
  z.object({
    v: z.literal(1),
    ok: z.literal(false),
    reason: handshakeRefusalReason,
    message,
    // with reason `revoked`: the signed revocations of the caller, so it can verify and apply them
    revocations: z.array(base64url).max(16).optional(),
  }),
]);
export type HelloReply = z.infer<typeof helloReplySchema>;

// ---- join ----------------------------------------------------------------------------------

export const joinRequestSchema = z.object({ v: z.literal(1), token: z.string().max(4096) });

export const joinReplySchema = z.discriminatedUnion('ok', [
  z.object({
    v: z.literal(1),
    ok: z.literal(true),
    meshName: z.string().max(256),
    credential: base64url,
    revocations: z.array(base64url).max(10_000),
  }),
  z.object({ v: z.literal(1), ok: z.literal(false), code, message }),
]);
export type JoinReply = z.infer<typeof joinReplySchema>;

// ---- revocation sync -----------------------------------------------------------------------

export const revocationsRequestSchema = z.object({ v: z.literal(1), meshId });
export const revocationsReplySchema = z.object({ v: z.literal(1), entries: z.array(base64url).max(10_000) });

// ---- capability documents ------------------------------------------------------------------

export const documentRequestSchema = z.object({ v: z.literal(1), digest });
export const documentReplySchema = z.discriminatedUnion('ok', [
  z.object({ v: z.literal(1), ok: z.literal(true), document: z.string() }),
  z.object({ v: z.literal(1), ok: z.literal(false), code, message }),
]);

// ---- invoke --------------------------------------------------------------------------------

export const invokeRequestSchema = z.object({
  v: z.literal(1),
  capability: z.string().min(1).max(256),
  input: z.unknown(),
  meshId: meshId.optional(),
});

export const invokeReplySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('data'), data: z.unknown() }),
  z.object({ t: z.literal('end') }),
  z.object({ t: z.literal('error'), code, message }),
]);
export type InvokeReply = z.infer<typeof invokeReplySchema>;

// ---- gossip payloads (inside signed envelopes) ---------------------------------------------

export const heartbeatPayloadSchema = z.object({
  name: nodeName,
  addrs: addresses,
  capabilityCount: z.number().int().min(0).max(1_000_000),
  digest: digest.nullable(),
});
export type HeartbeatPayload = z.infer<typeof heartbeatPayloadSchema>;

export const announcePayloadSchema = heartbeatPayloadSchema.extend({
  digest,
  summary: z.unknown(),
});
export type AnnouncePayload = z.infer<typeof announcePayloadSchema>;

/** Largest announcement summary, JSON-encoded. */
export const MAX_SUMMARY_BYTES = 8 * 1024;

// ---- trigger events (gossip, inside signed envelopes) --------------------------------------

export const EVENT_PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
/** Largest event payload, JSON-encoded. */
export const MAX_EVENT_PAYLOAD_BYTES = 16 * 1024;

/**
 * A trigger event as gossiped on `/atmosphere/<meshId>/event/1`. The origin is the envelope's
 * signer; `payload` is any JSON value of at most `MAX_EVENT_PAYLOAD_BYTES` (checked on the encoded
 * size before parsing by the envelope limit and again by the receiver).
 */
export const eventPayloadSchema = z.object({
  eventId: z
    .string()
    .min(8)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
  capability: capabilityIdSchema,
  trigger: triggerSpecSchema.shape.name,
  priority: z.enum(EVENT_PRIORITIES),
  payload: z.unknown(),
  firedAtMs: z.number().int().min(0),
});
export type EventPayload = z.infer<typeof eventPayloadSchema>;

// ---- cost updates (gossip, inside signed envelopes) ----------------------------------------

export const NODE_COST_UPDATE = 'NODE_COST_UPDATE';

const unit = z.number().min(0).max(1).nullable();
const nonNegative = z.number().min(0).max(1e9).nullable();
const costValue = z.number().min(0).max(1e9);

/**
 * The seed's `NODE_COST_UPDATE` (Part 3), gossiped on `/atmosphere/<meshId>/cost/1` every
 * `ttl` seconds and at once on a significant change. `node_id` must be the envelope's signer and
 * `timestamp` its time (ms). `cost_factors` are the measured (or pinned) factors plus
 * `overall_cost` (the inference cost); `costs` has, per work type, the total, whether the node is on
 * critical battery, and the multipliers/additions that applied (`terms`). Unknown factors are null.
 */
export const costUpdatePayloadSchema = z.object({
  type: z.literal(NODE_COST_UPDATE),
  v: z.literal(1),
  node_id: z.string().min(1).max(128),
  name: nodeName,
  timestamp: z.number().int().min(0),
  ttl: z.number().int().min(1).max(3600),
  cost_factors: z.object({
    on_battery: z.boolean().nullable(),
    battery_percent: z.number().min(0).max(100).nullable(),
    cpu_load: unit,
    gpu_load: unit,
    memory_pressure: unit,
    bandwidth_mbps: nonNegative,
    latency_ms: nonNegative,
    is_metered: z.boolean().nullable(),
    overall_cost: costValue,
  }),
  costs: z.partialRecord(
    z.enum(WORK_TYPES),
    z.object({
      total: costValue,
      critical: z.boolean(),
      terms: z.record(z.string().max(32), costValue).refine((t) => Object.keys(t).length <= 16),
    }),
  ),
  pinned: z.array(z.string().max(32)).max(16),
});
export type CostUpdatePayload = z.infer<typeof costUpdatePayloadSchema>;
