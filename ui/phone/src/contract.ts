/**
 * The seam between the phone app's mesh runtime (`mesh/`: libp2p in the browser, identity, join,
 * announcements, invoke serving, chat routing) and its device side (`capabilities/`: camera,
 * microphone, location, motion, notifications) and screens. The runtime announces the capabilities
 * the owner approved on this phone, hands the mesh's tool calls to them, and publishes their
 * triggers; it never touches a browser device API itself.
 */
import type { TriggerPriority } from '../../../src/core/index.js';

/** A capability as this phone announces it (the node id is added by the mesh). */
export interface PhoneCapabilitySpec {
  /** `phone/camera`, `phone/microphone`, `phone/location`, `phone/motion`, `phone/notify`. */
  readonly id: string;
  /** A core capability type: `sensor/camera`, `audio/capture`, `sensor/location`, `sensor/motion`, `notify/push`. */
  readonly type: string;
  readonly description: string;
  readonly tools: readonly {
    readonly name: string;
    readonly description: string;
    readonly parameters?: Record<string, unknown>;
  }[];
  readonly triggers: readonly {
    readonly name: string;
    readonly description: string;
    readonly priority: TriggerPriority;
  }[];
  readonly metadata: Record<string, unknown>;
}

/** Fires one of a capability's triggers (the runtime publishes it to every mesh of this phone). */
export type TriggerEmitter = (trigger: string, payload: unknown) => void;

/** One device capability of the phone. */
export interface PhoneCapability {
  readonly spec: PhoneCapabilitySpec;
  /** Short label for the screens: "Camera", "Microphone", "Location", "Motion", "Notifications". */
  readonly label: string;
  /**
   * Runs one of `spec.tools`. The browser's permission is asked here, on first use. Throws an
   * `AtmosphereError` subclass (src/core/errors.ts) with a clear message for bad arguments
   * (`invalid_input`), a denied permission or missing hardware; the result is plain JSON (at most
   * ~700 kB: a photo is scaled down and JPEG-encoded as base64).
   */
  run(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown>;
  /**
   * Starts the capability's trigger sources (geolocation watch, motion listeners) while the owner
   * exposes it; returns the function that stops them. Capabilities without push sources other
   * than their tools (e.g. `photo_taken` after `take_photo`) emit from `run` through the emitter
   * given here as well.
   */
  watch(emit: TriggerEmitter): () => void;
}

export type PhoneMeshState =
  /** No membership yet: show the join screen. */
  | 'not-joined'
  /** Member, dialing the mesh. */
  | 'connecting'
  /** Member, at least one member connected. */
  | 'connected'
  /** Member, no member reachable (keeps retrying). */
  | 'unreachable'
  /** An admin revoked this phone: it is cut off for good. */
  | 'revoked';

export interface PhoneMeshPeer {
  readonly nodeId: string;
  readonly name: string;
  readonly connected: boolean;
  /** `direct`, `relayed` or `lan`, when connected. */
  readonly transport: string | null;
  readonly rttMs: number | null;
  readonly capabilityCount: number;
}

export interface PhoneMeshStatus {
  readonly state: PhoneMeshState;
  /** This phone's node id (its libp2p PeerId), once it has an identity. */
  readonly nodeId: string | null;
  readonly meshes: readonly { readonly id: string; readonly name: string; readonly role: string }[];
  readonly peers: readonly PhoneMeshPeer[];
  /** Addresses other members reach this phone on (relayed through a node). */
  readonly addresses: readonly string[];
  /** Why the state is what it is, in a sentence (e.g. the join error, or the revocation reason). */
  readonly detail: string | null;
}

/** A request the mesh sent to this phone (the phone's own audit, newest first). */
export interface PhoneRequestRecord {
  readonly id: string;
  readonly atMs: number;
  readonly requester: string;
  readonly requesterName: string;
  readonly capability: string;
  readonly tool: string | null;
  readonly decision: 'allowed' | 'refused';
  /** The error message when refused or failed. */
  readonly detail: string | null;
  readonly durationMs: number | null;
}

export interface ChatTurn {
  readonly role: 'user' | 'assistant' | 'system';
  readonly content: string;
}

/** What streams back from a chat: first the route receipt, then text deltas. */
export type ChatEvent =
  | {
      readonly type: 'receipt';
      readonly nodeId: string;
      readonly nodeName: string;
      readonly capability: string;
      readonly model: string;
      readonly via: string;
    }
  | { readonly type: 'delta'; readonly content: string }
  | { readonly type: 'done' };

export interface PhoneMesh {
  status(): PhoneMeshStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: PhoneMeshStatus) => void): () => void;
  /** Verifies the token offline, then redeems it: throws an AtmosphereError with a clear message. */
  join(tokenOrLink: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Announces exactly these capabilities and serves their tools; every other one is refused. */
  setExposed(capabilities: readonly PhoneCapability[]): Promise<void>;
  /** Sends a conversation to the mesh with `model: "auto"` through a connected node. */
  chat(turns: readonly ChatTurn[], options?: { signal?: AbortSignal }): AsyncIterable<ChatEvent>;
  recentRequests(): readonly PhoneRequestRecord[];
  onRequest(listener: (record: PhoneRequestRecord) => void): () => void;
  /** Leaves every mesh and forgets the membership (the identity stays). */
  leave(): Promise<void>;
}
