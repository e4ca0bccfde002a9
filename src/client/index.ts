/**
 * The local control client: everything the CLI needs to find the node of a home and talk to it —
 * home paths, the run files a node publishes (pid, state, owner token), stopping it, reading its
 * log, and a typed client for its HTTP API. Deliberately light (no HTTP framework, no SQLite, no
 * libp2p) so that `atmosphere status` starts fast.
 */
export * from './home.js';
export * from './build-info.js';
export * from './log-format.js';
export * from './runtime-files.js';
export { ApiClient } from './api-client.js';
export type { ApiClientInit, HttpMethod } from './api-client.js';
export type { HttpResponseHeaders } from './http-transport.js';
