#!/bin/sh
# Install the Drover agent on a device from its hub (K3s-style), as root:
#   curl -fsSLk https://HUB:7070/install.sh | sudo sh -s -- --token-file FILE [options]
#   curl -fsSLk https://HUB:7070/install.sh | sudo DROVER_JOIN_TOKEN='K10...' sh -s --
# (-k only for this script: nothing it fetches is trusted before the hub CA matches the join token's hash.)
# The hub serves this script with its own address filled in (DROVER_SERVER_DEFAULT below).
#
# What it does, and refuses:
#   1. fetches the hub CA (/ca.crt) and checks the SHA-256 of its DER against the K10<hash> of the join token:
#      a mismatch (another hub, or someone in between) stops here; from then on every request uses --cacert;
#   2. picks the newest bundle for this machine's architecture from /bundles/index.json;
#   3. downloads it into PREFIX/downloads, resuming a cut download (HTTP Range, curl -C -);
#   4. checks its SHA-256 and the hub CA's signature (protocol/bundle-signature.ts), with node:crypto;
#   5. unpacks it beside the others into PREFIX/versions/<version> and checks it starts (--help);
#   6. writes CONFIG/agent.env and CONFIG/join-token (0600), switches PREFIX/current to the new version
#      (PREFIX/previous to the one before) with one rename, and starts the agent: the systemd unit
#      drover-agent.service, or with --no-systemd a background process (log and pid in the data dir).
# Any failure before step 6 leaves nothing installed: unpacking happens in a staging directory removed on exit.
#
# Options (each also from the environment where named):
#   --token-file FILE     the join token (K10<ca sha256>::drover-join...) from `drover token create`
#   --token TOKEN         the same inline (DROVER_JOIN_TOKEN; on the command line it is readable by every local user)
#   --server URL          the hub's HTTPS address (DROVER_SERVER; default: where this script came from)
#   --hub URL             the hub's MQTT address for the agent (DROVER_HUB; default: the hub's broker on the server's host)
#   --name NAME           node name (DROVER_NAME; default: the host name, lowercased)
#   --runtime R           containerd | docker (default: the one installed, else containerd from the OS packages)
#   --version V           install this bundle version (default: the newest for this architecture)
#   --arch A              amd64 | arm64 | armv7 (default: dpkg's architecture, else node's, else uname -m)
#   --prefix P            where bundles go (default /opt/drover-agent): P/versions/<v>, P/current, P/previous
#   --config-dir D        agent.env and join-token (default /etc/drover)
#   --data-dir D          the agent's state (default /var/lib/drover/agent)
#   --no-systemd          no systemd unit: start the agent in the background and print its command
#   --no-start            with --no-systemd: only print the command
#   --skip-packages       never apt-get: fail naming what is missing instead
set -eu

DROVER_SERVER_DEFAULT=""
DROVER_MQTT_DEFAULT=""

die() { echo "drover install: error: $*" >&2; exit 1; }
say() { echo "drover install: $*" >&2; }

token="${DROVER_JOIN_TOKEN:-}"
server="${DROVER_SERVER:-$DROVER_SERVER_DEFAULT}"
hub="${DROVER_HUB:-}"
name="${DROVER_NAME:-}"
runtime="" version="" arch=""
prefix=/opt/drover-agent config_dir=/etc/drover data_dir=/var/lib/drover/agent
systemd=1 start=1 packages=1
need_arg() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --token-file) need_arg "$@"; [ -r "$2" ] || die "--token-file $2: cannot read it"; token="$(tr -d '[:space:]' < "$2")"; shift 2 ;;
    --token) need_arg "$@"; token="$2"; say "warning: --token is readable by every local user (ps); prefer --token-file or DROVER_JOIN_TOKEN"; shift 2 ;;
    --server) need_arg "$@"; server="$2"; shift 2 ;;
    --hub) need_arg "$@"; hub="$2"; shift 2 ;;
    --name) need_arg "$@"; name="$2"; shift 2 ;;
    --runtime) need_arg "$@"; case "$2" in containerd|docker) runtime="$2" ;; *) die "--runtime $2: containerd or docker" ;; esac; shift 2 ;;
    --version) need_arg "$@"; version="$2"; shift 2 ;;
    --arch) need_arg "$@"; case "$2" in amd64|arm64|armv7) arch="$2" ;; *) die "--arch $2: amd64, arm64 or armv7" ;; esac; shift 2 ;;
    --prefix) need_arg "$@"; prefix="$2"; shift 2 ;;
    --config-dir) need_arg "$@"; config_dir="$2"; shift 2 ;;
    --data-dir) need_arg "$@"; data_dir="$2"; shift 2 ;;
    --no-systemd) systemd=0; shift ;;
    --no-start) start=0; shift ;;
    --skip-packages) packages=0; shift ;;
    -h|--help) echo "usage: install.sh --token-file FILE [--server URL] [--hub MQTT-URL] [--name N] [--runtime containerd|docker] [--version V] [--arch A] [--prefix P] [--config-dir D] [--data-dir D] [--no-systemd [--no-start]] [--skip-packages] (see the comments at the top of $DROVER_SERVER_DEFAULT/install.sh)"; exit 0 ;;
    *) die "unknown option $1 (see the top of this script)" ;;
  esac
