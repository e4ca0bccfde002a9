// Builds dist/ (and the web panel in ui/dist/, the phone app in ui/dist-phone/) when either is missing, or older than any source
// file (src/, ui/) or the build scripts, so `npm start` and `npm test` work straight after
// `npm install` on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', 'build-info.json');
const bundle = join(root, 'dist', 'bundle', 'atmosphere.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (/\.(ts|tsx|css)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sourcesMtime = Math.max(
  newestMtime(join(root, 'src')),
  statSync(join(root, 'package.json')).mtimeMs,
  statSync(join(root, 'tsconfig.json')).mtimeMs,
  statSync(join(root, 'scripts', 'build.mjs')).mtimeMs,
  statSync(join(root, 'scripts', 'bundle.mjs')).mtimeMs,
  // the web panel
  newestMtime(join(root, 'ui', 'src')),
  statSync(join(root, 'ui', 'index.html')).mtimeMs,
  statSync(join(root, 'ui', 'vite.config.ts')).mtimeMs,
  // the phone app
  newestMtime(join(root, 'ui', 'phone')),
);
const uiIndex = join(root, 'ui', 'dist', 'index.html');
const phoneIndex = join(root, 'ui', 'dist-phone', 'index.html');
if (
  !existsSync(stamp) ||
  !existsSync(bundle) ||
  !existsSync(uiIndex) ||
  !existsSync(phoneIndex) ||
  statSync(stamp).mtimeMs < sourcesMtime
) {
  process.stderr.write('atmosphere: building dist/ ...\n');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
