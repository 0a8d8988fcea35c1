#!/usr/bin/env bash
# Build the agent bundle for devices: the compiled agent, runtime adapters and protocol, with a
# package.json that lists only what they need (no native modules: installs on a Raspberry Pi with the
# Node its OS ships and no compiler). Output: dist/drover-agent-VERSION.tgz
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
version=$(node -p "require('./package.json').version")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/drover-agent"
cp -r dist/protocol dist/runtime-adapters dist/agent "$stage/drover-agent/"
cp install/drover-agent.service install/install-agent.sh "$stage/drover-agent/"
node - "$stage/drover-agent/package.json" <<'JS'
const fs = require('node:fs');
const root = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const keep = ['mqtt', 'systeminformation', 'execa', 'nanoid', 'pino', 'zod', 'yaml', 'commander'];
const deps = Object.fromEntries(keep.filter((k) => root.dependencies[k]).map((k) => [k, root.dependencies[k]]));
fs.writeFileSync(process.argv[2], JSON.stringify({
  name: 'drover-agent', version: root.version, type: 'module', private: true,
  engines: root.engines, bin: { 'drover-agent': 'agent/main.js' }, dependencies: deps,
}, null, 2) + '\n');
JS
tar -C "$stage" -czf "dist/drover-agent-$version.tgz" drover-agent
echo "dist/drover-agent-$version.tgz"