done

# ---- the token and the hub ----
[ -n "$token" ] || die "no join token: pass --token-file FILE (or DROVER_JOIN_TOKEN) with a token from \`drover token create\`"
case "$token" in
  K10*::*) ca_pin="${token#K10}"; ca_pin="${ca_pin%%::*}" ;;
  *) die "the join token has no CA hash (K10<sha256>::drover-join...): use the full token printed by \`drover token create\`" ;;
esac
printf '%s' "$ca_pin" | grep -Eq '^[0-9a-fA-F]{64}$' || die "the join token's CA hash is not 64 hex digits"
ca_pin=$(printf '%s' "$ca_pin" | tr 'A-F' 'a-f')
[ -n "$server" ] || die "no hub address: pass --server https://HUB:7070"
server="${server%/}"
case "$server" in https://*|http://*) ;; *) die "--server $server: an https:// URL" ;; esac
server_host=$(printf '%s' "$server" | sed -E 's#^[a-z]+://##; s#/.*$##; s#:[0-9]+$##')
[ -n "$hub" ] || hub="${DROVER_MQTT_DEFAULT:-mqtts://$server_host:8883}"
[ -n "$name" ] || name="$(hostname | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-\n' '-')"
printf '%s' "$name" | grep -Eq '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$' || die "--name $name: a lowercase DNS name"
if [ "$systemd" = 1 ] || [ "$prefix" = /opt/drover-agent ]; then [ "$(id -u)" = 0 ] || die "run as root (sudo), or with --no-systemd and a --prefix, --config-dir and --data-dir you can write"; fi
if [ "$systemd" = 1 ]; then
  { command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; } || die "systemd is not running here: pass --no-systemd (the agent then runs in the background)"
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"
command -v tar >/dev/null 2>&1 || die "tar is needed"

# ---- OS packages: node (20+) always; the runtime and the pod network's tools ----
missing=""
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
if [ -z "$runtime" ]; then
  if command -v ctr >/dev/null 2>&1; then runtime=containerd; elif command -v docker >/dev/null 2>&1; then runtime=docker; else runtime=containerd; missing="$missing containerd runc"; fi
fi
[ -x /usr/lib/cni/bridge ] || missing="$missing containernetworking-plugins"
command -v nft >/dev/null 2>&1 || missing="$missing nftables"
command -v conntrack >/dev/null 2>&1 || missing="$missing conntrack"
{ command -v ip >/dev/null 2>&1 && command -v bridge >/dev/null 2>&1; } || missing="$missing iproute2"
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || missing="$missing busybox-static"
if [ -n "$missing" ]; then
  [ "$packages" = 1 ] && command -v apt-get >/dev/null 2>&1 || die "missing OS packages:$missing (install them, then run this again)"
  say "installing OS packages:$missing"
  # shellcheck disable=SC2086
  { DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing; } >&2 || die "apt-get could not install$missing: install them, then run this again"
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || die "node $(node --version) is too old: the agent needs Node 20 or later"
if [ -z "$arch" ]; then
  a=$(dpkg --print-architecture 2>/dev/null || node -p process.arch 2>/dev/null || uname -m)
  case "$a" in
    amd64|x64|x86_64) arch=amd64 ;;
    arm64|aarch64) arch=arm64 ;;
    armhf|arm|armv7l|armv7*|armv8l) arch=armv7 ;;
    *) die "no agent bundle for this machine's architecture ($a): bundles are built for amd64, arm64 and armv7" ;;
  esac
fi

