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
export * from './wire.js';
export * from './crypto.js';
export * from './mesh-identity.js';
export * from './membership.js';
export * from './invite.js';
export * from './revocation.js';
export * from './mesh-state.js';
export * from './mesh-types.js';
export * from './capability.js';
export * from './route-scoring.js';
export * from './api-types.js';
export * from './http-errors.js';
export * from './inference.js';
export * from './model-prices.js';
export * from './gateway.js';
export * from './glob.js';
export * from './exposure.js';
export * from './trigger-events.js';
export * from './scan.js';
export * from './concurrency.js';
export * from './cost-model.js';
