/**
 * `atmosphere-mesh` as a library: the pure domain (`core`) and the composition root, for embedding a
 * node in another program. The `atmosphere` command is the main way to use the package.
 */
export * from './core/index.js';
export { createNode, AtmosphereNode, runNodeInForeground, homePaths, resolveHomeDir } from './node/index.js';
export type { NodeComponents, NodeInit, HomePaths } from './node/index.js';
