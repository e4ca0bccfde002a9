/**
 * Trigger events as subscribers see them: the shared shape of the node's trigger service and the
 * API that serves it (`GET /api/events`).
 */
import type { TriggerPriority } from './capability.js';

/** A trigger event as this node's subscribers see it (fired here or by a member). */
export interface TriggerEvent {
  readonly eventId: string;
  readonly capability: string;
  readonly trigger: string;
  readonly priority: TriggerPriority;
  readonly payload: unknown;
  readonly firedAtMs: number;
  /** The node that fired it. */
  readonly origin: { readonly nodeId: string; readonly name: string };
  /** Fired on this node. */
  readonly local: boolean;
  /** Meshes it was published to (local) or arrived on (remote). */
  readonly meshIds: readonly string[];
  readonly receivedAtMs: number;
}

/** Which events a subscriber wants. */
export interface EventFilter {
  /** Globs on `capability/trigger`; any one matching is enough. Default: all. */
  readonly match?: readonly string[];
  /** Least priority wanted. Default `low` (all). */
  readonly minPriority?: TriggerPriority;
}
