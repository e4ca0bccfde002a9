/**
 * The node's wire types the panel reads, taken from the node's own sources (type-only imports:
 * nothing of the node is bundled by them).
 */
export type {
  AuditDecision,
  AuditEntry,
  CandidateCapability,
  CreatedInvite,
  MeshInfo,
  MeshMemberInfo,
  MeshOverview,
  MeshPeerInfo,
  NodeStatusInfo,
  ResolvedConfig,
  ScanReport,
  TriggerEvent,
} from '../../src/core/index.js';

import type { AuditEntry, ResolvedConfig } from '../../src/core/index.js';

/** `GET /api/audit` entries (src/api/routes/audit.ts). */
export interface AuditEntryView extends AuditEntry {
  readonly time: string;
}

/** `GET /api/exposure` capabilities (src/api/routes/exposure.ts). */
export interface ExposedCapabilityInfo {
  readonly id: string;
  readonly type: string;
  readonly exposed: boolean;
  readonly rule: string;
}

export interface ExposureResponse {
  readonly expose: ExposeSection;
  readonly capabilities: readonly ExposedCapabilityInfo[];
  readonly configError: string | null;
}

export type ExposeSection = ResolvedConfig['expose'];
export type LimitsSection = ResolvedConfig['limits'];
export type AccessSection = ResolvedConfig['access'];
