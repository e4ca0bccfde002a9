// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/: an entry file, one file per command
// and a few shared chunks, with the dependencies inside. Node then loads a handful of files instead of
// ~800 small ES modules, which is most of the time `atmosphere start` and the node it launches take
// to get going. bin/atmosphere.js runs the bundle (and falls back to dist/cli when there is none).
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Left outside the bundle and loaded from node_modules at run time: native addons (better-sqlite3
 * finds its .node file relative to its own package), ws's optional native helpers, and matter.js
 * (large, loaded only by a node with `matter.enabled`, and it resolves its own `#` subpath imports).
 */
const EXTERNAL = ['better-sqlite3', 'bufferutil', 'utf-8-validate', '@matter/*'];

// Bundled CommonJS packages call require() for Node built-ins; an ES module has none of its own.
const BANNER = [
  "import { createRequire as __atmosphereCreateRequire } from 'node:module';",
  'const require = __atmosphereCreateRequire(import.meta.url);',
].join('\n');

/**
 * Writes dist/bundle/atmosphere.js (exports `main`, like dist/cli/main.js) and its chunks. They sit
 * two levels below the package root, like every dist/<module>/ file, so paths the code builds from
 * `import.meta.url` (`../../data`, `../../ui/dist`, `../build-info.json`) still resolve.
 */
export async function bundleCli(root) {
  await build({
    absWorkingDir: root,
    entryPoints: { atmosphere: join('dist', 'cli', 'main.js') },
    outdir: join(root, 'dist', 'bundle'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL,
    banner: { js: BANNER },
    // class and function names stay as written: errors take their `name` from their class
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}
