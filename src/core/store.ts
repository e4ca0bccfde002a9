import type { MeshStateRepository } from './mesh-state.js';

/**
 * The persistence seam. `Store` is what the node opens once; each concern gets a repository from it.
 * Later issues add repositories here (memberships, capabilities, scan results, cost history ...).
 */

export type AuditDecision = 'allowed' | 'refused';

export interface AuditEntry {
  readonly id: number;
  /** Milliseconds since the epoch. */
  readonly timeMs: number;
  /** The node that asked (`local` for requests made on this machine). */
  readonly requester: string;
  /** What was asked for: a capability id, model or control action. */
  readonly target: string;
  readonly tool: string | null;
  readonly decision: AuditDecision;
  /** The rule that decided (`expose.models.ollama`, `owner-token`, ...). */
  readonly rule: string | null;
  readonly durationMs: number | null;
  readonly bytesIn: number | null;
  readonly bytesOut: number | null;
  readonly detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  /** Entries at or after this time (inclusive). */
  readonly sinceMs?: number;
  /** Entries before this time (exclusive). */
  readonly untilMs?: number;
  readonly requester?: string;
  readonly target?: string;
  readonly decision?: AuditDecision;
  /** Newest first; default 100, at most 10,000. */
  readonly limit?: number;
  /**
   * Targets matching this glob (`*` any run of characters, `?` one; everything else literal,
   * case-sensitive, as `matchesGlob`). Combines with `target` when both are given.
   */
  readonly targetGlob?: string;
  /** Only entries appended after the entry with this id (ids grow as entries are appended). */
  readonly afterId?: number;
}

export interface AuditLog {
  append(entry: NewAuditEntry): AuditEntry;
  query(query?: AuditQuery): AuditEntry[];
  /** Deletes entries older than `beforeMs`; returns how many. */
  prune(beforeMs: number): number;
}

/** Small typed key/value state that survives restarts (e.g. first-start time, last scan time). */
export interface KeyValueStore {
  /** The stored value, or `undefined` when the key is absent. The type parameter is not checked. */
  get<T = unknown>(key: string): T | undefined;
  /** Stores a JSON-serialisable value (a copy: later changes to `value` are not seen). */
  set(key: string, value: unknown): void;
  /** Removes the key; true when it existed. */
  delete(key: string): boolean;
}

/** One cloud call's spend: token usage × the model's price. */
export interface SpendEntry {
  readonly id: number;
  /** Milliseconds since the epoch. */
  readonly timeMs: number;
  /** The node that asked (its node id; this node's own id for local requests). */
  readonly requester: string;
  /** `openai/gpt-4o-mini`. */
  readonly capabilityId: string;
  readonly model: string;
  /** The cloud provider's name in config (`integrations.cloud[].name`). */
  readonly provider: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly usd: number;
}

export type NewSpendEntry = Omit<SpendEntry, 'id'>;

export type SpendGrouping = 'day' | 'model' | 'node';

/** Spend summed by UTC day (`2026-11-24`), capability id or requester. */
export interface SpendTotal {
  readonly key: string;
  readonly usd: number;
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** What cloud models cost this node, for reports and the monthly budget. */
export interface SpendLedger {
  record(entry: NewSpendEntry): SpendEntry;
  /** Totals of entries in [sinceMs, untilMs): by day newest first, else most dollars first. */
  totals(by: SpendGrouping, sinceMs: number, untilMs?: number): SpendTotal[];
  /** Dollars spent in [sinceMs, untilMs). */
  sumUsd(sinceMs: number, untilMs?: number): number;
}

export interface Store {
  readonly audit: AuditLog;
  /** Cloud spend per request. */
  readonly spend: SpendLedger;
  /** What the mesh engine persists (memberships, keys, invites, members, revocations, peers). */
  readonly mesh: MeshStateRepository;
  readonly kv: KeyValueStore;
  /** The schema version after migrations ran. */
  schemaVersion(): number;
  close(): void;
}
