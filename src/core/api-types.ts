/**
 * Wire types of the local HTTP API: what the node sends and the CLI's `ApiClient` receives. They are
 * kept apart from domain types (STYLE rule 14) so the domain can change without changing the wire.
 */
import type { NodeState } from './lifecycle.js';
import type { MeshInfo, MeshPeerInfo, MeshStats } from './mesh-types.js';

/** A mesh this node belongs to. */
export interface MeshSummary {
  readonly id: string;
  readonly name: string;
  readonly role: string;
}

/** A peer this node knows about. */
export interface PeerSummary {
  readonly nodeId: string;
  readonly name: string;
  readonly connected: boolean;
}

/** `GET /api/status`. */
export interface NodeStatusInfo {
  readonly nodeId: string;
  readonly name: string;
  readonly version: string;
  readonly commit: string;
  readonly state: NodeState;
  readonly running: boolean;
  readonly pid: number;
  readonly apiUrl: string;
  readonly uiUrl: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly meshes: readonly MeshSummary[];
  readonly peers: readonly PeerSummary[];
}

/** `GET /health` (no authentication). */
export interface HealthResponse {
  readonly status: 'ok';
  readonly nodeId: string;
  readonly version: string;
  readonly state: NodeState;
}

/** `POST /api/ui/login-tokens`: a one-time link that opens the web panel. */
export interface LoginTokenResponse {
  readonly token: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  /** `http://host:port/ui/login?token=...` */
  readonly url: string;
}

/** `GET /api/ui/session`: what the web panel needs to make state-changing calls. */
export interface UiSessionResponse {
  /** Send as `X-Atmosphere-CSRF` on POST/PUT/PATCH/DELETE. */
  readonly csrfToken: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** OpenAI's error envelope, used by every non-2xx JSON response. */
export interface ErrorEnvelope {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: string;
    readonly param?: string | null;
  };
}

/** Header names and cookie name shared by the server and its clients. */
export const CSRF_HEADER = 'X-Atmosphere-CSRF';
export const SESSION_COOKIE = 'atmosphere_session';

/** `GET /api/mesh`: this node's meshes and every peer it knows, with why unconnected ones are not. */
export interface MeshOverview {
  readonly nodeId: string;
  readonly addresses: readonly string[];
  readonly meshes: readonly MeshInfo[];
  readonly peers: readonly MeshPeerInfo[];
  readonly stats: MeshStats;
}
