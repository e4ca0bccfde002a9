#!/usr/bin/env bash
# Installs Atmosphere from npm:   curl -fsSL <where this script is published>/install.sh | bash
#                          or:   bash scripts/install.sh [options]
#
#   --service        also run the node as a service (systemd user service, or a launchd agent)
#   --system         with --service: a system service (needs root)
#   --version V      install atmosphere-mesh@V instead of the latest release
#   --package SPEC   install SPEC instead (a tarball path or URL, a git spec ...)
#   -h, --help       this text
#
# Needs Node.js >= 20.19 with npm; says how to get it when it is missing or older.
set -euo pipefail

MIN_NODE="20.19.0"
PACKAGE="atmosphere-mesh"
SERVICE=0
SCOPE="--user"

say() { printf 'atmosphere-install: %s\n' "$*"; }
fail() {
  printf 'atmosphere-install: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" 2>/dev/null | sed 's/^# \{0,1\}//' ||
    printf 'usage: install.sh [--service [--system]] [--version V] [--package SPEC]\n'
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --service) SERVICE=1 ;;
    --system) SCOPE="--system" ;;
    --version)
      [ "$#" -ge 2 ] || fail "--version needs a version"
      PACKAGE="atmosphere-mesh@$2"
      shift
      ;;
    --package)
      [ "$#" -ge 2 ] || fail "--package needs a package spec"
      PACKAGE="$2"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) fail "unknown option: $1 (see --help)" ;;
  esac
  shift
done

how_to_get_node() {
  local os
  os="$(uname -s 2>/dev/null || printf unknown)"
  printf '\nAtmosphere needs Node.js %s or newer (with npm). To get it:\n' "$MIN_NODE" >&2
  case "$os" in
    Darwin) printf '  brew install node@22        (Homebrew), or the installer from nodejs.org\n' >&2 ;;
    Linux)
      printf '  Debian/Ubuntu: the NodeSource packages (nodejs 22.x), or your distribution if it has >= %s\n' "$MIN_NODE" >&2
      printf '  Fedora/RHEL:   sudo dnf install nodejs   (Fedora 40+ ships Node 22)\n' >&2
      ;;
    *) printf '  the installer for your system from nodejs.org\n' >&2 ;;
  esac
  printf '  any system:    a version manager: nvm install 22, fnm install 22, or volta install node@22\n\n' >&2
}

# "20.19.0" → 201900 (major*10000 + minor*100 + patch, each part capped at 99)
version_number() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${1%%-*}"
  major="${major//[!0-9]/}"
  minor="${minor//[!0-9]/}"
  patch="${patch//[!0-9]/}"
  printf '%d' "$((10#${major:-0} * 10000 + 10#${minor:-0} * 100 + 10#${patch:-0}))"
}

if ! command -v node >/dev/null 2>&1; then
  how_to_get_node
  fail "Node.js is not installed (no \`node\` on PATH)"
fi
NODE_VERSION="$(node -e 'process.stdout.write(process.versions.node)')"
if [ "$(version_number "$NODE_VERSION")" -lt "$(version_number "$MIN_NODE")" ]; then
  how_to_get_node
  fail "Node.js $NODE_VERSION is too old: Atmosphere needs $MIN_NODE or newer"
fi
command -v npm >/dev/null 2>&1 || {
  how_to_get_node
  fail "npm is not installed (it comes with Node.js; some distributions package it separately: npm)"
}
say "Node.js $NODE_VERSION"

NPM_PREFIX="$(npm prefix -g)"
if [ ! -w "$NPM_PREFIX" ] && [ "$(id -u 2>/dev/null || printf 1)" != "0" ]; then
  fail "npm installs global packages into $NPM_PREFIX, which you cannot write to. Either run this script with sudo, or install into your home:
  npm config set prefix \"\$HOME/.local\"   (and put \$HOME/.local/bin on your PATH), then run it again"
fi

say "npm install -g $PACKAGE"
npm install -g "$PACKAGE"

ATMOSPHERE="$NPM_PREFIX/bin/atmosphere"
[ -x "$ATMOSPHERE" ] || ATMOSPHERE="$(command -v atmosphere || true)"
if [ -z "$ATMOSPHERE" ] || [ ! -x "$ATMOSPHERE" ]; then
  fail "npm finished but no \`atmosphere\` command was installed in $NPM_PREFIX/bin"
fi
say "installed: atmosphere $("$ATMOSPHERE" --version)"

if [ "$SERVICE" = "1" ]; then
  say "atmosphere service install $SCOPE"
  "$ATMOSPHERE" service install "$SCOPE"
fi

case ":$PATH:" in
  *":$NPM_PREFIX/bin:"*) ;;
  *) say "note: $NPM_PREFIX/bin is not on your PATH; add it, or run $ATMOSPHERE" ;;
esac
say "next: atmosphere init --name \"\$(hostname)\" && atmosphere start   (docs/INSTALL.md)"
