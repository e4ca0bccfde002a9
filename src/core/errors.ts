/**
 * The error hierarchy. Every failure the product reports has its own class with a stable `code`
 * (snake_case, never renamed once shipped) and a `category` that the HTTP and CLI edges map to a
 * status code and an exit code (see `api/http-errors.ts` and `cli/exit-codes.ts`).
 */

/** Broad kinds of failure; each edge maps a category, not a class, to its own numbers. */
export type ErrorCategory =
  | 'invalid_input' // the caller sent something malformed
  | 'unauthorized' // no or wrong credentials
  | 'forbidden' // credentials fine, not allowed
  | 'not_found'
  | 'conflict' // the state of the world forbids it (already running, already a member)
  | 'unavailable' // a dependency or the node is not reachable / not running
  | 'timeout'
  | 'config' // the configuration is invalid
  | 'internal';

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export class AtmosphereError extends Error {
  readonly code: string = 'internal_error';
  readonly category: ErrorCategory = 'internal';
  readonly details: ErrorDetails;

  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; code: string; message: string; details: ErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

// ---- input ---------------------------------------------------------------------------------

export class InvalidInputError extends AtmosphereError {
  override readonly code: string = 'invalid_input';
  override readonly category: ErrorCategory = 'invalid_input';
}

export class InvalidRequestBodyError extends InvalidInputError {
  override readonly code = 'invalid_request_body';
}

// ---- config --------------------------------------------------------------------------------

/** One problem found in a configuration source. */
export interface ConfigIssue {
  /** Where the bad value came from: a file path, `env ATMOSPHERE_X` or `flag --x`. */
  readonly source: string;
  /** Dotted key path, e.g. `limits.max_concurrent`; empty for the document itself. */
  readonly key: string;
  readonly message: string;
  /** 1-based line and column in the file, when the source is a file. */
  readonly line?: number;
  readonly column?: number;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where =
    issue.line === undefined ? issue.source : `${issue.source}:${issue.line}:${issue.column ?? 1}`;
  return issue.key ? `${where}: ${issue.key}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class ConfigError extends AtmosphereError {
  override readonly code: string = 'config_invalid';
  override readonly category: ErrorCategory = 'config';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map(formatConfigIssue);
    super(
      issues.length === 1
        ? `invalid configuration: ${lines[0]}`
        : `invalid configuration:\n  ${lines.join('\n  ')}`,
      { ...options, details: { issues } },
    );
    this.issues = issues;
  }
}

export class ConfigKeyNotFoundError extends AtmosphereError {
  override readonly code = 'config_key_not_found';
  override readonly category: ErrorCategory = 'not_found';
}

// ---- auth ----------------------------------------------------------------------------------

export class UnauthorizedError extends AtmosphereError {
  override readonly code: string = 'unauthorized';
  override readonly category: ErrorCategory = 'unauthorized';
}

export class ForbiddenError extends AtmosphereError {
  override readonly code: string = 'forbidden';
  override readonly category: ErrorCategory = 'forbidden';
}

// ---- lookups -------------------------------------------------------------------------------

export class NotFoundError extends AtmosphereError {
  override readonly code: string = 'not_found';
  override readonly category: ErrorCategory = 'not_found';
}

// ---- node lifecycle ------------------------------------------------------------------------

export class NodeAlreadyRunningError extends AtmosphereError {
  override readonly code = 'node_already_running';
  override readonly category: ErrorCategory = 'conflict';
}

export class NodeNotRunningError extends AtmosphereError {
  override readonly code = 'node_not_running';
  override readonly category: ErrorCategory = 'unavailable';
}

export class PortInUseError extends AtmosphereError {
  override readonly code = 'port_in_use';
  override readonly category: ErrorCategory = 'conflict';
}

export class NodeStartFailedError extends AtmosphereError {
  override readonly code = 'node_start_failed';
  override readonly category: ErrorCategory = 'unavailable';
}

export class InvalidStateError extends AtmosphereError {
  override readonly code = 'invalid_state';
  override readonly category: ErrorCategory = 'conflict';
}

export class TimeoutError extends AtmosphereError {
  override readonly code: string = 'timeout';
  override readonly category: ErrorCategory = 'timeout';
}

export class AbortedError extends AtmosphereError {
  override readonly code = 'aborted';
  override readonly category: ErrorCategory = 'unavailable';
}

// ---- home directory, identity, store -------------------------------------------------------

export class HomeDirectoryError extends AtmosphereError {
  override readonly code = 'home_unusable';
  override readonly category: ErrorCategory = 'config';
}

export class IdentityError extends AtmosphereError {
  override readonly code = 'identity_invalid';
  override readonly category: ErrorCategory = 'config';
}

export class StoreError extends AtmosphereError {
  override readonly code: string = 'store_error';
  override readonly category: ErrorCategory = 'internal';
}

export class MigrationError extends StoreError {
  override readonly code = 'store_migration_failed';
}

/** Wraps anything that is not an AtmosphereError so the edges can treat every error alike. */
export function toAtmosphereError(err: unknown): AtmosphereError {
  if (err instanceof AtmosphereError) return err;
  if (err instanceof Error) {
    if (err.name === 'AbortError')
      return new AbortedError(err.message || 'operation aborted', { cause: err });
    if (err.name === 'TimeoutError')
      return new TimeoutError(err.message || 'operation timed out', { cause: err });
    return new AtmosphereError(err.message, { cause: err });
  }
  return new AtmosphereError(String(err));
}

// ---- store (appended by the store module) ---------------------------------------------------

/** The database was written by a newer Atmosphere (its schema version is higher than this build knows). */
export class StoreSchemaTooNewError extends StoreError {
  override readonly code = 'store_schema_too_new';
  override readonly category: ErrorCategory = 'conflict';
}

// ---- HTTP API ------------------------------------------------------------------------------

/** A request body larger than the API accepts (HTTP 413). */
export class RequestBodyTooLargeError extends InvalidInputError {
  override readonly code = 'request_body_too_large';
}

/** The path exists but not for this HTTP method (HTTP 405). */
export class MethodNotAllowedError extends InvalidInputError {
  override readonly code = 'method_not_allowed';
}

/** Generic conflict reported by a remote API whose specific error this build does not know. */
export class ConflictError extends AtmosphereError {
  override readonly code: string = 'conflict';
  override readonly category: ErrorCategory = 'conflict';
}

/** Generic "not available right now" reported by a remote API (HTTP 503). */
export class UnavailableError extends AtmosphereError {
  override readonly code: string = 'unavailable';
  override readonly category: ErrorCategory = 'unavailable';
}

/** A cookie-session request that changes state without the session's `X-Atmosphere-CSRF` header. */
export class CsrfTokenInvalidError extends UnauthorizedError {
  override readonly code = 'csrf_token_invalid';
}

// ---- mesh: wire formats, invites, membership, revocation, protocols ------------------------

/** A binary or JSON message from outside broke its format (truncated, overlong, bad UTF-8 ...). */
export class MalformedMessageError extends InvalidInputError {
  override readonly code: string = 'malformed_message';
}

/** A message is larger than its protocol allows. */
export class MessageTooLargeError extends InvalidInputError {
  override readonly code = 'message_too_large';
}

/** The invite token is not a well-formed `atm1.` token (wrong prefix, bad encoding, bad field). */
export class InviteMalformedError extends InvalidInputError {
  override readonly code = 'invite_malformed';
}

/** The invite's signature does not verify: it was edited or signed by a key outside the mesh. */
export class InviteTamperedError extends InvalidInputError {
  override readonly code = 'invite_tampered';
}

export class InviteExpiredError extends AtmosphereError {
  override readonly code = 'invite_expired';
  override readonly category: ErrorCategory = 'forbidden';
}

/** The mesh id in the invite is not derived from its mesh key, or not the mesh the caller expected. */
export class InviteMeshMismatchError extends InvalidInputError {
  override readonly code = 'invite_mesh_mismatch';
}

export class InviteUsesExhaustedError extends AtmosphereError {
  override readonly code = 'invite_uses_exhausted';
  override readonly category: ErrorCategory = 'forbidden';
}

/** The issuing node does not know the invite (issued elsewhere, or its state was lost). */
export class InviteUnknownError extends AtmosphereError {
  override readonly code = 'invite_unknown';
  override readonly category: ErrorCategory = 'not_found';
}

export class AlreadyMemberError extends AtmosphereError {
  override readonly code = 'already_member';
  override readonly category: ErrorCategory = 'conflict';
}

/** A membership credential is malformed, mis-signed, for another mesh or another node. */
export class CredentialInvalidError extends AtmosphereError {
  override readonly code = 'credential_invalid';
  override readonly category: ErrorCategory = 'forbidden';
}

/** This node (or the one asking) was revoked from the mesh. */
export class MembershipRevokedError extends AtmosphereError {
  override readonly code = 'membership_revoked';
  override readonly category: ErrorCategory = 'forbidden';
}

/** A revocation entry is malformed or not signed by the mesh's authority. */
export class RevocationInvalidError extends InvalidInputError {
  override readonly code = 'revocation_invalid';
}

export class MeshNotFoundError extends NotFoundError {
  override readonly code = 'mesh_not_found';
}

/** The operation needs membership of a mesh (or a shared mesh with the peer) that is missing. */
export class NotMeshMemberError extends ForbiddenError {
  override readonly code = 'not_member';
}

/** The operation needs the mesh key or an admin credential. */
export class NotMeshAdminError extends ForbiddenError {
  override readonly code = 'not_mesh_admin';
}

export class PeerUnreachableError extends AtmosphereError {
  override readonly code = 'peer_unreachable';
  override readonly category: ErrorCategory = 'unavailable';
}

/** The peer speaks a version of an Atmosphere protocol this node does not. */
export class IncompatibleVersionError extends AtmosphereError {
  override readonly code = 'incompatible_version';
  override readonly category: ErrorCategory = 'conflict';
}

/** The membership handshake with a peer failed; `details.reason` says why. */
export class HandshakeFailedError extends AtmosphereError {
  override readonly code = 'handshake_failed';
  override readonly category: ErrorCategory = 'forbidden';
}

/** The peer closed an invoke stream without answering (not a member, or it went away). */
export class InvokeRefusedError extends AtmosphereError {
  override readonly code = 'invoke_refused';
  override readonly category: ErrorCategory = 'unavailable';
}

/** The remote handler failed; `details.remoteCode` is the code it reported. */
export class InvokeRemoteError extends AtmosphereError {
  override readonly code = 'invoke_remote_error';
  override readonly category: ErrorCategory = 'unavailable';
}

/** A peer broke the framing or schema of a mesh request/response protocol. */
export class ProtocolViolationError extends MalformedMessageError {
  override readonly code = 'protocol_violation';
}

/** The editor that `atmosphere config edit` launched could not run or exited with a failure. */
export class EditorFailedError extends AtmosphereError {
  override readonly code = 'editor_failed';
  override readonly category: ErrorCategory = 'internal';
}

// ---- inference backends (integrations: Ollama, LlamaFarm, OpenAI-compatible cloud) ----------

/** The model server could not be reached (connection refused, unknown host, reset before answering). */
export class BackendUnavailableError extends AtmosphereError {
  override readonly code: string = 'backend_unavailable';
  override readonly category: ErrorCategory = 'unavailable';
}

/** The model server answered with an error; the message is the upstream's own. `details.httpStatus` has its status. */
export class BackendError extends AtmosphereError {
  override readonly code: string = 'backend_error';
  override readonly category: ErrorCategory = 'unavailable';
}

/** The model server refused the credentials (HTTP 401/403: a missing or wrong API key). */
export class BackendAuthError extends BackendError {
  override readonly code = 'backend_auth_failed';
}

/** A stream stopped before its end (the connection dropped or the server stopped sending). */
export class BackendStreamInterruptedError extends BackendError {
  override readonly code = 'backend_stream_interrupted';
}

/** The model server did not answer (or went silent mid-stream) within the time allowed. */
export class BackendTimeoutError extends TimeoutError {
  override readonly code = 'backend_timeout';
}

/** The backend does not have the requested model (or LlamaFarm project). */
export class ModelNotFoundError extends NotFoundError {
  override readonly code = 'model_not_found';
}

// ---- OpenAI-compatible API and the inference gateway ----------------------------------------

/**
 * No node in the mesh can serve the request right now: no chat model for `model: "auto"`, no
 * embedding model, or every node that has the requested model is unreachable (HTTP 503).
 */
export class NoCapabilityError extends AtmosphereError {
  override readonly code = 'no_capability';
  override readonly category: ErrorCategory = 'unavailable';
}

/** A request parameter or value Atmosphere does not support (yet), e.g. image content parts or `n` > 1 (HTTP 400). */
export class UnsupportedParameterError extends InvalidInputError {
  override readonly code = 'unsupported_parameter';
}

/** `GET /api/routes/{id}`: no route with that id, or its explanation has expired. */
export class RouteNotFoundError extends NotFoundError {
  override readonly code = 'route_not_found';
}

// ---- trigger events -------------------------------------------------------------------------

/**
 * A trigger fired faster than `triggers.throttle` allows (HTTP 429 with `Retry-After`);
 * `details.retryAfterMs` says when it may fire again.
 */
export class TriggerThrottledError extends AtmosphereError {
  override readonly code = 'throttled';
  override readonly category: ErrorCategory = 'unavailable';
}

/** No scan report is stored yet (`atmosphere scan` or `POST /api/scan` makes one). */
export class ScanNotFoundError extends NotFoundError {
  override readonly code = 'scan_not_found';
}

// ---- limits on mesh work (where work executes) ----------------------------------------------

/**
 * Every slot for mesh work is taken and the queue is full (`limits.max_concurrent`,
 * `limits.max_queue`); `details` has `running`, `queued`, `maxConcurrent` and `maxQueue`.
 */
export class NodeBusyError extends AtmosphereError {
  override readonly code = 'node_busy';
  override readonly category: ErrorCategory = 'unavailable';
}

/** `limits.off_battery_only` is on and the device runs on battery: it serves the mesh only when plugged in. */
export class OnBatteryError extends AtmosphereError {
  override readonly code = 'on_battery';
  override readonly category: ErrorCategory = 'unavailable';
}

/**
 * The model needs more GPU memory than `limits.max_vram_percent` lets mesh work use (or
 * `expose.hardware.gpu` is off); `details` has `modelBytes`, `gpuMemoryBytes`, `limitBytes`, `maxVramPercent`.
 */
export class VramLimitError extends AtmosphereError {
  override readonly code = 'vram_limit';
  override readonly category: ErrorCategory = 'unavailable';
}

/**
 * The owner does not expose this capability to the asking peer (`expose.*` or `access.mesh_ids`);
 * `details.rule` names the config key that decided.
 */
export class NotExposedError extends ForbiddenError {
  override readonly code = 'not_exposed';
}

// ---- packaging -----------------------------------------------------------------------------

/**
 * `atmosphere service` cannot manage a service here: no systemd running (a container, WSL without
 * systemd, another init), no launchd, or a platform without a supported service manager.
 */
export class ServiceManagerUnavailableError extends AtmosphereError {
  override readonly code = 'service_manager_unavailable';
  override readonly category: ErrorCategory = 'unavailable';
}

/** `systemctl` or `launchctl` failed; `details` has `command`, `exitCode` and `stderr`. */
export class ServiceCommandFailedError extends AtmosphereError {
  override readonly code = 'service_command_failed';
  override readonly category: ErrorCategory = 'internal';
}

/**
 * The month's cloud spend reached `cost.monthly_budget_usd`: cloud models are not used until the
 * next month (or a higher budget); `details` has `spentUsd`, `budgetUsd` and `month`.
 */
export class CloudBudgetExceededError extends AtmosphereError {
  override readonly code = 'cloud_budget_exceeded';
  override readonly category: ErrorCategory = 'unavailable';
}

// ---- Matter devices ---------------------------------------------------------------------------

/** The Matter bridge is off (`matter.enabled: false`) or not started on this node. */
export class MatterDisabledError extends AtmosphereError {
  override readonly code = 'matter_disabled';
  override readonly category: ErrorCategory = 'unavailable';
}

/** No commissioned Matter device (or mapped capability) has this id; `details.id` names it. */
export class MatterDeviceNotFoundError extends NotFoundError {
  override readonly code = 'matter_device_not_found';
}

/** A pairing code or QR payload could not be read, or commissioning the device failed. */
export class MatterCommissioningError extends AtmosphereError {
  override readonly code = 'matter_commissioning_failed';
  override readonly category: ErrorCategory = 'unavailable';
}

/**
 * The Matter device does not answer (powered off, out of range, its address changed and mDNS has
 * not found it yet); `details.device` and `details.offlineSinceMs` say which and since when. The
 * bridge keeps trying to reconnect and renews its subscription when the device is back.
 */
export class MatterDeviceOfflineError extends AtmosphereError {
  override readonly code = 'device_offline';
  override readonly category: ErrorCategory = 'unavailable';
}

/** The device answered a Matter command with an error status, or the tool's arguments were wrong. */
export class MatterCommandError extends AtmosphereError {
  override readonly code = 'matter_command_failed';
  override readonly category: ErrorCategory = 'unavailable';
}

/** A capability has no tool by this name (`details.capability`, `details.tool`). */
export class UnknownToolError extends InvalidInputError {
  override readonly code = 'unknown_tool';
}

// ---- embedders (the router's whole-text vectors from a model server: Ollama `/api/embed`) -----

/** The embedding server could not be reached (connection refused, unknown host); `details.url` says where. */
export class EmbedderUnavailableError extends BackendUnavailableError {
  override readonly code = 'embedder_unavailable';
}

/**
 * The embedding server has no model by this name, or the model cannot make embeddings (a chat-only
 * model); `details.model` names it and `details.reason` is `not_found` or `not_an_embedding_model`.
 */
export class EmbeddingModelNotFoundError extends NotFoundError {
  override readonly code = 'embedding_model_not_found';
}

/**
 * The embedding server answered with something the API does not promise: not JSON, no
 * `embeddings`, a count that differs from the texts sent, non-finite values, or vectors whose
 * length differs from the first ones it made (`details.reason` says which). Vectors of another
 * length are never mixed into an index.
 */
export class EmbedderReplyError extends BackendError {
  override readonly code = 'embedder_bad_reply';
}

// ---- TLS (HTTPS for the API, WSS for the mesh WebSocket listener) --------------------------

/**
 * `tls.cert_file` / `tls.key_file` cannot be used: only one is set, a file is missing or unreadable,
 * it holds no PEM certificate or private key, or the key does not belong to the certificate.
 * `details.key` names the config key and `details.path` the file (when there is one).
 */
export class TlsConfigError extends AtmosphereError {
  override readonly code = 'tls_config_invalid';
  override readonly category: ErrorCategory = 'config';
}
