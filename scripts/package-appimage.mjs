// `npm run package:appimage`: an AppImage-style AppDir around the single executable, and a tarball of it.
//
//   release/Atmosphere.AppDir/
//     AppRun                         runs usr/lib/atmosphere/atmosphere with the arguments given
//     atmosphere.desktop, atmosphere.svg, .DirIcon
//     usr/bin/atmosphere → ../lib/atmosphere/atmosphere
//     usr/lib/atmosphere/            the package:sea directory (executable, SQLite addon, data)
//   release/atmosphere-<version>-<arch>.AppDir.tar.gz
//
// appimagetool (which squashes an AppDir into a single .AppImage file) is not available on the
// machines this project builds on, so the AppDir is shipped as a tarball; `appimagetool
// Atmosphere.AppDir` turns it into an .AppImage where the tool is installed (docs/INSTALL.md).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outDirArg, packageSea } from './package-sea.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const templates = join(root, 'packaging', 'appimage');

const APPIMAGE_ARCH = { x64: 'x86_64', arm64: 'aarch64' };

/** Builds `<releaseDir>/Atmosphere.AppDir` from the package:sea directory `seaDir`, and its tarball. */
export function buildAppDir(seaDir, releaseDir) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const appDir = join(releaseDir, 'Atmosphere.AppDir');
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(join(appDir, 'usr', 'bin'), { recursive: true });
  cpSync(seaDir, join(appDir, 'usr', 'lib', 'atmosphere'), { recursive: true });
  symlinkSync('../lib/atmosphere/atmosphere', join(appDir, 'usr', 'bin', 'atmosphere'));
  for (const file of ['AppRun', 'atmosphere.desktop', 'atmosphere.svg']) {
    copyFileSync(join(templates, file), join(appDir, file));
  }
  chmodSync(join(appDir, 'AppRun'), 0o755);
  symlinkSync('atmosphere.svg', join(appDir, '.DirIcon'));
  const arch = APPIMAGE_ARCH[process.arch] ?? process.arch;
  const tarball = join(releaseDir, `atmosphere-${pkg.version}-${arch}.AppDir.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', releaseDir, basename(appDir)]);
  return { appDir, tarball };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const releaseDir = outDirArg(process.argv) ?? join(root, 'release');
  const i = process.argv.indexOf('--sea-dir');
  const seaDir =
    i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : (await packageSea(releaseDir)).dir;
  const { appDir, tarball } = buildAppDir(seaDir, releaseDir);
  process.stdout.write(`AppDir: ${appDir}\ntarball: ${tarball}\n`);
}
