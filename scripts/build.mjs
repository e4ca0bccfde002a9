// Compiles src/ to dist/, bundles the CLI into dist/bundle/, builds the web panel into ui/dist/ and
// the phone app into ui/dist-phone/, and
// records the version and commit for `atmosphere --version`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
await bundleCli(root);

// The web panel (ui/ → ui/dist/), served by the node at /ui/, and the phone app
// (ui/phone/ → ui/dist-phone/), served at /phone/.
for (const config of [join(root, 'ui', 'vite.config.ts'), join(root, 'ui', 'phone', 'vite.config.ts')]) {
  const vite = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', config, '--logLevel', 'warn'],
    { stdio: 'inherit', cwd: root },
  );
  if (vite.status !== 0) process.exit(vite.status ?? 1);
}

let commit = process.env.ATMOSPHERE_BUILD_COMMIT ?? 'unknown';
if (commit === 'unknown') {
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    // a build from a working tree with uncommitted changes says so: `0.1.0 (5743314-dirty)`
    const changes = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    if (changes.trim() !== '') commit += '-dirty';
  } catch {
    // not a git checkout (an installed tarball): the commit stays unknown
  }
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(
  join(root, 'dist', 'build-info.json'),
  JSON.stringify({ version: pkg.version, commit, builtAt: new Date().toISOString() }, null, 2) + '\n',
);
