/**
 * The pure domain of Atmosphere: errors, the config schema, capability and membership models, the
 * cost model, the route scorer and the seam interfaces. Nothing here does I/O, reads the clock or
 * imports node:*, libp2p, SQLite or an HTTP framework.
 */
export * from './errors.js';
export * from './config-schema.js';
export * from './clock.js';
export * from './logger.js';
export * from './lifecycle.js';
export * from './store.js';
