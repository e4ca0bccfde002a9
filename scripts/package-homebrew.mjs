// `npm run package:homebrew`: release/atmosphere.rb, the Homebrew formula for this version, from the
// template in packaging/homebrew. The tarball's address comes from --url, or from `npm view` for the
// published version; its sha256 from --tarball FILE (the `npm pack` output of the same version).
//
//   npm run package:homebrew -- --tarball atmosphere-mesh-0.1.0.tgz [--url URL] [--out DIR]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(argv, name) {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : undefined;
}

/** The formula, with the tarball at `url` whose bytes hash to `sha256`. */
export function renderFormula({ url, sha256, homepage }) {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  const template = readFileSync(join(root, 'packaging', 'homebrew', 'atmosphere.rb'), 'utf8');
  const values = { TARBALL_URL: url, SHA256: sha256, HOMEPAGE: homepage };
  return template.replace(/@([A-Z0-9_]+)@/g, (m, key) => {
    if (!(key in values)) throw new Error(`no value for ${m}`);
    return values[key];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const tarball = arg(process.argv, '--tarball');
  if (tarball === undefined)
    throw new Error('--tarball FILE is required (the `npm pack` output for this version)');
  const sha256 = createHash('sha256')
    .update(readFileSync(resolve(tarball)))
    .digest('hex');
  const url =
    arg(process.argv, '--url') ??
    execFileSync('npm', ['view', `${pkg.name}@${pkg.version}`, 'dist.tarball'], { encoding: 'utf8' }).trim();
  const homepage = pkg.homepage ?? url;
  const outDir = resolve(arg(process.argv, '--out') ?? join(root, 'release'));
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'atmosphere.rb');
  writeFileSync(out, renderFormula({ url, sha256, homepage }));
  process.stdout.write(`${out}\n`);
}
