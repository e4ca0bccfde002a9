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

export interface Store {
  readonly audit: AuditLog;
  /** What the mesh engine persists (memberships, keys, invites, members, revocations, peers). */
  readonly mesh: MeshStateRepository;
  readonly kv: KeyValueStore;
  /** The schema version after migrations ran. */
  schemaVersion(): number;
  close(): void;
}
