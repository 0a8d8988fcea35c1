#!/usr/bin/env bash
# Build the self-contained agent bundle for devices, one archive per architecture:
#   bash install/build-agent-bundle.sh [--arch amd64|arm64|armv7 ...] [--version V] [--out-dir D]
#   (default: all three arches, package.json's version, dist/bundles; --version builds the same code labelled
#   as another version, for upgrade tests)
# Output: dist/bundles/drover-agent-<version>-linux-<arch>.tar.gz (+ .sha256), top dir drover-agent/ holding
#   agent/main.js (+ lazily loaded chunks)  the agent (agent/supervisor.js: the launcher that restarts it and
#                                          rolls an upgrade back, agent/upgrade/supervisor.ts), protocol/ and runtime-adapters/ and their pure-JS
#                                          dependencies in one ESM bundle (esbuild, code splitting keeps the
#                                          agent's dynamic imports lazy)
#   node_modules/systeminformation/       loaded at run time through createRequire (agent/host/systeminformation.ts)
#   package.json ("type": "module"), VERSION, ARCH, install-agent.sh, drover-agent.service
# Nothing to install on the device but Node 20: no npm install, no compiler (the agent has no native modules;
# the build fails if a .node file would be needed). The archives of the three architectures hold the same
# JavaScript; ARCH names the one each is for.
set -euo pipefail
cd "$(dirname "$0")/.."
arches=()
version=""
out_dir=dist/bundles
while [ $# -gt 0 ]; do
  case "$1" in
    --version) [[ "$2" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] || { echo "--version $2 is not a semantic version such as 0.2.0" >&2; exit 2; }; version="$2"; shift 2 ;;
    --out-dir) out_dir="$2"; shift 2 ;;
    --arch) case "$2" in amd64|arm64|armv7) arches+=("$2") ;; *) echo "unknown --arch $2 (amd64, arm64, armv7)" >&2; exit 2 ;; esac; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64 armv7)
[ -n "$version" ] || version=$(node -p "require('./package.json').version")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/drover-agent"
mkdir -p "$root/node_modules" "$out_dir"
# createRequire for the CommonJS dependencies esbuild folds into the ESM output (pino, mqtt, ...)
node_modules/.bin/esbuild agent/main.ts agent/supervisor.ts --bundle --platform=node --target=node20 --format=esm --splitting \
  --outdir="$root/agent" --external:systeminformation --main-fields=module,main --minify-syntax --log-level=warning \
  --banner:js="import { createRequire as __droverRequire } from 'node:module'; const require = __droverRequire(import.meta.url);"
cp -r node_modules/systeminformation "$root/node_modules/"
if find "$root" -name '*.node' | grep -q .; then echo "the bundle would need a native module: $(find "$root" -name '*.node')" >&2; exit 1; fi
printf '{\n  "name": "drover-agent",\n  "version": "%s",\n  "type": "module",\n  "private": true\n}\n' "$version" > "$root/package.json"
printf '%s\n' "$version" > "$root/VERSION"
cp install/drover-agent.service install/install-agent.sh "$root/"
chmod 0755 "$root/install-agent.sh" "$root/agent/main.js" "$root/agent/supervisor.js"
# the bundle must start with nothing but itself: run its --help from the staging dir
node "$root/agent/main.js" --help >/dev/null
for arch in "${arches[@]}"; do
  case "$arch" in amd64) platform=linux/amd64 ;; arm64) platform=linux/arm64 ;; armv7) platform=linux/arm/v7 ;; esac
  printf '%s\n' "$platform" > "$root/ARCH"
  name="drover-agent-$version-linux-$arch.tar.gz"
  # reproducible: fixed owner, order and mtime
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' -cf - drover-agent | gzip -9n > "$out_dir/$name"
  (cd "$out_dir" && sha256sum "$name" > "$name.sha256")
  echo "$out_dir/$name $(stat -c %s "$out_dir/$name") bytes"
done
