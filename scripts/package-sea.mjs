// `npm run package:sea`: a Linux single executable (Node SEA) and a self-contained tarball around it.
//
//   release/atmosphere-<version>-linux-<arch>/
//     atmosphere                 the executable: this machine's node with the CLI inside
//     lib/better_sqlite3.node    SQLite (a native addon cannot live inside the executable)
//     data/ schema/ ui/dist/ ui/dist-phone/   files the node reads at run time
//     packaging/systemd/ packaging/launchd/   templates for `atmosphere service install`
//     dist/build-info.json       version and commit for `atmosphere --version`
//   release/atmosphere-<version>-linux-<arch>.tar.gz
//
// The CLI is bundled by esbuild into one CommonJS file (Node runs only CommonJS as a SEA main). Paths
// the code builds from `import.meta.url` are resolved against a file URL inside the directory of the
// executable (`<dir>/dist/bundle/atmosphere.cjs`), so `../../data/word-vectors.bin` is `<dir>/data/...`,
// exactly as in the npm package. better-sqlite3 looks its addon up with the `bindings` package; in the
// executable that lookup is replaced by a load of `<dir>/lib/better_sqlite3.node` from the real file
// system (a SEA's own `require` loads only Node's built-in modules).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { injectSeaBlob } from './sea-inject.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Files beside the executable, copied from the package (source → destination, relative). */
export const SEA_RUNTIME_FILES = [
  ['data/word-vectors.bin', 'data/word-vectors.bin'],
  ['schema/config.schema.json', 'schema/config.schema.json'],
  ['packaging/systemd', 'packaging/systemd'],
  ['packaging/launchd', 'packaging/launchd'],
  ['dist/build-info.json', 'dist/build-info.json'],
  ['README.md', 'README.md'],
];

const IMPORT_META_URL = '__atmosphereImportMetaUrl';
const IMPORT_META_FILENAME = '__atmosphereImportMetaFilename';
const IMPORT_META_DIRNAME = '__atmosphereImportMetaDirname';
const BANNER = [
  '"use strict";',
  `var ${IMPORT_META_FILENAME} = require("node:path").join(require("node:path").dirname(process.execPath), "dist", "bundle", "atmosphere.cjs");`,
  `var ${IMPORT_META_DIRNAME} = require("node:path").dirname(${IMPORT_META_FILENAME});`,
  `var ${IMPORT_META_URL} = require("node:url").pathToFileURL(${IMPORT_META_FILENAME}).href;`,
].join('\n');

const BINDINGS_SHIM = `
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
module.exports = function bindings(name) {
  const file = join(dirname(process.execPath), 'lib', name.endsWith('.node') ? name : name + '.node');
  return createRequire(process.execPath)(file);
};
`;

/**
 * Modules left out of the executable, which throw MODULE_NOT_FOUND when loaded: ws's optional native
 * helpers (ws requires them in a try/catch and falls back to JavaScript; as plain requires, the
 * executable's built-ins-only require would also print a warning), and matter.js (loaded only by a
 * node with `matter.enabled`; it is large and reaches for `node:sqlite`/`bun:sqlite`, which Node 20
 * lacks): the single executable has no Matter support (docs/INSTALL.md).
 */
const absentModule = (name, why) =>
  `throw Object.assign(new Error(${JSON.stringify(`${name}: ${why}`)}), { code: 'MODULE_NOT_FOUND' });`;

/** Resolves `bindings` (better-sqlite3's addon finder) to the shim above, and the left-out modules. */
const seaModulesPlugin = {
  name: 'atmosphere-sea-modules',
  setup(b) {
    b.onResolve({ filter: /^(bindings|bufferutil|utf-8-validate|@matter\/.*)$/ }, (args) => ({
      path: args.path,
      namespace: 'atmosphere-sea',
    }));
    b.onLoad({ filter: /.*/, namespace: 'atmosphere-sea' }, (args) => ({
      contents:
        args.path === 'bindings'
          ? BINDINGS_SHIM
          : args.path.startsWith('@matter/')
            ? absentModule(
                args.path,
                'Matter support is not in the single executable; install Atmosphere with npm',
              )
            : absentModule(args.path, 'not in the single executable'),
      loader: 'js',
    }));
  },
};

export async function bundleForSea(outfile) {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'packaging', 'sea', 'entry.mjs')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    define: {
      'import.meta.url': IMPORT_META_URL,
      'import.meta.dirname': IMPORT_META_DIRNAME,
      'import.meta.filename': IMPORT_META_FILENAME,
    },
    banner: { js: BANNER },
    plugins: [seaModulesPlugin],
    keepNames: true,
    logLevel: 'warning',
  });
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status})`);
}

/** Builds the executable and its tarball in `releaseDir` (default: release/ in the checkout). */
export async function packageSea(releaseDir = join(root, 'release')) {
  if (process.platform !== 'linux')
    throw new Error('package:sea builds the Linux executable; run it on Linux');
  run(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')]);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const name = `atmosphere-${pkg.version}-linux-${process.arch}`;
  const outDir = join(releaseDir, name);
  const work = join(releaseDir, '.sea-work');
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(join(outDir, 'lib'), { recursive: true });

  const bundle = join(work, 'atmosphere.cjs');
  await bundleForSea(bundle);
  const blob = join(work, 'sea.blob');
  writeFileSync(
    join(work, 'sea-config.json'),
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'ignore' });

  const exe = join(outDir, 'atmosphere');
  writeFileSync(exe, injectSeaBlob(readFileSync(process.execPath), readFileSync(blob)));
  chmodSync(exe, 0o755);

  const addon = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  cpSync(addon, join(outDir, 'lib', 'better_sqlite3.node'));
  for (const [from, to] of SEA_RUNTIME_FILES) {
    cpSync(join(root, from), join(outDir, to), { recursive: true });
  }
  for (const app of ['dist', 'dist-phone']) {
    if (existsSync(join(root, 'ui', app)))
      cpSync(join(root, 'ui', app), join(outDir, 'ui', app), { recursive: true });
  }
  rmSync(work, { recursive: true, force: true });

  const tarball = join(releaseDir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', releaseDir, name]);
  return { dir: outDir, executable: exe, tarball };
}

/** `--out DIR` from a command line, else undefined. */
export function outDirArg(argv) {
  const i = argv.indexOf('--out');
  return i >= 0 && argv[i + 1] !== undefined ? resolve(argv[i + 1]) : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { executable, tarball } = await packageSea(outDirArg(process.argv));
  process.stdout.write(`single executable: ${executable}\ntarball: ${tarball}\n`);
}
