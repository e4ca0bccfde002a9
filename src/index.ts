/**
 * `atmosphere-mesh` as a library: the pure domain (`core`) and the composition root, for embedding a
 * node in another program. The `atmosphere` command is the main way to use the package.
 */
export * from './core/index.js';
export { createNode, AtmosphereNode, runNodeInForeground } from './node/index.js';
export type { NodeComponents, NodeInit } from './node/index.js';
export { homePaths, resolveHomeDir, ApiClient } from './client/index.js';
export type { HomePaths } from './client/index.js';
