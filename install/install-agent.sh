#!/usr/bin/env bash
# Install a Drover agent on a Debian / Raspberry Pi OS device from the agent bundle, as root:
#   tar xzf drover-agent-VERSION-linux-ARCH.tar.gz && sudo drover-agent/install-agent.sh --hub mqtt://HUB:1883 --token-file F [--name N] [--runtime containerd|docker]
# (or the token in $DROVER_JOIN_TOKEN: `sudo DROVER_JOIN_TOKEN=... install-agent.sh --hub ...`; --token T still works but
# is readable by every local user while the script runs). The token is kept in /etc/drover/join-token (0600, root) and
# the agent reads it with --token-file: it is never on the agent's command line.
# Installs nodejs (20, as Debian and Raspberry Pi OS ship it), containerd and runc from the OS packages if missing,
# the self-contained agent bundle beside the others in PREFIX/versions/<version> (--prefix, default /opt/drover-agent;
# no npm install: its dependencies are inside), switches PREFIX/current to it (PREFIX/previous to the one before) with
# one rename, and a systemd unit that runs PREFIX/current at boot. A flat install of an older version (PREFIX/agent/)
# becomes PREFIX/versions/<its version>. To install from a hub over the network, use the hub's /install.sh.
set -euo pipefail
hub="" token="${DROVER_JOIN_TOKEN:-}" name="$(hostname | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-\n' '-')" runtime="" prefix=/opt/drover-agent
while [ $# -gt 0 ]; do
  case "$1" in
    --hub) hub="$2"; shift 2 ;;
    --token) token="$2"; echo "warning: --token is readable by every local user (ps); prefer --token-file or DROVER_JOIN_TOKEN" >&2; shift 2 ;;
    --token-file) token="$(tr -d '[:space:]' < "$2")"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --runtime) runtime="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$hub" ] && [ -n "$token" ] || { echo "usage: $0 --hub mqtt://HUB:1883 --token-file FILE [--name NAME] [--runtime containerd|docker] [--prefix P]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v node >/dev/null || need+=(nodejs)
if [ -z "$runtime" ]; then
  if command -v ctr >/dev/null; then runtime=containerd; elif command -v docker >/dev/null; then runtime=docker; else runtime=containerd; need+=(containerd runc); fi
fi
# the pod network: CNI plugins (containerd pods), nftables (masquerading, the service proxy), conntrack (the service
# proxy's UDP flows), iproute2 (the pod bridge, the overlay), a static busybox (Docker's pause image)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v nft >/dev/null || need+=(nftables)
command -v conntrack >/dev/null || need+=(conntrack)
{ command -v ip >/dev/null && command -v bridge >/dev/null; } || need+=(iproute2)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then apt-get update && apt-get install -y "${need[@]}"; fi
systemctl enable --now "$runtime" 2>/dev/null || true
version="$(cat "$here/VERSION")"
[ -f "$here/agent/main.js" ] && [ -n "$version" ] || { echo "$here is not an unpacked agent bundle (no agent/main.js, VERSION)" >&2; exit 1; }
mkdir -p "$prefix/versions" /etc/drover /var/lib/drover/agent
# an older flat install (PREFIX/agent/main.js, no PREFIX/current) becomes a version of its own
if [ -f "$prefix/agent/main.js" ] && [ ! -L "$prefix/current" ]; then
  flat="$(cat "$prefix/VERSION" 2>/dev/null || echo flat)"
  [ "$flat" != "$version" ] || flat="$flat-flat"
  mkdir -p "$prefix/versions/$flat"
  find "$prefix" -mindepth 1 -maxdepth 1 ! -name versions -exec mv -t "$prefix/versions/$flat" {} +
  ln -sfn "versions/$flat" "$prefix/current"
fi
incoming="$prefix/versions/.incoming-$$"
trap 'rm -rf "$incoming"' EXIT
mkdir "$incoming"
cp -r "$here"/. "$incoming/drover-agent/"
[ ! -e "$prefix/versions/$version" ] || mv "$prefix/versions/$version" "$incoming/replaced"
mv "$incoming/drover-agent" "$prefix/versions/$version"
(
  umask 077
  printf 'DROVER_HUB=%s\nDROVER_NAME=%s\nDROVER_RUNTIME=%s\n' "$hub" "$name" "$runtime" > /etc/drover/.agent.env.new
  printf '%s\n' "$token" > /etc/drover/.join-token.new
)
mv -f /etc/drover/.agent.env.new /etc/drover/agent.env
mv -f /etc/drover/.join-token.new /etc/drover/join-token
old="$(readlink "$prefix/current" 2>/dev/null || true)"
ln -sfn "versions/$version" "$prefix/.current.new" && mv -Tf "$prefix/.current.new" "$prefix/current"
if [ -n "$old" ] && [ "$old" != "versions/$version" ]; then ln -sfn "$old" "$prefix/.previous.new" && mv -Tf "$prefix/.previous.new" "$prefix/previous"; fi
sed "s#/opt/drover-agent#$prefix#g" "$prefix/current/drover-agent.service" > /etc/systemd/system/drover-agent.service
systemctl daemon-reload
systemctl enable drover-agent
systemctl restart drover-agent
echo "drover agent $version installed in $prefix/versions/$version ($prefix/current${old:+; previous: $old}); it joins $hub as $name. Check: journalctl -u drover-agent -f"