# ---- a work area that goes away whatever happens ----
tmp=$(mktemp -d)
made=""
cleanup() {
  rm -rf "$tmp"
  [ -z "${incoming:-}" ] || rm -rf "$incoming"
  # directories this run created and left empty (a refused install leaves no trace)
  for d in $made; do rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir_own() { for d in "$@"; do [ -d "$d" ] || { mkdir -p "$d" && made="$d $made"; }; done; }

cat > "$tmp/check.mjs" <<'JS'
// The checks install.sh cannot do in sh: the CA's DER hash, the choice from the index, the bundle's hash and signature.
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
const [cmd, ...args] = process.argv.slice(2);
const fail = (msg) => { process.stderr.write(`drover install: error: ${msg}\n`); process.exit(1); };
if (cmd === 'ca-hash') {
  let cert;
  try { cert = new X509Certificate(readFileSync(args[0])); } catch (err) { fail(`the hub's /ca.crt is not a PEM certificate (${err.message})`); }
  process.stdout.write(`${createHash('sha256').update(cert.raw).digest('hex')}\n`);
} else if (cmd === 'pick') {
  const [indexFile, arch, version] = args;
  let index;
  try { index = JSON.parse(readFileSync(indexFile, 'utf8')); } catch (err) { fail(`the hub's /bundles/index.json is not JSON (${err.message})`); }
  if (!Array.isArray(index)) fail("the hub's /bundles/index.json is not a list");
  const mine = index.filter((b) => b && b.arch === arch);
  const chosen = version ? mine.find((b) => b.version === version) : mine[0];
  if (!chosen) fail(version ? `the hub has no agent bundle ${version} for ${arch} (it has: ${mine.map((b) => b.version).join(', ') || 'none'})` : `the hub has no agent bundle for ${arch}`);
  const ok = /^drover-agent-[0-9A-Za-z.+-]+-linux-[a-z0-9]+\.tar\.gz$/.test(chosen.file) && /^[0-9a-f]{64}$/.test(chosen.sha256) && Number.isSafeInteger(chosen.size) && /^[0-9A-Za-z.+-]+$/.test(chosen.version) && typeof chosen.signature === 'string';
  if (!ok) fail(`the hub's index entry for ${arch} is malformed: ${JSON.stringify(chosen).slice(0, 300)}`);
  process.stdout.write(`${chosen.file} ${chosen.sha256} ${chosen.size} ${chosen.version} ${chosen.signature}\n`);
} else if (cmd === 'verify') {
  const [file, name, expected, signature, caFile] = args;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  const actual = hash.digest('hex');
  if (actual !== expected) fail(`the downloaded ${name} has sha256 ${actual}, not the ${expected} the hub's index gives: refusing to install it`);
  const key = createPublicKey(new X509Certificate(readFileSync(caFile)).publicKey.export({ type: 'spki', format: 'pem' }));
  const statement = Buffer.from(`drover-agent-bundle:v1:${name}:${actual}`, 'utf8');
  if (!verify('sha256', statement, key, Buffer.from(signature, 'base64'))) fail(`${name} is not signed by the hub CA the join token pins: refusing to install it`);
} else {
  fail(`check.mjs: unknown command ${cmd}`);
}
JS

# ---- 1. the hub CA, pinned by the token ----
curl -fsSk --retry 3 "$server/ca.crt" -o "$tmp/ca.crt" || die "cannot fetch $server/ca.crt (is the hub at $server?)"
ca_hash=$(node "$tmp/check.mjs" ca-hash "$tmp/ca.crt")
[ "$ca_hash" = "$ca_pin" ] || die "the hub at $server presents CA sha256 $ca_hash, but the join token pins $ca_pin: refusing (another hub, or someone in between; nothing was installed)"
say "hub CA verified against the join token ($ca_pin)"
hub_curl() { curl --cacert "$tmp/ca.crt" -fsS --retry 3 "$@"; }

# ---- 2. the bundle for this architecture ----
hub_curl "$server/bundles/index.json?arch=$arch" -o "$tmp/index.json" 2>"$tmp/curl.err" || {
  hub_curl "$server/bundles/index.json" -o /dev/null 2>/dev/null && die "the hub has no agent bundle for $arch (see $server/bundles/index.json)"
  die "cannot read $server/bundles/index.json: $(cat "$tmp/curl.err")"
}
picked=$(node "$tmp/check.mjs" pick "$tmp/index.json" "$arch" "$version") || exit 1
# shellcheck disable=SC2086
set -- $picked
file=$1 sha256=$2 size=$3 version=$4 signature=$5
say "installing $file ($size bytes) as node $name"

# ---- 3. download, resumable ----
mkdir_own "$prefix" "$prefix/downloads"
part="$prefix/downloads/$sha256.part"
attempt=0
while :; do
  have=0; [ -f "$part" ] && have=$(wc -c < "$part" | tr -d ' ')
  [ "$have" -lt "$size" ] || break
  [ "$have" -eq 0 ] || say "resuming $file at byte $have"
  if hub_curl -C - -o "$part" "$server/bundles/$file"; then continue; fi
  attempt=$((attempt + 1))
  [ "$attempt" -lt 5 ] || die "downloading $file failed $attempt times; run this again to resume (kept: $part)"
  sleep 2
done

# ---- 4. verify: content and signature ----
if ! node "$tmp/check.mjs" verify "$part" "$file" "$sha256" "$signature" "$tmp/ca.crt"; then
  rm -f "$part"
  exit 1
fi

# ---- 5. unpack beside the other versions, check it starts ----
mkdir_own "$prefix/versions"
incoming="$prefix/versions/.incoming-$$"
mkdir "$incoming"
tar -xzf "$part" -C "$incoming" || die "$file does not unpack"
bundle="$incoming/drover-agent"
[ -f "$bundle/agent/main.js" ] && [ -f "$bundle/VERSION" ] || die "$file holds no drover-agent/agent/main.js and VERSION"
[ "$(cat "$bundle/VERSION")" = "$version" ] || die "$file says it is version $(cat "$bundle/VERSION"), not $version"
node "$bundle/agent/main.js" --help >/dev/null 2>"$tmp/help.err" || die "the agent of $file does not start on this machine: $(cat "$tmp/help.err")"
target="$prefix/versions/$version"
if [ -e "$target" ]; then mv "$target" "$incoming/replaced"; fi
mv "$bundle" "$target"
rm -f "$part"
rmdir "$prefix/downloads" 2>/dev/null || true

# ---- 6. configuration, the switch, the service ----
mkdir -p "$config_dir" "$data_dir"
(
  umask 077
  printf 'DROVER_HUB=%s\nDROVER_NAME=%s\nDROVER_RUNTIME=%s\n' "$hub" "$name" "$runtime" > "$config_dir/.agent.env.new"
  printf '%s\n' "$token" > "$config_dir/.join-token.new"
)
mv -f "$config_dir/.agent.env.new" "$config_dir/agent.env"
mv -f "$config_dir/.join-token.new" "$config_dir/join-token"
# an older flat install (PREFIX/agent/main.js, no PREFIX/current) becomes a version of its own
if [ -f "$prefix/agent/main.js" ] && [ ! -L "$prefix/current" ]; then
  flat="$(cat "$prefix/VERSION" 2>/dev/null || echo flat)"
  [ "$flat" != "$version" ] || flat="$flat-flat"
  mkdir -p "$prefix/versions/$flat"
  find "$prefix" -mindepth 1 -maxdepth 1 ! -name versions ! -name downloads -exec mv -t "$prefix/versions/$flat" {} +
  ln -sfn "versions/$flat" "$prefix/current"
fi
old=""
[ -L "$prefix/current" ] && old=$(readlink "$prefix/current")
ln -sfn "versions/$version" "$prefix/.current.new"
mv -Tf "$prefix/.current.new" "$prefix/current"
if [ -n "$old" ] && [ "$old" != "versions/$version" ]; then
  ln -sfn "$old" "$prefix/.previous.new"
  mv -Tf "$prefix/.previous.new" "$prefix/previous"
fi
say "$prefix/current -> versions/$version${old:+ (previous: $old)}"

node_flags="--max-semi-space-size=1 --no-opt --no-sparkplug --optimize-for-size --single-threaded"
if [ "$systemd" = 1 ]; then
  sed -e "s#/opt/drover-agent#$prefix#g" -e "s#/etc/drover#$config_dir#g" -e "s#/var/lib/drover/agent#$data_dir#g" \
    -e "s#/usr/bin/node #$(command -v node) #" "$prefix/current/drover-agent.service" > /etc/systemd/system/.drover-agent.service.new
  mv -f /etc/systemd/system/.drover-agent.service.new /etc/systemd/system/drover-agent.service
  systemctl daemon-reload
  systemctl enable "$runtime" >/dev/null 2>&1 && systemctl start "$runtime" || say "warning: could not start $runtime with systemctl"
  systemctl enable drover-agent >/dev/null
  systemctl restart drover-agent
  say "drover agent $version installed and started as node $name; it joins $hub. Follow it: journalctl -u drover-agent -f"
  exit 0
fi
cmd="$(command -v node) $node_flags $prefix/current/agent/supervisor.js --hub $hub --token-file $config_dir/join-token --name $name --runtime $runtime --data-dir $data_dir"
if [ "$start" = 0 ]; then
  say "drover agent $version installed; start it with:"
  echo "$cmd"
  exit 0
fi
pidfile="$data_dir/agent.pid"
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && grep -q "agent/supervisor.js\|agent/main.js" "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null; then
  say "stopping the agent running as pid $(cat "$pidfile")"
  kill "$(cat "$pidfile")" || true
  i=0; while kill -0 "$(cat "$pidfile")" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
fi
# shellcheck disable=SC2086
nohup setsid $cmd </dev/null >>"$data_dir/agent.log" 2>&1 &
echo $! > "$pidfile"
say "drover agent $version started as node $name (pid $!; log $data_dir/agent.log); it joins $hub. Command:"
echo "$cmd"
