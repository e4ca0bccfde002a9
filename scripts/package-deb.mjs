// `npm run package:deb`: a Debian package built with dpkg-deb.
//
//   /usr/lib/atmosphere/            the npm package's files (what `npm pack` holds) + its production
//                                   node_modules, taken from this checkout (so the SQLite addon is the
//                                   one built here, for this Node major and architecture)
//   /usr/bin/atmosphere             → ../lib/atmosphere/bin/atmosphere.js (runs with `node` from PATH)
//   /lib/systemd/system/atmosphere.service   the system unit (packaging/systemd), for the
//                                   `atmosphere` user, home /var/lib/atmosphere
//   DEBIAN/postinst                 creates that user and home; enables and starts the service
//
// Output: release/atmosphere_<version>_<arch>.deb (or `--out DIR`).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const templates = join(root, 'packaging', 'deb');

export const DEB_APP_DIR = '/usr/lib/atmosphere';
export const DEB_HOME = '/var/lib/atmosphere';

function fill(template, values) {
  return template.replace(/@([A-Z_]+)@/g, (m, key) => {
    if (!(key in values)) throw new Error(`no value for ${m}`);
    return String(values[key]);
  });
}

/** Top-level directories of the production dependency tree (nested ones come with their parents). */
function productionModules() {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const top = new Set();
  for (const line of out.split('\n')) {
    const rel = relative(root, line.trim());
    const parts = rel.split(sep);
    if (parts[0] !== 'node_modules' || parts.length < 2) continue;
    top.add(parts[1]?.startsWith('@') ? parts.slice(0, 3).join(sep) : parts.slice(0, 2).join(sep));
  }
  return [...top].sort();
}

/**
 * What the installed app needs from node_modules: no type declarations, TypeScript sources or source
 * maps (they are more than half the files and never loaded), and of better-sqlite3 only the addon,
 * not its C sources and build intermediates.
 */
function runtimeFileFilter(src) {
  const rel = relative(root, src).split(sep).join('/');
  if (/\.(map|ts|mts|cts)$/.test(rel)) return false;
  if (!rel.startsWith('node_modules/better-sqlite3/')) return true;
  return !/^node_modules\/better-sqlite3\/(deps|src|build\/(Release\/(obj|obj\.target|test_extension\.node|sqlite3\.a|\.deps)|deps))(\/|$)/.test(
    rel,
  );
}

export async function packageDeb(releaseDir = join(root, 'release')) {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], {
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('building dist/ failed');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const work = join(releaseDir, '.deb-work');
  const stage = join(work, 'root');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  // the npm package's own files: exactly what `npm pack` puts in the tarball
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
  );
  const app = join(stage, DEB_APP_DIR);
  mkdirSync(app, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed[0].filename), '-C', app, '--strip-components=1']);
  for (const required of ['dist/bundle/atmosphere.js', 'dist/cli/service-files.js', 'dist/build-info.json']) {
    if (!existsSync(join(app, required))) {
      throw new Error(`the packed package has no ${required}: was dist/ rebuilt while packing? Run again`);
    }
  }
  for (const dir of productionModules()) {
    cpSync(join(root, dir), join(app, dir), {
      recursive: true,
      filter: runtimeFileFilter,
      verbatimSymlinks: true,
    });
  }

  mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
  symlinkSync('../lib/atmosphere/bin/atmosphere.js', join(stage, 'usr', 'bin', 'atmosphere'));

  // the unit comes from the packaged CLI's own renderer and template (the same as `atmosphere service`)
  const { readServiceTemplate, renderServiceFile } = await import(
    pathToFileURL(join(app, 'dist', 'cli', 'service-files.js')).href
  );
  const unit = renderServiceFile(
    {
      manager: 'systemd',
      scope: 'system',
      command: ['/usr/bin/atmosphere'],
      homeDir: DEB_HOME,
      user: 'atmosphere',
    },
    readServiceTemplate('systemd', 'system'),
  );
  mkdirSync(join(stage, 'lib', 'systemd', 'system'), { recursive: true });
  writeFileSync(join(stage, 'lib', 'systemd', 'system', 'atmosphere.service'), unit);

  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const installedKb = Number(execFileSync('du', ['-sk', stage], { encoding: 'utf8' }).split('\t')[0]);
  const debian = join(stage, 'DEBIAN');
  mkdirSync(debian);
  writeFileSync(
    join(debian, 'control'),
    fill(readFileSync(join(templates, 'control'), 'utf8'), {
      VERSION: pkg.version,
      ARCH: arch,
      INSTALLED_SIZE: installedKb,
      NODE_MAJOR: nodeMajor,
      // the SQLite addon is built for this Node major's ABI; engines.node gives the minimum
      NODE_MIN: pkg.engines.node.replace(/^>=\s*/, '').replace(/\.0$/, ''),
      NODE_NEXT_MAJOR: nodeMajor + 1,
    }),
  );
  for (const script of ['postinst', 'prerm', 'postrm']) {
    cpSync(join(templates, script), join(debian, script));
    chmodSync(join(debian, script), 0o755);
  }

  const deb = join(releaseDir, `atmosphere_${pkg.version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
  return { deb };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i >= 0 && process.argv[i + 1] !== undefined ? resolve(process.argv[i + 1]) : undefined;
  const { deb } = await packageDeb(out);
  process.stdout.write(`${deb}\n`);
}
