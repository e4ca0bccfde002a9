/**
 * The mesh engine: a libp2p node (TCP + WebSocket, Noise, Yamux, gossipsub, circuit relay) with a
 * membership gate, signed gossip, invite redemption, revocation and the invoke protocol. Other
 * modules use `MeshService` and the core's mesh types; protocol details are in docs/PROTOCOLS.md.
 */
export * from './crypto-provider.js';
export * from './memory-state.js';
export * from './mesh-service.js';
export * from './node-platform.js';
export { transportKind } from './transport-kind.js';
export {
  HANDSHAKE_PROTOCOL,
  JOIN_PROTOCOL,
  REVOCATIONS_PROTOCOL,
  DOCUMENT_PROTOCOL,
  INVOKE_PROTOCOL,
  NODE_COST_UPDATE,
  costUpdatePayloadSchema,
  topicFor,
} from './messages.js';
export type { CostUpdatePayload } from './messages.js';
export type { EnvelopeFields, EnvelopeType, GossipEnvelope } from './envelope.js';
export { MAX_ENVELOPE_BYTES, openEnvelope, sealEnvelope, verifyEnvelopeSignature } from './envelope.js';
export { ReplayGuard } from './gossip-guard.js';
