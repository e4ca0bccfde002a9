/**
 * The composition root: the only place concrete classes are built and wired (store, API, mesh,
 * router ...). Also owns the home directory, identity, config files and the daemon lifecycle.
 */
export * from './fs-atomic.js';
export * from './config-file.js';
export * from './identity.js';
export * from './logger.js';
export * from './pid-file.js';
export * from './runtime-state.js';
export * from './create-node.js';
export * from './daemon.js';
export * from './launcher.js';
export * from './websocket-global.js';
export * from './local-scan.js';
export * from './audit-retention.js';
export * from './invite-check.js';
export { loadTlsFiles, resolveConfigPath } from './config-tls.js';
export type { TlsFiles } from './config-tls.js';
